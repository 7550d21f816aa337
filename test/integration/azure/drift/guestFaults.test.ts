/**
 * Faults at the guest boundary, against the ARM stand-in: what the collector and remediation
 * send over Run Command, registry values of the wrong kind, and a VM busy with another run command.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { ArmCompute } from "../../../../azure/arm";
import { BUSY_REASON, type DriftReport, driftExitCode, runDrift } from "../../../../cli/drift";
import { planOf } from "../../../../cli/plan";
import { type CollectorReport, REGISTRY_VALUE_TYPES, compareHost, hostStatus } from "../../../../domain/drift";
import { COMMAND_LINE_SAFE_PATTERN, fromBase64Url } from "../../../../domain/guestEncoding";
import { TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS, inRange } from "../../../../domain/limits";
import { type FleetPlan, STACK_TAG, planFleet, sha256Hex } from "../../../../domain/plan";
import { requireStackConfig } from "../../../../domain/config";
import { loadSiteConfigTemplate } from "../../../../content/siteConfigTemplate";
import { ArmStandIn, STAND_IN_TOKEN, type VmBehaviour } from "../../../support/armStandIn";
import { REPO_ROOT, stackFileConfig } from "../../../support/stacks";
import { inSyncReport } from "../../../support/collectorReports";
import { bindThroughCommandLine } from "../../../support/windowsCommandLine";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const prod = planOf(REPO_ROOT, "prod");
/** staging keeps the DSC extension (prod moved to Machine Configuration): the DSC-only cases use it. */
const dscPlan = planOf(REPO_ROOT, "staging");
const standIns: ArmStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

/** prod on Run Command, with a SiteConfig path and a setting value that a command line would break. */
function oddPlan(): FleetPlan {
  const raw = Object.fromEntries(
    Object.entries(stackFileConfig("prod"))
      .filter(([k]) => k.startsWith("mailhost:"))
      .map(([k, v]) => [k.slice("mailhost:".length), structuredClone(v)]),
  ) as any;
  raw.tcp.tuning = "runCommand";
  raw.siteConfig.path = "C:\\Program Files\\Mail Front End\\SiteConfig.cfg";
  raw.siteConfig.settings.Service.Banner = "100% & more ^_^";
  return planFleet("prodrc", requireStackConfig(raw), loadSiteConfigTemplate());
}

const inSync = inSyncReport;
const out = (r: CollectorReport) => JSON.stringify(r);

async function standIn(plan: FleetPlan, behaviours: Record<string, VmBehaviour>): Promise<ArmStandIn> {
  const s = await ArmStandIn.start(
    SUBSCRIPTION,
    plan.names.resourceGroup,
    plan.hosts.map((h) => ({
      name: h.name,
      tags: { [STACK_TAG]: plan.stack },
      behaviour: behaviours[h.name] ?? { stdout: out(inSync(plan)) },
    })),
  );
  standIns.push(s);
  return s;
}

