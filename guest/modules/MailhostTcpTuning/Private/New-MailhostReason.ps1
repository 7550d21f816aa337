<#
    .SYNOPSIS
        Builds one reason of the DSC resource.

    .PARAMETER Setting
        The setting that differs; the last part of the code.

    .PARAMETER Sentence
        What differs, in words an operator can act on.

    .PARAMETER Actual
        The value found.

    .PARAMETER Desired
        The value wanted.

    .OUTPUTS
        System.Collections.Hashtable. @{ Code = 'MailhostTcpTuning:MailhostTcpTuning:<Setting>';
        Phrase = '<sentence> actual=<actual>; desired=<desired>' }.
#>
function New-MailhostReason {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Setting,

        [Parameter(Mandatory)]
        [string]$Sentence,

        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Actual,

        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string]$Desired
    )

    return @{ Code = ('MailhostTcpTuning:MailhostTcpTuning:{0}' -f $Setting); Phrase = ('{0} actual={1}; desired={2}' -f $Sentence, $Actual, $Desired) }
}
