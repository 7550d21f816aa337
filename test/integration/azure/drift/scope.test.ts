/**
 * `mailhost drift --scope` and `mailhost reboot --scope` against the HTTPS ARM stand-in: a
 * management group with stack VMs, VMs of no stack and Arc machines, compliant, drifted, pending
 * and tagged-but-unassigned, read in one paged Resource Graph query sequence.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { planOf } from "../../../../cli/plan";
import { formatScopeDriftText, formatScopeRebootText, runScopeDrift, runScopeReboot } from "../../../../cli/scope";
import { ResourceGraph } from "../../../../azure/resourceGraph";
import { type ArmCompute } from "../../../../azure/arm";
import { ARC_MACHINE_TYPE, AZURE_VM_TYPE, type ScopeRow, parseScope, scopeQuery } from "../../../../domain/estateDrift";
import { type AssignmentRow, type ExpectedAssignment, REASON_CODE_PREFIX, expectedAssignment } from "../../../../domain/graphDrift";
import { readModuleFolder } from "../../../../content/moduleFolder";
import { GUEST_MODULE } from "../../../../components/guestScripts";
import { STACK_TAG } from "../../../../domain/plan";
import { ArmStandIn, STAND_IN_TOKEN } from "../../../support/armStandIn";
import { inSyncReport } from "../../../support/collectorReports";
import { assignmentRow } from "../../../support/graphRows";
import { analyzeKql } from "../../../support/kusto";
import { REPO_ROOT } from "../../../support/stacks";

const SUB_A = "11111111-2222-3333-4444-555555555555";
const SUB_B = "66666666-7777-8888-9999-000000000000";
const MG = "mg-mail";
const TAG = { name: "workload", value: "mail" };
const plan = planOf(REPO_ROOT, "prod");
const NOW = Date.now();
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();
const expected: ExpectedAssignment = expectedAssignment(plan.tuning, readModuleFolder(GUEST_MODULE.dir));
const reason = (setting: string, actual: string, desired: string) => ({
  code: `${REASON_CODE_PREFIX}${setting}`,
  phrase: `${setting} is not as desired. actual=${actual}; desired=${desired}`,
});
const rebootPending = reason("RebootPending", "written since the last boot", "in effect");

type Kind = "vm" | "arc";
interface Machine {
  sub: string;
  rg: string;
  name: string;
  kind: Kind;
  tags: Record<string, string>;
  zone?: string;
}
const machineId = (m: Machine) =>
  `/subscriptions/${m.sub}/resourceGroups/${m.rg}/providers/${m.kind === "arc" ? "Microsoft.HybridCompute/machines" : "Microsoft.Compute/virtualMachines"}/${m.name}`;

/** A row of the `resources` table, as the scope query projects it. */
function machineRow(m: Machine): ScopeRow {
  return {
    id: machineId(m),
    name: m.name,
    type: m.kind === "arc" ? ARC_MACHINE_TYPE : AZURE_VM_TYPE,
    resourceGroup: m.rg.toLowerCase(),
    subscriptionId: m.sub,
    location: "westeurope",
    tags: m.tags,
    zones: m.zone ? [m.zone] : null,
  };
}
/** Its MailhostTcpTuning assignment row (for an Arc machine, under Microsoft.HybridCompute). */
function assignmentOf(m: Machine, change: Parameters<typeof assignmentRow>[5] = {}, exp: ExpectedAssignment = expected): AssignmentRow {
  const row = assignmentRow(m.sub, m.rg, m.name, exp, minutesAgo(5), change);
  return m.kind === "vm" ? row : JSON.parse(JSON.stringify(row).replaceAll("Microsoft.Compute/virtualMachines", "Microsoft.HybridCompute/machines"));
}

