# Pester tests of the PowerShell checker (scripts/PowerShellLint.psm1) and of the guest code held
# to it. Every rule is shown catching a small bad sample, so none can pass silently.

BeforeDiscovery {
    $script:RepoRoot = Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $PSScriptRoot))
    Import-Module (Join-Path $script:RepoRoot 'scripts/PowerShellLint.psm1') -Force
    $script:GuestFiles = @(Get-GuestPowerShellFile | ForEach-Object {
            @{ Name = [System.IO.Path]::GetRelativePath($script:RepoRoot, $_).Replace('\', '/'); FullName = $_ }
        })

    $script:Ps51Samples = @(
        @{ Name = '??'; Text = '$a = $null ?? 1' }
        @{ Name = '??='; Text = '$a ??= 1' }
        @{ Name = 'ternary'; Text = '$a = $true ? 1 : 2' }
        @{ Name = '&& chain'; Text = 'Get-Item . && Get-Item .' }
        @{ Name = '|| chain'; Text = 'Get-Item . || Write-Error x' }
        @{ Name = '?. member'; Text = '$a = ${b}?.Length' }
        @{ Name = '?[] index'; Text = '$a = ${b}?[0]' }
        @{ Name = 'clean block'; Text = "function F {`n process { 1 }`n clean { 2 }`n}" }
        @{ Name = 'ForEach-Object -Parallel'; Text = '1..3 | ForEach-Object -Parallel { $_ }' }
        @{ Name = '% -Parallel (alias)'; Text = '1..3 | % -Parallel { $_ } -ThrottleLimit 2' }
        @{ Name = 'ForEach-Object -ThrottleLimit'; Text = '1..3 | ForEach-Object { $_ } -ThrottleLimit 2' }
        @{ Name = 'ConvertFrom-Json -AsHashtable'; Text = '$h = $t | ConvertFrom-Json -AsHashtable' }
        @{ Name = 'Get-Content -AsByteStream'; Text = '$b = Get-Content -LiteralPath $p -AsByteStream' }
        @{ Name = 'Join-String'; Text = '$s = 1..3 | Join-String -Separator ","' }
        @{ Name = 'Test-Json'; Text = 'Test-Json -Json $t' }
        @{ Name = '-Encoding utf8NoBOM'; Text = "Set-Content -LiteralPath `$p -Value 'x' -Encoding utf8NoBOM" }
        @{ Name = 'numeric suffix u'; Text = '$a = 10u' }
        @{ Name = 'numeric suffix y'; Text = '$a = 10y' }
        @{ Name = 'numeric suffix n'; Text = '$a = 10n' }
        @{ Name = 'binary literal'; Text = '$a = 0b1010' }
        @{ Name = 'unicode escape'; Text = '$a = "dash `u{2014}"' }
    )

    $script:NetFxSamples = @(
        @{ Name = '[Convert]::ToHexString'; Text = '$h = [System.Convert]::ToHexString($bytes)' }
        @{ Name = '[Convert]::FromHexString (short name)'; Text = '$b = [Convert]::FromHexString($h)' }
        @{ Name = '[IO.Path]::GetRelativePath'; Text = '$r = [System.IO.Path]::GetRelativePath($a, $b)' }
        @{ Name = '[IO.Path]::Join'; Text = '$r = [IO.Path]::Join($a, $b)' }
        @{ Name = '[IO.File]::ReadAllTextAsync'; Text = '$t = [System.IO.File]::ReadAllTextAsync($p)' }
        @{ Name = 'SHA256.HashData'; Text = '$h = [System.Security.Cryptography.SHA256]::HashData($bytes)' }
        @{ Name = 'RandomNumberGenerator.GetInt32'; Text = '$n = [System.Security.Cryptography.RandomNumberGenerator]::GetInt32(10)' }
        @{ Name = '[Math]::Clamp'; Text = '$n = [Math]::Clamp($v, 1, 5)' }
        @{ Name = '[Environment]::ProcessId'; Text = '$id = [Environment]::ProcessId' }
        @{ Name = '[Text.Encoding]::Latin1'; Text = '$e = [System.Text.Encoding]::Latin1' }
        @{ Name = 'System.Text.Json'; Text = '$d = [System.Text.Json.JsonDocument]::Parse($t)' }
        @{ Name = 'System.Text.Json in New-Object'; Text = '$o = New-Object System.Text.Json.JsonSerializerOptions' }
        @{ Name = '[System.HashCode]'; Text = '$h = [System.HashCode]::Combine(1, 2)' }
        @{ Name = '[System.Range]'; Text = '[System.Range]$r = $x' }
        @{ Name = 'generic argument [Span[byte]]'; Text = '$s = [System.Span[byte]]::new($bytes)' }
        @{ Name = '[DateOnly]'; Text = '$d = [DateOnly]::FromDateTime($now)' }
        @{ Name = 'string.Contains(char)'; Text = '$has = $s.Contains([char]''x'')' }
        @{ Name = 'string.StartsWith(char)'; Text = '$has = $s.StartsWith([char]0x2F)' }
        @{ Name = 'string.Contains(string, StringComparison)'; Text = '$has = $s.Contains(''x'', [System.StringComparison]::OrdinalIgnoreCase)' }
        @{ Name = 'string.Replace(a, b, comparison name)'; Text = '$t = $s.Replace(''a'', ''b'', ''OrdinalIgnoreCase'')' }
        @{ Name = 'string.Split(multi-character string)'; Text = '$parts = $s.Split(''::'')' }
        @{ Name = 'string.Join(char, ...)'; Text = '$t = [string]::Join([char]'','', $parts)' }
    )

    $script:InvokeExpressionSamples = @(
        @{ Name = 'Invoke-Expression'; Text = 'Invoke-Expression $code' }
        @{ Name = 'iex'; Text = '$code | iex' }
        @{ Name = '[scriptblock]::Create'; Text = '& ([scriptblock]::Create($code))' }
        @{ Name = 'ExpandString'; Text = '$t = $ExecutionContext.InvokeCommand.ExpandString($text)' }
    )
}

BeforeAll {
    $script:RepoRoot = Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $PSScriptRoot))
    Import-Module (Join-Path $script:RepoRoot 'scripts/PowerShellLint.psm1') -Force

    function Get-Problem([string]$Text) {
        @(Test-PowerShellText -Text $Text -File 'sample.ps1')
    }
    function Get-RuleOf([string]$Text) {
        @(Get-Problem $Text | ForEach-Object Rule | Sort-Object -Unique)
    }

    $script:DscSample = @'
