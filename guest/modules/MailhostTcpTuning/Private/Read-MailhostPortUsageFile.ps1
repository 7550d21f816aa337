<#
    .SYNOPSIS
        Reads one of the port-usage sampler's files.

    .PARAMETER Path
        The absolute path of the file.

    .OUTPUTS
        System.Byte[]. The bytes, or $null when the file is absent or unreadable.
#>
function Read-MailhostPortUsageFile {
    [CmdletBinding()]
    [OutputType([System.Byte[]])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Path
    )

    if (-not [System.IO.File]::Exists($Path)) {
        return $null
    }
    try {
        return , [System.IO.File]::ReadAllBytes($Path)
    }
    catch {
        return $null
    }
}