// The scope: what each machine is, and the verdict the rule gives it.
const stack = (name: string, zone: string): Machine => ({
  sub: SUB_A,
  rg: plan.names.resourceGroup,
  name,
  kind: "vm",
  tags: { [STACK_TAG]: "prod", [TAG.name]: TAG.value },
  zone,
});
const prod1 = stack(plan.hosts[0].name, "1");
const prod2 = stack(plan.hosts[1].name, "2");
const staging1: Machine = { sub: SUB_A, rg: "rg-mailhost-staging", name: "vm-mail-staging-001", kind: "vm", tags: { [STACK_TAG]: "staging" }, zone: "1" };
// A host of a DSC stack: no assignment, and no mail host tag.
const staging2: Machine = { sub: SUB_A, rg: "rg-mailhost-staging", name: "vm-mail-staging-002", kind: "vm", tags: { [STACK_TAG]: "staging" }, zone: "2" };
const legacy1: Machine = { sub: SUB_A, rg: "rg-legacy-mail", name: "mx-legacy-01", kind: "vm", tags: { Workload: "Mail" }, zone: "1" };
const legacy2: Machine = { sub: SUB_B, rg: "rg-legacy-mail", name: "mx-legacy-02", kind: "vm", tags: { workload: "mail" } };
const legacy3: Machine = { sub: SUB_B, rg: "rg-legacy-mail", name: "mx-legacy-03", kind: "vm", tags: { workload: "mail" }, zone: "2" };
const legacy4: Machine = { sub: SUB_B, rg: "rg-legacy-mail", name: "mx-legacy-04", kind: "vm", tags: { workload: "mail" }, zone: "1" };
const arc1: Machine = { sub: SUB_B, rg: "rg-onprem", name: "onprem-mx-01", kind: "arc", tags: { workload: "mail" } };
const arc2: Machine = { sub: SUB_B, rg: "rg-onprem", name: "onprem-mx-02", kind: "arc", tags: { workload: "mail" } };
const arc3: Machine = { sub: SUB_B, rg: "rg-onprem", name: "onprem-mx-03", kind: "arc", tags: { workload: "mail" } };

const rows: unknown[] = [
  ...[prod1, prod2, staging1, staging2, legacy1, legacy2, legacy3, legacy4, arc1, arc2, arc3].map(machineRow),
  assignmentOf(prod1),
  assignmentOf(prod2, { complianceStatus: "NonCompliant", reasons: [rebootPending] }),
  // Another stack's host: its own values (another package), compliant.
  assignmentOf(staging1, {}, { contentHash: "C".repeat(64), parameters: { "[MailhostTcpTuning]MailhostTcpTuning;TcpTimedWaitDelay": "60" } }),
  assignmentOf(legacy1, {
    complianceStatus: "NonCompliant",
    reasons: [reason("TcpTimedWaitDelay", "240", String(plan.tuning.tcpTimedWaitDelay)), rebootPending],
  }),
  assignmentOf(legacy2, { complianceStatus: "Pending" }),
  assignmentOf(legacy4, { complianceStatus: "NonCompliant", reasons: [rebootPending] }),
  // legacy3 carries the tag and has no assignment yet.
  assignmentOf(arc1),
  assignmentOf(arc2, { complianceStatus: "NonCompliant", reasons: [rebootPending] }),
  assignmentOf(arc3, { lastComplianceStatusChecked: minutesAgo(600) }),
];

/** What the rule says of each machine: verdict, origin, and whether it waits for a reboot. */
const RULE: Record<string, { status: string; stack?: string; kind: "azure-vm" | "arc"; waiting?: boolean; unassigned?: boolean }> = {
  [prod1.name]: { status: "in-sync", stack: "prod", kind: "azure-vm" },
  [prod2.name]: { status: "drifted", stack: "prod", kind: "azure-vm", waiting: true },
  [staging1.name]: { status: "in-sync", stack: "staging", kind: "azure-vm" },
  [legacy1.name]: { status: "drifted", kind: "azure-vm", waiting: true },
  [legacy2.name]: { status: "unknown", kind: "azure-vm" },
  [legacy3.name]: { status: "unknown", kind: "azure-vm", unassigned: true },
  [legacy4.name]: { status: "drifted", kind: "azure-vm", waiting: true },
  [arc1.name]: { status: "in-sync", kind: "arc" },
  [arc2.name]: { status: "drifted", kind: "arc", waiting: true },
  [arc3.name]: { status: "unknown", kind: "arc" },
};

