<#
    Functions of the MailhostTcpTuning module: the one implementation of the guest's TCP tuning.

    The DSC resource (MailhostTcpTuning.psm1) dot-sources this file. The run-command tuning script
    and the drift collector are assembled at build time (components/guestScripts.ts) from their
    entry file plus the functions of this file they use, so every mechanism runs the same code.

    Layout rule the assembler relies on: every function starts with "function Verb-Noun {" at the
    start of a line and ends with "}" alone on a line; nothing but comments lies between them.

    Machine edges (the only functions that touch the machine; tests replace them):
      Get-MailhostRegistryValue, Set-MailhostRegistryValue, Test-MailhostRegistryKey,
      Get-MailhostNetshDynamicPort, Set-MailhostNetshDynamicPort, Get-MailhostNetTcpSetting,
      Set-MailhostNetTcpAutoReusePortRange, Read-MailhostFileBytes, Write-MailhostFileAtomic,
      Get-MailhostBootTime, Get-MailhostRebootMarker, Set-MailhostRebootMarker,
      Get-MailhostLcmConfigurationMode, Get-MailhostPowerShellEdition, Get-MailhostLcmDocument,
      Remove-MailhostLcmDocument, Write-MailhostEventLogEntry.

    Limits come from $script:MailhostTcpTuningLimits (Limits.psd1, generated from domain/limits.ts).
    Windows PowerShell 5.1 and PowerShell 7 syntax and .NET Framework 4.x APIs only.
#>

# The registry key of the TCP/IP parameters (KB 314053, "TCP/IP and NBT configuration parameters").
function Get-MailhostTcpipSubKey {
    return 'SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
}

# The volatile marker of a Tcpip write that waits for a reboot (HKLM). Windows drops volatile keys at boot.
function Get-MailhostRebootMarkerSubKey {
    return 'SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot'
}

# ---- Machine edges ------------------------------------------------------------------------------

# One HKLM value (64-bit view): $null when the value is absent, else @{ Kind = '<RegistryValueKind name>'; Data = <object> }.
# Throws when the key does not exist or cannot be read.
function Get-MailhostRegistryValue {
    param
    (
        [string]$SubKey,
        [string]$Name
    )
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey, $false)
        if ($null -eq $key) {
            throw ('key HKLM\{0} not found' -f $SubKey)
        }
        try {
            if (@($key.GetValueNames()) -notcontains $Name) {
                return $null
            }
            $kind = $key.GetValueKind($Name)
            $data = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            return @{ Kind = [string]$kind; Data = $data }
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}

# Writes one HKLM value (64-bit view) with the given RegistryValueKind name; an existing value of any kind is replaced.
function Set-MailhostRegistryValue {
    param
    (
        [string]$SubKey,
        [string]$Name,
        [object]$Value,
        [string]$Kind
    )
    $valueKind = [Microsoft.Win32.RegistryValueKind]$Kind
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey, $true)
        if ($null -eq $key) {
            throw ('Registry key HKLM\{0} does not exist.' -f $SubKey)
        }
        try {
            $key.SetValue($Name, $Value, $valueKind)
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}

# True when the HKLM key exists (64-bit view).
function Test-MailhostRegistryKey {
    param
    (
        [string]$SubKey
    )
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey, $false)
        if ($null -eq $key) {
            return $false
        }
        $key.Dispose()
        return $true
    }
    finally {
        $base.Dispose()
    }
}

# Output of "netsh int <ipv4|ipv6> show dynamicport tcp": @{ ExitCode = <int>; Output = <string[]> }.
function Get-MailhostNetshDynamicPort {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion
    )
    $output = & netsh.exe int $IpVersion show dynamicport tcp
    return @{ ExitCode = [int]$LASTEXITCODE; Output = [string[]]@($output) }
}

# Runs "netsh int <ipv4|ipv6> set dynamicport tcp start=<StartPort> num=<NumberOfPorts>": @{ ExitCode; Output }.
function Set-MailhostNetshDynamicPort {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion,
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    $output = & netsh.exe int $IpVersion set dynamicport tcp ('start={0}' -f $StartPort) ('num={0}' -f $NumberOfPorts)
    return @{ ExitCode = [int]$LASTEXITCODE; Output = [string[]]@($output) }
}

# The auto-reuse port range of every TCP setting template that reports one (Get-NetTCPSetting,
# MSFT_NetTCPSetting AutoReusePortRangeStartPort/AutoReusePortRangeNumberOfPorts, UInt16; 0 ports
# means the feature is off): @(@{ SettingName; StartPort; NumberOfPorts }). Templates without the
# values (such as Automatic) are left out. Reads only.
function Get-MailhostNetTcpSetting {
    $found = [System.Collections.Generic.List[hashtable]]::new()
    foreach ($setting in @(Get-NetTCPSetting -ErrorAction Stop)) {
        if ($null -eq $setting.AutoReusePortRangeStartPort -or $null -eq $setting.AutoReusePortRangeNumberOfPorts) {
            continue
        }
        $found.Add(@{ SettingName = [string]$setting.SettingName; StartPort = [int]$setting.AutoReusePortRangeStartPort; NumberOfPorts = [int]$setting.AutoReusePortRangeNumberOfPorts })
    }
    return $found.ToArray()
}

