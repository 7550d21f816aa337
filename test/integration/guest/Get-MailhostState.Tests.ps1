# The read-only drift collector guest/collector/Get-MailhostState.ps1, run from the repository (its
# module region dot-sources the module functions) against a fake machine. Its stdout must be one
# JSON line of at most 4,096 bytes, every time.

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'GuestTestSupport.ps1')
    # The edges must exist to be mocked; the script defines its own copies, which the mocks shadow.
    foreach ($functionFile in $script:FunctionFiles) { . $functionFile }

    $script:DocumentKeys = @('MaxUserPort', 'TcpTimedWaitDelay', 'DynamicPortRangeStartPort', 'DynamicPortRangeNumberOfPorts',
        'DynamicPortRangeIPv6StartPort', 'DynamicPortRangeIPv6NumberOfPorts', 'AutoReusePortRangeStartPort', 'AutoReusePortRangeNumberOfPorts',
        'MailboxCacheTTL', 'SiteConfigSha256', 'RebootPending',
        'RebootPendingReasons', 'LcmConfigurationMode', 'CollectedAt', 'WrongKind', 'PortUsage', 'Errors')

    # Runs the collector; checks the one-line, 4,096-byte rule; returns the text and the parsed document.
    function Invoke-Collector {
        param
        (
            [string]$EncodedPath
        )
        $arguments = @{ SiteConfigPathBase64Url = $EncodedPath }
        $output = @(& $script:CollectorScript @arguments)
        $output.Count | Should -Be 1 -Because 'the collector prints exactly one object'
        $text = [string]$output[0]
        $text | Should -Not -Match "[`r`n]"
        [System.Text.Encoding]::UTF8.GetByteCount($text) | Should -BeLessOrEqual 4096
        return @{ Text = $text; Document = ($text | ConvertFrom-Json) }
    }
}

AfterAll {
    foreach ($name in @('MailhostFakeMachine', 'MailhostFakeMarkerKey')) {
        Remove-Variable -Name $name -Scope Global -ErrorAction SilentlyContinue
    }
}

