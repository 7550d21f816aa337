<#
    .SYNOPSIS
        Removes leftover LCM configuration documents (see Get-MailhostLeftoverLcmDocument).

    .OUTPUTS
        System.Boolean. $true when it removed any.
#>
function Clear-MailhostLeftoverLcmDocument {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param ()

    if (@(Get-MailhostLeftoverLcmDocument).Count -eq 0) {
        return $false
    }
    Remove-MailhostLcmDocument
    return $true
}
