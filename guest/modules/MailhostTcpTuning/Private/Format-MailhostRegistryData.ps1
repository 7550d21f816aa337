<#
    .SYNOPSIS
        Formats registry data as short text (at most 40 characters).

    .DESCRIPTION
        Strings as they are, arrays joined by ',', bytes as hex.

    .PARAMETER Data
        The data of a registry value (may be $null or empty).

    .OUTPUTS
        System.String. The short text.
#>
function Format-MailhostRegistryData {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [AllowEmptyCollection()]
        [object]$Data
    )

    if ($null -eq $Data) {
        return ''
    }
    if ($Data -is [byte[]]) {
        $text = [System.BitConverter]::ToString($Data).Replace('-', ' ')
    }
    elseif ($Data -is [array]) {
        $text = (@($Data) | ForEach-Object { [string]$_ }) -join ','
    }
    else {
        $text = [string]$Data
    }
    return Format-MailhostShortText -Text $text
}
