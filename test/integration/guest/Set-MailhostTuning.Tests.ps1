# The run-command tuning script guest/runcommand/Set-MailhostTuning.ps1, run from the repository
# (its module region dot-sources the module functions) against a fake machine.

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'GuestTestSupport.ps1')
    # The edges must exist to be mocked; the script defines its own copies, which the mocks shadow.
    foreach ($functionFile in $script:FunctionFiles) { . $functionFile }

    function Invoke-TuningScript {
        param
        (
            [System.Collections.IDictionary]$Parameters,
            [string]$ContentHash = 'abc123'
        )
        $arguments = @{}
        foreach ($name in $Parameters.Keys) { $arguments[$name] = $Parameters[$name] }
        $arguments['ContentHash'] = $ContentHash
        $output = @(& $script:RunCommandScript @arguments 3>$null)
        $output.Count | Should -Be 1
        return ($output[0] | ConvertFrom-Json)
    }
}

AfterAll {
    foreach ($name in @('MailhostFakeMachine', 'MailhostFakeMarkerKey', 'MailhostFakeWritten')) {
        Remove-Variable -Name $name -Scope Global -ErrorAction SilentlyContinue
    }
}

Describe 'Set-MailhostTuning.ps1' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine
        $path = Join-Path -Path $TestDrive -ChildPath 'Mail Front End/SiteConfig.cfg'
        Remove-Item -LiteralPath (Split-Path -Path $path -Parent) -Recurse -Force -ErrorAction SilentlyContinue
        $parameters = New-DesiredParameter -SiteConfigPath $path
    }

    Context 'a machine as Windows leaves it' {
        It 'writes both Tcpip values as REG_DWORD, both ranges and SiteConfig.cfg, and reports a pending reboot' {
            $result = Invoke-TuningScript -Parameters $parameters
            $result.RegistryChanged | Should -BeTrue
            $result.RebootRequired | Should -BeTrue
            $result.DynamicPortRangeChanged | Should -BeTrue
            $result.SiteConfigChanged | Should -BeTrue
            $result.ContentHash | Should -Be 'abc123'
            foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
                $machine.Keys[$script:TcpipKey][$name] | Should -Not -BeNullOrEmpty
                $machine.Keys[$script:TcpipKey][$name].Kind | Should -Be 'DWord'
                $machine.Keys[$script:TcpipKey][$name].Data | Should -Be ([int]$parameters[$name])
            }
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 2 -Exactly -ParameterFilter { $SubKey -eq $script:TcpipKey -and $Kind -eq 'DWord' }
            foreach ($ipVersion in @('ipv4', 'ipv6')) {
                $machine.Ranges[$ipVersion].StartPort | Should -Be ([int]$parameters.DynamicPortRangeStartPort)
                $machine.Ranges[$ipVersion].NumberOfPorts | Should -Be ([int]$parameters.DynamicPortRangeNumberOfPorts)
            }
            (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $parameters.SiteConfigSha256
            $machine.Volatile.ContainsKey($script:MarkerKey) | Should -BeTrue
        }
    }

    Context 'already right' {
        It 'changes nothing on a second run and sets no new marker; after a boot no reboot is reported' {
            $null = Invoke-TuningScript -Parameters $parameters
            $second = Invoke-TuningScript -Parameters $parameters
            $second.RegistryChanged | Should -BeFalse
            $second.DynamicPortRangeChanged | Should -BeFalse
            $second.SiteConfigChanged | Should -BeFalse
            $second.RebootRequired | Should -BeTrue -Because 'the first run wrote Tcpip values and no reboot has happened'
            Should -Invoke -CommandName Set-MailhostRebootMarker -Times 1 -Exactly
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 2 -Exactly

            Invoke-FakeBoot -Machine $machine
            $third = Invoke-TuningScript -Parameters $parameters
            $third.RebootRequired | Should -BeFalse
            $third.RegistryChanged | Should -BeFalse
            Should -Invoke -CommandName Set-MailhostRebootMarker -Times 1 -Exactly
        }
    }

    Context 'values of another DWORD or the wrong kind' {
        It 'rewrites <Setting> held as <HeldAs> as a REG_DWORD' -ForEach @(
            @{ Setting = 'MaxUserPort'; HeldAs = 'DWord' }
            @{ Setting = 'TcpTimedWaitDelay'; HeldAs = 'String' }
            @{ Setting = 'TcpTimedWaitDelay'; HeldAs = 'QWord' }
            @{ Setting = 'MaxUserPort'; HeldAs = 'ExpandString' }
        ) {
            $null = Invoke-TuningScript -Parameters $parameters
            Invoke-FakeBoot -Machine $machine
            $wrong = [long]$parameters[$Setting]
            if ($HeldAs -eq 'DWord') { $wrong = $wrong - 1 }
            $machine.Keys[$script:TcpipKey][$Setting] = @{ Kind = $HeldAs; Data = $wrong }
            $result = Invoke-TuningScript -Parameters $parameters
            $result.RegistryChanged | Should -BeTrue
            $result.RebootRequired | Should -BeTrue
            $machine.Keys[$script:TcpipKey][$Setting].Kind | Should -Be 'DWord'
            $machine.Keys[$script:TcpipKey][$Setting].Data | Should -Be ([int]$parameters[$Setting])
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 3 -Exactly
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 2 -Exactly -ParameterFilter { $Name -eq $Setting -and $Kind -eq 'DWord' -and $Value -eq [int]$parameters[$Setting] -and $SubKey -eq $script:TcpipKey }
        }
    }

    Context 'dynamic port ranges' {
        It 'sets only the range that differs (<Family>)' -ForEach @(@{ Family = 'ipv4' }, @{ Family = 'ipv6' }) {
            $null = Invoke-TuningScript -Parameters $parameters
            $machine.Ranges[$Family] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts }
            $result = Invoke-TuningScript -Parameters $parameters
            $result.DynamicPortRangeChanged | Should -BeTrue
            $result.RegistryChanged | Should -BeFalse
            Should -Invoke -CommandName Set-MailhostNetshDynamicPort -Times 3 -Exactly
            Should -Invoke -CommandName Set-MailhostNetshDynamicPort -Times 2 -Exactly -ParameterFilter { $IpVersion -eq $Family -and $StartPort -eq [int]$parameters.DynamicPortRangeStartPort -and $NumberOfPorts -eq [int]$parameters.DynamicPortRangeNumberOfPorts }
        }
    }

    Context 'encoded parameters' {
        It 'decodes a path with spaces and content with % & ^ and writes exactly those bytes there' {
            $windowsPath = 'C:\Program Files\Mail Front End\SiteConfig.cfg'
            $content = "[Mail]`r`nMailboxCacheTTL = 600`r`nBanner: 100% & more ^_^`r`n"
            $parameters = New-DesiredParameter -SiteConfigPath $windowsPath -Content $content
            foreach ($value in $parameters.Values) { $value | Should -Match '^[A-Za-z0-9_-]+$' }
            Mock -CommandName Read-MailhostFileBytes -MockWith { $null }
            Mock -CommandName Write-MailhostFileAtomic -MockWith { $global:MailhostFakeWritten = @{ Path = $Path; Bytes = $Bytes } }
            $result = Invoke-TuningScript -Parameters $parameters
            $result.SiteConfigChanged | Should -BeTrue
            $global:MailhostFakeWritten.Path | Should -BeExactly $windowsPath
            [System.Text.Encoding]::UTF8.GetString($global:MailhostFakeWritten.Bytes) | Should -BeExactly $content
        }

        It 'refuses content whose SHA-256 does not match before changing anything, old file untouched' {
            $null = New-Item -ItemType Directory -Path (Split-Path -Path $path -Parent) -Force
            [System.IO.File]::WriteAllText($path, "[Mail]`r`nMailboxCacheTTL = 900`r`n")
            $parameters.SiteConfigSha256 = Get-TestSha256 -Text "[Mail]`r`nMailboxCacheTTL = 1`r`n"
            { Invoke-TuningScript -Parameters $parameters } | Should -Throw -ExpectedMessage '*left unchanged*'
            [System.IO.File]::ReadAllText($path) | Should -Be "[Mail]`r`nMailboxCacheTTL = 900`r`n"
            Test-Path -LiteralPath ($path + '.bak') | Should -BeFalse
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostNetshDynamicPort -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostRebootMarker -Times 0 -Exactly
        }

        It 'refuses a raw (not encoded) path, as today''s parameters would send it' {
            $parameters.SiteConfigPathBase64Url = 'C:\Program Files\Mail Front End\SiteConfig.cfg'
            { Invoke-TuningScript -Parameters $parameters } | Should -Throw -ExpectedMessage '*SiteConfigPathBase64Url must be base64url*'
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 0 -Exactly
        }

        It 'refuses <Name> = <Shown> before changing anything' -ForEach @(
            @{ Name = 'MaxUserPort'; Shown = 'max + 1'; Value = { [string]($script:Limits.MaxUserPort.Max + 1) } }
            @{ Name = 'TcpTimedWaitDelay'; Shown = 'max + 1'; Value = { [string]($script:Limits.TcpTimedWaitDelay.Max + 1) } }
            @{ Name = 'DynamicPortRangeStartPort'; Shown = 'min - 1'; Value = { [string]($script:Limits.DynamicPortRangeStartPort.Min - 1) } }
            @{ Name = 'DynamicPortRangeNumberOfPorts'; Shown = 'min - 1'; Value = { [string]($script:Limits.DynamicPortRangeNumberOfPorts.Min - 1) } }
            @{ Name = 'TcpTimedWaitDelay'; Shown = '"1e2"'; Value = { '1e2' } }
            @{ Name = 'MaxUserPort'; Shown = 'empty'; Value = { '' } }
        ) {
            $bad = & $Value
            $parameters[$Name] = $bad
            $range = $script:Limits[$Name]
            { Invoke-TuningScript -Parameters $parameters } | Should -Throw -ExpectedMessage ("*{0} = '{1}' is not allowed*{2}{3}{4} ({5})*" -f $Name, $bad, $range.Min, [char]0x2013, $range.Max, $range.Unit)
            Should -Invoke -CommandName Set-MailhostRegistryValue -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostNetshDynamicPort -Times 0 -Exactly
            Test-Path -LiteralPath $path | Should -BeFalse
        }

        It 'refuses a ContentHash that is not lower-case hex' {
            { Invoke-TuningScript -Parameters $parameters -ContentHash 'ABC & 1' } | Should -Throw -ExpectedMessage '*ContentHash*'
        }
    }
}
