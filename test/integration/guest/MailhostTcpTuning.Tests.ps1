# The DSC resource MailhostTcpTuning (guest/modules/MailhostTcpTuning): Get, Test and Set run for
# real against a fake machine; only the machine edges are mocked.

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'GuestTestSupport.ps1')
    Import-Module -Name $script:ModuleManifest -Force

    function New-TestResource {
        param
        (
            [System.Collections.IDictionary]$Parameters
        )
        return InModuleScope -ModuleName MailhostTcpTuning -Parameters @{ P = $Parameters } -ScriptBlock {
            param($P)
            $resource = [MailhostTcpTuning]::new()
            $resource.IsSingleInstance = 'Yes'
            foreach ($name in $P.Keys) {
                $resource.$name = $P[$name]
            }
            return $resource
        }
    }

    function Get-ReasonSetting {
        param
        (
            $Resource
        )
        return @(@($Resource.Reasons) | ForEach-Object { $_.Code -replace '^MailhostTcpTuning:MailhostTcpTuning:', '' })
    }

    # A machine already tuned as $Parameters ask.
    function Set-MachineTuned {
        param
        (
            [hashtable]$Machine,
            [System.Collections.IDictionary]$Parameters,
            [string]$Path
        )
        $Machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'DWord'; Data = [int]$Parameters.MaxUserPort }
        $Machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = 'DWord'; Data = [int]$Parameters.TcpTimedWaitDelay }
        foreach ($ipVersion in @('ipv4', 'ipv6')) {
            $Machine.Ranges[$ipVersion] = @{ StartPort = [int]$Parameters.DynamicPortRangeStartPort; NumberOfPorts = [int]$Parameters.DynamicPortRangeNumberOfPorts }
        }
        $content = [System.Convert]::FromBase64String((($Parameters.SiteConfigContentBase64Url.Replace('-', '+').Replace('_', '/')) + ('=' * ((4 - $Parameters.SiteConfigContentBase64Url.Length % 4) % 4))))
        [System.IO.File]::WriteAllBytes($Path, $content)
        # The port-usage sampler as Set installs it (script, settings, task), on the fake machine.
        InModuleScope -ModuleName MailhostTcpTuning -Parameters @{ P = $Parameters } -ScriptBlock {
            param($P)
            $desired = ConvertTo-MailhostDesiredState @P
            $null = Set-MailhostPortUsageSampler -Sampler (Get-MailhostPortUsageDesired -Desired $desired)
        }
    }
}

AfterAll {
    Remove-Module -Name MailhostTcpTuning -Force -ErrorAction SilentlyContinue
}

Describe 'MailhostTcpTuning module' {
    It 'exports the DSC resource MailhostTcpTuning, version 1.0.0, from MailhostTcpTuning.psm1' {
        $manifest = Import-PowerShellDataFile -LiteralPath $script:ModuleManifest
        $manifest.RootModule | Should -Be 'MailhostTcpTuning.psm1'
        $manifest.ModuleVersion | Should -Be '1.0.0'
        $manifest.DscResourcesToExport | Should -Be @('MailhostTcpTuning')
    }

    It 'declares the contract properties: a Yes-only key, strings for every tuned value, Reasons not configurable' {
        $properties = InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock {
            [MailhostTcpTuning].GetProperties() | ForEach-Object {
                $dsc = $_.GetCustomAttributes($true) | Where-Object { $_ -is [System.Management.Automation.DscPropertyAttribute] }
                [pscustomobject]@{ Name = $_.Name; Type = $_.PropertyType.Name; Key = [bool]$dsc.Key; NotConfigurable = [bool]$dsc.NotConfigurable }
            }
        }
        $byName = @{}
        foreach ($p in $properties) { $byName[$p.Name] = $p }
        $byName['IsSingleInstance'].Key | Should -BeTrue
        $byName['Reasons'].Type | Should -Be 'MailhostTcpTuningReason[]'
        $byName['Reasons'].NotConfigurable | Should -BeTrue
        foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay', 'DynamicPortRangeStartPort', 'DynamicPortRangeNumberOfPorts', 'SiteConfigPathBase64Url', 'SiteConfigContentBase64Url', 'SiteConfigSha256', 'AutoReusePortRangeStartPort', 'AutoReusePortRangeNumberOfPorts')) {
            $byName[$name].Type | Should -Be 'String' -Because $name
        }
        @($properties).Count | Should -Be 11
    }
}

Describe 'MailhostTcpTuning module layout (one function per file, Private/ and Public/)' {
    BeforeAll {
        $script:FunctionNames = @($script:FunctionFiles | ForEach-Object { [System.IO.Path]::GetFileNameWithoutExtension($_) })
        $script:PublicNames = @($script:FunctionFiles | Where-Object { (Split-Path -Leaf (Split-Path -Parent $_)) -eq 'Public' } | ForEach-Object { [System.IO.Path]::GetFileNameWithoutExtension($_) })

        # Module functions a text calls outside the function definitions it holds (real parser).
        function Get-OutsideCall {
            param ([string]$Text)
            $tokens = $null
            $errors = $null
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
            $calls = $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true) | Where-Object {
                $inside = $false
                for ($parent = $_.Parent; $parent; $parent = $parent.Parent) {
                    if ($parent -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $parent.Parent -isnot [System.Management.Automation.Language.FunctionMemberAst]) { $inside = $true }
                }
                -not $inside
            } | ForEach-Object { $_.GetCommandName() }
            @($calls | Where-Object { $script:FunctionNames -contains $_ } | Sort-Object -Unique)
        }
    }

    It 'loads every function file into the module, and each file defines the function it is named after' {
        $script:FunctionFiles.Count | Should -BeGreaterThan 40
        $loaded = InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock { @(Get-Command -CommandType Function | ForEach-Object Name) }
        foreach ($name in $script:FunctionNames) {
            $loaded | Should -Contain $name
        }
    }

    It 'exports exactly the functions of Public/' {
        $exported = @((Get-Module -Name MailhostTcpTuning).ExportedFunctions.Keys | Sort-Object)
        $exported | Should -Be @($script:PublicNames | Sort-Object)
    }

    It 'Public/ holds exactly the functions called from outside the functions: the resource class, the entry scripts and the sampler script' {
        $sampler = InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock { Get-MailhostPortUsageScriptText }
        $outside = @(
            Get-OutsideCall -Text ([System.IO.File]::ReadAllText((Join-Path -Path $script:ModuleDir -ChildPath 'MailhostTcpTuning.psm1')))
            Get-OutsideCall -Text ([System.IO.File]::ReadAllText($script:RunCommandScript))
            Get-OutsideCall -Text ([System.IO.File]::ReadAllText($script:CollectorScript))
            Get-OutsideCall -Text $sampler
        ) | Sort-Object -Unique
        @($outside) | Should -Contain 'Invoke-MailhostPortUsageSample' -Because 'the sampler script calls it'
        @($outside) | Should -Be @($script:PublicNames | Sort-Object)
    }
}

