<#
    .SYNOPSIS
        Reads the port-usage sampler's scheduled task \MailhostIac\PortUsageSampler.

    .DESCRIPTION
        Reads only.

    .OUTPUTS
        System.Collections.Hashtable. @{ Execute; Arguments } of its first action, or $null when the
        task does not exist.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostPortUsageTask {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param ()

    $task = Get-ScheduledTask -TaskPath '\MailhostIac\' -TaskName 'PortUsageSampler' -ErrorAction SilentlyContinue
    if ($null -eq $task) {
        return $null
    }
    $action = @($task.Actions)[0]
    return @{ Execute = [string]$action.Execute; Arguments = [string]$action.Arguments }
}
