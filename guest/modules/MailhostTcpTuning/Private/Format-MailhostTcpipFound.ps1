<#
    .SYNOPSIS
        Formats a Tcpip value as a correction event shows what was found.

    .PARAMETER Value
        The value as Get-MailhostTcpipValue reads it.

    .OUTPUTS
        System.String. '<DWORD> (REG_DWORD)', 'absent', '<REG_TYPE> "<data>"' or 'unreadable'.
#>
function Format-MailhostTcpipFound {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Value
    )

    switch ($Value.State) {
        'DWord' { return ('{0} (REG_DWORD)' -f $Value.Value) }
        'Absent' { return 'absent' }
        'WrongKind' { return ('{0} "{1}"' -f (Get-MailhostRegistryTypeName -Kind $Value.Kind), $Value.Data) }
        default { return 'unreadable' }
    }
}
