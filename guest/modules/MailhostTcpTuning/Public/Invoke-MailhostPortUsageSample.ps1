<#
    .SYNOPSIS
        Takes one port-usage sample and writes it as an event.

    .DESCRIPTION
        Reads the connections (netstat when Get-NetTCPConnection fails), counts them against the
        pool, and writes the reading (ReadingEventId) or the failure (FailedEventId, Warning) with
        Write-MailhostEventLogEntry. The sampler's script (Get-MailhostPortUsageScriptText) calls it
        every minute with the values of PortUsage.json, which come from Limits.psd1
        (PortUsageEventSource, PortUsageEventLog, PortUsageEventIds). Throws after writing the
        failure.

    .PARAMETER Model
        The capacity model: 'hostPool' or 'perBackend'.

    .PARAMETER PoolStartPort
        The first port of the pool.

    .PARAMETER PoolNumberOfPorts
        The number of ports of the pool.

    .PARAMETER Limit
        The most endpoints listed in a reading (1 to 1000).

    .PARAMETER Source
        The event source (letters, digits and -).

    .PARAMETER LogName
        The log the source is registered in (letters, digits, spaces and -).

    .PARAMETER ReadingEventId
        The event id of a reading.

    .PARAMETER FailedEventId
        The event id of a failed sample.

    .OUTPUTS
        System.String. The reading (JSON).
#>
function Invoke-MailhostPortUsageSample {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [ValidateSet('hostPool', 'perBackend')]
        [string]$Model,

        [Parameter(Mandatory)]
        [int]$PoolStartPort,

        [Parameter(Mandatory)]
        [int]$PoolNumberOfPorts,

        [Parameter(Mandatory)]
        [ValidateRange(1, 1000)]
        [int]$Limit,

        [Parameter(Mandatory)]
        [ValidatePattern('^[A-Za-z0-9-]+$')]
        [string]$Source,

        [Parameter(Mandatory)]
        [ValidatePattern('^[A-Za-z0-9 -]+$')]
        [string]$LogName,

        [Parameter(Mandatory)]
        [int]$ReadingEventId,

        [Parameter(Mandatory)]
        [int]$FailedEventId
    )

    try {
        try {
            $rows = Get-MailhostNetTcpConnection
            $from = 'Get-NetTCPConnection'
        }
        catch {
            $rows = ConvertFrom-MailhostNetstat -Line (Get-MailhostNetstatLine)
            $from = 'netstat'
        }
        $usage = Measure-MailhostPortUsage -Row $rows -StartPort $PoolStartPort -NumberOfPorts $PoolNumberOfPorts
        $reading = ConvertTo-MailhostPortUsageReading -Usage $usage -Model $Model -BudgetPorts $PoolNumberOfPorts -Limit $Limit -Source $from
        Write-MailhostEventLogEntry -Source $Source -LogName $LogName -EventId $ReadingEventId -EntryType 'Information' -Values @($reading)
        return $reading
    }
    catch {
        Write-MailhostEventLogEntry -Source $Source -LogName $LogName -EventId $FailedEventId -EntryType 'Warning' -Values @("The port-usage reading could not be taken: $($_.Exception.Message)")
        throw
    }
}
