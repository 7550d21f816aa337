<#
    .SYNOPSIS
        Describes the port-usage sampler this host should have.

    .DESCRIPTION
        How it runs: a scheduled task \MailhostIac\PortUsageSampler, registered by the resource's
        Set (every mechanism runs it), starts Windows PowerShell every minute as SYSTEM; the script
        it runs is written by Set from this module's own sampler functions, next to PortUsage.json,
        which holds the pool to count against and the event settings. The pool is the auto-reuse
        range when the desired state sets one (a pool per back end), else the dynamic range: the
        tuned values the resource already receives.

    .PARAMETER Desired
        The desired state (ConvertTo-MailhostDesiredState).

    .OUTPUTS
        System.Collections.Hashtable. @{ Directory; ScriptPath; ScriptBytes; SettingsPath;
        SettingsBytes; Execute; Arguments }.
#>
function Get-MailhostPortUsageDesired {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Desired
    )

    if ($null -ne $Desired.AutoReusePortRange) {
        $pool = [ordered]@{ Model = 'perBackend'; PoolStartPort = [int]$Desired.AutoReusePortRange.StartPort; PoolNumberOfPorts = [int]$Desired.AutoReusePortRange.NumberOfPorts }
    }
    else {
        $pool = [ordered]@{ Model = 'hostPool'; PoolStartPort = [int]$Desired.StartPort; PoolNumberOfPorts = [int]$Desired.NumberOfPorts }
    }
    $limits = $script:MailhostTcpTuningLimits
    $pool['EndpointsPerReading'] = [int]$limits['PortUsageEndpointsPerReading']
    $pool['Source'] = [string]$limits['PortUsageEventSource']
    $pool['LogName'] = [string]$limits['PortUsageEventLog']
    $pool['ReadingEventId'] = [int]$limits['PortUsageEventIds']['Reading']
    $pool['FailedEventId'] = [int]$limits['PortUsageEventIds']['Failed']
    $directory = Get-MailhostPortUsageDirectory
    $scriptPath = Join-Path -Path $directory -ChildPath 'Invoke-MailhostPortUsageSample.ps1'
    return @{
        Directory     = $directory
        ScriptPath    = $scriptPath
        ScriptBytes   = [System.Text.Encoding]::UTF8.GetBytes((Get-MailhostPortUsageScriptText))
        SettingsPath  = Join-Path -Path $directory -ChildPath 'PortUsage.json'
        SettingsBytes = [System.Text.Encoding]::UTF8.GetBytes(($pool | ConvertTo-Json -Compress))
        Execute       = 'powershell.exe'
        Arguments     = ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}"' -f $scriptPath)
    }
}
