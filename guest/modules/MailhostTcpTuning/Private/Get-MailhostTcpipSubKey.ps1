<#
    .SYNOPSIS
        The registry key of the TCP/IP parameters, below HKLM.

    .DESCRIPTION
        SYSTEM\CurrentControlSet\Services\Tcpip\Parameters, where MaxUserPort and TcpTimedWaitDelay
        live (KB 314053, "TCP/IP and NBT configuration parameters").

    .OUTPUTS
        System.String. The key path without the hive.
#>
function Get-MailhostTcpipSubKey {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    return 'SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
}
