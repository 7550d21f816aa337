<#
.SYNOPSIS
    Read-only collector for in-guest drift detection of a Windows mail host: reports the TCP
    ephemeral-port tuning, SiteConfig.cfg and reboot state as one compact JSON document.

.DESCRIPTION
    Meant for Azure's action Run Command (RunPowerShellScript), which keeps only the last 4,096
    bytes of output. The script prints exactly one line on stdout: the JSON document
    (ConvertTo-Json -Compress). Warning, verbose, information and progress output are silenced,
    because the console host would print them on stdout too.

    The script changes nothing on the machine: it only reads the registry (read-only handles),
    runs "netsh int <ipv4|ipv6> show dynamicport tcp", reads SiteConfig.cfg and queries the DSC
    Local Configuration Manager (Get-DscLocalConfigurationManager; never Get-DscConfiguration,
    which re-runs the resources' Get scripts). test/guest/collector.test.ts scans it for writes.

    Every value is read in its own try/catch: a value that cannot be read is reported as null and
    a short ASCII entry is added to Errors (at most 10 entries of at most 100 characters, so the
    document stays far below 4,096 bytes). A null without an Errors entry means "absent".

    Keys of the document (see domain/drift.ts, which parses it):
      MaxUserPort, TcpTimedWaitDelay       REG_DWORD under HKLM\SYSTEM\CurrentControlSet\Services\
                                           Tcpip\Parameters; null when absent (a value of another
                                           type is null plus an Errors entry)
      DynamicPortRangeStartPort,           netsh int ipv4 show dynamicport tcp: the first two
      DynamicPortRangeNumberOfPorts        integers after a colon (labels are localised)
      DynamicPortRangeIPv6StartPort,       the same for ipv6
      DynamicPortRangeIPv6NumberOfPorts
      MailboxCacheTTL                      from SiteConfig.cfg (INI): every "MailboxCacheTTL = n"
                                           line of any section, key case-insensitive, ';' and '#'
                                           comment lines skipped; the lowest value when the key
                                           repeats; null when the file or the key is missing, or
                                           when any occurrence is not an integer (plus an Errors
                                           entry)
      SiteConfigSha256                     lower-case hex SHA-256 of the file's bytes; null when
                                           the file is missing
      RebootPending, RebootPendingReasons  Component Based Servicing\RebootPending, Windows Update
                                           Auto Update\RebootRequired, a non-empty
                                           PendingFileRenameOperations, and the markers of the
                                           tuning scripts: value HKLM\SOFTWARE\MailhostIac\
                                           TcpipRebootPending (guest/dsc/MailhostTuning.ps1) and
                                           the volatile key HKLM\SOFTWARE\MailhostIac\
                                           TcpipRebootPendingUntilBoot
                                           (guest/runcommand/Set-MailhostTuning.ps1)
      LcmConfigurationMode                 ConfigurationMode of the LCM when a DSC configuration
                                           has been applied (Current.mof or Pending.mof exists, or
                                           Get-DscConfigurationStatus returns a status); else null
      CollectedAt                          ISO 8601 UTC time the collection started
      Errors                               short strings for values that could not be read

.PARAMETER SiteConfigPath
    Absolute path of SiteConfig.cfg (a Run Command parameter, so a string).

.EXAMPLE
    {"MaxUserPort":<int|null>,"TcpTimedWaitDelay":<int|null>,"DynamicPortRangeStartPort":<int|null>,...,"Errors":[]}
#>
[CmdletBinding()]
param
(
    [string]$SiteConfigPath
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'

# Names shared with guest/dsc/MailhostTuning.ps1 and guest/runcommand/Set-MailhostTuning.ps1.
$TcpipKeyPath = 'SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
$StateKeyPath = 'SOFTWARE\MailhostIac'
$RebootPendingValueName = 'TcpipRebootPending'
$RebootPendingKeyName = 'TcpipRebootPendingUntilBoot'

$MaxErrors = 10
$MaxErrorLength = 100

$state = [ordered]@{
    MaxUserPort                       = $null
    TcpTimedWaitDelay                 = $null
    DynamicPortRangeStartPort         = $null
    DynamicPortRangeNumberOfPorts     = $null
    DynamicPortRangeIPv6StartPort     = $null
    DynamicPortRangeIPv6NumberOfPorts = $null
    MailboxCacheTTL                   = $null
    SiteConfigSha256                  = $null
    RebootPending                     = $false
    RebootPendingReasons              = [string[]]@()
    LcmConfigurationMode              = $null
    CollectedAt                       = (Get-Date).ToUniversalTime().ToString('o')
    Errors                            = [string[]]@()
}
$errors = [System.Collections.Generic.List[string]]::new()

# One short, printable-ASCII line: no characters that ConvertTo-Json would expand to \uXXXX.
function ConvertTo-ErrorText {
    param
    (
        [string]$Label,
        [object]$Problem
    )
    if ($Problem -is [System.Management.Automation.ErrorRecord]) {
        $message = $Problem.Exception.Message
    }
    else {
        $message = [string]$Problem
    }
    $text = '{0}: {1}' -f $Label, $message
    $text = $text -replace '[\x00-\x1F\x7F]+', ' '
    $text = $text -replace '[^\x20-\x7E]', '?'
    $text = $text -replace "'", '"'
    $text = $text -replace '\x3C', '('
    $text = $text -replace '\x3E', ')'
    $text = $text -replace '&', '+'
    $text = $text.Trim()
    if ($text.Length -gt $MaxErrorLength) {
        $text = $text.Substring(0, $MaxErrorLength - 3) + '...'
    }
    return $text
}

# A read-only handle on HKLM\<SubKey> in the 64-bit view, or $null when the key does not exist.
function Get-LocalMachineKey {
    param
    (
        [string]$SubKey
    )
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        return $base.OpenSubKey($SubKey)
    }
    finally {
        $base.Dispose()
    }
}

# The REG_DWORD as an unsigned number, or $null when the value is absent.
function Get-RegistryDword {
    param
    (
        [string]$SubKey,
        [string]$Name
    )
    $key = Get-LocalMachineKey -SubKey $SubKey
    if ($null -eq $key) {
        throw ('key HKLM\{0} not found' -f $SubKey)
    }
    try {
        if (@($key.GetValueNames()) -notcontains $Name) {
            return $null
        }
        $kind = $key.GetValueKind($Name)
        if ($kind -ne [Microsoft.Win32.RegistryValueKind]::DWord) {
            throw ('value is {0}, not DWord' -f $kind)
        }
        $raw = [int]$key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        return [int64][System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes($raw), 0)
    }
    finally {
        $key.Dispose()
    }
}

function Test-LocalMachineKey {
    param
    (
        [string]$SubKey
    )
    $key = Get-LocalMachineKey -SubKey $SubKey
    if ($null -eq $key) {
        return $false
    }
    $key.Dispose()
    return $true
}

function Test-LocalMachineValue {
    param
    (
        [string]$SubKey,
        [string]$Name,
        [bool]$NonEmpty
    )
    $key = Get-LocalMachineKey -SubKey $SubKey
    if ($null -eq $key) {
        return $false
    }
    try {
        if (@($key.GetValueNames()) -notcontains $Name) {
            return $false
        }
        if (-not $NonEmpty) {
            return $true
        }
        $value = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        $filled = @(@($value) | Where-Object { -not [string]::IsNullOrWhiteSpace([string]$_) })
        return [bool]($filled.Count -gt 0)
    }
    finally {
        $key.Dispose()
    }
}

# @(startPort, numberOfPorts) as reported by netsh for 'ipv4' or 'ipv6'.
function Get-DynamicPortRange {
    param
    (
        [ValidateSet('ipv4', 'ipv6')]
        [string]$IpVersion
    )
    $output = & netsh.exe int $IpVersion show dynamicport tcp
    if ($LASTEXITCODE -ne 0) {
        throw ('netsh exit code {0}' -f $LASTEXITCODE)
    }
    # The first two integers after a colon: start port, number of ports (labels are localised).
    $found = [regex]::Matches((@($output) -join "`n"), ':\s*([0-9]+)')
    if ($found.Count -lt 2) {
        throw 'cannot parse the netsh output'
    }
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    return @([int]::Parse($found[0].Groups[1].Value, $invariant), [int]::Parse($found[1].Groups[1].Value, $invariant))
}

# True when a DSC configuration has been applied to this machine.
function Test-DscInUse {
    if ($null -eq (Get-Command -Name 'Get-DscLocalConfigurationManager' -ErrorAction SilentlyContinue)) {
        return $false
    }
    $system = [System.Environment]::SystemDirectory
    if ([System.Environment]::Is64BitOperatingSystem -and -not [System.Environment]::Is64BitProcess) {
        $system = Join-Path -Path $env:SystemRoot -ChildPath 'Sysnative'
    }
    foreach ($document in @('Current.mof', 'Pending.mof')) {
        if (Test-Path -LiteralPath (Join-Path -Path $system -ChildPath ('Configuration\' + $document)) -PathType Leaf) {
            return $true
        }
    }
    if ($null -eq (Get-Command -Name 'Get-DscConfigurationStatus' -ErrorAction SilentlyContinue)) {
        return $false
    }
    try {
        $status = Get-DscConfigurationStatus -ErrorAction Stop
        return [bool]($null -ne $status)
    }
    catch {
        # No configuration has been applied (or no status is kept): DSC is not in use.
        return $false
    }
}

# --- Tcpip registry values ---------------------------------------------------------------------
try {
    $state['MaxUserPort'] = Get-RegistryDword -SubKey $TcpipKeyPath -Name 'MaxUserPort'
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'MaxUserPort' -Problem $_))
}
try {
    $state['TcpTimedWaitDelay'] = Get-RegistryDword -SubKey $TcpipKeyPath -Name 'TcpTimedWaitDelay'
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'TcpTimedWaitDelay' -Problem $_))
}

