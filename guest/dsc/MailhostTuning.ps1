<#
.SYNOPSIS
    DSC configuration for the Azure DSC VM extension (Microsoft.Powershell/DSC 2.x): TCP
    ephemeral-port tuning of a Windows mail host and its SiteConfig.cfg.

.DESCRIPTION
    Configuration function: MailhostTuning. Its archive holds this file and the module folder
    MailhostTcpTuning (the extension installs the module next to the configuration). All logic is
    the DSC resource MailhostTcpTuning, the same one Machine Configuration runs and the run-command
    script is assembled from: MaxUserPort and TcpTimedWaitDelay as REG_DWORD, the IPv4 and IPv6
    dynamic port ranges, the auto-reuse port range when one is given (Set-NetTCPSetting),
    SiteConfig.cfg (atomic, .bak kept, SHA-256 checked).

    No reboot, ever: the LCM is told not to reboot the node. A Tcpip value takes effect after the
    next reboot; until then the resource reports a pending reboot (a volatile registry key that
    the reboot removes), and `mailhost reboot` restarts the hosts zone by zone.

    The numbers arrive as integers in the extension's configurationArguments (structured JSON,
    no command line); the resource takes strings, as Machine Configuration assignments give them,
    and checks them against its limits. SiteConfig.cfg and its path arrive as base64url of their
    UTF-8 bytes, as in every mechanism.
#>
Configuration MailhostTuning {
    param
    (
        [Parameter(Mandatory)]
        [int]$MaxUserPort,

        [Parameter(Mandatory)]
        [int]$TcpTimedWaitDelay,

        [Parameter(Mandatory)]
        [int]$DynamicPortRangeStartPort,

        [Parameter(Mandatory)]
        [int]$DynamicPortRangeNumberOfPorts,

        [Parameter(Mandatory)]
        [ValidatePattern('^[A-Za-z0-9_-]+$')]
        [string]$SiteConfigPathBase64Url,

        [Parameter(Mandatory)]
        [ValidatePattern('^[A-Za-z0-9_-]*$')]
        [string]$SiteConfigContentBase64Url,

        [Parameter(Mandatory)]
        [ValidatePattern('^[0-9a-f]{64}$')]
        [string]$SiteConfigSha256,

        # Optional (an [int] not passed is 0): absent, the host's auto-reuse port range is left as it is.
        [int]$AutoReusePortRangeStartPort,

        [int]$AutoReusePortRangeNumberOfPorts
    )

    $autoReuseStart = ''
    $autoReuseCount = ''
    if ($AutoReusePortRangeNumberOfPorts -gt 0) {
        $autoReuseStart = [string]$AutoReusePortRangeStartPort
        $autoReuseCount = [string]$AutoReusePortRangeNumberOfPorts
    }

    Import-DscResource -ModuleName MailhostTcpTuning

    Node localhost {
        LocalConfigurationManager {
            ConfigurationMode  = 'ApplyAndAutoCorrect'
            RebootNodeIfNeeded = $false
        }

        MailhostTcpTuning MailhostTcpTuning {
            IsSingleInstance              = 'Yes'
            MaxUserPort                   = [string]$MaxUserPort
            TcpTimedWaitDelay             = [string]$TcpTimedWaitDelay
            DynamicPortRangeStartPort     = [string]$DynamicPortRangeStartPort
            DynamicPortRangeNumberOfPorts = [string]$DynamicPortRangeNumberOfPorts
            SiteConfigPathBase64Url       = $SiteConfigPathBase64Url
            SiteConfigContentBase64Url    = $SiteConfigContentBase64Url
            SiteConfigSha256              = $SiteConfigSha256
            AutoReusePortRangeStartPort     = $autoReuseStart
            AutoReusePortRangeNumberOfPorts = $autoReuseCount
        }
    }
}