Describe 'MailhostTcpTuning.Get' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        Remove-Item -LiteralPath $path -ErrorAction SilentlyContinue
        $parameters = New-DesiredParameter -SiteConfigPath $path
    }

    Context 'a machine as Windows leaves it (values absent, default ranges, no SiteConfig.cfg)' {
        It 'reports every setting with one reason each, the absent values naming what Windows uses' {
            $current = (New-TestResource -Parameters $parameters).Get()
            Get-ReasonSetting -Resource $current | Should -Be @('MaxUserPort', 'TcpTimedWaitDelay', 'DynamicPortRangeIPv4', 'DynamicPortRangeIPv6', 'SiteConfig', 'PortUsageSampler')
            $current.MaxUserPort | Should -BeNullOrEmpty
            $current.DynamicPortRangeStartPort | Should -Be ([string]$script:Limits.WindowsDefaults.DynamicPortRangeStartPort)
            $twd = @($current.Reasons | Where-Object { $_.Code -eq 'MailhostTcpTuning:MailhostTcpTuning:TcpTimedWaitDelay' })[0]
            $twd.Phrase | Should -Match ('default of {0} seconds' -f $script:Limits.WindowsDefaults.TcpTimedWaitDelay)
            $twd.Phrase | Should -Match ('actual=absent; desired={0}$' -f $parameters.TcpTimedWaitDelay)
            $v4 = @($current.Reasons | Where-Object { $_.Code -like '*:DynamicPortRangeIPv4' })[0]
            $v4.Phrase | Should -Match ('actual={0}\+{1}; desired={2}\+{3}$' -f $script:Limits.WindowsDefaults.DynamicPortRangeStartPort, $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts, $parameters.DynamicPortRangeStartPort, $parameters.DynamicPortRangeNumberOfPorts)
        }
    }

    Context 'another DWORD' {
        It 'reports the DWORD as the actual value' {
            $other = [int]$parameters.MaxUserPort - 1
            $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'DWord'; Data = $other }
            $current = (New-TestResource -Parameters $parameters).Get()
            $current.MaxUserPort | Should -Be ([string]$other)
            @($current.Reasons | Where-Object { $_.Code -like '*:MaxUserPort' })[0].Phrase | Should -Match ('actual={0}; desired={1}$' -f $other, $parameters.MaxUserPort)
        }
    }

    Context 'a value of the wrong kind' {
        It 'reports REG_SZ as a reason naming the kind, the data and the Windows default, and no current value' {
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = 'String'; Data = $parameters.TcpTimedWaitDelay }
            $current = (New-TestResource -Parameters $parameters).Get()
            $current.TcpTimedWaitDelay | Should -BeNullOrEmpty
            $phrase = @($current.Reasons | Where-Object { $_.Code -like '*:TcpTimedWaitDelay' })[0].Phrase
            $phrase | Should -Match 'REG_SZ value, which TCP/IP ignores'
            $phrase | Should -Match ('Windows uses its default of {0} seconds' -f $script:Limits.WindowsDefaults.TcpTimedWaitDelay)
            $phrase | Should -Match ('actual=REG_SZ "{0}"; desired={0}$' -f $parameters.TcpTimedWaitDelay)
        }

        It 'reports REG_QWORD the same way' {
            $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'QWord'; Data = [long]$parameters.MaxUserPort }
            $current = (New-TestResource -Parameters $parameters).Get()
            @($current.Reasons | Where-Object { $_.Code -like '*:MaxUserPort' })[0].Phrase | Should -Match ('actual=REG_QWORD "{0}"; desired={0}$' -f $parameters.MaxUserPort)
        }
    }

    Context 'a Tcpip write waiting for a reboot' {
        It 'reports RebootPending with the time of the write' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.Keys[$script:MarkerKey] = @{ WrittenAt = @{ Kind = 'String'; Data = '2026-11-29T10:00:00Z' } }
            $machine.Volatile[$script:MarkerKey] = $true
            $machine.BootTime = [datetime]::new(2026, 11, 1, 0, 0, 0, [System.DateTimeKind]::Utc)
            $current = (New-TestResource -Parameters $parameters).Get()
            Get-ReasonSetting -Resource $current | Should -Be @('RebootPending')
            $current.Reasons[0].Phrase | Should -Match 'written at 2026-11-29T10:00:00Z'
            $current.Reasons[0].Phrase | Should -Match 'actual=pending since 2026-11-29T10:00:00Z; desired=none$'
        }
    }

    Context 'everything as desired' {
        It 'reports no reason and the desired values as current' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $current = (New-TestResource -Parameters $parameters).Get()
            @($current.Reasons).Count | Should -Be 0
            $current.MaxUserPort | Should -Be $parameters.MaxUserPort
            $current.SiteConfigSha256 | Should -Be $parameters.SiteConfigSha256
            $current.SiteConfigContentBase64Url | Should -Be $parameters.SiteConfigContentBase64Url
        }
    }

    Context 'unreadable state' {
        It 'reports a failing netsh and an unreadable value as reasons, not as success' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.NetshFails['ipv6'] = 'The requested operation requires elevation (Run as administrator).'
            $machine.Unreadable[$script:TcpipKey + '\MaxUserPort'] = $true
            $current = (New-TestResource -Parameters $parameters).Get()
            Get-ReasonSetting -Resource $current | Should -Be @('MaxUserPort', 'DynamicPortRangeIPv6')
            @($current.Reasons)[1].Phrase | Should -Match 'actual=unreadable'
        }
    }
}

