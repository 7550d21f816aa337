# The port-usage sampler: its parsers and counts on recorded Get-NetTCPConnection and
# netstat -ano output (test/integration/guest/fixtures/portUsage, written by make-recordings.mjs in the formats
# Windows prints), the reading it writes, and its run time on a fake host with 60,000 connections.
# The expected counts are computed here, independently, by a group-by over the recordings' rows.

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'GuestTestSupport.ps1')
    $script:MailhostTcpTuningLimits = Import-PowerShellDataFile -LiteralPath (Join-Path -Path $script:ModuleDir -ChildPath 'Limits.psd1')
    foreach ($functionFile in $script:FunctionFiles) { . $functionFile }
    $script:Fixtures = Join-Path -Path $PSScriptRoot -ChildPath 'fixtures/portUsage'
    # The committed stacks' dynamic range: 10000 + 55535 ports.
    $script:Start = 10000
    $script:Count = 55535

    # Expected counts by a plain group-by over rows (LocalPort, RemoteAddress, RemotePort, State).
    function Get-ExpectedUsage {
        param ($Rows)
        $inPool = @($Rows | Where-Object { [int]$_.LocalPort -ge $script:Start -and [int]$_.LocalPort -le ($script:Start + $script:Count - 1) -and $_.State -ne 'Listen' })
        $endpoints = @{}
        $inPool | Where-Object { [int]$_.RemotePort -ne 0 } | Group-Object -Property { if ($_.RemoteAddress -match ':') { "[$($_.RemoteAddress)]:$($_.RemotePort)" } else { "$($_.RemoteAddress):$($_.RemotePort)" } } |
            ForEach-Object { $endpoints[$_.Name] = $_.Count }
        return @{
            Ports     = @($inPool | Group-Object -Property LocalPort).Count
            TimeWait  = @($inPool | Where-Object State -EQ 'TimeWait').Count
            Endpoints = $endpoints
        }
    }

    function ConvertTo-PlainTable {
        param ($Dictionary)
        $out = @{}
        foreach ($k in $Dictionary.Keys) { $out[$k] = $Dictionary[$k] }
        return $out
    }
}

Describe 'Measure-MailhostPortUsage on a recorded Get-NetTCPConnection' {
    BeforeAll {
        $script:Recorded = @(Import-Csv -LiteralPath (Join-Path $script:Fixtures 'Get-NetTCPConnection.csv'))
    }

    It 'counts the host total and each back end as a group-by over the recording does' {
        $expected = Get-ExpectedUsage -Rows $script:Recorded
        $usage = Measure-MailhostPortUsage -Row $script:Recorded -StartPort $script:Start -NumberOfPorts $script:Count
        $usage.Ports | Should -Be $expected.Ports
        $usage.TimeWait | Should -Be $expected.TimeWait
        (ConvertTo-PlainTable $usage.Endpoints).Keys | Sort-Object | Should -Be ($expected.Endpoints.Keys | Sort-Object)
        foreach ($key in $expected.Endpoints.Keys) {
            $usage.Endpoints[$key] | Should -Be $expected.Endpoints[$key] -Because $key
        }
        $usage.Ports | Should -BeGreaterThan 100 -Because 'the recording has outbound IMAP connections in the range'
    }

    It 'leaves out listeners and ports outside the pool' {
        $usage = Measure-MailhostPortUsage -Row $script:Recorded -StartPort 65000 -NumberOfPorts 1
        $usage.Ports | Should -Be @($script:Recorded | Where-Object { $_.LocalPort -eq '65000' -and $_.State -ne 'Listen' }).Count
    }
}