# Runs "Set-NetTCPSetting -SettingName <SettingName> -AutoReusePortRangeStartPort <StartPort>
# -AutoReusePortRangeNumberOfPorts <NumberOfPorts>". Throws when Windows refuses it.
function Set-MailhostNetTcpAutoReusePortRange {
    param
    (
        [string]$SettingName,
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    Set-NetTCPSetting -SettingName $SettingName -AutoReusePortRangeStartPort $StartPort -AutoReusePortRangeNumberOfPorts $NumberOfPorts -ErrorAction Stop
}

# The bytes of a file, or $null when it does not exist. Throws when the path is not a file or cannot be read.
function Read-MailhostFileBytes {
    param
    (
        [string]$Path
    )
    if ([System.IO.Directory]::Exists($Path)) {
        throw 'path is not a file'
    }
    if (-not [System.IO.File]::Exists($Path)) {
        return $null
    }
    return , [System.IO.File]::ReadAllBytes($Path)
}

# Replaces a file atomically: the bytes go to a temporary file in the same folder, which then
# replaces the file (File.Replace keeps the previous file as <Path>.bak) or is moved into place.
function Write-MailhostFileAtomic {
    param
    (
        [string]$Path,
        [byte[]]$Bytes
    )
    $directory = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($directory)) {
        $null = [System.IO.Directory]::CreateDirectory($directory)
    }
    $tmp = [System.IO.Path]::Combine($directory, ('{0}.{1}.tmp' -f [System.IO.Path]::GetFileName($Path), [guid]::NewGuid().ToString('N')))
    try {
        [System.IO.File]::WriteAllBytes($tmp, $Bytes)
        if ([System.IO.File]::Exists($Path)) {
            [System.IO.File]::Replace($tmp, $Path, ($Path + '.bak'))
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
}

# Last boot time of the machine, in UTC (Win32_OperatingSystem.LastBootUpTime).
function Get-MailhostBootTime {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
    return ([datetime]$os.LastBootUpTime).ToUniversalTime()
}

# WrittenAt (ISO 8601 UTC text) of the volatile reboot marker, or $null when the marker does not exist.
function Get-MailhostRebootMarker {
    $subKey = Get-MailhostRebootMarkerSubKey
    if (-not (Test-MailhostRegistryKey -SubKey $subKey)) {
        return $null
    }
    $value = Get-MailhostRegistryValue -SubKey $subKey -Name 'WrittenAt'
    if ($null -eq $value) {
        return ''
    }
    return [string]$value.Data
}

# Creates the VOLATILE key HKLM\SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot with WrittenAt (ISO 8601 UTC).
# Windows does not keep volatile keys across a reboot (RegistryOptions.Volatile, REG_OPTION_VOLATILE).
function Set-MailhostRebootMarker {
    param
    (
        [string]$WrittenAt
    )
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.CreateSubKey((Get-MailhostRebootMarkerSubKey), [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, [Microsoft.Win32.RegistryOptions]::Volatile)
        try {
            $key.SetValue('WrittenAt', $WrittenAt, [Microsoft.Win32.RegistryValueKind]::String)
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}

# The PowerShell edition running this code: 'Core' under Azure Machine Configuration (PowerShell 7),
# 'Desktop' under the DSC extension and Run Command (Windows PowerShell 5.1).
function Get-MailhostPowerShellEdition {
    return [string]$PSVersionTable.PSEdition
}

# Names of the DSC Local Configuration Manager documents present (Current.mof, Pending.mof) in
# %SystemRoot%\System32\Configuration (through Sysnative from a 32-bit process). Reads only.
function Get-MailhostLcmDocument {
    $system = [System.Environment]::SystemDirectory
    if ([System.Environment]::Is64BitOperatingSystem -and -not [System.Environment]::Is64BitProcess) {
        $system = Join-Path -Path $env:SystemRoot -ChildPath 'Sysnative'
    }
    $found = [System.Collections.Generic.List[string]]::new()
    foreach ($document in @('Current.mof', 'Pending.mof')) {
        if (Test-Path -LiteralPath (Join-Path -Path $system -ChildPath ('Configuration\' + $document)) -PathType Leaf) {
            $found.Add($document)
        }
    }
    return $found.ToArray()
}

# Removes the LCM's configuration documents through Windows PowerShell 5.1, where the LCM cmdlets
# live (Remove-DscConfigurationDocument; the settings they applied stay as they are).
function Remove-MailhostLcmDocument {
    $windowsPowerShell = Join-Path -Path $env:SystemRoot -ChildPath 'System32\WindowsPowerShell\v1.0\powershell.exe'
    $output = & $windowsPowerShell -NoProfile -NonInteractive -Command 'Remove-DscConfigurationDocument -Stage Current, Pending, Previous -Force -ErrorAction Stop'
    if ($LASTEXITCODE -ne 0) {
        throw ('Remove-DscConfigurationDocument failed with exit code {0}: {1}' -f $LASTEXITCODE, (Format-MailhostShortText -Text (@($output) -join ' ') -MaxLength 200))
    }
}

# ConfigurationMode of the DSC Local Configuration Manager when a DSC configuration has been applied
# (Current.mof or Pending.mof exists, or Get-DscConfigurationStatus returns a status); else $null.
# Reads only: never Get-DscConfiguration, which re-runs the resources' Get.
function Get-MailhostLcmConfigurationMode {
    if ($null -eq (Get-Command -Name 'Get-DscLocalConfigurationManager' -ErrorAction SilentlyContinue)) {
        return $null
    }
    $inUse = @(Get-MailhostLcmDocument).Count -gt 0
    if (-not $inUse -and $null -ne (Get-Command -Name 'Get-DscConfigurationStatus' -ErrorAction SilentlyContinue)) {
        try {
            $inUse = $null -ne (Get-DscConfigurationStatus -ErrorAction Stop)
        }
        catch {
            # No configuration has been applied (or no status is kept): DSC is not in use.
            $inUse = $false
        }
    }
    if (-not $inUse) {
        return $null
    }
    $mode = [string](Get-DscLocalConfigurationManager).ConfigurationMode
    if ([string]::IsNullOrEmpty($mode)) {
        return $null
    }
    return $mode
}

# LCM configuration documents left on a host that Machine Configuration tunes: the DSC extension's
# configuration, which the LCM keeps applying with its own values. Empty under Windows PowerShell
# (the DSC extension, whose configuration this is, and Run Command). Outputs the names, one by one.
function Get-MailhostLeftoverLcmDocument {
    if ((Get-MailhostPowerShellEdition) -ne 'Core') {
        return
    }
    return @(Get-MailhostLcmDocument)
}

# Removes leftover LCM configuration documents (see Get-MailhostLeftoverLcmDocument). Returns $true when it removed any.
function Clear-MailhostLeftoverLcmDocument {
    if (@(Get-MailhostLeftoverLcmDocument).Count -eq 0) {
        return $false
    }
    Remove-MailhostLcmDocument
    return $true
}

# Writes one event to a classic Windows event log through .NET System.Diagnostics.EventLog, which
# both editions have (Windows PowerShell 5.1: .NET Framework's System.dll; PowerShell 7 on Windows:
# the System.Diagnostics.EventLog assembly it ships). The *-EventLog cmdlets exist only in Windows
# PowerShell 5.1. Registers $Source in $LogName first when no log knows it (needs administrator
# rights: DSC, Run Command and Machine Configuration run as LocalSystem). $Values become the
# event's insertion strings (<Data> elements of its EventData).
function Write-MailhostEventLogEntry {
    param
    (
        [string]$Source,
        [string]$LogName,
        [int]$EventId,
        [ValidateSet('Information', 'Warning', 'Error')]
        [string]$EntryType,
        [string[]]$Values
    )
    if (-not [System.Diagnostics.EventLog]::SourceExists($Source)) {
        [System.Diagnostics.EventLog]::CreateEventSource($Source, $LogName)
    }
    $instance = New-Object -TypeName System.Diagnostics.EventInstance -ArgumentList ([long]$EventId), 0, ([System.Diagnostics.EventLogEntryType]$EntryType)
    [System.Diagnostics.EventLog]::WriteEvent($Source, $instance, [object[]]$Values)
}

# ---- Decoding and validation --------------------------------------------------------------------

# Bytes of a base64url text (RFC 4648 section 5) without padding. Throws on any other character.
function ConvertFrom-MailhostBase64Url {
    param
    (
        [string]$Name,
        [AllowEmptyString()]
        [string]$Value
    )
    if ($null -eq $Value -or $Value -notmatch '^[A-Za-z0-9_-]*$' -or ($Value.Length % 4) -eq 1) {
        throw ('{0} must be base64url without padding (letters, digits, - and _), got ''{1}''.' -f $Name, (Format-MailhostShortText -Text ([string]$Value)))
    }
    $base64 = $Value.Replace('-', '+').Replace('_', '/')
    switch ($base64.Length % 4) {
        2 { $base64 += '==' }
        3 { $base64 += '=' }
    }
    return , [System.Convert]::FromBase64String($base64)
}

# Text of UTF-8 bytes; throws on bytes that are not UTF-8.
function ConvertFrom-MailhostUtf8 {
    param
    (
        [string]$Name,
        [byte[]]$Bytes
    )
    $strict = [System.Text.UTF8Encoding]::new($false, $true)
    try {
        return $strict.GetString($Bytes)
    }
    catch {
        throw ('{0} does not decode to UTF-8 text.' -f $Name)
    }
}

# True for an absolute path: a drive and a separator (C:\...) or a UNC path (\\server\share\...);
# on a non-Windows host (tests) also /... . A path such as \dir or C:dir is relative to something.
function Test-MailhostAbsolutePath {
    param
    (
        [AllowEmptyString()]
        [AllowNull()]
        [string]$Path
    )
    if ([string]::IsNullOrWhiteSpace($Path) -or $Path.IndexOfAny([System.IO.Path]::GetInvalidPathChars()) -ge 0) {
        return $false
    }
    if ($Path -match '^[A-Za-z]:[\\/]' -or $Path -match '^\\\\[^\\/]+[\\/][^\\/]+') {
        return $true
    }
    return ([System.IO.Path]::DirectorySeparatorChar -eq '/' -and $Path.StartsWith('/'))
}

# Lower-case hex SHA-256 of bytes.
function Get-MailhostSha256Hex {
    param
    (
        [byte[]]$Bytes
    )
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        return [System.BitConverter]::ToString($sha.ComputeHash($Bytes)).Replace('-', '').ToLowerInvariant()
    }
    finally {
        $sha.Dispose()
    }
}

# At most MaxLength (default 40) printable ASCII characters of a text, for messages and reasons.
function Format-MailhostShortText {
    param
    (
        [AllowEmptyString()]
        [string]$Text,
        [int]$MaxLength = 40
    )
    $clean = ([string]$Text) -replace '[^\x20-\x7E]', '?'
    $clean = $clean -replace ';', ','
    if ($clean.Length -gt $MaxLength) {
        $clean = $clean.Substring(0, $MaxLength - 3) + '...'
    }
    return $clean
}

# A range of Limits.psd1 as messages show it: "<min><en dash><max> (<unit>)".
function Format-MailhostRange {
    param
    (
        [hashtable]$Range
    )
    return ('{0}{1}{2} ({3})' -f $Range.Min, [char]0x2013, $Range.Max, $Range.Unit)
}

# A number parameter: plain decimal digits inside its range of Limits.psd1. Throws naming the setting, value and range.
function ConvertTo-MailhostLimitedInt {
    param
    (
        [string]$Name,
        [AllowEmptyString()]
        [AllowNull()]
        [string]$Value
    )
    $range = $script:MailhostTcpTuningLimits[$Name]
    if ($null -eq $range) {
        throw ('No limits are known for {0}.' -f $Name)
    }
    $number = [long]0
    $digits = ($null -ne $Value) -and ($Value -match '^[0-9]{1,9}$')
    if ($digits) {
        $number = [long]::Parse($Value, [System.Globalization.CultureInfo]::InvariantCulture)
    }
    if (-not $digits -or $number -lt $range.Min -or $number -gt $range.Max) {
        throw ('{0} = ''{1}'' is not allowed: it must be plain decimal digits in {2}.' -f $Name, (Format-MailhostShortText -Text ([string]$Value)), (Format-MailhostRange -Range $range))
    }
    return [int]$number
}

# The desired auto-reuse port range from its two string parameters: $null when both are empty (the
# host's range is left as it is), else @{ StartPort; NumberOfPorts } inside the limits of Limits.psd1,
# strictly inside the dynamic port range and leaving MinPortsOutsideAutoReuseRange of its ports
# outside (for connections that cannot use it). Throws naming the setting, the value and the rule.
function ConvertTo-MailhostAutoReusePortRange {
    param
    (
        [AllowEmptyString()][AllowNull()][string]$StartPort,
        [AllowEmptyString()][AllowNull()][string]$NumberOfPorts,
        [int]$DynamicStartPort,
        [int]$DynamicNumberOfPorts
    )
    $hasStart = -not [string]::IsNullOrEmpty($StartPort)
    $hasCount = -not [string]::IsNullOrEmpty($NumberOfPorts)
    if (-not $hasStart -and -not $hasCount) {
        return $null
    }
    if ($hasStart -ne $hasCount) {
        throw 'AutoReusePortRangeStartPort and AutoReusePortRangeNumberOfPorts go together: give both, or neither to leave the auto-reuse port range as it is.'
    }
    $start = ConvertTo-MailhostLimitedInt -Name 'AutoReusePortRangeStartPort' -Value $StartPort
    $count = ConvertTo-MailhostLimitedInt -Name 'AutoReusePortRangeNumberOfPorts' -Value $NumberOfPorts
    $end = [long]$start + [long]$count - 1
    $dynamicEnd = [long]$DynamicStartPort + [long]$DynamicNumberOfPorts - 1
    if ($start -lt $DynamicStartPort -or $end -gt $dynamicEnd) {
        throw ('AutoReusePortRangeStartPort = {0} with AutoReusePortRangeNumberOfPorts = {1} ({0}-{2}) is not inside the dynamic port range {3}-{4}; Windows needs it strictly inside.' -f $start, $count, $end, $DynamicStartPort, $dynamicEnd)
    }
    $minimumOutside = [long]$script:MailhostTcpTuningLimits['MinPortsOutsideAutoReuseRange']
    if (([long]$DynamicNumberOfPorts - $count) -lt $minimumOutside) {
        throw ('AutoReusePortRangeNumberOfPorts = {0} leaves {1} ports of the dynamic port range outside the auto-reuse range, fewer than {2}.' -f $count, ($DynamicNumberOfPorts - $count), $minimumOutside)
    }
    return @{ StartPort = $start; NumberOfPorts = $count }
}

# The desired state from the string parameters of every mechanism (names as in the contracts).
# Returns @{ MaxUserPort; TcpTimedWaitDelay; StartPort; NumberOfPorts (ints); AutoReusePortRange
# (@{ StartPort; NumberOfPorts }, or $null to leave the host's range alone); SiteConfigPath (string);
# SiteConfigBytes (byte[]); SiteConfigSha256 (lower-case hex) }. Throws on the first bad parameter, before anything is changed.
function ConvertTo-MailhostDesiredState {
    param
    (
        [AllowEmptyString()][AllowNull()][string]$MaxUserPort,
        [AllowEmptyString()][AllowNull()][string]$TcpTimedWaitDelay,
        [AllowEmptyString()][AllowNull()][string]$DynamicPortRangeStartPort,
        [AllowEmptyString()][AllowNull()][string]$DynamicPortRangeNumberOfPorts,
        [AllowEmptyString()][AllowNull()][string]$SiteConfigPathBase64Url,
        [AllowEmptyString()][AllowNull()][string]$SiteConfigContentBase64Url,
        [AllowEmptyString()][AllowNull()][string]$SiteConfigSha256,
        [AllowEmptyString()][AllowNull()][string]$AutoReusePortRangeStartPort,
        [AllowEmptyString()][AllowNull()][string]$AutoReusePortRangeNumberOfPorts
    )
    $desired = @{
        MaxUserPort       = ConvertTo-MailhostLimitedInt -Name 'MaxUserPort' -Value $MaxUserPort
        TcpTimedWaitDelay = ConvertTo-MailhostLimitedInt -Name 'TcpTimedWaitDelay' -Value $TcpTimedWaitDelay
        StartPort         = ConvertTo-MailhostLimitedInt -Name 'DynamicPortRangeStartPort' -Value $DynamicPortRangeStartPort
        NumberOfPorts     = ConvertTo-MailhostLimitedInt -Name 'DynamicPortRangeNumberOfPorts' -Value $DynamicPortRangeNumberOfPorts
    }
    $highest = [long]$script:MailhostTcpTuningLimits['HighestPort']
    $end = [long]$desired.StartPort + [long]$desired.NumberOfPorts - 1
    if ($end -gt $highest) {
        throw ('DynamicPortRangeStartPort = {0} with DynamicPortRangeNumberOfPorts = {1} ends at port {2}, above the highest port {3}.' -f $desired.StartPort, $desired.NumberOfPorts, $end, $highest)
    }
    $desired['AutoReusePortRange'] = ConvertTo-MailhostAutoReusePortRange -StartPort $AutoReusePortRangeStartPort -NumberOfPorts $AutoReusePortRangeNumberOfPorts -DynamicStartPort $desired.StartPort -DynamicNumberOfPorts $desired.NumberOfPorts
    $path = ConvertFrom-MailhostUtf8 -Name 'SiteConfigPathBase64Url' -Bytes (ConvertFrom-MailhostBase64Url -Name 'SiteConfigPathBase64Url' -Value $SiteConfigPathBase64Url)
    if (-not (Test-MailhostAbsolutePath -Path $path)) {
        throw ('SiteConfigPathBase64Url must encode an absolute path, got ''{0}''.' -f (Format-MailhostShortText -Text $path))
    }
    $desired['SiteConfigPath'] = $path
    $desired['SiteConfigBytes'] = ConvertFrom-MailhostBase64Url -Name 'SiteConfigContentBase64Url' -Value $SiteConfigContentBase64Url
    if ($null -eq $SiteConfigSha256 -or $SiteConfigSha256 -notmatch '^[0-9a-f]{64}$') {
        throw ('SiteConfigSha256 must be 64 lower-case hex digits, got ''{0}''.' -f (Format-MailhostShortText -Text ([string]$SiteConfigSha256)))
    }
    $desired['SiteConfigSha256'] = $SiteConfigSha256
    return $desired
}

# ---- Reading the machine ------------------------------------------------------------------------

# One Tcpip value: @{ Name; State = 'Absent' | 'DWord' | 'WrongKind' | 'Unreadable'; Value (uint as long, DWord only);
# Kind (RegistryValueKind name); Data (text, WrongKind only); Error (text, Unreadable only) }.
function Get-MailhostTcpipValue {
    param
    (
        [string]$Name
    )
    try {
        $raw = Get-MailhostRegistryValue -SubKey (Get-MailhostTcpipSubKey) -Name $Name
    }
    catch {
        return @{ Name = $Name; State = 'Unreadable'; Error = [string]$_.Exception.Message }
    }
    if ($null -eq $raw) {
        return @{ Name = $Name; State = 'Absent' }
    }
    if ($raw.Kind -eq 'DWord') {
        # A REG_DWORD arrives as a signed Int32: read it as the unsigned number it is.
        $unsigned = [long][System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([int]$raw.Data), 0)
        return @{ Name = $Name; State = 'DWord'; Kind = 'DWord'; Value = $unsigned }
    }
    return @{ Name = $Name; State = 'WrongKind'; Kind = [string]$raw.Kind; Data = (Format-MailhostRegistryData -Data $raw.Data) }
}

# Registry data as short text (at most 40 characters): strings as they are, arrays joined by ",", bytes as hex.
function Format-MailhostRegistryData {
    param
    (
        [AllowNull()]
        [object]$Data
    )
    if ($null -eq $Data) {
        return ''
    }
    if ($Data -is [byte[]]) {
        $text = [System.BitConverter]::ToString($Data).Replace('-', ' ')
    }
    elseif ($Data -is [array]) {
        $text = (@($Data) | ForEach-Object { [string]$_ }) -join ','
    }
    else {
        $text = [string]$Data
    }
    return Format-MailhostShortText -Text $text
}

# The Windows registry type name of a RegistryValueKind name (String -> REG_SZ).
function Get-MailhostRegistryTypeName {
    param
    (
        [string]$Kind
    )
    $names = @{ String = 'REG_SZ'; ExpandString = 'REG_EXPAND_SZ'; Binary = 'REG_BINARY'; DWord = 'REG_DWORD'; MultiString = 'REG_MULTI_SZ'; QWord = 'REG_QWORD'; None = 'REG_NONE'; Unknown = 'REG_NONE' }
    if ($names.ContainsKey($Kind)) {
        return $names[$Kind]
    }
    return $Kind
}

# @{ StartPort; NumberOfPorts } of the TCP dynamic port range of 'ipv4' or 'ipv6', from
# "netsh int <ipv> show dynamicport tcp". Its labels are localised ("Start Port", "Startport",
# "Port de demarrage"), so the first two integers after a colon are taken. Throws when netsh fails or the output has no two numbers.
function Get-MailhostDynamicPortRange {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion
    )
    $result = Get-MailhostNetshDynamicPort -IpVersion $IpVersion
    $text = (@($result.Output) -join "`n")
    $flat = (@($result.Output) | Where-Object { -not [string]::IsNullOrWhiteSpace($_) } | ForEach-Object { $_.Trim() }) -join ' '
    if ($result.ExitCode -ne 0) {
        throw ('netsh int {0} show dynamicport tcp failed with exit code {1}: {2}' -f $IpVersion, $result.ExitCode, (Format-MailhostShortText -Text $flat -MaxLength 200))
    }
    $found = [regex]::Matches($text, ':[ \t\u00A0\u202F]*([0-9]+)')
    if ($found.Count -lt 2) {
        throw ('cannot parse the output of netsh int {0} show dynamicport tcp: {1}' -f $IpVersion, (Format-MailhostShortText -Text $flat -MaxLength 200))
    }
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    return @{ StartPort = [int]::Parse($found[0].Groups[1].Value, $invariant); NumberOfPorts = [int]::Parse($found[1].Groups[1].Value, $invariant) }
}

# The custom TCP setting templates the auto-reuse port range is set on. Set-NetTCPSetting modifies
# the custom templates on every version (the non-custom Internet and Datacenter ones only on Server
# 2016 and later; client Windows refuses them); dotnet/runtime PR 54903 configures InternetCustom.
# Both custom templates get the range; Get-MailhostAutoReusePortRange then checks every template.
function Get-MailhostAutoReuseSettingName {
    return @('InternetCustom', 'DatacenterCustom')
}

# The configured auto-reuse port range: @{ StartPort; NumberOfPorts } when every template that
# reports it agrees, @{ Mixed = '<template>,...=<start>+<count>; ...' } when they differ. Like the
# Tcpip values, this is the configured range; it is in effect only after the next reboot.
# Throws when Get-NetTCPSetting fails or reports no range.
function Get-MailhostAutoReusePortRange {
    $settings = @(Get-MailhostNetTcpSetting)
    if ($settings.Count -eq 0) {
        throw 'Get-NetTCPSetting reports no auto-reuse port range'
    }
    $first = $settings[0]
    foreach ($setting in $settings) {
        if ($setting.StartPort -ne $first.StartPort -or $setting.NumberOfPorts -ne $first.NumberOfPorts) {
            # Grouped by value, the smallest group first: the odd template is named within the first characters.
            $groups = @($settings | Group-Object -Property { '{0}+{1}' -f $_.StartPort, $_.NumberOfPorts } | Sort-Object -Property Count)
            $all = @($groups | ForEach-Object { '{0}={1}' -f (@($_.Group | ForEach-Object { $_.SettingName }) -join ','), $_.Name })
            return @{ Mixed = ($all -join '; ') }
        }
    }
    return @{ StartPort = $first.StartPort; NumberOfPorts = $first.NumberOfPorts }
}

# Everything the tuning manages, as it is: @{ MaxUserPort; TcpTimedWaitDelay (Get-MailhostTcpipValue);
# IPv4; IPv6 (@{ StartPort; NumberOfPorts } or @{ Error }); AutoReusePortRange (@{ StartPort; NumberOfPorts },
# @{ Mixed } or @{ Error }); SiteConfigSha256 (hex, $null when absent);
# SiteConfigBytes; SiteConfigError; RebootPendingSince (ISO text or $null) }. Reads only.
function Get-MailhostTcpTuningState {
    param
    (
        [string]$SiteConfigPath
    )
    $state = @{
        MaxUserPort       = Get-MailhostTcpipValue -Name 'MaxUserPort'
        TcpTimedWaitDelay = Get-MailhostTcpipValue -Name 'TcpTimedWaitDelay'
    }
    foreach ($ipVersion in @('ipv4', 'ipv6')) {
        try {
            $state[$ipVersion] = Get-MailhostDynamicPortRange -IpVersion $ipVersion
        }
        catch {
            $state[$ipVersion] = @{ Error = [string]$_.Exception.Message }
        }
    }
    try {
        $state['AutoReusePortRange'] = Get-MailhostAutoReusePortRange
    }
    catch {
        $state['AutoReusePortRange'] = @{ Error = [string]$_.Exception.Message }
    }
    $state['SiteConfigBytes'] = $null
    $state['SiteConfigSha256'] = $null
    $state['SiteConfigError'] = $null
    try {
        $bytes = Read-MailhostFileBytes -Path $SiteConfigPath
        if ($null -ne $bytes) {
            $state['SiteConfigBytes'] = $bytes
            $state['SiteConfigSha256'] = Get-MailhostSha256Hex -Bytes $bytes
        }
    }
    catch {
        $state['SiteConfigError'] = [string]$_.Exception.Message
    }
    $state['RebootPendingSince'] = Get-MailhostRebootPendingSince
    try {
        $state['LeftoverLcmDocuments'] = [string[]]@(Get-MailhostLeftoverLcmDocument)
    }
    catch {
        $state['LeftoverLcmDocuments'] = [string[]]@('unreadable: ' + $_.Exception.Message)
    }
    return $state
}

# When a Tcpip write still waits for a reboot: WrittenAt of the volatile marker, or $null. A marker
# written before the last boot (which a volatile key cannot be) is ignored too.
function Get-MailhostRebootPendingSince {
    $writtenAt = Get-MailhostRebootMarker
    if ($null -eq $writtenAt) {
        return $null
    }
    $parsed = [datetime]::MinValue
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    if ([datetime]::TryParse($writtenAt, [System.Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$parsed)) {
        $bootTime = $null
        try {
            $bootTime = Get-MailhostBootTime
        }
        catch {
            # Boot time unknown: trust the volatile key, which a reboot removes anyway.
            $bootTime = $null
        }
        if ($null -ne $bootTime -and $parsed -lt $bootTime) {
            return $null
        }
        return $parsed.ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
    }
    return 'an unknown time'
}

# ---- Comparing ----------------------------------------------------------------------------------

# One reason: @{ Code = 'MailhostTcpTuning:MailhostTcpTuning:<Setting>'; Phrase = '<sentence> actual=<a>; desired=<d>' }.
function New-MailhostReason {
    param
    (
        [string]$Setting,
        [string]$Sentence,
        [string]$Actual,
        [string]$Desired
    )
    return @{ Code = ('MailhostTcpTuning:MailhostTcpTuning:{0}' -f $Setting); Phrase = ('{0} actual={1}; desired={2}' -f $Sentence, $Actual, $Desired) }
}

# The reason for one Tcpip value, or $null when it is as desired.
function Get-MailhostTcpipReason {
    param
    (
        [hashtable]$Value,
        [int]$Desired
    )
    $name = $Value.Name
    $default = $script:MailhostTcpTuningLimits['WindowsDefaults'][$name]
    if ($null -eq $default) {
        $effective = 'Windows applies no legacy cap and the dynamic port range alone decides'
    }
    else {
        $effective = 'Windows uses its default of {0} {1}' -f $default, $script:MailhostTcpTuningLimits[$name].Unit
    }
    switch ($Value.State) {
        'DWord' {
            if ($Value.Value -eq $Desired) {
                return $null
            }
            return New-MailhostReason -Setting $name -Sentence ('{0} is {1}, not the desired value.' -f $name, $Value.Value) -Actual ([string]$Value.Value) -Desired ([string]$Desired)
        }
        'Absent' {
            return New-MailhostReason -Setting $name -Sentence ('{0} is not set, so {1}.' -f $name, $effective) -Actual 'absent' -Desired ([string]$Desired)
        }
        'WrongKind' {
            $type = Get-MailhostRegistryTypeName -Kind $Value.Kind
            return New-MailhostReason -Setting $name -Sentence ('{0} is a {1} value, which TCP/IP ignores, so {2}.' -f $name, $type, $effective) -Actual ('{0} "{1}"' -f $type, $Value.Data) -Desired ([string]$Desired)
        }
        default {
            return New-MailhostReason -Setting $name -Sentence ('{0} cannot be read: {1}.' -f $name, (Format-MailhostShortText -Text $Value.Error)) -Actual 'unreadable' -Desired ([string]$Desired)
        }
    }
}

# The reason for the auto-reuse port range, or $null when it is as desired or left alone ($Desired $null).
function Get-MailhostAutoReusePortRangeReason {
    param
    (
        [AllowNull()]
        [hashtable]$Desired,
        [AllowNull()]
        [hashtable]$Actual
    )
    if ($null -eq $Desired) {
        return $null
    }
    $want = '{0}+{1}' -f $Desired.StartPort, $Desired.NumberOfPorts
    if ($null -eq $Actual -or $Actual.ContainsKey('Error')) {
        $why = 'not read'
        if ($null -ne $Actual) {
            $why = Format-MailhostShortText -Text $Actual.Error
        }
        return New-MailhostReason -Setting 'AutoReusePortRange' -Sentence ('The auto-reuse port range cannot be read: {0}.' -f $why) -Actual 'unreadable' -Desired $want
    }
    if ($Actual.ContainsKey('Mixed')) {
        return New-MailhostReason -Setting 'AutoReusePortRange' -Sentence 'The TCP setting templates report different auto-reuse port ranges.' -Actual (Format-MailhostShortText -Text $Actual.Mixed -MaxLength 100) -Desired $want
    }
    if ($Actual.StartPort -ne $Desired.StartPort -or $Actual.NumberOfPorts -ne $Desired.NumberOfPorts) {
        $sentence = 'The auto-reuse port range differs from the desired one.'
        if ($Actual.NumberOfPorts -eq 0) {
            $sentence = 'The auto-reuse port range is off (0 ports), so every connection draws from the dynamic port range.'
        }
        return New-MailhostReason -Setting 'AutoReusePortRange' -Sentence $sentence -Actual ('{0}+{1}' -f $Actual.StartPort, $Actual.NumberOfPorts) -Desired $want
    }
    return $null
}

# The reasons why the machine is not as desired: one per setting that differs (empty when none).
function Get-MailhostTcpTuningReason {
    param
    (
        [hashtable]$Desired,
        [hashtable]$State
    )
    $reasons = [System.Collections.ArrayList]::new()
    foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
        $reason = Get-MailhostTcpipReason -Value $State[$name] -Desired $Desired[$name]
        if ($null -ne $reason) {
            $null = $reasons.Add($reason)
        }
    }
    $want = '{0}+{1}' -f $Desired.StartPort, $Desired.NumberOfPorts
    foreach ($pair in @(@('ipv4', 'IPv4'), @('ipv6', 'IPv6'))) {
        $range = $State[$pair[0]]
        if ($range.ContainsKey('Error')) {
            $null = $reasons.Add((New-MailhostReason -Setting ('DynamicPortRange' + $pair[1]) -Sentence ('The {0} dynamic TCP port range cannot be read: {1}.' -f $pair[1], (Format-MailhostShortText -Text $range.Error)) -Actual 'unreadable' -Desired $want))
        }
        elseif ($range.StartPort -ne $Desired.StartPort -or $range.NumberOfPorts -ne $Desired.NumberOfPorts) {
            $null = $reasons.Add((New-MailhostReason -Setting ('DynamicPortRange' + $pair[1]) -Sentence ('The {0} dynamic TCP port range differs from the desired one.' -f $pair[1]) -Actual ('{0}+{1}' -f $range.StartPort, $range.NumberOfPorts) -Desired $want))
        }
    }
    $autoReuse = Get-MailhostAutoReusePortRangeReason -Desired $Desired.AutoReusePortRange -Actual $State.AutoReusePortRange
    if ($null -ne $autoReuse) {
        $null = $reasons.Add($autoReuse)
    }
    if ($null -ne $State.SiteConfigError) {
        $null = $reasons.Add((New-MailhostReason -Setting 'SiteConfig' -Sentence ('SiteConfig.cfg cannot be read: {0}.' -f (Format-MailhostShortText -Text $State.SiteConfigError)) -Actual 'unreadable' -Desired $Desired.SiteConfigSha256))
    }
    elseif ($null -eq $State.SiteConfigSha256) {
        $null = $reasons.Add((New-MailhostReason -Setting 'SiteConfig' -Sentence 'SiteConfig.cfg does not exist.' -Actual 'absent' -Desired $Desired.SiteConfigSha256))
    }
    elseif ($State.SiteConfigSha256 -ne $Desired.SiteConfigSha256) {
        $null = $reasons.Add((New-MailhostReason -Setting 'SiteConfig' -Sentence 'SiteConfig.cfg differs from the desired content (SHA-256 shown).' -Actual $State.SiteConfigSha256 -Desired $Desired.SiteConfigSha256))
    }
    if (@($State.LeftoverLcmDocuments).Count -gt 0) {
        $null = $reasons.Add((New-MailhostReason -Setting 'LcmConfiguration' -Sentence 'A DSC configuration left by the DSC extension is still applied by the Local Configuration Manager, which keeps correcting to its own values.' -Actual (Format-MailhostShortText -Text (@($State.LeftoverLcmDocuments) -join ',') -MaxLength 100) -Desired 'none'))
    }
    # Only where the state read the sampler (the resource's Get; the drift collector reads readings instead).
    if ($State.ContainsKey('PortUsageSampler')) {
        $sampler = Get-MailhostPortUsageSamplerReason -Differs $State.PortUsageSampler
        if ($null -ne $sampler) {
            $null = $reasons.Add($sampler)
        }
    }
    if ($null -ne $State.RebootPendingSince) {
        $null = $reasons.Add((New-MailhostReason -Setting 'RebootPending' -Sentence ('Tcpip values (or the auto-reuse port range) were written at {0} and take effect only after a reboot, which no mechanism of mailhost-iac performs by itself.' -f $State.RebootPendingSince) -Actual ('pending since {0}' -f $State.RebootPendingSince) -Desired 'none'))
    }
    return , $reasons.ToArray()
}

# ---- Recording corrections ----------------------------------------------------------------------

# A Tcpip value as a correction event shows what was found: the DWORD, 'absent', '<REG_TYPE> "<data>"' or 'unreadable'.
function Format-MailhostTcpipFound {
    param
    (
        [hashtable]$Value
    )
    switch ($Value.State) {
        'DWord' { return ('{0} (REG_DWORD)' -f $Value.Value) }
        'Absent' { return 'absent' }
        'WrongKind' { return ('{0} "{1}"' -f (Get-MailhostRegistryTypeName -Kind $Value.Kind), $Value.Data) }
        default { return 'unreadable' }
    }
}

# Records one correction: one event in the Application log from source MailhostTcpTuning, with the
# event id of the setting (CorrectionEvents of Limits.psd1, generated from domain/corrections.ts).
# Insertion strings: 1 the sentence, 2 the setting, 3 the value found, 4 the value written, 5 the
# PowerShell edition that ran the correction. A failed write warns and never undoes or fails the
# correction, which has already happened.
function Write-MailhostCorrectionEvent {
    param
    (
        [string]$Setting,
        [string]$Found,
        [string]$Written
    )
    $events = $script:MailhostTcpTuningLimits['CorrectionEvents']
    $eventId = $events.EventIds[$Setting]
    if ($null -eq $eventId) {
        throw ('No correction event id is known for {0}.' -f $Setting)
    }
    $edition = Get-MailhostPowerShellEdition
    $found = Format-MailhostShortText -Text $Found -MaxLength 100
    $written = Format-MailhostShortText -Text $Written -MaxLength 100
    $sentence = 'MailhostTcpTuning corrected {0}: found {1}, wrote {2}. Something else changed this setting since the last run (PowerShell edition {3}).' -f $Setting, $found, $written, $edition
    try {
        Write-MailhostEventLogEntry -Source $events.Source -LogName $events.LogName -EventId $eventId -EntryType 'Information' -Values @($sentence, $Setting, $found, $written, $edition)
    }
    catch {
        Write-Warning -Message ('{0} The event ({1} {2}) could not be written: {3}' -f $sentence, $events.Source, $eventId, $_.Exception.Message)
    }
}

# ---- Changing the machine -----------------------------------------------------------------------

# Writes a Tcpip value as a REG_DWORD when it is not already that DWORD. Returns $true when written.
function Set-MailhostTcpipValue {
    param
    (
        [string]$Name,
        [int]$Desired
    )
    $current = Get-MailhostTcpipValue -Name $Name
    if ($current.State -eq 'Unreadable') {
        throw ('{0} cannot be read: {1}' -f $Name, $current.Error)
    }
    if ($current.State -eq 'DWord' -and $current.Value -eq $Desired) {
        return $false
    }
    Set-MailhostRegistryValue -SubKey (Get-MailhostTcpipSubKey) -Name $Name -Value $Desired -Kind 'DWord'
    Write-Verbose -Message ('{0} set to {1} (REG_DWORD); was {2}.' -f $Name, $Desired, $current.State)
    Write-MailhostCorrectionEvent -Setting $Name -Found (Format-MailhostTcpipFound -Value $current) -Written ('{0} (REG_DWORD)' -f $Desired)
    return $true
}

# Sets the TCP dynamic port range of 'ipv4' or 'ipv6' through netsh when it differs. Returns $true when set.
function Set-MailhostDynamicPortRange {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion,
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    $current = Get-MailhostDynamicPortRange -IpVersion $IpVersion
    if ($current.StartPort -eq $StartPort -and $current.NumberOfPorts -eq $NumberOfPorts) {
        return $false
    }
    $result = Set-MailhostNetshDynamicPort -IpVersion $IpVersion -StartPort $StartPort -NumberOfPorts $NumberOfPorts
    if ($result.ExitCode -ne 0) {
        throw ('netsh int {0} set dynamicport tcp start={1} num={2} failed with exit code {3}: {4}' -f $IpVersion, $StartPort, $NumberOfPorts, $result.ExitCode, (Format-MailhostShortText -Text (@($result.Output) -join ' ') -MaxLength 200))
    }
    $after = Get-MailhostDynamicPortRange -IpVersion $IpVersion
    if ($after.StartPort -ne $StartPort -or $after.NumberOfPorts -ne $NumberOfPorts) {
        throw ('netsh int {0} set dynamicport tcp start={1} num={2} reported success, but the range is now {3}+{4}.' -f $IpVersion, $StartPort, $NumberOfPorts, $after.StartPort, $after.NumberOfPorts)
    }
    $setting = if ($IpVersion -eq 'ipv4') { 'DynamicPortRangeIPv4' } else { 'DynamicPortRangeIPv6' }
    Write-MailhostCorrectionEvent -Setting $setting -Found ('{0}+{1}' -f $current.StartPort, $current.NumberOfPorts) -Written ('{0}+{1}' -f $StartPort, $NumberOfPorts)
    return $true
}

# Sets the auto-reuse port range on the custom TCP setting templates when any template reports
# another one, then reads it back. Returns $true when set (it takes effect after the next reboot).
function Set-MailhostAutoReusePortRange {
    param
    (
        [int]$StartPort,
        [int]$NumberOfPorts
    )
    try {
        $current = Get-MailhostAutoReusePortRange
    }
    catch {
        $current = @{ Error = [string]$_.Exception.Message }
    }
    if ($current.ContainsKey('StartPort') -and $current.StartPort -eq $StartPort -and $current.NumberOfPorts -eq $NumberOfPorts) {
        return $false
    }
    foreach ($settingName in @(Get-MailhostAutoReuseSettingName)) {
        Set-MailhostNetTcpAutoReusePortRange -SettingName $settingName -StartPort $StartPort -NumberOfPorts $NumberOfPorts
    }
    $after = Get-MailhostAutoReusePortRange
    if (-not $after.ContainsKey('StartPort') -or $after.StartPort -ne $StartPort -or $after.NumberOfPorts -ne $NumberOfPorts) {
        $read = $after.Mixed
        if ($after.ContainsKey('StartPort')) {
            $read = '{0}+{1}' -f $after.StartPort, $after.NumberOfPorts
        }
        throw ('Set-NetTCPSetting -AutoReusePortRangeStartPort {0} -AutoReusePortRangeNumberOfPorts {1} reported success, but Get-NetTCPSetting now reads {2}.' -f $StartPort, $NumberOfPorts, $read)
    }
    Write-Verbose -Message ('Auto-reuse port range set to {0}+{1}; it takes effect after the next reboot.' -f $StartPort, $NumberOfPorts)
    $found = 'unreadable'
    if ($current.ContainsKey('StartPort')) {
        $found = '{0}+{1}' -f $current.StartPort, $current.NumberOfPorts
    }
    elseif ($current.ContainsKey('Mixed')) {
        $found = $current.Mixed
    }
    elseif ($current.ContainsKey('Error')) {
        $found = 'unreadable: ' + $current.Error
    }
    Write-MailhostCorrectionEvent -Setting 'AutoReusePortRange' -Found $found -Written ('{0}+{1}' -f $StartPort, $NumberOfPorts)
    return $true
}

# Writes SiteConfig.cfg atomically (previous file kept as .bak) when its bytes differ. The decoded
# bytes must hash to the expected SHA-256, else nothing is written. Returns $true when written.
function Set-MailhostSiteConfig {
    param
    (
        [string]$Path,
        [byte[]]$Bytes,
        [string]$ExpectedSha256
    )
    $arrived = Get-MailhostSha256Hex -Bytes $Bytes
    if ($arrived -ne $ExpectedSha256) {
        throw ('SiteConfigContentBase64Url decodes to content with SHA-256 {0}, not SiteConfigSha256 {1}: {2} left unchanged.' -f $arrived, $ExpectedSha256, $Path)
    }
    $current = Read-MailhostFileBytes -Path $Path
    $found = 'absent'
    if ($null -ne $current) {
        $found = 'SHA-256 ' + (Get-MailhostSha256Hex -Bytes $current)
        if ($found -eq ('SHA-256 ' + $arrived)) {
            return $false
        }
    }
    Write-MailhostFileAtomic -Path $Path -Bytes $Bytes
    Write-MailhostCorrectionEvent -Setting 'SiteConfig' -Found $found -Written ('SHA-256 ' + $arrived)
    return $true
}

# Brings the machine to the desired state (ConvertTo-MailhostDesiredState), changing only what differs.
# Never reboots: a Tcpip write or a new auto-reuse port range sets the volatile reboot marker instead.
# Returns @{ RegistryChanged; DynamicPortRangeChanged; AutoReusePortRangeChanged; SiteConfigChanged; RebootPending (bools) }.
function Set-MailhostTcpTuning {
    param
    (
        [hashtable]$Desired
    )
    # SiteConfig.cfg first: a damaged content refuses the whole run before anything else changes.
    $siteConfig = @{ Path = $Desired.SiteConfigPath; Bytes = $Desired.SiteConfigBytes; ExpectedSha256 = $Desired.SiteConfigSha256 }
    $siteConfigChanged = Set-MailhostSiteConfig @siteConfig
    $registryChanged = $false
    foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
        if (Set-MailhostTcpipValue -Name $name -Desired $Desired[$name]) {
            $registryChanged = $true
        }
    }
    if ($registryChanged) {
        Set-MailhostRebootMarker -WrittenAt ([datetime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
    }
    $rangeChanged = $false
    foreach ($ipVersion in @('ipv4', 'ipv6')) {
        if (Set-MailhostDynamicPortRange -IpVersion $ipVersion -StartPort $Desired.StartPort -NumberOfPorts $Desired.NumberOfPorts) {
            $rangeChanged = $true
        }
    }
    # After the dynamic range: the auto-reuse range must lie inside it. $null leaves the host's range alone.
    $autoReuseChanged = $false
    if ($null -ne $Desired.AutoReusePortRange) {
        $autoReuseChanged = Set-MailhostAutoReusePortRange -StartPort $Desired.AutoReusePortRange.StartPort -NumberOfPorts $Desired.AutoReusePortRange.NumberOfPorts
        if ($autoReuseChanged) {
            Set-MailhostRebootMarker -WrittenAt ([datetime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture))
        }
    }
    # Last: the port-usage sampler counts against the pool just set.
    $samplerChanged = Set-MailhostPortUsageSampler -Sampler (Get-MailhostPortUsageDesired -Desired $Desired)
    return @{
        PortUsageSamplerChanged    = $samplerChanged
        RegistryChanged            = $registryChanged
        DynamicPortRangeChanged    = $rangeChanged
        AutoReusePortRangeChanged  = $autoReuseChanged
        SiteConfigChanged          = $siteConfigChanged
        RebootPending              = ($null -ne (Get-MailhostRebootPendingSince))
    }
}

# ---- Port usage sampler ------------------------------------------------------------
# Counts the local ports in use or in TIME_WAIT, in total and per back-end endpoint, against the
# budget the capacity model gives the host (domain/portUsage.ts), and writes one reading as an
# Application-log event that the Azure Monitor Agent collects. Sources: Get-NetTCPConnection and
# the MSFT_NetTCPConnection class (LocalAddress, LocalPort, RemoteAddress, RemotePort, State,
# OwningProcess; State values Closed, Listen, SynSent, SynReceived, Established, FinWait1,
# FinWait2, CloseWait, Closing, LastAck, TimeWait, DeleteTCB, Bound); netstat -ano (columns
# Proto, Local Address, Foreign Address, State, PID; IPv6 addresses in brackets).

# The TCP connections of the machine (Get-NetTCPConnection). Throws when the cmdlet fails.
function Get-MailhostNetTcpConnection {
    return @(Get-NetTCPConnection -ErrorAction Stop)
}

# The lines of "netstat -ano -p TCP" and "-p TCPv6": the fallback when Get-NetTCPConnection fails.
function Get-MailhostNetstatLine {
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($protocol in @('TCP', 'TCPv6')) {
        $output = & netstat.exe -ano -p $protocol
        if ($LASTEXITCODE -ne 0) {
            throw "netstat -ano -p $protocol exited with $LASTEXITCODE."
        }
        foreach ($line in $output) {
            $lines.Add([string]$line)
        }
    }
    return $lines.ToArray()
}

# Writes one event with this module's own source in the Application log, registering the source
# when it is missing. Named for any event the guest writes, so that it can be shared with other
# guest events later. [System.Diagnostics.EventLog] works under Windows PowerShell 5.1 and
# PowerShell 7 alike (Write-EventLog does not exist in PowerShell 7).
function Write-MailhostGuestEvent {
    param
    (
        [Parameter(Mandatory)]
        [string]$Source,

        [Parameter(Mandatory)]
        [int]$EventId,

        [Parameter(Mandatory)]
        [ValidateSet('Information', 'Warning', 'Error')]
        [string]$EntryType,

        [Parameter(Mandatory)]
        [string]$Message
    )
    if (-not [System.Diagnostics.EventLog]::SourceExists($Source)) {
        [System.Diagnostics.EventLog]::CreateEventSource($Source, 'Application')
    }
    [System.Diagnostics.EventLog]::WriteEntry($Source, $Message, [System.Diagnostics.EventLogEntryType]$EntryType, $EventId)
}

# The netstat state names as Get-NetTCPConnection spells them.
function Get-MailhostNetstatStateMap {
    return @{
        'CLOSED' = 'Closed'; 'LISTENING' = 'Listen'; 'SYN_SENT' = 'SynSent'; 'SYN_RECEIVED' = 'SynReceived'
        'ESTABLISHED' = 'Established'; 'FIN_WAIT_1' = 'FinWait1'; 'FIN_WAIT_2' = 'FinWait2'; 'CLOSE_WAIT' = 'CloseWait'
        'CLOSING' = 'Closing'; 'LAST_ACK' = 'LastAck'; 'TIME_WAIT' = 'TimeWait'; 'DELETE_TCB' = 'DeleteTCB'; 'BOUND' = 'Bound'
    }
}

# Rows @{ LocalPort; RemoteAddress; RemotePort; State } from "netstat -ano" lines; UDP, header and
# blank lines are skipped. States are renamed as Get-NetTCPConnection names them.
function ConvertFrom-MailhostNetstat {
    param
    (
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]]$Line
    )
    $states = Get-MailhostNetstatStateMap
    $pattern = [regex]::new('^\s*TCP\s+\[?([^\s\]]*)\]?:(\d+)\s+\[?([^\s\]]*)\]?:(\d+)\s+([A-Z_0-9]+)\s+\d+\s*$', [System.Text.RegularExpressions.RegexOptions]::Compiled)
    $rows = [System.Collections.Generic.List[object]]::new($Line.Count)
    foreach ($text in $Line) {
        $m = $pattern.Match($text)
        if (-not $m.Success) {
            continue
        }
        $state = $states[$m.Groups[5].Value]
        if ($null -eq $state) {
            $state = $m.Groups[5].Value
        }
        $rows.Add([pscustomobject]@{
                LocalPort     = [int]$m.Groups[2].Value
                RemoteAddress = $m.Groups[3].Value
                RemotePort    = [int]$m.Groups[4].Value
                State         = $state
            })
    }
    return $rows.ToArray()
}

# Counts the used ports of a pool (StartPort..StartPort+NumberOfPorts-1): every row whose local port
# lies in it and that is not a listener. Rows are Get-NetTCPConnection objects as they come (live, or
# read back from a CSV recording, where numbers and the state are text) or ConvertFrom-MailhostNetstat rows. Ports = distinct local ports; TimeWait = rows in TIME_WAIT;
# Endpoints = rows per remote "address:port" ("[address]:port" for IPv6), connected rows only.
function Measure-MailhostPortUsage {
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

# One reading as the event's message: compact JSON, the busiest endpoints first (at most Limit).
function ConvertTo-MailhostPortUsageReading {
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

# One sample: reads the connections (netstat when Get-NetTCPConnection fails), counts them against
# the pool, writes the reading (ReadingEventId) or the failure (FailedEventId, Warning) with the
# event source of Limits.psd1 (PortUsageEventSource, PortUsageEventIds), and returns the JSON.
function Invoke-MailhostPortUsageSample {
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
        Write-MailhostGuestEvent -Source $Source -EventId $ReadingEventId -EntryType 'Information' -Message $reading
        return $reading
    }
    catch {
        Write-MailhostGuestEvent -Source $Source -EventId $FailedEventId -EntryType 'Warning' -Message "The port-usage reading could not be taken: $($_.Exception.Message)"
        throw
    }
}

# ---- Installing the port usage sampler ---------------------------------------------------------
# How it runs: a scheduled task \MailhostIac\PortUsageSampler, registered by the resource's Set
# (every mechanism runs it), starts Windows PowerShell every minute as SYSTEM; the script it runs is
# written by Set from this module's own sampler functions, next to PortUsage.json, which holds the
# pool to count against (the dynamic range, or the auto-reuse range when one is set: the tuned
# values the resource already receives). Under %ProgramFiles% (read-only for users), not
# %ProgramData% (users may create files there), because SYSTEM runs what lies in it.

# Folder of the sampler's script and settings.
function Get-MailhostPortUsageDirectory {
    return (Join-Path -Path ([System.Environment]::GetFolderPath('ProgramFiles')) -ChildPath 'MailhostIac\PortUsage')
}

# The bytes of one of the sampler's files, or $null when it is absent or unreadable.
function Read-MailhostPortUsageFile {
    param
    (
        [string]$Path
    )
    if (-not [System.IO.File]::Exists($Path)) {
        return $null
    }
    try {
        return , [System.IO.File]::ReadAllBytes($Path)
    }
    catch {
        return $null
    }
}

# Writes one of the sampler's files (creating its folder).
function Write-MailhostPortUsageFile {
    param
    (
        [string]$Path,
        [byte[]]$Bytes
    )
    $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))
    [System.IO.File]::WriteAllBytes($Path, $Bytes)
}

# The sampler's scheduled task: $null when absent, else @{ Execute; Arguments }. Reads only.
function Get-MailhostPortUsageTask {
    $task = Get-ScheduledTask -TaskPath '\MailhostIac\' -TaskName 'PortUsageSampler' -ErrorAction SilentlyContinue
    if ($null -eq $task) {
        return $null
    }
    $action = @($task.Actions)[0]
    return @{ Execute = [string]$action.Execute; Arguments = [string]$action.Arguments }
}

# Registers (or replaces) the sampler's task: every minute from now on (no RepetitionDuration:
# indefinitely), as SYSTEM, never a second instance while one runs, stopped after 5 minutes.
function Register-MailhostPortUsageTask {
    param
    (
        [Parameter(Mandatory)]
        [string]$Execute,

        [Parameter(Mandatory)]
        [string]$Arguments
    )
    $action = New-ScheduledTaskAction -Execute $Execute -Argument $Arguments
    $trigger = New-ScheduledTaskTrigger -Once -At ([datetime]::Now) -RepetitionInterval (New-TimeSpan -Minutes 1)
    $principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 5) -StartWhenAvailable
    $null = Register-ScheduledTask -TaskPath '\MailhostIac\' -TaskName 'PortUsageSampler' -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force
}

# The sampler's script text: this module's sampler functions as they are loaded, then the call that
# reads PortUsage.json. No value is part of it: the pool travels in PortUsage.json.
function Get-MailhostPortUsageScriptText {
    $names = @('Get-MailhostNetTcpConnection', 'Get-MailhostNetstatLine', 'Write-MailhostGuestEvent', 'Get-MailhostNetstatStateMap', 'ConvertFrom-MailhostNetstat', 'Measure-MailhostPortUsage', 'ConvertTo-MailhostPortUsageReading', 'Invoke-MailhostPortUsageSample')
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('# Port-usage sampler of mailhost-iac, written by the MailhostTcpTuning resource and run every minute by the scheduled task \MailhostIac\PortUsageSampler.')
    $lines.Add('$ErrorActionPreference = ''Stop''')
    foreach ($name in $names) {
        $body = (Get-Item -LiteralPath ('function:{0}' -f $name)).ScriptBlock.ToString()
        $lines.Add(('function {0} {{{1}}}' -f $name, $body))
    }
    $lines.Add('$settings = Get-Content -LiteralPath (Join-Path -Path (Split-Path -Parent -Path $MyInvocation.MyCommand.Path) -ChildPath ''PortUsage.json'') -Raw | ConvertFrom-Json')
    $lines.Add('$null = Invoke-MailhostPortUsageSample -Model $settings.Model -PoolStartPort ([int]$settings.PoolStartPort) -PoolNumberOfPorts ([int]$settings.PoolNumberOfPorts) -Limit ([int]$settings.EndpointsPerReading) -Source $settings.Source -ReadingEventId ([int]$settings.ReadingEventId) -FailedEventId ([int]$settings.FailedEventId)')
    return (($lines -join "`r`n") + "`r`n")
}

# What the sampler should look like on this host, from the validated desired state: the pool is
# the auto-reuse range when the desired state sets one (a pool per back end), else the dynamic range.
function Get-MailhostPortUsageDesired {
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Desired
    )
    if ($null -ne $Desired.AutoReusePortRange) {
        $pool = [ordered]@{ Model = 'perBackend'; PoolStartPort = [int]$Desired.AutoReusePortRange.StartPort; PoolNumberOfPorts = [int]$Desired.AutoReusePortRange.NumberOfPorts }
    }
    else {
        $pool = [ordered]@{ Model = 'hostPool'; PoolStartPort = [int]$Desired.StartPort; PoolNumberOfPorts = [int]$Desired.NumberOfPorts }
    }
    $limits = $script:MailhostTcpTuningLimits
    $pool['EndpointsPerReading'] = [int]$limits['PortUsageEndpointsPerReading']
    $pool['Source'] = [string]$limits['PortUsageEventSource']
    $pool['ReadingEventId'] = [int]$limits['PortUsageEventIds']['Reading']
    $pool['FailedEventId'] = [int]$limits['PortUsageEventIds']['Failed']
    $directory = Get-MailhostPortUsageDirectory
    $scriptPath = Join-Path -Path $directory -ChildPath 'Invoke-MailhostPortUsageSample.ps1'
    return @{
        Directory     = $directory
        ScriptPath    = $scriptPath
        ScriptBytes   = [System.Text.Encoding]::UTF8.GetBytes((Get-MailhostPortUsageScriptText))
        SettingsPath  = Join-Path -Path $directory -ChildPath 'PortUsage.json'
        SettingsBytes = [System.Text.Encoding]::UTF8.GetBytes(($pool | ConvertTo-Json -Compress))
        Execute       = 'powershell.exe'
        Arguments     = ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}"' -f $scriptPath)
    }
}

