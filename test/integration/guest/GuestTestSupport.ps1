<#
    Test support for the guest PowerShell: a fake Windows machine behind the module's machine edges.

    Only the edge functions are replaced (registry reads and writes, netsh, boot time, the volatile
    reboot marker, the DSC LCM query, the event log); everything else (parsing, decoding, comparing, deciding what
    to write, the files of SiteConfig.cfg in a temporary folder) runs as written.
    Dot-source this file in BeforeAll; call Register-FakeMachineMock in BeforeEach (or in It).
#>

$script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath '../../..')).Path
$script:ModuleDir = Join-Path -Path $script:RepoRoot -ChildPath 'guest/modules/MailhostTcpTuning'
# The module's function files, one function each (Private/ and Public/). Dot-source them in the test's own
# scope with: foreach ($functionFile in $script:FunctionFiles) { . $functionFile }
$script:FunctionFiles = @(foreach ($folder in @('Private', 'Public')) {
        Get-ChildItem -LiteralPath (Join-Path -Path $script:ModuleDir -ChildPath $folder) -File | Where-Object { $_.Extension -eq '.ps1' } | Sort-Object -Property Name | ForEach-Object { $_.FullName }
    })
$script:ModuleManifest = Join-Path -Path $script:ModuleDir -ChildPath 'MailhostTcpTuning.psd1'
$script:RunCommandScript = Join-Path -Path $script:RepoRoot -ChildPath 'guest/runcommand/Set-MailhostTuning.ps1'
$script:CollectorScript = Join-Path -Path $script:RepoRoot -ChildPath 'guest/collector/Get-MailhostState.ps1'
$script:DscScript = Join-Path -Path $script:RepoRoot -ChildPath 'guest/dsc/MailhostTuning.ps1'
# The limits the guest enforces, generated from domain/limits.ts (a Node test keeps it up to date).
$script:Limits = Import-PowerShellDataFile -LiteralPath (Join-Path -Path $script:ModuleDir -ChildPath 'Limits.psd1')

# Windows' own names, written out here on purpose: a misspelt path in the module must fail the tests.
$script:TcpipKey = 'SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
$script:MarkerKey = 'SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot'

# A machine as Windows leaves it: Tcpip values absent, the default dynamic port ranges, no marker.
function New-FakeMachine {
    $defaults = $script:Limits.WindowsDefaults
    return @{
        Keys        = @{
            $script:TcpipKey       = @{}
            'SOFTWARE\MailhostIac' = @{}
            'SYSTEM\CurrentControlSet\Control\Session Manager' = @{}
        }
        Volatile    = @{}
        Unreadable  = @{}
        Ranges      = @{
            ipv4 = @{ StartPort = $defaults.DynamicPortRangeStartPort; NumberOfPorts = $defaults.DynamicPortRangeNumberOfPorts }
            ipv6 = @{ StartPort = $defaults.DynamicPortRangeStartPort; NumberOfPorts = $defaults.DynamicPortRangeNumberOfPorts }
        }
        # Get-NetTCPSetting's templates: the auto-reuse range is off (0 ports) as Windows ships it.
        # Automatic reports no values. The fake, like client Windows, lets only the custom templates be
        # modified (the custom ones can be on every version), and the range is one value of the machine.
        TcpSettings = [ordered]@{
            Automatic        = $null
            InternetCustom   = @{ StartPort = $defaults.AutoReusePortRangeStartPort; NumberOfPorts = $defaults.AutoReusePortRangeNumberOfPorts }
            DatacenterCustom = @{ StartPort = $defaults.AutoReusePortRangeStartPort; NumberOfPorts = $defaults.AutoReusePortRangeNumberOfPorts }
            Compat           = @{ StartPort = $defaults.AutoReusePortRangeStartPort; NumberOfPorts = $defaults.AutoReusePortRangeNumberOfPorts }
            Datacenter       = @{ StartPort = $defaults.AutoReusePortRangeStartPort; NumberOfPorts = $defaults.AutoReusePortRangeNumberOfPorts }
            Internet         = @{ StartPort = $defaults.AutoReusePortRangeStartPort; NumberOfPorts = $defaults.AutoReusePortRangeNumberOfPorts }
        }
        TcpSettingCalls = New-Object -TypeName System.Collections.ArrayList
        TcpSettingFails = $false
        Language    = 'en'
        NetshFails  = @{}
        NetshCalls  = New-Object -TypeName System.Collections.ArrayList
        BootTime    = [datetime]::UtcNow.AddDays(-1)
        LcmMode     = $null
        Edition     = 'Desktop'
        LcmDocuments = New-Object -TypeName System.Collections.ArrayList
        # The port-usage sampler: its folder (a fresh temporary one) and its scheduled task (none yet).
        PortUsageDirectory = Join-Path -Path ([System.IO.Path]::GetTempPath()) -ChildPath ('mailhost-portusage-' + [guid]::NewGuid().ToString('n'))
        PortUsageTask      = $null
        # Get-NetTCPConnection rows (LocalPort, RemoteAddress, RemotePort, State): none yet.
        TcpConnections     = @()
        PortUsageTaskRegistrations = 0
        # Events written through the event-log edge: @{ Source; LogName; EventId; EntryType; Values }.
        Events      = New-Object -TypeName System.Collections.ArrayList
        EventLogFails = $false
    }
}

