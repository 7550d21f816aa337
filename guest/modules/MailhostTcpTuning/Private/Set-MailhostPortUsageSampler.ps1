<#
    .SYNOPSIS
        Writes what differs of the port-usage sampler: its script, its settings, its task.

    .PARAMETER Sampler
        The desired sampler (Get-MailhostPortUsageDesired).

    .OUTPUTS
        System.Boolean. $true when it changed anything.
#>
function Set-MailhostPortUsageSampler {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Sampler
    )

    $differs = Compare-MailhostPortUsageSampler -Sampler $Sampler
    if ($differs.Count -eq 0) {
        return $false
    }
    if ($differs -contains 'script') {
        Write-MailhostPortUsageFile -Path $Sampler.ScriptPath -Bytes $Sampler.ScriptBytes
    }
    if ($differs -contains 'settings') {
        Write-MailhostPortUsageFile -Path $Sampler.SettingsPath -Bytes $Sampler.SettingsBytes
    }
    if ($differs -contains 'task') {
        Register-MailhostPortUsageTask -Execute $Sampler.Execute -Arguments $Sampler.Arguments
    }
    return $true
}
