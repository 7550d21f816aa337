<#
    .SYNOPSIS
        Records one correction as an event.

    .DESCRIPTION
        One event from the source of CorrectionEvents in Limits.psd1 (generated from
        domain/corrections.ts), with the event id of the setting. Insertion strings: 1 the sentence,
        2 the setting, 3 the value found, 4 the value written, 5 the PowerShell edition that ran the
        correction. A failed write warns and never undoes or fails the correction, which has already
        happened.

    .PARAMETER Setting
        The setting corrected, a key of CorrectionEvents.EventIds.

    .PARAMETER Found
        The value found before the correction.

    .PARAMETER Written
        The value written.

    .OUTPUTS
        None.
#>
function Write-MailhostCorrectionEvent {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Setting,

        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Found,

        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Written
    )

    $events = $script:MailhostTcpTuningLimits['CorrectionEvents']
    $eventId = $events.EventIds[$Setting]
    if ($null -eq $eventId) {
        throw ('No correction event id is known for {0}.' -f $Setting)
    }
    $edition = Get-MailhostPowerShellEdition
    $found = Format-MailhostShortText -Text $Found -MaxLength 100
    $written = Format-MailhostShortText -Text $Written -MaxLength 100
    $sentence = 'MailhostTcpTuning corrected {0}: found {1}, wrote {2}. Something else changed this setting since the last run (PowerShell edition {3}).' -f $Setting, $found, $written, $edition
    try {
        Write-MailhostEventLogEntry -Source $events.Source -LogName $events.LogName -EventId $eventId -EntryType 'Information' -Values @($sentence, $Setting, $found, $written, $edition)
    }
    catch {
        Write-Warning -Message ('{0} The event ({1} {2}) could not be written: {3}' -f $sentence, $events.Source, $eventId, $_.Exception.Message)
    }
}
