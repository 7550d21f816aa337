<#
.SYNOPSIS
    Checks the guest PowerShell (guest/**/*.ps1, *.psm1, *.psd1) with the real PowerShell parser.

.DESCRIPTION
    Each file is parsed with [System.Management.Automation.Language.Parser]::ParseFile and its
    syntax tree is checked against the rules below. A problem is an object with File, Line, Column
    (1-based), Rule and Message.

    The guest code runs on Windows PowerShell 5.1 (.NET Framework 4.x: the Azure DSC extension and
    Run Command) and on PowerShell 7 (Machine Configuration). The tests run under PowerShell 7
    only, so 5.1 compatibility is held statically here:

      syntax                  every parse error (see "DSC configurations" below).
      no-invoke-expression    Invoke-Expression / iex, [scriptblock]::Create, .InvokeScript(),
                              .ExpandString(): text run as code.
      no-parameter-subexpression-in-expandable-string
                              a $( ... ) sub-expression inside a double-quoted string or
                              here-string that references a parameter of an enclosing script,
                              function, configuration, script block or class method, or a $using:
                              variable. DSC's $using: substitution does not look into such strings,
                              and building text from parameters this way hides what is
                              interpolated; use -f or concatenation.
      dsc-registry-dword-force
                              every Registry resource of a DSC configuration carries
                              ValueType = 'Dword' and Force = $true.
      ps51-syntax             syntax Windows PowerShell 5.1 cannot parse: ?? and ??=, the ?:
                              ternary, && and || pipeline chains, ?. and ?[] null-conditional
                              access, clean blocks, ForEach-Object -Parallel (and its PowerShell 7
                              parameters), numeric literal suffixes u/y/s/n and 0b binary literals,
                              the `u{...} escape, and cmdlets or parameters added in PowerShell 6+.
                              Sources: about_Operators, about_Pipeline_Chain_Operators,
                              about_Functions_Advanced_Methods (clean), about_Numeric_Literals,
                              about_Special_Characters, "What's new in PowerShell 7.x"
                              (https://learn.microsoft.com/powershell/scripting/whats-new/).
      function-shape          every function (not a DSC configuration) in the shape dsccommunity
                              modules keep: [CmdletBinding()] and [OutputType(...)] on a param
                              block; every parameter typed, and [Parameter(Mandatory)] unless it
                              has a default value that its help states ("Defaults to ...");
                              comment-based help with .SYNOPSIS, a .PARAMETER entry for every
                              parameter (and none for a parameter that does not exist) and
                              .OUTPUTS. Checked on the files of the guest lint
                              (Test-PowerShellFile); on text only with -FunctionShape.
      module-function-file    a file under modules/<Module>/Public/ or Private/ holds exactly one
                              function, named as the file, and nothing else but comments.
      netfx-api               .NET types and members that .NET Framework 4.8 lacks (added in
                              .NET Core / .NET 5+), and string calls whose overload or meaning
                              differs there: .Contains/.StartsWith/.EndsWith with a [char],
                              .Contains/.Replace with a StringComparison, .Split with a separator
                              string longer than one character (a char[] of separators on .NET
                              Framework, one string separator on .NET 5+). Source: the "Applies to"
                              tables of the .NET API browser (https://learn.microsoft.com/dotnet/api/).

    DSC configurations: without the PSDesiredStateConfiguration module and its schema store the
    parser cannot resolve the `Configuration` keyword. The errors it reports for that, and only
    those (Get-AllowedDscParseErrorId), are accepted; the file is then parsed a second time with
    each `Configuration` keyword replaced by `function` (same length, so positions stay), which
    must parse without any error, and the rules run on that tree. Resources appear there as
    commands (`Registry Name { ValueType = 'Dword' }`).
#>

Set-StrictMode -Version Latest

$script:Ast = [System.Management.Automation.Language.Ast]

<#
.SYNOPSIS
    Parse error ids accepted in a file that holds a DSC `Configuration` when DSC is not installed.
.DESCRIPTION
    ParserError: the parser's wrapper of the exception DscClassCache throws while loading the
      default DSC keywords (on Linux: "Unable to find DSC schema store"), reported on the
      configuration's name;
    UnexpectedToken: the two follow-up errors of that failure: after the configuration's name
      and at the configuration's closing brace (no other position is accepted);
    ModuleNotFoundDuringParse / DscResourcesNotFoundDuringParsing: Import-DscResource naming a
      module that cannot be resolved (when a DSC keyword cache exists but the module does not).
#>
function Get-AllowedDscParseErrorId {
    [OutputType([string[]])]
    param()
    @('ParserError', 'UnexpectedToken', 'ModuleNotFoundDuringParse', 'DscResourcesNotFoundDuringParsing')
}

function New-Problem {
    param([string]$File, $Extent, [string]$Rule, [string]$Message)
    [pscustomobject][ordered]@{
        File    = $File
        Line    = $Extent.StartLineNumber
        Column  = $Extent.StartColumnNumber
        Rule    = $Rule
        Message = $Message
    }
}

function Get-OneLine {
    param([string]$Text, [int]$Max = 80)
    $flat = ($Text -replace '\s+', ' ').Trim()
    if ($flat.Length -gt $Max) { return $flat.Substring(0, $Max - 3) + '...' }
    $flat
}

function Find-Ast {
    param($Root, [scriptblock]$Predicate)
    @($Root.FindAll($Predicate, $true))
}

# ------------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------------

<#
.SYNOPSIS
    Parses PowerShell text. Returns Ast, Tokens, Errors (all parse errors) and Problems (the
    `syntax` problems left after the DSC allowance), ConfigurationKeywords (their count) and
    ConfigurationOffsets (where each starts: the function the second parse sees there is a
    configuration).
#>
function Invoke-PowerShellParse {
    param([Parameter(Mandatory)][AllowEmptyString()][string]$Text, [Parameter(Mandatory)][string]$File)
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, $File, [ref]$tokens, [ref]$errors)
    $keywords = @($tokens | Where-Object { $_.Kind -eq [System.Management.Automation.Language.TokenKind]::Configuration })
    $problems = [System.Collections.Generic.List[object]]::new()
    if ($keywords.Count -eq 0) {
        foreach ($parseError in $errors) {
            $problems.Add((New-Problem $File $parseError.Extent 'syntax' ('{0} ({1})' -f $parseError.Message, $parseError.ErrorId)))
        }
        return [pscustomobject]@{ Ast = $ast; Tokens = $tokens; Errors = @($errors); Problems = $problems.ToArray(); ConfigurationKeywords = 0; ConfigurationOffsets = @() }
    }

    # A DSC configuration: accept only the keyword-resolution errors, at their positions.
    $allowed = Get-AllowedDscParseErrorId
    $keywordLines = @($keywords | ForEach-Object { $_.Extent.StartLineNumber })
    $lastToken = @($tokens | Where-Object { $_.Kind -ne [System.Management.Automation.Language.TokenKind]::EndOfInput -and $_.Kind -ne [System.Management.Automation.Language.TokenKind]::NewLine -and $_.Kind -ne [System.Management.Automation.Language.TokenKind]::Comment })[-1]
    foreach ($parseError in $errors) {
        $line = $parseError.Extent.StartLineNumber
        $accepted = $false
        switch ($parseError.ErrorId) {
            'ParserError' { $accepted = ($keywordLines -contains $line) -and ($parseError.Message -match 'DSC|DscClassCache|Desired ?State') }
            'UnexpectedToken' {
                $accepted = ($keywordLines -contains $line -and [string]::IsNullOrWhiteSpace($parseError.Extent.Text)) -or
                    ($parseError.Extent.Text -eq '}' -and $parseError.Extent.StartOffset -eq $lastToken.Extent.StartOffset)
            }
            default { $accepted = $allowed -contains $parseError.ErrorId }
        }
        if (-not $accepted) {
            $problems.Add((New-Problem $File $parseError.Extent 'syntax' ('{0} ({1})' -f $parseError.Message, $parseError.ErrorId)))
        }
    }
    # Second parse: `Configuration` -> `function` padded to the same length.
    $builder = [System.Text.StringBuilder]::new($Text)
    foreach ($keyword in $keywords) {
        $replacement = 'function'.PadRight($keyword.Extent.EndOffset - $keyword.Extent.StartOffset)
        [void]$builder.Remove($keyword.Extent.StartOffset, $replacement.Length)
        [void]$builder.Insert($keyword.Extent.StartOffset, $replacement)
    }
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($builder.ToString(), $File, [ref]$tokens, [ref]$errors)
    foreach ($parseError in $errors) {
        $problems.Add((New-Problem $File $parseError.Extent 'syntax' ('{0} ({1}; configuration body parsed as a function)' -f $parseError.Message, $parseError.ErrorId)))
    }
    [pscustomobject]@{ Ast = $ast; Tokens = $tokens; Errors = @($errors); Problems = $problems.ToArray(); ConfigurationKeywords = $keywords.Count; ConfigurationOffsets = @($keywords | ForEach-Object { $_.Extent.StartOffset }) }
}

# ------------------------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------------------------

function Test-InvokeExpression {
    param($Ast, [string]$File)
    foreach ($command in Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.CommandAst] }) {
        $name = $command.GetCommandName()
        if ($name -and $name -match '^(?:Microsoft\.PowerShell\.Utility\\)?(?:Invoke-Expression|iex)$') {
            New-Problem $File $command.Extent 'no-invoke-expression' ('{0} runs text as code; call commands directly' -f $name)
        }
    }
    foreach ($call in Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.InvokeMemberExpressionAst] }) {
        $member = $call.Member.Extent.Text.Trim("'", '"')
        $isCreate = $call.Static -and $member -eq 'Create' -and $call.Expression -is [System.Management.Automation.Language.TypeExpressionAst] -and
            $call.Expression.TypeName.FullName -match '^(?:System\.Management\.Automation\.)?ScriptBlock$'
        if ($isCreate -or (-not $call.Static -and $member -in @('InvokeScript', 'ExpandString'))) {
            New-Problem $File $call.Extent 'no-invoke-expression' ('{0} runs text as code' -f (Get-OneLine $call.Extent.Text 60))
        }
    }
}

function Get-DeclaredParameterName {
    # Lower-case names of the parameters a scope node declares directly.
    param($Node)
    $names = @()
    if ($Node -is [System.Management.Automation.Language.ScriptBlockAst] -and $Node.ParamBlock) {
        $names += $Node.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath.ToLowerInvariant() }
    }
    if ($Node -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $Node.Parameters) {
        $names += $Node.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath.ToLowerInvariant() }
    }
    if ($Node -is [System.Management.Automation.Language.FunctionMemberAst] -and $Node.Parameters) {
        $names += $Node.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath.ToLowerInvariant() }
    }
    $names
}

function Test-ParameterSubExpression {
    param($Ast, [string]$File)
    $seen = [System.Collections.Generic.HashSet[int]]::new()
    $strings = Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.ExpandableStringExpressionAst] }
    foreach ($string in $strings) {
        # Parameters visible here: PowerShell scopes are dynamic, so every enclosing scope counts.
        $parameters = [System.Collections.Generic.HashSet[string]]::new()
        for ($node = $string; $node; $node = $node.Parent) {
            foreach ($name in Get-DeclaredParameterName $node) { [void]$parameters.Add($name) }
        }
        $subs = @($string.NestedExpressions | Where-Object { $_ -is [System.Management.Automation.Language.SubExpressionAst] })
        foreach ($sub in $subs) {
            foreach ($variable in Find-Ast $sub { $args[0] -is [System.Management.Automation.Language.VariableExpressionAst] }) {
                if (-not $seen.Add($variable.Extent.StartOffset)) { continue }
                $path = $variable.VariablePath
                $drive = $path.DriveName
                $why = $null
                if ($drive -eq 'using') {
                    $why = 'a $using: variable'
                } elseif ((-not $drive -or $drive -in @('local', 'script', 'private')) -and $parameters.Contains($path.UserPath.Split(':')[-1].ToLowerInvariant())) {
                    $why = 'a parameter'
                }
                if ($why) {
                    New-Problem $File $variable.Extent 'no-parameter-subexpression-in-expandable-string' (
                        '{0} ({1}) is used in the sub-expression {2} inside a double-quoted string; build the text with -f or concatenation instead' -f
                        $variable.Extent.Text, $why, (Get-OneLine $sub.Extent.Text))
                }
            }
        }
    }
}

function Get-ResourceProperty {
    # Property name -> value extent text of a resource body parsed as a script block
    # (`Name = value` statements are commands `Name`, `=`, value).
    param($Body)
    $properties = @{}
    foreach ($command in Find-Ast $Body { $args[0] -is [System.Management.Automation.Language.CommandAst] }) {
        if ($command.Parent.Parent.Parent -ne $Body -and $command.Parent.Parent -ne $Body.ScriptBlock.EndBlock) { continue }
        $elements = $command.CommandElements
        if ($elements.Count -ge 3 -and $elements[1].Extent.Text -eq '=') {
            $properties[$elements[0].Extent.Text] = ($elements[2..($elements.Count - 1)] | ForEach-Object { $_.Extent.Text }) -join ' '
        }
    }
    foreach ($pair in Find-Ast $Body { $args[0] -is [System.Management.Automation.Language.HashtableAst] }) {
        foreach ($entry in $pair.KeyValuePairs) {
            $properties[$entry.Item1.Extent.Text.Trim("'", '"')] = $entry.Item2.Extent.Text
        }
    }
    $properties
}

function Get-DscResource {
    # DSC resource blocks of a given type: commands `<Type> <Name> { ... }` (configuration parsed as
    # a function) and DynamicKeywordStatementAst (configuration parsed with DSC installed).
    param($Ast, [string]$Type)
    foreach ($command in Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.CommandAst] }) {
        $elements = $command.CommandElements
        if ($command.GetCommandName() -eq $Type -and $elements.Count -eq 3 -and
            $elements[2] -is [System.Management.Automation.Language.ScriptBlockExpressionAst]) {
            [pscustomobject]@{ Name = $elements[1].Extent.Text; Extent = $command.Extent; Properties = Get-ResourceProperty $elements[2] }
        }
    }
    $dynamicType = 'System.Management.Automation.Language.DynamicKeywordStatementAst' -as [type]
    if ($dynamicType) {
        foreach ($statement in Find-Ast $Ast { $args[0] -is $dynamicType }) {
            if ($statement.Keyword.Keyword -eq $Type) {
                $body = $statement.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.HashtableAst] } | Select-Object -First 1
                $properties = @{}
                if ($body) { foreach ($entry in $body.KeyValuePairs) { $properties[$entry.Item1.Extent.Text.Trim("'", '"')] = $entry.Item2.Extent.Text } }
                [pscustomobject]@{ Name = $statement.CommandElements[1].Extent.Text; Extent = $statement.Extent; Properties = $properties }
            }
        }
    }
}

function Test-DscRegistryDwordForce {
    param($Ast, [string]$File, [int]$ConfigurationKeywords)
    if ($ConfigurationKeywords -eq 0) { return }
    foreach ($resource in Get-DscResource $Ast 'Registry') {
        $valueType = $resource.Properties['ValueType']
        $force = $resource.Properties['Force']
        if (-not $valueType -or $valueType.Trim("'", '"') -ne 'Dword') {
            New-Problem $File $resource.Extent 'dsc-registry-dword-force' ("Registry {0}: ValueType must be 'Dword' (is {1})" -f $resource.Name, $(if ($valueType) { $valueType } else { 'missing' }))
        }
        if ($force -ne '$true') {
            New-Problem $File $resource.Extent 'dsc-registry-dword-force' ('Registry {0}: Force must be $true (is {1})' -f $resource.Name, $(if ($force) { $force } else { 'missing' }))
        }
    }
}

function Test-HasAttribute {
    # True when an attribute list holds [<Name>] or [<Name>Attribute] (any namespace prefix).
    param($Attributes, [string]$Name)
    foreach ($attribute in @($Attributes)) {
        if ($attribute -isnot [System.Management.Automation.Language.AttributeAst]) { continue }
        $typeName = $attribute.TypeName.FullName
        if ($typeName -match ('(?:^|\.){0}(?:Attribute)?$' -f [regex]::Escape($Name))) { return $true }
    }
    $false
}

function Test-IsMandatory {
    # True for [Parameter(Mandatory)] or [Parameter(Mandatory = $true)].
    param($Parameter)
    foreach ($attribute in @($Parameter.Attributes)) {
        if ($attribute -isnot [System.Management.Automation.Language.AttributeAst] -or $attribute.TypeName.FullName -notmatch '(?:^|\.)Parameter(?:Attribute)?$') { continue }
        foreach ($argument in $attribute.NamedArguments) {
            if ($argument.ArgumentName -eq 'Mandatory' -and ($argument.ExpressionOmitted -or $argument.Argument.Extent.Text -eq '$true')) { return $true }
        }
    }
    $false
}

function Test-FunctionShape {
    # Every function other than a DSC configuration: [CmdletBinding()], [OutputType()], typed
    # parameters (mandatory unless they have a stated default) and comment-based help.
    param($Ast, [string]$File, [int[]]$ConfigurationOffsets)
    $functions = Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.FunctionDefinitionAst] }
    foreach ($function in $functions) {
        if (@($ConfigurationOffsets) -contains $function.Extent.StartOffset) { continue }
        # A class method is a FunctionMemberAst around a function node: methods are not functions.
        if ($function.Parent -is [System.Management.Automation.Language.FunctionMemberAst]) { continue }
        $name = $function.Name
        $say = { param([string]$What) New-Problem $File $function.Extent 'function-shape' ('{0}: {1}' -f $name, $What) }
        if ($function.Parameters) {
            & $say 'declares its parameters after its name; use a param block with [CmdletBinding()]'
        }
        $block = $function.Body.ParamBlock
        $attributes = if ($block) { $block.Attributes } else { @() }
        if (-not (Test-HasAttribute $attributes 'CmdletBinding')) {
            & $say 'has no [CmdletBinding()] (on a param block; write param () when it takes none)'
        }
        if (-not (Test-HasAttribute $attributes 'OutputType')) {
            & $say 'has no [OutputType(...)] ([System.Void] when it outputs nothing)'
        }
        $parameters = if ($block) { @($block.Parameters) } else { @() }
        $help = $function.GetHelpContent()
        if ($null -eq $help) {
            & $say 'has no comment-based help (.SYNOPSIS, .PARAMETER for every parameter, .OUTPUTS)'
        } else {
            if ([string]::IsNullOrWhiteSpace($help.Synopsis)) { & $say 'has no .SYNOPSIS in its help' }
            if (@($help.Outputs | Where-Object { -not [string]::IsNullOrWhiteSpace($_) }).Count -eq 0) { & $say 'has no .OUTPUTS in its help (None. when it outputs nothing)' }
            $declared = @($parameters | ForEach-Object { $_.Name.VariablePath.UserPath.ToUpperInvariant() })
            foreach ($documented in @($help.Parameters.Keys)) {
                if ($declared -notcontains $documented.ToUpperInvariant()) { & $say ('documents a parameter it does not have: .PARAMETER {0}' -f $documented) }
            }
        }
        foreach ($parameter in $parameters) {
            $parameterName = $parameter.Name.VariablePath.UserPath
            $text = $null
            if ($null -ne $help -and $help.Parameters.ContainsKey($parameterName.ToUpperInvariant())) { $text = $help.Parameters[$parameterName.ToUpperInvariant()] }
            if ($null -ne $help -and [string]::IsNullOrWhiteSpace($text)) {
                & $say ('has no .PARAMETER {0} in its help' -f $parameterName)
            }
            if (-not @($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.Language.TypeConstraintAst] })) {
                & $say ('parameter ${0} has no type' -f $parameterName)
            }
            if (-not (Test-IsMandatory $parameter)) {
                $isSwitch = $parameter.StaticType -eq [System.Management.Automation.SwitchParameter]
                if ($null -eq $parameter.DefaultValue -and -not $isSwitch) {
                    & $say ('parameter ${0} is optional without a default value: make it [Parameter(Mandatory)] or give it a default and state it in its help' -f $parameterName)
                } elseif (-not [string]::IsNullOrWhiteSpace($text) -and $text -notmatch '(?i)\bdefault') {
                    & $say ('parameter ${0} is optional: its .PARAMETER help must state its default ("Defaults to ...")' -f $parameterName)
                }
            }
        }
    }
}

function Test-ModuleFunctionFile {
    # A module function file (modules/<Module>/Public|Private/<Name>.ps1): exactly one function,
    # named as the file, and nothing else but comments.
    param($Ast, [string]$File, [string]$Name)
    $statements = @($Ast.EndBlock.Statements)
    $functions = @($statements | Where-Object { $_ -is [System.Management.Automation.Language.FunctionDefinitionAst] })
    $other = @($statements | Where-Object { $_ -isnot [System.Management.Automation.Language.FunctionDefinitionAst] })
    if ($Ast.ParamBlock) { $other += $Ast.ParamBlock }
    foreach ($named in @($Ast.BeginBlock, $Ast.ProcessBlock) | Where-Object { $_ }) { $other += $named }
    if ($functions.Count -ne 1 -or $functions[0].Name -ne $Name) {
        $found = if ($functions.Count -eq 0) { 'none' } else { ($functions | ForEach-Object { $_.Name }) -join ', ' }
        New-Problem $File $Ast.Extent 'module-function-file' ('must define exactly one function, {0} (the file''s name); defines {1}' -f $Name, $found)
    }
    foreach ($statement in $other) {
        New-Problem $File $statement.Extent 'module-function-file' ('code outside the function {0}: {1}' -f $Name, (Get-OneLine $statement.Extent.Text 60))
    }
}

# Cmdlets that Windows PowerShell 5.1 does not have, and PowerShell 6+ parameters of 5.1 cmdlets.
$script:Ps7OnlyCommands = @(
    'Join-String', 'Test-Json', 'Get-Error', 'ConvertFrom-Markdown', 'Show-Markdown', 'Get-MarkdownOption',
    'Set-MarkdownOption', 'Remove-Alias', 'Remove-Service', 'Get-Uptime', 'Get-PSSubsystem', 'Enable-ExperimentalFeature'
)
$script:Ps7OnlyParameters = @{
    'ForEach-Object'   = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace')
    'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind')
    'ConvertTo-Json'   = @('EnumsAsStrings', 'AsArray', 'EscapeHandling')
    'Get-Content'      = @('AsByteStream')
    'Set-Content'      = @('AsByteStream')
    'Add-Content'      = @('AsByteStream')
    'Select-String'    = @('Raw', 'NoEmphasis')
    'Test-Connection'  = @('TargetName', 'Ping', 'TcpPort', 'MtuSize', 'Traceroute', 'Repeat', 'IPv4', 'IPv6')
    'Invoke-WebRequest' = @('SkipCertificateCheck', 'Authentication', 'Token', 'SslProtocol', 'StatusCodeVariable', 'Resume')
    'Invoke-RestMethod' = @('SkipCertificateCheck', 'Authentication', 'Token', 'SslProtocol', 'StatusCodeVariable', 'Resume', 'ResponseHeadersVariable')
    'Where-Object'     = @('Not')
}
$script:ForEachAliases = @('ForEach-Object', 'foreach', '%')
# -Encoding values 5.1 does not accept (utf8NoBOM, utf8BOM, ansi) and code-page numbers.
$script:Ps7OnlyEncodings = '^(?:utf8NoBOM|utf8BOM|ansi|\d+)$'

function Test-Ps51Syntax {
    param($Ast, $Tokens, [string]$File)
    $tk = [System.Management.Automation.Language.TokenKind]
    foreach ($node in Find-Ast $Ast { $true }) {
        $what = $null
        if ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and $node.Operator -eq $tk::QuestionQuestion) {
            $what = 'the ?? operator'
        } elseif ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and $node.Operator -eq $tk::QuestionQuestionEquals) {
            $what = 'the ??= operator'
        } elseif ($node -is [System.Management.Automation.Language.TernaryExpressionAst]) {
            $what = 'the ?: ternary operator'
        } elseif ($node -is [System.Management.Automation.Language.PipelineChainAst]) {
            $what = ('the {0} pipeline chain operator' -f $(if ($node.Operator -eq $tk::AndAnd) { '&&' } else { '||' }))
        } elseif ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional) {
            $what = 'the ?. null-conditional member access'
        } elseif ($node -is [System.Management.Automation.Language.IndexExpressionAst] -and $node.NullConditional) {
            $what = 'the ?[] null-conditional index'
        } elseif ($node -is [System.Management.Automation.Language.ScriptBlockAst] -and $node.CleanBlock) {
            $what = 'a clean block'
        } elseif ($node -is [System.Management.Automation.Language.CommandAst]) {
            $name = $node.GetCommandName()
            if ($name) {
                $canonical = if ($script:ForEachAliases -contains $name) { 'ForEach-Object' } else { $name }
                if ($script:Ps7OnlyCommands -contains $canonical) {
                    $what = ('the cmdlet {0} (PowerShell 6+)' -f $name)
                } elseif ($script:Ps7OnlyParameters.ContainsKey($canonical)) {
                    foreach ($parameter in $node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                        $given = $parameter.ParameterName
                        $hit = $script:Ps7OnlyParameters[$canonical] | Where-Object {
                            $given.Length -ge 2 -and $_.StartsWith($given, [System.StringComparison]::OrdinalIgnoreCase) -and
                            # an abbreviation is only this parameter's when no 5.1 parameter shares it
                            -not ($canonical -eq 'ForEach-Object' -and $given.Length -lt 3 -and 'Process'.StartsWith($given, [System.StringComparison]::OrdinalIgnoreCase))
                        }
                        if ($hit) { $what = ('{0} -{1} (PowerShell 6+)' -f $name, @($hit)[0]); break }
                    }
                }
                if (-not $what) {
                    $elements = $node.CommandElements
                    for ($i = 0; $i -lt $elements.Count; $i++) {
                        $element = $elements[$i]
                        if ($element -is [System.Management.Automation.Language.CommandParameterAst] -and 'Encoding'.StartsWith($element.ParameterName, [System.StringComparison]::OrdinalIgnoreCase) -and $element.ParameterName.Length -ge 3) {
                            $value = if ($element.Argument) { $element.Argument } elseif ($i + 1 -lt $elements.Count) { $elements[$i + 1] } else { $null }
                            if ($value -is [System.Management.Automation.Language.StringConstantExpressionAst] -or $value -is [System.Management.Automation.Language.ConstantExpressionAst]) {
                                if ([string]$value.Value -match $script:Ps7OnlyEncodings) { $what = ('-Encoding {0} (PowerShell 6+)' -f $value.Value) }
                            }
                        }
                    }
                }
            }
        }
        if ($what) { New-Problem $File $node.Extent 'ps51-syntax' ('{0} is not Windows PowerShell 5.1 syntax' -f $what) }
    }
    foreach ($token in $Tokens) {
        if ($token.Kind -eq $tk::Number -and $token.Text -match '^(?:0b[01]+|(?:0x[0-9a-f]+|[0-9.]+(?:e[+-]?\d+)?)(?:u|ul|us|uy|y|s|n))(?:kb|mb|gb|tb|pb)?$') {
            New-Problem $File $token.Extent 'ps51-syntax' ('the numeric literal {0} is not Windows PowerShell 5.1 syntax (binary literals and u/y/s/n suffixes are PowerShell 6.2+)' -f $token.Text)
        } elseif ($token.Kind -in @($tk::StringExpandable, $tk::HereStringExpandable) -and $token.Text -match '`u\{') {
            New-Problem $File $token.Extent 'ps51-syntax' 'the `u{...} escape is not Windows PowerShell 5.1 syntax (PowerShell 6+)'
        }
    }
}

