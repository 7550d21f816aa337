<#
    .SYNOPSIS
        Writes one of the port-usage sampler's files, creating its folder.

    .PARAMETER Path
        The absolute path of the file.

    .PARAMETER Bytes
        The content (may be empty).

    .OUTPUTS
        None.
#>
function Write-MailhostPortUsageFile {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Path,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [byte[]]$Bytes
    )

    $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))
    [System.IO.File]::WriteAllBytes($Path, $Bytes)
}
