<#
    .SYNOPSIS
        Tells whether a path is absolute.

    .DESCRIPTION
        Absolute: a drive and a separator (C:\...) or a UNC path (\\server\share\...); on a
        non-Windows host (tests) also /... . A path such as \dir or C:dir is relative to something.

    .PARAMETER Path
        The path to test (may be empty or $null: not absolute).

    .OUTPUTS
        System.Boolean. $true for an absolute path.
#>
function Test-MailhostAbsolutePath {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$Path
    )

    if ([string]::IsNullOrWhiteSpace($Path) -or $Path.IndexOfAny([System.IO.Path]::GetInvalidPathChars()) -ge 0) {
        return $false
    }
    if ($Path -match '^[A-Za-z]:[\\/]' -or $Path -match '^\\\\[^\\/]+[\\/][^\\/]+') {
        return $true
    }
    return ([System.IO.Path]::DirectorySeparatorChar -eq '/' -and $Path.StartsWith('/'))
}