# Types absent from .NET Framework 4.8 (without System. prefix, lower-case).
$script:NetCoreOnlyTypes = @(
    'hashcode', 'range', 'index', 'half', 'dateonly', 'timeonly', 'text.rune', 'span', 'readonlyspan', 'memory',
    'readonlymemory', 'operatingsystem', 'threading.channels.channel', 'threading.periodictimer', 'io.enumerationoptions',
    'formats.asn1.asnreader', 'net.http.json.httpclientjsonextensions', 'threading.tasks.valuetask', 'int128', 'uint128',
    'collections.generic.priorityqueue', 'text.unicode.utf8', 'io.unixfilemode', 'random.shared'
)
# Namespaces absent from .NET Framework 4.8.
$script:NetCoreOnlyNamespaces = @('text.json', 'buffers', 'net.http.json', 'threading.channels', 'runtime.intrinsics', 'formats.')
# Static members absent from .NET Framework 4.8: type (no System., lower-case) -> member names.
$script:NetCoreOnlyStaticMembers = @{
    'convert'                              = @('ToHexString', 'ToHexStringLower', 'FromHexString', 'TryFromBase64String', 'TryToBase64Chars')
    'io.path'                              = @('GetRelativePath', 'Join', 'TrimEndingDirectorySeparator', 'EndsInDirectorySeparator', 'IsPathFullyQualified', 'Exists')
    'io.file'                              = @('ReadAllTextAsync', 'ReadAllBytesAsync', 'ReadAllLinesAsync', 'WriteAllTextAsync', 'WriteAllBytesAsync', 'WriteAllLinesAsync', 'AppendAllTextAsync', 'AppendAllLinesAsync', 'CreateSymbolicLink', 'ResolveLinkTarget', 'GetUnixFileMode', 'SetUnixFileMode', 'ReadLinesAsync')
    'io.directory'                         = @('CreateSymbolicLink', 'ResolveLinkTarget', 'CreateTempSubdirectory')
    'security.cryptography.sha1'           = @('HashData', 'HashDataAsync', 'TryHashData')
    'security.cryptography.sha256'         = @('HashData', 'HashDataAsync', 'TryHashData')
    'security.cryptography.sha384'         = @('HashData', 'HashDataAsync', 'TryHashData')
    'security.cryptography.sha512'         = @('HashData', 'HashDataAsync', 'TryHashData')
    'security.cryptography.md5'            = @('HashData', 'HashDataAsync', 'TryHashData')
    'security.cryptography.hmacsha256'     = @('HashData', 'HashDataAsync', 'TryHashData')
    'security.cryptography.randomnumbergenerator' = @('GetInt32', 'Fill', 'GetBytes', 'GetHexString', 'GetString', 'GetItems', 'Shuffle')
    'security.cryptography.cryptographicoperations' = @('FixedTimeEquals', 'ZeroMemory', 'HashData')
    'math'                                 = @('Clamp', 'BitDecrement', 'BitIncrement', 'CopySign', 'FusedMultiplyAdd', 'ILogB', 'Log2', 'ScaleB', 'Cbrt', 'Acosh', 'Asinh', 'Atanh', 'ReciprocalEstimate')
    'mathf'                                = @('*')
    'environment'                          = @('ProcessId', 'ProcessPath', 'IsPrivilegedProcess', 'GetProcessorCount')
    'text.encoding'                        = @('Latin1')
    'string'                               = @('Create', 'Join:char')
    'array'                                = @('Fill')
    'guid'                                 = @('CreateVersion7')
    'enum'                                 = @('GetValuesAsUnderlyingType')
    'runtime.interopservices.marshal'      = @('GetLastSystemError', 'SetLastSystemError', 'GetLastPInvokeError')
    'datetime'                             = @('UnixEpoch')
    'bitconverter'                         = @('SingleToInt32Bits', 'Int32BitsToSingle', 'TryWriteBytes')
}
$script:TypeAccelerators = @{ 'math' = 'math'; 'convert' = 'convert'; 'string' = 'string'; 'array' = 'array'; 'guid' = 'guid'; 'datetime' = 'datetime'; 'enum' = 'enum' }

