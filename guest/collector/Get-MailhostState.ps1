<#
.SYNOPSIS
    Read-only collector for in-guest drift detection of a Windows mail host: reports the TCP
    ephemeral-port tuning, SiteConfig.cfg and reboot state as one compact JSON document.

.DESCRIPTION
    The entry part of the collector. It reads through the MailhostTcpTuning module's functions
    (guest/modules/MailhostTcpTuning), the same the DSC resource's Get uses; Run Command takes one
    script text, so components/guestScripts.ts assembles this file with the (read-only) module
    functions it uses (the region below); from the repository the region loads them from the module.

    Meant for Azure's action Run Command (RunPowerShellScript), which keeps only the last 4,096
    bytes of output. The script prints exactly one line on stdout: the JSON document
    (ConvertTo-Json -Compress). Warning, verbose, information and progress output are silenced,
    because the console host would print them on stdout too.

    The script changes nothing on the machine: it only reads the registry, runs
    "netsh int <ipv4|ipv6> show dynamicport tcp" and Get-NetTCPSetting, reads SiteConfig.cfg and queries the DSC Local
    Configuration Manager (never Get-DscConfiguration, which re-runs the resources' Get scripts).

    Every value is read on its own: a value that cannot be read is reported as null and a short
    ASCII entry is added to Errors (at most 10 entries of at most 100 characters, so the document
    stays far below 4,096 bytes). A null without an Errors entry means "absent".

    Keys of the document (see domain/drift.ts, which parses it):
      MaxUserPort, TcpTimedWaitDelay       REG_DWORD under HKLM\SYSTEM\CurrentControlSet\Services\
                                           Tcpip\Parameters; null when absent. A value of another
                                           kind (which TCP/IP ignores) is null plus the Errors entry
                                           "<Name>: value is <Kind>, not DWord" and an entry of
                                           WrongKind
      WrongKind                            { "<Name>": { "Kind": "<RegistryValueKind>", "Data":
                                           "<value as text, at most 40 characters>" } } for each
                                           value of the wrong kind; {} when none
      DynamicPortRangeStartPort,           netsh int ipv4 show dynamicport tcp: the first two
      DynamicPortRangeNumberOfPorts        integers after a colon (labels are localised)
      DynamicPortRangeIPv6StartPort,       the same for ipv6
      DynamicPortRangeIPv6NumberOfPorts
      AutoReusePortRangeStartPort,         Get-NetTCPSetting: the auto-reuse port range every TCP
      AutoReusePortRangeNumberOfPorts      setting template reports (0 ports: off, Windows'
                                           default); null plus an Errors entry "AutoReusePortRange:
                                           ..." when it cannot be read or the templates differ.
                                           The configured range: in effect after a reboot
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
                                           PendingFileRenameOperations, the value
                                           HKLM\SOFTWARE\MailhostIac\TcpipRebootPending that older
                                           versions of the DSC configuration wrote
                                           (MailhostIacMarker), and the volatile key
                                           HKLM\SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot
                                           that the tuning creates when it writes a Tcpip value
                                           (MailhostIacUntilBoot)
      LcmConfigurationMode                 ConfigurationMode of the LCM when a DSC configuration
                                           has been applied (Current.mof or Pending.mof exists, or
                                           Get-DscConfigurationStatus returns a status); else null
      CollectedAt                          ISO 8601 UTC time the collection started
      PortUsage                            a port-usage reading taken now (the sampler's counting):
                                           Model (hostPool: the IPv4 dynamic range; perBackend: the
                                           auto-reuse range when configured), Ports, TimeWait,
                                           Budget, BusiestEndpoint, BusiestEndpointPorts; null plus
                                           an Errors entry "PortUsage: ..." when it cannot be read
      Errors                               short strings for values that could not be read

.PARAMETER SiteConfigPathBase64Url
    Absolute path of SiteConfig.cfg as base64url (RFC 4648 section 5, no padding) of its UTF-8
    bytes: Run Command passes parameters through a Windows command line, which this form survives.

.EXAMPLE
    {"MaxUserPort":<int|null>,"TcpTimedWaitDelay":<int|null>,"DynamicPortRangeStartPort":<int|null>,...,"WrongKind":{},"PortUsage":{...}|null,"Errors":[]}
#>
[CmdletBinding()]
param
(
    [string]$SiteConfigPathBase64Url
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'

#region MailhostTcpTuning functions
$script:MailhostTcpTuningLimits = Import-PowerShellDataFile -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath '../modules/MailhostTcpTuning/Limits.psd1')
foreach ($mailhostFunctionFolder in @('Private', 'Public')) {
    foreach ($mailhostFunctionFile in @(Get-ChildItem -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath ('../modules/MailhostTcpTuning/' + $mailhostFunctionFolder)) -File | Where-Object { $_.Extension -eq '.ps1' })) {
        . $mailhostFunctionFile.FullName
    }
}
#endregion MailhostTcpTuning functions

$MaxErrors = 10
$MaxErrorLength = 100

$state = [ordered]@{
    MaxUserPort                       = $null
    TcpTimedWaitDelay                 = $null
    DynamicPortRangeStartPort         = $null
    DynamicPortRangeNumberOfPorts     = $null
    DynamicPortRangeIPv6StartPort     = $null
    DynamicPortRangeIPv6NumberOfPorts = $null
    AutoReusePortRangeStartPort       = $null
    AutoReusePortRangeNumberOfPorts   = $null
    MailboxCacheTTL                   = $null
    SiteConfigSha256                  = $null
    RebootPending                     = $false
    RebootPendingReasons              = [string[]]@()
    LcmConfigurationMode              = $null
    CollectedAt                       = (Get-Date).ToUniversalTime().ToString('o')
    WrongKind                         = [ordered]@{}
    PortUsage                         = $null
    Errors                            = [string[]]@()
}
$errors = [System.Collections.Generic.List[string]]::new()

<#
    .SYNOPSIS
        Formats one entry of the document's Errors.

    .DESCRIPTION
        One short, printable-ASCII line of at most MaxErrorLength characters: no characters that
        ConvertTo-Json would expand to \uXXXX.

    .PARAMETER Label
        What could not be read, such as MaxUserPort.

    .PARAMETER Problem
        The error record, or a text saying what is wrong.

    .OUTPUTS
        System.String. "<Label>: <message>".
#>
function ConvertTo-ErrorText {
    [CmdletBinding()]
    [OutputType([System.String])]
    param
    (
        [Parameter(Mandatory)]
        [string]$Label,

        [Parameter(Mandatory)]
        [AllowNull()]
        [AllowEmptyString()]
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

# --- Tcpip registry values ---------------------------------------------------------------------
foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay')) {
    $value = Get-MailhostTcpipValue -Name $name
    switch ($value.State) {
        'DWord' {
            $state[$name] = $value.Value
        }
        'WrongKind' {
            $state['WrongKind'][$name] = [ordered]@{ Kind = $value.Kind; Data = $value.Data }
            $errors.Add((ConvertTo-ErrorText -Label $name -Problem ('value is {0}, not DWord' -f $value.Kind)))
        }
        'Unreadable' {
            $errors.Add((ConvertTo-ErrorText -Label $name -Problem $value.Error))
        }
    }
}

# --- Dynamic port range ------------------------------------------------------------------------
foreach ($pair in @(@('ipv4', 'DynamicPortRangeStartPort', 'DynamicPortRangeNumberOfPorts'), @('ipv6', 'DynamicPortRangeIPv6StartPort', 'DynamicPortRangeIPv6NumberOfPorts'))) {
    try {
        $range = Get-MailhostDynamicPortRange -IpVersion $pair[0]
        $state[$pair[1]] = $range.StartPort
        $state[$pair[2]] = $range.NumberOfPorts
    }
    catch {
        $errors.Add((ConvertTo-ErrorText -Label ('DynamicPortRange ' + $pair[0]) -Problem $_))
    }
}

# --- Auto-reuse port range (Get-NetTCPSetting; configured, in effect after a reboot) ------------
try {
    $autoReuse = Get-MailhostAutoReusePortRange
    if ($autoReuse.ContainsKey('Mixed')) {
        $errors.Add((ConvertTo-ErrorText -Label 'AutoReusePortRange' -Problem ('templates differ: ' + $autoReuse.Mixed)))
    }
    else {
        $state['AutoReusePortRangeStartPort'] = $autoReuse.StartPort
        $state['AutoReusePortRangeNumberOfPorts'] = $autoReuse.NumberOfPorts
    }
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'AutoReusePortRange' -Problem $_))
}