Describe 'MailhostTcpTuning.Test' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        Remove-Item -LiteralPath $path -ErrorAction SilentlyContinue
        $parameters = New-DesiredParameter -SiteConfigPath $path
    }

    It 'is true when every setting is as desired' {
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        (New-TestResource -Parameters $parameters).Test() | Should -BeTrue
    }

    It 'is false when <Case>' -ForEach @(
        @{ Case = 'MaxUserPort is absent'; Change = { param($m) $m.Keys[$script:TcpipKey].Remove('MaxUserPort') } }
        @{ Case = 'TcpTimedWaitDelay is a REG_SZ'; Change = { param($m) $m.Keys[$script:TcpipKey]['TcpTimedWaitDelay'].Kind = 'String' } }
        @{ Case = 'only the IPv6 range differs'; Change = { param($m) $m.Ranges['ipv6'] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts } } }
        @{ Case = 'SiteConfig.cfg differs'; Change = { param($m, $p) [System.IO.File]::AppendAllText($p, "; edited`r`n") } }
        @{ Case = 'a reboot is pending'; Change = { param($m) $m.Keys[$script:MarkerKey] = @{ WrittenAt = @{ Kind = 'String'; Data = [datetime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ') } }; $m.Volatile[$script:MarkerKey] = $true } }
    ) {
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        & $Change $machine $path
        (New-TestResource -Parameters $parameters).Test() | Should -BeFalse
    }

    It 'refuses <Name> = <Shown>: not plain digits or out of range, naming the setting, the value and the range' -ForEach @(
        @{ Name = 'MaxUserPort'; Shown = 'max + 1'; Value = { [string]($script:Limits.MaxUserPort.Max + 1) } }
        @{ Name = 'TcpTimedWaitDelay'; Shown = 'min - 1'; Value = { [string]($script:Limits.TcpTimedWaitDelay.Min - 1) } }
        @{ Name = 'DynamicPortRangeNumberOfPorts'; Shown = '+min'; Value = { '+' + [string]$script:Limits.DynamicPortRangeNumberOfPorts.Min } }
        @{ Name = 'DynamicPortRangeStartPort'; Shown = '" min"'; Value = { ' ' + [string]$script:Limits.DynamicPortRangeStartPort.Min } }
        @{ Name = 'MaxUserPort'; Shown = '6e4'; Value = { '6e4' } }
    ) {
        $bad = & $Value
        $parameters[$Name] = $bad
        $range = $script:Limits[$Name]
        { (New-TestResource -Parameters $parameters).Test() } | Should -Throw -ExpectedMessage ("*{0} = '{1}'*{2}{3}{4} ({5})*" -f $Name, $bad, $range.Min, [char]0x2013, $range.Max, $range.Unit)
    }
}

Describe 'MailhostTcpTuning.Set' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        Remove-Item -LiteralPath $path, ($path + '.bak') -ErrorAction SilentlyContinue
        $parameters = New-DesiredParameter -SiteConfigPath $path
    }

    Context 'values absent' {
        It 'writes both Tcpip values as REG_DWORD under Tcpip\Parameters and sets the reboot marker' {
            (New-TestResource -Parameters $parameters).Set()
            $machine.Keys[$script:TcpipKey]['MaxUserPort'].Kind | Should -Be 'DWord'
            $machine.Keys[$script:TcpipKey]['MaxUserPort'].Data | Should -Be ([int]$parameters.MaxUserPort)
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'].Data | Should -Be ([int]$parameters.TcpTimedWaitDelay)
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 2 -Exactly -ParameterFilter { $SubKey -eq $script:TcpipKey -and $Kind -eq 'DWord' }
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 1 -Exactly
            $machine.Volatile.ContainsKey($script:MarkerKey) | Should -BeTrue
        }
    }

    Context 'another DWORD' {
        It 'rewrites only the value that differs' {
            $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'DWord'; Data = [int]$parameters.MaxUserPort - 1 }
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = 'DWord'; Data = [int]$parameters.TcpTimedWaitDelay }
            (New-TestResource -Parameters $parameters).Set()
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 1 -Exactly
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 1 -Exactly -ParameterFilter { $Name -eq 'MaxUserPort' -and $Kind -eq 'DWord' -and $Value -eq [int]$parameters.MaxUserPort }
        }
    }

    Context 'a value of the wrong kind' {
        It 'replaces a <Kind> holding the desired number by a REG_DWORD' -ForEach @(
            @{ Kind = 'String' }
            @{ Kind = 'QWord' }
        ) {
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = $Kind; Data = $parameters.TcpTimedWaitDelay }
            $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'DWord'; Data = [int]$parameters.MaxUserPort }
            (New-TestResource -Parameters $parameters).Set()
            $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'].Kind | Should -Be 'DWord'
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 1 -Exactly -ParameterFilter { $Name -eq 'TcpTimedWaitDelay' -and $Kind -eq 'DWord' }
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 1 -Exactly
            (New-TestResource -Parameters $parameters).Get().Reasons.Code | Should -Be @('MailhostTcpTuning:MailhostTcpTuning:RebootPending')
        }
    }

    Context 'already right' {
        It 'writes nothing, runs no netsh set, sets no marker and leaves SiteConfig.cfg alone' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $before = (Get-Item -LiteralPath $path).LastWriteTimeUtc
            (New-TestResource -Parameters $parameters).Set()
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 0 -Exactly
            Should -Invoke -CommandName Set-MailhostNetshDynamicPort -ModuleName MailhostTcpTuning -Times 0 -Exactly
            Test-Path -LiteralPath ($path + '.bak') | Should -BeFalse
            (Get-Item -LiteralPath $path).LastWriteTimeUtc | Should -Be $before
        }
    }

    Context 'dynamic port ranges' {
        It 'sets only the IPv4 range when only it differs' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.Ranges['ipv4'] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts }
            (New-TestResource -Parameters $parameters).Set()
            $expected = 'int ipv4 set dynamicport tcp start={0} num={1}' -f $parameters.DynamicPortRangeStartPort, $parameters.DynamicPortRangeNumberOfPorts
            @($machine.NetshCalls | Where-Object { $_ -match ' set ' }) | Should -Be @($expected)
            $machine.Ranges['ipv4'].StartPort | Should -Be ([int]$parameters.DynamicPortRangeStartPort)
        }

        It 'sets only the IPv6 range when only it differs, and no reboot marker (ranges need none)' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.Ranges['ipv6'] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts }
            (New-TestResource -Parameters $parameters).Set()
            @($machine.NetshCalls | Where-Object { $_ -match ' set ' }) | Should -Be @(('int ipv6 set dynamicport tcp start={0} num={1}' -f $parameters.DynamicPortRangeStartPort, $parameters.DynamicPortRangeNumberOfPorts))
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 0 -Exactly
        }

        It 'fails when netsh set fails' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.Ranges['ipv4'] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts }
            Mock -ModuleName MailhostTcpTuning -CommandName Set-MailhostNetshDynamicPort -MockWith { @{ ExitCode = 1; Output = [string[]]@('The parameter is incorrect.') } }
            { (New-TestResource -Parameters $parameters).Set() } | Should -Throw -ExpectedMessage '*failed with exit code 1*'
        }
    }

    Context 'SiteConfig.cfg' {
        It 'writes a missing file without a .bak' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            Remove-Item -LiteralPath $path
            (New-TestResource -Parameters $parameters).Set()
            (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $parameters.SiteConfigSha256
            Test-Path -LiteralPath ($path + '.bak') | Should -BeFalse
        }

        It 'replaces a different file atomically, keeping the old one as .bak, with the exact decoded bytes' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            [System.IO.File]::WriteAllText($path, "[Mail]`r`nMailboxCacheTTL = 1`r`n")
            (New-TestResource -Parameters $parameters).Set()
            [System.IO.File]::ReadAllText($path + '.bak') | Should -Be "[Mail]`r`nMailboxCacheTTL = 1`r`n"
            [System.IO.File]::ReadAllText($path) | Should -BeExactly "[Mail]`r`nMailboxCacheTTL = 600`r`nBanner: 100% & more ^_^`r`n"
            @(Get-ChildItem -LiteralPath $TestDrive -Filter '*.tmp').Count | Should -Be 0
        }

        It 'refuses content whose SHA-256 does not match, leaving the old file and everything else untouched' {
            [System.IO.File]::WriteAllText($path, "old`r`n")
            $parameters.SiteConfigSha256 = Get-TestSha256 -Text 'something else'
            { (New-TestResource -Parameters $parameters).Set() } | Should -Throw -ExpectedMessage '*left unchanged*'
            [System.IO.File]::ReadAllText($path) | Should -Be "old`r`n"
            Test-Path -LiteralPath ($path + '.bak') | Should -BeFalse
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 0 -Exactly
        }

        It 'refuses content that is not base64url (a padded or standard base64 value)' {
            $parameters.SiteConfigContentBase64Url = $parameters.SiteConfigContentBase64Url + '+/='
            { (New-TestResource -Parameters $parameters).Set() } | Should -Throw -ExpectedMessage '*SiteConfigContentBase64Url must be base64url*'
            Test-Path -LiteralPath $path | Should -BeFalse
        }
    }

    Context 'the reboot marker' {
        It 'is set when a Tcpip value changes, not when only a range or SiteConfig.cfg changes, and gone after a boot' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.Ranges['ipv4'] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts }
            [System.IO.File]::WriteAllText($path, "x`r`n")
            $resource = New-TestResource -Parameters $parameters
            $resource.Set()
            $machine.Keys.ContainsKey($script:MarkerKey) | Should -BeFalse
            $resource.Test() | Should -BeTrue

            $machine.Keys[$script:TcpipKey]['MaxUserPort'].Data = [int]$parameters.MaxUserPort - 1
            $resource.Set()
            $machine.Volatile.ContainsKey($script:MarkerKey) | Should -BeTrue
            $written = [datetime]::Parse($machine.Keys[$script:MarkerKey]['WrittenAt'].Data, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AdjustToUniversal)
            ([datetime]::UtcNow - $written).TotalMinutes | Should -BeLessThan 5
            $resource.Test() | Should -BeFalse
            $resource.Set()
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 1 -Exactly

            Invoke-FakeBoot -Machine $machine
            $resource.Test() | Should -BeTrue
            (New-TestResource -Parameters $parameters).Get().Reasons | Should -BeNullOrEmpty
        }

        It 'ignores a marker written before the last boot' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.Keys[$script:MarkerKey] = @{ WrittenAt = @{ Kind = 'String'; Data = '2020-01-01T00:00:00Z' } }
            (New-TestResource -Parameters $parameters).Test() | Should -BeTrue
        }
    }
}

