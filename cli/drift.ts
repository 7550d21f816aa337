/**
 * `mailhost drift`: what each Windows host really runs against the desired state of the stack.
 * Desired state comes from the stack file through the same plan the program uses; hosts are the
 * VMs of the stack's resource group that carry the stack's tag; live state comes from the static,
 * read-only collector script run through the ARM Run Command API.
 */
import {
  type CollectorReport,
  type ParsedCollector,
  type PortUsageReading,
  type SettingDrift,
  compareHost,
  hostStatus,
  isWrongKindError,
  parseCollectorOutput,
  type SettingStatus,
} from "../domain/drift";
import { waitsForReboot } from "../domain/reboot";
import { type FleetPlan, type RunCommandParameter, STACK_TAG, collectorParameters } from "../domain/plan";
import { type ArmCompute, RunCommandBusyError } from "../azure/arm";
import { runCommandContent } from "../components/guestContent";
import { COLLECTOR_SCRIPT as GUEST_COLLECTOR, readGuestScript } from "../components/guestScripts";
import { MAILHOST_TCP_TUNING } from "../domain/machineConfiguration";

/** The read-only collector. */
export const COLLECTOR_SCRIPT = GUEST_COLLECTOR.file;
/** Hosts checked at once by default. */
export const DEFAULT_CONCURRENCY = 8;
/** Per-host time limit by default, seconds (a Run Command takes at least about 20 s). */
export const DEFAULT_HOST_TIMEOUT_SECONDS = 600;
/** Time limit of listing the resource group's VMs, seconds. */
export const LIST_TIMEOUT_SECONDS = 180;

/**
 * Reason of a host whose Run Command kept answering 409 Conflict ("Run command extension execution
 * is in progress") until its time limit: another run command was executing on it.
 */
export const BUSY_REASON = "busy";

/** Name of the DSC extension the components create. */
export const DSC_EXTENSION_NAME = "Microsoft.Powershell.DSC";

export interface HostDrift {
  readonly name: string;
  status: SettingStatus;
  /** Why the host's state is unknown. */
  reason?: string;
  settings: SettingDrift[];
  rebootPending?: boolean;
  /** Tcpip values written since the last boot wait for a reboot (`mailhost reboot` finishes the change). */
  waitingForReboot?: boolean;
  collectedAt?: string;
  collectorErrors?: readonly string[];
  /** The latest port-usage reading, where the source has one (the Run Command collector; Resource Graph holds none). */
  portUsage?: PortUsageReading;
  remediation?: { readonly action: string; readonly outcome: "applied" | "failed" | "not confirmed"; readonly detail?: string };
  readonly timings: { ms: number };
}

export interface DriftReport {
  readonly stack: string;
  readonly resourceGroup: string;
  readonly subscription: string;
  readonly mechanism: string;
  /** Where in-guest state came from: the collector through Run Command, or Azure Resource Graph. */
  readonly source: "run-command" | "graph";
  readonly hosts: HostDrift[];
  /** Set when the check could not run at all (listing the VMs failed). */
  error?: string;
  readonly timings: { totalMs: number };
}

export interface DriftOptions {
  readonly plan: FleetPlan;
  readonly arm: ArmCompute;
  readonly subscription: string;
  /** Defaults to the plan's resource group. */
  readonly resourceGroup?: string;
  /** Hosts checked at once. Defaults to {@link DEFAULT_CONCURRENCY}. */
  readonly concurrency?: number;
  /** Per-host time limit, seconds. Defaults to {@link DEFAULT_HOST_TIMEOUT_SECONDS}. */
  readonly timeoutSeconds?: number;
  readonly remediate?: boolean;
  /** Asked before remediating, unless `yes`. */
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly yes?: boolean;
  readonly progress?: (line: string) => void;
  /** Only these hosts (VM names). Defaults to every host of the stack. */
  readonly hosts?: readonly string[];
}

/** Runs `work` for every item with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(workers);
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; statusCode?: number; code?: string };
  const status = e.statusCode ? ` (HTTP ${e.statusCode})` : "";
  return `${(e.message ?? String(err)).split("\n")[0]}${status}`;
}

/** Run Command parameters as the ARM client takes them (all values are command-line safe). */
function parameterMap(parameters: readonly RunCommandParameter[]): Record<string, string> {
  return Object.fromEntries(parameters.map((p) => [p.name, p.value]));
}

