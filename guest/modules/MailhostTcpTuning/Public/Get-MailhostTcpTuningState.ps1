<#
    .SYNOPSIS
        Reads everything the tuning manages, as it is.

    .DESCRIPTION
        Every part is read on its own: a part that cannot be read is reported in the result (an
        Error entry), never thrown. Reads only.

    .PARAMETER SiteConfigPath
        The absolute path of SiteConfig.cfg.

    .OUTPUTS
        System.Collections.Hashtable. @{ MaxUserPort; TcpTimedWaitDelay (Get-MailhostTcpipValue);
        ipv4; ipv6 (@{ StartPort; NumberOfPorts } or @{ Error }); AutoReusePortRange (@{ StartPort;
        NumberOfPorts }, @{ Mixed } or @{ Error }); SiteConfigBytes; SiteConfigSha256 (hex, $null
        when absent); SiteConfigError; RebootPendingSince (ISO text or $null); LeftoverLcmDocuments
        (string[]) }.
#>
function Get-MailhostTcpTuningState {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [string]$SiteConfigPath
    )

    $state = @{
        MaxUserPort       = Get-MailhostTcpipValue -Name 'MaxUserPort'
        TcpTimedWaitDelay = Get-MailhostTcpipValue -Name 'TcpTimedWaitDelay'
    }
    foreach ($ipVersion in @('ipv4', 'ipv6')) {
        try {
            $state[$ipVersion] = Get-MailhostDynamicPortRange -IpVersion $ipVersion
        }
        catch {
            $state[$ipVersion] = @{ Error = [string]$_.Exception.Message }
        }
    }
    try {
        $state['AutoReusePortRange'] = Get-MailhostAutoReusePortRange
    }
    catch {
        $state['AutoReusePortRange'] = @{ Error = [string]$_.Exception.Message }
    }
    $state['SiteConfigBytes'] = $null
    $state['SiteConfigSha256'] = $null
    $state['SiteConfigError'] = $null
    try {
        $bytes = Read-MailhostFileBytes -Path $SiteConfigPath
        if ($null -ne $bytes) {
            $state['SiteConfigBytes'] = $bytes
            $state['SiteConfigSha256'] = Get-MailhostSha256Hex -Bytes $bytes
        }
    }
    catch {
        $state['SiteConfigError'] = [string]$_.Exception.Message
    }
    $state['RebootPendingSince'] = Get-MailhostRebootPendingSince
    try {
        $state['LeftoverLcmDocuments'] = [string[]]@(Get-MailhostLeftoverLcmDocument)
    }
    catch {
        $state['LeftoverLcmDocuments'] = [string[]]@('unreadable: ' + $_.Exception.Message)
    }
    return $state
}