Configuration Sample {
    param([int]$MaxUserPort)
    Import-DscResource -ModuleName PSDesiredStateConfiguration
    Node localhost {
        Registry TcpipMaxUserPort {
            Ensure    = 'Present'
            Key       = 'HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
            ValueName = 'MaxUserPort'
            ValueType = 'Dword'
            ValueData = $MaxUserPort
            Force     = $true
        }
    }
}
'@
}

Describe 'guest code passes every rule' {
    It 'finds the guest scripts (the DSC configuration, the run-command script and the collector)' {
        $names = $GuestFiles | ForEach-Object Name
        $names | Should -Contain 'guest/dsc/MailhostTuning.ps1'
        $names | Should -Contain 'guest/runcommand/Set-MailhostTuning.ps1'
        $names | Should -Contain 'guest/collector/Get-MailhostState.ps1'
    }

    It '<Name> has no problem' -ForEach $GuestFiles {
        $problems = @(Test-PowerShellFile -Path $FullName)
        ($problems | ForEach-Object { '{0}:{1} {2} {3}' -f $_.Line, $_.Column, $_.Rule, $_.Message }) -join "`n" | Should -BeNullOrEmpty
    }
}

Describe 'Get-GuestPowerShellFile' {
    It 'lists every .ps1, .psm1 and .psd1 below a folder, subfolders included, and nothing else' {
        $root = Join-Path $TestDrive 'guest'
        $null = New-Item -ItemType Directory -Path (Join-Path $root 'modules/M')
        foreach ($name in 'a.ps1', 'modules/M/M.psm1', 'modules/M/M.psd1', 'notes.txt', 'data.json') {
            Set-Content -LiteralPath (Join-Path $root $name) -Value '1'
        }
        $found = @(Get-GuestPowerShellFile -Root $root | ForEach-Object { [System.IO.Path]::GetRelativePath($root, $_).Replace('\', '/') })
        $found | Should -Be @('a.ps1', 'modules/M/M.psd1', 'modules/M/M.psm1')
    }
}

Describe 'rule syntax (the real PowerShell parser)' {
    It 'reports a broken hashtable on its line' {
        $problems = Get-Problem ("# sample`n`$a = 1`n`$b = 2`n`$c = @{ a = 1; b = }`n`$d = 4`n")
        $problems.Count | Should -BeGreaterThan 0
        $problems.Rule | Sort-Object -Unique | Should -Be 'syntax'
        $problems[0].Line | Should -Be 4
    }

    It 'reports a missing closing brace' {
        $problems = Get-Problem "param([int]`$Count)`nif (`$Count -gt 0) {`n    Write-Output 'x'`n`n`$c = 3`n"
        $problems.Rule | Should -Contain 'syntax'
        ($problems.Message -join ' ') | Should -Match 'MissingEndCurlyBrace'
    }

    It 'parses a .psd1 manifest and a class-based DSC resource module' {
        Get-Problem "@{ RootModule = 'M.psm1'; ModuleVersion = '1.0.0'; DscResourcesToExport = @('R') }" | Should -BeNullOrEmpty
        $module = @'
class RReason { [DscProperty()][string]$Code }
[DscResource()]
class R {
    [DscProperty(Key)][ValidateSet('Yes')][string]$IsSingleInstance
    [DscProperty(NotConfigurable)][RReason[]]$Reasons
    [R] Get() { return $this }
    [bool] Test() { return $true }
    [void] Set() { }
}
'@
        Get-Problem $module | Should -BeNullOrEmpty
    }
}

Describe 'DSC configurations without PSDesiredStateConfiguration' {
    It 'accepts exactly these parse error ids, and only at the Configuration keyword' {
        Get-AllowedDscParseErrorId | Should -Be @('ParserError', 'UnexpectedToken', 'ModuleNotFoundDuringParse', 'DscResourcesNotFoundDuringParsing')
    }

    It 'guest/dsc/MailhostTuning.ps1: every raw parse error has an allowed id, and the body parses as a function without any' {
        $path = Join-Path $RepoRoot 'guest/dsc/MailhostTuning.ps1'
        $tokens = $null; $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$errors)
        foreach ($parseError in $errors) {
            Get-AllowedDscParseErrorId | Should -Contain $parseError.ErrorId -Because $parseError.Message
        }
        $parsed = Invoke-PowerShellParse -Text ([System.IO.File]::ReadAllText($path)) -File $path
        $parsed.ConfigurationKeywords | Should -Be 1
        $parsed.Errors | Should -BeNullOrEmpty
        $parsed.Problems | Should -BeNullOrEmpty
    }

    It 'still reports a syntax error inside a configuration body' {
        $broken = $DscSample.Replace("ValueName = 'MaxUserPort'", "ValueName = @{ a = }")
        $problems = Get-Problem $broken
        $problems.Rule | Should -Contain 'syntax'
        ($problems | Where-Object Rule -EQ 'syntax').Line | Should -Contain 8
    }

    It 'does not accept an UnexpectedToken outside a configuration' {
        (Get-Problem "`$a = 1 2`n").Rule | Should -Contain 'syntax'
        (Get-Problem "function F { }`n}`n").Rule | Should -Contain 'syntax'
    }

    It 'a correct Registry resource passes' {
        Get-Problem $DscSample | Should -BeNullOrEmpty
    }
}

Describe 'rule dsc-registry-dword-force' {
    It 'reports <Name>' -ForEach @(
        @{ Name = "ValueType 'String'"; From = "ValueType = 'Dword'"; To = "ValueType = 'String'" }
        @{ Name = "ValueType 'Qword'"; From = "ValueType = 'Dword'"; To = "ValueType = 'Qword'" }
        @{ Name = 'a missing ValueType'; From = "ValueType = 'Dword'"; To = '' }
        @{ Name = 'Force = $false'; From = 'Force     = $true'; To = 'Force = $false' }
        @{ Name = 'a missing Force'; From = 'Force     = $true'; To = '' }
    ) {
        $problems = Get-Problem $DscSample.Replace($From, $To)
        $problems.Rule | Should -Be 'dsc-registry-dword-force'
        $problems[0].Message | Should -Match 'Registry TcpipMaxUserPort'
    }

    It 'finds nothing to hold in guest/dsc/MailhostTuning.ps1, which writes no registry value itself' {
        # The configuration declares only the MailhostTcpTuning resource; the DWORD writes live in
        # the module (MailhostTcpTuning.Tests.ps1 holds them to REG_DWORD). A Registry resource
        # added back would be held by this rule, as the samples above show.
        $path = Join-Path $RepoRoot 'guest/dsc/MailhostTuning.ps1'
        $text = [System.IO.File]::ReadAllText($path)
        $text | Should -Not -Match '(?m)^\s*Registry\s+\w+'
        $text | Should -Match '(?m)^\s*MailhostTcpTuning\s+\w+'
        @(Test-PowerShellText -Text $text -File 'MailhostTuning.ps1' | Where-Object Rule -EQ 'dsc-registry-dword-force').Count | Should -Be 0
    }
}

Describe 'rule function-shape (the shape of a dsccommunity function)' {
    BeforeAll {
        $script:ShapedSample = @'
<#
    .SYNOPSIS
        Adds a step to a number.

    .PARAMETER Value
        The number.

    .PARAMETER Step
        How much to add. Defaults to 1.

    .OUTPUTS
        System.Int32. The sum.
#>
function Add-Step {
    [CmdletBinding()]
    [OutputType([System.Int32])]
    param
    (
        [Parameter(Mandatory)]
        [int]$Value,

        [int]$Step = 1
    )

    return $Value + $Step
}
'@
        function Get-ShapeProblem([string]$Text) {
            @(Test-PowerShellText -Text $Text -File 'sample.ps1' -FunctionShape)
        }
    }

    It 'passes a function with [CmdletBinding()], [OutputType()], typed parameters and full help' {
        Get-ShapeProblem $ShapedSample | Should -BeNullOrEmpty
    }

    It 'reports <Name>' -ForEach @(
        @{ Name = 'a missing [CmdletBinding()]'; From = "    [CmdletBinding()]`n"; To = ''; Expected = 'Add-Step: has no \[CmdletBinding\(\)\]' }
        @{ Name = 'a missing [OutputType()]'; From = "    [OutputType([System.Int32])]`n"; To = ''; Expected = 'Add-Step: has no \[OutputType' }
        @{ Name = 'missing help'; From = 'HELP'; To = ''; Expected = 'Add-Step: has no comment-based help' }
        @{ Name = 'a missing .SYNOPSIS'; From = "    .SYNOPSIS`n        Adds a step to a number.`n`n"; To = ''; Expected = 'Add-Step: has no \.SYNOPSIS' }
        @{ Name = 'a missing .PARAMETER entry'; From = "    .PARAMETER Value`n        The number.`n`n"; To = ''; Expected = 'Add-Step: has no \.PARAMETER Value' }
        @{ Name = 'a missing .OUTPUTS'; From = "`n    .OUTPUTS`n        System.Int32. The sum.`n"; To = ''; Expected = 'Add-Step: has no \.OUTPUTS' }
        @{ Name = 'a .PARAMETER entry for no parameter'; From = "    .OUTPUTS"; To = "    .PARAMETER Other`n        Not a parameter.`n`n    .OUTPUTS"; Expected = 'Add-Step: documents a parameter it does not have: \.PARAMETER Other' }
        @{ Name = 'an untyped parameter'; From = '[int]$Value'; To = '$Value'; Expected = 'Add-Step: parameter \$Value has no type' }
        @{ Name = 'an optional parameter without a default'; From = "        [Parameter(Mandatory)]`n"; To = ''; Expected = 'Add-Step: parameter \$Value is optional without a default value' }
        @{ Name = 'a default its help does not state'; From = 'How much to add. Defaults to 1.'; To = 'How much to add.'; Expected = 'Add-Step: parameter \$Step is optional: its \.PARAMETER help must state its default' }
        @{ Name = 'parameters declared after the name'; From = 'WHOLE'; To = "function Add-Step([int]`$Value) { `$Value }"; Expected = 'Add-Step: declares its parameters after its name' }
    ) {
        $text = $ShapedSample.Replace("`r`n", "`n")
        if ($From -eq 'HELP') { $text = $text.Substring($text.IndexOf('function Add-Step')) }
        elseif ($From -eq 'WHOLE') { $text = $To }
        else {
            $text.Contains($From) | Should -BeTrue -Because 'the sample holds the part the case removes'
            $text = $text.Replace($From, $To)
        }
        $problems = @(Get-ShapeProblem $text)
        $problems.Rule | Sort-Object -Unique | Should -Be 'function-shape'
        ($problems.Message -join "`n") | Should -Match $Expected
    }

    It 'leaves DSC configurations and class methods alone, and functions in text checked without -FunctionShape' {
        @(Get-ShapeProblem $DscSample | Where-Object Rule -EQ 'function-shape') | Should -BeNullOrEmpty
        $class = "class C {`n    [int] M([int]`$n) { return `$n }`n}`n"
        Get-ShapeProblem $class | Should -BeNullOrEmpty
        Get-Problem "function F { param(`$x) `$x }`n" | Should -BeNullOrEmpty
    }

    It 'holds every function of the guest: with <Name> removed, each one fails the guest lint' -ForEach @(
        @{ Name = 'its [CmdletBinding()]'; Pattern = '(?m)^    \[CmdletBinding\(\)\]\r?\n'; Expected = 'has no \[CmdletBinding\(\)\]' }
        @{ Name = 'its [OutputType()]'; Pattern = '(?m)^    \[OutputType\(.*\)\]\r?\n'; Expected = 'has no \[OutputType' }
        @{ Name = 'its help'; Pattern = '(?s)^<#.*?#>\r?\n'; Expected = 'has no comment-based help' }
        @{ Name = 'the .PARAMETER entry of its first parameter'; Pattern = '(?m)^    \.PARAMETER \w+\r?\n(?:        .*\r?\n)+(?:\r?\n)?'; Expected = 'has no \.PARAMETER ' }
    ) {
        $module = Join-Path $RepoRoot 'guest/modules/MailhostTcpTuning'
        $files = @(Get-ChildItem -LiteralPath (Join-Path $module 'Private'), (Join-Path $module 'Public') -File -Filter '*.ps1')
        $files.Count | Should -BeGreaterThan 40
        $checked = 0
        $missed = [System.Collections.Generic.List[string]]::new()
        foreach ($file in $files) {
            $text = [System.IO.File]::ReadAllText($file.FullName)
            $regex = [regex]::new($Pattern)
            if (-not $regex.IsMatch($text)) { continue }
            $checked++
            $copy = Join-Path $TestDrive ('modules/MailhostTcpTuning/{0}/{1}' -f $file.Directory.Name, $file.Name)
            $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $copy)
            [System.IO.File]::WriteAllText($copy, $regex.Replace($text, '', 1))
            $function = $file.BaseName
            $caught = @(Test-PowerShellFile -Path $copy -Rule 'function-shape' | Where-Object { $_.Rule -eq 'function-shape' -and $_.Message -match ('^{0}: {1}' -f [regex]::Escape($function), $Expected) })
            if ($caught.Count -eq 0) { $missed.Add($function) }
        }
        # Every function has the part (the .PARAMETER case: every function that takes parameters).
        $checked | Should -BeGreaterThan 30
        if ($Name -notlike '*.PARAMETER*') { $checked | Should -Be $files.Count }
        $missed | Should -BeNullOrEmpty
    }
}

Describe 'Test-PowerShellText -Rule' {
    It 'runs only the rules it names' {
        $text = "Invoke-Expression `$code`n`$a = `$null ?? 1`n"
        @(Get-Problem $text).Rule | Sort-Object -Unique | Should -Be @('no-invoke-expression', 'ps51-syntax')
        @(Test-PowerShellText -Text $text -Rule 'ps51-syntax').Rule | Should -Be @('ps51-syntax')
    }
}

Describe 'rule module-function-file' {
    BeforeAll {
        function Get-FileProblem([string]$Name, [string]$Text) {
            $path = Join-Path $TestDrive ('modules/M/Private/{0}.ps1' -f $Name)
            $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $path)
            [System.IO.File]::WriteAllText($path, $Text)
            @(Test-PowerShellFile -Path $path | Where-Object Rule -EQ 'module-function-file')
        }
        $script:OneFunction = Get-Content -LiteralPath (Join-Path $RepoRoot 'guest/modules/MailhostTcpTuning/Private/Format-MailhostRange.ps1') -Raw
    }

    It 'passes a file holding one function named as the file' {
        Get-FileProblem 'Format-MailhostRange' $OneFunction | Should -BeNullOrEmpty
    }

    It 'reports a function named otherwise' {
        (Get-FileProblem 'Format-MailhostSpan' $OneFunction).Message | Should -Match 'exactly one function, Format-MailhostSpan .*defines Format-MailhostRange'
    }

    It 'reports a second function' {
        $problems = Get-FileProblem 'Format-MailhostRange' ($OneFunction + "`r`nfunction Get-Other {`r`n}`r`n")
        $problems.Message | Should -Match 'defines Format-MailhostRange, Get-Other'
    }

    It 'reports code outside the function' {
        $problems = Get-FileProblem 'Format-MailhostRange' ($OneFunction + "`r`n`$script:Extra = 1`r`n")
        $problems.Message | Should -Match 'code outside the function Format-MailhostRange: \$script:Extra = 1'
    }
}

