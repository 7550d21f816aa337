/**
 * Checks of the guest PowerShell scripts.
 *
 * The tree-sitter grammar is WebAssembly that must run under `node --liftoff-only` (V8's
 * optimising compiler takes seconds on it), so the checker runs in a child process and the tests
 * assert on its JSON. The static assertions on the scripts below work on their text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  RULE_PARAMETER_SUBEXPRESSION,
  RULE_SYNTAX,
  parseVariableName,
  type Problem,
} from '../../scripts/lint-powershell.js';

import { REPO_ROOT, runChecker, type CheckerRun } from '../support/powershell';
const DSC_SCRIPT = 'guest/dsc/MailhostTuning.ps1';
const RUN_COMMAND_SCRIPT = 'guest/runcommand/Set-MailhostTuning.ps1';



// Fixtures live in a temporary directory so that the repository-wide scan never sees them.
const FIXTURES: Record<string, string> = {
  // Line 4 is broken: a hashtable entry without a value.
  'syntax-error.ps1': ['# fixture', '$a = 1', '$b = 2', '$c = @{ a = 1; b = }', '$d = 4', ''].join('\n'),
  // The closing brace of the if block is missing: reported after the last statement (line 5).
  'missing-brace.ps1': ['param([int]$Count)', 'if ($Count -gt 0) {', "    Write-Output 'x'", '', '$c = 3', ''].join(
    '\n',
  ),
  'param-subexpression.ps1': [
    'param(',
    '    [Parameter(Mandatory)]',
    '    [int]$MaxUserPort',
    ')',
    '$message = "value is $($MaxUserPort + 1)"',
    'Write-Output $message',
    '',
  ].join('\n'),
  'using-subexpression.ps1': [
    'Configuration Sample {',
    '    param([string]$SiteConfigPath)',
    '    Node localhost {',
    '        Script S {',
    '            GetScript = { @{ Result = "path: $($using:SiteConfigPath)" } }',
    '            TestScript = { $true }',
    '            SetScript = { $null }',
    '        }',
    '    }',
    '    "configuration $($SiteConfigPath.Length)"',
    '}',
    '',
  ].join('\n'),
  'function-parameter.ps1': [
    'function Show-Port {',
    '    param([int]$Port)',
    '    Write-Output "port $($Port)"',
    '}',
    'function Show-Other([int]$Other) {',
    '    @"',
    'other $($Other * 2)',
    '"@',
    '}',
    '',
  ].join('\n'),
  'clean.ps1': [
    'param(',
    '    [int]$MaxUserPort,',
    '    [string]$Name',
    ')',
    '$local = 5',
    'Write-Output "local $($local + 1)"',
    "Write-Output ('value is {0}' -f ($MaxUserPort + 1))",
    "Write-Output 'single $($MaxUserPort + 1)'",
    "Write-Output ('name: ' + $Name)",
    'Write-Output "plain $Name and $($env:COMPUTERNAME)"',
    '',
  ].join('\n'),
};

describe('scripts/lint-powershell.ts', () => {
  let repoRun: CheckerRun;
  let fixtureRun: CheckerRun;
  let fixtureDir: string;

  const problemsOf = (name: string): Problem[] =>
    fixtureRun.report.problems.filter((problem) => path.basename(problem.file) === name);

  before(async () => {
    fixtureDir = await mkdtemp(path.join(os.tmpdir(), 'lint-powershell-'));
    const files: string[] = [];
    for (const [name, text] of Object.entries(FIXTURES)) {
      const file = path.join(fixtureDir, name);
      await writeFile(file, text, 'utf8');
      files.push(file);
    }
    [repoRun, fixtureRun] = await Promise.all([runChecker([]), runChecker(files)]);
  });

  after(async () => {
    await rm(fixtureDir, { recursive: true, force: true });
  });

  it('finds the guest scripts and reports no problem in any .ps1 of the repository', () => {
    assert.ok(repoRun.report.files.includes(DSC_SCRIPT), `checked: ${repoRun.report.files.join(', ')}`);
    assert.ok(repoRun.report.files.includes(RUN_COMMAND_SCRIPT), `checked: ${repoRun.report.files.join(', ')}`);
    assert.ok(
      repoRun.report.files.every((file) => !file.startsWith('node_modules/') && !file.startsWith('.git/')),
    );
    assert.deepEqual(repoRun.report.problems, []);
    assert.equal(repoRun.code, 0);
  });

  it('exits 1 and lists every fixture when there are problems', () => {
    assert.equal(fixtureRun.code, 1);
    assert.deepEqual(
      fixtureRun.report.files.map((file) => path.basename(file)).sort(),
      Object.keys(FIXTURES).sort(),
    );
  });

  it('reports a syntax error on its line', () => {
    const problems = problemsOf('syntax-error.ps1');
    assert.ok(problems.length > 0);
    assert.ok(problems.every((problem) => problem.rule === RULE_SYNTAX));
    assert.equal(Math.min(...problems.map((problem) => problem.line)), 4, JSON.stringify(problems));
    assert.ok(problems.every((problem) => problem.line === 4 && problem.column >= 1));
  });

  it('reports a missing closing brace as a missing node', () => {
    const problems = problemsOf('missing-brace.ps1');
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0]?.rule, RULE_SYNTAX);
    assert.match(problems[0]?.message ?? '', /missing "\}"/);
    assert.equal(problems[0]?.line, 5);
  });

  it('reports $(...) on a script parameter inside a double-quoted string', () => {
    const problems = problemsOf('param-subexpression.ps1');
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0]?.rule, RULE_PARAMETER_SUBEXPRESSION);
    assert.equal(problems[0]?.line, 5);
    assert.equal(problems[0]?.column, 24);
    assert.match(problems[0]?.message ?? '', /\$MaxUserPort/);
  });

  it('reports $using: variables and configuration parameters in $(...)', () => {
    const problems = problemsOf('using-subexpression.ps1');
    assert.deepEqual(
      problems.map((problem) => [problem.rule, problem.line]),
      [
        [RULE_PARAMETER_SUBEXPRESSION, 5],
        [RULE_PARAMETER_SUBEXPRESSION, 10],
      ],
    );
    assert.match(problems[0]?.message ?? '', /\$using:SiteConfigPath/);
    assert.match(problems[1]?.message ?? '', /\$SiteConfigPath/);
  });

  it('reports function parameters, in strings and here-strings', () => {
    const problems = problemsOf('function-parameter.ps1');
    assert.deepEqual(
      problems.map((problem) => [problem.rule, problem.line]),
      [
        [RULE_PARAMETER_SUBEXPRESSION, 3],
        [RULE_PARAMETER_SUBEXPRESSION, 7],
      ],
    );
  });

  it('does not report locals in $(...), -f formatting, single quotes or plain $Name', () => {
    assert.deepEqual(problemsOf('clean.ps1'), []);
  });
});

describe('parseVariableName', () => {
  it('strips sigil, braces and scope', () => {
    assert.deepEqual(parseVariableName('$MaxUserPort'), { scope: '', name: 'maxuserport' });
    assert.deepEqual(parseVariableName('$using:SiteConfigPath'), { scope: 'using', name: 'siteconfigpath' });
    assert.deepEqual(parseVariableName('${script:X}'), { scope: 'script', name: 'x' });
    assert.deepEqual(parseVariableName('@Splat'), { scope: '', name: 'splat' });
  });
});

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
    assert.deepEqual(assigned, ['DynamicPortRangeNumberOfPorts', 'DynamicPortRangeStartPort', 'IsSingleInstance', 'MaxUserPort', 'SiteConfigContentBase64Url', 'SiteConfigPathBase64Url', 'SiteConfigSha256', 'TcpTimedWaitDelay']);
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
