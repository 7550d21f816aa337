<#
.SYNOPSIS
    DSC v1 configuration for the Azure DSC VM extension (Microsoft.Powershell/DSC 2.x):
    TCP ephemeral-port tuning of a Windows mail host and its SiteConfig.cfg.

.DESCRIPTION
    Configuration function: MailhostTuning. Archive it (zip of this file) and name it in the
    extension settings together with configurationArguments.

    - MaxUserPort and TcpTimedWaitDelay (REG_DWORD under Tcpip\Parameters). Both take effect only
      after a reboot. PendingReboot does not notice these values, so the configuration asks the LCM
      for a reboot itself, and only when one of the values really changed:
        1. Script TcpipChangeMarker writes HKLM:\SOFTWARE\MailhostIac\TcpipRebootPending = 1 when
           either value differs from the desired one (it never requests a reboot);
        2. the two Registry resources set the values;
        3. Script TcpipRebootRequest removes the marker and requests the reboot (DSCMachineStatus).
      After the reboot the values match and the marker is gone, so nothing reboots again.
    - The TCP dynamic port range for IPv4 and IPv6, through netsh (no reboot needed).
    - SiteConfig.cfg, replaced atomically (previous file kept as <path>.bak) when its SHA-256
      differs from the SHA-256 of the UTF-8 (no BOM) bytes of SiteConfigContent.

    Allowed ranges of the numbers are enforced by the TypeScript module that builds the arguments;
    this script only checks types and basic sanity.

    Script resources read the parameters through $using:. Build strings from them with -f or
    concatenation, never with $(...) inside a double-quoted string (scripts/lint-powershell.ts).