Describe 'MailhostTcpTuning.Set records each correction in the Application log' {
    BeforeAll {
        # Windows' and the contract's names, written out: a misspelt source or a moved id must fail here.
        $script:EventSource = 'MailhostTcpTuning'
        $script:EventIds = @{ MaxUserPort = 1001; TcpTimedWaitDelay = 1002; DynamicPortRangeIPv4 = 1003; DynamicPortRangeIPv6 = 1004; SiteConfig = 1005 }
    }

    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        Remove-Item -LiteralPath $path, ($path + '.bak') -ErrorAction SilentlyContinue
        $parameters = New-DesiredParameter -SiteConfigPath $path
    }

    It 'writes nothing when nothing changed, under <Edition>' -ForEach @(
        @{ Edition = 'Desktop' }
        @{ Edition = 'Core' }
    ) {
        $machine.Edition = $Edition
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        (New-TestResource -Parameters $parameters).Set()
        Should -Invoke -CommandName Write-MailhostEventLogEntry -ModuleName MailhostTcpTuning -Times 0 -Exactly
        @($machine.Events).Count | Should -Be 0
    }

    It 'writes exactly one event per changed setting, naming it, the value found and the value written, under <Edition>' -ForEach @(
        @{ Edition = 'Desktop' }
        @{ Edition = 'Core' }
    ) {
        $machine.Edition = $Edition
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        $wrongDelay = [int]$parameters.TcpTimedWaitDelay + 1
        $machine.Keys[$script:TcpipKey]['TcpTimedWaitDelay'] = @{ Kind = 'DWord'; Data = $wrongDelay }
        $machine.Ranges['ipv6'] = @{ StartPort = $script:Limits.WindowsDefaults.DynamicPortRangeStartPort; NumberOfPorts = $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts }
        (New-TestResource -Parameters $parameters).Set()

        Should -Invoke -CommandName Write-MailhostEventLogEntry -ModuleName MailhostTcpTuning -Times 2 -Exactly
        $events = @($machine.Events)
        $events.Count | Should -Be 2
        foreach ($event in $events) {
            $event.Source | Should -Be $script:EventSource
            $event.LogName | Should -Be 'Application'
            $event.EntryType | Should -Be 'Information'
            $event.Values[4] | Should -Be $Edition
        }
        $delay = $events | Where-Object { $_.EventId -eq $script:EventIds.TcpTimedWaitDelay }
        $delay.Values[1] | Should -Be 'TcpTimedWaitDelay'
        $delay.Values[2] | Should -Be ('{0} (REG_DWORD)' -f $wrongDelay)
        $delay.Values[3] | Should -Be ('{0} (REG_DWORD)' -f $parameters.TcpTimedWaitDelay)
        $delay.Values[0] | Should -BeLike ('*corrected TcpTimedWaitDelay: found {0} (REG_DWORD), wrote {1} (REG_DWORD)*' -f $wrongDelay, $parameters.TcpTimedWaitDelay)
        $range = $events | Where-Object { $_.EventId -eq $script:EventIds.DynamicPortRangeIPv6 }
        $range.Values[1] | Should -Be 'DynamicPortRangeIPv6'
        $range.Values[2] | Should -Be ('{0}+{1}' -f $script:Limits.WindowsDefaults.DynamicPortRangeStartPort, $script:Limits.WindowsDefaults.DynamicPortRangeNumberOfPorts)
        $range.Values[3] | Should -Be ('{0}+{1}' -f $parameters.DynamicPortRangeStartPort, $parameters.DynamicPortRangeNumberOfPorts)
    }

    It 'writes one event for each of the five settings on a machine as Windows leaves it, with its own id' {
        (New-TestResource -Parameters $parameters).Set()
        $events = @($machine.Events)
        $events.Count | Should -Be 5
        @($events | ForEach-Object { $_.EventId } | Sort-Object) | Should -Be @($script:EventIds.Values | Sort-Object)
        foreach ($event in $events) {
            $script:EventIds[$event.Values[1]] | Should -Be $event.EventId
        }
        ($events | Where-Object { $_.Values[1] -eq 'MaxUserPort' }).Values[2] | Should -Be 'absent'
        ($events | Where-Object { $_.Values[1] -eq 'SiteConfig' }).Values[2] | Should -Be 'absent'
        ($events | Where-Object { $_.Values[1] -eq 'SiteConfig' }).Values[3] | Should -Be ('SHA-256 ' + $parameters.SiteConfigSha256)
    }

    It 'names a value of the wrong kind by its registry type and data' {
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'String'; Data = $parameters.MaxUserPort }
        (New-TestResource -Parameters $parameters).Set()
        @($machine.Events).Count | Should -Be 1
        $machine.Events[0].EventId | Should -Be $script:EventIds.MaxUserPort
        $machine.Events[0].Values[2] | Should -Be ('REG_SZ "{0}"' -f $parameters.MaxUserPort)
    }

    It 'a second Set right after a correction writes no event (the correction is idempotent)' {
        (New-TestResource -Parameters $parameters).Set()
        $machine.Events.Clear()
        (New-TestResource -Parameters $parameters).Set()
        @($machine.Events).Count | Should -Be 0
    }

    It 'keeps the correction and warns when the event cannot be written' {
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        $machine.Keys[$script:TcpipKey]['MaxUserPort'] = @{ Kind = 'DWord'; Data = [int]$parameters.MaxUserPort - 1 }
        $machine.EventLogFails = $true
        Mock -ModuleName MailhostTcpTuning -CommandName Write-Warning -MockWith { }
        (New-TestResource -Parameters $parameters).Set()
        $machine.Keys[$script:TcpipKey]['MaxUserPort'].Data | Should -Be ([int]$parameters.MaxUserPort)
        Should -Invoke -CommandName Write-Warning -ModuleName MailhostTcpTuning -Times 1 -Exactly -ParameterFilter { $Message -like '*corrected MaxUserPort*could not be written*' }
    }
}

