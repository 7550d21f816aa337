<#
    .SYNOPSIS
        Gives the reason for a port-usage sampler that is missing or differs.

    .PARAMETER Differs
        What differs (Compare-MailhostPortUsageSampler); empty or $null when nothing does.

    .OUTPUTS
        System.Collections.Hashtable. The reason (New-MailhostReason), or $null when the sampler is
        as desired.
#>
function Get-MailhostPortUsageSamplerReason {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyCollection()]
        [string[]]$Differs
    )

    if (@($Differs).Count -eq 0) {
        return $null
    }
    return (New-MailhostReason -Setting 'PortUsageSampler' -Sentence 'The port-usage sampler (scheduled task \MailhostIac\PortUsageSampler, its script and its pool settings) is missing or differs.' -Actual ('differs: {0}' -f (@($Differs) -join ',')) -Desired 'installed')
}
