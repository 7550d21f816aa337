<#
    .SYNOPSIS
        Runs "netsh int <ipv4|ipv6> show dynamicport tcp".

    .PARAMETER IpVersion
        The IP version: 'ipv4' or 'ipv6'.

    .OUTPUTS
        System.Collections.Hashtable. @{ ExitCode = <int>; Output = <string[]> }.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostNetshDynamicPort {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion
    )

    $output = & netsh.exe int $IpVersion show dynamicport tcp
    return @{ ExitCode = [int]$LASTEXITCODE; Output = [string[]]@($output) }
}