function Get-NormalizedTypeName {
    param([string]$Name)
    $n = $Name.ToLowerInvariant() -replace '\s', ''
    $n = $n -replace '\[.*$', ''
    if ($n.StartsWith('system.')) { $n = $n.Substring(7) }
    $n
}

function Test-NetFrameworkApi {
    param($Ast, [string]$File)
    # Type references: [Type], [Type]::Member, type constraints, New-Object Type / -TypeName Type.
    $typeNodes = Find-Ast $Ast {
        $args[0] -is [System.Management.Automation.Language.TypeExpressionAst] -or
        $args[0] -is [System.Management.Automation.Language.TypeConstraintAst]
    }
    foreach ($node in $typeNodes) {
        $names = @($node.TypeName.FullName)
        if ($node.TypeName -is [System.Management.Automation.Language.GenericTypeName]) {
            $names = @($node.TypeName.TypeName.FullName) + @($node.TypeName.GenericArguments | ForEach-Object { $_.FullName })
        } elseif ($node.TypeName -is [System.Management.Automation.Language.ArrayTypeName]) {
            $names = @($node.TypeName.ElementType.FullName)
        }
        foreach ($name in $names) {
            $normalized = Get-NormalizedTypeName $name
            $bare = $normalized -replace '`\d+$', ''
            $namespaceHit = $script:NetCoreOnlyNamespaces | Where-Object { $bare.StartsWith($_.TrimEnd('.') + '.') -or $bare -eq $_.TrimEnd('.') -or ($_.EndsWith('.') -and $bare.StartsWith($_)) }
            if ($script:NetCoreOnlyTypes -contains $bare -or $namespaceHit) {
                New-Problem $File $node.Extent 'netfx-api' ('[{0}] is not in .NET Framework 4.8 (Windows PowerShell 5.1)' -f $name)
            }
        }
    }
    foreach ($command in Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.CommandAst] }) {
        if ($command.GetCommandName() -ne 'New-Object') { continue }
        foreach ($element in $command.CommandElements | Select-Object -Skip 1) {
            if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                $bare = Get-NormalizedTypeName $element.Value
                $namespaceHit = $script:NetCoreOnlyNamespaces | Where-Object { $bare.StartsWith($_.TrimEnd('.') + '.') }
                if ($script:NetCoreOnlyTypes -contains $bare -or $namespaceHit) {
                    New-Problem $File $element.Extent 'netfx-api' ('{0} is not in .NET Framework 4.8 (Windows PowerShell 5.1)' -f $element.Value)
                }
            }
        }
    }
    # Static members: [Type]::Member and [Type]::Member(...).
    $members = Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.MemberExpressionAst] -and $args[0].Static }
    foreach ($member in $members) {
        if ($member.Expression -isnot [System.Management.Automation.Language.TypeExpressionAst]) { continue }
        $type = Get-NormalizedTypeName $member.Expression.TypeName.FullName
        if ($script:TypeAccelerators.ContainsKey($type)) { $type = $script:TypeAccelerators[$type] }
        $memberName = $member.Member.Extent.Text.Trim("'", '"')
        $denied = $script:NetCoreOnlyStaticMembers[$type]
        if (-not $denied) { continue }
        $arguments = if ($member -is [System.Management.Automation.Language.InvokeMemberExpressionAst]) { @($member.Arguments) } else { @() }
        $hit = $false
        foreach ($entry in $denied) {
            $entryName, $qualifier = $entry.Split(':')
            if ($entryName -ne '*' -and $entryName -ne $memberName) { continue }
            if ($qualifier -eq 'char') {
                # string.Join(char, ...) is .NET Core 2.0+; a [char] first argument picks it.
                $first = @($arguments)[0]
                if ($first -is [System.Management.Automation.Language.ConvertExpressionAst] -and $first.Type.TypeName.FullName -match '^(?:System\.)?char$') { $hit = $true }
                continue
            }
            $hit = $true
        }
        if ($hit) {
            New-Problem $File $member.Extent 'netfx-api' ('[{0}]::{1} is not in .NET Framework 4.8 (Windows PowerShell 5.1)' -f $member.Expression.TypeName.FullName, $memberName)
        }
    }
    # Instance string calls whose overload is .NET Core only, or whose meaning differs.
    $calls = Find-Ast $Ast { $args[0] -is [System.Management.Automation.Language.InvokeMemberExpressionAst] -and -not $args[0].Static }
    foreach ($call in $calls) {
        $memberName = $call.Member.Extent.Text.Trim("'", '"')
        $arguments = @($call.Arguments | Where-Object { $_ })
        $isChar = {
            param($a)
            ($a -is [System.Management.Automation.Language.ConvertExpressionAst] -and $a.Type.TypeName.FullName -match '^(?:System\.)?char$')
        }
        $isComparison = {
            param($a)
            ($a -is [System.Management.Automation.Language.MemberExpressionAst] -and $a.Expression -is [System.Management.Automation.Language.TypeExpressionAst] -and
                $a.Expression.TypeName.FullName -match '^(?:System\.)?StringComparison$') -or
            ($a -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $a.Value -match '^(?:Ordinal|OrdinalIgnoreCase|CurrentCulture|CurrentCultureIgnoreCase|InvariantCulture|InvariantCultureIgnoreCase)$')
        }
        $why = $null
        if ($memberName -in @('Contains', 'StartsWith', 'EndsWith') -and $arguments.Count -ge 1 -and (& $isChar $arguments[0])) {
            $why = ('string.{0}(char) is .NET Core 2.0+; pass a string' -f $memberName)
        } elseif ($memberName -in @('Contains', 'Replace') -and $arguments.Count -ge 2 -and (& $isComparison $arguments[-1])) {
            $why = ('string.{0}(..., StringComparison) is .NET Core 2.0+' -f $memberName)
        } elseif ($memberName -eq 'Split' -and $arguments.Count -ge 1 -and $arguments[0] -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $arguments[0].Value.Length -gt 1) {
            $why = ("string.Split('{0}') splits at any of those characters on .NET Framework but at the whole string on .NET 5+; use -split or a [string[]] separator with a StringSplitOptions" -f $arguments[0].Value)
        }
        if ($why) {
            New-Problem $File $call.Extent 'netfx-api' ('{0}: {1}' -f (Get-OneLine $call.Extent.Text 60), $why)
        }
    }
}

# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------

<#
.SYNOPSIS
    Checks PowerShell text; returns the problems (File, Line, Column, Rule, Message), sorted.
.PARAMETER Text
    The source. A byte-order mark is ignored.
.PARAMETER File
    The name copied into the problems.
.PARAMETER FunctionShape
    Also holds every function to the function-shape rule (Test-PowerShellFile always does).
.PARAMETER ModuleFunction
    The text is a module function file: it must define exactly this function and nothing else.
.PARAMETER Rule
    Runs only these rules (names as in the problems, such as function-shape); all when omitted.
#>
function Test-PowerShellText {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][AllowEmptyString()][string]$Text,
        [string]$File = '<text>',
        [switch]$FunctionShape,
        [string]$ModuleFunction,
        [string[]]$Rule
    )
    if ($Text.Length -gt 0 -and $Text[0] -eq [char]0xFEFF) { $Text = $Text.Substring(1) }
    $parsed = Invoke-PowerShellParse -Text $Text -File $File
    $runs = { param([string]$Name) -not $Rule -or $Rule -contains $Name }
    $problems = @(
        if (& $runs 'syntax') { $parsed.Problems }
        if (& $runs 'no-invoke-expression') { Test-InvokeExpression $parsed.Ast $File }
        if (& $runs 'no-parameter-subexpression-in-expandable-string') { Test-ParameterSubExpression $parsed.Ast $File }
        if (& $runs 'dsc-registry-dword-force') { Test-DscRegistryDwordForce $parsed.Ast $File $parsed.ConfigurationKeywords }
        if (& $runs 'ps51-syntax') { Test-Ps51Syntax $parsed.Ast $parsed.Tokens $File }
        if (& $runs 'netfx-api') { Test-NetFrameworkApi $parsed.Ast $File }
        if ($FunctionShape -and (& $runs 'function-shape')) { Test-FunctionShape $parsed.Ast $File $parsed.ConfigurationOffsets }
        if ($ModuleFunction -and (& $runs 'module-function-file')) { Test-ModuleFunctionFile $parsed.Ast $File $ModuleFunction }
    ) | Where-Object { $_ }
    @($problems | Sort-Object Line, Column, Rule)
}

