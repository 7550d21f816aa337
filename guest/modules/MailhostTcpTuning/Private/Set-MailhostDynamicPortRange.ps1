<#
    .SYNOPSIS
        Sets the TCP dynamic port range of one IP version through netsh when it differs.

    .DESCRIPTION
        Reads the range back after setting it and records the correction. Throws when netsh fails or
        the range read back differs.

    .PARAMETER IpVersion
        The IP version: 'ipv4' or 'ipv6'.

    .PARAMETER StartPort
        The first port of the desired range.

    .PARAMETER NumberOfPorts
        The number of ports of the desired range.

    .OUTPUTS
        System.Boolean. $true when it set the range.
#>
function Set-MailhostDynamicPortRange {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
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

    $current = Get-MailhostDynamicPortRange -IpVersion $IpVersion
    if ($current.StartPort -eq $StartPort -and $current.NumberOfPorts -eq $NumberOfPorts) {
        return $false
    }
    $result = Set-MailhostNetshDynamicPort -IpVersion $IpVersion -StartPort $StartPort -NumberOfPorts $NumberOfPorts
    if ($result.ExitCode -ne 0) {
        throw ('netsh int {0} set dynamicport tcp start={1} num={2} failed with exit code {3}: {4}' -f $IpVersion, $StartPort, $NumberOfPorts, $result.ExitCode, (Format-MailhostShortText -Text (@($result.Output) -join ' ') -MaxLength 200))
    }
    $after = Get-MailhostDynamicPortRange -IpVersion $IpVersion
    if ($after.StartPort -ne $StartPort -or $after.NumberOfPorts -ne $NumberOfPorts) {
        throw ('netsh int {0} set dynamicport tcp start={1} num={2} reported success, but the range is now {3}+{4}.' -f $IpVersion, $StartPort, $NumberOfPorts, $after.StartPort, $after.NumberOfPorts)
    }
    $setting = if ($IpVersion -eq 'ipv4') { 'DynamicPortRangeIPv4' } else { 'DynamicPortRangeIPv6' }
    Write-MailhostCorrectionEvent -Setting $setting -Found ('{0}+{1}' -f $current.StartPort, $current.NumberOfPorts) -Written ('{0}+{1}' -f $StartPort, $NumberOfPorts)
    return $true
}
