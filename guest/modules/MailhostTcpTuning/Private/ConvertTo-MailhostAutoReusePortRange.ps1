<#
    .SYNOPSIS
        Converts the two auto-reuse port range parameters to the desired range.

    .DESCRIPTION
        Both empty: the host's range is left as it is. Otherwise the range must lie inside the
        limits of Limits.psd1, strictly inside the dynamic port range, and leave
        MinPortsOutsideAutoReuseRange of its ports outside (for connections that cannot use it).
        Throws naming the setting, the value and the rule.

    .PARAMETER StartPort
        AutoReusePortRangeStartPort as it arrived (text, empty when not given).

    .PARAMETER NumberOfPorts
        AutoReusePortRangeNumberOfPorts as it arrived (text, empty when not given).

    .PARAMETER DynamicStartPort
        The first port of the desired dynamic port range.

    .PARAMETER DynamicNumberOfPorts
        The number of ports of the desired dynamic port range.

    .OUTPUTS
        System.Collections.Hashtable. @{ StartPort; NumberOfPorts }, or $null to leave the host's
        range alone.
#>
function ConvertTo-MailhostAutoReusePortRange {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$StartPort,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$NumberOfPorts,

        [Parameter(Mandatory)]
        [int]$DynamicStartPort,

        [Parameter(Mandatory)]
        [int]$DynamicNumberOfPorts
    )

    $hasStart = -not [string]::IsNullOrEmpty($StartPort)
    $hasCount = -not [string]::IsNullOrEmpty($NumberOfPorts)
    if (-not $hasStart -and -not $hasCount) {
        return $null
    }
    if ($hasStart -ne $hasCount) {
        throw 'AutoReusePortRangeStartPort and AutoReusePortRangeNumberOfPorts go together: give both, or neither to leave the auto-reuse port range as it is.'
    }
    $start = ConvertTo-MailhostLimitedInt -Name 'AutoReusePortRangeStartPort' -Value $StartPort
    $count = ConvertTo-MailhostLimitedInt -Name 'AutoReusePortRangeNumberOfPorts' -Value $NumberOfPorts
    $end = [long]$start + [long]$count - 1
    $dynamicEnd = [long]$DynamicStartPort + [long]$DynamicNumberOfPorts - 1
    if ($start -lt $DynamicStartPort -or $end -gt $dynamicEnd) {
        throw ('AutoReusePortRangeStartPort = {0} with AutoReusePortRangeNumberOfPorts = {1} ({0}-{2}) is not inside the dynamic port range {3}-{4}; Windows needs it strictly inside.' -f $start, $count, $end, $DynamicStartPort, $dynamicEnd)
    }
    $minimumOutside = [long]$script:MailhostTcpTuningLimits['MinPortsOutsideAutoReuseRange']
    if (([long]$DynamicNumberOfPorts - $count) -lt $minimumOutside) {
        throw ('AutoReusePortRangeNumberOfPorts = {0} leaves {1} ports of the dynamic port range outside the auto-reuse range, fewer than {2}.' -f $count, ($DynamicNumberOfPorts - $count), $minimumOutside)
    }
    return @{ StartPort = $start; NumberOfPorts = $count }
}
