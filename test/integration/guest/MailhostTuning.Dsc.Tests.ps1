# The DSC configuration guest/dsc/MailhostTuning.ps1, read with the real PowerShell parser.
# Compiling it needs PSDesiredStateConfiguration and its resource cache, which this platform does
# not have; read as a function (the same statements), it parses cleanly and its AST is checked here.

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'GuestTestSupport.ps1')
    Import-Module -Name $script:ModuleManifest -Force

    $source = [System.IO.File]::ReadAllText($script:DscScript)
    $script:AsFunction = [regex]::Replace($source, '(?m)^Configuration MailhostTuning \{', 'function MailhostTuning {')
    $tokens = $null
    $script:ParseErrors = $null
    $script:Ast = [System.Management.Automation.Language.Parser]::ParseInput($script:AsFunction, [ref]$tokens, [ref]$script:ParseErrors)
    $script:Commands = @($script:Ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true))

    # The property settings inside the script block of the command named $Name (a DSC resource or block).
    function Get-BlockAssignment {
        param
        (
            [string]$Name
        )
        $command = @($script:Commands | Where-Object { $_.GetCommandName() -eq $Name })
        $command.Count | Should -Be 1 -Because ('one {0} block' -f $Name)
        $block = @($command[0].CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.ScriptBlockExpressionAst] })[-1]
        # Without the DSC keywords, "Name = value" lines of a block parse as commands: Name, '=', value.
        $result = [ordered]@{}
        foreach ($line in $block.ScriptBlock.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $elements = @($line.CommandElements)
            if ($elements.Count -ge 3 -and $elements[1].Extent.Text -eq '=') {
                $result[$line.GetCommandName()] = (@($elements | Select-Object -Skip 2 | ForEach-Object { $_.Extent.Text }) -join ' ')
            }
        }
        return $result
    }
}

AfterAll {
    Remove-Module -Name MailhostTcpTuning -Force -ErrorAction SilentlyContinue
}

Describe 'DSC configuration MailhostTuning' {
    It 'the source holds the Configuration keyword once, and parses without error read as a function' {
        ([regex]::Matches($script:AsFunction, '(?m)^function MailhostTuning \{')).Count | Should -Be 1
        @($script:ParseErrors).Count | Should -Be 0
    }

    It 'declares the typed parameters of every mechanism: mandatory, but the optional auto-reuse port range (0 when not passed: left alone)' {
        $function = $script:Ast.Find({ param($node) $node -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)
        $declared = [ordered]@{}
        $optional = @('AutoReusePortRangeStartPort', 'AutoReusePortRangeNumberOfPorts')
        foreach ($parameter in $function.Body.ParamBlock.Parameters) {
            $name = $parameter.Name.VariablePath.UserPath
            $declared[$name] = $parameter.StaticType.Name
            if ($optional -contains $name) {
                @($parameter.Attributes | Where-Object { $_.TypeName.Name -eq 'Parameter' }).Count | Should -Be 0 -Because $name
                $parameter.DefaultValue | Should -BeNullOrEmpty -Because ('{0}: an [int] not passed is 0' -f $name)
            }
            else {
                ($parameter.Attributes | Where-Object { $_.TypeName.Name -eq 'Parameter' }).Extent.Text | Should -Be '[Parameter(Mandatory)]'
            }
        }
        $declared | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        @($declared.Keys) | Should -Be @('MaxUserPort', 'TcpTimedWaitDelay', 'DynamicPortRangeStartPort', 'DynamicPortRangeNumberOfPorts', 'SiteConfigPathBase64Url', 'SiteConfigContentBase64Url', 'SiteConfigSha256', 'AutoReusePortRangeStartPort', 'AutoReusePortRangeNumberOfPorts')
        @($declared.Values) | Should -Be @('Int32', 'Int32', 'Int32', 'Int32', 'String', 'String', 'String', 'Int32', 'Int32')
    }

    It 'imports only the MailhostTcpTuning module and declares one MailhostTcpTuning resource, no Registry or Script resource' {
        $imports = @($script:Commands | Where-Object { $_.GetCommandName() -eq 'Import-DscResource' })
        @($imports | ForEach-Object { $_.Extent.Text }) | Should -Be @('Import-DscResource -ModuleName MailhostTcpTuning')
        @($script:Commands | Where-Object { $_.GetCommandName() -in @('Registry', 'Script', 'File') }).Count | Should -Be 0
        $resource = @($script:Commands | Where-Object { $_.GetCommandName() -eq 'MailhostTcpTuning' })
        $resource.Count | Should -Be 1
        $resource[0].CommandElements[1].Extent.Text | Should -Be 'MailhostTcpTuning'
    }

    It 'sets every configurable property of the resource class, numbers as strings, from the parameter of the same name' {
        $assigned = Get-BlockAssignment -Name 'MailhostTcpTuning'
        $configurable = InModuleScope -ModuleName MailhostTcpTuning -ScriptBlock {
            [MailhostTcpTuning].GetProperties() | Where-Object {
                $dsc = $_.GetCustomAttributes($true) | Where-Object { $_ -is [System.Management.Automation.DscPropertyAttribute] }
                $null -ne $dsc -and -not $dsc.NotConfigurable
            } | ForEach-Object { $_.Name }
        }
        @($assigned.Keys | Sort-Object) | Should -Be @($configurable | Sort-Object)
        $assigned['IsSingleInstance'] | Should -Be "'Yes'"
        foreach ($name in @('MaxUserPort', 'TcpTimedWaitDelay', 'DynamicPortRangeStartPort', 'DynamicPortRangeNumberOfPorts')) {
            $assigned[$name] | Should -Be ('[string]${0}' -f $name)
        }
        foreach ($name in @('SiteConfigPathBase64Url', 'SiteConfigContentBase64Url', 'SiteConfigSha256')) {
            $assigned[$name] | Should -Be ('${0}' -f $name)
        }
        # Empty strings (the resource leaves the range alone) unless the arguments carry a range.
        $assigned['AutoReusePortRangeStartPort'] | Should -Be '$autoReuseStart'
        $assigned['AutoReusePortRangeNumberOfPorts'] | Should -Be '$autoReuseCount'
    }

    It 'tells the LCM to auto-correct and never to reboot' {
        $lcm = Get-BlockAssignment -Name 'LocalConfigurationManager'
        $lcm['ConfigurationMode'] | Should -Be "'ApplyAndAutoCorrect'"
        $lcm['RebootNodeIfNeeded'] | Should -Be '$false'
        $script:AsFunction | Should -Not -Match 'DSCMachineStatus|Restart-Computer'
    }
}
