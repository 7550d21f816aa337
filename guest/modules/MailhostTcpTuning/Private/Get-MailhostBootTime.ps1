<#
    .SYNOPSIS
        Reads the last boot time of the machine, in UTC.

    .DESCRIPTION
        Win32_OperatingSystem.LastBootUpTime.

    .OUTPUTS
        System.DateTime. The last boot time, in UTC.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostBootTime {
    [CmdletBinding()]
    [OutputType([System.DateTime])]
    param ()

    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
    return ([datetime]$os.LastBootUpTime).ToUniversalTime()
}