#>
Configuration MailhostTuning {
    param
    (
        [Parameter(Mandatory)]
        [int]$MaxUserPort,

        [Parameter(Mandatory)]
        [int]$TcpTimedWaitDelay,

        [Parameter(Mandatory)]
        [int]$DynamicPortRangeStartPort,

        [Parameter(Mandatory)]
        [int]$DynamicPortRangeNumberOfPorts,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$SiteConfigPath,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string]$SiteConfigContent,

        # SHA-256 (hex) of SiteConfigContent as rendered: the file is written only when what
        # arrived matches, so a value damaged on the way never replaces a good file.
        [Parameter(Mandatory)]
        [ValidatePattern('^[0-9a-fA-F]{64}$')]
        [string]$SiteConfigSha256
    )

    Import-DscResource -ModuleName PSDesiredStateConfiguration

    Node localhost {
        LocalConfigurationManager {
            ConfigurationMode  = 'ApplyAndAutoCorrect'
            RebootNodeIfNeeded = $true
            ActionAfterReboot  = 'ContinueConfiguration'
        }

        # Runs before the Registry resources: remembers whether they are about to change something.
        Script TcpipChangeMarker {
            GetScript  = {
                $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
                $item = Get-Item -LiteralPath $key -ErrorAction SilentlyContinue
                $current = @{}
                foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
                    $value = $null
                    if ($null -ne $item) {
                        $value = $item.GetValue($name, $null)
                    }
                    $current[$name] = $value
                }
                return @{
                    Result = ('MaxUserPort={0};TcpTimedWaitDelay={1}' -f $current['MaxUserPort'], $current['TcpTimedWaitDelay'])
                }
            }
            TestScript = {
                $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
                $desired = @{
                    MaxUserPort       = [int]$using:MaxUserPort
                    TcpTimedWaitDelay = [int]$using:TcpTimedWaitDelay
                }
                $item = Get-Item -LiteralPath $key -ErrorAction SilentlyContinue
                if ($null -eq $item) {
                    return $false
                }
                $names = @($item.GetValueNames())
                foreach ($name in $desired.Keys) {
                    if ($names -notcontains $name) {
                        return $false
                    }
                    if ($item.GetValueKind($name) -ne [Microsoft.Win32.RegistryValueKind]::DWord) {
                        return $false
                    }
                    if ([int]$item.GetValue($name) -ne $desired[$name]) {
                        return $false
                    }
                }
                return $true
            }
            SetScript  = {
                $markerKey = 'HKLM:\SOFTWARE\MailhostIac'
                if (-not (Test-Path -LiteralPath $markerKey)) {
                    $null = New-Item -Path $markerKey -Force
                }
                $null = New-ItemProperty -LiteralPath $markerKey -Name 'TcpipRebootPending' -PropertyType DWord -Value 1 -Force
                Write-Verbose -Message 'Tcpip registry values differ from the desired ones: reboot marker written.'
            }
        }

        Registry TcpipMaxUserPort {
            Ensure    = 'Present'
            Key       = 'HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
            ValueName = 'MaxUserPort'
            ValueData = [string]$MaxUserPort
            ValueType = 'Dword'
            Force     = $true
            DependsOn = '[Script]TcpipChangeMarker'
        }

        Registry TcpipTcpTimedWaitDelay {
            Ensure    = 'Present'
            Key       = 'HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
            ValueName = 'TcpTimedWaitDelay'
            ValueData = [string]$TcpTimedWaitDelay
            ValueType = 'Dword'
            Force     = $true
            DependsOn = '[Script]TcpipChangeMarker'
        }

        Script DynamicPortRange {
            GetScript  = {
                $parts = @()
                foreach ($ipv in @('ipv4', 'ipv6')) {
                    $output = & netsh.exe int $ipv show dynamicport tcp
                    $numbers = @([regex]::Matches((@($output) -join "`n"), ':\s*(\d+)') | ForEach-Object { $_.Groups[1].Value })
                    $parts += ('{0}:start={1},num={2}' -f $ipv, ($numbers | Select-Object -First 1), ($numbers | Select-Object -Skip 1 -First 1))
                }
                return @{ Result = ($parts -join ';') }
            }
            TestScript = {
                $start = [int]$using:DynamicPortRangeStartPort
                $num = [int]$using:DynamicPortRangeNumberOfPorts
                foreach ($ipv in @('ipv4', 'ipv6')) {
                    $output = & netsh.exe int $ipv show dynamicport tcp
                    if ($LASTEXITCODE -ne 0) {
                        throw ('netsh int {0} show dynamicport tcp failed with exit code {1}: {2}' -f $ipv, $LASTEXITCODE, (@($output) -join ' '))
                    }
                    # First two integers after a colon: start port, number of ports (labels are localised).
                    $found = [regex]::Matches((@($output) -join "`n"), ':\s*(\d+)')
                    if ($found.Count -lt 2) {
                        throw ('Cannot parse the output of netsh int {0} show dynamicport tcp: {1}' -f $ipv, (@($output) -join ' '))
                    }
                    if ([int]$found[0].Groups[1].Value -ne $start -or [int]$found[1].Groups[1].Value -ne $num) {
                        return $false
                    }
                }
                return $true
            }
            SetScript  = {
                $start = [int]$using:DynamicPortRangeStartPort
                $num = [int]$using:DynamicPortRangeNumberOfPorts
                foreach ($ipv in @('ipv4', 'ipv6')) {
                    $output = & netsh.exe int $ipv show dynamicport tcp
                    if ($LASTEXITCODE -ne 0) {
                        throw ('netsh int {0} show dynamicport tcp failed with exit code {1}: {2}' -f $ipv, $LASTEXITCODE, (@($output) -join ' '))
                    }
                    $found = [regex]::Matches((@($output) -join "`n"), ':\s*(\d+)')
                    if ($found.Count -lt 2) {
                        throw ('Cannot parse the output of netsh int {0} show dynamicport tcp: {1}' -f $ipv, (@($output) -join ' '))
                    }
                    if ([int]$found[0].Groups[1].Value -eq $start -and [int]$found[1].Groups[1].Value -eq $num) {
                        continue
                    }
                    $setOutput = & netsh.exe int $ipv set dynamicport tcp ('start={0}' -f [int]$start) ('num={0}' -f [int]$num)
                    if ($LASTEXITCODE -ne 0) {
                        throw ('netsh int {0} set dynamicport tcp start={1} num={2} failed with exit code {3}: {4}' -f $ipv, $start, $num, $LASTEXITCODE, (@($setOutput) -join ' '))
                    }
                    Write-Verbose -Message ('Dynamic TCP port range for {0} set to start={1} num={2}.' -f $ipv, $start, $num)
                }
            }
        }

        Script SiteConfigFile {
            GetScript  = {
                $path = [string]$using:SiteConfigPath
                $hash = ''
                if (Test-Path -LiteralPath $path -PathType Leaf) {
                    $hash = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
                }
                return @{ Result = $hash }
            }
            TestScript = {
                $path = [string]$using:SiteConfigPath
                if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
                    return $false
                }
                $bytes = (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false).GetBytes([string]$using:SiteConfigContent)
                $sha = [System.Security.Cryptography.SHA256]::Create()
                try {
                    $desired = [System.BitConverter]::ToString($sha.ComputeHash($bytes)).Replace('-', '')
                }
                finally {
                    $sha.Dispose()
                }
                $actual = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
                return [bool]($actual -eq $desired)
            }
            SetScript  = {
                $path = [string]$using:SiteConfigPath
                if (-not [System.IO.Path]::IsPathRooted($path)) {
                    throw ('SiteConfigPath must be an absolute path, got: {0}' -f $path)
                }
                $bytes = (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false).GetBytes([string]$using:SiteConfigContent)
                $sha = [System.Security.Cryptography.SHA256]::Create()
                try {
                    $arrived = [System.BitConverter]::ToString($sha.ComputeHash($bytes)).Replace('-', '')
                }
                finally {
                    $sha.Dispose()
                }
                if ($arrived -ne ([string]$using:SiteConfigSha256).ToUpperInvariant()) {
                    throw ('SiteConfigContent arrived damaged (SHA-256 {0}, expected {1}); {2} left unchanged.' -f $arrived, $using:SiteConfigSha256, $path)
                }
                $directory = [System.IO.Path]::GetDirectoryName($path)
                if (-not [System.IO.Directory]::Exists($directory)) {
                    $null = [System.IO.Directory]::CreateDirectory($directory)
                }
                $tmp = [System.IO.Path]::Combine($directory, ('{0}.{1}.tmp' -f [System.IO.Path]::GetFileName($path), [guid]::NewGuid().ToString('N')))
                try {
                    [System.IO.File]::WriteAllBytes($tmp, $bytes)
                    if ([System.IO.File]::Exists($path)) {
                        $backup = $path + '.bak'
                        [System.IO.File]::Replace($tmp, $path, $backup)
                    }
                    else {
                        [System.IO.File]::Move($tmp, $path)
                    }
                }
                finally {
                    if ([System.IO.File]::Exists($tmp)) {
                        [System.IO.File]::Delete($tmp)
                    }
                }
                Write-Verbose -Message ('Wrote {0} ({1} bytes).' -f $path, $bytes.Length)
            }
        }

        # Declared last so that the other resources are applied before the LCM reboots.
        Script TcpipRebootRequest {
            GetScript  = {
                $markerKey = 'HKLM:\SOFTWARE\MailhostIac'
                $pending = $false
                $item = Get-Item -LiteralPath $markerKey -ErrorAction SilentlyContinue
                if ($null -ne $item -and @($item.GetValueNames()) -contains 'TcpipRebootPending') {
                    $pending = $true
                }
                return @{ Result = ('TcpipRebootPending={0}' -f $pending) }
            }
            TestScript = {
                $markerKey = 'HKLM:\SOFTWARE\MailhostIac'
                $item = Get-Item -LiteralPath $markerKey -ErrorAction SilentlyContinue
                if ($null -eq $item) {
                    return $true
                }
                return [bool](@($item.GetValueNames()) -notcontains 'TcpipRebootPending')
            }
            SetScript  = {
                $markerKey = 'HKLM:\SOFTWARE\MailhostIac'
                Remove-ItemProperty -LiteralPath $markerKey -Name 'TcpipRebootPending' -Force -ErrorAction SilentlyContinue
                Write-Verbose -Message 'Tcpip registry values changed: requesting a reboot from the LCM.'
                $global:DSCMachineStatus = 1
            }
            DependsOn  = @('[Registry]TcpipMaxUserPort', '[Registry]TcpipTcpTimedWaitDelay')
        }
    }
}
