<#
    DSC resource MailhostTcpTuning: the one implementation of the guest's TCP tuning, for Azure
    Machine Configuration (PowerShell 7), the Azure DSC extension (Windows PowerShell 5.1) and,
    assembled into one script text, Run Command.

    Properties that assignments override are [string] and are converted and validated here
    (plain decimal digits inside the ranges of Limits.psd1, generated from domain/limits.ts).
    SiteConfig.cfg travels as base64url (RFC 4648 section 5, no padding) of its UTF-8 bytes with
    its SHA-256; MOF strings cannot carry carriage returns.

    Reasons: Code "MailhostTcpTuning:MailhostTcpTuning:<Setting>" with Setting one of MaxUserPort,
    TcpTimedWaitDelay, DynamicPortRangeIPv4, DynamicPortRangeIPv6, AutoReusePortRange (only when
    AutoReusePortRangeStartPort/NumberOfPorts are set; empty, the host's range is left alone),
    SiteConfig, PortUsageSampler (the scheduled task \MailhostIac\PortUsageSampler, its script and
    pool settings under %ProgramFiles%\MailhostIac\PortUsage; Set installs it), RebootPending and,
    under Machine Configuration (PowerShell 7), LcmConfiguration for DSC configuration documents a
    former DSC extension left to the LCM (Set removes them); Phrase
    "<sentence> actual=<value>; desired=<value>" (ranges as <start>+<count>, SiteConfig as SHA-256).

    Reboots: Set never reboots and never asks for one. Writing a Tcpip value or the auto-reuse port
    range (Set-NetTCPSetting, in effect after a reboot) creates the volatile key
    HKLM\SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot (value WrittenAt); while it exists, Test
    returns $false with a RebootPending reason. A reboot removes it.
#>
$script:MailhostTcpTuningLimits = Import-PowerShellDataFile -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath 'Limits.psd1')

# One function per file: Private/ (helpers and machine edges) and Public/ (what the resource class,
# the run-command script, the drift collector and the sampler's script call; exported). Dot-sourced
# here, so the module that ships (DSC archive, Machine Configuration package) is these files byte
# for byte; Run Command's one script text is joined from them at build (components/guestScripts.ts).
foreach ($mailhostFunctionFolder in @('Private', 'Public')) {
    $mailhostFunctionFiles = @(Get-ChildItem -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath $mailhostFunctionFolder) -File | Where-Object { $_.Extension -eq '.ps1' } | Sort-Object -Property Name)
    foreach ($mailhostFunctionFile in $mailhostFunctionFiles) {
        . $mailhostFunctionFile.FullName
    }
}

class MailhostTcpTuningReason {
    [DscProperty()]
    [string]$Code

    [DscProperty()]
    [string]$Phrase
}

[DscResource()]
class MailhostTcpTuning {
    [DscProperty(Key)]
    [ValidateSet('Yes')]
    [string]$IsSingleInstance

    [DscProperty()]
    [string]$MaxUserPort

    [DscProperty()]
    [string]$TcpTimedWaitDelay

    [DscProperty()]
    [string]$DynamicPortRangeStartPort

    [DscProperty()]
    [string]$DynamicPortRangeNumberOfPorts

    [DscProperty()]
    [string]$SiteConfigPathBase64Url

    [DscProperty()]
    [string]$SiteConfigContentBase64Url

    [DscProperty()]
    [string]$SiteConfigSha256

    # Both empty: the host's auto-reuse port range is left as it is.
    [DscProperty()]
    [string]$AutoReusePortRangeStartPort

    [DscProperty()]
    [string]$AutoReusePortRangeNumberOfPorts

    [DscProperty(NotConfigurable)]
    [MailhostTcpTuningReason[]]$Reasons

    # The validated desired state; throws naming the setting, the value and the allowed range.
    hidden [hashtable] GetDesiredState() {
        $parameters = @{
            MaxUserPort                   = $this.MaxUserPort
            TcpTimedWaitDelay             = $this.TcpTimedWaitDelay
            DynamicPortRangeStartPort     = $this.DynamicPortRangeStartPort
            DynamicPortRangeNumberOfPorts = $this.DynamicPortRangeNumberOfPorts
            SiteConfigPathBase64Url       = $this.SiteConfigPathBase64Url
            SiteConfigContentBase64Url    = $this.SiteConfigContentBase64Url
            SiteConfigSha256              = $this.SiteConfigSha256
            AutoReusePortRangeStartPort     = $this.AutoReusePortRangeStartPort
            AutoReusePortRangeNumberOfPorts = $this.AutoReusePortRangeNumberOfPorts
        }
        return ConvertTo-MailhostDesiredState @parameters
    }

    # The current state: Tcpip values as their DWORD (null when absent or of another kind), the IPv4
    # range, the SHA-256 of SiteConfig.cfg, and a reason per setting that is not as desired.
    [MailhostTcpTuning] Get() {
        $desired = $this.GetDesiredState()
        $state = Get-MailhostTcpTuningState -SiteConfigPath $desired.SiteConfigPath
        $state['PortUsageSampler'] = Compare-MailhostPortUsageSampler -Sampler (Get-MailhostPortUsageDesired -Desired $desired)
        $current = [MailhostTcpTuning]::new()
        $current.IsSingleInstance = 'Yes'
        foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
            $value = $state[$name]
            if ($value.State -eq 'DWord') {
                $current.$name = [string]$value.Value
            }
        }
        if (-not $state['ipv4'].ContainsKey('Error')) {
            $current.DynamicPortRangeStartPort = [string]$state['ipv4'].StartPort
            $current.DynamicPortRangeNumberOfPorts = [string]$state['ipv4'].NumberOfPorts
        }
        if ($state['AutoReusePortRange'].ContainsKey('StartPort')) {
            $current.AutoReusePortRangeStartPort = [string]$state['AutoReusePortRange'].StartPort
            $current.AutoReusePortRangeNumberOfPorts = [string]$state['AutoReusePortRange'].NumberOfPorts
        }
        $current.SiteConfigPathBase64Url = $this.SiteConfigPathBase64Url
        $current.SiteConfigSha256 = $state.SiteConfigSha256
        if ($state.SiteConfigSha256 -eq $desired.SiteConfigSha256) {
            $current.SiteConfigContentBase64Url = $this.SiteConfigContentBase64Url
        }
        $list = [System.Collections.Generic.List[MailhostTcpTuningReason]]::new()
        foreach ($reason in (Get-MailhostTcpTuningReason -Desired $desired -State $state)) {
            $item = [MailhostTcpTuningReason]::new()
            $item.Code = $reason.Code
            $item.Phrase = $reason.Phrase
            $list.Add($item)
        }
        $current.Reasons = $list.ToArray()
        return $current
    }

    # True when every setting is as desired and no Tcpip write waits for a reboot.
    [bool] Test() {
        $current = $this.Get()
        return (@($current.Reasons).Count -eq 0)
    }

    # Changes only what differs; never reboots. Under Machine Configuration it also removes the
    # configuration documents a former DSC extension left to the LCM.
    [void] Set() {
        $desired = $this.GetDesiredState()
        $null = Set-MailhostTcpTuning -Desired $desired
        $null = Clear-MailhostLeftoverLcmDocument
    }
}
