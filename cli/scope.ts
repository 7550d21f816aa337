/**
 * `mailhost drift --scope` and `mailhost reboot --scope`: every machine of a subscription or
 * management group that carries the `MailhostTcpTuning` assignment or the mail host tag, Azure VMs
 * and Arc-enabled servers, whoever created them, from one paged Azure Resource Graph query
 * sequence (domain/estateDrift.ts). Verdicts are those of `mailhost drift --source graph`; waves
 * those of `mailhost reboot`. Arc machines have no restart action in ARM: they are listed as
 * needing a manual restart. Without `--scope` both commands keep to the stack's own hosts.
 */
import { type ArmCompute } from "../azure/arm";
import { type GraphScopes, type ResourceGraph } from "../azure/resourceGraph";
import { type DriftScope, type ScopeMachine, type ScopeRow, judgeScope, scopeQuery } from "../domain/estateDrift";
import { type ExpectedAssignment } from "../domain/graphDrift";
import { type FleetPlan } from "../domain/plan";
import { type RebootTarget, type Wave, planWaves } from "../domain/reboot";
import { type DriftReport, type HostDrift } from "./drift";
import { type RebootHost, type RebootReport, type RebootRunOptions, leftAloneLines, restartAndWait, restartInWaves, selectionText, waveLines } from "./reboot";

/** How a scope is written in messages: `/subscriptions/<id>` or the management group's ID. */
export function scopeText(scope: DriftScope): string {
  return scope.kind === "subscription" ? `/subscriptions/${scope.id}` : `/providers/Microsoft.Management/managementGroups/${scope.id}`;
}

function graphScopes(scope: DriftScope): GraphScopes {
  return scope.kind === "subscription" ? { subscriptions: [scope.id] } : { managementGroups: [scope.id] };
}

export interface ScopeReadOptions {
  readonly plan: FleetPlan;
  readonly graph: ResourceGraph;
  readonly scope: DriftScope;
  /** The mail host tag the estate policy selects by. */
  readonly tag: { readonly name: string; readonly value: string };
  readonly expected: ExpectedAssignment;
  readonly maxAgeMinutes?: number;
  readonly now?: number;
  readonly progress?: (line: string) => void;
}

/** The machines of a scope, judged, and the requests (pages) it took. */
export async function readScope(options: ScopeReadOptions): Promise<{ machines: ScopeMachine[]; requests: number }> {
  const result = await options.graph.queryAll<ScopeRow>(scopeQuery(options.tag), graphScopes(options.scope));
  const machines = judgeScope(result.rows, {
    tag: options.tag,
    tuning: options.plan.tuning,
    expected: options.expected,
    stack: options.plan.stack,
    now: options.now ?? Date.now(),
    maxAgeMinutes: options.maxAgeMinutes,
  });
  return { machines, requests: result.pages };
}

/** One machine of a scope drift report: the host verdict and where the machine comes from. */
export interface ScopeHostDrift extends HostDrift {
  readonly machine: {
    readonly id: string;
    readonly kind: ScopeMachine["kind"];
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    /** The stack that created it; absent: outside any stack. */
    readonly stack?: string;
    readonly outsideAnyStack: boolean;
    readonly tagged: boolean;
    readonly assigned: boolean;
  };
}

export interface ScopeDriftReport extends DriftReport {
  readonly source: "graph";
  readonly scope: string;
  readonly tag: { readonly name: string; readonly value: string };
  readonly hosts: ScopeHostDrift[];
  /** Machines that carry the tag but no assignment yet (not remediated). */
  readonly unassigned: string[];
  /**
   * Hosts of stacks that carry no MailhostTcpTuning assignment: their stack tunes them with another
   * mechanism (DSC, run command), which Resource Graph cannot see. Left to `mailhost drift --stack`.
   */
  readonly leftToTheirStack: string[];
  readonly graphRequests: number;
}

/** A stack's host without the assignment: tuned by its stack through another mechanism, not read from Resource Graph. */
function leftToTheirStack(m: ScopeMachine): boolean {
  return m.stack !== undefined && !m.assigned;
}

