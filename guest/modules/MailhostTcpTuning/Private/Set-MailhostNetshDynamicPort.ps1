<#
    .SYNOPSIS
        Runs "netsh int <ipv4|ipv6> set dynamicport tcp start=<StartPort> num=<NumberOfPorts>".

    .PARAMETER IpVersion
        The IP version: 'ipv4' or 'ipv6'.

    .PARAMETER StartPort
        The first port of the range.

    .PARAMETER NumberOfPorts
        The number of ports in the range.

    .OUTPUTS
        System.Collections.Hashtable. @{ ExitCode = <int>; Output = <string[]> }.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Set-MailhostNetshDynamicPort {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion,

        [Parameter(Mandatory)]
        [int]$StartPort,

        [Parameter(Mandatory)]
        [int]$NumberOfPorts
    )

    $output = & netsh.exe int $IpVersion set dynamicport tcp ('start={0}' -f $StartPort) ('num={0}' -f $NumberOfPorts)
    return @{ ExitCode = [int]$LASTEXITCODE; Output = [string[]]@($output) }
}