Describe 'ConvertFrom-MailhostNetstat on a recorded netstat -ano' {
    BeforeAll {
        $script:Lines = [System.IO.File]::ReadAllLines((Join-Path $script:Fixtures 'netstat-ano.txt'))
        # An independent reading of the same text: split on white space, TCP lines only.
        $script:Split = @(foreach ($line in $script:Lines) {
                $f = -split $line
                if ($f.Count -ne 5 -or $f[0] -ne 'TCP') { continue }
                $local = $f[1].LastIndexOf(':'); $remote = $f[2].LastIndexOf(':')
                $states = @{ LISTENING = 'Listen'; ESTABLISHED = 'Established'; TIME_WAIT = 'TimeWait'; CLOSE_WAIT = 'CloseWait'; FIN_WAIT_2 = 'FinWait2' }
                [pscustomobject]@{
                    LocalPort     = [int]$f[1].Substring($local + 1)
                    RemoteAddress = $f[2].Substring(0, $remote).Trim('[', ']')
                    RemotePort    = [int]$f[2].Substring($remote + 1)
                    State         = $states[$f[3]]
                }
            })
    }

    It 'reads every TCP line and skips the header, UDP and blank lines' {
        $rows = ConvertFrom-MailhostNetstat -Line $script:Lines
        $rows.Count | Should -Be $script:Split.Count
        $rows.Count | Should -Be @($script:Lines | Where-Object { $_ -match '^\s+TCP\s' }).Count
    }

    It 'counts the host total and each back end as a group-by over the recording does' {
        $expected = Get-ExpectedUsage -Rows $script:Split
        $usage = Measure-MailhostPortUsage -Row (ConvertFrom-MailhostNetstat -Line $script:Lines) -StartPort $script:Start -NumberOfPorts $script:Count
        $usage.Ports | Should -Be $expected.Ports
        $usage.TimeWait | Should -Be $expected.TimeWait
        (ConvertTo-PlainTable $usage.Endpoints).Keys | Sort-Object | Should -Be ($expected.Endpoints.Keys | Sort-Object)
        foreach ($key in $expected.Endpoints.Keys) {
            $usage.Endpoints[$key] | Should -Be $expected.Endpoints[$key] -Because $key
        }
    }

    It 'gives the same counts as the Get-NetTCPConnection recording of the same connections' {
        $fromCsv = Measure-MailhostPortUsage -Row @(Import-Csv -LiteralPath (Join-Path $script:Fixtures 'Get-NetTCPConnection.csv')) -StartPort $script:Start -NumberOfPorts $script:Count
        $fromNetstat = Measure-MailhostPortUsage -Row (ConvertFrom-MailhostNetstat -Line $script:Lines) -StartPort $script:Start -NumberOfPorts $script:Count
        $fromNetstat.Ports | Should -Be $fromCsv.Ports
        (ConvertTo-PlainTable $fromNetstat.Endpoints).Count | Should -Be $fromCsv.Endpoints.Count
    }

    It 'reads IPv6 addresses with their brackets and zone ids' {
        $rows = ConvertFrom-MailhostNetstat -Line @('  TCP    [fe80::1%4]:50001          [fe80::2%4]:443            ESTABLISHED     3120')
        $rows[0].RemoteAddress | Should -Be 'fe80::2%4'
        $rows[0].RemotePort | Should -Be 443
        $rows[0].LocalPort | Should -Be 50001
    }
}