# --- SiteConfig.cfg ----------------------------------------------------------------------------
$siteConfigBytes = $null
try {
    $siteConfigPath = ConvertFrom-MailhostUtf8 -Name 'SiteConfigPathBase64Url' -Bytes (ConvertFrom-MailhostBase64Url -Name 'SiteConfigPathBase64Url' -Value $SiteConfigPathBase64Url)
    if (-not (Test-MailhostAbsolutePath -Path $siteConfigPath)) {
        throw 'empty or not an absolute path'
    }
    # One read for both the hash and the text, so they describe the same bytes.
    $siteConfigBytes = Read-MailhostFileBytes -Path $siteConfigPath
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'SiteConfigPath' -Problem $_))
}

if ($null -ne $siteConfigBytes) {
    try {
        $state['SiteConfigSha256'] = Get-MailhostSha256Hex -Bytes $siteConfigBytes
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
        Test = { Test-MailhostRegistryKey -SubKey 'SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' }
    },
    @{
        Name = 'WindowsUpdate'
        Test = { Test-MailhostRegistryKey -SubKey 'SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired' }
    },
    @{
        Name = 'PendingFileRename'
        Test = {
            $value = Get-MailhostRegistryValue -SubKey 'SYSTEM\CurrentControlSet\Control\Session Manager' -Name 'PendingFileRenameOperations'
            $null -ne $value -and @(@($value.Data) | Where-Object { -not [string]::IsNullOrWhiteSpace([string]$_) }).Count -gt 0
        }
    },
    @{
        Name = 'MailhostIacMarker'
        Test = { (Test-MailhostRegistryKey -SubKey 'SOFTWARE\MailhostIac') -and ($null -ne (Get-MailhostRegistryValue -SubKey 'SOFTWARE\MailhostIac' -Name 'TcpipRebootPending')) }
    },
    @{
        Name = 'MailhostIacUntilBoot'
        Test = { $null -ne (Get-MailhostRebootPendingSince) }
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
    $state['LcmConfigurationMode'] = Get-MailhostLcmConfigurationMode
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'LcmConfigurationMode' -Problem $_))
}

