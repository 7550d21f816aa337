<#
    .SYNOPSIS
        Tells whether a key below HKLM exists (64-bit registry view).

    .PARAMETER SubKey
        The key below HKLM, without the hive.

    .OUTPUTS
        System.Boolean. $true when the key exists.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Test-MailhostRegistryKey {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param
    (
        [Parameter(Mandatory)]
        [string]$SubKey
    )

    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey, $false)
        if ($null -eq $key) {
            return $false
        }
        $key.Dispose()
        return $true
    }
    finally {
        $base.Dispose()
    }
}