# --- Dynamic port range ------------------------------------------------------------------------
try {
    $range = Get-DynamicPortRange -IpVersion 'ipv4'
    $state['DynamicPortRangeStartPort'] = $range[0]
    $state['DynamicPortRangeNumberOfPorts'] = $range[1]
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'DynamicPortRange ipv4' -Problem $_))
}
try {
    $range = Get-DynamicPortRange -IpVersion 'ipv6'
    $state['DynamicPortRangeIPv6StartPort'] = $range[0]
    $state['DynamicPortRangeIPv6NumberOfPorts'] = $range[1]
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'DynamicPortRange ipv6' -Problem $_))
}

# --- SiteConfig.cfg ----------------------------------------------------------------------------
$siteConfigBytes = $null
try {
    if ([string]::IsNullOrWhiteSpace($SiteConfigPath) -or -not [System.IO.Path]::IsPathRooted($SiteConfigPath)) {
        throw 'empty or not a rooted path'
    }
    if (Test-Path -LiteralPath $SiteConfigPath -PathType Leaf) {
        # One read for both the hash and the text, so they describe the same bytes.
        $siteConfigBytes = [System.IO.File]::ReadAllBytes($SiteConfigPath)
    }
    elseif (Test-Path -LiteralPath $SiteConfigPath) {
        throw 'path is not a file'
    }
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'SiteConfigPath' -Problem $_))
}

