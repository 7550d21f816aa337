<#
    .SYNOPSIS
        Registers (or replaces) the port-usage sampler's scheduled task
        \MailhostIac\PortUsageSampler.

    .DESCRIPTION
        Every minute from now on (no RepetitionDuration: indefinitely), as SYSTEM, never a second
        instance while one runs, stopped after 5 minutes.

    .PARAMETER Execute
        The program the task starts.

    .PARAMETER Arguments
        Its command line arguments.

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Register-MailhostPortUsageTask {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Execute,

        [Parameter(Mandatory)]
        [string]$Arguments
    )

    $action = New-ScheduledTaskAction -Execute $Execute -Argument $Arguments
    $trigger = New-ScheduledTaskTrigger -Once -At ([datetime]::Now) -RepetitionInterval (New-TimeSpan -Minutes 1)
    $principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 5) -StartWhenAvailable
    $null = Register-ScheduledTask -TaskPath '\MailhostIac\' -TaskName 'PortUsageSampler' -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force
}
