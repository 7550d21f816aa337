<#
    .SYNOPSIS
        The key of the volatile marker of a Tcpip write that waits for a reboot, below HKLM.

    .DESCRIPTION
        Windows drops volatile keys at boot, so the marker exists exactly until the next reboot.

    .OUTPUTS
        System.String. The key path without the hive.
#>
function Get-MailhostRebootMarkerSubKey {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    return 'SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot'
}
