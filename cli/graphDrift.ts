/**
 * `mailhost drift --source graph`: in-guest drift of a Machine Configuration stack read from Azure
 * Resource Graph in one paged query, instead of a Run Command on every host. Azure evaluates each
 * assignment every 15 minutes; a result older than `--max-age` is `unknown`, never trusted.
 *
 * The hosts to expect still come from the stack's VMs (listed through ARM); every one of them is
 * in the report. Remediation of drifted hosts re-sends each one's guest configuration assignment
 * unchanged (a PUT through ARM), which Microsoft documents as the way to make the agent apply the
 * configuration again ("Remediation options for machine configuration").
 */
import { type ArmCompute } from "../azure/arm";
import { type ResourceGraph } from "../azure/resourceGraph";
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- DEFAULT_MAX_AGE_MINUTES is named by a {@link} in a doc comment
import { type AssignmentRow, DEFAULT_MAX_AGE_MINUTES, type ExpectedAssignment, assignmentQuery, judgeAssignment, rowsByVm } from "../domain/graphDrift";
import { type FleetPlan, STACK_TAG } from "../domain/plan";
import { type DriftReport, type HostDrift, LIST_TIMEOUT_SECONDS, remediateDrifted } from "./drift";

export interface GraphDriftOptions {
  readonly plan: FleetPlan;
  /** Lists the VMs (the hosts to expect) and runs remediation. */
  readonly arm: ArmCompute;
  readonly graph: ResourceGraph;
  readonly subscription: string;
  /** Defaults to the plan's resource group. */
  readonly resourceGroup?: string;
  /** What the plan's assignment carries: package hash and parameters. */
  readonly expected: ExpectedAssignment;
  /** Results older than this are unknown, minutes. Defaults to {@link DEFAULT_MAX_AGE_MINUTES}. */
  readonly maxAgeMinutes?: number;
  /** Only these hosts (VM names). Defaults to every host of the stack. */
  readonly hosts?: readonly string[];
  /** The time of the check, ms since the epoch. Defaults to now. */
  readonly now?: number;
  readonly remediate?: boolean;
  readonly yes?: boolean;
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Per-host time limit of remediation, seconds. */
  readonly timeoutSeconds?: number;
  readonly concurrency?: number;
  readonly progress?: (line: string) => void;
}

/** A drift report from Resource Graph, with the requests (pages) it took. */
export interface GraphDriftReport extends DriftReport {
  readonly source: "graph";
  readonly graphRequests: number;
}

/**
 * Judges every host of the stack from its Machine Configuration assignment. Never throws for a
 * failing Azure call: listing or querying failures land in `report.error` (exit 2).
 */
export async function runGraphDrift(options: GraphDriftOptions): Promise<GraphDriftReport> {
  const started = performance.now();
  const plan = options.plan;
  const resourceGroup = options.resourceGroup ?? plan.names.resourceGroup;
  const report: GraphDriftReport = {
    stack: plan.stack,
    resourceGroup,
    subscription: options.subscription,
    mechanism: plan.tuning.mechanism,
    source: "graph",
    graphRequests: 0,
    hosts: [],
    timings: { totalMs: 0 },
  };
  const finish = () => {
    report.timings.totalMs = performance.now() - started;
    return report;
  };

  let names: string[];
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), LIST_TIMEOUT_SECONDS * 1000);
    try {
      names = (await options.arm.listVms(resourceGroup, controller.signal))
        .filter((vm) => vm.tags[STACK_TAG] === plan.stack)
        .map((vm) => vm.name)
        .sort();
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    report.error = `could not list the VMs of resource group ${resourceGroup}: ${(err as Error).message.split("\n")[0]}`;
    return finish();
  }
  const missing = plan.hosts.map((h) => h.name).filter((n) => !names.includes(n));
  const wanted = options.hosts ? new Set(options.hosts) : undefined;
  if (wanted) names = names.filter((n) => wanted.has(n));
  options.progress?.(
    `${names.length} host(s) of stack ${plan.stack} in ${resourceGroup}; reading their Machine Configuration compliance from Azure Resource Graph`,
  );

  let rows: AssignmentRow[];
  try {
    const result = await options.graph.queryAll<AssignmentRow>(assignmentQuery(options.subscription, resourceGroup), [options.subscription]);
    rows = result.rows;
    (report as { graphRequests: number }).graphRequests = result.pages;
  } catch (err) {
    const e = err as { message?: string; statusCode?: number; code?: string };
    report.error = `Azure Resource Graph query failed${e.statusCode ? ` (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""})` : ""}: ${(e.message ?? String(err)).split("\n")[0]}`;
    return finish();
  }

  const byVm = rowsByVm(rows);
  const now = options.now ?? Date.now();
  for (const name of names) {
    const verdict = judgeAssignment(byVm.get(name.toLowerCase()), plan.tuning, options.expected, { now, maxAgeMinutes: options.maxAgeMinutes });
    const host: HostDrift = {
      name,
      status: verdict.status,
      settings: verdict.settings,
      rebootPending: verdict.rebootPending,
      waitingForReboot: verdict.rebootPending,
      timings: { ms: 0 },
    };
    if (verdict.reason !== undefined) host.reason = verdict.reason;
    if (verdict.evaluatedAt !== undefined) host.collectedAt = verdict.evaluatedAt;
    report.hosts.push(host);
  }
  for (const name of missing) {
    if (wanted && !wanted.has(name)) continue;
    report.hosts.push({
      name,
      status: "unknown",
      reason: `not found in resource group ${resourceGroup} with tag ${STACK_TAG}=${plan.stack}`,
      settings: [],
      timings: { ms: 0 },
    });
  }

  if (options.remediate) {
    await remediateDrifted(
      report,
      {
        plan,
        arm: options.arm,
        subscription: options.subscription,
        resourceGroup,
        yes: options.yes,
        confirm: options.confirm,
        timeoutSeconds: options.timeoutSeconds,
        concurrency: options.concurrency,
        progress: options.progress,
      },
      resourceGroup,
    );
  }
  return finish();
}