function drift(s: ArmStandIn, plan: FleetPlan, options: Partial<Parameters<typeof runDrift>[0]> = {}): Promise<DriftReport> {
  const arm = new ArmCompute({
    subscriptionId: SUBSCRIPTION,
    endpoint: s.endpoint,
    tlsCa: s.ca,
    pollIntervalMs: 10,
    retryDelayMs: 10,
    maxRetries: 3,
    busyRetryDelayMs: 20,
    maxBusyRetryDelayMs: 200,
    credential: { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
  });
  return runDrift({ plan, arm, subscription: SUBSCRIPTION, timeoutSeconds: 30, ...options });
}

/** The `{name, value}` parameters of every run-command POST a VM received, from the raw bodies. */
function postedParameters(s: ArmStandIn, vm: string): Array<Array<{ name: string; value: string }>> {
  return (s.runCommandBodies.get(vm) ?? []).map((body) => (JSON.parse(body) as { parameters?: Array<{ name: string; value: string }> }).parameters ?? []);
}

const SAFE = new RegExp(COMMAND_LINE_SAFE_PATTERN);

describe("what the collector and remediation send over Run Command", () => {
  const odd = oddPlan();
  const first = odd.hosts[0].name;

  it("the collector's request carries only letters, digits, - and _, and its path arrives whole", async () => {
    const s = await standIn(odd, {});
    const r = await drift(s, odd);
    assert.equal(driftExitCode(r), 0, JSON.stringify(r.hosts[0]));
    for (const h of odd.hosts) {
      const [parameters] = postedParameters(s, h.name);
      assert.deepEqual(
        parameters.map((p) => p.name),
        ["SiteConfigPathBase64Url"],
      );
      for (const p of parameters) assert.match(p.value, SAFE, `${p.name} = ${p.value}`);
      const { bound, stray } = bindThroughCommandLine(parameters);
      assert.deepEqual(stray, []);
      assert.equal(fromBase64Url(bound.SiteConfigPathBase64Url), "C:\\Program Files\\Mail Front End\\SiteConfig.cfg");
    }
  });

  it("remediation sends the tuning parameters encoded, and they arrive whole", async () => {
    const s = await standIn(odd, {
      [first]: { stdout: (_script, parameters) => ("ContentHash" in parameters ? "{}" : out(inSync(odd, { MailboxCacheTTL: 60 }))) },
    });
    const r = await drift(s, odd, { remediate: true, yes: true });
    assert.equal(r.hosts[0].remediation?.outcome, "applied");
    const [, parameters] = postedParameters(s, first);
    for (const p of parameters) assert.match(p.value, SAFE, `${p.name} = ${p.value}`);
    const { bound, stray } = bindThroughCommandLine(parameters);
    assert.deepEqual(stray, []);
    const content = fromBase64Url(bound.SiteConfigContentBase64Url);
    assert.equal(content, odd.tuning.siteConfigContent);
    assert.match(content, /^Banner = 100% & more \^_\^\r$/m);
    assert.equal(bound.SiteConfigSha256, sha256Hex(content));
    assert.equal(fromBase64Url(bound.SiteConfigPathBase64Url), odd.tuning.siteConfigPath);
    assert.equal(bound.TcpTimedWaitDelay, String(odd.tuning.tcpTimedWaitDelay));
  });
});

/** A collector report with `name` of the wrong kind: the newer document, or only the older Errors form. */
function wrongKind(plan: FleetPlan, name: "MaxUserPort" | "TcpTimedWaitDelay", kind: string, data: string, shape: "new" | "old"): CollectorReport {
  return inSync(plan, {
    [name]: null,
    Errors: [`${name}: value is ${kind}, not DWord`],
    ...(shape === "new" ? { WrongKind: { [name]: { Kind: kind, Data: data } } } : {}),
  });
}

describe("a registry value of the wrong kind is drift, not unknown", () => {
  const first = prod.hosts[0].name;
  const effective = WINDOWS_DEFAULTS.tcpTimedWaitDelay;

  it('reg add without /t REG_DWORD: TcpTimedWaitDelay REG_SZ "30" is drifted, shown with what Windows uses', async () => {
    const s = await standIn(prod, { [first]: { stdout: out(wrongKind(prod, "TcpTimedWaitDelay", "String", "30", "new")) } });
    const r = await drift(s, prod);
    const h = r.hosts.find((x) => x.name === first)!;
    assert.equal(h.status, "drifted");
    assert.equal(driftExitCode(r), 1);
    assert.deepEqual(
      h.settings.find((x) => x.setting === "TcpTimedWaitDelay"),
      {
        setting: "TcpTimedWaitDelay",
        configKey: "mailhost:tcp.tcpTimedWaitDelay",
        desired: `${prod.tuning.tcpTimedWaitDelay} s`,
        actual: `REG_SZ "30", ignored: Windows uses ${effective} s`,
        status: "drifted",
        dangerous: !inRange(effective, TCP_TIMED_WAIT_DELAY),
      },
    );
    assert.equal(h.collectorErrors, undefined, "the wrong-kind entry is judged, not repeated as an error");
  });

  it("judges a document in the older shape (null plus the Errors entry only) the same way", () => {
    for (const name of ["MaxUserPort", "TcpTimedWaitDelay"] as const) {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(REGISTRY_VALUE_TYPES).filter((k) => k !== "DWord")), fc.string({ maxLength: 40 }), (kind, data) => {
          const newer = compareHost(prod.tuning, wrongKind(prod, name, kind, data, "new")).find((x) => x.setting === name)!;
          const older = compareHost(prod.tuning, wrongKind(prod, name, kind, data, "old")).find((x) => x.setting === name)!;
          assert.equal(newer.status, "drifted");
          assert.equal(older.status, "drifted");
          assert.equal(older.dangerous, newer.dangerous);
          assert.ok(newer.actual.startsWith(`${REGISTRY_VALUE_TYPES[kind]} ${JSON.stringify(data)}, ignored: Windows uses `), newer.actual);
          assert.ok(older.actual.startsWith(`${REGISTRY_VALUE_TYPES[kind]}, ignored: Windows uses `), older.actual);
        }),
        { numRuns: 50 },
      );
    }
  });

  it("is drift even where the default Windows falls back to is the desired value", () => {
    const wantsDefault = { ...prod.tuning, tcpTimedWaitDelay: effective };
    const setting = compareHost(wantsDefault, wrongKind(prod, "TcpTimedWaitDelay", "String", String(effective), "old")).find(
      (x) => x.setting === "TcpTimedWaitDelay",
    )!;
    assert.equal(setting.status, "drifted");
  });

  it("shows MaxUserPort of the wrong kind as no legacy cap, and maps .NET kinds to REG_* names", () => {
    const setting = compareHost(prod.tuning, wrongKind(prod, "MaxUserPort", "QWord", "65534", "new")).find((x) => x.setting === "MaxUserPort")!;
    assert.equal(setting.actual, 'REG_QWORD "65534", ignored: Windows uses no legacy cap');
    assert.equal(setting.status, "drifted");
    assert.equal(setting.dangerous, false);
  });

  it("keeps unknown for a value that truly cannot be read", () => {
    const report = inSync(prod, { TcpTimedWaitDelay: null, Errors: ["TcpTimedWaitDelay: Requested registry access is not allowed."] });
    assert.equal(hostStatus(compareHost(prod.tuning, report)), "unknown");
  });

  it("remediates a host whose only fault is a wrong-kind value (run command and DSC)", async () => {
    const odd = oddPlan();
    const target = odd.hosts[1].name;
    const s = await standIn(odd, {
      [target]: { stdout: (_script, parameters) => ("ContentHash" in parameters ? "{}" : out(wrongKind(odd, "TcpTimedWaitDelay", "String", "30", "old"))) },
    });
    const r = await drift(s, odd, { remediate: true, yes: true });
    assert.equal(r.hosts.find((h) => h.name === target)?.remediation?.outcome, "applied");
    assert.equal(s.scripts.get(target)!.length, 2, "collector, then the tuning script");
    assert.equal(s.scripts.get(odd.hosts[0].name)!.length, 1);

    const dscFirst = dscPlan.hosts[0].name;
    const d = await standIn(dscPlan, { [dscFirst]: { stdout: out(wrongKind(dscPlan, "MaxUserPort", "String", String(dscPlan.tuning.maxUserPort), "new")) } });
    await drift(d, dscPlan, { remediate: true, yes: true });
    assert.equal(d.extensionUpdates.get(dscFirst)?.length, 1);
    assert.equal(d.extensionUpdates.size, 1);
  });
});

