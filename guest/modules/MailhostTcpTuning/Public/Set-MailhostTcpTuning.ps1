<#
    .SYNOPSIS
        Brings the machine to the desired state, changing only what differs.

    .DESCRIPTION
        Order: SiteConfig.cfg first (a damaged content refuses the whole run before anything else
        changes), the Tcpip values, the dynamic port ranges, the auto-reuse port range (inside the
        dynamic range), then the port-usage sampler (it counts against the pool just set). Never
        reboots: a Tcpip write or a new auto-reuse port range sets the volatile reboot marker
        instead.

    .PARAMETER Desired
        The desired state (ConvertTo-MailhostDesiredState).

    .OUTPUTS
        System.Collections.Hashtable. @{ RegistryChanged; DynamicPortRangeChanged;
        AutoReusePortRangeChanged; SiteConfigChanged; PortUsageSamplerChanged; RebootPending }
        (booleans).
#>
function Set-MailhostTcpTuning {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Desired
    )

    # SiteConfig.cfg first: a damaged content refuses the whole run before anything else changes.
    $siteConfig = @{ Path = $Desired.SiteConfigPath; Bytes = $Desired.SiteConfigBytes; ExpectedSha256 = $Desired.SiteConfigSha256 }
    $siteConfigChanged = Set-MailhostSiteConfig @siteConfig
    $registryChanged = $false
    foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
        if (Set-MailhostTcpipValue -Name $name -Desired $Desired[$name]) {
            $registryChanged = $true
        }
    }
    if ($registryChanged) {
        Set-MailhostRebootMarker -WrittenAt ([datetime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
    }
    $rangeChanged = $false
    foreach ($ipVersion in @('ipv4', 'ipv6')) {
        if (Set-MailhostDynamicPortRange -IpVersion $ipVersion -StartPort $Desired.StartPort -NumberOfPorts $Desired.NumberOfPorts) {
            $rangeChanged = $true
        }
    }
    # After the dynamic range: the auto-reuse range must lie inside it. $null leaves the host's range alone.
    $autoReuseChanged = $false
    if ($null -ne $Desired.AutoReusePortRange) {
        $autoReuseChanged = Set-MailhostAutoReusePortRange -StartPort $Desired.AutoReusePortRange.StartPort -NumberOfPorts $Desired.AutoReusePortRange.NumberOfPorts
        if ($autoReuseChanged) {
            Set-MailhostRebootMarker -WrittenAt ([datetime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
        }
    }
    # Last: the port-usage sampler counts against the pool just set.
    $samplerChanged = Set-MailhostPortUsageSampler -Sampler (Get-MailhostPortUsageDesired -Desired $Desired)
    return @{
        PortUsageSamplerChanged    = $samplerChanged
        RegistryChanged            = $registryChanged
        DynamicPortRangeChanged    = $rangeChanged
        AutoReusePortRangeChanged  = $autoReuseChanged
        SiteConfigChanged          = $siteConfigChanged
        RebootPending              = ($null -ne (Get-MailhostRebootPendingSince))
    }
}
