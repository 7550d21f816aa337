<#
    .SYNOPSIS
        Gives the Windows registry type name of a RegistryValueKind name (String -> REG_SZ).

    .PARAMETER Kind
        A RegistryValueKind name.

    .OUTPUTS
        System.String. The REG_* name, or Kind itself when it has none.
#>
function Get-MailhostRegistryTypeName {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Kind
    )

    $names = @{ String = 'REG_SZ'; ExpandString = 'REG_EXPAND_SZ'; Binary = 'REG_BINARY'; DWord = 'REG_DWORD'; MultiString = 'REG_MULTI_SZ'; QWord = 'REG_QWORD'; None = 'REG_NONE'; Unknown = 'REG_NONE' }
    if ($names.ContainsKey($Kind)) {
        return $names[$Kind]
    }
    return $Kind
}
