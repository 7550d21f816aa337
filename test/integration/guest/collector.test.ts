/**
 * Checks of the read-only drift collector `guest/collector/Get-MailhostState.ps1`.
 *
 * Checked statically here (syntax and the repository's AST rules are checked with the real
 * PowerShell parser under Pester: test/integration/guest/lint.Tests.ps1):
 *   1. read-only: a scanner over the comment-stripped source rejects anything that writes
 *      (cmdlets with state-changing verbs, netsh/reg writes, registry and file API writes, output
 *      redirection to files, ...). The scanner itself is tested on small strings, so the check
 *      cannot pass silently;
 *   2. the document: the keys of the `[ordered]@{...}` dictionary handed to `ConvertTo-Json`, and
 *      `-Compress`.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT } from '../../support/powershell';
import { assembleGuestScript } from '../../../components/guestScripts';
const COLLECTOR = 'guest/collector/Get-MailhostState.ps1';

/** Keys `domain/drift.ts` requires, plus `Errors`. */
const REQUIRED_KEYS = [
  'MaxUserPort',
  'TcpTimedWaitDelay',
  'DynamicPortRangeStartPort',
  'DynamicPortRangeNumberOfPorts',
  'MailboxCacheTTL',
  'SiteConfigSha256',
  'RebootPending',
  'LcmConfigurationMode',
  'CollectedAt',
  'Errors',
];
/** Extra keys the collector adds for diagnosis. */
const EXTRA_KEYS = ['DynamicPortRangeIPv6StartPort', 'DynamicPortRangeIPv6NumberOfPorts', 'AutoReusePortRangeStartPort', 'AutoReusePortRangeNumberOfPorts', 'RebootPendingReasons', 'WrongKind', 'PortUsage'];

// ------------------------------------------------------------------------------------------------
// Comment stripping
// ------------------------------------------------------------------------------------------------

const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);
const DOUBLE_QUOTES = new Set(['"', '\u201C', '\u201D', '\u201E']);
/** A `#` starts a comment only where a token can start; inside a bare word (`a#b`) it does not. */
const TOKEN_START_BEFORE = /[\s;(){}|,=&]/;

/** Replaces every character except line breaks with a space, so that positions stay put. */
function blank(text: string): string {
  return text.replace(/[^\r\n]/g, ' ');
}

/**
 * The source with `<# ... #>` block comments and `#` line comments blanked out. Strings
 * (quoted and here-strings) are kept: a `#` inside a string is not a comment, and whatever a
 * string holds is still scanned. When in doubt the text is kept, never dropped.
 */
