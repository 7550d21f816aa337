<#
    .SYNOPSIS
        Reads the volatile reboot marker.

    .DESCRIPTION
        The marker is the key of Get-MailhostRebootMarkerSubKey with the value WrittenAt (ISO 8601
        UTC text).

    .OUTPUTS
        System.String. WrittenAt; '' when the key has no such value; $null when the key does not
        exist.
#>
function Get-MailhostRebootMarker {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    $subKey = Get-MailhostRebootMarkerSubKey
    if (-not (Test-MailhostRegistryKey -SubKey $subKey)) {
        return $null
    }
    $value = Get-MailhostRegistryValue -SubKey $subKey -Name 'WrittenAt'
    if ($null -eq $value) {
        return ''
    }
    return [string]$value.Data
}
