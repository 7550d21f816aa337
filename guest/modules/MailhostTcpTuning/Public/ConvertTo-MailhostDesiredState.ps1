<#
    .SYNOPSIS
        Converts the string parameters every mechanism passes to the validated desired state.

    .DESCRIPTION
        Names as in the contracts of the DSC resource, the run-command script and the Machine
        Configuration assignment. Throws on the first bad parameter, naming it, the value and the
        allowed range, before anything is changed.

    .PARAMETER MaxUserPort
        MaxUserPort as the mechanisms pass it (text; checked here).

    .PARAMETER TcpTimedWaitDelay
        TcpTimedWaitDelay in seconds as the mechanisms pass it (text; checked here).

    .PARAMETER DynamicPortRangeStartPort
        The first port of the dynamic port range as the mechanisms pass it (text; checked here).

    .PARAMETER DynamicPortRangeNumberOfPorts
        The number of ports of the dynamic port range as the mechanisms pass it (text; checked
        here).

    .PARAMETER SiteConfigPathBase64Url
        The absolute path of SiteConfig.cfg as base64url of its UTF-8 bytes.

    .PARAMETER SiteConfigContentBase64Url
        The content of SiteConfig.cfg as base64url of its bytes.

    .PARAMETER SiteConfigSha256
        The SHA-256 of the content, 64 lower-case hex digits.

    .PARAMETER AutoReusePortRangeStartPort
        The first port of the auto-reuse port range as the mechanisms pass it (text; checked here).
        Defaults to '' (with AutoReusePortRangeNumberOfPorts also empty: the host's range is left as
        it is).

    .PARAMETER AutoReusePortRangeNumberOfPorts
        The number of ports of the auto-reuse port range as the mechanisms pass it (text; checked
        here). Defaults to '' (with AutoReusePortRangeStartPort also empty: the host's range is left
        as it is).

    .OUTPUTS
        System.Collections.Hashtable. @{ MaxUserPort; TcpTimedWaitDelay; StartPort; NumberOfPorts
        (ints); AutoReusePortRange (@{ StartPort; NumberOfPorts }, or $null to leave the host's
        range alone); SiteConfigPath (string); SiteConfigBytes (byte[]); SiteConfigSha256
        (lower-case hex) }.
#>
function ConvertTo-MailhostDesiredState {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$MaxUserPort,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$TcpTimedWaitDelay,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$DynamicPortRangeStartPort,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$DynamicPortRangeNumberOfPorts,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$SiteConfigPathBase64Url,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$SiteConfigContentBase64Url,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$SiteConfigSha256,

        [AllowNull()]
        [AllowEmptyString()]
        [string]$AutoReusePortRangeStartPort = '',

        [AllowNull()]
        [AllowEmptyString()]
        [string]$AutoReusePortRangeNumberOfPorts = ''
    )

    $desired = @{
        MaxUserPort       = ConvertTo-MailhostLimitedInt -Name 'MaxUserPort' -Value $MaxUserPort
        TcpTimedWaitDelay = ConvertTo-MailhostLimitedInt -Name 'TcpTimedWaitDelay' -Value $TcpTimedWaitDelay
        StartPort         = ConvertTo-MailhostLimitedInt -Name 'DynamicPortRangeStartPort' -Value $DynamicPortRangeStartPort
        NumberOfPorts     = ConvertTo-MailhostLimitedInt -Name 'DynamicPortRangeNumberOfPorts' -Value $DynamicPortRangeNumberOfPorts
    }
    $highest = [long]$script:MailhostTcpTuningLimits['HighestPort']
    $end = [long]$desired.StartPort + [long]$desired.NumberOfPorts - 1
    if ($end -gt $highest) {
        throw ('DynamicPortRangeStartPort = {0} with DynamicPortRangeNumberOfPorts = {1} ends at port {2}, above the highest port {3}.' -f $desired.StartPort, $desired.NumberOfPorts, $end, $highest)
    }
    $desired['AutoReusePortRange'] = ConvertTo-MailhostAutoReusePortRange -StartPort $AutoReusePortRangeStartPort -NumberOfPorts $AutoReusePortRangeNumberOfPorts -DynamicStartPort $desired.StartPort -DynamicNumberOfPorts $desired.NumberOfPorts
    $path = ConvertFrom-MailhostUtf8 -Name 'SiteConfigPathBase64Url' -Bytes (ConvertFrom-MailhostBase64Url -Name 'SiteConfigPathBase64Url' -Value $SiteConfigPathBase64Url)
    if (-not (Test-MailhostAbsolutePath -Path $path)) {
        throw ('SiteConfigPathBase64Url must encode an absolute path, got ''{0}''.' -f (Format-MailhostShortText -Text $path))
    }
    $desired['SiteConfigPath'] = $path
    $desired['SiteConfigBytes'] = ConvertFrom-MailhostBase64Url -Name 'SiteConfigContentBase64Url' -Value $SiteConfigContentBase64Url
    if ($null -eq $SiteConfigSha256 -or $SiteConfigSha256 -notmatch '^[0-9a-f]{64}$') {
        throw ('SiteConfigSha256 must be 64 lower-case hex digits, got ''{0}''.' -f (Format-MailhostShortText -Text ([string]$SiteConfigSha256)))
    }
    $desired['SiteConfigSha256'] = $SiteConfigSha256
    return $desired
}
