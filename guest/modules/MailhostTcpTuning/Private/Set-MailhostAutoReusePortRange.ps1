<#
    .SYNOPSIS
        Sets the auto-reuse port range on the custom TCP setting templates when any template reports
        another one.

    .DESCRIPTION
        Reads the range back and records the correction; it takes effect after the next reboot.
        Throws when Windows refuses it or the range read back differs.

    .PARAMETER StartPort
        The first port of the desired range.

    .PARAMETER NumberOfPorts
        The number of ports of the desired range.

    .OUTPUTS
        System.Boolean. $true when it set the range.
#>
function Set-MailhostAutoReusePortRange {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param
    (
        [Parameter(Mandatory)]
        [int]$StartPort,

        [Parameter(Mandatory)]
        [int]$NumberOfPorts
    )

    try {
        $current = Get-MailhostAutoReusePortRange
    }
    catch {
        $current = @{ Error = [string]$_.Exception.Message }
    }
    if ($current.ContainsKey('StartPort') -and $current.StartPort -eq $StartPort -and $current.NumberOfPorts -eq $NumberOfPorts) {
        return $false
    }
    foreach ($settingName in @(Get-MailhostAutoReuseSettingName)) {
        Set-MailhostNetTcpAutoReusePortRange -SettingName $settingName -StartPort $StartPort -NumberOfPorts $NumberOfPorts
    }
    $after = Get-MailhostAutoReusePortRange
    if (-not $after.ContainsKey('StartPort') -or $after.StartPort -ne $StartPort -or $after.NumberOfPorts -ne $NumberOfPorts) {
        $read = $after.Mixed
        if ($after.ContainsKey('StartPort')) {
            $read = '{0}+{1}' -f $after.StartPort, $after.NumberOfPorts
        }
        throw ('Set-NetTCPSetting -AutoReusePortRangeStartPort {0} -AutoReusePortRangeNumberOfPorts {1} reported success, but Get-NetTCPSetting now reads {2}.' -f $StartPort, $NumberOfPorts, $read)
    }
    Write-Verbose -Message ('Auto-reuse port range set to {0}+{1}; it takes effect after the next reboot.' -f $StartPort, $NumberOfPorts)
    $found = 'unreadable'
    if ($current.ContainsKey('StartPort')) {
        $found = '{0}+{1}' -f $current.StartPort, $current.NumberOfPorts
    }
    elseif ($current.ContainsKey('Mixed')) {
        $found = $current.Mixed
    }
    elseif ($current.ContainsKey('Error')) {
        $found = 'unreadable: ' + $current.Error
    }
    Write-MailhostCorrectionEvent -Setting 'AutoReusePortRange' -Found $found -Written ('{0}+{1}' -f $StartPort, $NumberOfPorts)
    return $true
}
