<#
    .SYNOPSIS
        The folder of the port-usage sampler's script and settings.

    .DESCRIPTION
        %ProgramFiles%\MailhostIac\PortUsage: read-only for users, not %ProgramData% (users may
        create files there), because SYSTEM runs what lies in it.

    .OUTPUTS
        System.String. The absolute path of the folder.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostPortUsageDirectory {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    return (Join-Path -Path ([System.Environment]::GetFolderPath('ProgramFiles')) -ChildPath 'MailhostIac\PortUsage')
}
