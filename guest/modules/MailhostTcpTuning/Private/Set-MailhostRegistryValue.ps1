<#
    .SYNOPSIS
        Writes one value below HKLM (64-bit registry view).

    .DESCRIPTION
        An existing value of any kind is replaced. Throws when the key does not exist.

    .PARAMETER SubKey
        The key below HKLM, without the hive; it must exist.

    .PARAMETER Name
        The name of the value.

    .PARAMETER Value
        The data to write.

    .PARAMETER Kind
        The RegistryValueKind name of the value, such as 'DWord'.

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Set-MailhostRegistryValue {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$SubKey,

        [Parameter(Mandatory)]
        [string]$Name,

        [Parameter(Mandatory)]
        [object]$Value,

        [Parameter(Mandatory)]
        [string]$Kind
    )

    $valueKind = [Microsoft.Win32.RegistryValueKind]$Kind
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey, $true)
        if ($null -eq $key) {
            throw ('Registry key HKLM\{0} does not exist.' -f $SubKey)
        }
        try {
            $key.SetValue($Name, $Value, $valueKind)
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}