Describe 'rule no-invoke-expression' {
    It 'reports <Name>' -ForEach $InvokeExpressionSamples {
        Get-RuleOf $Text | Should -Be 'no-invoke-expression'
    }
}

Describe 'rule no-parameter-subexpression-in-expandable-string' {
    It 'reports $(...) on a script parameter inside a double-quoted string, at the variable' {
        $problems = Get-Problem "param(`n    [Parameter(Mandatory)]`n    [int]`$MaxUserPort`n)`n`$message = `"value is `$(`$MaxUserPort + 1)`"`n"
        $problems.Count | Should -Be 1
        $problems[0].Rule | Should -Be 'no-parameter-subexpression-in-expandable-string'
        $problems[0].Line | Should -Be 5
        $problems[0].Column | Should -Be 24
        $problems[0].Message | Should -Match '\$MaxUserPort'
    }

    It 'reports $using: variables and configuration parameters' {
        $text = @'
Configuration Sample {
    param([string]$SiteConfigPath)
    Node localhost {
        Script S {
            GetScript = { @{ Result = "path: $($using:SiteConfigPath)" } }
            TestScript = { $true }
            SetScript = { $null }
        }
    }
    "configuration $($SiteConfigPath.Length)"
}
'@
        $problems = Get-Problem $text
        $problems.Rule | Sort-Object -Unique | Should -Be 'no-parameter-subexpression-in-expandable-string'
        $problems.Line | Should -Be @(5, 10)
        $problems[0].Message | Should -Match '\$using:SiteConfigPath'
    }

    It 'reports function and method parameters, in strings and here-strings' {
        $text = "function Show-Port {`n    param([int]`$Port)`n    Write-Output `"port `$(`$Port)`"`n}`nfunction Show-Other([int]`$Other) {`n    @`"`nother `$(`$Other * 2)`n`"@`n}`nclass C { [string] M([int]`$n) { return `"n `$(`$n)`" } }`n"
        (Get-Problem $text).Line | Should -Be @(3, 7, 10)
    }

    It 'does not report locals in $(...), -f formatting, single quotes or a plain $Name' {
        $text = @'
param([int]$MaxUserPort, [string]$Name)
$local = 5
Write-Output "local $($local + 1)"
Write-Output ('value is {0}' -f ($MaxUserPort + 1))
Write-Output 'single $($MaxUserPort + 1)'
Write-Output ('name: ' + $Name)
Write-Output "plain $Name and $($env:COMPUTERNAME)"
'@
        Get-Problem $text | Should -BeNullOrEmpty
    }
}

Describe 'rule ps51-syntax (Windows PowerShell 5.1 cannot parse PowerShell 6+ syntax)' {
    It 'reports <Name>' -ForEach $Ps51Samples {
        Get-RuleOf $Text | Should -Be 'ps51-syntax'
    }

    It 'does not report 5.1 syntax' {
        $text = @'
$a = if ($b) { 1 } else { 2 }
if ($a -and $b -or -not $c) { $d = $a -band 0x10 }
1..3 | ForEach-Object -Process { $_ } | ForEach-Object { $_ * 2kb }
$e = $a.Length; $f = $a[0]; $g = 10l + 1.5e3 + 0xFF + 12d
$t = "tab`t and $($a)" ; $j = $x | ConvertFrom-Json ; $y = $o | ConvertTo-Json -Depth 3 -Compress
Set-Content -LiteralPath $p -Value $v -Encoding UTF8 -NoNewline
function F { begin { } process { } end { } }
Get-Content -LiteralPath $p -Raw -Encoding Byte
'@
        Get-Problem $text | Should -BeNullOrEmpty
    }
}