Describe 'The event-log edge' {
    It 'uses only .NET System.Diagnostics.EventLog, no *-EventLog cmdlet (absent from PowerShell 7)' {
        $text = InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock { (Get-Command -Name Write-MailhostEventLogEntry).Definition }
        $text | Should -Match '\[System\.Diagnostics\.EventLog\]::SourceExists'
        $text | Should -Match '\[System\.Diagnostics\.EventLog\]::CreateEventSource'
        $text | Should -Match '\[System\.Diagnostics\.EventLog\]::WriteEvent'
        $text | Should -Not -Match '(New|Write|Get|Remove|Limit|Clear|Show)-EventLog'
        $module = @($script:FunctionFiles | ForEach-Object { Get-Content -LiteralPath $_ -Raw }) -join "`n"
        $module | Should -Not -Match '(?m)^[^#]*\b(New|Write|Get|Remove|Limit|Clear|Show)-EventLog\b'
    }

    It 'finds the System.Diagnostics.EventLog types in this PowerShell edition without loading anything' {
        ('System.Diagnostics.EventLog' -as [type]) | Should -Not -BeNullOrEmpty
        ('System.Diagnostics.EventInstance' -as [type]) | Should -Not -BeNullOrEmpty
    }
}

Describe 'MailhostTcpTuning and the auto-reuse port range' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        Remove-Item -LiteralPath $path, ($path + '.bak') -ErrorAction SilentlyContinue
        $parameters = Add-DesiredAutoReuseRange -Parameters (New-DesiredParameter -SiteConfigPath $path)
        $want = '{0}+{1}' -f $parameters.AutoReusePortRangeStartPort, $parameters.AutoReusePortRangeNumberOfPorts
    }

    Context 'set' {
        It 'sets the range on both custom templates only, reads it back, and sets the reboot marker' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            (New-TestResource -Parameters $parameters).Set()
            $sets = @($machine.TcpSettingCalls | Where-Object { $_ -like 'Set-*' })
            $sets | Should -Be @(
                ('Set-NetTCPSetting -SettingName InternetCustom -AutoReusePortRangeStartPort {0} -AutoReusePortRangeNumberOfPorts {1}' -f $parameters.AutoReusePortRangeStartPort, $parameters.AutoReusePortRangeNumberOfPorts)
                ('Set-NetTCPSetting -SettingName DatacenterCustom -AutoReusePortRangeStartPort {0} -AutoReusePortRangeNumberOfPorts {1}' -f $parameters.AutoReusePortRangeStartPort, $parameters.AutoReusePortRangeNumberOfPorts)
            )
            foreach ($name in @('Internet', 'Datacenter', 'Compat', 'InternetCustom', 'DatacenterCustom')) {
                $machine.TcpSettings[$name].NumberOfPorts | Should -Be ([int]$parameters.AutoReusePortRangeNumberOfPorts) -Because $name
            }
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 1 -Exactly
            $machine.Volatile.ContainsKey($script:MarkerKey) | Should -BeTrue
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 0 -Exactly
        }

        It 'records the change as one correction event (id 1006), naming the range found and the range written' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            (New-TestResource -Parameters $parameters).Set()
            $events = @($machine.Events)
            $events.Count | Should -Be 1
            $events[0].Source | Should -Be 'MailhostTcpTuning'
            $events[0].EventId | Should -Be 1006
            $events[0].Values[1] | Should -Be 'AutoReusePortRange'
            $events[0].Values[2] | Should -Be '0+0'
            $events[0].Values[3] | Should -Be $want
        }

        It 'fails, naming what it read back, when the templates do not show the new range after Set-NetTCPSetting' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            Mock -ModuleName MailhostTcpTuning -CommandName Set-MailhostNetTcpAutoReusePortRange -MockWith { }
            { (New-TestResource -Parameters $parameters).Set() } | Should -Throw -ExpectedMessage '*reported success, but Get-NetTCPSetting now reads 0+0*'
        }

        It 'fails when Windows refuses Set-NetTCPSetting, and sets no marker' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.TcpSettingFails = $true
            { (New-TestResource -Parameters $parameters).Set() } | Should -Throw -ExpectedMessage '*access denied*'
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 0 -Exactly
        }

        It 'is idempotent: a second Set changes nothing' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $resource = New-TestResource -Parameters $parameters
            $resource.Set()
            $machine.TcpSettingCalls.Clear()
            $resource.Set()
            @($machine.TcpSettingCalls | Where-Object { $_ -like 'Set-*' }).Count | Should -Be 0
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 1 -Exactly
        }
    }

    Context 'read back' {
        It 'reports the range off (0 ports) as a reason, with actual and desired values' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $current = (New-TestResource -Parameters $parameters).Get()
            Get-ReasonSetting -Resource $current | Should -Be @('AutoReusePortRange')
            $current.Reasons[0].Phrase | Should -Match ('is off \(0 ports\).*actual=0\+0; desired={0}$' -f [regex]::Escape($want))
            $current.AutoReusePortRangeNumberOfPorts | Should -Be '0'
        }

        It 'reports templates that disagree, naming each' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            Set-FakeAutoReuseRange -Machine $machine -StartPort ([int]$parameters.AutoReusePortRangeStartPort) -NumberOfPorts ([int]$parameters.AutoReusePortRangeNumberOfPorts)
            $machine.TcpSettings['Compat'] = @{ StartPort = 0; NumberOfPorts = 0 }
            $current = (New-TestResource -Parameters $parameters).Get()
            Get-ReasonSetting -Resource $current | Should -Be @('AutoReusePortRange')
            $current.Reasons[0].Phrase | Should -Match 'report different auto-reuse port ranges.*Compat=0\+0'
        }

        It 'reports an unreadable range as a reason, not as in sync' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            Mock -ModuleName MailhostTcpTuning -CommandName Get-MailhostNetTcpSetting -MockWith { throw 'Get-NetTCPSetting: provider failure' }
            $current = (New-TestResource -Parameters $parameters).Get()
            $current.Reasons[0].Phrase | Should -Match 'cannot be read: Get-NetTCPSetting: provider failure.*actual=unreadable'
        }

        It 'returns the range as configured, in sync after Set and a reboot' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $resource = New-TestResource -Parameters $parameters
            $resource.Set()
            Get-ReasonSetting -Resource $resource.Get() | Should -Be @('RebootPending')
            Invoke-FakeBoot -Machine $machine
            $current = $resource.Get()
            $current.Reasons | Should -BeNullOrEmpty
            $current.AutoReusePortRangeStartPort | Should -Be $parameters.AutoReusePortRangeStartPort
            $current.AutoReusePortRangeNumberOfPorts | Should -Be $parameters.AutoReusePortRangeNumberOfPorts
            $resource.Test() | Should -BeTrue
        }
    }

    Context 'left alone' {
        It 'neither sets nor judges a range the stack does not set, whatever the host has' {
            $plain = New-DesiredParameter -SiteConfigPath $path
            Set-MachineTuned -Machine $machine -Parameters $plain -Path $path
            Set-FakeAutoReuseRange -Machine $machine -StartPort 60000 -NumberOfPorts 300
            $resource = New-TestResource -Parameters $plain
            $resource.Test() | Should -BeTrue
            $resource.Set()
            @($machine.TcpSettingCalls | Where-Object { $_ -like 'Set-*' }).Count | Should -Be 0
            $machine.TcpSettings['InternetCustom'].StartPort | Should -Be 60000
            Should -Invoke -CommandName Set-MailhostRebootMarker -ModuleName MailhostTcpTuning -Times 0 -Exactly
        }
    }

    Context 'the reboot marker' {
        It 'is set by a changed auto-reuse range alone, and gone after a boot' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $resource = New-TestResource -Parameters $parameters
            $resource.Set()
            $machine.Volatile.ContainsKey($script:MarkerKey) | Should -BeTrue
            $resource.Test() | Should -BeFalse
            Invoke-FakeBoot -Machine $machine
            $machine.Keys.ContainsKey($script:MarkerKey) | Should -BeFalse
            $resource.Test() | Should -BeTrue
        }
    }

    Context 'bad parameters' {
        It 'refuses <Case> before changing anything' -ForEach @(
            @{ Case = 'a start without a number of ports'; Change = { param($p) $p.AutoReusePortRangeNumberOfPorts = '' }; Message = '*go together*' }
            @{ Case = 'a range outside the dynamic range'; Change = { param($p) $p.AutoReusePortRangeStartPort = [string]([int]$p.DynamicPortRangeStartPort - 1) }; Message = '*not inside the dynamic port range*' }
            @{ Case = 'a range leaving too few ports outside'; Change = { param($p) $p.AutoReusePortRangeStartPort = $p.DynamicPortRangeStartPort; $p.AutoReusePortRangeNumberOfPorts = [string]([int]$p.DynamicPortRangeNumberOfPorts - $script:Limits.MinPortsOutsideAutoReuseRange + 1) }; Message = '*fewer than*' }
            @{ Case = 'a number of ports below the limit'; Change = { param($p) $p.AutoReusePortRangeNumberOfPorts = [string]($script:Limits.AutoReusePortRangeNumberOfPorts.Min - 1) }; Message = '*AutoReusePortRangeNumberOfPorts = *' }
        ) {
            & $Change $parameters
            { (New-TestResource -Parameters $parameters).Set() } | Should -Throw -ExpectedMessage $Message
            Should -Invoke -CommandName Set-MailhostRegistryValue -ModuleName MailhostTcpTuning -Times 0 -Exactly
            @($machine.TcpSettingCalls | Where-Object { $_ -like 'Set-*' }).Count | Should -Be 0
            Test-Path -LiteralPath $path | Should -BeFalse
        }
    }
}