describe("a busy Run Command (409 Conflict) is retried", () => {
  const first = prod.hosts[0].name;

  it("judges the host after two busy answers", async () => {
    const s = await standIn(prod, { [first]: { busy: 2, stdout: out(inSync(prod)) } });
    const r = await drift(s, prod);
    assert.equal(r.hosts.find((h) => h.name === first)?.status, "in-sync");
    assert.equal(s.runCommandPosts.get(first), 3);
    assert.equal(driftExitCode(r), 0);
  });

  it("reports unknown with the reason busy when the VM stays busy for the whole time limit", async () => {
    const timeoutSeconds = 2;
    const s = await standIn(prod, { [first]: { alwaysBusy: true } });
    const started = performance.now();
    const r = await drift(s, prod, { timeoutSeconds });
    const h = r.hosts.find((x) => x.name === first)!;
    assert.equal(h.status, "unknown");
    assert.equal(h.reason, BUSY_REASON);
    assert.ok(h.timings.ms < timeoutSeconds * 1000 + 1000, `${h.timings.ms} ms`);
    assert.ok(performance.now() - started < timeoutSeconds * 1000 + 5000);
    assert.ok((s.runCommandPosts.get(first) ?? 0) > 2, "it retried");
    for (const other of prod.hosts.slice(1)) assert.equal(r.hosts.find((x) => x.name === other.name)?.status, "in-sync");
    assert.equal(driftExitCode(r), 2);
  });
});
