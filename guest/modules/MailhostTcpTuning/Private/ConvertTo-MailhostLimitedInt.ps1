<#
    .SYNOPSIS
        Converts a number parameter, checking it against its range of Limits.psd1.

    .DESCRIPTION
        The value must be plain decimal digits inside the range Limits.psd1 gives the setting
        (generated from domain/limits.ts). Throws naming the setting, the value and the range.

    .PARAMETER Name
        The setting, a key of Limits.psd1 such as MaxUserPort.

    .PARAMETER Value
        The value as it arrived (text).

    .OUTPUTS
        System.Int32. The number.
#>
function ConvertTo-MailhostLimitedInt {
    [CmdletBinding()]
    [OutputType([System.Int32])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Name,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$Value
    )

    $range = $script:MailhostTcpTuningLimits[$Name]
    if ($null -eq $range) {
        throw ('No limits are known for {0}.' -f $Name)
    }
    $number = [long]0
    $digits = ($null -ne $Value) -and ($Value -match '^[0-9]{1,9}$')
    if ($digits) {
        $number = [long]::Parse($Value, [System.Globalization.CultureInfo]::InvariantCulture)
    }
    if (-not $digits -or $number -lt $range.Min -or $number -gt $range.Max) {
        throw ('{0} = ''{1}'' is not allowed: it must be plain decimal digits in {2}.' -f $Name, (Format-MailhostShortText -Text ([string]$Value)), (Format-MailhostRange -Range $range))
    }
    return [int]$number
}
