/**
 * Static checks of the guest PowerShell scripts, on their text.
 *
 * Syntax and the AST rules (no Invoke-Expression, no parameters in $(...) inside double-quoted
 * strings, Registry resources as forced DWORDs, Windows PowerShell 5.1 syntax, .NET Framework
 * APIs) are checked with the real PowerShell parser under Pester: scripts/PowerShellLint.psm1 and
 * test/integration/guest/lint.Tests.ps1 (`npm run test:guest`).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

import { REPO_ROOT } from '../../support/powershell';
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

  it('DSC: configuration MailhostTuning declares the typed parameters of every mechanism', () => {
    const start = dsc.search(/^Configuration\s+MailhostTuning\b/im);
    assert.ok(start >= 0, 'no Configuration MailhostTuning');
    const declared = declaredParameters(paramBlock(dsc, start));
    assert.deepEqual(Object.fromEntries(declared), {
      MaxUserPort: 'int',
      TcpTimedWaitDelay: 'int',
      DynamicPortRangeStartPort: 'int',
      DynamicPortRangeNumberOfPorts: 'int',
      SiteConfigPathBase64Url: 'string',
      SiteConfigContentBase64Url: 'string',
      SiteConfigSha256: 'string',
      AutoReusePortRangeStartPort: 'int',
      AutoReusePortRangeNumberOfPorts: 'int',
    });
    assert.doesNotMatch(dsc, /ValidateRange/i, 'ranges are checked inside the resource, from Limits.psd1');
  });

  it('DSC: one MailhostTcpTuning resource from the module, every property passed, LCM never reboots', () => {
    assert.match(dsc, /^\s*Import-DscResource -ModuleName MailhostTcpTuning\s*$/m);
    assert.doesNotMatch(dsc, /Import-DscResource -ModuleName PSDesiredStateConfiguration/);
    const resources = resourceBlocks(dsc, 'MailhostTcpTuning');
    assert.deepEqual([...resources.keys()], ['MailhostTcpTuning']);
    const body = resources.get('MailhostTcpTuning') ?? '';
    const assigned = [...body.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]).sort();
    assert.deepEqual(assigned, ['AutoReusePortRangeNumberOfPorts', 'AutoReusePortRangeStartPort', 'DynamicPortRangeNumberOfPorts', 'DynamicPortRangeStartPort', 'IsSingleInstance', 'MaxUserPort', 'SiteConfigContentBase64Url', 'SiteConfigPathBase64Url', 'SiteConfigSha256', 'TcpTimedWaitDelay']);
    assert.match(body, /^\s*MaxUserPort\s*=\s*\[string\]\$MaxUserPort\s*$/m);
    for (const type of ['Registry', 'Script']) assert.equal(resourceBlocks(dsc, type).size, 0, `no ${type} resources: the module holds the logic`);
    assert.match(dsc, /^\s*ConfigurationMode\s*=\s*'ApplyAndAutoCorrect'\s*$/m);
    assert.match(dsc, /^\s*RebootNodeIfNeeded\s*=\s*\$false\s*$/m);
  });

  it('run command: declares the named string parameters and the re-run hash, and tunes through the module', () => {
    const start = runCommand.search(/^\[CmdletBinding\(\)\]\s*param\b/im);
    assert.ok(start >= 0, 'no [CmdletBinding()] param block');
    const declared = declaredParameters(paramBlock(runCommand, start));
    assert.deepEqual(Object.fromEntries(declared), {
      MaxUserPort: 'string',
      TcpTimedWaitDelay: 'string',
      DynamicPortRangeStartPort: 'string',
      DynamicPortRangeNumberOfPorts: 'string',
      SiteConfigPathBase64Url: 'string',
      SiteConfigContentBase64Url: 'string',
      SiteConfigSha256: 'string',
      ContentHash: 'string',
      AutoReusePortRangeStartPort: 'string',
      AutoReusePortRangeNumberOfPorts: 'string',
    });
    assert.match(runCommand, /^\$ErrorActionPreference = 'Stop'$/m);
    assert.match(runCommand, /^Set-StrictMode -Version Latest$/m);
    assert.match(runCommand, /^\$desired = ConvertTo-MailhostDesiredState @parameters$/m);
    assert.match(runCommand, /^\$changes = Set-MailhostTcpTuning -Desired \$desired$/m);
    for (const field of ['RegistryChanged', 'RebootRequired', 'DynamicPortRangeChanged', 'SiteConfigChanged', 'ContentHash']) {
      assert.match(runCommand, new RegExp(`^\\s*${field}\\s*=`, 'm'), field);
    }
  });

  it('neither script uses Invoke-Expression', () => {
    for (const text of [dsc, runCommand]) {
      assert.doesNotMatch(text, /Invoke-Expression|\biex\b/i);
    }
  });
});