Describe 'rule netfx-api (.NET APIs that .NET Framework 4.8 lacks)' {
    It 'reports <Name>' -ForEach $NetFxSamples {
        Get-RuleOf $Text | Should -Be 'netfx-api'
    }

    It 'does not report APIs .NET Framework has' {
        $text = @'
$h = [System.BitConverter]::ToString($bytes).Replace('-', '').ToLowerInvariant()
$b = [Convert]::FromBase64String($s); $s = [System.Convert]::ToBase64String($b)
$p = [System.IO.Path]::Combine($a, $b); $f = [System.IO.Path]::GetFullPath($p)
$x = [System.IO.File]::ReadAllBytes($p); [System.IO.File]::Replace($a, $b, $c)
$sha = [System.Security.Cryptography.SHA256]::Create(); $d = $sha.ComputeHash($x)
$n = [Math]::Max(1, 2); $u = [System.Text.Encoding]::UTF8; $e = New-Object System.Text.UTF8Encoding -ArgumentList $false
$has = $s.Contains('x'); $parts = $s.Split(','); $parts = $s.Split([string[]]@('::'), [System.StringSplitOptions]::None)
$ok = $s.StartsWith('a', [System.StringComparison]::Ordinal); $i = $s.IndexOf('a', [System.StringComparison]::Ordinal)
$t = [string]::Join(',', $parts)
'@
        Get-Problem $text | Should -BeNullOrEmpty
    }
}