Describe 'Get-MailhostState.ps1' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine
        $path = Join-Path -Path $TestDrive -ChildPath 'Mail Front End/SiteConfig.cfg'
        $null = New-Item -ItemType Directory -Path (Split-Path -Path $path -Parent) -Force
        [System.IO.File]::WriteAllText($path, "[Mail]`r`nMailboxCacheTTL = 600`r`n")
        $encodedPath = ConvertTo-TestBase64Url -Text $path
    }

    Context 'a tuned machine' {
        It 'reports every documented key with the machine''s values and no error' {
            $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'DWord'; Data = [int]$script:Limits.MaxUserPort.Max }
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = 'DWord'; Data = [int]$script:Limits.TcpTimedWaitDelay.Min }
            $machine.Ranges['ipv6'] = @{ StartPort = 20000; NumberOfPorts = 4000 }
            $machine.LcmMode = 'ApplyAndAutoCorrect'
            $result = Invoke-Collector -EncodedPath $encodedPath
            $doc = $result.Document
            @($doc.PSObject.Properties.Name) | Should -Be $script:DocumentKeys
            $doc.MaxUserPort | Should -Be $script:Limits.MaxUserPort.Max
            $doc.TcpTimedWaitDelay | Should -Be $script:Limits.TcpTimedWaitDelay.Min
            $doc.DynamicPortRangeStartPort | Should -Be $script:Limits.WindowsDefaults.DynamicPortRangeStartPort
            $doc.DynamicPortRangeNumberOfPorts | Should -Be $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts
            $doc.DynamicPortRangeIPv6StartPort | Should -Be 20000
            $doc.DynamicPortRangeIPv6NumberOfPorts | Should -Be 4000
            $doc.AutoReusePortRangeStartPort | Should -Be $script:Limits.WindowsDefaults.AutoReusePortRangeStartPort
            $doc.AutoReusePortRangeNumberOfPorts | Should -Be $script:Limits.WindowsDefaults.AutoReusePortRangeNumberOfPorts
            $doc.MailboxCacheTTL | Should -Be 600
            $doc.SiteConfigSha256 | Should -Be (Get-TestSha256 -Text "[Mail]`r`nMailboxCacheTTL = 600`r`n")
            $doc.RebootPending | Should -BeFalse
            @($doc.RebootPendingReasons).Count | Should -Be 0
            $doc.LcmConfigurationMode | Should -Be 'ApplyAndAutoCorrect'
            [datetime]::Parse($doc.CollectedAt).ToUniversalTime() | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-5))
            @($doc.WrongKind.PSObject.Properties).Count | Should -Be 0
            @($doc.Errors).Count | Should -Be 0
            $result.Text | Should -Match '"WrongKind":\{\}'
            $result.Text | Should -Match '"Errors":\[\]'
        }

        It 'changes nothing on the machine' {
            $null = Invoke-Collector -EncodedPath $encodedPath
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostNetshDynamicPort -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostRebootMarker -Times 0 -Exactly
            [System.IO.File]::ReadAllText($path) | Should -Be "[Mail]`r`nMailboxCacheTTL = 600`r`n"
            @(Get-ChildItem -LiteralPath (Split-Path -Path $path -Parent)).Count | Should -Be 1
        }
    }

    Context 'Tcpip values absent, of the wrong kind, unreadable' {
        It 'reports an absent value as null without an error' {
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.MaxUserPort | Should -BeNullOrEmpty
            $doc.TcpTimedWaitDelay | Should -BeNullOrEmpty
            @($doc.Errors).Count | Should -Be 0
        }

        It 'reports a <Kind> value as null, the old Errors entry and a WrongKind entry' -ForEach @(
            @{ Kind = 'String'; Data = '30'; Shown = '30' }
            @{ Kind = 'QWord'; Data = [long]120; Shown = '120' }
            @{ Kind = 'ExpandString'; Data = '%WAIT%'; Shown = '%WAIT%' }
            @{ Kind = 'MultiString'; Data = [string[]]@('30', '60'); Shown = '30,60' }
            @{ Kind = 'Binary'; Data = [byte[]]@(30, 0, 0, 0); Shown = '1E 00 00 00' }
        ) {
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = $Kind; Data = $Data }
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.TcpTimedWaitDelay | Should -BeNullOrEmpty
            @($doc.Errors) | Should -Be @(('TcpTimedWaitDelay: value is {0}, not DWord' -f $Kind))
            $doc.WrongKind.TcpTimedWaitDelay.Kind | Should -Be $Kind
            $doc.WrongKind.TcpTimedWaitDelay.Data | Should -Be $Shown
            @($doc.WrongKind.PSObject.Properties.Name) | Should -Be @('TcpTimedWaitDelay')
        }

        It 'cuts long data of a wrong kind to 40 characters' {
            $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'String'; Data = ('9' * 500) }
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.WrongKind.MaxUserPort.Data.Length | Should -BeLessOrEqual 40
        }

        It 'reports an unreadable value as null with its error and no WrongKind entry' {
            $machine.Unreadable[$script:TcpipKey + '\MaxUserPort'] = $true
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.MaxUserPort | Should -BeNullOrEmpty
            @($doc.Errors).Count | Should -Be 1
            @($doc.Errors)[0] | Should -Match '^MaxUserPort: Requested registry access is not allowed'
            @($doc.WrongKind.PSObject.Properties).Count | Should -Be 0
        }

        It 'reports a missing Tcpip key as unreadable for both values' {
            $machine.Keys.Remove($script:TcpipKey)
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            @($doc.Errors | Where-Object { $_ -match '^(MaxUserPort|TcpTimedWaitDelay): key HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters not found' }).Count | Should -Be 2
        }
    }

    Context 'netsh' {
        It 'reads <Language> output for both families' -ForEach @(
            @{ Language = 'en' }
            @{ Language = 'de' }
            @{ Language = 'fr' }
        ) {
            $machine.Language = $Language
            $machine.Ranges['ipv4'] = @{ StartPort = 10001; NumberOfPorts = 5001 }
            $machine.Ranges['ipv6'] = @{ StartPort = 10002; NumberOfPorts = 5002 }
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.DynamicPortRangeStartPort | Should -Be 10001
            $doc.DynamicPortRangeNumberOfPorts | Should -Be 5001
            $doc.DynamicPortRangeIPv6StartPort | Should -Be 10002
            $doc.DynamicPortRangeIPv6NumberOfPorts | Should -Be 5002
            @($doc.Errors).Count | Should -Be 0
        }

        It 'reports a failing netsh as nulls with an error for that family only' {
            $machine.NetshFails['ipv6'] = 'Der angeforderte Vorgang erfordert erhoehte Rechte.'
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.DynamicPortRangeStartPort | Should -Not -BeNullOrEmpty
            $doc.DynamicPortRangeIPv6StartPort | Should -BeNullOrEmpty
            $doc.DynamicPortRangeIPv6NumberOfPorts | Should -BeNullOrEmpty
            @($doc.Errors) | Should -HaveCount 1
            @($doc.Errors)[0] | Should -Match '^DynamicPortRange ipv6: netsh int ipv6 show dynamicport tcp failed with exit code 1'
        }
    }

    Context 'auto-reuse port range' {
        It 'reports the configured range every template shows' {
            Set-FakeAutoReuseRange -Machine $machine -StartPort 40000 -NumberOfPorts 20000
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.AutoReusePortRangeStartPort | Should -Be 40000
            $doc.AutoReusePortRangeNumberOfPorts | Should -Be 20000
            @($doc.Errors).Count | Should -Be 0
        }

        It 'reports templates that disagree as nulls with an error naming them' {
            Set-FakeAutoReuseRange -Machine $machine -StartPort 40000 -NumberOfPorts 20000
            $machine.TcpSettings['Compat'] = @{ StartPort = 0; NumberOfPorts = 0 }
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.AutoReusePortRangeStartPort | Should -BeNullOrEmpty
            $doc.AutoReusePortRangeNumberOfPorts | Should -BeNullOrEmpty
            @($doc.Errors) | Should -HaveCount 1
            @($doc.Errors)[0] | Should -Match '^AutoReusePortRange: templates differ: .*Compat=0\+0'
        }
    }

    Context 'SiteConfig.cfg' {
        It 'takes the lowest MailboxCacheTTL of every section, skipping comments, with the key in any case' {
            $lines = @('; MailboxCacheTTL = 1', '[Mail]', 'mailboxcachettl = 900', '# MailboxCacheTTL = 2', '[Cache]', '  MailboxCacheTTL=450  ', '[Other]', 'Banner: 100% & more ^_^', 'MailboxCacheTTL = 700', '')
            $text = $lines -join "`r`n"
            [System.IO.File]::WriteAllText($path, $text)
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.MailboxCacheTTL | Should -Be 450
            $doc.SiteConfigSha256 | Should -Be (Get-TestSha256 -Text $text)
        }

        It 'reports no TTL rather than a reassuring one when one occurrence is not an integer' {
            [System.IO.File]::WriteAllText($path, "[Mail]`r`nMailboxCacheTTL = 900`r`n[Cache]`r`nMailboxCacheTTL = 10m`r`n")
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.MailboxCacheTTL | Should -BeNullOrEmpty
            @($doc.Errors)[0] | Should -Match '^MailboxCacheTTL: not an integer'
        }

        It 'reports a missing file as nulls without an error' {
            Remove-Item -LiteralPath $path
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.MailboxCacheTTL | Should -BeNullOrEmpty
            $doc.SiteConfigSha256 | Should -BeNullOrEmpty
            @($doc.Errors).Count | Should -Be 0
        }

        It 'decodes a path with spaces and reads that file' {
            $windowsPath = 'C:\Program Files\Mail Front End\SiteConfig.cfg'
            Mock -CommandName Read-MailhostFileBytes -ParameterFilter { $Path -ceq 'C:\Program Files\Mail Front End\SiteConfig.cfg' } -MockWith { Write-Output -NoEnumerate ([System.Text.Encoding]::UTF8.GetBytes("[Mail]`r`nMailboxCacheTTL = 321`r`n")) }
            $doc = (Invoke-Collector -EncodedPath (ConvertTo-TestBase64Url -Text $windowsPath)).Document
            $doc.MailboxCacheTTL | Should -Be 321
        }

        It 'reports a raw, not encoded path as an error of SiteConfigPath' {
            $doc = (Invoke-Collector -EncodedPath 'C:\Program Files\Mail Front End\SiteConfig.cfg').Document
            $doc.SiteConfigSha256 | Should -BeNullOrEmpty
            @($doc.Errors)[0] | Should -Match '^SiteConfigPath: SiteConfigPathBase64Url must be base64url'
        }
    }

    Context 'reboot state' {
        It 'reports the volatile marker of a Tcpip write, and nothing after a boot' {
            $machine.Keys[$script:MarkerKey] = @{ WrittenAt = @{ Kind = 'String'; Data = [datetime]::UtcNow.ToString('o') } }
            $machine.Volatile[$script:MarkerKey] = $true
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.RebootPending | Should -BeTrue
            @($doc.RebootPendingReasons) | Should -Be @('MailhostIacUntilBoot')
            Invoke-FakeBoot -Machine $machine
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            $doc.RebootPending | Should -BeFalse
        }

        It 'reports the Windows reboot markers' {
            $machine.Keys['SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'] = @{}
            $machine.Keys['SYSTEM\CurrentControlSet\Control\Session Manager'] = @{ PendingFileRenameOperations = @{ Kind = 'MultiString'; Data = [string[]]@('\??\C:\a', '') } }
            $doc = (Invoke-Collector -EncodedPath $encodedPath).Document
            @($doc.RebootPendingReasons) | Should -Be @('ComponentBasedServicing', 'PendingFileRename')
        }
    }

    Context 'errors' {
        It 'keeps ten of eleven long errors, each short, the document one line under 4,096 bytes' {
            $long = 'E' * 3000
            foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) { $machine.Unreadable[$script:TcpipKey + '\' + $name] = $true }
            $machine.Unreadable['SYSTEM\CurrentControlSet\Control\Session Manager\PendingFileRenameOperations'] = $true
            $machine.NetshFails['ipv4'] = $long
            $machine.NetshFails['ipv6'] = $long
            Mock -CommandName Get-MailhostLcmConfigurationMode -MockWith { throw ('LCM ' + ('x' * 3000)) }
            Mock -CommandName Test-MailhostRegistryKey -MockWith { throw ('registry ' + ('y' * 3000)) }
            Mock -CommandName Read-MailhostFileBytes -MockWith { throw ('file ' + ('z' * 3000)) }
            $result = Invoke-Collector -EncodedPath $encodedPath
            $errors = @($result.Document.Errors)
            $errors.Count | Should -Be 10
            $errors[-1] | Should -Be '2 more errors omitted'
            foreach ($e in $errors) { $e.Length | Should -BeLessOrEqual 100 }
        }
    }
}