Describe 'MailhostTcpTuning and a configuration left by the DSC extension' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath 'SiteConfig.cfg'
        $parameters = New-DesiredParameter -SiteConfigPath $path
        Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
        $null = $machine.LcmDocuments.Add('Current.mof')
    }

    It 'under Machine Configuration (PowerShell 7), Get reports it and Set removes it' {
        $machine.Edition = 'Core'
        $resource = New-TestResource -Parameters $parameters
        $current = $resource.Get()
        Get-ReasonSetting -Resource $current | Should -Be @('LcmConfiguration')
        $current.Reasons[0].Phrase | Should -Match 'actual=Current.mof; desired=none$'
        $resource.Test() | Should -BeFalse
        $resource.Set()
        Should -Invoke -CommandName Remove-MailhostLcmDocument -ModuleName MailhostTcpTuning -Times 1 -Exactly
        $resource.Test() | Should -BeTrue
        $resource.Set()
        Should -Invoke -CommandName Remove-MailhostLcmDocument -ModuleName MailhostTcpTuning -Times 1 -Exactly
    }

    It 'under the DSC extension (Windows PowerShell), it is the resource''s own configuration: no reason, nothing removed' {
        $resource = New-TestResource -Parameters $parameters
        $resource.Test() | Should -BeTrue
        $resource.Set()
        Should -Invoke -CommandName Remove-MailhostLcmDocument -ModuleName MailhostTcpTuning -Times 0 -Exactly
        @($machine.LcmDocuments) | Should -Be @('Current.mof')
    }
}

