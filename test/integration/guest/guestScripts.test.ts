/**
 * The guest module and the script texts built from it: Limits.psd1 generated from domain/limits.ts,
 * the assembly of the run-command and collector scripts, the DSC archive, and two rules across every
 * guest file: no reboot request, and the registry and netsh logic written once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  COLLECTOR_SCRIPT,
  DSC_CONFIGURATION,
  GUEST_MODULE,
  RUN_COMMAND_SCRIPT,
  assembleGuestScript,
  dscArchiveEntries,
  guestModuleFiles,
  guestModuleFunctions,
  inDependencyOrder,
  readGuestScript,
  renderGuestLimits,
} from '../../../components/guestScripts';
import { DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START, HIGHEST_PORT, MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS } from '../../../domain/limits';
import { REPO_ROOT } from '../../support/powershell';

/** Every PowerShell file under guest/, with its text. */
function guestFiles(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ps[dm]?1$/.test(entry.name)) out.push({ file: path.relative(REPO_ROOT, full), text: fs.readFileSync(full, 'utf8') });
    }
  };
  walk(path.join(REPO_ROOT, 'guest'));
  return out;
}

const FUNCTION_DEFINITION = /^function ([A-Za-z]+-[A-Za-z0-9]+)\b/gm;

/** A function file of the module (one function each): where the registry and netsh logic lives. */
const MODULE_FUNCTION_FILE = /modules[\\/]MailhostTcpTuning[\\/](Private|Public)[\\/][^\\/]+\.ps1$/;

describe('Limits.psd1', () => {
  it('is the rendering of domain/limits.ts (run `npm run guest:limits` after changing the limits)', () => {
    assert.equal(fs.readFileSync(GUEST_MODULE.limitsFile, 'utf8'), renderGuestLimits());
  });

  it('holds the ranges and the Windows defaults of domain/limits.ts', () => {
    const text = renderGuestLimits();
    const ranges: [string, { min: number; max: number; unit: string }][] = [
      ['MaxUserPort', MAX_USER_PORT],
      ['TcpTimedWaitDelay', TCP_TIMED_WAIT_DELAY],
      ['DynamicPortRangeStartPort', DYNAMIC_PORT_RANGE_START],
      ['DynamicPortRangeNumberOfPorts', DYNAMIC_PORT_RANGE_COUNT],
    ];
    for (const [name, range] of ranges) {
      assert.match(text, new RegExp(`^    ${name} += @\\{ Min = ${range.min}; Max = ${range.max}; Unit = '${range.unit}' \\}\\r$`, 'm'), name);
    }
    assert.match(text, new RegExp(`^    HighestPort += ${HIGHEST_PORT}\\r$`, 'm'));
    assert.match(text, new RegExp(`^        TcpTimedWaitDelay += ${WINDOWS_DEFAULTS.tcpTimedWaitDelay}\\r$`, 'm'));
    assert.match(text, /^ {8}MaxUserPort += \$null\r$/m);
    // eslint-disable-next-line no-control-regex -- ASCII is \x00 to \x7F
    assert.match(text, /^[\x00-\x7F]*$/, 'ASCII only (Windows PowerShell 5.1 reads files without a BOM as ANSI)');
  });
});

