<#
    .SYNOPSIS
        Shortens a text to printable ASCII for messages and reasons.

    .DESCRIPTION
        Characters outside printable ASCII become '?', ';' becomes ',' (reasons use ';' between
        actual and desired), and a longer text ends in '...'.

    .PARAMETER Text
        The text (may be empty or $null).

    .PARAMETER MaxLength
        The most characters returned. Defaults to 40.

    .OUTPUTS
        System.String. At most MaxLength characters.
#>
function Format-MailhostShortText {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$Text,

        [int]$MaxLength = 40
    )

    $clean = ([string]$Text) -replace '[^\x20-\x7E]', '?'
    $clean = $clean -replace ';', ','
    if ($clean.Length -gt $MaxLength) {
        $clean = $clean.Substring(0, $MaxLength - 3) + '...'
    }
    return $clean
}