# What differs between the sampler on the host and the desired one: a list of 'script', 'settings', 'task'.
function Compare-MailhostPortUsageSampler {
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Sampler
    )
    $differs = [System.Collections.Generic.List[string]]::new()
    foreach ($pair in @(@('script', 'ScriptPath', 'ScriptBytes'), @('settings', 'SettingsPath', 'SettingsBytes'))) {
        $bytes = Read-MailhostPortUsageFile -Path $Sampler[$pair[1]]
        if ($null -eq $bytes -or (Get-MailhostSha256Hex -Bytes $bytes) -ne (Get-MailhostSha256Hex -Bytes $Sampler[$pair[2]])) {
            $differs.Add($pair[0])
        }
    }
    $task = Get-MailhostPortUsageTask
    if ($null -eq $task -or $task.Execute -ne $Sampler.Execute -or $task.Arguments -ne $Sampler.Arguments) {
        $differs.Add('task')
    }
    return , $differs.ToArray()
}

# The reason for a sampler that is missing or differs; $null when it is as desired.
function Get-MailhostPortUsageSamplerReason {
    param
    (
        [string[]]$Differs
    )
    if (@($Differs).Count -eq 0) {
        return $null
    }
    return (New-MailhostReason -Setting 'PortUsageSampler' -Sentence 'The port-usage sampler (scheduled task \MailhostIac\PortUsageSampler, its script and its pool settings) is missing or differs.' -Actual ('differs: {0}' -f (@($Differs) -join ',')) -Desired 'installed')
}

# Writes what differs of the sampler (script, settings, task). Returns $true when it changed anything.
function Set-MailhostPortUsageSampler {
    param
    (
        [Parameter(Mandatory)]
        [hashtable]$Sampler
    )
    $differs = Compare-MailhostPortUsageSampler -Sampler $Sampler
    if ($differs.Count -eq 0) {
        return $false
    }
    if ($differs -contains 'script') {
        Write-MailhostPortUsageFile -Path $Sampler.ScriptPath -Bytes $Sampler.ScriptBytes
    }
    if ($differs -contains 'settings') {
        Write-MailhostPortUsageFile -Path $Sampler.SettingsPath -Bytes $Sampler.SettingsBytes
    }
    if ($differs -contains 'task') {
        Register-MailhostPortUsageTask -Execute $Sampler.Execute -Arguments $Sampler.Arguments
    }
    return $true
}