<#
.SYNOPSIS
    Every .ps1, .psm1 and .psd1 under a folder (default: guest/ of the repository), sorted.
#>
function Get-GuestPowerShellFile {
    [CmdletBinding()]
    param([string]$Root = (Join-Path (Split-Path -Parent $PSScriptRoot) 'guest'))
    @(Get-ChildItem -LiteralPath $Root -Recurse -File |
        Where-Object { $_.Extension -in @('.ps1', '.psm1', '.psd1') } |
        Sort-Object FullName |
        ForEach-Object { $_.FullName })
}

<#
.SYNOPSIS
    Checks files; problems carry paths relative to the repository (forward slashes) when inside it.
.DESCRIPTION
    Every function is held to the function-shape rule; a file under modules/<Module>/Public/ or
    Private/ also to the module-function-file rule. -Rule runs only the rules named.
#>
function Test-PowerShellFile {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string[]]$Path, [string[]]$Rule)
    $repository = Split-Path -Parent $PSScriptRoot
    foreach ($file in $Path) {
        $full = (Resolve-Path -LiteralPath $file).ProviderPath
        $relative = [System.IO.Path]::GetRelativePath($repository, $full)
        $shown = if ($relative.StartsWith('..') -or [System.IO.Path]::IsPathRooted($relative)) { $full } else { $relative }
        $shown = $shown.Replace('\', '/')
        $moduleFunction = if ($full -match '[\\/]modules[\\/][^\\/]+[\\/](?:Public|Private)[\\/]([^\\/]+)\.ps1$') { $Matches[1] } else { '' }
        Test-PowerShellText -Text ([System.IO.File]::ReadAllText($full)) -File $shown -FunctionShape -ModuleFunction $moduleFunction -Rule $Rule
    }
}

Export-ModuleMember -Function Test-PowerShellText, Test-PowerShellFile, Get-GuestPowerShellFile, Get-AllowedDscParseErrorId, Invoke-PowerShellParse
