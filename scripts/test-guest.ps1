<#
.SYNOPSIS
    Runs the PowerShell test suite of the guest scripts with Pester.

.DESCRIPTION
    Imports Pester from -PesterPath (scripts/guest-tools.ts restores it into the cache folder) and
    runs every *.Tests.ps1 under test/integration/guest (or the given paths). Prints Pester's summary, then one
    closing line `Pester: <n> passed, <n> failed, <n> skipped`, and exits 1 when any test, block or
    container failed or when no test ran at all.

    Run it through `npm run test:guest`, which brings pwsh and Pester first.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string]$PesterPath,

    [Parameter(ValueFromRemainingArguments)]
    [string[]]$Path
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = Split-Path -Parent $PSScriptRoot
if (-not $Path) {
    $Path = @(Join-Path $root 'test/integration/guest')
}

Import-Module -Name $PesterPath -MinimumVersion 5.0.0 -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.TestExtension = '.Tests.ps1'
$configuration.Run.PassThru = $true
$configuration.Run.Exit = $false
$configuration.Output.Verbosity = 'Normal'
$configuration.Output.StackTraceVerbosity = 'Filtered'
$configuration.Output.CIFormat = 'None'
if ([Console]::IsOutputRedirected -or $env:CI -or $env:NO_COLOR) {
    # Logs (CI, npm piped to a file) get plain text instead of ANSI colour codes.
    $configuration.Output.RenderMode = 'Plaintext'
}

$result = Invoke-Pester -Configuration $configuration

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
'Pester {0}: {1} tests in {2} files, {3:N1} s' -f (Get-Module Pester).Version, $result.TotalCount, $result.Containers.Count, $result.Duration.TotalSeconds
'Pester: {0} passed, {1} failed, {2} skipped' -f $result.PassedCount, $failed, ($result.SkippedCount + $result.NotRunCount)
if ($failed -gt 0 -or $result.PassedCount -eq 0) {
    exit 1
}
exit 0