function stripComments(source: string): string {
  let out = '';
  let index = 0;
  const length = source.length;
  const atLineStart = (at: number): boolean => at === 0 || source[at - 1] === '\n';
  while (index < length) {
    const char = source[index] ?? '';
    const next = source[index + 1] ?? '';
    // Here-strings: @' or @" at the end of a line, closed by '@ or "@ at the start of a line.
    if (char === '@' && (next === "'" || next === '"') && /^[ \t]*\r?\n/.test(source.slice(index + 2))) {
      const close = new RegExp(`\\n${next}@`, 'g');
      close.lastIndex = index + 2;
      const found = close.exec(source);
      const end = found ? found.index + found[0].length : length;
      out += source.slice(index, end);
      index = end;
      continue;
    }
    if (SINGLE_QUOTES.has(char)) {
      let end = index + 1;
      while (end < length) {
        if (SINGLE_QUOTES.has(source[end] ?? '')) {
          if (SINGLE_QUOTES.has(source[end + 1] ?? '')) {
            end += 2; // '' is an escaped quote
            continue;
          }
          break;
        }
        end += 1;
      }
      out += source.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    if (DOUBLE_QUOTES.has(char)) {
      let end = index + 1;
      while (end < length) {
        const c = source[end] ?? '';
        if (c === '`') {
          end += 2;
          continue;
        }
        if (DOUBLE_QUOTES.has(c)) {
          if (DOUBLE_QUOTES.has(source[end + 1] ?? '')) {
            end += 2;
            continue;
          }
          break;
        }
        end += 1;
      }
      out += source.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    if (char === '`') {
      // An escaped character in code (`# is not a comment).
      out += source.slice(index, index + 2);
      index += 2;
      continue;
    }
    if (char === '<' && next === '#') {
      const end = source.indexOf('#>', index + 2);
      const stop = end < 0 ? length : end + 2;
      out += blank(source.slice(index, stop));
      index = stop;
      continue;
    }
    if (char === '#' && (atLineStart(index) || TOKEN_START_BEFORE.test(source[index - 1] ?? ''))) {
      let stop = source.indexOf('\n', index);
      if (stop < 0) stop = length;
      out += blank(source.slice(index, stop));
      index = stop;
      continue;
    }
    out += char;
    index += 1;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Write scanner
// ------------------------------------------------------------------------------------------------

interface WriteFinding {
  rule: string;
  /** 1-based. */
  line: number;
  text: string;
}

/** Cmdlet verbs that change state (approved verbs of that kind, and the brief's list). */
const WRITING_VERBS = [
  'Set', 'New', 'Remove', 'Restart', 'Stop', 'Start', 'Clear', 'Rename', 'Move', 'Copy',
  'Install', 'Uninstall', 'Enable', 'Disable', 'Register', 'Unregister', 'Export', 'Add',
  'Update', 'Publish', 'Unpublish', 'Reset', 'Restore', 'Suspend', 'Resume', 'Save', 'Mount',
  'Dismount', 'Grant', 'Revoke', 'Block', 'Unblock', 'Protect', 'Unprotect', 'Lock', 'Unlock',
  'Initialize', 'Invoke', 'Checkpoint', 'Compress', 'Expand', 'Sync', 'Repair', 'Optimize',
  'Send', 'Submit', 'Deploy', 'Backup', 'Undo', 'Redo', 'Edit', 'Merge',
];

/** Aliases of writing cmdlets and executables, in command position. */
const WRITING_ALIASES = [
  'ac', 'cp', 'cpi', 'cpp', 'copy', 'del', 'erase', 'ri', 'rm', 'rd', 'rmdir', 'rp', 'rni', 'rnp',
  'ren', 'mi', 'mv', 'move', 'mp', 'ni', 'md', 'mkdir', 'si', 'sp', 'sc', 'sv', 'set', 'nv', 'rv',
  'clc', 'cli', 'clp', 'clv', 'iex', 'icm', 'ii', 'saps', 'start', 'spps', 'kill', 'spsv', 'sasv',
  'tee', 'sal', 'nal', 'epal', 'epcsv', 'epsn', 'ndr', 'rdr', 'mount', 'sbp', 'rbp', 'sajb', 'spjb',
];

const WRITE_RULES: ReadonlyArray<{ rule: string; pattern: RegExp }> = [
  {
    rule: 'writing-cmdlet',
    pattern: new RegExp(`(?<![\\w$-])(?:${WRITING_VERBS.join('|')})-\\w+`, 'gi'),
  },
  { rule: 'writing-cmdlet', pattern: /(?<![\w$-])(?:Out-(?:File|Printer)|Tee-Object|Format-Volume)\b/gi },
  { rule: 'invoke-expression', pattern: /(?<![\w$-])(?:Invoke-Expression|iex)(?![\w-])/gi },
  { rule: 'dsc-reruns-resources', pattern: /(?<![\w$-])(?:Get|Test)-DscConfiguration(?![\w-])/gi },
  {
    rule: 'writing-alias',
    pattern: new RegExp(`(?:^|[;|{(]|&&|\\|\\|)[ \\t]*(?:&[ \\t]*)?(?:${WRITING_ALIASES.join('|')})(?![\\w.:-])`, 'gim'),
  },
  { rule: 'netsh-write', pattern: /\bnetsh(?:\.exe)?\b[^\n]*\b(?:set|add|delete|reset|install|uninstall|import)\b/gi },
  { rule: 'reg-write', pattern: /\breg(?:\.exe)?\s+(?:add|delete|import|copy|restore|load|unload|save|export)\b/gi },
  { rule: 'sc-write', pattern: /\bsc(?:\.exe)?\s+(?:config|create|delete|stop|start|pause|continue|failure|sdset)\b/gi },
  {
    rule: 'writing-executable',
    pattern: /(?<![\w$.-])(?:shutdown|bcdedit|schtasks|wmic|diskpart|fsutil|icacls|takeown|setx|cacls|attrib)(?:\.exe)?\b/gi,
  },
  { rule: 'nested-shell', pattern: /(?<![\w$.-])(?:cmd|powershell|pwsh)(?:\.exe)?\s+[-/]/gi },
  {
    rule: 'registry-write',
    pattern: /\.(?:SetValue|CreateSubKey|DeleteValue|DeleteSubKey\w*|SetAccessControl|Flush)\s*\(/gi,
  },
  { rule: 'registry-write', pattern: /\.OpenSubKey\s*\([^)]*,\s*(?:\$true|[^)]*(?:ReadWriteSubTree|WriteKey|FullControl|SetValue))/gi },
  { rule: 'registry-write', pattern: /\[(?:Microsoft\.Win32\.)?Registry\]::SetValue/gi },
  {
    rule: 'file-write',
    pattern:
      /\[(?:System\.)?IO\.(?:File|Directory|FileInfo|DirectoryInfo)\]::(?:Write|Append|Replace|Delete|Move|Copy|Create|Set|Encrypt|Decrypt|Open(?!Read|Text))/gi,
  },
  {
    rule: 'file-write',
    pattern: /\.(?:Delete|MoveTo|CopyTo|Replace|Create|CreateSubdirectory|CreateText|AppendText|OpenWrite|Encrypt|Decrypt)\s*\(\s*(?!['"])/gi,
  },
  { rule: 'process-or-system-change', pattern: /\.(?:Put|Kill|InvokeMethod)\s*\(|::(?:SetEnvironmentVariable|Exit)\s*\(|\[(?:System\.)?Diagnostics\.Process\]::Start/gi },
];

/**
 * Output redirection: every `>` or `>>` is a write unless it redirects a stream to `$null`
 * (`2>$null`, `*>$null`, `>$null`) or merges streams (`2>&1`). Comparison operators are `-gt`
 * etc., so a `>` in PowerShell code is a redirection; a `>` inside a string is reported as well
 * (keep such text out of the collector).
 */
function redirections(code: string): Array<{ index: number; text: string }> {
  const found: Array<{ index: number; text: string }> = [];
  for (const match of code.matchAll(/>+/g)) {
    const after = code.slice(match.index + match[0].length);
    const toNull = /^[ \t]*\$null(?![\w:])/i.test(after);
    const merge = match[0].length === 1 && /^&[1-6]\b/.test(after) && /[1-6*]$/.test(code.slice(0, match.index));
    if (!toNull && !merge) {
      const lineStart = code.lastIndexOf('\n', match.index) + 1;
      const lineEnd = code.indexOf('\n', match.index);
      found.push({ index: match.index, text: code.slice(lineStart, lineEnd < 0 ? code.length : lineEnd).trim() });
    }
  }
  return found;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i += 1) if (text[i] === '\n') line += 1;
  return line;
}

/** Every write construct in the source, comments ignored. */
function findWrites(source: string): WriteFinding[] {
  const code = stripComments(source);
  const findings: WriteFinding[] = [];
  for (const { rule, pattern } of WRITE_RULES) {
    for (const match of code.matchAll(pattern)) {
      findings.push({ rule, line: lineOf(code, match.index), text: match[0].trim() });
    }
  }
  for (const { index, text } of redirections(code)) {
    findings.push({ rule: 'redirection', line: lineOf(code, index), text });
  }
  return findings.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}

// ------------------------------------------------------------------------------------------------
// Document keys
// ------------------------------------------------------------------------------------------------

/** Index just past the brace that closes the one at `open`, skipping strings. */
function closingBrace(code: string, open: number): number {
  let depth = 0;
  for (let index = open; index < code.length; index += 1) {
    const char = code[index];
    if (char === "'" || char === '"') {
      const end = code.indexOf(char, index + 1);
      if (end < 0) break;
      index = end;
      continue;
    }
    if (char === '{' || char === '(' || char === '[') depth += 1;
    else if (char === '}' || char === ')' || char === ']') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  assert.fail(`unbalanced brace at ${open}`);
}

/** Keys of a hashtable literal body: the `Name =` at the start of each top-level entry. */
function hashtableKeys(body: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let entry = '';
  const flush = (): void => {
    const match = /^\s*(?:'([^']+)'|"([^"]+)"|([A-Za-z_]\w*))\s*=(?!=)/.exec(entry);
    if (match) keys.push(match[1] ?? match[2] ?? match[3] ?? '');
    else assert.ok(entry.trim() === '', `not a hashtable entry: ${entry.trim()}`);
    entry = '';
  };
  for (let index = 0; index < body.length; index += 1) {
    const char = body[index] ?? '';
    if (char === "'" || char === '"') {
      const end = body.indexOf(char, index + 1);
      entry += body.slice(index, end + 1);
      index = end;
      continue;
    }
    if (char === '{' || char === '(' || char === '[') depth += 1;
    if (char === '}' || char === ')' || char === ']') depth -= 1;
    if (depth === 0 && (char === '\n' || char === ';')) flush();
    else entry += char;
  }
  flush();
  return keys;
}

interface DocumentShape {
  variable: string;
  keys: string[];
  convertCalls: string[];
}

/** The dictionary converted to JSON: `ConvertTo-Json -InputObject $x` or `$x | ConvertTo-Json`. */
function documentShape(source: string): DocumentShape {
  const code = stripComments(source);
  const convertCalls = [...code.matchAll(/^.*\bConvertTo-Json\b.*$/gim)].map((match) => match[0].trim());
  assert.equal(convertCalls.length, 1, `one ConvertTo-Json call expected: ${convertCalls.join(' | ')}`);
  const call = convertCalls[0] ?? '';
  const variable =
    /ConvertTo-Json\b.*-InputObject\s+\$(\w+)/i.exec(call)?.[1] ?? /\$(\w+)\s*\|\s*ConvertTo-Json\b/i.exec(call)?.[1];
  assert.ok(variable, `cannot tell what is converted: ${call}`);
  const assignments = [...code.matchAll(new RegExp(`^\\s*\\$${variable}\\s*=\\s*\\[ordered\\]\\s*@\\{`, 'gim'))];
  assert.equal(assignments.length, 1, `one [ordered]@{...} assignment to $${variable} expected`);
  const open = (assignments[0]?.index ?? 0) + (assignments[0]?.[0].length ?? 0) - 1;
  const close = closingBrace(code, open);
  return { variable, keys: hashtableKeys(code.slice(open + 1, close - 1)), convertCalls };
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------


/** The collector as Run Command receives it: the entry file assembled with the module functions it uses. */
let collector: string;

before(async () => {
  collector = assembleGuestScript(path.join(REPO_ROOT, COLLECTOR));
});

describe('collector: comment stripping', () => {
  it('blanks block and line comments but keeps strings and positions', () => {
    const source = [
      '<# Remove-Item x',
      '#>',
      "$a = '#not a comment' # Set-Item y",
      '$b = "x # y" ; #comment',
      'Get-Thing a#b',
      "@'",
      '# kept: here-string',
      "'@",
      '',
    ].join('\n');
    const stripped = stripComments(source);
    assert.equal(stripped.length, source.length);
    assert.equal(stripped.split('\n').length, source.split('\n').length);
    assert.doesNotMatch(stripped, /Remove-Item|Set-Item|#comment/);
    assert.match(stripped, /'#not a comment'/);
    assert.match(stripped, /"x # y"/);
    assert.match(stripped, /a#b/);
    assert.match(stripped, /# kept: here-string/);
  });
});

describe('collector: read-only scanner (self-test)', () => {
  const forbidden: Record<string, string> = {
    'Set-ItemProperty': "Set-ItemProperty -LiteralPath 'HKLM:\\X' -Name A -Value 1",
    'lower-case New-Item': "$null = new-item -Path 'C:\\x'",
    'Remove-Item': 'Remove-Item -LiteralPath $p',
    'Restart-Computer': 'Restart-Computer -Force',
    'Stop-Service': 'Stop-Service -Name x',
    'Start-Process': 'Start-Process notepad',
    'Clear-Content': 'Clear-Content $p',
    'Rename-Item': 'Rename-Item $a $b',
    'Move-Item': 'Move-Item $a $b',
    'Copy-Item': 'Copy-Item $a $b',
    'Install-Module': 'Install-Module X',
    'Enable-NetAdapter': 'Enable-NetAdapter -Name x',
    'Register-ScheduledTask': 'Register-ScheduledTask -TaskName x',
    'Export-Csv': '$x | Export-Csv C:\\x.csv',
    'Add-Content': "Add-Content -Path $p -Value 'x'",
    'Out-File': '$x | Out-File C:\\x.txt',
    'Tee-Object': '$x | Tee-Object -FilePath C:\\x.txt',
    'Invoke-Expression': 'Invoke-Expression $code',
    'iex alias': '$code | iex',
    'Invoke-CimMethod': 'Invoke-CimMethod -ClassName x -MethodName y',
    'Get-DscConfiguration': '$c = Get-DscConfiguration',
    'Set-StrictMode (a Set- verb all the same)': 'Set-StrictMode -Version Latest',
    'alias rm': 'rm C:\\x',
    'alias sp after a pipe': "$x | sp -Name a -Value 1",
    'netsh set': '& netsh.exe int ipv4 set dynamicport tcp start=1025 num=64510',
    'netsh add': 'netsh interface ipv4 add address x',
    'reg add': 'reg add HKLM\\SOFTWARE\\X /v A /d 1',
    'reg.exe delete': '& reg.exe delete HKLM\\SOFTWARE\\X /f',
    'reg import': 'reg import x.reg',
    'sc config': 'sc.exe config x start= disabled',
    'shutdown': 'shutdown /r /t 0',
    'nested shell': 'cmd /c del x',
    '.SetValue(': "$key.SetValue('A', 1)",
    '.CreateSubKey(': "$base.CreateSubKey('SOFTWARE\\X')",
    '.DeleteValue(': "$key.DeleteValue('A')",
    '.DeleteSubKeyTree(': "$key.DeleteSubKeyTree('X')",
    'writable OpenSubKey': "$base.OpenSubKey('X', $true)",
    '[IO.File]::WriteAllText': "[IO.File]::WriteAllText($p, 'x')",
    '[System.IO.File]::AppendAllText': "[System.IO.File]::AppendAllText($p, 'x')",
    '[IO.File]::Replace': '[System.IO.File]::Replace($a, $b, $c)',
    '[IO.File]::Delete': '[IO.File]::Delete($p)',
    '[IO.File]::Move': '[IO.File]::Move($a, $b)',
    '[IO.File]::Copy': '[IO.File]::Copy($a, $b)',
    '[IO.Directory]::CreateDirectory': '[System.IO.Directory]::CreateDirectory($d)',
    'FileInfo.Delete()': '(Get-Item $p).Delete()',
    'redirection >': "'x' > C:\\out.txt",
    'redirection >>': "'x' >> C:\\out.txt",
    'redirection 2> file': 'Get-Item $p 2> C:\\err.txt',
    'redirection *> file': 'Get-Item $p *> C:\\all.txt',
    'redirection to a variable path': '$x >$path',
    'redirection to $nullfile': '$x >$nullfile',
    'write after a comment on the same line is still code': "$a = 1 ; Remove-Item $p # comment",
  };

  for (const [name, source] of Object.entries(forbidden)) {
    it(`reports ${name}`, () => {
      assert.ok(findWrites(source).length > 0, `not reported: ${source}`);
    });
  }

  it('reports a write hidden after a string that holds #', () => {
    assert.ok(findWrites("$a = '#'; Remove-Item $p").length > 0);
    assert.ok(findWrites('$a = "#"; Set-Content $p x').length > 0);
  });

  it('does not report reads, comparisons, $null redirections or comments', () => {
    const source = [
      '<#',
      '.DESCRIPTION',
      '    Never calls Set-ItemProperty, reg add or netsh ... set; writes nothing > file.',
      '#>',
      '[CmdletBinding()]',
      'param([string]$SiteConfigPath)',
      "$ErrorActionPreference = 'Stop'",
      "# Remove-Item would be wrong here; so would '> out.txt'",
      "$value = Get-ItemProperty -LiteralPath 'HKLM:\\X' -Name A -ErrorAction Stop",
      "$item = Get-Item -LiteralPath 'HKLM:\\X'",
      "$key = $base.OpenSubKey('SOFTWARE\\X')",
      "$names = $key.GetValueNames(); $v = $key.GetValue('A', $null)",
      '$output = & netsh.exe int ipv4 show dynamicport tcp',
      '& reg.exe query HKLM\\SOFTWARE\\X 2>$null',
      'Get-Item $p *>$null',
      '$x = Get-Thing 2>&1',
      'if ($a -gt 1 -and $b -ge 2 -and $c -lt 3) { $null = 1 }',
      "$bytes = [System.IO.File]::ReadAllBytes($p); $lines = [IO.File]::ReadAllLines($p)",
      '$hash = (Get-FileHash -LiteralPath $p -Algorithm SHA256).Hash.ToLowerInvariant()',
      "$text = $text -replace 'a', 'b'; $t = $s.Replace('-', '')",
      '$mode = (Get-DscLocalConfigurationManager).ConfigurationMode',
      '$status = Get-DscConfigurationStatus -ErrorAction Stop',
      '$start = 1; $set = 2; $reset = $start + $set',
      "$state | ConvertTo-Json -Compress -Depth 3",
      '',
    ].join('\n');
    assert.deepEqual(findWrites(source), []);
  });
});

describe('collector: read-only', () => {
  it('contains no writing command, API call or redirection', () => {
    assert.deepEqual(findWrites(collector), []);
  });

  it('prints nothing but the document', () => {
    const code = stripComments(collector);
    assert.doesNotMatch(code, /(?<![\w$-])(?:Write|Out)-\w+/i, 'no Write-* / Out-* output commands');
    assert.doesNotMatch(code, /(?:^|[;|{(])[ \t]*(?:echo|write|print)\b/im, 'no echo/write aliases');
    assert.doesNotMatch(code, /\[Console\]::/i, 'no direct console output');
    for (const stream of ['Progress', 'Warning', 'Verbose', 'Information']) {
      assert.match(code, new RegExp(`^\\$${stream}Preference = 'SilentlyContinue'$`, 'm'), stream);
    }
    // The last statement outputs the JSON text, once.
    const statements = code.trimEnd().split('\n');
    assert.equal(statements[statements.length - 1]?.trim(), '$json');
  });
});

describe('collector: document', () => {
  it('converts one [ordered] dictionary holding exactly the expected keys, with -Compress', () => {
    const shape = documentShape(collector);
    const call = shape.convertCalls[0] ?? '';
    assert.match(call, /\s-Compress\b/i);
    assert.match(call, /\s-Depth\s+4\b/i);
    for (const key of REQUIRED_KEYS) {
      assert.ok(shape.keys.includes(key), `missing key ${key}`);
    }
    assert.deepEqual([...shape.keys].sort(), [...REQUIRED_KEYS, ...EXTRA_KEYS].sort());
    assert.equal(new Set(shape.keys).size, shape.keys.length, 'duplicate keys');
  });

  it('only assigns keys of that dictionary', () => {
    const shape = documentShape(collector);
    const code = stripComments(collector);
    const assigned = new Set<string>();
    for (const match of code.matchAll(new RegExp(`\\$${shape.variable}(?:\\['(\\w+)'\\]|\\.(\\w+))\\s*=(?!=)`, 'g'))) {
      assigned.add(match[1] ?? match[2] ?? '');
    }
    // The Tcpip values and the ranges are assigned in loops over their names (the Pester suite runs them).
    assert.ok(assigned.size >= REQUIRED_KEYS.length - 4, `few assignments found: ${[...assigned].join(', ')}`);
    for (const key of assigned) assert.ok(shape.keys.includes(key), `assigns unknown key ${key}`);
  });

  it('declares only [string]$SiteConfigPathBase64Url, decodes it and stops on errors', () => {
    const code = stripComments(collector);
    assert.match(code, /^\[CmdletBinding\(\)\]\s*param\s*\(\s*\[string\]\$SiteConfigPathBase64Url\s*\)/m);
    assert.match(code, /^\$ErrorActionPreference = 'Stop'$/m);
    assert.match(code, /ConvertFrom-MailhostBase64Url -Name 'SiteConfigPathBase64Url' -Value \$SiteConfigPathBase64Url/);
    assert.match(code, /\(Get-Date\)\.ToUniversalTime\(\)\.ToString\('o'\)/);
  });

  it('reads the reboot markers: the volatile key the tuning writes and the usual Windows ones', () => {
    const code = stripComments(collector);
    assert.ok(code.includes("return 'SOFTWARE\\MailhostIac\\TcpipRebootPendingUntilBoot'"), 'volatile marker key');
    assert.match(code, /Name = 'MailhostIacUntilBoot'\s+Test = \{ \$null -ne \(Get-MailhostRebootPendingSince\) \}/);
    for (const source of [
      'Component Based Servicing\\RebootPending',
      'WindowsUpdate\\Auto Update\\RebootRequired',
      "'PendingFileRenameOperations'",
    ]) {
      assert.ok(code.includes(source), source);
    }
  });
});
