<#
    .SYNOPSIS
        Writes SiteConfig.cfg atomically when its bytes differ.

    .DESCRIPTION
        The bytes must hash to ExpectedSha256, else nothing is written and it throws. The previous
        file is kept as <Path>.bak. Records the correction.

    .PARAMETER Path
        The absolute path of SiteConfig.cfg.

    .PARAMETER Bytes
        The desired content (may be empty).

    .PARAMETER ExpectedSha256
        The SHA-256 the content must have, 64 lower-case hex digits.

    .OUTPUTS
        System.Boolean. $true when it wrote the file.
#>
function Set-MailhostSiteConfig {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Path,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [byte[]]$Bytes,

        [Parameter(Mandatory)]
        [string]$ExpectedSha256
    )

    $arrived = Get-MailhostSha256Hex -Bytes $Bytes
    if ($arrived -ne $ExpectedSha256) {
        throw ('SiteConfigContentBase64Url decodes to content with SHA-256 {0}, not SiteConfigSha256 {1}: {2} left unchanged.' -f $arrived, $ExpectedSha256, $Path)
    }
    $current = Read-MailhostFileBytes -Path $Path
    $found = 'absent'
    if ($null -ne $current) {
        $found = 'SHA-256 ' + (Get-MailhostSha256Hex -Bytes $current)
        if ($found -eq ('SHA-256 ' + $arrived)) {
            return $false
        }
    }
    Write-MailhostFileAtomic -Path $Path -Bytes $Bytes
    Write-MailhostCorrectionEvent -Setting 'SiteConfig' -Found $found -Written ('SHA-256 ' + $arrived)
    return $true
}
