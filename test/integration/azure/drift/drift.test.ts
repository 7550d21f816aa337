/**
 * `mailhost drift` against a local ARM stand-in: the real SDK client (HTTPS, bearer token,
 * paging, retries, long-running operations) and the real comparison, no Azure.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as fc from "fast-check";
import { ArmCompute, resendBodyOf } from "../../../../azure/arm";
import { COLLECTOR_SCRIPT, type DriftReport, driftExitCode, runDrift } from "../../../../cli/drift";
import { planOf } from "../../../../cli/plan";
import { main } from "../../../../cli/main";
import { type CollectorReport, parseCollectorOutput } from "../../../../domain/drift";
import { type FleetPlan, STACK_TAG } from "../../../../domain/plan";
import { readGuestScript, RUN_COMMAND_SCRIPT } from "../../../../components/guestScripts";
import { toBase64Url } from "../../../../domain/guestEncoding";
import { ArmStandIn, STAND_IN_TOKEN, type StandInVm, type VmBehaviour } from "../../../support/armStandIn";
import { assignmentRow } from "../../../support/graphRows";
import { REASON_CODE_PREFIX, expectedAssignment } from "../../../../domain/graphDrift";
import { readModuleFolder } from "../../../../content/moduleFolder";
import { GUEST_MODULE } from "../../../../components/guestScripts";
import { REPO_ROOT } from "../../../support/stacks";
import { inSyncReport } from "../../../support/collectorReports";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const prod = planOf(REPO_ROOT, "prod");
const dev = planOf(REPO_ROOT, "dev");
/** staging keeps the DSC extension (prod moved to Machine Configuration): the DSC-only cases use it. */
const dscPlan = planOf(REPO_ROOT, "staging");
const standIns: ArmStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

const inSync = inSyncReport;
const out = (r: CollectorReport) => JSON.stringify(r);

async function standIn(plan: FleetPlan, behaviours: Record<string, VmBehaviour>, extra: StandInVm[] = []): Promise<ArmStandIn> {
  const vms: StandInVm[] = plan.hosts.map((h) => ({
    name: h.name,
    tags: { [STACK_TAG]: plan.stack, environment: plan.stack },
    behaviour: behaviours[h.name] ?? { stdout: out(inSync(plan)) },
  }));
  const s = await ArmStandIn.start(SUBSCRIPTION, plan.names.resourceGroup, [...vms, ...extra]);
  standIns.push(s);
  return s;
}