const credential = { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
const standIns: ArmStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});
async function scopeStandIn(pageSize: number): Promise<{ s: ArmStandIn; graph: ResourceGraph }> {
  const s = await ArmStandIn.start(SUB_A, plan.names.resourceGroup, []);
  standIns.push(s);
  s.graphRows = rows;
  s.graphPageSize = pageSize;
  return { s, graph: new ResourceGraph({ endpoint: s.endpoint, tlsCa: s.ca, credential, pageSize, retryDelayMs: 10, sleep: async () => {} }) };
}

describe("the scope query", () => {
  it("is valid KQL over Resource Graph's resources and guestconfigurationresources tables, and escapes the tag", () => {
    const columns =
      "(id:string, name:string, type:string, location:string, resourceGroup:string, subscriptionId:string, tags:dynamic, zones:dynamic, properties:dynamic)";
    assert.deepEqual(
      analyzeKql(scopeQuery(TAG), { resources: columns, guestconfigurationresources: columns }).filter((d) => d.severity === "Error"),
      [],
    );
    assert.match(scopeQuery({ name: 'team"s', value: "mail" }), /tags\["team\\"s"\]/);
  });
  it("parses a subscription or a management group as --scope, and refuses anything else", () => {
    assert.deepEqual(parseScope(`/subscriptions/${SUB_A}`), { kind: "subscription", id: SUB_A });
    assert.deepEqual(parseScope(`/providers/Microsoft.Management/managementGroups/${MG}`), { kind: "managementGroup", id: MG });
    assert.throws(() => parseScope("/subscriptions/x/resourceGroups/rg"), /--scope = .* is neither/);
  });
});

describe("mailhost drift --scope against the stand-in", () => {
  it("judges every machine of a management group as the rule says, in one paged query sequence", async () => {
    const { s, graph } = await scopeStandIn(4);
    const report = await runScopeDrift({ plan, graph, scope: parseScope(`/providers/Microsoft.Management/managementGroups/${MG}`), tag: TAG, expected });
    assert.equal(report.error, undefined);
    const pages = Math.ceil(rows.length / 4);
    assert.equal(report.graphRequests, pages, `${rows.length} rows in pages of 4`);
    assert.equal(s.graphRequests.length, pages);
    assert.equal(new Set(s.graphRequests.map((r) => r.query)).size, 1, "one query, resent with $skipToken");
    assert.ok(s.graphRequests.every((r) => JSON.stringify(r.managementGroups) === JSON.stringify([MG]) && r.subscriptions.length === 0));
    assert.deepEqual(Object.fromEntries(report.hosts.map((h) => [h.name, h.status])), Object.fromEntries(Object.entries(RULE).map(([n, r]) => [n, r.status])));
    for (const h of report.hosts) {
      const rule = RULE[h.name];
      assert.equal(h.machine.kind, rule.kind, h.name);
      assert.equal(h.machine.stack, rule.stack, h.name);
      assert.equal(h.machine.outsideAnyStack, rule.stack === undefined, h.name);
      assert.equal(h.waitingForReboot === true, rule.waiting === true, h.name);
    }
    assert.deepEqual(
      report.unassigned,
      Object.entries(RULE)
        .filter(([, r]) => r.unassigned)
        .map(([n]) => n),
    );
    assert.deepEqual(report.leftToTheirStack, [`${staging2.name} (stack staging)`], "a DSC stack's host is not judged here");
    const byName = new Map(report.hosts.map((h) => [h.name, h]));
    assert.match(byName.get(legacy3.name)!.reason!, /carries workload=mail but no MailhostTcpTuning assignment yet/);
    assert.match(byName.get(legacy2.name)!.reason!, /Pending/);
    assert.match(byName.get(arc3.name)!.reason!, /min old/);
    assert.match(byName.get(staging1.name)!.reason!, /compliance only: the values of stack staging were not compared/);
    assert.equal(byName.get(legacy1.name)!.settings.find((x) => x.setting === "TcpTimedWaitDelay")!.actual, "240");
    const text = formatScopeDriftText(report);
    assert.match(text, new RegExp(`rg-legacy-mail/${legacy1.name}\\s+Azure VM, outside any stack\\s+DRIFTED`));
    assert.match(text, new RegExp(`rg-onprem/${arc2.name}\\s+Arc, outside any stack\\s+DRIFTED`));
    assert.match(text, new RegExp(`1 machine\\(s\\) carry the tag but no MailhostTcpTuning assignment yet \\(not remediated\\): ${legacy3.name}\\.`));
    assert.match(text, new RegExp(`${pages} Resource Graph request\\(s\\)`));
  });
  it("a subscription scope sends the subscription, not a management group", async () => {
    const { s, graph } = await scopeStandIn(1000);
    const report = await runScopeDrift({ plan, graph, scope: parseScope(SUB_A), tag: TAG, expected });
    assert.equal(report.graphRequests, 1);
    assert.deepEqual(s.graphRequests[0].subscriptions, [SUB_A]);
    assert.equal(s.graphRequests[0].managementGroups, undefined);
  });
});

describe("mailhost reboot --scope: the restarts", () => {
  /** ARM clients per subscription that record each restart; `neverBack` stays "starting" after it. */
  function fakeArms(neverBack?: string) {
    const restarts: string[] = [];
    const armFor = (sub: string): ArmCompute =>
      ({
        restart: async (rg: string, vm: string) => {
          restarts.push(`${sub}/${rg}/${vm}`);
        },
        instanceState: async (_rg: string, vm: string) =>
          vm === neverBack ? { powerState: "starting", agentReady: false } : { powerState: "running", agentReady: true, agentStatus: "Ready" },
        runPowerShell: async () => ({ stdout: JSON.stringify(inSyncReport(plan)), stderr: "" }),
      }) as unknown as ArmCompute;
    return { restarts, armFor };
  }
  const scope = parseScope(`/providers/Microsoft.Management/managementGroups/${MG}`);
  // The waiting Azure VMs by the rule, one a wave in zone order: legacy1 and legacy4 (zone 1), then prod2 (zone 2).
  const inOrder = [legacy1, legacy4, prod2];
  const at = (m: Machine) => `${m.sub}/${m.rg.toLowerCase()}/${m.name}`;

  it("restarts each waiting Azure VM through its own subscription and resource group, wave by wave", async () => {
    const { graph } = await scopeStandIn(1000);
    const { restarts, armFor } = fakeArms();
    const report = await runScopeReboot({
      plan,
      graph,
      scope,
      tag: TAG,
      expected,
      armFor,
      selection: { kind: "waiting" },
      maxUnavailable: 1,
      yes: true,
      timeoutSeconds: 5,
      checkIntervalMs: 5,
    });
    assert.equal(report.error, undefined);
    assert.deepEqual(restarts, inOrder.map(at));
    assert.deepEqual(
      report.hosts.map((h) => [h.name, h.outcome, h.detail]),
      inOrder.map((m) => [m.name, "restarted", machineId(m)]),
    );
    assert.deepEqual(
      report.manualRestart.map((m) => m.name),
      [arc2.name],
      "an Arc machine is listed, never restarted",
    );
  });
  it("stops after the first wave in which a machine does not come back: later waves are left alone", async () => {
    const { graph } = await scopeStandIn(1000);
    const { restarts, armFor } = fakeArms(legacy1.name);
    const progress: string[] = [];
    const report = await runScopeReboot({
      plan,
      graph,
      scope,
      tag: TAG,
      expected,
      armFor,
      selection: { kind: "waiting" },
      maxUnavailable: 1,
      yes: true,
      timeoutSeconds: 0.2,
      checkIntervalMs: 5,
      progress: (l) => progress.push(l),
    });
    assert.deepEqual(restarts, [at(legacy1)]);
    assert.deepEqual(
      report.hosts.map((h) => h.outcome),
      ["did not come back", "not restarted", "not restarted"],
    );
    assert.match(report.hosts[0].detail!, /not back within 0.2 s \(last seen: power state starting\)/);
    assert.ok(progress.includes("stopping: later waves are left alone"), progress.join("\n"));
    assert.match(formatScopeRebootText(report), /0 restarted, 1 did not come back, 2 not restarted/);
  });
  it("restarts nothing when the question is answered no", async () => {
    const { graph } = await scopeStandIn(1000);
    const { restarts, armFor } = fakeArms();
    const questions: string[] = [];
    const report = await runScopeReboot({
      plan,
      graph,
      scope,
      tag: TAG,
      expected,
      armFor,
      selection: { kind: "waiting" },
      maxUnavailable: 1,
      confirm: async (q) => {
        questions.push(q);
        return false;
      },
    });
    assert.deepEqual(restarts, []);
    assert.equal(report.confirmed, false);
    assert.deepEqual(questions, [
      `Restart 3 Azure VM(s) of /providers/Microsoft.Management/managementGroups/${MG} in 3 wave(s) of at most 1, one zone at a time?`,
    ]);
  });
});

describe("mailhost reboot --scope --dry-run against the stand-in", () => {
  it("lists the waves of the Azure VMs that wait, zone by zone, and the Arc machines to restart by hand; sends no restart", async () => {
    const { s, graph } = await scopeStandIn(4);
    const armFor = (): ArmCompute => {
      throw new Error("a dry run needs no ARM client");
    };
    const report = await runScopeReboot({
      plan,
      graph,
      scope: parseScope(`/providers/Microsoft.Management/managementGroups/${MG}`),
      tag: TAG,
      expected,
      armFor,
      selection: { kind: "waiting" },
      maxUnavailable: 1,
      dryRun: true,
    });
    assert.equal(report.error, undefined);
    // Waiting Azure VMs by the rule, in zone order, one a wave.
    const waiting = Object.entries(RULE)
      .filter(([, r]) => r.waiting && r.kind === "azure-vm")
      .map(([n]) => n);
    const zoneOf = new Map([prod1, prod2, staging1, staging2, legacy1, legacy2, legacy3, legacy4].map((m) => [m.name, m.zone]));
    const expectedWaves = [...waiting]
      .sort((a, b) => `${zoneOf.get(a) ?? "~"}/${a}`.localeCompare(`${zoneOf.get(b) ?? "~"}/${b}`))
      .map((n, i) => ({ number: i + 1, zone: zoneOf.get(n), hosts: [n] }));
    assert.deepEqual(report.waves, expectedWaves);
    assert.ok(report.hosts.every((h) => h.outcome === "planned"));
    assert.deepEqual(
      report.manualRestart.map((m) => m.name),
      Object.entries(RULE)
        .filter(([, r]) => r.waiting && r.kind === "arc")
        .map(([n]) => n),
    );
    assert.deepEqual(
      report.unreadable.map((u) => u.name).sort(),
      Object.entries(RULE)
        .filter(([, r]) => r.status === "unknown")
        .map(([n]) => n)
        .sort(),
    );
    assert.equal(report.graphRequests, Math.ceil(rows.length / 4));
    assert.deepEqual(s.restartPosts, [], "no restart sent");
    const text = formatScopeRebootText(report);
    assert.match(text, /wave 1 \(zone 1\):/);
    assert.match(text, new RegExp(`needs a manual restart \\(Arc-enabled server[^\\n]*\\n\\s+${arc2.name} \\(outside any stack\\)`));
  });
  it("the mailhost command takes --scope and --tag and prints the waves; machines of unknown state make it exit 2, as for a stack", async () => {
    const s = await ArmStandIn.start(SUB_A, plan.names.resourceGroup, []);
    standIns.push(s);
    s.graphRows = rows;
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(REPO_ROOT, "bin", "mailhost.js"),
          "reboot",
          "--stack",
          "prod",
          "--scope",
          `/providers/Microsoft.Management/managementGroups/${MG}`,
          "--tag",
          "workload=mail",
          "--dry-run",
          "--arm-endpoint",
          s.endpoint,
          "--retry-delay",
          "10",
        ],
        { cwd: REPO_ROOT, env: { ...process.env, AZURE_ACCESS_TOKEN: STAND_IN_TOKEN, NODE_EXTRA_CA_CERTS: s.caFile } },
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
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stdout, /dry run: nothing restarted/);
    assert.match(result.stdout, new RegExp(`${legacy3.name}: state unknown, not restarted`));
    assert.match(result.stdout, new RegExp(`${legacy1.name}\\s+planned`));
    assert.match(result.stdout, /Arc machine\(s\) need a manual restart/);
  });
  it("refuses --scope without --tag", async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "mailhost.js"), "drift", "--stack", "prod", "--scope", `/subscriptions/${SUB_A}`], {
        cwd: REPO_ROOT,
      });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--scope needs --tag <name>=<value>/);
  });
});
