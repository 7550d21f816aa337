<#
    .SYNOPSIS
        Compares one Tcpip value with its desired DWORD.

    .DESCRIPTION
        An absent value or one of another kind says what Windows uses instead (its default from
        Limits.psd1).

    .PARAMETER Value
        The value as Get-MailhostTcpipValue reads it.

    .PARAMETER Desired
        The desired DWORD.

    .OUTPUTS
        System.Collections.Hashtable. The reason (New-MailhostReason), or $null when the value is as
        desired.
#>
function Get-MailhostTcpipReason {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Value,

        [Parameter(Mandatory)]
        [int]$Desired
    )

    $name = $Value.Name
    $default = $script:MailhostTcpTuningLimits['WindowsDefaults'][$name]
    if ($null -eq $default) {
        $effective = 'Windows applies no legacy cap and the dynamic port range alone decides'
    }
    else {
        $effective = 'Windows uses its default of {0} {1}' -f $default, $script:MailhostTcpTuningLimits[$name].Unit
    }
    switch ($Value.State) {
        'DWord' {
            if ($Value.Value -eq $Desired) {
                return $null
            }
            return New-MailhostReason -Setting $name -Sentence ('{0} is {1}, not the desired value.' -f $name, $Value.Value) -Actual ([string]$Value.Value) -Desired ([string]$Desired)
        }
        'Absent' {
            return New-MailhostReason -Setting $name -Sentence ('{0} is not set, so {1}.' -f $name, $effective) -Actual 'absent' -Desired ([string]$Desired)
        }
        'WrongKind' {
            $type = Get-MailhostRegistryTypeName -Kind $Value.Kind
            return New-MailhostReason -Setting $name -Sentence ('{0} is a {1} value, which TCP/IP ignores, so {2}.' -f $name, $type, $effective) -Actual ('{0} "{1}"' -f $type, $Value.Data) -Desired ([string]$Desired)
        }
        default {
            return New-MailhostReason -Setting $name -Sentence ('{0} cannot be read: {1}.' -f $name, (Format-MailhostShortText -Text $Value.Error)) -Actual 'unreadable' -Desired ([string]$Desired)
        }
    }
}