if ($null -ne $siteConfigBytes) {
    try {
        $stream = [System.IO.MemoryStream]::new($siteConfigBytes, $false)
        try {
            $state['SiteConfigSha256'] = (Get-FileHash -InputStream $stream -Algorithm SHA256).Hash.ToLowerInvariant()
        }
        finally {
            $stream.Dispose()
        }
    }
    catch {
        $errors.Add((ConvertTo-ErrorText -Label 'SiteConfigSha256' -Problem $_))
    }

    try {
        # Honours a UTF-8 or UTF-16 byte-order mark; UTF-8 otherwise (what the tuning writes).
        $reader = [System.IO.StreamReader]::new([System.IO.MemoryStream]::new($siteConfigBytes, $false), [System.Text.Encoding]::UTF8, $true)
        try {
            $text = $reader.ReadToEnd()
        }
        finally {
            $reader.Dispose()
        }
        $ttlPattern = [regex]::new('^\s*MailboxCacheTTL\s*=\s*(.*?)\s*$', [System.Text.RegularExpressions.RegexOptions]::IgnoreCase)
        $lowest = $null
        $invalid = [System.Collections.Generic.List[string]]::new()
        foreach ($line in ($text -split '\r\n|\n|\r')) {
            if ($line -match '^\s*[;#]') {
                continue
            }
            $match = $ttlPattern.Match($line)
            if (-not $match.Success) {
                continue
            }
            $raw = $match.Groups[1].Value
            $number = 0
            $isInteger = $raw -match '^[+-]?[0-9]+$' -and [int]::TryParse($raw, [System.Globalization.NumberStyles]::AllowLeadingSign, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$number)
            if (-not $isInteger) {
                $invalid.Add($raw)
            }
            elseif ($null -eq $lowest -or $number -lt $lowest) {
                $lowest = $number
            }
        }
        if ($invalid.Count -gt 0) {
            # The service might read the bad value: report no TTL rather than a reassuring one.
            throw ('not an integer: "{0}"' -f $invalid[0])
        }
        $state['MailboxCacheTTL'] = $lowest
    }
    catch {
        $errors.Add((ConvertTo-ErrorText -Label 'MailboxCacheTTL' -Problem $_))
    }
}