# --- Port usage: a reading taken now, against the pool the host has --------------------------------
# The auto-reuse range when one is configured (a pool per back end), else the IPv4 dynamic range.
# Small on purpose: Run Command keeps the last 4,096 bytes of output.
try {
    if ($null -ne $state['AutoReusePortRangeNumberOfPorts'] -and $state['AutoReusePortRangeNumberOfPorts'] -gt 0) {
        $pool = @{ Model = 'perBackend'; StartPort = [int]$state['AutoReusePortRangeStartPort']; NumberOfPorts = [int]$state['AutoReusePortRangeNumberOfPorts'] }
    }
    elseif ($null -ne $state['DynamicPortRangeStartPort']) {
        $pool = @{ Model = 'hostPool'; StartPort = [int]$state['DynamicPortRangeStartPort']; NumberOfPorts = [int]$state['DynamicPortRangeNumberOfPorts'] }
    }
    else {
        $pool = $null
    }
    if ($null -ne $pool) {
        $usage = Measure-MailhostPortUsage -Row @(Get-MailhostNetTcpConnection) -StartPort $pool.StartPort -NumberOfPorts $pool.NumberOfPorts
        $reading = [ordered]@{ Model = $pool.Model; Ports = [int]$usage.Ports; TimeWait = [int]$usage.TimeWait; Budget = $pool.NumberOfPorts; BusiestEndpoint = $null; BusiestEndpointPorts = $null }
        foreach ($entry in $usage.Endpoints.GetEnumerator()) {
            if ($null -eq $reading.BusiestEndpointPorts -or $entry.Value -gt $reading.BusiestEndpointPorts) {
                $reading.BusiestEndpoint = [string]$entry.Key
                $reading.BusiestEndpointPorts = [int]$entry.Value
            }
        }
        $state['PortUsage'] = $reading
    }
}
catch {
    $errors.Add((ConvertTo-ErrorText -Label 'PortUsage' -Problem $_))
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
    $json = ConvertTo-Json -InputObject $state -Compress -Depth 4
}
catch {
    $json = '{"Errors":["serialising the document failed"]}'
}
$json
