<#
    .SYNOPSIS
        Sets the auto-reuse port range of one TCP setting template.

    .DESCRIPTION
        Runs "Set-NetTCPSetting -SettingName <SettingName> -AutoReusePortRangeStartPort <StartPort>
        -AutoReusePortRangeNumberOfPorts <NumberOfPorts>". Throws when Windows refuses it.

    .PARAMETER SettingName
        The TCP setting template, such as InternetCustom.

    .PARAMETER StartPort
        The first port of the auto-reuse range.

    .PARAMETER NumberOfPorts
        The number of ports of the auto-reuse range.

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Set-MailhostNetTcpAutoReusePortRange {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$SettingName,

        [Parameter(Mandatory)]
        [int]$StartPort,

        [Parameter(Mandatory)]
        [int]$NumberOfPorts
    )

    Set-NetTCPSetting -SettingName $SettingName -AutoReusePortRangeStartPort $StartPort -AutoReusePortRangeNumberOfPorts $NumberOfPorts -ErrorAction Stop
}
