<#
    .SYNOPSIS
        Lists why the machine is not as desired: one reason per setting that differs.

    .DESCRIPTION
        Settings: MaxUserPort, TcpTimedWaitDelay, DynamicPortRangeIPv4, DynamicPortRangeIPv6,
        AutoReusePortRange, SiteConfig, LcmConfiguration, PortUsageSampler (only when State holds
        it) and RebootPending.

    .PARAMETER Desired
        The desired state (ConvertTo-MailhostDesiredState).

    .PARAMETER State
        The current state (Get-MailhostTcpTuningState), with PortUsageSampler
        (Compare-MailhostPortUsageSampler) where the sampler was read.

    .OUTPUTS
        System.Object[]. The reasons (hashtables of New-MailhostReason), as one array; empty when
        none.
#>
function Get-MailhostTcpTuningReason {
    [CmdletBinding()]
    [OutputType([System.Object[]])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Desired,

        [Parameter(Mandatory)]
        [hashtable]$State
    )

    $reasons = [System.Collections.ArrayList]::new()
    foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
        $reason = Get-MailhostTcpipReason -Value $State[$name] -Desired $Desired[$name]
        if ($null -ne $reason) {
            $null = $reasons.Add($reason)
        }
    }
    $want = '{0}+{1}' -f $Desired.StartPort, $Desired.NumberOfPorts
    foreach ($pair in @(@('ipv4', 'IPv4'), @('ipv6', 'IPv6'))) {
        $range = $State[$pair[0]]
        if ($range.ContainsKey('Error')) {
            $null = $reasons.Add((New-MailhostReason -Setting ('DynamicPortRange' + $pair[1]) -Sentence ('The {0} dynamic TCP port range cannot be read: {1}.' -f $pair[1], (Format-MailhostShortText -Text $range.Error)) -Actual 'unreadable' -Desired $want))
        }
        elseif ($range.StartPort -ne $Desired.StartPort -or $range.NumberOfPorts -ne $Desired.NumberOfPorts) {
            $null = $reasons.Add((New-MailhostReason -Setting ('DynamicPortRange' + $pair[1]) -Sentence ('The {0} dynamic TCP port range differs from the desired one.' -f $pair[1]) -Actual ('{0}+{1}' -f $range.StartPort, $range.NumberOfPorts) -Desired $want))
        }
    }
    $autoReuse = Get-MailhostAutoReusePortRangeReason -Desired $Desired.AutoReusePortRange -Actual $State.AutoReusePortRange
    if ($null -ne $autoReuse) {
        $null = $reasons.Add($autoReuse)
    }
    if ($null -ne $State.SiteConfigError) {
        $null = $reasons.Add((New-MailhostReason -Setting 'SiteConfig' -Sentence ('SiteConfig.cfg cannot be read: {0}.' -f (Format-MailhostShortText -Text $State.SiteConfigError)) -Actual 'unreadable' -Desired $Desired.SiteConfigSha256))
    }
    elseif ($null -eq $State.SiteConfigSha256) {
        $null = $reasons.Add((New-MailhostReason -Setting 'SiteConfig' -Sentence 'SiteConfig.cfg does not exist.' -Actual 'absent' -Desired $Desired.SiteConfigSha256))
    }
    elseif ($State.SiteConfigSha256 -ne $Desired.SiteConfigSha256) {
        $null = $reasons.Add((New-MailhostReason -Setting 'SiteConfig' -Sentence 'SiteConfig.cfg differs from the desired content (SHA-256 shown).' -Actual $State.SiteConfigSha256 -Desired $Desired.SiteConfigSha256))
    }
    if (@($State.LeftoverLcmDocuments).Count -gt 0) {
        $null = $reasons.Add((New-MailhostReason -Setting 'LcmConfiguration' -Sentence 'A DSC configuration left by the DSC extension is still applied by the Local Configuration Manager, which keeps correcting to its own values.' -Actual (Format-MailhostShortText -Text (@($State.LeftoverLcmDocuments) -join ',') -MaxLength 100) -Desired 'none'))
    }
    # Only where the state read the sampler (the resource's Get; the drift collector reads readings instead).
    if ($State.ContainsKey('PortUsageSampler')) {
        $sampler = Get-MailhostPortUsageSamplerReason -Differs $State.PortUsageSampler
        if ($null -ne $sampler) {
            $null = $reasons.Add($sampler)
        }
    }
    if ($null -ne $State.RebootPendingSince) {
        $null = $reasons.Add((New-MailhostReason -Setting 'RebootPending' -Sentence ('Tcpip values (or the auto-reuse port range) were written at {0} and take effect only after a reboot, which no mechanism of mailhost-iac performs by itself.' -f $State.RebootPendingSince) -Actual ('pending since {0}' -f $State.RebootPendingSince) -Desired 'none'))
    }
    return , $reasons.ToArray()
}
