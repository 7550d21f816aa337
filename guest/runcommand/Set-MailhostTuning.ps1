<#
.SYNOPSIS
    Idempotent TCP ephemeral-port tuning of a Windows mail host, for an Azure managed Run Command
    (VirtualMachineRunCommandByVirtualMachine).

.DESCRIPTION
    Same effects as guest/dsc/MailhostTuning.ps1:
    - MaxUserPort and TcpTimedWaitDelay (REG_DWORD under Tcpip\Parameters), written only when they
      differ. They take effect only after a reboot, which this script never performs: it prints a
      warning and reports RebootRequired = true until the machine has rebooted (a volatile registry
      key, which Windows drops at boot, remembers the pending reboot between runs);
    - the TCP dynamic port range for IPv4 and IPv6 through netsh, set only when it differs;
    - SiteConfig.cfg, replaced atomically (previous file kept as <path>.bak) only when its SHA-256
      differs from the SHA-256 of the UTF-8 (no BOM) bytes of SiteConfigContent.

    Run Command passes every parameter as a string, so all are declared [string] and the numbers
    are parsed with the invariant culture. Allowed ranges are enforced by the TypeScript module that
    builds the parameters. ContentHash only makes Azure re-run the command when anything changes.

    The last line of output is one compact JSON object:
    {"RegistryChanged":bool,"RebootRequired":bool,"DynamicPortRangeChanged":bool,"SiteConfigChanged":bool,"ContentHash":string}
#>
[CmdletBinding()]
param
(
    [string]$MaxUserPort,
    [string]$TcpTimedWaitDelay,
    [string]$DynamicPortRangeStartPort,
    [string]$DynamicPortRangeNumberOfPorts,
    [string]$SiteConfigPath,
    [string]$SiteConfigContent,
    [string]$SiteConfigSha256,
    [string]$ContentHash
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$TcpipKeyPath = 'SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
$StateKeyPath = 'SOFTWARE\MailhostIac'
# Volatile: Windows does not keep it across a reboot.
$RebootPendingKeyName = 'TcpipRebootPendingUntilBoot'

function ConvertTo-Int32Parameter {
    param
    (
        [string]$Name,
        [AllowNull()]
        [AllowEmptyString()]
        [string]$Value
    )
    if ([string]::IsNullOrWhiteSpace($Value)) {
        throw ('Parameter -{0} is required and must be an integer.' -f $Name)
    }
    try {
        return [int]::Parse($Value.Trim(), [Globalization.CultureInfo]::InvariantCulture)
    }
    catch {
        throw ('Parameter -{0} must be an integer, got ''{1}''.' -f $Name, $Value)
    }
}

function Open-LocalMachineKey {
    param
    (
        [string]$SubKey,
        [bool]$Writable
    )
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        return $base.OpenSubKey($SubKey, $Writable)
    }
    finally {
        $base.Dispose()
    }
}

# Returns $true when the value was created or changed.
function Set-DwordValue {
    param
    (
        [string]$Name,
        [int]$Desired
    )
    $path = 'HKLM:\' + $TcpipKeyPath
    $key = Open-LocalMachineKey -SubKey $TcpipKeyPath -Writable $false
    if ($null -eq $key) {
        throw ('Registry key {0} does not exist.' -f $path)
    }
    try {
        $exists = @($key.GetValueNames()) -contains $Name
        $kind = $null
        $current = $null
        if ($exists) {
            $kind = $key.GetValueKind($Name)
            $current = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        }
    }
    finally {
        $key.Dispose()
    }

    if ($exists -and $kind -eq [Microsoft.Win32.RegistryValueKind]::DWord -and [int]$current -eq $Desired) {
        Write-Verbose -Message ('{0} is already {1}.' -f $Name, $Desired)
        return $false
    }
    if ($exists -and $kind -ne [Microsoft.Win32.RegistryValueKind]::DWord) {
        Remove-ItemProperty -LiteralPath $path -Name $Name -Force
        $exists = $false
    }
    if ($exists) {
        Set-ItemProperty -LiteralPath $path -Name $Name -Value $Desired -Type DWord -Force
    }
    else {
        $null = New-ItemProperty -LiteralPath $path -Name $Name -Value $Desired -PropertyType DWord -Force
    }
    Write-Verbose -Message ('{0} set from {1} to {2}.' -f $Name, $current, $Desired)
    return $true
}

