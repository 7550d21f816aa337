<#
.SYNOPSIS
    Idempotent TCP ephemeral-port tuning of a Windows mail host, for an Azure managed Run Command
    (VirtualMachineRunCommandByVirtualMachine).

.DESCRIPTION
    The entry part of the run-command script. The logic is the MailhostTcpTuning module's
    (guest/modules/MailhostTcpTuning), the same the DSC resource runs: Run Command takes one script
    text, so components/guestScripts.ts assembles this file with the module functions it uses
    (the region below); from the repository the region loads them from the module folder.

    Effects, each only when it differs from the desired value:
    - MaxUserPort and TcpTimedWaitDelay written as REG_DWORD under Tcpip\Parameters (a value of
      another kind, which TCP/IP ignores, is replaced). They take effect only after a reboot,
      which this script never performs nor requests: it creates the volatile key
      HKLM\SOFTWARE\MailhostIac\TcpipRebootPendingUntilBoot (value WrittenAt, ISO 8601 UTC),
      which Windows drops at the next boot, and reports RebootRequired = true until then;
    - the TCP dynamic port range for IPv4 and IPv6, through netsh;
    - the auto-reuse port range (Set-NetTCPSetting on the custom templates), only when
      AutoReusePortRangeStartPort and AutoReusePortRangeNumberOfPorts are given (without them the
      host's range is left as it is); in effect after a reboot, so it sets the marker too;
    - SiteConfig.cfg, replaced atomically (previous file kept as <path>.bak).

    Run Command passes parameters through a Windows command line, so every value is in a form that
    survives it: numbers as plain decimal digits (checked against the ranges of Limits.psd1),
    the path and the content of SiteConfig.cfg as base64url (RFC 4648 section 5, no padding) of
    their UTF-8 bytes. The content is written only when it hashes to SiteConfigSha256; otherwise
    the script fails and the file stays as it was. Every parameter is checked before anything
    changes. ContentHash only makes Azure re-run the command when anything changes.

    The last line of output is one compact JSON object:
    {"RegistryChanged":bool,"RebootRequired":bool,"DynamicPortRangeChanged":bool,"AutoReusePortRangeChanged":bool,"SiteConfigChanged":bool,"ContentHash":string}
#>
[CmdletBinding()]
param
(
    [string]$MaxUserPort,
    [string]$TcpTimedWaitDelay,
    [string]$DynamicPortRangeStartPort,
    [string]$DynamicPortRangeNumberOfPorts,
    [string]$SiteConfigPathBase64Url,
    [string]$SiteConfigContentBase64Url,
    [string]$SiteConfigSha256,
    [string]$ContentHash,
    [string]$AutoReusePortRangeStartPort,
    [string]$AutoReusePortRangeNumberOfPorts
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

#region MailhostTcpTuning functions
$script:MailhostTcpTuningLimits = Import-PowerShellDataFile -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath '../modules/MailhostTcpTuning/Limits.psd1')
foreach ($mailhostFunctionFolder in @('Private', 'Public')) {
    foreach ($mailhostFunctionFile in @(Get-ChildItem -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath ('../modules/MailhostTcpTuning/' + $mailhostFunctionFolder)) -File | Where-Object { $_.Extension -eq '.ps1' })) {
        . $mailhostFunctionFile.FullName
    }
}
#endregion MailhostTcpTuning functions

if ([string]::IsNullOrEmpty($ContentHash)) {
    $ContentHash = ''
}
elseif ($ContentHash -notmatch '^[0-9a-f]{1,128}$') {
    throw 'ContentHash must be lower-case hex digits.'
}

$parameters = @{
    MaxUserPort                   = $MaxUserPort
    TcpTimedWaitDelay             = $TcpTimedWaitDelay
    DynamicPortRangeStartPort     = $DynamicPortRangeStartPort
    DynamicPortRangeNumberOfPorts = $DynamicPortRangeNumberOfPorts
    SiteConfigPathBase64Url       = $SiteConfigPathBase64Url
    SiteConfigContentBase64Url    = $SiteConfigContentBase64Url
    SiteConfigSha256              = $SiteConfigSha256
    AutoReusePortRangeStartPort     = $AutoReusePortRangeStartPort
    AutoReusePortRangeNumberOfPorts = $AutoReusePortRangeNumberOfPorts
}
$desired = ConvertTo-MailhostDesiredState @parameters
$changes = Set-MailhostTcpTuning -Desired $desired

if ($changes.RebootPending) {
    Write-Warning -Message 'Tcpip values (MaxUserPort, TcpTimedWaitDelay) and the auto-reuse port range take effect after the next reboot, which this script does not perform (use mailhost reboot).'
}

[ordered]@{
    RegistryChanged         = [bool]$changes.RegistryChanged
    RebootRequired          = [bool]$changes.RebootPending
    DynamicPortRangeChanged = [bool]$changes.DynamicPortRangeChanged
    AutoReusePortRangeChanged = [bool]$changes.AutoReusePortRangeChanged
    SiteConfigChanged       = [bool]$changes.SiteConfigChanged
    ContentHash             = $ContentHash
} | ConvertTo-Json -Compress
