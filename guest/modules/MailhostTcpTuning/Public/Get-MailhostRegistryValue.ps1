<#
    .SYNOPSIS
        Reads one value below HKLM (64-bit registry view).

    .DESCRIPTION
        Throws when the key does not exist or cannot be read.

    .PARAMETER SubKey
        The key below HKLM, without the hive.

    .PARAMETER Name
        The name of the value.

    .OUTPUTS
        System.Collections.Hashtable. @{ Kind = '<RegistryValueKind name>'; Data = <object> }, or
        $null when the value is absent.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Get-MailhostRegistryValue {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [string]$SubKey,

        [Parameter(Mandatory)]
        [string]$Name
    )

    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey, $false)
        if ($null -eq $key) {
            throw ('key HKLM\{0} not found' -f $SubKey)
        }
        try {
            if (@($key.GetValueNames()) -notcontains $Name) {
                return $null
            }
            $kind = $key.GetValueKind($Name)
            $data = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            return @{ Kind = [string]$kind; Data = $data }
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}
