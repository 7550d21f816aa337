<#
    .SYNOPSIS
        Reads connections from "netstat -ano" lines.

    .DESCRIPTION
        UDP, header and blank lines are skipped. States are renamed as Get-NetTCPConnection names
        them.

    .PARAMETER Line
        The lines of netstat -ano.

    .OUTPUTS
        System.Management.Automation.PSCustomObject. One @{ LocalPort; RemoteAddress; RemotePort;
        State } per TCP line.
#>
function ConvertFrom-MailhostNetstat {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.PSCustomObject])]
    param
    (
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]]$Line
    )

    $states = Get-MailhostNetstatStateMap
    $pattern = [regex]::new('^\s*TCP\s+\[?([^\s\]]*)\]?:(\d+)\s+\[?([^\s\]]*)\]?:(\d+)\s+([A-Z_0-9]+)\s+\d+\s*$', [System.Text.RegularExpressions.RegexOptions]::Compiled)
    $rows = [System.Collections.Generic.List[object]]::new($Line.Count)
    foreach ($text in $Line) {
        $m = $pattern.Match($text)
        if (-not $m.Success) {
            continue
        }
        $state = $states[$m.Groups[5].Value]
        if ($null -eq $state) {
            $state = $m.Groups[5].Value
        }
        $rows.Add([pscustomobject]@{
                LocalPort     = [int]$m.Groups[2].Value
                RemoteAddress = $m.Groups[3].Value
                RemotePort    = [int]$m.Groups[4].Value
                State         = $state
            })
    }
    return $rows.ToArray()
}
