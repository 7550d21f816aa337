<#
    .SYNOPSIS
        Formats a range of Limits.psd1 as messages show it.

    .PARAMETER Range
        A range of Limits.psd1: @{ Min; Max; Unit }.

    .OUTPUTS
        System.String. "<min><en dash><max> (<unit>)".
#>
function Format-MailhostRange {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Range
    )

    return ('{0}{1}{2} ({3})' -f $Range.Min, [char]0x2013, $Range.Max, $Range.Unit)
}
