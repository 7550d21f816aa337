<#
    .SYNOPSIS
        Replaces a file atomically.

    .DESCRIPTION
        The bytes go to a temporary file in the same folder, which then replaces the file
        (File.Replace keeps the previous file as <Path>.bak) or is moved into place. The folder is
        created when it is missing.

    .PARAMETER Path
        The absolute path of the file.

    .PARAMETER Bytes
        The new content of the file (may be empty).

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Write-MailhostFileAtomic {
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

    $directory = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($directory)) {
        $null = [System.IO.Directory]::CreateDirectory($directory)
    }
    $tmp = [System.IO.Path]::Combine($directory, ('{0}.{1}.tmp' -f [System.IO.Path]::GetFileName($Path), [guid]::NewGuid().ToString('N')))
    try {
        [System.IO.File]::WriteAllBytes($tmp, $Bytes)
        if ([System.IO.File]::Exists($Path)) {
            [System.IO.File]::Replace($tmp, $Path, ($Path + '.bak'))
        }
        else {
            [System.IO.File]::Move($tmp, $Path)
        }
    }
    finally {
        if ([System.IO.File]::Exists($tmp)) {
            [System.IO.File]::Delete($tmp)
        }
    }
}
