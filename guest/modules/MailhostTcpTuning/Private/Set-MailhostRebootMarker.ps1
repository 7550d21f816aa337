<#
    .SYNOPSIS
        Creates the volatile reboot marker.

    .DESCRIPTION
        Creates the VOLATILE key HKLM\SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot with the
        value WrittenAt. Windows does not keep volatile keys across a reboot
        (RegistryOptions.Volatile, REG_OPTION_VOLATILE).

    .PARAMETER WrittenAt
        When the Tcpip write happened, as ISO 8601 UTC text.

    .OUTPUTS
        None.

    .NOTES
        Machine edge: one of the few functions that touch the machine; the tests replace it with a
        fake machine (test/guest/GuestTestSupport.ps1).
#>
function Set-MailhostRebootMarker {
    [CmdletBinding()]
    [OutputType([System.Void])]
    param
    (
        [Parameter(Mandatory)]
        [string]$WrittenAt
    )

    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.CreateSubKey((Get-MailhostRebootMarkerSubKey), [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, [Microsoft.Win32.RegistryOptions]::Volatile)
        try {
            $key.SetValue('WrittenAt', $WrittenAt, [Microsoft.Win32.RegistryValueKind]::String)
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}
