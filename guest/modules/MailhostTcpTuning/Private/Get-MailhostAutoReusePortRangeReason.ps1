<#
    .SYNOPSIS
        Compares the auto-reuse port range with the desired one.

    .PARAMETER Desired
        The desired range @{ StartPort; NumberOfPorts }, or $null when the host's range is left
        alone.

    .PARAMETER Actual
        The range as Get-MailhostAutoReusePortRange reads it, @{ Error } when it could not, or $null
        when not read.

    .OUTPUTS
        System.Collections.Hashtable. The reason (New-MailhostReason), or $null when the range is as
        desired or left alone.
#>
function Get-MailhostAutoReusePortRangeReason {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [AllowNull()]
        [hashtable]$Desired,

        [Parameter(Mandatory)]
        [AllowNull()]
        [hashtable]$Actual
    )

    if ($null -eq $Desired) {
        return $null
    }
    $want = '{0}+{1}' -f $Desired.StartPort, $Desired.NumberOfPorts
    if ($null -eq $Actual -or $Actual.ContainsKey('Error')) {
        $why = 'not read'
        if ($null -ne $Actual) {
            $why = Format-MailhostShortText -Text $Actual.Error
        }
        return New-MailhostReason -Setting 'AutoReusePortRange' -Sentence ('The auto-reuse port range cannot be read: {0}.' -f $why) -Actual 'unreadable' -Desired $want
    }
    if ($Actual.ContainsKey('Mixed')) {
        return New-MailhostReason -Setting 'AutoReusePortRange' -Sentence 'The TCP setting templates report different auto-reuse port ranges.' -Actual (Format-MailhostShortText -Text $Actual.Mixed -MaxLength 100) -Desired $want
    }
    if ($Actual.StartPort -ne $Desired.StartPort -or $Actual.NumberOfPorts -ne $Desired.NumberOfPorts) {
        $sentence = 'The auto-reuse port range differs from the desired one.'
        if ($Actual.NumberOfPorts -eq 0) {
            $sentence = 'The auto-reuse port range is off (0 ports), so every connection draws from the dynamic port range.'
        }
        return New-MailhostReason -Setting 'AutoReusePortRange' -Sentence $sentence -Actual ('{0}+{1}' -f $Actual.StartPort, $Actual.NumberOfPorts) -Desired $want
    }
    return $null
}