Describe 'Invoke-MailhostPortUsageSample' {
    BeforeAll {
        $script:Recorded = @(Import-Csv -LiteralPath (Join-Path $script:Fixtures 'Get-NetTCPConnection.csv'))
    }
    BeforeEach {
        $script:Events = [System.Collections.Generic.List[object]]::new()
        Mock Write-MailhostEventLogEntry { $script:Events.Add(@{ Source = $Source; LogName = $LogName; EventId = $EventId; EntryType = $EntryType; Values = @($Values) }) }
    }

    It 'writes one reading (the reading event of Limits.psd1) with the counts and the budget' {
        Mock Get-MailhostNetTcpConnection { $script:Recorded }
        $expected = Get-ExpectedUsage -Rows $script:Recorded
        $null = Invoke-MailhostPortUsageSample -Model 'hostPool' -PoolStartPort $script:Start -PoolNumberOfPorts $script:Count -Limit 3 -Source $script:Limits.PortUsageEventSource -LogName $script:Limits.PortUsageEventLog -ReadingEventId $script:Limits.PortUsageEventIds.Reading -FailedEventId $script:Limits.PortUsageEventIds.Failed
        $script:Events.Count | Should -Be 1
        $script:Events[0].EventId | Should -Be $script:Limits.PortUsageEventIds.Reading
        $script:Events[0].Source | Should -Be $script:Limits.PortUsageEventSource
        $script:Events[0].LogName | Should -Be $script:Limits.PortUsageEventLog
        # One insertion string, the whole message of the event: the reading.
        $script:Events[0].Values.Count | Should -Be 1
        $reading = $script:Events[0].Values[0] | ConvertFrom-Json
        $reading.ports | Should -Be $expected.Ports
        $reading.budget | Should -Be $script:Count
        $reading.source | Should -Be 'Get-NetTCPConnection'
        $top = @($expected.Endpoints.GetEnumerator() | Sort-Object -Property @{ Expression = 'Value'; Descending = $true }, 'Key' | Select-Object -First 3)
        @($reading.endpoints).Count | Should -Be 3
        @($reading.endpoints.remote) | Should -Be @($top.Key)
        @($reading.endpoints.ports) | Should -Be @($top.Value)
    }

    It 'falls back to netstat when Get-NetTCPConnection fails' {
        Mock Get-MailhostNetTcpConnection { throw 'Invalid class' }
        Mock Get-MailhostNetstatLine { [System.IO.File]::ReadAllLines((Join-Path $script:Fixtures 'netstat-ano.txt')) }
        $reading = Invoke-MailhostPortUsageSample -Model 'hostPool' -PoolStartPort $script:Start -PoolNumberOfPorts $script:Count -Limit 20 -Source $script:Limits.PortUsageEventSource -LogName $script:Limits.PortUsageEventLog -ReadingEventId $script:Limits.PortUsageEventIds.Reading -FailedEventId $script:Limits.PortUsageEventIds.Failed | ConvertFrom-Json
        $reading.source | Should -Be 'netstat'
        $reading.ports | Should -Be (Get-ExpectedUsage -Rows $script:Recorded).Ports
    }

    It 'writes a warning (the failed event of Limits.psd1) and fails when no reading can be taken' {
        Mock Get-MailhostNetTcpConnection { throw 'Invalid class' }
        Mock Get-MailhostNetstatLine { throw 'netstat -ano -p TCP exited with 1.' }
        { Invoke-MailhostPortUsageSample -Model 'hostPool' -PoolStartPort $script:Start -PoolNumberOfPorts $script:Count -Limit 20 -Source $script:Limits.PortUsageEventSource -LogName $script:Limits.PortUsageEventLog -ReadingEventId $script:Limits.PortUsageEventIds.Reading -FailedEventId $script:Limits.PortUsageEventIds.Failed } | Should -Throw
        $script:Events.Count | Should -Be 1
        $script:Events[0].EventId | Should -Be $script:Limits.PortUsageEventIds.Failed
        $script:Events[0].EntryType | Should -Be 'Warning'
    }
}

Describe 'Run time on a fake host with 60,000 connections' {
    It 'is printed and stays well within the one-minute sampling interval' {
        $backEnds = @('10.30.0.10', '10.30.0.11', '10.30.0.12', '10.30.0.13')
        $states = @('Established', 'TimeWait', 'TimeWait', 'CloseWait')
        $objects = [System.Collections.Generic.List[object]]::new(60000)
        $lines = [System.Collections.Generic.List[string]]::new(60000)
        for ($i = 0; $i -lt 60000; $i++) {
            $port = 10000 + ($i % 55535)
            $remote = $backEnds[$i % 4]
            $state = $states[$i % 4]
            $objects.Add([pscustomobject]@{ LocalAddress = '10.20.1.4'; LocalPort = [uint16]$port; RemoteAddress = $remote; RemotePort = [uint16]993; State = $state; OwningProcess = [uint32]4312 })
            $lines.Add(('  TCP    {0,-23}{1,-23}{2,-16}{3}' -f "10.20.1.4:$port", "${remote}:993", @{ Established = 'ESTABLISHED'; TimeWait = 'TIME_WAIT'; CloseWait = 'CLOSE_WAIT' }[$state], 4312))
        }
        $objectRun = Measure-Command {
            $script:Usage = Measure-MailhostPortUsage -Row $objects.ToArray() -StartPort 10000 -NumberOfPorts 55535
            $null = ConvertTo-MailhostPortUsageReading -Usage $script:Usage -Model 'hostPool' -BudgetPorts 55535 -Limit 20
        }
        $netstatRun = Measure-Command {
            $script:NetstatUsage = Measure-MailhostPortUsage -Row (ConvertFrom-MailhostNetstat -Line $lines.ToArray()) -StartPort 10000 -NumberOfPorts 55535
        }
        Write-Host ('    port-usage sampler, 60,000 connections: Get-NetTCPConnection objects {0:N2} s, netstat -ano text {1:N2} s (interval 60 s; reading the connections from Windows not included)' -f $objectRun.TotalSeconds, $netstatRun.TotalSeconds)
        $script:Usage.Ports | Should -Be 55535
        $script:Usage.Endpoints.Count | Should -Be 4
        $script:NetstatUsage.Ports | Should -Be 55535
        # A wide margin: a quarter of the interval.
        $objectRun.TotalSeconds | Should -BeLessThan 15
        $netstatRun.TotalSeconds | Should -BeLessThan 15
    }
}
