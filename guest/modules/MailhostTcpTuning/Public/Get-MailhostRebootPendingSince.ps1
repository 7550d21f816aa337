<#
    .SYNOPSIS
        Tells since when a Tcpip write waits for a reboot.

    .DESCRIPTION
        Reads the volatile marker; a marker written before the last boot (which a volatile key
        cannot be) is ignored too.

    .OUTPUTS
        System.String. WrittenAt as yyyy-MM-ddTHH:mm:ssZ, 'an unknown time' when it cannot be
        parsed, or $null when no reboot is pending.
#>
function Get-MailhostRebootPendingSince {
    [CmdletBinding()]
    [OutputType([System.String])]
    param ()

    $writtenAt = Get-MailhostRebootMarker
    if ($null -eq $writtenAt) {
        return $null
    }
    $parsed = [datetime]::MinValue
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    if ([datetime]::TryParse($writtenAt, [System.Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$parsed)) {
        $bootTime = $null
        try {
            $bootTime = Get-MailhostBootTime
        }
        catch {
            # Boot time unknown: trust the volatile key, which a reboot removes anyway.
            $bootTime = $null
        }
        if ($null -ne $bootTime -and $parsed -lt $bootTime) {
            return $null
        }
        return $parsed.ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
    }
    return 'an unknown time'
}
