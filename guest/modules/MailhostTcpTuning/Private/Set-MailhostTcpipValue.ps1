<#
    .SYNOPSIS
        Writes a Tcpip value as a REG_DWORD when it is not already that DWORD.

    .DESCRIPTION
        Records the correction (Write-MailhostCorrectionEvent). Throws when the value cannot be
        read.

    .PARAMETER Name
        The value below Tcpip\Parameters: MaxUserPort or TcpTimedWaitDelay.

    .PARAMETER Desired
        The desired DWORD.

    .OUTPUTS
        System.Boolean. $true when it wrote the value.
#>
function Set-MailhostTcpipValue {
    [CmdletBinding()]
    [OutputType([System.Boolean])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Name,

        [Parameter(Mandatory)]
        [int]$Desired
    )

    $current = Get-MailhostTcpipValue -Name $Name
    if ($current.State -eq 'Unreadable') {
        throw ('{0} cannot be read: {1}' -f $Name, $current.Error)
    }
    if ($current.State -eq 'DWord' -and $current.Value -eq $Desired) {
        return $false
    }
    Set-MailhostRegistryValue -SubKey (Get-MailhostTcpipSubKey) -Name $Name -Value $Desired -Kind 'DWord'
    Write-Verbose -Message ('{0} set to {1} (REG_DWORD); was {2}.' -f $Name, $Desired, $current.State)
    Write-MailhostCorrectionEvent -Setting $Name -Found (Format-MailhostTcpipFound -Value $current) -Written ('{0} (REG_DWORD)' -f $Desired)
    return $true
}
