<#
.SYNOPSIS
    Checks the guest PowerShell with the real PowerShell parser (rules: scripts/PowerShellLint.psm1).

.DESCRIPTION
    Without -Path it checks every .ps1, .psm1 and .psd1 under guest/. Prints one line per problem,
    `file:line:column rule message`, then a count, and exits 1 when there are problems.
    With -Json it prints { files, problems } instead. Run it through `npm run lint:ps`.
#>
[CmdletBinding()]
param(
    [Parameter(ValueFromRemainingArguments)]
    [string[]]$Path,

    [switch]$Json
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'PowerShellLint.psm1') -Force

if (-not $Path) {
    $Path = Get-GuestPowerShellFile
}
$problems = @(Test-PowerShellFile -Path $Path)
if ($Json) {
    [ordered]@{ files = @($Path); problems = $problems } | ConvertTo-Json -Depth 4
} else {
    foreach ($problem in $problems) {
        '{0}:{1}:{2} {3} {4}' -f $problem.File, $problem.Line, $problem.Column, $problem.Rule, $problem.Message
    }
    '{0} file(s) checked, {1} problem(s)' -f @($Path).Count, $problems.Count
}
if ($problems.Count -gt 0) { exit 1 }
exit 0