# Output of "netsh int <ipv> show dynamicport tcp" in a display language. The labels follow the
# shapes published for English, German and French Windows: a title line, a dashed rule, then
# "<label> : <number>" lines (French typography puts a space before the colon).
function Get-FakeNetshShowOutput {
    param
    (
        [string]$Language,
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    switch ($Language) {
        'de' {
            return @('', 'Protokoll tcp Dynamischer Portbereich', '---------------------------------', ('Startport       : {0}' -f $StartPort), ('Anzahl der Ports : {0}' -f $NumberOfPorts), '')
        }
        'fr' {
            return @('', 'Plage de ports dynamique du protocole tcp', '---------------------------------', ('Port de d{0}marrage   : {1}' -f [char]0x00E9, $StartPort), ('Nombre de ports     : {0}' -f $NumberOfPorts), '')
        }
        default {
            return @('', 'Protocol tcp Dynamic Port Range', '---------------------------------', ('Start Port      : {0}' -f $StartPort), ('Number of Ports : {0}' -f $NumberOfPorts), '')
        }
    }
}

# A reboot: volatile keys disappear, the boot time moves to now.
function Invoke-FakeBoot {
    param
    (
        [hashtable]$Machine
    )
    foreach ($subKey in @($Machine.Volatile.Keys)) {
        $Machine.Keys.Remove($subKey)
    }
    $Machine.Volatile.Clear()
    $Machine.BootTime = [datetime]::UtcNow
}

# The fake machine's edges: the module's edge function names and what they do on $global:MailhostFakeMachine.
# Global: the bodies also run inside the scripts under test, where $script: is the script's own scope.
$script:FakeEdges = [ordered]@{
    'Get-MailhostNetTcpConnection' = {
        return @($global:MailhostFakeMachine.TcpConnections)
    }
    'Get-MailhostPortUsageDirectory' = {
        return $global:MailhostFakeMachine.PortUsageDirectory
    }
    'Get-MailhostPortUsageTask' = {
        return $global:MailhostFakeMachine.PortUsageTask
    }
    'Register-MailhostPortUsageTask' = {
        param([string]$Execute, [string]$Arguments)
        $global:MailhostFakeMachine.PortUsageTask = @{ Execute = $Execute; Arguments = $Arguments }
        $global:MailhostFakeMachine.PortUsageTaskRegistrations++
    }
    'Get-MailhostRegistryValue' = {
        param([string]$SubKey, [string]$Name)
        $m = $global:MailhostFakeMachine
        if ($m.Unreadable.ContainsKey($SubKey + '\' + $Name)) {
            throw ('Requested registry access is not allowed. ({0})' -f $Name)
        }
        if (-not $m.Keys.ContainsKey($SubKey)) {
            throw ('key HKLM\{0} not found' -f $SubKey)
        }
        $key = $m.Keys[$SubKey]
        if (-not $key.ContainsKey($Name)) {
            return $null
        }
        return @{ Kind = $key[$Name].Kind; Data = $key[$Name].Data }
    }
    'Test-MailhostRegistryKey' = {
        param([string]$SubKey)
        return $global:MailhostFakeMachine.Keys.ContainsKey($SubKey)
    }
    'Set-MailhostRegistryValue' = {
        param([string]$SubKey, [string]$Name, [object]$Value, [string]$Kind)
        $m = $global:MailhostFakeMachine
        if (-not $m.Keys.ContainsKey($SubKey)) {
            throw ('Registry key HKLM\{0} does not exist.' -f $SubKey)
        }
        $m.Keys[$SubKey][$Name] = @{ Kind = $Kind; Data = $Value }
    }
    'Set-MailhostRebootMarker' = {
        param([string]$WrittenAt)
        $m = $global:MailhostFakeMachine
        $m.Keys[$global:MailhostFakeMarkerKey] = @{ WrittenAt = @{ Kind = 'String'; Data = $WrittenAt } }
        $m.Volatile[$global:MailhostFakeMarkerKey] = $true
    }
    'Get-MailhostBootTime' = {
        return $global:MailhostFakeMachine.BootTime
    }
    'Get-MailhostLcmConfigurationMode' = {
        return $global:MailhostFakeMachine.LcmMode
    }
    'Get-MailhostPowerShellEdition' = {
        return $global:MailhostFakeMachine.Edition
    }
    'Get-MailhostLcmDocument' = {
        return [string[]]@($global:MailhostFakeMachine.LcmDocuments)
    }
    'Write-MailhostEventLogEntry' = {
        param([string]$Source, [string]$LogName, [int]$EventId, [string]$EntryType, [string[]]$Values)
        $m = $global:MailhostFakeMachine
        if ($m.EventLogFails) {
            throw 'Requested registry access is not allowed.'
        }
        $null = $m.Events.Add(@{ Source = $Source; LogName = $LogName; EventId = $EventId; EntryType = $EntryType; Values = [string[]]@($Values) })
    }
    'Remove-MailhostLcmDocument' = {
        $global:MailhostFakeMachine.LcmDocuments.Clear()
    }
    'Get-MailhostNetshDynamicPort' = {
        param([string]$IpVersion)
        $m = $global:MailhostFakeMachine
        $null = $m.NetshCalls.Add(('int {0} show dynamicport tcp' -f $IpVersion))
        if ($m.NetshFails.ContainsKey($IpVersion)) {
            return @{ ExitCode = 1; Output = [string[]]@($m.NetshFails[$IpVersion]) }
        }
        $range = $m.Ranges[$IpVersion]
        return @{ ExitCode = 0; Output = [string[]](Get-FakeNetshShowOutput -Language $m.Language -StartPort $range.StartPort -NumberOfPorts $range.NumberOfPorts) }
    }
    'Get-MailhostNetTcpSetting' = {
        $m = $global:MailhostFakeMachine
        $null = $m.TcpSettingCalls.Add('Get-NetTCPSetting')
        $out = [System.Collections.Generic.List[hashtable]]::new()
        foreach ($name in @($m.TcpSettings.Keys)) {
            $value = $m.TcpSettings[$name]
            if ($null -ne $value) {
                $out.Add(@{ SettingName = $name; StartPort = $value.StartPort; NumberOfPorts = $value.NumberOfPorts })
            }
        }
        return $out.ToArray()
    }
    'Set-MailhostNetTcpAutoReusePortRange' = {
        param([string]$SettingName, [int]$StartPort, [int]$NumberOfPorts)
        $m = $global:MailhostFakeMachine
        $null = $m.TcpSettingCalls.Add(('Set-NetTCPSetting -SettingName {0} -AutoReusePortRangeStartPort {1} -AutoReusePortRangeNumberOfPorts {2}' -f $SettingName, $StartPort, $NumberOfPorts))
        if ($m.TcpSettingFails -or $SettingName -notlike '*Custom') {
            throw ('Set-NetTCPSetting: access denied for setting {0}' -f $SettingName)
        }
        # The range is one value of the machine: every template that reports it shows the new one.
        foreach ($name in @($m.TcpSettings.Keys)) {
            if ($null -ne $m.TcpSettings[$name]) {
                $m.TcpSettings[$name] = @{ StartPort = $StartPort; NumberOfPorts = $NumberOfPorts }
            }
        }
    }
    'Set-MailhostNetshDynamicPort' = {
        param([string]$IpVersion, [int]$StartPort, [int]$NumberOfPorts)
        $m = $global:MailhostFakeMachine
        $null = $m.NetshCalls.Add(('int {0} set dynamicport tcp start={1} num={2}' -f $IpVersion, $StartPort, $NumberOfPorts))
        if ($m.NetshFails.ContainsKey($IpVersion)) {
            return @{ ExitCode = 1; Output = [string[]]@($m.NetshFails[$IpVersion]) }
        }
        $m.Ranges[$IpVersion] = @{ StartPort = $StartPort; NumberOfPorts = $NumberOfPorts }
        return @{ ExitCode = 0; Output = [string[]]@('Ok.') }
    }
}

# A machine whose auto-reuse port range is configured (every template reports it, as a global value does).
function Set-FakeAutoReuseRange {
    param
    (
        [hashtable]$Machine,
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    foreach ($name in @($Machine.TcpSettings.Keys)) {
        if ($null -ne $Machine.TcpSettings[$name]) {
            $Machine.TcpSettings[$name] = @{ StartPort = $StartPort; NumberOfPorts = $NumberOfPorts }
        }
    }
}

# Replaces the module's machine edges by the fake machine $Machine with Pester mocks. -ModuleName: mock
# inside the module (the DSC resource); without it, for a script run from the repository or assembled.
function Register-FakeMachineMock {
    param
    (
        [hashtable]$Machine,
        [string]$ModuleName
    )
    $common = @{}
    if ($ModuleName) {
        $common['ModuleName'] = $ModuleName
    }
    $global:MailhostFakeMachine = $Machine
    $global:MailhostFakeMarkerKey = $script:MarkerKey
    foreach ($edge in $script:FakeEdges.Keys) {
        Mock @common -CommandName $edge -MockWith $script:FakeEdges[$edge]
    }
}

# The same replacement without Pester, for a script run in a plain pwsh process: global aliases,
# which PowerShell resolves before the functions the script defines.
function Use-FakeMachineEdge {
    param
    (
        [hashtable]$Machine
    )
    $global:MailhostFakeMachine = $Machine
    $global:MailhostFakeMarkerKey = $script:MarkerKey
    foreach ($edge in $script:FakeEdges.Keys) {
        $fake = 'Invoke-Fake' + ($edge -replace '-', '')
        $null = New-Item -Path ('function:global:{0}' -f $fake) -Value $script:FakeEdges[$edge] -Force
        Set-Alias -Name $edge -Value $fake -Scope Global
    }
}

# base64url without padding of the UTF-8 bytes of a text (what the TypeScript side sends).
function ConvertTo-TestBase64Url {
    param
    (
        [AllowEmptyString()]
        [string]$Text
    )
    $bytes = (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false).GetBytes($Text)
    return [System.Convert]::ToBase64String($bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')
}

function Get-TestSha256 {
    param
    (
        [AllowEmptyString()]
        [string]$Text
    )
    $bytes = (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false).GetBytes($Text)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        return [System.BitConverter]::ToString($sha.ComputeHash($bytes)).Replace('-', '').ToLowerInvariant()
    }
    finally {
        $sha.Dispose()
    }
}

# Adds an auto-reuse port range to desired parameters, widening the dynamic range so that the
# auto-reuse range lies strictly inside it with MinPortsOutsideAutoReuseRange ports left outside.
function Add-DesiredAutoReuseRange {
    param
    (
        [System.Collections.IDictionary]$Parameters
    )
    $limits = $script:Limits
    $autoCount = $limits.AutoReusePortRangeNumberOfPorts.Min * 2
    $count = $limits.MinPortsOutsideAutoReuseRange + $autoCount
    $start = $limits.HighestPort - $count + 1
    $Parameters.MaxUserPort = [string]$limits.HighestPort
    if ($limits.HighestPort -gt $limits.MaxUserPort.Max) {
        $Parameters.MaxUserPort = [string]$limits.MaxUserPort.Max
    }
    $Parameters.DynamicPortRangeStartPort = [string]$start
    $Parameters.DynamicPortRangeNumberOfPorts = [string]$count
    $Parameters.AutoReusePortRangeStartPort = [string]($limits.HighestPort - $autoCount + 1)
    $Parameters.AutoReusePortRangeNumberOfPorts = [string]$autoCount
    return $Parameters
}

# Desired values inside the limits, as the plan would send them (strings), for a SiteConfig.cfg path.
# The numbers are taken from Limits.psd1 so that they move with domain/limits.ts.
function New-DesiredParameter {
    param
    (
        [string]$SiteConfigPath,
        [string]$Content = ("[Mail]`r`nMailboxCacheTTL = 600`r`nBanner: 100% & more ^_^`r`n")
    )
    $limits = $script:Limits
    $count = $limits.DynamicPortRangeNumberOfPorts.Min * 2
    return [ordered]@{
        MaxUserPort                   = [string]$limits.MaxUserPort.Max
        TcpTimedWaitDelay             = [string]$limits.TcpTimedWaitDelay.Min
        DynamicPortRangeStartPort     = [string]($limits.HighestPort - $count + 1)
        DynamicPortRangeNumberOfPorts = [string]$count
        SiteConfigPathBase64Url       = ConvertTo-TestBase64Url -Text $SiteConfigPath
        SiteConfigContentBase64Url    = ConvertTo-TestBase64Url -Text $Content
        SiteConfigSha256              = Get-TestSha256 -Text $Content
    }
}