# --- Pending reboot ----------------------------------------------------------------------------
$rebootChecks = @(
    @{
        Name = 'ComponentBasedServicing'
        Test = { Test-LocalMachineKey -SubKey 'SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' }
    },
    @{
        Name = 'WindowsUpdate'
        Test = { Test-LocalMachineKey -SubKey 'SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired' }
    },
    @{
        Name = 'PendingFileRename'
        Test = { Test-LocalMachineValue -SubKey 'SYSTEM\CurrentControlSet\Control\Session Manager' -Name 'PendingFileRenameOperations' -NonEmpty $true }
    },
    @{
        Name = 'MailhostIacMarker'
        Test = { Test-LocalMachineValue -SubKey $StateKeyPath -Name $RebootPendingValueName -NonEmpty $false }
    },
    @{
        Name = 'MailhostIacUntilBoot'
        Test = { Test-LocalMachineKey -SubKey ($StateKeyPath + '\' + $RebootPendingKeyName) }
    }
)
$rebootReasons = [System.Collections.Generic.List[string]]::new()
foreach ($check in $rebootChecks) {
    try {
        $test = $check['Test']
        if ([bool](& $test)) {
            $rebootReasons.Add($check['Name'])
        }
    }
    catch {
        $errors.Add((ConvertTo-ErrorText -Label ('RebootPending ' + $check['Name']) -Problem $_))
    }
}
$state['RebootPending'] = [bool]($rebootReasons.Count -gt 0)
$state['RebootPendingReasons'] = [string[]]$rebootReasons.ToArray()

# --- DSC Local Configuration Manager -----------------------------------------------------------
try {
    if (Test-DscInUse) {
        $mode = [string](Get-DscLocalConfigurationManager).ConfigurationMode
        if (-not [string]::IsNullOrEmpty($mode)) {
            $state['LcmConfigurationMode'] = $mode
        }
    }
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'LcmConfigurationMode' -Problem $_))
}

# --- The document ------------------------------------------------------------------------------
if ($errors.Count -gt $MaxErrors) {
    $omitted = $errors.Count - ($MaxErrors - 1)
    $kept = $errors.GetRange(0, $MaxErrors - 1)
    $kept.Add(('{0} more errors omitted' -f $omitted))
    $errors = $kept
}
$state['Errors'] = [string[]]$errors.ToArray()

try {
    $json = ConvertTo-Json -InputObject $state -Compress -Depth 3
}
catch {
    $json = '{"Errors":["serialising the document failed"]}'
}
$json
