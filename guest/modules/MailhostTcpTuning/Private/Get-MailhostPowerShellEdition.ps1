<#
    .SYNOPSIS
        The PowerShell edition running this code.

    .DESCRIPTION
        'Core' under Azure Machine Configuration (PowerShell 7); 'Desktop' under the DSC extension
        and Run Command (Windows PowerShell 5.1).

    .OUTPUTS
        System.String. 'Core' or 'Desktop'.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostPowerShellEdition {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    return [string]$PSVersionTable.PSEdition
}
