/**
 * Contract tests across the guest boundary, with PowerShell running for real:
 *  - the collector, assembled as Run Command receives it, runs under pwsh against a fake machine
 *    (only its machine edges replaced); its real stdout is parsed by domain/drift.ts and compared
 *    with the plan;
 *  - the run-command tuning script, assembled, runs with the plan's values encoded as they travel
 *    (plain digits, base64url) and what it writes is compared with the plan.
 * Needs PowerShell 7: the PWSH environment variable, else scripts/guest-tools.ts provides it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COLLECTOR_SCRIPT, RUN_COMMAND_SCRIPT, assembleGuestScript } from '../../../components/guestScripts';
import { compareHost, hostStatus, parseCollectorOutput, type CollectorReport } from '../../../domain/drift';
import { WINDOWS_DEFAULTS } from '../../../domain/limits';
import { planOf } from '../../../cli/plan';
import { REPO_ROOT } from '../../support/stacks';
import { stackPlan } from '../../support/stackConfigs';
import { runCommandTuningParameters } from '../../../domain/plan';
import { guestTools } from '../../support/powershell';

/** pwsh: the PWSH environment variable, else the one scripts/guest-tools.ts provides (installed when missing). */
let PWSH = process.env.PWSH ?? 'pwsh';
const DRIVER = path.join(REPO_ROOT, 'test', 'integration', 'guest', 'Invoke-OnFakeMachine.ps1');
const plan = planOf(REPO_ROOT, 'prod');
const tuning = plan.tuning;

let dir: string;
let collector: string;
let runCommand: string;

