<#
    .SYNOPSIS
        Reads the bytes of a file.

    .DESCRIPTION
        Throws when the path is a folder or the file cannot be read.

    .PARAMETER Path
        The absolute path of the file.

    .OUTPUTS
        System.Byte[]. The bytes of the file, or $null when it does not exist.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Read-MailhostFileBytes {
    [CmdletBinding()]
    [OutputType([System.Byte[]])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Path
    )

    if ([System.IO.Directory]::Exists($Path)) {
        throw 'path is not a file'
    }
    if (-not [System.IO.File]::Exists($Path)) {
        return $null
    }
    return , [System.IO.File]::ReadAllBytes($Path)
}
