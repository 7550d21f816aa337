<#
    .SYNOPSIS
        Compares the port-usage sampler on the host with the desired one.

    .PARAMETER Sampler
        The desired sampler (Get-MailhostPortUsageDesired).

    .OUTPUTS
        System.String[]. What differs, as one array of 'script', 'settings', 'task'; empty when
        nothing does.
#>
function Compare-MailhostPortUsageSampler {
    [CmdletBinding()]
    [OutputType([System.String[]])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Sampler
    )

    $differs = [System.Collections.Generic.List[string]]::new()
    foreach ($pair in @(@('script', 'ScriptPath', 'ScriptBytes'), @('settings', 'SettingsPath', 'SettingsBytes'))) {
        $bytes = Read-MailhostPortUsageFile -Path $Sampler[$pair[1]]
        if ($null -eq $bytes -or (Get-MailhostSha256Hex -Bytes $bytes) -ne (Get-MailhostSha256Hex -Bytes $Sampler[$pair[2]])) {
            $differs.Add($pair[0])
        }
    }
    $task = Get-MailhostPortUsageTask
    if ($null -eq $task -or $task.Execute -ne $Sampler.Execute -or $task.Arguments -ne $Sampler.Arguments) {
        $differs.Add('task')
    }
    return , $differs.ToArray()
}