function drift(
  s: ArmStandIn,
  plan: FleetPlan,
  options: Partial<Parameters<typeof runDrift>[0]> = {},
  arm: Partial<ConstructorParameters<typeof ArmCompute>[0]> = {},
): Promise<DriftReport> {
  const client = new ArmCompute({
    subscriptionId: SUBSCRIPTION,
    endpoint: s.endpoint,
    tlsCa: s.ca,
    pollIntervalMs: 10,
    retryDelayMs: 10,
    maxRetries: 3,
    credential: { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    ...arm,
  });
  return runDrift({ plan, arm: client, subscription: SUBSCRIPTION, timeoutSeconds: 30, ...options });
}

const host = (r: DriftReport, name: string) => r.hosts.find((h) => h.name === name)!;
const off = (r: DriftReport, name: string) =>
  host(r, name)
    .settings.filter((s) => s.status !== "in-sync")
    .map((s) => s.setting);
const first = prod.hosts[0].name;

describe("mailhost drift against the ARM stand-in", { concurrency: 4 }, () => {
  it("reports every host in sync (exit 0), running the read-only collector with the SiteConfig path", async () => {
    const s = await standIn(prod, {});
    const r = await drift(s, prod);
    assert.equal(driftExitCode(r), 0, JSON.stringify(r, null, 1));
    assert.deepEqual(
      r.hosts.map((h) => [h.name, h.status]),
      prod.hosts.map((h) => [h.name, "in-sync"]),
    );
    for (const h of prod.hosts) {
      const runs = s.scripts.get(h.name)!;
      assert.equal(runs.length, 1);
      assert.equal(runs[0].script, readGuestScript(COLLECTOR_SCRIPT).split(/\r?\n/).join("\n"));
      assert.deepEqual(runs[0].parameters, { SiteConfigPathBase64Url: toBase64Url(prod.tuning.siteConfigPath) });
    }
    assert.equal(s.unauthorized, 0);
  });

  const drifts: Array<[string, Partial<CollectorReport>, string]> = [
    ["MaxUserPort", { MaxUserPort: 60000 }, "MaxUserPort"],
    ["TcpTimedWaitDelay", { TcpTimedWaitDelay: 60 }, "TcpTimedWaitDelay"],
    ["the dynamic port range start", { DynamicPortRangeStartPort: 49152, DynamicPortRangeNumberOfPorts: 16383 }, "DynamicPortRange"],
    ["the dynamic port range size", { DynamicPortRangeNumberOfPorts: 16384 }, "DynamicPortRange"],
    ["the IPv6 dynamic port range", { DynamicPortRangeIPv6StartPort: 49152, DynamicPortRangeIPv6NumberOfPorts: 16384 }, "DynamicPortRange (IPv6)"],
    ["a reboot the tuning is waiting for", { RebootPending: true, RebootPendingReasons: ["MailhostIacMarker"] }, "PendingReboot"],
    ["MailboxCacheTTL", { MailboxCacheTTL: 1200 }, "MailboxCacheTTL"],
    ["the SiteConfig.cfg file", { SiteConfigSha256: "ab".repeat(32) }, "SiteConfig.cfg"],
    ["the LCM mode", { LcmConfigurationMode: "ApplyAndMonitor" }, "LcmConfigurationMode"],
  ];
  for (const [what, change, setting] of drifts) {
    it(`finds ${what} drifted on one host only (exit 1)`, async () => {
      // The LCM mode is checked on DSC hosts only.
      const plan = setting === "LcmConfigurationMode" ? dscPlan : prod;
      const one = plan.hosts[0].name;
      const s = await standIn(plan, { [one]: { stdout: out(inSync(plan, change)) } });
      const r = await drift(s, plan);
      assert.equal(driftExitCode(r), 1);
      assert.equal(host(r, one).status, "drifted");
      assert.deepEqual(off(r, one), [setting]);
      for (const h of plan.hosts.slice(1)) assert.equal(host(r, h.name).status, "in-sync");
    });
  }

  it("flags a configuration the DSC extension left behind on a Machine Configuration host", async () => {
    assert.equal(prod.tuning.mechanism, "machineConfiguration");
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { LcmConfigurationMode: "ApplyAndAutoCorrect" })) } });
    const r = await drift(s, prod, {}, {});
    assert.equal(host(r, first).status, "drifted");
    assert.deepEqual(off(r, first), ["LcmConfigurationMode"]);
    assert.match(host(r, first).settings.find((x) => x.setting === "LcmConfigurationMode")!.actual, /leftover LCM configuration/);
    for (const h of prod.hosts.slice(1)) assert.equal(host(r, h.name).status, "in-sync");
  });

  it("treats absent registry values as Windows' defaults", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { TcpTimedWaitDelay: null, MaxUserPort: null })) } });
    const r = await drift(s, prod);
    const settings = host(r, first).settings;
    assert.deepEqual(
      settings.find((x) => x.setting === "TcpTimedWaitDelay"),
      {
        setting: "TcpTimedWaitDelay",
        configKey: "mailhost:tcp.tcpTimedWaitDelay",
        desired: "30 s",
        actual: "absent (Windows default 120 s)",
        status: "drifted",
        dangerous: false,
      },
    );
    assert.equal(settings.find((x) => x.setting === "MaxUserPort")?.actual, "absent (Windows default none: no legacy cap)");
    // dev wants 120 s, which is what an absent value means: in sync.
    const d = await standIn(dev, { [dev.hosts[0].name]: { stdout: out(inSync(dev, { TcpTimedWaitDelay: null })) } });
    assert.equal((await drift(d, dev)).hosts[0].status, "in-sync");
  });

  it("does not count a reboot that Windows Update waits for as drift", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { RebootPending: true, RebootPendingReasons: ["WindowsUpdate"] })) } });
    const r = await drift(s, prod);
    assert.equal(host(r, first).status, "in-sync");
    assert.equal(host(r, first).rebootPending, true);
  });

  it("reports a value the collector could not read as unknown, not as Windows' default", async () => {
    const d = await standIn(dev, {
      [dev.hosts[0].name]: { stdout: out(inSync(dev, { TcpTimedWaitDelay: null, Errors: ["TcpTimedWaitDelay: Requested registry access is not allowed."] })) },
    });
    const r = await drift(d, dev);
    const setting = r.hosts[0].settings.find((x) => x.setting === "TcpTimedWaitDelay")!;
    assert.equal(setting.status, "unknown");
    assert.equal(setting.actual, "could not be read (TcpTimedWaitDelay: Requested registry access is not allowed.)");
    assert.equal(driftExitCode(r), 2);
  });

  it("flags a value outside the valid range as dangerous drift", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { TcpTimedWaitDelay: 400, MailboxCacheTTL: 30 })) } });
    const r = await drift(s, prod);
    const bad = host(r, first)
      .settings.filter((x) => x.dangerous)
      .map((x) => x.setting);
    assert.deepEqual(bad, ["TcpTimedWaitDelay", "MailboxCacheTTL"]);
  });

  it("retries a throttled run command (429 with Retry-After) and then succeeds", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod)), throttle: 1 } });
    const r = await drift(s, prod);
    assert.equal(host(r, first).status, "in-sync");
    assert.equal(s.runCommandPosts.get(first), 2);
  });

  it("gives up on 500s when the retry budget is spent, and still reports every other host (exit 2)", async () => {
    const s = await standIn(prod, { [first]: { alwaysFail500: true } });
    const r = await drift(s, prod, {}, { maxRetries: 2 });
    assert.equal(driftExitCode(r), 2);
    assert.equal(host(r, first).status, "unknown");
    assert.match(host(r, first).reason!, /^run command failed: .*\(HTTP 500\)/);
    assert.equal(s.runCommandPosts.get(first), 3, "the first try and two retries");
    for (const h of prod.hosts.slice(1)) assert.equal(host(r, h.name).status, "in-sync");
  });

  it("stops waiting for a host that never answers (per-host timeout)", async () => {
    const s = await standIn(prod, { [first]: { never: true } });
    const t0 = Date.now();
    const r = await drift(s, prod, { timeoutSeconds: 1 });
    assert.equal(r.error, undefined, "listing the VMs has its own time limit");
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(host(r, first).status, "unknown");
    assert.equal(host(r, first).reason, "run command failed: timed out: no answer within 1 s");
    assert.equal(driftExitCode(r), 2);
  });

  for (const [what, stdout, reason] of [
    ["empty", "", /printed nothing/],
    ["truncated", out(inSync(prod)).slice(0, 80), /not a JSON document .* truncated/],
    ["not JSON", "WARNING: something odd\nAccess denied", /not a JSON document/],
    ["JSON without the keys", '{"MaxUserPort": 65534}', /incomplete/],
  ] as const) {
    it(`reports ${what} collector output as unknown, with the reason`, async () => {
      const s = await standIn(prod, { [first]: { stdout } });
      const r = await drift(s, prod);
      assert.equal(host(r, first).status, "unknown");
      assert.match(host(r, first).reason!, reason);
    });
  }

  it("reports a failed run command as unknown", async () => {
    const s = await standIn(prod, { [first]: { operationFails: true } });
    const r = await drift(s, prod);
    assert.match(host(r, first).reason!, /^run command failed: /);
  });

  it("does not run anything on a deallocated VM and says so", async () => {
    const s = await standIn(prod, { [first]: { powerState: "deallocated", stdout: out(inSync(prod)) } });
    const r = await drift(s, prod);
    assert.equal(host(r, first).status, "unknown");
    assert.equal(host(r, first).reason, "the VM is deallocated; its guest cannot be read");
    assert.equal(s.runCommandPosts.get(first), undefined);
  });

  it("checks only the VMs that carry the stack's tag, and reports planned hosts that are missing", async () => {
    const stranger: StandInVm = { name: "vm-other", tags: { [STACK_TAG]: "staging" }, behaviour: { stdout: "" } };
    const s = await ArmStandIn.start(SUBSCRIPTION, prod.names.resourceGroup, [
      ...prod.hosts.slice(1).map((h) => ({ name: h.name, tags: { [STACK_TAG]: "prod" }, behaviour: { stdout: out(inSync(prod)) } })),
      stranger,
    ]);
    standIns.push(s);
    const r = await drift(s, prod);
    assert.equal(s.runCommandPosts.get("vm-other"), undefined);
    assert.match(host(r, first).reason!, /^not found in resource group rg-mailhost-prod with tag mailhost-stack=prod/);
  });

  it("checks 50 hosts with at most 8 in flight and reports every one", async () => {
    const big: FleetPlan = {
      ...prod,
      hosts: Array.from({ length: 50 }, (_, i) => ({ ...prod.hosts[0], index: i + 1, name: `vm-mail-prod-${String(i + 1).padStart(3, "0")}` })),
    };
    const behaviours = Object.fromEntries(
      big.hosts.map((h, i) => [h.name, { stdout: out(inSync(prod, i % 7 === 0 ? { MailboxCacheTTL: 600 } : {})), pollsInProgress: 3 }]),
    );
    const s = await standIn(big, behaviours);
    const r = await drift(s, big, { concurrency: 8 });
    assert.equal(r.hosts.length, 50);
    assert.ok(s.maxInFlight <= 8 && s.maxInFlight >= 2, `max in flight ${s.maxInFlight}`);
    assert.equal(r.hosts.filter((h) => h.status === "drifted").length, 8);
    assert.equal(r.hosts.filter((h) => h.status === "in-sync").length, 42);
  });
});

