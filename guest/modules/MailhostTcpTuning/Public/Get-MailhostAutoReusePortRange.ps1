<#
    .SYNOPSIS
        Reads the configured auto-reuse port range.

    .DESCRIPTION
        Like the Tcpip values, this is the configured range; it is in effect only after the next
        reboot. Throws when Get-NetTCPSetting fails or reports no range.

    .OUTPUTS
        System.Collections.Hashtable. @{ StartPort; NumberOfPorts } when every template that reports
        a range agrees; @{ Mixed = '<template>,...=<start>+<count>; ...' } when they differ.
#>
function Get-MailhostAutoReusePortRange {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param ()

    $settings = @(Get-MailhostNetTcpSetting)
    if ($settings.Count -eq 0) {
        throw 'Get-NetTCPSetting reports no auto-reuse port range'
    }
    $first = $settings[0]
    foreach ($setting in $settings) {
        if ($setting.StartPort -ne $first.StartPort -or $setting.NumberOfPorts -ne $first.NumberOfPorts) {
            # Grouped by value, the smallest group first: the odd template is named within the first characters.
            $groups = @($settings | Group-Object -Property { '{0}+{1}' -f $_.StartPort, $_.NumberOfPorts } | Sort-Object -Property Count)
            $all = @($groups | ForEach-Object { '{0}={1}' -f (@($_.Group | ForEach-Object { $_.SettingName }) -join ','), $_.Name })
            return @{ Mixed = ($all -join '; ') }
        }
    }
    return @{ StartPort = $first.StartPort; NumberOfPorts = $first.NumberOfPorts }
}
