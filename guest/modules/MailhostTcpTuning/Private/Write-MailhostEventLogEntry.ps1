<#
    .SYNOPSIS
        Writes one event to a classic Windows event log.

    .DESCRIPTION
        Every event the guest writes goes through here: the correction events of the tuning and the
        readings of the port-usage sampler. It uses .NET System.Diagnostics.EventLog, which both
        editions have (Windows PowerShell 5.1: .NET Framework's System.dll; PowerShell 7 on Windows:
        the System.Diagnostics.EventLog assembly it ships); the *-EventLog cmdlets exist only in
        Windows PowerShell 5.1. Registers Source in LogName first when no log knows it (needs
        administrator rights: DSC, Run Command, Machine Configuration and the sampler's task run as
        LocalSystem). The Values become the event's insertion strings (the <Data> elements of its
        EventData); a single value is also the whole message, as EventLog.WriteEntry writes it.

    .PARAMETER Source
        The event source, registered when missing.

    .PARAMETER LogName
        The log the source is registered in when it is missing, such as Application.

    .PARAMETER EventId
        The event id.

    .PARAMETER EntryType
        The level: 'Information', 'Warning' or 'Error'.

    .PARAMETER Values
        The insertion strings, in order.

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Write-MailhostEventLogEntry {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Source,

        [Parameter(Mandatory)]
        [string]$LogName,

        [Parameter(Mandatory)]
        [int]$EventId,

        [Parameter(Mandatory)]
        [ValidateSet('Information', 'Warning', 'Error')]
        [string]$EntryType,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]]$Values
    )

    if (-not [System.Diagnostics.EventLog]::SourceExists($Source)) {
        [System.Diagnostics.EventLog]::CreateEventSource($Source, $LogName)
    }
    $instance = New-Object -TypeName System.Diagnostics.EventInstance -ArgumentList ([long]$EventId), 0, ([System.Diagnostics.EventLogEntryType]$EntryType)
    [System.Diagnostics.EventLog]::WriteEvent($Source, $instance, [object[]]$Values)
}