function Set-RebootPending {
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $state = $base.CreateSubKey($StateKeyPath)
        try {
            $pending = $state.CreateSubKey($RebootPendingKeyName, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, [Microsoft.Win32.RegistryOptions]::Volatile)
            $pending.Dispose()
        }
        finally {
            $state.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}

function Test-RebootPending {
    $pending = Open-LocalMachineKey -SubKey ($StateKeyPath + '\' + $RebootPendingKeyName) -Writable $false
    if ($null -eq $pending) {
        return $false
    }
    $pending.Dispose()
    return $true
}

# Returns @(startPort, numberOfPorts) as reported by netsh for 'ipv4' or 'ipv6'.
function Get-DynamicPortRange {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion
    )
    $output = & netsh.exe int $IpVersion show dynamicport tcp
    if ($LASTEXITCODE -ne 0) {
        throw ('netsh int {0} show dynamicport tcp failed with exit code {1}: {2}' -f $IpVersion, $LASTEXITCODE, (@($output) -join ' '))
    }
    # The first two integers after a colon are the start port and the number of ports; the labels
    # in front of them are localised, so they are not matched.
    $found = [regex]::Matches((@($output) -join "`n"), ':\s*(\d+)')
    if ($found.Count -lt 2) {
        throw ('Cannot parse the output of netsh int {0} show dynamicport tcp: {1}' -f $IpVersion, (@($output) -join ' '))
    }
    return @([int]$found[0].Groups[1].Value, [int]$found[1].Groups[1].Value)
}

# Returns $true when the range of that IP version was changed.
function Set-DynamicPortRange {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion,
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    $current = Get-DynamicPortRange -IpVersion $IpVersion
    if ($current[0] -eq $StartPort -and $current[1] -eq $NumberOfPorts) {
        Write-Verbose -Message ('Dynamic TCP port range for {0} is already start={1} num={2}.' -f $IpVersion, $StartPort, $NumberOfPorts)
        return $false
    }
    $output = & netsh.exe int $IpVersion set dynamicport tcp ('start={0}' -f [int]$StartPort) ('num={0}' -f [int]$NumberOfPorts)
    if ($LASTEXITCODE -ne 0) {
        throw ('netsh int {0} set dynamicport tcp start={1} num={2} failed with exit code {3}: {4}' -f $IpVersion, $StartPort, $NumberOfPorts, $LASTEXITCODE, (@($output) -join ' '))
    }
    $after = Get-DynamicPortRange -IpVersion $IpVersion
    if ($after[0] -ne $StartPort -or $after[1] -ne $NumberOfPorts) {
        throw ('netsh int {0} set dynamicport tcp start={1} num={2} reported success, but the range is now start={3} num={4}: {5}' -f $IpVersion, $StartPort, $NumberOfPorts, $after[0], $after[1], (@($output) -join ' '))
    }
    Write-Verbose -Message ('Dynamic TCP port range for {0} set from start={1} num={2} to start={3} num={4}.' -f $IpVersion, $current[0], $current[1], $StartPort, $NumberOfPorts)
    return $true
}

function Get-Sha256Hex {
    param
    (
        [byte[]]$Bytes
    )
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        return [System.BitConverter]::ToString($sha.ComputeHash($Bytes)).Replace('-', '')
    }
    finally {
        $sha.Dispose()
    }
}

