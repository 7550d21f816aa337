/**
 * Static checks of the guest PowerShell scripts, on their text.
 *
 * Syntax and the AST rules (no Invoke-Expression, no parameters in $(...) inside double-quoted
 * strings, Registry resources as forced DWORDs, Windows PowerShell 5.1 syntax, .NET Framework
 * APIs) are checked with the real PowerShell parser under Pester: scripts/PowerShellLint.psm1 and
 * test/guest/lint.Tests.ps1 (`npm run test:guest`).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

import { REPO_ROOT } from '../support/powershell';
const DSC_SCRIPT = 'guest/dsc/MailhostTuning.ps1';
const RUN_COMMAND_SCRIPT = 'guest/runcommand/Set-MailhostTuning.ps1';

/** Text of the first `param(...)` block at or after `from`, parentheses balanced. */
function paramBlock(text: string, from = 0): string {
  const match = /\bparam\s*\(/i.exec(text.slice(from));
  assert.ok(match, 'no param block');
  const open = from + match.index + match[0].length - 1;
  let depth = 0;
  for (let index = open; index < text.length; index += 1) {
    const char = text[index];
    if (char === '(') depth += 1;
    else if (char === ')') {
      depth -= 1;
      if (depth === 0) return text.slice(open + 1, index);
    }
  }
  assert.fail('unbalanced param block');
}

/** Declared parameters of a param block: `[type]$Name` immediately before `,` or the end. */
function declaredParameters(block: string): Map<string, string> {
  const declared = new Map<string, string>();
  for (const match of block.matchAll(/\[(\w+)\]\s*\$(\w+)\s*(?=,|$)/g)) {
    declared.set(match[2] ?? '', (match[1] ?? '').toLowerCase());
  }
  return declared;
}

/** `Name { ... }` blocks of a DSC resource type; resource bodies here hold no nested `}` at column 8. */
function resourceBlocks(text: string, type: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern = new RegExp(`^([ \\t]*)${type}\\s+(\\w+)\\s*\\{([\\s\\S]*?)^\\1\\}`, 'gm');
  for (const match of text.matchAll(pattern)) {
    blocks.set(match[2] ?? '', match[3] ?? '');
  }
  return blocks;
}

describe('guest scripts (static)', () => {
  let dsc: string;
  let runCommand: string;

  before(async () => {
    dsc = await readFile(path.join(REPO_ROOT, DSC_SCRIPT), 'utf8');
    runCommand = await readFile(path.join(REPO_ROOT, RUN_COMMAND_SCRIPT), 'utf8');
  });

  it('DSC: configuration MailhostTuning declares the six typed parameters and the content hash', () => {
    const start = dsc.search(/^Configuration\s+MailhostTuning\b/im);
    assert.ok(start >= 0, 'no Configuration MailhostTuning');
    const declared = declaredParameters(paramBlock(dsc, start));
    assert.deepEqual(
      Object.fromEntries(declared),
      {
        MaxUserPort: 'int',
        TcpTimedWaitDelay: 'int',
        DynamicPortRangeStartPort: 'int',
        DynamicPortRangeNumberOfPorts: 'int',
        SiteConfigPath: 'string',
        SiteConfigContent: 'string',
        SiteConfigSha256: 'string',
      },
    );
    assert.doesNotMatch(dsc, /ValidateRange/i, 'ranges belong to the TypeScript module');
  });

  it('DSC: every Registry resource is a forced DWORD', () => {
    const registries = resourceBlocks(dsc, 'Registry');
    assert.equal(registries.size, 2);
    const valueNames: string[] = [];
    for (const [name, body] of registries) {
      assert.match(body, /^\s*ValueType\s*=\s*'Dword'\s*$/m, `${name}: ValueType`);
      assert.match(body, /^\s*Force\s*=\s*\$true\s*$/m, `${name}: Force`);
      assert.match(body, /^\s*Ensure\s*=\s*'Present'\s*$/m, `${name}: Ensure`);
      assert.match(body, /^\s*Key\s*=\s*'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters'\s*$/m);
      assert.match(body, /^\s*DependsOn\s*=\s*'\[Script\]TcpipChangeMarker'\s*$/m, `${name}: DependsOn`);
      valueNames.push(/^\s*ValueName\s*=\s*'(\w+)'/m.exec(body)?.[1] ?? '');
    }
    assert.deepEqual(valueNames.sort(), ['MaxUserPort', 'TcpTimedWaitDelay']);
  });

  it('DSC: LCM auto-corrects and reboots only through DSCMachineStatus', () => {
    assert.match(dsc, /^\s*ConfigurationMode\s*=\s*'ApplyAndAutoCorrect'\s*$/m);
    assert.match(dsc, /^\s*RebootNodeIfNeeded\s*=\s*\$true\s*$/m);
    assert.match(dsc, /^\s*ActionAfterReboot\s*=\s*'ContinueConfiguration'\s*$/m);
    assert.match(dsc, /^\s*\$global:DSCMachineStatus\s*=\s*1\s*$/m);
    assert.equal(dsc.match(/\$global:DSCMachineStatus\s*=/g)?.length, 1, 'only TcpipRebootRequest requests a reboot');
    const scripts = resourceBlocks(dsc, 'Script');
    assert.deepEqual(
      [...scripts.keys()].sort(),
      ['DynamicPortRange', 'SiteConfigFile', 'TcpipChangeMarker', 'TcpipRebootRequest'],
    );
    for (const [name, body] of scripts) {
      for (const part of ['GetScript', 'TestScript', 'SetScript']) {
        assert.match(body, new RegExp(`^\\s*${part}\\s*=\\s*\\{`, 'm'), `${name}: ${part}`);
      }
      assert.match(body, /Result\s*=/, `${name}: GetScript returns Result`);
    }
    assert.match(scripts.get('TcpipChangeMarker') ?? '', /TcpipRebootPending/);
    assert.doesNotMatch(scripts.get('TcpipChangeMarker') ?? '', /DSCMachineStatus/);
    assert.match(
      scripts.get('TcpipRebootRequest') ?? '',
      /DependsOn\s*=\s*@\('\[Registry\]TcpipMaxUserPort',\s*'\[Registry\]TcpipTcpTimedWaitDelay'\)/,
    );
  });

  it('DSC: netsh covers ipv4 and ipv6 and checks its exit code; SiteConfig is replaced atomically', () => {
    const ports = resourceBlocks(dsc, 'Script').get('DynamicPortRange') ?? '';
    assert.match(ports, /@\('ipv4', 'ipv6'\)/);
    assert.match(ports, /& netsh\.exe int \$ipv set dynamicport tcp \('start=\{0\}' -f \[int\]\$start\) \('num=\{0\}' -f \[int\]\$num\)/);
    assert.match(ports, /\$LASTEXITCODE -ne 0/);
    assert.match(ports, /\$using:DynamicPortRangeStartPort/);
    const site = resourceBlocks(dsc, 'Script').get('SiteConfigFile') ?? '';
    assert.match(site, /\[System\.IO\.File\]::Replace\(/);
    assert.match(site, /\[System\.IO\.File\]::Move\(/);
    assert.match(site, /UTF8Encoding -ArgumentList \$false/);
    assert.match(site, /SHA256/);
    assert.match(site, /arrived damaged/, 'a damaged SiteConfigContent is refused before anything is written');
    assert.ok(site.indexOf('arrived damaged') < site.indexOf('WriteAllBytes'));
  });

  it('run command: declares the named string parameters, the content hash and the re-run hash', () => {
    const start = runCommand.search(/^\[CmdletBinding\(\)\]\s*param\b/im);
    assert.ok(start >= 0, 'no [CmdletBinding()] param block');
    const declared = declaredParameters(paramBlock(runCommand, start));
    assert.deepEqual(
      Object.fromEntries(declared),
      {
        MaxUserPort: 'string',
        TcpTimedWaitDelay: 'string',
        DynamicPortRangeStartPort: 'string',
        DynamicPortRangeNumberOfPorts: 'string',
        SiteConfigPath: 'string',
        SiteConfigContent: 'string',
        SiteConfigSha256: 'string',
        ContentHash: 'string',
      },
    );
    assert.match(runCommand, /^\$ErrorActionPreference = 'Stop'$/m);
    assert.match(runCommand, /^Set-StrictMode -Version Latest$/m);
    assert.match(runCommand, /\[int\]::Parse\(.*\[Globalization\.CultureInfo\]::InvariantCulture\)/);
    assert.match(runCommand, /-PropertyType DWord/);
    assert.match(runCommand, /ConvertTo-Json -Compress/);
    for (const field of ['RegistryChanged', 'RebootRequired', 'DynamicPortRangeChanged', 'SiteConfigChanged', 'ContentHash']) {
      assert.match(runCommand, new RegExp(`^\\s*${field}\\s*=`, 'm'), field);
    }
    assert.doesNotMatch(runCommand, /Restart-Computer|shutdown(\.exe)?\s/i, 'the script never reboots');
  });

  it('neither script uses Invoke-Expression', () => {
    for (const text of [dsc, runCommand]) {
      assert.doesNotMatch(text, /Invoke-Expression|\biex\b/i);
    }
  });
});