/** Judges every machine of the scope. Never throws for a failing query: it lands in `report.error` (exit 2). */
export async function runScopeDrift(options: ScopeReadOptions): Promise<ScopeDriftReport> {
  const started = performance.now();
  const report: ScopeDriftReport = {
    stack: options.plan.stack,
    resourceGroup: "(scope)",
    subscription: options.scope.kind === "subscription" ? options.scope.id : "",
    mechanism: options.plan.tuning.mechanism,
    source: "graph",
    scope: scopeText(options.scope),
    tag: options.tag,
    hosts: [],
    unassigned: [],
    leftToTheirStack: [],
    graphRequests: 0,
    timings: { totalMs: 0 },
  };
  try {
    options.progress?.(
      `reading ${report.scope} from Azure Resource Graph: machines tagged ${options.tag.name}=${options.tag.value} or by a stack, and their ${"MailhostTcpTuning"} assignments`,
    );
    const { machines, requests } = await readScope(options);
    (report as { graphRequests: number }).graphRequests = requests;
    for (const m of machines) {
      if (leftToTheirStack(m)) {
        report.leftToTheirStack.push(`${m.name} (stack ${m.stack})`);
        continue;
      }
      const host: ScopeHostDrift = {
        name: m.name,
        status: m.verdict.status,
        settings: m.verdict.settings,
        rebootPending: m.verdict.rebootPending,
        waitingForReboot: m.verdict.rebootPending,
        timings: { ms: 0 },
        machine: {
          id: m.id,
          kind: m.kind,
          subscriptionId: m.subscriptionId,
          resourceGroup: m.resourceGroup,
          ...(m.stack ? { stack: m.stack } : {}),
          outsideAnyStack: m.stack === undefined,
          tagged: m.tagged,
          assigned: m.assigned,
        },
      };
      if (m.verdict.reason !== undefined) host.reason = m.verdict.reason;
      if (m.verdict.evaluatedAt !== undefined) host.collectedAt = m.verdict.evaluatedAt;
      report.hosts.push(host);
      if (m.tagged && !m.assigned) report.unassigned.push(m.name);
    }
  } catch (err) {
    const e = err as { message?: string; statusCode?: number; code?: string };
    report.error = `Azure Resource Graph query failed${e.statusCode ? ` (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""})` : ""}: ${(e.message ?? String(err)).split("\n")[0]}`;
  }
  report.timings.totalMs = performance.now() - started;
  return report;
}

/** Where a machine comes from, in words. */
function originText(h: ScopeHostDrift): string {
  return `${h.machine.kind === "arc" ? "Arc" : "Azure VM"}, ${h.machine.stack ? `stack ${h.machine.stack}` : "outside any stack"}`;
}

