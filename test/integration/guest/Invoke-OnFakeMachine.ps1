<#
    Runs a guest script (typically the assembled text Run Command receives) in a plain pwsh
    process against a fake machine, for Node contract tests. Only the machine edges are replaced
    (global aliases, see GuestTestSupport.ps1). Prints the script's own stdout; with -DumpMachine,
    then one more line: the fake machine afterwards as JSON ({"Tcpip":{...},"Ranges":{...},"AutoReuse":{...},"Marker":bool}).

    Scenario (JSON file): { "Tcpip": { "<Name>": { "Kind": "DWord|String|QWord|...", "Data": ... } },
    "Ranges": { "ipv4": { "StartPort": n, "NumberOfPorts": n }, ... }, "Language": "en|de|fr",
    "NetshFails": { "ipv6": "message" }, "AutoReuse": { "StartPort": n, "NumberOfPorts": n }, "MarkerWrittenAt": "ISO 8601", "SiteConfigText": "...",
    "Parameters": { "<Name>": "<string>" } }. SiteConfigPathBase64Url is added when absent from Parameters.
#>
param
(
    [Parameter(Mandatory)]
    [string]$ScriptPath,

    [Parameter(Mandatory)]
    [string]$ScenarioPath,

    [switch]$DumpMachine
)

$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath 'GuestTestSupport.ps1')

$scenario = [System.IO.File]::ReadAllText($ScenarioPath) | ConvertFrom-Json
$machine = New-FakeMachine
if ($null -ne $scenario.Tcpip) {
    foreach ($value in $scenario.Tcpip.PSObject.Properties) {
        $data = $value.Value.Data
        switch ($value.Value.Kind) {
            'DWord' { $data = [int]$data }
            'QWord' { $data = [long]$data }
            'MultiString' { $data = [string[]]@($data) }
            default { $data = [string]$data }
        }
        $machine.Keys[$script:TcpipKey][$value.Name] = @{ Kind = [string]$value.Value.Kind; Data = $data }
    }
}
if ($null -ne $scenario.Ranges) {
    foreach ($range in $scenario.Ranges.PSObject.Properties) {
        $machine.Ranges[$range.Name] = @{ StartPort = [int]$range.Value.StartPort; NumberOfPorts = [int]$range.Value.NumberOfPorts }
    }
}
if ($null -ne $scenario.NetshFails) {
    foreach ($failure in $scenario.NetshFails.PSObject.Properties) {
        $machine.NetshFails[$failure.Name] = [string]$failure.Value
    }
}
if ($null -ne $scenario.AutoReuse) {
    Set-FakeAutoReuseRange -Machine $machine -StartPort ([int]$scenario.AutoReuse.StartPort) -NumberOfPorts ([int]$scenario.AutoReuse.NumberOfPorts)
}
if ($null -ne $scenario.Language) {
    $machine.Language = [string]$scenario.Language
}
if ($null -ne $scenario.MarkerWrittenAt) {
    $machine.Keys[$script:MarkerKey] = @{ WrittenAt = @{ Kind = 'String'; Data = [string]$scenario.MarkerWrittenAt } }
    $machine.Volatile[$script:MarkerKey] = $true
}

$folder = Join-Path -Path ([System.IO.Path]::GetTempPath()) -ChildPath ('mailhost-fake-' + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $folder
try {
    $siteConfigPath = Join-Path -Path $folder -ChildPath 'SiteConfig.cfg'
    if ($null -ne $scenario.SiteConfigText) {
        [System.IO.File]::WriteAllBytes($siteConfigPath, [System.Text.Encoding]::UTF8.GetBytes([string]$scenario.SiteConfigText))
    }
    $arguments = @{}
    if ($null -ne $scenario.Parameters) {
        foreach ($parameter in $scenario.Parameters.PSObject.Properties) {
            $arguments[$parameter.Name] = [string]$parameter.Value
        }
    }
    if (-not $arguments.ContainsKey('SiteConfigPathBase64Url')) {
        $arguments['SiteConfigPathBase64Url'] = ConvertTo-TestBase64Url -Text $siteConfigPath
    }

    Use-FakeMachineEdge -Machine $machine
    & $ScriptPath @arguments 3>$null

    if ($DumpMachine) {
        $tcpip = [ordered]@{}
        foreach ($name in @($machine.Keys[$script:TcpipKey].Keys | Sort-Object)) {
            $tcpip[$name] = [ordered]@{ Kind = $machine.Keys[$script:TcpipKey][$name].Kind; Data = $machine.Keys[$script:TcpipKey][$name].Data }
        }
        $siteConfigSha256 = $null
        if ([System.IO.File]::Exists($siteConfigPath)) {
            $siteConfigSha256 = (Get-FileHash -LiteralPath $siteConfigPath -Algorithm SHA256).Hash.ToLowerInvariant()
        }
        [ordered]@{
            Tcpip            = $tcpip
            Ranges           = $machine.Ranges
            AutoReuse        = $machine.TcpSettings['InternetCustom']
            Marker           = $machine.Volatile.ContainsKey($script:MarkerKey)
            SiteConfigSha256 = $siteConfigSha256
        } | ConvertTo-Json -Compress -Depth 5
    }
}
finally {
    Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
}