describe('assembleGuestScript', () => {
  for (const [label, entry] of [['run command', RUN_COMMAND_SCRIPT.file], ['collector', COLLECTOR_SCRIPT.file]] as const) {
    it(`${label}: one self-contained text, the same every time, holding each function it uses once`, () => {
      const text = assembleGuestScript(entry);
      assert.equal(assembleGuestScript(entry), text);
      assert.equal(readGuestScript(entry), text, 'readGuestScript sends the assembled text');
      assert.doesNotMatch(text, /Import-PowerShellDataFile|\$PSScriptRoot|^\. /m, 'no file loaded at run time');
      assert.ok(text.includes(`$script:MailhostTcpTuningLimits = @{`), 'the limits are inlined');
      const defined = [...text.matchAll(FUNCTION_DEFINITION)].map((m) => m[1]!);
      assert.equal(new Set(defined).size, defined.length, 'no function twice');
      const known = new Set(guestModuleFunctions().map((fn) => fn.name));
      // Every Verb-Mailhost... command the text calls is defined in it.
      for (const call of new Set([...text.matchAll(/\b([A-Z][a-z]+-Mailhost[A-Za-z0-9]+)\b/g)].map((m) => m[1]!))) {
        if (known.has(call)) assert.ok(defined.includes(call), `${label} calls ${call} but does not define it`);
      }
      // The entry's own text is kept around the region.
      const source = fs.readFileSync(entry, 'utf8');
      const head = source.slice(0, source.indexOf('#region MailhostTcpTuning functions'));
      assert.ok(text.startsWith(head));
    });
  }

  it('collector: takes only reading functions of the module (it changes nothing on the host)', () => {
    const defined = [...assembleGuestScript(COLLECTOR_SCRIPT.file).matchAll(FUNCTION_DEFINITION)].map((m) => m[1]!);
    assert.ok(defined.includes('Get-MailhostTcpipValue') && defined.includes('Get-MailhostDynamicPortRange'));
    assert.deepEqual(defined.filter((name) => /^(Set|Write|New|Remove)-/.test(name)), []);
  });

  it('run command: takes the tuning and its writing edges', () => {
    const defined = [...assembleGuestScript(RUN_COMMAND_SCRIPT.file).matchAll(FUNCTION_DEFINITION)].map((m) => m[1]!);
    for (const name of ['Set-MailhostTcpTuning', 'Set-MailhostRegistryValue', 'Set-MailhostNetshDynamicPort', 'Write-MailhostFileAtomic', 'Set-MailhostRebootMarker', 'Write-MailhostCorrectionEvent', 'Write-MailhostEventLogEntry']) {
      assert.ok(defined.includes(name), name);
    }
    assert.ok(!defined.includes('Get-MailhostLcmConfigurationMode'), 'functions it does not use stay out');
  });

  it('refuses an entry file without the module region', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailhost-assemble-'));
    try {
      const file = path.join(dir, 'entry.ps1');
      fs.writeFileSync(file, 'param([string]$A)\nGet-MailhostTcpipValue -Name $A\n');
      assert.throws(() => assembleGuestScript(file), /no "#region MailhostTcpTuning functions"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('joins the functions in dependency order, each once, without their help blocks', () => {
    const all = new Map(guestModuleFunctions().map((fn) => [fn.name, fn]));
    for (const entry of [RUN_COMMAND_SCRIPT.file, COLLECTOR_SCRIPT.file]) {
      const text = assembleGuestScript(entry);
      const region = text.slice(text.indexOf('#region MailhostTcpTuning functions'), text.indexOf('#endregion MailhostTcpTuning functions'));
      const defined = [...region.matchAll(FUNCTION_DEFINITION)].map((m) => m[1]!);
      assert.ok(defined.length > 5, entry);
      defined.forEach((name, at) => {
        const fn = all.get(name);
        assert.ok(fn, `${name} is a module function`);
        assert.ok(region.includes(fn.text.replace(/\r?\n/g, '\r\n')), `${name}: its definition as its file holds it`);
        // Every function it uses is defined, and before it.
        for (const used of fn.uses) {
          const usedAt = defined.indexOf(used);
          assert.ok(usedAt >= 0 && usedAt < at, `${entry}: ${name} uses ${used}, which must come first`);
        }
      });
      assert.doesNotMatch(region, /\.SYNOPSIS|\.PARAMETER/, 'no help blocks in the shipped text');
    }
  });

  it('reads each function from its own file and refuses a file that holds code outside its function or another function', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailhost-functions-'));
    try {
      fs.cpSync(path.join(REPO_ROOT, 'guest'), root, { recursive: true });
      const file = path.join(root, 'modules', 'MailhostTcpTuning', 'Private', 'Format-MailhostRange.ps1');
      const original = fs.readFileSync(file, 'utf8');
      assert.ok(guestModuleFunctions(root).some((fn) => fn.name === 'Format-MailhostRange' && fn.scope === 'Private' && fn.uses.length === 0));
      fs.writeFileSync(file, `${original}$script:Extra = 1\r\n`);
      assert.throws(() => guestModuleFunctions(root), /Format-MailhostRange\.ps1: code outside the function Format-MailhostRange: \$script:Extra = 1/);
      fs.writeFileSync(file, original.replace('function Format-MailhostRange {', 'function Format-MailhostSpan {'));
      assert.throws(() => guestModuleFunctions(root), /no definition "function Format-MailhostRange \{"/);
      fs.writeFileSync(file, original);
      fs.writeFileSync(path.join(root, 'modules', 'MailhostTcpTuning', 'Public', 'Format-MailhostRange.ps1'), original);
      assert.throws(() => guestModuleFunctions(root), /defined twice/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('orders functions after the functions they use, and refuses functions that use each other', () => {
    const fn = (name: string, uses: string[]) => ({ name, uses, scope: 'Private' as const, file: `${name}.ps1`, text: '' });
    const functions = [fn('Get-A', ['Get-C', 'Get-B']), fn('Get-B', ['Get-C']), fn('Get-C', []), fn('Get-D', [])];
    assert.deepEqual(inDependencyOrder(['Get-A'], functions).map((f) => f.name), ['Get-C', 'Get-B', 'Get-A']);
    assert.deepEqual(inDependencyOrder(['Get-D', 'Get-A'], functions).map((f) => f.name), ['Get-C', 'Get-B', 'Get-A', 'Get-D']);
    assert.throws(() => inDependencyOrder(['Get-A'], [fn('Get-A', ['Get-B']), fn('Get-B', ['Get-A'])]), /use each other: Get-A -> Get-B -> Get-A/);
    assert.throws(() => inDependencyOrder(['Get-X'], functions), /has no function Get-X/);
  });

  it('the DSC configuration is sent as it is', () => {
    assert.equal(readGuestScript(DSC_CONFIGURATION.file), fs.readFileSync(DSC_CONFIGURATION.file, 'utf8'));
  });
});

describe('guest module files and the DSC archive', () => {
  it('the module folder holds the manifest, the root module, Limits.psd1 and one file per function under Private/ and Public/', () => {
    const functions = guestModuleFunctions();
    assert.ok(functions.length > 40, 'the module functions are found');
    assert.deepEqual(
      guestModuleFiles().map((entry) => entry.name),
      [
        'Limits.psd1',
        'MailhostTcpTuning.psd1',
        'MailhostTcpTuning.psm1',
        ...functions.map((fn) => `${fn.scope}/${fn.name}.ps1`).sort(),
      ].sort(),
    );
    const manifest = fs.readFileSync(path.join(GUEST_MODULE.dir, 'MailhostTcpTuning.psd1'), 'utf8');
    assert.match(manifest, new RegExp(`ModuleVersion += '${GUEST_MODULE.version.replace(/\./g, '\\.')}'`));
    assert.match(manifest, /DscResourcesToExport = @\('MailhostTcpTuning'\)/);
  });

  it('the manifest exports exactly the functions of Public/', () => {
    const manifest = fs.readFileSync(path.join(GUEST_MODULE.dir, 'MailhostTcpTuning.psd1'), 'utf8');
    const block = /FunctionsToExport += @\(([^)]*)\)/.exec(manifest);
    assert.ok(block, 'FunctionsToExport');
    const exported = [...block[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
    const pub = guestModuleFunctions().filter((fn) => fn.scope === 'Public').map((fn) => fn.name).sort();
    assert.ok(pub.length > 0);
    assert.deepEqual(exported, pub);
  });

  it('the DSC archive holds the configuration at its root and the module folder next to it', () => {
    assert.deepEqual(
      dscArchiveEntries().map((entry) => entry.name),
      [DSC_CONFIGURATION.script, ...guestModuleFiles().map((entry) => `MailhostTcpTuning/${entry.name}`)],
    );
    for (const entry of dscArchiveEntries()) assert.ok(fs.existsSync(entry.file), entry.file);
  });
});

describe('every guest file', () => {
  it('requests no reboot (no DSCMachineStatus, no RebootNodeIfNeeded = $true, no Restart-Computer, no shutdown)', () => {
    const texts = [
      ...guestFiles(),
      { file: 'assembled run command', text: assembleGuestScript(RUN_COMMAND_SCRIPT.file) },
      { file: 'assembled collector', text: assembleGuestScript(COLLECTOR_SCRIPT.file) },
    ];
    assert.ok(texts.length >= 8);
    const offenders: string[] = [];
    for (const { file, text } of texts) {
      for (const pattern of [/DSCMachineStatus/i, /RebootNodeIfNeeded\s*=\s*\$true/i, /Restart-Computer/i, /shutdown(\.exe)?\s+[/-]r/i, /Win32Shutdown|InitiateSystemShutdown/i]) {
        if (pattern.test(text)) offenders.push(`${file}: ${pattern}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('writes the registry and netsh logic once: in the module functions only', () => {
    const offenders: string[] = [];
    for (const { file, text } of guestFiles()) {
      if (MODULE_FUNCTION_FILE.test(file)) continue;
      const code = text.replace(/<#[\s\S]*?#>/g, '').replace(/#.*$/gm, '');
      for (const pattern of [/netsh/i, /Services\\Tcpip\\Parameters/i, /Microsoft\.Win32\.Registry/i, /(Get|Set|New|Remove)-ItemProperty/i, /Cryptography\.SHA256/i, /File\]::Replace/i, /FromBase64String/i]) {
        if (pattern.test(code)) offenders.push(`${file}: ${pattern}`);
      }
    }
    assert.deepEqual(offenders, []);
    const names = guestModuleFunctions().map((fn) => fn.name);
    for (const { file, text } of guestFiles()) {
      if (MODULE_FUNCTION_FILE.test(file)) continue;
      for (const match of text.matchAll(FUNCTION_DEFINITION)) assert.ok(!names.includes(match[1]!), `${file} redefines ${match[1]}`);
    }
  });
});
