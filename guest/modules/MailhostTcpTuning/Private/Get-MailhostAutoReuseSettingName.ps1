<#
    .SYNOPSIS
        The TCP setting templates the auto-reuse port range is set on.

    .DESCRIPTION
        Set-NetTCPSetting modifies the custom templates on every version (the non-custom Internet
        and Datacenter ones only on Server 2016 and later; client Windows refuses them);
        dotnet/runtime PR 54903 configures InternetCustom. Both custom templates get the range;
        Get-MailhostAutoReusePortRange then checks every template.

    .OUTPUTS
        System.String. InternetCustom, then DatacenterCustom.
#>
function Get-MailhostAutoReuseSettingName {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    return @('InternetCustom', 'DatacenterCustom')
}