before(async () => {
  if (process.env.PWSH === undefined) PWSH = (await guestTools()).pwsh;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailhost-contract-'));
  collector = path.join(dir, 'Get-MailhostState.ps1');
  runCommand = path.join(dir, 'Set-MailhostTuning.ps1');
  fs.writeFileSync(collector, assembleGuestScript(COLLECTOR_SCRIPT.file));
  fs.writeFileSync(runCommand, assembleGuestScript(RUN_COMMAND_SCRIPT.file));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Scenario {
  Tcpip?: Record<string, { Kind: string; Data: unknown }>;
  Ranges?: Record<string, { StartPort: number; NumberOfPorts: number }>;
  Language?: string;
  NetshFails?: Record<string, string>;
  AutoReuse?: { StartPort: number; NumberOfPorts: number };
  MarkerWrittenAt?: string;
  SiteConfigText?: string;
  Parameters?: Record<string, string>;
}

let counter = 0;
/** Runs a script on the fake machine; returns its stdout lines. */
function runOnFakeMachine(script: string, scenario: Scenario, dumpMachine = false): string[] {
  const file = path.join(dir, `scenario-${(counter += 1)}.json`);
  fs.writeFileSync(file, JSON.stringify(scenario));
  const args = ['-NoProfile', '-NonInteractive', '-File', DRIVER, '-ScriptPath', script, '-ScenarioPath', file];
  if (dumpMachine) args.push('-DumpMachine');
  const run = spawnSync(PWSH, args, { encoding: 'utf8', timeout: 120_000 });
  if (run.error) assert.fail(`cannot run ${PWSH} (${run.error.message}): install PowerShell 7.4+ or set PWSH`);
  assert.equal(run.status, 0, `pwsh exited ${run.status}: ${run.stderr}`);
  return run.stdout.split(/\r?\n/).filter((line) => line !== '');
}

/** A machine exactly as the plan wants it. */
function asPlanned(): Scenario {
  const range = { StartPort: tuning.dynamicPortRangeStart, NumberOfPorts: tuning.dynamicPortRangeCount };
  return {
    Tcpip: { MaxUserPort: { Kind: 'DWord', Data: tuning.maxUserPort }, TcpTimedWaitDelay: { Kind: 'DWord', Data: tuning.tcpTimedWaitDelay } },
    Ranges: { ipv4: range, ipv6: range },
    SiteConfigText: tuning.siteConfigContent,
  };
}

function collect(scenario: Scenario): { stdout: string; report: CollectorReport; raw: Record<string, unknown> } {
  const lines = runOnFakeMachine(collector, scenario);
  assert.equal(lines.length, 1, `one line: ${lines.join(' | ')}`);
  const stdout = lines[0]!;
  assert.ok(Buffer.byteLength(stdout, 'utf8') <= 4096);
  const parsed = parseCollectorOutput(stdout);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return { stdout, report: parsed.report, raw: JSON.parse(stdout) as Record<string, unknown> };
}

function setting(report: CollectorReport, name: string) {
  const found = compareHost(tuning, report).find((s) => s.setting === name);
  assert.ok(found, name);
  return found;
}

describe('collector stdout, parsed by domain/drift.ts', () => {
  it('a host as planned is in sync on every setting', () => {
    const { report } = collect(asPlanned());
    assert.equal(report.MaxUserPort, tuning.maxUserPort);
    assert.equal(report.TcpTimedWaitDelay, tuning.tcpTimedWaitDelay);
    assert.equal(report.DynamicPortRangeIPv6NumberOfPorts, tuning.dynamicPortRangeCount);
    assert.equal(report.SiteConfigSha256, tuning.siteConfigSha256);
    assert.equal(report.MailboxCacheTTL, tuning.mailboxCacheTtl);
    const settings = compareHost({ ...tuning, mechanism: 'runCommand' }, report);
    assert.deepEqual(settings.filter((s) => s.status !== 'in-sync'), []);
    assert.equal(hostStatus(settings), 'in-sync');
  });

  it('another DWORD is drifted, with the actual value', () => {
    const scenario = asPlanned();
    scenario.Tcpip!.MaxUserPort = { Kind: 'DWord', Data: tuning.maxUserPort - 1 };
    const { report } = collect(scenario);
    const mup = setting(report, 'MaxUserPort');
    assert.equal(mup.status, 'drifted');
    assert.match(mup.actual, new RegExp(String(tuning.maxUserPort - 1)));
  });

  it('a REG_SZ value comes in the old Errors form and the WrongKind field; the host is not in sync', () => {
    const scenario = asPlanned();
    scenario.Tcpip!.TcpTimedWaitDelay = { Kind: 'String', Data: String(tuning.tcpTimedWaitDelay) };
    const { report, raw } = collect(scenario);
    assert.equal(report.TcpTimedWaitDelay, null);
    assert.deepEqual(report.Errors, ['TcpTimedWaitDelay: value is String, not DWord']);
    assert.deepEqual(raw.WrongKind, { TcpTimedWaitDelay: { Kind: 'String', Data: String(tuning.tcpTimedWaitDelay) } });
    assert.notEqual(setting(report, 'TcpTimedWaitDelay').status, 'in-sync');
    assert.notEqual(String(WINDOWS_DEFAULTS.tcpTimedWaitDelay), String(tuning.tcpTimedWaitDelay), 'the case shows a value Windows ignores');
  });

  it('German netsh output is read; a failing netsh leaves that family unknown', () => {
    const scenario = { ...asPlanned(), Language: 'de', NetshFails: { ipv6: 'Der angeforderte Vorgang erfordert erhoehte Rechte.' } };
    const { report } = collect(scenario);
    assert.equal(setting(report, 'DynamicPortRange').status, 'in-sync');
    assert.equal(setting(report, 'DynamicPortRange (IPv6)').status, 'unknown');
  });

  it('a Tcpip write waiting for a reboot shows as a pending reboot of the tuning', () => {
    const { report } = collect({ ...asPlanned(), MarkerWrittenAt: new Date().toISOString() });
    assert.deepEqual(report.RebootPendingReasons, ['MailhostIacUntilBoot']);
    assert.equal(setting(report, 'PendingReboot').status, 'drifted');
  });
});

describe('run-command tuning, compared with the plan', () => {
  const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  const parameters = (sha = tuning.siteConfigSha256): Record<string, string> => ({
    MaxUserPort: String(tuning.maxUserPort),
    TcpTimedWaitDelay: String(tuning.tcpTimedWaitDelay),
    DynamicPortRangeStartPort: String(tuning.dynamicPortRangeStart),
    DynamicPortRangeNumberOfPorts: String(tuning.dynamicPortRangeCount),
    SiteConfigContentBase64Url: encode(tuning.siteConfigContent),
    SiteConfigSha256: sha,
    ContentHash: createHash('sha256').update('contract').digest('hex'),
  });

  it('writes what the plan says on a machine as Windows leaves it, as DWORDs, and marks the pending reboot', () => {
    const lines = runOnFakeMachine(runCommand, { Parameters: parameters() }, true);
    assert.equal(lines.length, 2, lines.join(' | '));
    const result = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(result, { RegistryChanged: true, RebootRequired: true, DynamicPortRangeChanged: true, AutoReusePortRangeChanged: false, SiteConfigChanged: true, ContentHash: parameters().ContentHash });
    const machine = JSON.parse(lines[1]!) as { Tcpip: Record<string, { Kind: string; Data: number }>; Ranges: Record<string, { StartPort: number; NumberOfPorts: number }>; Marker: boolean; SiteConfigSha256: string };
    assert.deepEqual(machine.Tcpip, { MaxUserPort: { Kind: 'DWord', Data: tuning.maxUserPort }, TcpTimedWaitDelay: { Kind: 'DWord', Data: tuning.tcpTimedWaitDelay } });
    for (const family of ['ipv4', 'ipv6']) {
      assert.deepEqual(machine.Ranges[family], { StartPort: tuning.dynamicPortRangeStart, NumberOfPorts: tuning.dynamicPortRangeCount });
    }
    assert.equal(machine.Marker, true);
    assert.equal(machine.SiteConfigSha256, tuning.siteConfigSha256);
  });

  it('on a machine as planned, changes nothing', () => {
    const lines = runOnFakeMachine(runCommand, { ...asPlanned(), Parameters: parameters() }, true);
    const result = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(result.RegistryChanged, false);
    assert.equal(result.DynamicPortRangeChanged, false);
    assert.equal(result.SiteConfigChanged, false);
    assert.equal((JSON.parse(lines[1]!) as { Marker: boolean }).Marker, false);
  });
});

describe('the auto-reuse port range across the guest boundary', () => {
  const managed = stackPlan('prod', (raw) => { raw.tcp.autoReusePortRange = { start: 40000, count: 20000 }; });
  const t = managed.tuning;
  const planned = (): Scenario => {
    const range = { StartPort: t.dynamicPortRangeStart, NumberOfPorts: t.dynamicPortRangeCount };
    return {
      Tcpip: { MaxUserPort: { Kind: 'DWord', Data: t.maxUserPort }, TcpTimedWaitDelay: { Kind: 'DWord', Data: t.tcpTimedWaitDelay } },
      Ranges: { ipv4: range, ipv6: range },
      SiteConfigText: t.siteConfigContent,
    };
  };
  /** The run-command parameters exactly as the component sends them, without the path (the driver adds its own). */
  const sent = (): Record<string, string> => Object.fromEntries(runCommandTuningParameters(t, 'contract').filter((p) => p.name !== 'SiteConfigPathBase64Url').map((p) => [p.name, p.value]));

  it('the run-command script sets the range the plan sends and marks the pending reboot; the collector reads it back in sync', () => {
    const lines = runOnFakeMachine(runCommand, { ...planned(), Parameters: sent() }, true);
    const result = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(result.AutoReusePortRangeChanged, true);
    assert.equal(result.RegistryChanged, false);
    assert.equal(result.RebootRequired, true);
    const machine = JSON.parse(lines[1]!) as { AutoReuse: { StartPort: number; NumberOfPorts: number }; Marker: boolean };
    assert.deepEqual(machine.AutoReuse, { StartPort: t.autoReusePortRange!.start, NumberOfPorts: t.autoReusePortRange!.count });
    assert.equal(machine.Marker, true);

    const { report } = collect({ ...planned(), AutoReuse: machine.AutoReuse, MarkerWrittenAt: new Date().toISOString() });
    assert.equal(report.AutoReusePortRangeStartPort, t.autoReusePortRange!.start);
    assert.equal(report.AutoReusePortRangeNumberOfPorts, t.autoReusePortRange!.count);
    const settings = compareHost(t, report);
    assert.equal(settings.find((s) => s.setting === 'AutoReusePortRange')?.status, 'in-sync');
    assert.match(settings.find((s) => s.setting === 'AutoReusePortRange')?.actual ?? '', /after the pending reboot/);
    assert.equal(settings.find((s) => s.setting === 'PendingReboot')?.status, 'drifted');
  });

  it('a plan without the range sends no parameter for it, and the script leaves the host\'s range alone', () => {
    const params = runCommandTuningParameters(tuning, 'contract').map((p) => p.name);
    assert.ok(!params.some((name) => name.startsWith('AutoReuse')), params.join(', '));
    const lines = runOnFakeMachine(runCommand, { ...asPlanned(), AutoReuse: { StartPort: 60000, NumberOfPorts: 300 }, Parameters: { ...Object.fromEntries(runCommandTuningParameters(tuning, 'contract').filter((p) => p.name !== 'SiteConfigPathBase64Url').map((p) => [p.name, p.value])) } }, true);
    const machine = JSON.parse(lines[1]!) as { AutoReuse: { StartPort: number; NumberOfPorts: number }; Marker: boolean };
    assert.deepEqual(machine.AutoReuse, { StartPort: 60000, NumberOfPorts: 300 });
    assert.equal(machine.Marker, false);
    assert.equal((JSON.parse(lines[0]!) as Record<string, unknown>).AutoReusePortRangeChanged, false);
  });

  it('the collector reports a range the host has as drift when the plan leaves it alone', () => {
    const { report } = collect({ ...asPlanned(), AutoReuse: { StartPort: 60000, NumberOfPorts: 300 } });
    assert.equal(report.AutoReusePortRangeNumberOfPorts, 300);
    assert.equal(setting(report, 'AutoReusePortRange').status, 'drifted');
  });
});
