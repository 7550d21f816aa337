<#
    .SYNOPSIS
        Formats one reading as the event's message.

    .DESCRIPTION
        Compact JSON (v, model, ports, timeWait, budget, endpoints, source), the busiest endpoints
        first.

    .PARAMETER Usage
        The counts (Measure-MailhostPortUsage).

    .PARAMETER Model
        The capacity model: 'hostPool' (one pool per host) or 'perBackend' (the auto-reuse range, a
        pool per back end).

    .PARAMETER BudgetPorts
        The ports of the pool.

    .PARAMETER Limit
        The most endpoints listed.

    .PARAMETER Source
        Where the connections came from. Defaults to 'Get-NetTCPConnection'.

    .OUTPUTS
        System.String. The JSON text.
#>
function ConvertTo-MailhostPortUsageReading {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Usage,

        [Parameter(Mandatory)]
        [ValidateSet('hostPool', 'perBackend')]
        [string]$Model,

        [Parameter(Mandatory)]
        [int]$BudgetPorts,

        [Parameter(Mandatory)]
        [int]$Limit,

        [string]$Source = 'Get-NetTCPConnection'
    )

    $top = @($Usage.Endpoints.GetEnumerator() | Sort-Object -Property @{ Expression = 'Value'; Descending = $true }, @{ Expression = 'Key'; Descending = $false } | Select-Object -First $Limit |
            ForEach-Object { [ordered]@{ remote = $_.Key; ports = $_.Value } })
    return ([ordered]@{
            v         = 1
            model     = $Model
            ports     = $Usage.Ports
            timeWait  = $Usage.TimeWait
            budget    = $BudgetPorts
            endpoints = $top
            source    = $Source
        } | ConvertTo-Json -Compress -Depth 4)
}
