<#
    .SYNOPSIS
        Hashes bytes with SHA-256.

    .PARAMETER Bytes
        The bytes to hash (may be empty).

    .OUTPUTS
        System.String. The hash as 64 lower-case hex digits.
#>
function Get-MailhostSha256Hex {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [byte[]]$Bytes
    )

    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        return [System.BitConverter]::ToString($sha.ComputeHash($Bytes)).Replace('-', '').ToLowerInvariant()
    }
    finally {
        $sha.Dispose()
    }
}