Describe 'Decoding the parameters' {
    It 'decodes a path with spaces and content with % & ^ from base64url' {
        $path = 'C:\Program Files\Mail Front End\SiteConfig.cfg'
        $content = "[Mail]`r`nBanner: 100% & more ^_^`r`n"
        $parameters = New-DesiredParameter -SiteConfigPath $path -Content $content
        $desired = InModuleScope -ModuleName MailhostTcpTuning -Parameters @{ P = $parameters } -ScriptBlock {
            param($P)
            ConvertTo-MailhostDesiredState @P
        }
        $desired.SiteConfigPath | Should -BeExactly $path
        [System.Text.Encoding]::UTF8.GetString($desired.SiteConfigBytes) | Should -BeExactly $content
        $desired.MaxUserPort | Should -Be $script:Limits.MaxUserPort.Max
        $parameters.SiteConfigPathBase64Url | Should -Match '^[A-Za-z0-9_-]+$'
    }

    It 'refuses a path that is not absolute: <Path>' -ForEach @(
        @{ Path = 'SiteConfig.cfg' }
        @{ Path = '\Mail\SiteConfig.cfg' }
        @{ Path = 'C:Mail\SiteConfig.cfg' }
    ) {
        $parameters = New-DesiredParameter -SiteConfigPath $Path
        { InModuleScope -ModuleName MailhostTcpTuning -Parameters @{ P = $parameters } -ScriptBlock { param($P) ConvertTo-MailhostDesiredState @P } } | Should -Throw -ExpectedMessage '*must encode an absolute path*'
    }

    It 'refuses a range that ends above the highest port' {
        $parameters = New-DesiredParameter -SiteConfigPath '/tmp/x.cfg'
        $parameters.DynamicPortRangeStartPort = [string]$script:Limits.DynamicPortRangeStartPort.Max
        $parameters.DynamicPortRangeNumberOfPorts = [string]($script:Limits.DynamicPortRangeNumberOfPorts.Min + 1)
        { InModuleScope -ModuleName MailhostTcpTuning -Parameters @{ P = $parameters } -ScriptBlock { param($P) ConvertTo-MailhostDesiredState @P } } | Should -Throw -ExpectedMessage ('*above the highest port {0}*' -f $script:Limits.HighestPort)
    }

    It 'accepts both ends of every range' {
        foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay', 'DynamicPortRangeStartPort', 'DynamicPortRangeNumberOfPorts')) {
            foreach ($end in @('Min', 'Max')) {
                $value = [string]$script:Limits[$name][$end]
                InModuleScope -ModuleName MailhostTcpTuning -Parameters @{ N = $name; V = $value } -ScriptBlock { param($N, $V) ConvertTo-MailhostLimitedInt -Name $N -Value $V } | Should -Be ([int]$value)
            }
        }
    }
}

Describe 'Reading the dynamic port range from netsh' {
    It 'reads <Language> output' -ForEach @(
        @{ Language = 'en' }
        @{ Language = 'de' }
        @{ Language = 'fr' }
    ) {
        $machine = New-FakeMachine
        $machine.Language = $Language
        $machine.Ranges['ipv6'] = @{ StartPort = 12345; NumberOfPorts = 4321 }
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $range = InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock { Get-MailhostDynamicPortRange -IpVersion 'ipv6' }
        $range.StartPort | Should -Be 12345
        $range.NumberOfPorts | Should -Be 4321
    }

    It 'fails on output without two numbers, naming the output' {
        Mock -ModuleName MailhostTcpTuning -CommandName Get-MailhostNetshDynamicPort -MockWith { @{ ExitCode = 0; Output = [string[]]@('Protocol tcp Dynamic Port Range', 'Start Port : n/a') } }
        { InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock { Get-MailhostDynamicPortRange -IpVersion 'ipv4' } } | Should -Throw -ExpectedMessage '*cannot parse*Start Port*'
    }
}

