<#
    .SYNOPSIS
        Reads one Tcpip value and classifies it.

    .DESCRIPTION
        A REG_DWORD is read as the unsigned number it is; a value of another kind, which TCP/IP
        ignores, is WrongKind; a read failure is Unreadable (never thrown).

    .PARAMETER Name
        The value below Tcpip\Parameters: MaxUserPort or TcpTimedWaitDelay.

    .OUTPUTS
        System.Collections.Hashtable. @{ Name; State = 'Absent' | 'DWord' | 'WrongKind' |
        'Unreadable'; Value (unsigned, as long; DWord only); Kind (RegistryValueKind name); Data
        (text; WrongKind only); Error (text; Unreadable only) }.
#>
function Get-MailhostTcpipValue {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Name
    )

    try {
        $raw = Get-MailhostRegistryValue -SubKey (Get-MailhostTcpipSubKey) -Name $Name
    }
    catch {
        return @{ Name = $Name; State = 'Unreadable'; Error = [string]$_.Exception.Message }
    }
    if ($null -eq $raw) {
        return @{ Name = $Name; State = 'Absent' }
    }
    if ($raw.Kind -eq 'DWord') {
        # A REG_DWORD arrives as a signed Int32: read it as the unsigned number it is.
        $unsigned = [long][System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([int]$raw.Data), 0)
        return @{ Name = $Name; State = 'DWord'; Kind = 'DWord'; Value = $unsigned }
    }
    return @{ Name = $Name; State = 'WrongKind'; Kind = [string]$raw.Kind; Data = (Format-MailhostRegistryData -Data $raw.Data) }
}