/** Text: one row per machine with its origin, then the tagged-but-unassigned list. */
export function formatScopeDriftText(report: ScopeDriftReport): string {
  const out = [
    `scope ${report.scope}: ${report.hosts.length} machine(s) tagged ${report.tag.name}=${report.tag.value} or by a stack, desired state of stack ${report.stack} (source: graph, ${report.graphRequests} Resource Graph request(s))`,
  ];
  if (report.error) out.push(`  error: ${report.error}`);
  const rows: string[][] = [["machine", "origin", "status", "setting", "desired", "actual", ""]];
  for (const h of report.hosts) {
    const status = h.status === "in-sync" ? "in-sync" : h.status.toUpperCase();
    const where = `${h.machine.resourceGroup}/${h.name}`;
    const notes = [h.waitingForReboot ? "waiting for a reboot" : "", h.status !== "unknown" ? (h.reason ?? "") : ""].filter(Boolean).join("; ");
    if (h.settings.length === 0) {
      rows.push([where, originText(h), status, "-", "-", "-", h.status === "unknown" ? (h.reason ?? "") : notes]);
      continue;
    }
    h.settings.forEach((s, i) =>
      rows.push([
        i === 0 ? where : "",
        i === 0 ? originText(h) : "",
        i === 0 ? status : "",
        s.setting,
        s.desired,
        s.actual,
        [s.dangerous ? "DANGEROUS: outside the safe range" : "", i === 0 ? notes : ""].filter(Boolean).join("; "),
      ]),
    );
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    out.push(
      `  ${r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd()}`,
    );
  const count = (s: string) => report.hosts.filter((h) => h.status === s).length;
  const outside = report.hosts.filter((h) => h.machine.outsideAnyStack).length;
  out.push(
    "",
    `${count("in-sync")} in sync, ${count("drifted")} drifted, ${count("unknown")} unknown; ${outside} outside any stack [${(report.timings.totalMs / 1000).toFixed(1)} s].`,
  );
  if (report.leftToTheirStack.length > 0)
    out.push(
      `${report.leftToTheirStack.length} host(s) of stacks that tune without Machine Configuration, not read here (use mailhost drift --stack): ${report.leftToTheirStack.join(", ")}.`,
    );
  if (report.unassigned.length > 0)
    out.push(`${report.unassigned.length} machine(s) carry the tag but no MailhostTcpTuning assignment yet (not remediated): ${report.unassigned.join(", ")}.`);
  const waiting = report.hosts.filter((h) => h.waitingForReboot).map((h) => h.name);
  if (waiting.length > 0)
    out.push(
      `${waiting.length} machine(s) waiting for a reboot: ${waiting.join(", ")}. Finish with \`mailhost reboot --stack ${report.stack} --scope ${report.scope} --tag ${report.tag.name}=${report.tag.value}\`.`,
    );
  return out.join("\n");
}

export interface ScopeRebootOptions extends ScopeReadOptions, RebootRunOptions {
  /** The ARM client of a subscription (machines of a management group live in several). */
  readonly armFor: (subscriptionId: string) => ArmCompute;
}

export interface ScopeRebootReport extends RebootReport {
  readonly scope: string;
  /** Arc machines that would be restarted: ARM has no restart action for them. */
  readonly manualRestart: Array<{ name: string; id: string; outsideAnyStack: boolean }>;
  /** Machines whose state is unknown (Pending, stale, tagged but unassigned): not restarted. */
  readonly graphRequests: number;
}

/**
 * A rolling reboot across a scope: which machines wait for a reboot is read from their
 * Machine Configuration reasons (no Run Command), so a dry run of the default selection lists the
 * real waves. Azure VMs are restarted wave by wave (the same waves as a stack: one zone a wave,
 * at most `maxUnavailable`), each through its own subscription; Arc machines are listed for a
 * manual restart. Never throws for Azure errors.
 */
export async function runScopeReboot(options: ScopeRebootOptions): Promise<ScopeRebootReport> {
  const started = performance.now();
  const selection = options.selection;
  const report: ScopeRebootReport = {
    stack: options.plan.stack,
    resourceGroup: "(scope)",
    scope: scopeText(options.scope),
    selection: selectionText(selection, "machines"),
    maxUnavailable: options.maxUnavailable,
    dryRun: options.dryRun === true,
    waves: [],
    hosts: [],
    notWaiting: [],
    unreadable: [],
    confirmed: false,
    manualRestart: [],
    graphRequests: 0,
    timings: { totalMs: 0 },
  };
  const done = () => {
    report.timings.totalMs = performance.now() - started;
    return report;
  };
  let machines: ScopeMachine[];
  try {
    const read = await readScope(options);
    // Hosts of stacks that tune without Machine Configuration are rebooted with `mailhost reboot --stack`.
    machines = read.machines.filter((m) => !leftToTheirStack(m));
    (report as { graphRequests: number }).graphRequests = read.requests;
  } catch (err) {
    report.error = `Azure Resource Graph query failed: ${((err as Error).message ?? String(err)).split("\n")[0]}`;
    return done();
  }
  let chosen: ScopeMachine[];
  if (selection.kind === "hosts") {
    const unknown = selection.hosts.filter((h) => !machines.some((m) => m.name.toLowerCase() === h.toLowerCase()));
    if (unknown.length > 0) {
      report.error = `--host ${unknown.join(", ")}: not a machine of ${report.scope} (machines: ${machines.map((m) => m.name).join(", ") || "none"})`;
      return done();
    }
    chosen = machines.filter((m) => selection.hosts.some((h) => h.toLowerCase() === m.name.toLowerCase()));
  } else if (selection.kind === "all") {
    chosen = machines;
  } else {
    chosen = [];
    for (const m of machines) {
      if (m.verdict.status === "unknown") report.unreadable.push({ name: m.name, reason: m.verdict.reason ?? "state unknown" });
      else if (m.verdict.rebootPending) chosen.push(m);
      else report.notWaiting.push(m.name);
    }
  }
  for (const m of chosen.filter((x) => x.kind === "arc")) report.manualRestart.push({ name: m.name, id: m.id, outsideAnyStack: m.stack === undefined });
  const vms = chosen.filter((m) => m.kind === "azure-vm");
  // Names can repeat across resource groups and subscriptions: a wave entry is the machine's ID.
  const byId = new Map(vms.map((m) => [m.id, m]));
  const machineOf = new Map<RebootHost, ScopeMachine>();
  const waves = planWaves(
    vms.map((m): RebootTarget => ({ name: m.id, zone: m.zone })),
    options.maxUnavailable,
  );
  for (const wave of waves) {
    (report.waves as Wave[]).push({ ...wave, hosts: wave.hosts.map((id) => byId.get(id)!.name) });
    for (const id of wave.hosts) {
      const host: RebootHost = {
        name: byId.get(id)!.name,
        zone: wave.zone,
        wave: wave.number,
        outcome: options.dryRun ? "planned" : "not restarted",
        detail: id,
      };
      report.hosts.push(host);
      machineOf.set(host, byId.get(id)!);
    }
  }
  if (options.dryRun || waves.length === 0) return done();

  const question = `Restart ${vms.length} Azure VM(s) of ${report.scope} in ${waves.length} wave(s) of at most ${options.maxUnavailable}, one zone at a time?`;
  await restartInWaves(report, options, question, (h) => {
    const m = machineOf.get(h)!;
    return restartAndWait(h, { ...options, arm: options.armFor(m.subscriptionId) }, m.resourceGroup);
  });
  return done();
}

/** Text: the waves, then the Arc machines to restart by hand. */
export function formatScopeRebootText(report: ScopeRebootReport): string {
  const out = [
    `scope ${report.scope}: ${report.selection}, at most ${report.maxUnavailable} at once, one zone a wave${report.dryRun ? " (dry run: nothing restarted)" : ""} (${report.graphRequests} Resource Graph request(s))`,
  ];
  if (report.error) out.push(`  error: ${report.error}`);
  out.push(...leftAloneLines(report), ...waveLines(report));
  if (report.manualRestart.length > 0) {
    out.push("  needs a manual restart (Arc-enabled server: Azure Resource Manager has no restart action for Microsoft.HybridCompute/machines):");
    for (const m of report.manualRestart) out.push(`    ${m.name}${m.outsideAnyStack ? " (outside any stack)" : ""}: ${m.id}`);
  }
  if (report.waves.length === 0 && report.manualRestart.length === 0 && !report.error) out.push("  nothing to restart.");
  out.push(
    "",
    report.dryRun
      ? `${report.hosts.length} Azure VM(s) in ${report.waves.length} wave(s) would be restarted; ${report.manualRestart.length} Arc machine(s) need a manual restart [${(report.timings.totalMs / 1000).toFixed(1)} s].`
      : `${report.hosts.filter((h) => h.outcome === "restarted").length} restarted, ${report.hosts.filter((h) => h.outcome === "did not come back").length} did not come back, ${report.hosts.filter((h) => h.outcome === "not restarted").length} not restarted; ${report.manualRestart.length} Arc machine(s) need a manual restart [${(report.timings.totalMs / 1000).toFixed(1)} s].`,
  );
  return out.join("\n");
}
