<#
    .SYNOPSIS
        Builds the port-usage sampler's script text.

    .DESCRIPTION
        This module's sampler functions as they are loaded, then the call that reads PortUsage.json
        next to the script. No value is part of it: the pool and the event settings travel in
        PortUsage.json.

    .OUTPUTS
        System.String. The script text, CRLF line endings.
#>
function Get-MailhostPortUsageScriptText {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    $names = @('Get-MailhostNetTcpConnection', 'Get-MailhostNetstatLine', 'Write-MailhostEventLogEntry', 'Get-MailhostNetstatStateMap', 'ConvertFrom-MailhostNetstat', 'Measure-MailhostPortUsage', 'ConvertTo-MailhostPortUsageReading', 'Invoke-MailhostPortUsageSample')
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('# Port-usage sampler of mailhost-iac, written by the MailhostTcpTuning resource and run every minute by the scheduled task \MailhostIac\PortUsageSampler.')
    $lines.Add('$ErrorActionPreference = ''Stop''')
    foreach ($name in $names) {
        $body = (Get-Item -LiteralPath ('function:{0}' -f $name)).ScriptBlock.ToString()
        $lines.Add(('function {0} {{{1}}}' -f $name, $body))
    }
    $lines.Add('$settings = Get-Content -LiteralPath (Join-Path -Path (Split-Path -Parent -Path $MyInvocation.MyCommand.Path) -ChildPath ''PortUsage.json'') -Raw | ConvertFrom-Json')
    $lines.Add('$null = Invoke-MailhostPortUsageSample -Model $settings.Model -PoolStartPort ([int]$settings.PoolStartPort) -PoolNumberOfPorts ([int]$settings.PoolNumberOfPorts) -Limit ([int]$settings.EndpointsPerReading) -Source $settings.Source -LogName $settings.LogName -ReadingEventId ([int]$settings.ReadingEventId) -FailedEventId ([int]$settings.FailedEventId)')
    return (($lines -join "`r`n") + "`r`n")
}