describe("mailhost drift --remediate", { concurrency: 2 }, () => {
  it("bumps the DSC forceUpdateTag on drifted hosts only, after confirmation", async () => {
    const first = dscPlan.hosts[0].name;
    const s = await standIn(dscPlan, { [first]: { stdout: out(inSync(dscPlan, { TcpTimedWaitDelay: 240 })) } });
    const questions: string[] = [];
    const r = await drift(s, dscPlan, {
      remediate: true,
      confirm: async (q) => {
        questions.push(q);
        return true;
      },
    });
    assert.equal(questions.length, 1);
    assert.match(questions[0], new RegExp(`on 1 drifted host\\(s\\): ${first}\\?$`));
    assert.deepEqual([...s.extensionUpdates.keys()], [first]);
    assert.equal(s.extensionUpdates.get(first)![0].extension, "Microsoft.Powershell.DSC");
    assert.match(s.extensionUpdates.get(first)![0].forceUpdateTag, /^remediate-/);
    assert.equal(host(r, first).remediation?.outcome, "applied");
    for (const h of dscPlan.hosts.slice(1)) assert.equal(host(r, h.name).remediation, undefined);
  });

  it("changes nothing when the answer is no", async () => {
    const first = dscPlan.hosts[0].name;
    const s = await standIn(dscPlan, { [first]: { stdout: out(inSync(dscPlan, { TcpTimedWaitDelay: 240 })) } });
    const r = await drift(s, dscPlan, { remediate: true, confirm: async () => false });
    assert.equal(s.extensionUpdates.size, 0);
    assert.equal(host(r, first).remediation?.outcome, "not confirmed");
  });

  it("runs the tuning script again on drifted run-command hosts only, with --yes", async () => {
    const three: FleetPlan = { ...dev, hosts: [0, 1, 2].map((i) => ({ ...dev.hosts[0], index: i + 1, name: `vm-mail-dev-00${i + 1}` })) };
    const tuningResult = JSON.stringify({ RegistryChanged: true, RebootRequired: true });
    const s = await standIn(
      three,
      {
        // The collector gets only SiteConfigPathBase64Url; the tuning script gets the tuning parameters.
        "vm-mail-dev-002": { stdout: (_script, parameters) => ("ContentHash" in parameters ? tuningResult : out(inSync(dev, { MailboxCacheTTL: 60 }))) },
      },
      [],
    );
    const r = await drift(s, three, {
      remediate: true,
      yes: true,
      confirm: async () => {
        throw new Error("must not ask with --yes");
      },
    });
    assert.equal(host(r, "vm-mail-dev-002").remediation?.outcome, "applied");
    const runs = s.scripts.get("vm-mail-dev-002")!;
    assert.equal(runs.length, 2);
    assert.equal(runs[1].script, readGuestScript(RUN_COMMAND_SCRIPT.file).split(/\r?\n/).join("\n"));
    assert.equal(runs[1].parameters.TcpTimedWaitDelay, String(dev.tuning.tcpTimedWaitDelay));
    assert.match(runs[1].parameters.ContentHash, /^[0-9a-f]{64}$/);
    assert.equal(s.scripts.get("vm-mail-dev-001")!.length, 1);
    assert.equal(s.scripts.get("vm-mail-dev-003")!.length, 1);
  });
});