# Returns $true when the file was written.
function Set-SiteConfigFile {
    param
    (
        [string]$Path,
        [string]$Content,
        [string]$ExpectedHash
    )
    if (-not [System.IO.Path]::IsPathRooted($Path)) {
        throw ('Parameter -SiteConfigPath must be an absolute path, got ''{0}''.' -f $Path)
    }
    $bytes = (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false).GetBytes($Content)
    $desiredHash = Get-Sha256Hex -Bytes $bytes
    # A parameter damaged on the way (quoting, truncation) must never replace a good file.
    if ($desiredHash -ne $ExpectedHash.ToLowerInvariant()) {
        throw ('SiteConfigContent arrived damaged (SHA-256 {0}, expected {1}); {2} left unchanged.' -f $desiredHash, $ExpectedHash, $Path)
    }
    if ([System.IO.File]::Exists($Path)) {
        $actualHash = Get-Sha256Hex -Bytes ([System.IO.File]::ReadAllBytes($Path))
        if ($actualHash -eq $desiredHash) {
            Write-Verbose -Message ('{0} is up to date (SHA-256 {1}).' -f $Path, $desiredHash)
            return $false
        }
    }
    $directory = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($directory)) {
        $null = [System.IO.Directory]::CreateDirectory($directory)
    }
    $tmp = [System.IO.Path]::Combine($directory, ('{0}.{1}.tmp' -f [System.IO.Path]::GetFileName($Path), [guid]::NewGuid().ToString('N')))
    try {
        [System.IO.File]::WriteAllBytes($tmp, $bytes)
        if ([System.IO.File]::Exists($Path)) {
            [System.IO.File]::Replace($tmp, $Path, ('{0}.bak' -f $Path))
        }
        else {
            [System.IO.File]::Move($tmp, $Path)
        }
    }
    finally {
        if ([System.IO.File]::Exists($tmp)) {
            [System.IO.File]::Delete($tmp)
        }
    }
    Write-Verbose -Message ('Wrote {0} (SHA-256 {1}).' -f $Path, $desiredHash)
    return $true
}

$maxUserPortValue = ConvertTo-Int32Parameter -Name 'MaxUserPort' -Value $MaxUserPort
$tcpTimedWaitDelayValue = ConvertTo-Int32Parameter -Name 'TcpTimedWaitDelay' -Value $TcpTimedWaitDelay
$startPortValue = ConvertTo-Int32Parameter -Name 'DynamicPortRangeStartPort' -Value $DynamicPortRangeStartPort
$numberOfPortsValue = ConvertTo-Int32Parameter -Name 'DynamicPortRangeNumberOfPorts' -Value $DynamicPortRangeNumberOfPorts
if ([string]::IsNullOrWhiteSpace($SiteConfigPath)) {
    throw 'Parameter -SiteConfigPath is required.'
}
if ([string]::IsNullOrEmpty($SiteConfigContent)) {
    throw 'Parameter -SiteConfigContent is required.'
}
if ($SiteConfigSha256 -notmatch '^[0-9a-fA-F]{64}$') {
    throw 'Parameter -SiteConfigSha256 must be the SHA-256 (64 hex digits) of -SiteConfigContent.'
}
if ($null -eq $ContentHash) {
    $ContentHash = ''
}
Write-Verbose -Message ('ContentHash {0}' -f $ContentHash)

$maxUserPortChanged = Set-DwordValue -Name 'MaxUserPort' -Desired $maxUserPortValue
$tcpTimedWaitDelayChanged = Set-DwordValue -Name 'TcpTimedWaitDelay' -Desired $tcpTimedWaitDelayValue
$registryChanged = [bool]($maxUserPortChanged -or $tcpTimedWaitDelayChanged)
if ($registryChanged) {
    Set-RebootPending
}
$rebootRequired = [bool]($registryChanged -or (Test-RebootPending))

$ipv4Changed = Set-DynamicPortRange -IpVersion 'ipv4' -StartPort $startPortValue -NumberOfPorts $numberOfPortsValue
$ipv6Changed = Set-DynamicPortRange -IpVersion 'ipv6' -StartPort $startPortValue -NumberOfPorts $numberOfPortsValue
$dynamicPortRangeChanged = [bool]($ipv4Changed -or $ipv6Changed)

$siteConfigChanged = [bool](Set-SiteConfigFile -Path $SiteConfigPath -Content $SiteConfigContent -ExpectedHash $SiteConfigSha256)

if ($rebootRequired) {
    Write-Warning -Message 'A reboot is required for the Tcpip registry values MaxUserPort and TcpTimedWaitDelay to take effect.'
}

[ordered]@{
    RegistryChanged         = $registryChanged
    RebootRequired          = $rebootRequired
    DynamicPortRangeChanged = $dynamicPortRangeChanged
    SiteConfigChanged       = $siteConfigChanged
    ContentHash             = $ContentHash
} | ConvertTo-Json -Compress
