<#
    .SYNOPSIS
        Lists the LCM configuration documents left on a host that Machine Configuration tunes.

    .DESCRIPTION
        The DSC extension's configuration, which the LCM would keep applying with its own values.
        Empty under Windows PowerShell (the DSC extension, whose configuration this is, and Run
        Command).

    .OUTPUTS
        System.String. The names of the leftover documents, one by one.
#>
function Get-MailhostLeftoverLcmDocument {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    if ((Get-MailhostPowerShellEdition) -ne 'Core') {
        return
    }
    return @(Get-MailhostLcmDocument)
}
