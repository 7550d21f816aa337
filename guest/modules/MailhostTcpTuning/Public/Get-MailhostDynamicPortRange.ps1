<#
    .SYNOPSIS
        Reads the TCP dynamic port range of one IP version from netsh.

    .DESCRIPTION
        "netsh int <ipv> show dynamicport tcp" labels its lines in the display language ("Start
        Port", "Startport", "Port de demarrage"), so the first two integers after a colon are taken.
        Throws when netsh fails or the output has no two numbers.

    .PARAMETER IpVersion
        The IP version: 'ipv4' or 'ipv6'.

    .OUTPUTS
        System.Collections.Hashtable. @{ StartPort; NumberOfPorts }.
#>
function Get-MailhostDynamicPortRange {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion
    )

    $result = Get-MailhostNetshDynamicPort -IpVersion $IpVersion
    $text = (@($result.Output) -join "`n")
    $flat = (@($result.Output) | Where-Object { -not [string]::IsNullOrWhiteSpace($_) } | ForEach-Object { $_.Trim() }) -join ' '
    if ($result.ExitCode -ne 0) {
        throw ('netsh int {0} show dynamicport tcp failed with exit code {1}: {2}' -f $IpVersion, $result.ExitCode, (Format-MailhostShortText -Text $flat -MaxLength 200))
    }
    $found = [regex]::Matches($text, ':[ \t\u00A0\u202F]*([0-9]+)')
    if ($found.Count -lt 2) {
        throw ('cannot parse the output of netsh int {0} show dynamicport tcp: {1}' -f $IpVersion, (Format-MailhostShortText -Text $flat -MaxLength 200))
    }
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    return @{ StartPort = [int]::Parse($found[0].Groups[1].Value, $invariant); NumberOfPorts = [int]::Parse($found[1].Groups[1].Value, $invariant) }
}