/**
 * A Machine Configuration host's assignment as Azure returns it after `pulumi up`: the writable
 * fields the component sends plus the read-only ones Azure adds (REST spec example
 * getGuestConfigurationAssignment.json, 2024-04-05).
 */
function deployedAssignment(plan: FleetPlan, vm: string, complianceStatus = "Compliant"): Record<string, unknown> & { name: string } {
  const expected = expectedAssignment(plan.tuning, readModuleFolder(GUEST_MODULE.dir));
  return {
    name: "MailhostTcpTuning",
    location: "westeurope",
    properties: {
      context: "mailhost-iac",
      complianceStatus,
      lastComplianceStatusChecked: new Date().toISOString(),
      latestReportId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${plan.names.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/MailhostTcpTuning/reports/7367cbb8-ae99-47d0-a33b-a283564d2cb1`,
      assignmentHash: `${expected.contentHash}.E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855`,
      provisioningState: "Succeeded",
      resourceType: "VirtualMachine",
      latestAssignmentReport: { complianceStatus, resources: [] },
      guestConfiguration: {
        name: "MailhostTcpTuning",
        version: "1.0.0",
        contentUri: `https://stmailhost${plan.stack}.blob.core.windows.net/guest-configuration/MailhostTcpTuning-${expected.contentHash.toLowerCase()}.zip`,
        contentHash: expected.contentHash,
        contentType: "Custom",
        contentManagedIdentity: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${plan.names.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mailhost-${plan.stack}`,
        assignmentType: "ApplyAndAutoCorrect",
        assignmentSource: null,
        kind: null,
        configurationParameter: Object.entries(expected.parameters).map(([name, value]) => ({ name, value })),
      },
    },
  };
}

describe("mailhost drift --remediate on Machine Configuration hosts", { concurrency: 2 }, () => {
  it("re-sends the drifted host's assignment once, unchanged (its writable fields), and runs no Run Command (graph source)", async () => {
    assert.equal(prod.tuning.mechanism, "machineConfiguration");
    const s = await standIn(prod, {});
    const expected = expectedAssignment(prod.tuning, readModuleFolder(GUEST_MODULE.dir));
    const now = new Date().toISOString();
    const [, b] = prod.hosts;
    for (const h of prod.hosts) s.setAssignment(h.name, deployedAssignment(prod, h.name, h.name === b.name ? "NonCompliant" : "Compliant"));
    s.graphRows = prod.hosts.map((h) =>
      assignmentRow(
        SUBSCRIPTION,
        prod.names.resourceGroup,
        h.name,
        expected,
        now,
        h.name === b.name
          ? {
              complianceStatus: "NonCompliant",
              reasons: [
                { code: `${REASON_CODE_PREFIX}TcpTimedWaitDelay`, phrase: `TcpTimedWaitDelay is 240 s. actual=240; desired=${prod.tuning.tcpTimedWaitDelay}` },
              ],
            }
          : {},
      ),
    );
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin", "mailhost.js"),
        "drift",
        "--stack",
        "prod",
        "--subscription",
        SUBSCRIPTION,
        "--arm-endpoint",
        s.endpoint,
        "--format",
        "json",
        "--retry-delay",
        "10",
        "--remediate",
        "--yes",
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, AZURE_ACCESS_TOKEN: STAND_IN_TOKEN, NODE_EXTRA_CA_CERTS: s.caFile },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 1, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.source, "graph");
    assert.deepEqual([...s.assignmentPuts.keys()], [b.name], "only the drifted host");
    const puts = s.assignmentPuts.get(b.name)!;
    assert.equal(puts.length, 1, "one assignment update");
    assert.equal(s.runCommandPosts.size, 0, "no Run Command");
    assert.equal(s.extensionUpdates.size, 0);
    // Unchanged: every writable field as Azure held it, nothing read-only.
    const held = deployedAssignment(prod, b.name, "NonCompliant") as any;
    const sent = puts[0] as any;
    assert.deepEqual(sent, {
      name: held.name,
      location: held.location,
      properties: {
        context: held.properties.context,
        guestConfiguration: {
          name: held.properties.guestConfiguration.name,
          version: held.properties.guestConfiguration.version,
          contentUri: held.properties.guestConfiguration.contentUri,
          contentHash: held.properties.guestConfiguration.contentHash,
          contentManagedIdentity: held.properties.guestConfiguration.contentManagedIdentity,
          assignmentType: held.properties.guestConfiguration.assignmentType,
          configurationParameter: held.properties.guestConfiguration.configurationParameter,
        },
      },
    });
    const remediated = report.hosts.find((h: { name: string }) => h.name === b.name);
    assert.equal(remediated.remediation.outcome, "applied");
    assert.match(remediated.remediation.action, /re-sent the guest configuration assignment MailhostTcpTuning unchanged/);
  });

  it("sends one assignment update and no tuning script when the state came from the collector (run-command source)", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { TcpTimedWaitDelay: 240 })) } });
    for (const h of prod.hosts) s.setAssignment(h.name, deployedAssignment(prod, h.name));
    const r = await drift(s, prod, { remediate: true, yes: true });
    assert.equal(host(r, first).remediation?.outcome, "applied");
    assert.equal(s.assignmentPuts.get(first)?.length, 1);
    assert.equal(s.assignmentPuts.size, 1);
    // The collector's own Run Command, and no second one with the tuning script.
    const runs = s.scripts.get(first)!;
    assert.equal(runs.length, 1);
    assert.ok(!("ContentHash" in runs[0].parameters), "the one run is the collector");
  });

  it("refuses to re-send an assignment it cannot send unchanged (protected parameters, no content hash), sending nothing", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { TcpTimedWaitDelay: 240 })) } });
    const withSecret = deployedAssignment(prod, first) as any;
    withSecret.properties.guestConfiguration.configurationProtectedParameter = [{ name: "[MailhostTcpTuning]MailhostTcpTuning;Secret", value: null }];
    s.setAssignment(first, withSecret);
    const r = await drift(s, prod, { remediate: true, yes: true });
    assert.equal(host(r, first).remediation?.outcome, "failed");
    assert.match(host(r, first).remediation?.detail ?? "", /protected parameters, whose values Azure never returns/);
    assert.equal(s.assignmentPuts.size, 0);
    const noHash = deployedAssignment(prod, first) as any;
    noHash.properties.guestConfiguration.contentHash = null;
    assert.throws(() => resendBodyOf(noHash, first), /Azure returned no guestConfiguration\.contentHash; run `pulumi up` instead/);
  });

  it("names the missing permission when the identity may not write the assignment", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { TcpTimedWaitDelay: 240 })) } });
    for (const h of prod.hosts) s.setAssignment(h.name, deployedAssignment(prod, h.name));
    s.deniedActions.add("Microsoft.GuestConfiguration/guestConfigurationAssignments/write");
    const r = await drift(s, prod, { remediate: true, yes: true });
    assert.equal(host(r, first).remediation?.outcome, "failed");
    assert.match(host(r, first).remediation?.detail ?? "", /Microsoft\.GuestConfiguration\/guestConfigurationAssignments\/write/);
  });
});

describe("collector output parsing", () => {
  it("any output string yields a verdict and never throws", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.constant(out(inSync(prod))).map((s) => s.slice(0, 50)),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const parsed = parseCollectorOutput(text);
          assert.ok(parsed.ok ? typeof parsed.report.CollectedAt === "string" : parsed.reason.length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });
  it("takes the last JSON line, after any noise", () => {
    const parsed = parseCollectorOutput(`noise\r\n${out(inSync(prod))}\r\n`);
    assert.ok(parsed.ok);
  });
});

describe("the mailhost drift command", () => {
  it("runs end to end with --arm-endpoint and AZURE_ACCESS_TOKEN, and annotates the stack file's keys", async () => {
    const s = await standIn(prod, { [first]: { stdout: out(inSync(prod, { TcpTimedWaitDelay: 240 })) } });
    const run = (format: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            path.join(REPO_ROOT, "bin", "mailhost.js"),
            "drift",
            "--stack",
            "prod",
            "--subscription",
            SUBSCRIPTION,
            "--arm-endpoint",
            s.endpoint,
            "--format",
            format,
            "--poll-interval",
            "10",
            "--retry-delay",
            "10",
            "--source",
            "run-command",
          ],
          {
            cwd: REPO_ROOT,
            env: { ...process.env, AZURE_ACCESS_TOKEN: STAND_IN_TOKEN, NODE_EXTRA_CA_CERTS: s.caFile },
          },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => {
          stdout += d;
        });
        child.stderr.on("data", (d) => {
          stderr += d;
        });
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    const json = await run("json");
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.exitCode, 1);
    assert.equal(report.hosts.length, 4);
    const github = await run("github");
    const line =
      fs
        .readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("tcpTimedWaitDelay:")) + 1;
    assert.ok(
      github.stdout.includes(
        `::warning file=Pulumi.prod.yaml,line=${line},title=drift%3A ${first} TcpTimedWaitDelay::${first}: TcpTimedWaitDelay is 240 s, desired 30 s.`,
      ),
      github.stdout,
    );
    const text = await run("text");
    assert.match(text.stdout, new RegExp(`${first}\\s+DRIFTED\\s+TcpTimedWaitDelay\\s+30 s\\s+240 s`));
  });
  it("reads a machineConfiguration stack from Azure Resource Graph by default, narrowed with --host, with no Run Command", async () => {
    assert.equal(prod.tuning.mechanism, "machineConfiguration");
    const s = await standIn(prod, {});
    const expected = expectedAssignment(prod.tuning, readModuleFolder(GUEST_MODULE.dir));
    const now = new Date().toISOString();
    const [a, b] = prod.hosts;
    s.graphRows = prod.hosts.map((h) =>
      assignmentRow(
        SUBSCRIPTION,
        prod.names.resourceGroup,
        h.name,
        expected,
        now,
        h.name === b.name
          ? {
              complianceStatus: "NonCompliant",
              reasons: [
                { code: `${REASON_CODE_PREFIX}TcpTimedWaitDelay`, phrase: `TcpTimedWaitDelay is 240 s. actual=240; desired=${prod.tuning.tcpTimedWaitDelay}` },
              ],
            }
          : {},
      ),
    );
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            path.join(REPO_ROOT, "bin", "mailhost.js"),
            "drift",
            "--stack",
            "prod",
            "--subscription",
            SUBSCRIPTION,
            "--arm-endpoint",
            s.endpoint,
            "--format",
            "json",
            "--retry-delay",
            "10",
            ...args,
          ],
          {
            cwd: REPO_ROOT,
            env: { ...process.env, AZURE_ACCESS_TOKEN: STAND_IN_TOKEN, NODE_EXTRA_CA_CERTS: s.caFile },
          },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => {
          stdout += d;
        });
        child.stderr.on("data", (d) => {
          stderr += d;
        });
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    const all = await run([]);
    assert.equal(all.code, 1, all.stderr);
    const report = JSON.parse(all.stdout);
    assert.equal(report.source, "graph");
    assert.deepEqual(
      report.hosts.map((h: { name: string; status: string }) => [h.name, h.status]).sort(),
      prod.hosts.map((h) => [h.name, h.name === b.name ? "drifted" : "in-sync"]).sort(),
    );
    assert.equal(s.runCommandPosts.size, 0);
    const one = await run(["--host", a.name]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(
      JSON.parse(one.stdout).hosts.map((h: { name: string }) => h.name),
      [a.name],
    );
    const refused = await run(["--source", "graph", "--stack", "staging"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--source graph reads Machine Configuration compliance, but stack staging tunes with dsc/);
  });
  it("documents every flag in --help, and the required Azure role", async () => {
    let help = "";
    const code = await main(["drift", "--help"], {
      out: (t) => {
        help += t;
      },
      err: (t) => {
        help += t;
      },
    });
    assert.equal(code, 0);
    for (const flag of [
      "--stack",
      "--subscription",
      "--resource-group",
      "--format",
      "--concurrency",
      "--timeout",
      "--remediate",
      "--yes",
      "--arm-endpoint",
      "--max-retries",
      "--retry-delay",
      "--poll-interval",
      "--source",
      "--host",
      "--max-age",
    ]) {
      assert.ok(help.includes(flag), flag);
    }
    assert.match(help, /AZURE_ACCESS_TOKEN/);
    assert.match(help, /Virtual Machine Contributor/);
    assert.match(help, /runCommand\/action/);
    assert.match(help, /graph source needs only Reader/);
  });
  it("exits 2 (could not run) when the stack's config is invalid", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-drift-"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.prod.yaml"),
      fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8").replace("tcpTimedWaitDelay: 30", "tcpTimedWaitDelay: 301"),
    );
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(REPO_ROOT, "bin", "mailhost.js"), "drift", "--stack", "prod", "--subscription", SUBSCRIPTION, "--cwd", dir],
        { cwd: REPO_ROOT },
      );
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)/);
  });
  it("exits 2 with one line when no subscription is given", async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const env = { ...process.env };
      delete env.AZURE_SUBSCRIPTION_ID;
      const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "mailhost.js"), "drift", "--stack", "prod"], { cwd: REPO_ROOT, env });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), "mailhost: no subscription: pass --subscription <id> or set AZURE_SUBSCRIPTION_ID");
  });
});