Describe 'MailhostTcpTuning and the port-usage sampler' {
    BeforeEach {
        $machine = New-FakeMachine
        Register-FakeMachineMock -Machine $machine -ModuleName MailhostTcpTuning
        $path = Join-Path -Path $TestDrive -ChildPath ('SiteConfig-{0}.cfg' -f [guid]::NewGuid().ToString('n'))
        $parameters = New-DesiredParameter -SiteConfigPath $path
    }

    Context 'a host without it' {
        It 'Get reports PortUsageSampler; Set installs the script, the pool settings and the task, once' {
            Set-MachineTuned -Machine $machine -Parameters $parameters -Path $path
            $machine.PortUsageTask = $null
            Get-ReasonSetting -Resource (New-TestResource -Parameters $parameters).Get() | Should -Be @('PortUsageSampler')
            (New-TestResource -Parameters $parameters).Set()
            $machine.PortUsageTask.Execute | Should -Be 'powershell.exe'
            $machine.PortUsageTask.Arguments | Should -Match ([regex]::Escape((Join-Path -Path $machine.PortUsageDirectory -ChildPath 'Invoke-MailhostPortUsageSample.ps1')))
            (New-TestResource -Parameters $parameters).Test() | Should -BeTrue
            $registrations = $machine.PortUsageTaskRegistrations
            (New-TestResource -Parameters $parameters).Set()
            $machine.PortUsageTaskRegistrations | Should -Be $registrations -Because 'a second Set changes nothing'
        }
    }

    Context 'the pool it counts against' {
        It 'is the dynamic range the resource sets, with the source and ids of Limits.psd1' {
            (New-TestResource -Parameters $parameters).Set()
            $settings = Get-Content -LiteralPath (Join-Path $machine.PortUsageDirectory 'PortUsage.json') -Raw | ConvertFrom-Json
            $settings.Model | Should -Be 'hostPool'
            $settings.PoolStartPort | Should -Be ([int]$parameters.DynamicPortRangeStartPort)
            $settings.PoolNumberOfPorts | Should -Be ([int]$parameters.DynamicPortRangeNumberOfPorts)
            $settings.Source | Should -Be $script:Limits.PortUsageEventSource
            $settings.LogName | Should -Be $script:Limits.PortUsageEventLog
            $settings.ReadingEventId | Should -Be $script:Limits.PortUsageEventIds.Reading
        }
        It 'is the auto-reuse range, per back end, when the resource sets one' {
            $withRange = Add-DesiredAutoReuseRange -Parameters $parameters
            (New-TestResource -Parameters $withRange).Set()
            $settings = Get-Content -LiteralPath (Join-Path $machine.PortUsageDirectory 'PortUsage.json') -Raw | ConvertFrom-Json
            $settings.Model | Should -Be 'perBackend'
            $settings.PoolStartPort | Should -Be ([int]$withRange.AutoReusePortRangeStartPort)
            $settings.PoolNumberOfPorts | Should -Be ([int]$withRange.AutoReusePortRangeNumberOfPorts)
        }
        It 'rewrites the settings when the range changes, and Get sees the difference first' {
            (New-TestResource -Parameters $parameters).Set()
            $changed = New-DesiredParameter -SiteConfigPath $path
            $changed.DynamicPortRangeStartPort = [string]([int]$parameters.DynamicPortRangeStartPort - 100)
            $changed.DynamicPortRangeNumberOfPorts = [string]([int]$parameters.DynamicPortRangeNumberOfPorts + 100)
            (New-TestResource -Parameters $changed).Get().Reasons.Code | Should -Contain 'MailhostTcpTuning:MailhostTcpTuning:PortUsageSampler'
            (New-TestResource -Parameters $changed).Set()
            (Get-Content -LiteralPath (Join-Path $machine.PortUsageDirectory 'PortUsage.json') -Raw | ConvertFrom-Json).PoolNumberOfPorts | Should -Be ([int]$changed.DynamicPortRangeNumberOfPorts)
        }
    }

    Context 'the script it runs' {
        It 'holds the module sampler functions and no value: the same text for any pool' {
            (New-TestResource -Parameters $parameters).Set()
            $text = [System.IO.File]::ReadAllText((Join-Path $machine.PortUsageDirectory 'Invoke-MailhostPortUsageSample.ps1'))
            $text | Should -Match 'function Measure-MailhostPortUsage \{'
            $text | Should -Match 'function ConvertFrom-MailhostNetstat \{'
            $text | Should -Not -Match ([regex]::Escape($parameters.DynamicPortRangeNumberOfPorts))
            $tokens = $null
            $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$tokens, [ref]$errors)
            @($errors).Count | Should -Be 0
        }

        It 'runs: one reading per run, written through Write-MailhostEventLogEntry with the source, log and ids of PortUsage.json' {
            (New-TestResource -Parameters $parameters).Set()
            $start = [int]$parameters.DynamicPortRangeStartPort
            $machine.TcpConnections = @(
                [pscustomobject]@{ LocalPort = $start; RemoteAddress = '10.30.0.10'; RemotePort = 993; State = 'Established' }
                [pscustomobject]@{ LocalPort = $start + 1; RemoteAddress = '10.30.0.10'; RemotePort = 993; State = 'TimeWait' }
                [pscustomobject]@{ LocalPort = 443; RemoteAddress = '0.0.0.0'; RemotePort = 0; State = 'Listen' }
            )
            $sampler = Join-Path -Path $machine.PortUsageDirectory -ChildPath 'Invoke-MailhostPortUsageSample.ps1'
            try {
                # The script as the task runs it, its machine edges replaced (global aliases win over its own functions).
                Use-FakeMachineEdge -Machine $machine
                $null = & $sampler
            }
            finally {
                foreach ($edge in $script:FakeEdges.Keys) {
                    Remove-Item -LiteralPath ('alias:' + $edge) -Force -ErrorAction SilentlyContinue
                }
            }
            $events = @($machine.Events | Where-Object { $_.Source -eq $script:Limits.PortUsageEventSource })
            $events.Count | Should -Be 1
            $events[0].LogName | Should -Be $script:Limits.PortUsageEventLog
            $events[0].EventId | Should -Be $script:Limits.PortUsageEventIds.Reading
            $events[0].EntryType | Should -Be 'Information'
            @($events[0].Values).Count | Should -Be 1
            $reading = $events[0].Values[0] | ConvertFrom-Json
            $reading.ports | Should -Be 2
            $reading.timeWait | Should -Be 1
            $reading.budget | Should -Be ([int]$parameters.DynamicPortRangeNumberOfPorts)
        }
    }
}
