<#
    .SYNOPSIS
        Decodes UTF-8 bytes to text.

    .DESCRIPTION
        Throws naming the parameter on bytes that are not UTF-8.

    .PARAMETER Name
        The name of the parameter the bytes came in, for the error message.

    .PARAMETER Bytes
        The UTF-8 bytes (may be empty).

    .OUTPUTS
        System.String. The text.
#>
function ConvertFrom-MailhostUtf8 {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Name,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [byte[]]$Bytes
    )

    $strict = [System.Text.UTF8Encoding]::new($false, $true)
    try {
        return $strict.GetString($Bytes)
    }
    catch {
        throw ('{0} does not decode to UTF-8 text.' -f $Name)
    }
}