Describe 'Get-MailhostState.ps1: the port-usage reading' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        [System.IO.File]::WriteAllText($path, "[Mail]`r`nMailboxCacheTTL = 600`r`n")
        $encodedPath = ConvertTo-TestBase64Url -Text $path
        $machine.TcpConnections = @(Import-Csv -LiteralPath (Join-Path $PSScriptRoot 'fixtures/portUsage/Get-NetTCPConnection.csv'))
    }

    It 'counts the used ports of the host dynamic range as a group-by over the connections does, and names the busiest back end' {
        $start = [int]$machine.Ranges.ipv4.StartPort
        $end = $start + [int]$machine.Ranges.ipv4.NumberOfPorts - 1
        $inPool = @($machine.TcpConnections | Where-Object { [int]$_.LocalPort -ge $start -and [int]$_.LocalPort -le $end -and $_.State -ne 'Listen' })
        $busiest = $inPool | Where-Object { $_.RemotePort -ne '0' } | Group-Object -Property { '{0}:{1}' -f $_.RemoteAddress, $_.RemotePort } | Sort-Object -Property Count -Descending | Select-Object -First 1
        $reading = (Invoke-Collector -EncodedPath $encodedPath).Document.PortUsage
        $reading.Model | Should -Be 'hostPool'
        $reading.Budget | Should -Be ([int]$machine.Ranges.ipv4.NumberOfPorts)
        $reading.Ports | Should -Be @($inPool | Group-Object -Property LocalPort).Count
        $reading.TimeWait | Should -Be @($inPool | Where-Object State -EQ 'TimeWait').Count
        $reading.BusiestEndpointPorts | Should -Be $busiest.Count
    }

    It 'counts against the auto-reuse range when one is configured' {
        Set-FakeAutoReuseRange -Machine $machine -StartPort 60000 -NumberOfPorts 5535
        $reading = (Invoke-Collector -EncodedPath $encodedPath).Document.PortUsage
        $reading.Model | Should -Be 'perBackend'
        $reading.Budget | Should -Be 5535
        $reading.Ports | Should -Be @($machine.TcpConnections | Where-Object { [int]$_.LocalPort -ge 60000 -and $_.State -ne 'Listen' } | Group-Object -Property LocalPort).Count
    }

    It 'reports an error, not a reading, when the connections cannot be read' {
        Mock Get-MailhostNetTcpConnection { throw 'Invalid class' }
        $document = (Invoke-Collector -EncodedPath $encodedPath).Document
        $document.PortUsage | Should -BeNullOrEmpty
        @($document.Errors | Where-Object { $_ -like 'PortUsage*' }).Count | Should -Be 1
    }
}
