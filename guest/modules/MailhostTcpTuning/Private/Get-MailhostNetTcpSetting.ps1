<#
    .SYNOPSIS
        Reads the auto-reuse port range of every TCP setting template that reports one.

    .DESCRIPTION
        Get-NetTCPSetting (MSFT_NetTCPSetting AutoReusePortRangeStartPort and
        AutoReusePortRangeNumberOfPorts, UInt16; 0 ports means the feature is off). Templates
        without the values (such as Automatic) are left out. Reads only.

    .OUTPUTS
        System.Collections.Hashtable. One @{ SettingName; StartPort; NumberOfPorts } per template.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostNetTcpSetting {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param ()

    $found = [System.Collections.Generic.List[hashtable]]::new()
    foreach ($setting in @(Get-NetTCPSetting -ErrorAction Stop)) {
        if ($null -eq $setting.AutoReusePortRangeStartPort -or $null -eq $setting.AutoReusePortRangeNumberOfPorts) {
            continue
        }
        $found.Add(@{ SettingName = [string]$setting.SettingName; StartPort = [int]$setting.AutoReusePortRangeStartPort; NumberOfPorts = [int]$setting.AutoReusePortRangeNumberOfPorts })
    }
    return $found.ToArray()
}
