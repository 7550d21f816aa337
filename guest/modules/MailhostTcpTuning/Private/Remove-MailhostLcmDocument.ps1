<#
    .SYNOPSIS
        Removes the DSC Local Configuration Manager's configuration documents.

    .DESCRIPTION
        Runs Remove-DscConfigurationDocument -Stage Current, Pending, Previous through Windows
        PowerShell 5.1, where the LCM cmdlets live; the settings the documents applied stay as they
        are. Throws when it fails.

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Remove-MailhostLcmDocument {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param ()

    $windowsPowerShell = Join-Path -Path $env:SystemRoot -ChildPath 'System32\WindowsPowerShell\v1.0\powershell.exe'
    $output = & $windowsPowerShell -NoProfile -NonInteractive -Command 'Remove-DscConfigurationDocument -Stage Current, Pending, Previous -Force -ErrorAction Stop'
    if ($LASTEXITCODE -ne 0) {
        throw ('Remove-DscConfigurationDocument failed with exit code {0}: {1}' -f $LASTEXITCODE, (Format-MailhostShortText -Text (@($output) -join ' ') -MaxLength 200))
    }
}
