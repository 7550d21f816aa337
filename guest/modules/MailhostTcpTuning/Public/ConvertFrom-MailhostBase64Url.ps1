<#
    .SYNOPSIS
        Decodes base64url text (RFC 4648 section 5) without padding.

    .DESCRIPTION
        Throws naming the parameter on any character outside the alphabet or an impossible length.

    .PARAMETER Name
        The name of the parameter the text came in, for the error message.

    .PARAMETER Value
        The base64url text (may be empty).

    .OUTPUTS
        System.Byte[]. The decoded bytes.
#>
function ConvertFrom-MailhostBase64Url {
    [CmdletBinding()]
    [OutputType([System.Byte[]])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Name,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
        [string]$Value
    )

    if ($null -eq $Value -or $Value -notmatch '^[A-Za-z0-9_-]*$' -or ($Value.Length % 4) -eq 1) {
        throw ('{0} must be base64url without padding (letters, digits, - and _), got ''{1}''.' -f $Name, (Format-MailhostShortText -Text ([string]$Value)))
    }
    $base64 = $Value.Replace('-', '+').Replace('_', '/')
    switch ($base64.Length % 4) {
        2 { $base64 += '==' }
        3 { $base64 += '=' }
    }
    return , [System.Convert]::FromBase64String($base64)
}
