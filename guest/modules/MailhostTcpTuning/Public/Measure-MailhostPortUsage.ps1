<#
    .SYNOPSIS
        Counts the used ports of a pool of local ports.

    .DESCRIPTION
        A port of the pool (StartPort..StartPort+NumberOfPorts-1) is used by every row whose local
        port lies in it and that is not a listener. Rows are Get-NetTCPConnection objects as they
        come (live, or read back from a CSV recording, where numbers and the state are text) or
        ConvertFrom-MailhostNetstat rows.

    .PARAMETER Row
        The connections: objects with LocalPort, RemoteAddress, RemotePort and State.

    .PARAMETER StartPort
        The first port of the pool.

    .PARAMETER NumberOfPorts
        The number of ports of the pool.

    .OUTPUTS
        System.Collections.Hashtable. @{ Ports (distinct local ports); TimeWait (rows in TIME_WAIT);
        Endpoints (rows per remote "address:port", "[address]:port" for IPv6; connected rows only)
        }.
#>
function Measure-MailhostPortUsage {
    [CmdletBinding()]
    [OutputType([System.Collections.Hashtable])]
    param
    (
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [object[]]$Row,

        [Parameter(Mandatory)]
        [int]$StartPort,

        [Parameter(Mandatory)]
        [int]$NumberOfPorts
    )

    $end = $StartPort + $NumberOfPorts - 1
    $ports = [System.Collections.Generic.HashSet[int]]::new()
    $endpoints = [System.Collections.Generic.Dictionary[string, int]]::new()
    $timeWait = 0
    foreach ($r in $Row) {
        $port = [int]$r.LocalPort
        $state = [string]$r.State
        if ($port -lt $StartPort -or $port -gt $end -or $state -eq 'Listen') {
            continue
        }
        $null = $ports.Add($port)
        if ($state -eq 'TimeWait') {
            $timeWait++
        }
        $remotePort = [int]$r.RemotePort
        if ($remotePort -eq 0) {
            continue
        }
        $address = [string]$r.RemoteAddress
        $key = if ($address.Contains(':')) { "[$address]:$remotePort" } else { "${address}:$remotePort" }
        $count = 0
        $null = $endpoints.TryGetValue($key, [ref]$count)
        $endpoints[$key] = $count + 1
    }
    return @{ Ports = $ports.Count; TimeWait = $timeWait; Endpoints = $endpoints }
}