/** Runs `work` with an abort signal that fires after `seconds`; a timeout becomes a clear error. */
async function withTimeout<T>(seconds: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${seconds} s`)), seconds * 1000);
  try {
    return await work(controller.signal);
  } catch (err) {
    if (controller.signal.aborted && !(err instanceof RunCommandBusyError)) throw new Error(`timed out: no answer within ${seconds} s`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the read-only collector on one host through Run Command and parses what it printed; a
 * document that cannot be read gives a reason (with the script's stderr, if any). Used by drift
 * and by `mailhost reboot`.
 */
export async function collectHostState(arm: ArmCompute, resourceGroup: string, name: string, plan: FleetPlan, signal?: AbortSignal): Promise<ParsedCollector> {
  const output = await arm.runPowerShell(resourceGroup, name, readGuestScript(COLLECTOR_SCRIPT), parameterMap(collectorParameters(plan.tuning)), signal);
  const parsed = parseCollectorOutput(output.stdout);
  if (parsed.ok) return parsed;
  return { ok: false, reason: output.stderr.trim() ? `${parsed.reason}; stderr: ${output.stderr.trim().slice(0, 200)}` : parsed.reason };
}

async function checkHost(name: string, options: DriftOptions, resourceGroup: string): Promise<HostDrift> {
  const started = performance.now();
  const host: HostDrift = { name, status: "unknown", settings: [], timings: { ms: 0 } };
  try {
    await withTimeout(options.timeoutSeconds ?? DEFAULT_HOST_TIMEOUT_SECONDS, async (signal) => {
      const power = await options.arm.powerState(resourceGroup, name, signal);
      if (power !== undefined && power !== "running") {
        host.reason = `the VM is ${power}; its guest cannot be read`;
        return;
      }
      const parsed = await collectHostState(options.arm, resourceGroup, name, options.plan, signal);
      if (!parsed.ok) {
        host.reason = parsed.reason;
        return;
      }
      applyReport(host, options.plan, parsed.report);
    });
  } catch (err) {
    host.status = "unknown";
    // Another run command kept executing on the VM for the whole time limit.
    if (err instanceof RunCommandBusyError) host.reason = BUSY_REASON;
    else host.reason = `run command failed: ${errorText(err)}`;
  }
  host.timings.ms = performance.now() - started;
  return host;
}

function applyReport(host: HostDrift, plan: FleetPlan, report: CollectorReport): void {
  host.settings = compareHost(plan.tuning, report);
  host.status = hostStatus(host.settings);
  host.rebootPending = report.RebootPending;
  host.waitingForReboot = waitsForReboot(report);
  host.collectedAt = report.CollectedAt;
  if (report.PortUsage !== undefined && report.PortUsage !== null) host.portUsage = report.PortUsage;
  // Wrong-kind values are judged as drift in the settings; the other errors are notes.
  const errors = (report.Errors ?? []).filter((e) => !isWrongKindError(e));
  if (errors.length > 0) host.collectorErrors = errors;
  if (host.status === "unknown") host.reason = "some settings could not be read";
}

/** What remediation does on a stack's hosts, in a few words, by tuning mechanism. */
export function remediationAction(mechanism: string): string {
  if (mechanism === "dsc") return "bump the DSC extension's forceUpdateTag";
  if (mechanism === "machineConfiguration") return `re-send the guest configuration assignment ${MAILHOST_TCP_TUNING.configurationName} unchanged`;
  return "run the tuning script again";
}

/**
 * Re-applies the tuning on one drifted host: a new DSC `forceUpdateTag`; on Machine Configuration
 * hosts the guest configuration assignment re-sent unchanged (a PUT, which makes the agent apply
 * it again at its next poll, every 5 minutes: Microsoft's "Remediation options for machine
 * configuration"), with no Run Command; else the tuning script again through Run Command.
 */
async function remediateHost(host: HostDrift, options: DriftOptions, resourceGroup: string): Promise<void> {
  const tuning = options.plan.tuning;
  try {
    await withTimeout(options.timeoutSeconds ?? DEFAULT_HOST_TIMEOUT_SECONDS, async (signal) => {
      if (tuning.mechanism === "dsc") {
        const tag = `remediate-${new Date().toISOString()}`;
        await options.arm.bumpExtension(resourceGroup, host.name, DSC_EXTENSION_NAME, tag, signal);
        host.remediation = { action: `set forceUpdateTag of ${DSC_EXTENSION_NAME} to ${tag}`, outcome: "applied" };
      } else if (tuning.mechanism === "machineConfiguration") {
        const sent = await options.arm.resendGuestConfigurationAssignment(resourceGroup, host.name, MAILHOST_TCP_TUNING.configurationName, signal);
        host.remediation = {
          action: `re-sent the guest configuration assignment ${sent.name} unchanged (PUT)`,
          outcome: "applied",
          detail: "the Machine Configuration agent applies it at its next poll (within about 5 minutes); run `mailhost drift` again after that",
        };
      } else {
        // The same script and parameters as the managed run command: digits and base64url only.
        const { script, parameters } = runCommandContent(tuning);
        const out = await options.arm.runPowerShell(resourceGroup, host.name, script, parameterMap(parameters), signal);
        host.remediation = {
          action: "ran the tuning script again through Run Command",
          outcome: "applied",
          detail: out.stdout.trim().split("\n").pop()?.slice(0, 240),
        };
      }
    });
  } catch (err) {
    host.remediation = { action: remediationAction(tuning.mechanism), outcome: "failed", detail: errorText(err) };
  }
}

/**
 * Re-applies the tuning on the report's drifted hosts, after `confirm` (or with `yes`): a new DSC
 * `forceUpdateTag` on `dsc` stacks, the guest configuration assignment re-sent unchanged on
 * Machine Configuration stacks (which Azure otherwise corrects only at its next evaluation), else
 * the tuning script again through Run Command.
 */
export async function remediateDrifted(report: DriftReport, options: DriftOptions, resourceGroup: string): Promise<void> {
  const drifted = report.hosts.filter((h) => h.status === "drifted");
  if (drifted.length === 0) return;
  const action = remediationAction(options.plan.tuning.mechanism);
  const question = `Re-apply the tuning (${action}) on ${drifted.length} drifted host(s): ${drifted.map((h) => h.name).join(", ")}?`;
  const confirmed = options.yes === true || (options.confirm !== undefined && (await options.confirm(question)));
  if (!confirmed) {
    for (const h of drifted) h.remediation = { action, outcome: "not confirmed" };
    return;
  }
  await pool(drifted, options.concurrency ?? DEFAULT_CONCURRENCY, (h) => remediateHost(h, options, resourceGroup));
}

export async function runDrift(options: DriftOptions): Promise<DriftReport> {
  const started = performance.now();
  const plan = options.plan;
  const resourceGroup = options.resourceGroup ?? plan.names.resourceGroup;
  const report: DriftReport = {
    stack: plan.stack,
    resourceGroup,
    subscription: options.subscription,
    mechanism: plan.tuning.mechanism,
    source: "run-command",
    hosts: [],
    timings: { totalMs: 0 },
  };

  let vms;
  try {
    vms = await withTimeout(LIST_TIMEOUT_SECONDS, (signal) => options.arm.listVms(resourceGroup, signal));
  } catch (err) {
    report.error = `could not list the VMs of resource group ${resourceGroup}: ${errorText(err)}`;
    report.timings.totalMs = performance.now() - started;
    return report;
  }
  const wanted = options.hosts ? new Set(options.hosts) : undefined;
  const all = vms
    .filter((vm) => vm.tags[STACK_TAG] === plan.stack)
    .map((vm) => vm.name)
    .sort();
  const names = wanted ? all.filter((n) => wanted.has(n)) : all;
  options.progress?.(`${names.length} host(s) of stack ${plan.stack} in ${resourceGroup}`);

  const results = new Map<string, HostDrift>();
  let done = 0;
  await pool(names, options.concurrency ?? DEFAULT_CONCURRENCY, async (name) => {
    results.set(name, await checkHost(name, options, resourceGroup));
    done++;
    options.progress?.(`checked ${done}/${names.length} hosts (${name}: ${results.get(name)!.status})`);
  });
  report.hosts.push(...names.map((n) => results.get(n)!));
  // Hosts the plan expects but Azure does not have.
  for (const planned of plan.hosts) {
    if (wanted && !wanted.has(planned.name)) continue;
    if (!all.includes(planned.name)) {
      report.hosts.push({
        name: planned.name,
        status: "unknown",
        reason: `not found in resource group ${resourceGroup} with tag ${STACK_TAG}=${plan.stack}`,
        settings: [],
        timings: { ms: 0 },
      });
    }
  }

  if (options.remediate) await remediateDrifted(report, options, resourceGroup);
  report.timings.totalMs = performance.now() - started;
  return report;
}

/** 0 all in sync, 1 drift found, 2 the check could not complete for some host or at all. */
export function driftExitCode(report: DriftReport): number {
  if (report.error !== undefined || report.hosts.some((h) => h.status === "unknown")) return 2;
  return report.hosts.some((h) => h.status === "drifted") ? 1 : 0;
}
