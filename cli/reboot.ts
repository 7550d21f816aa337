/**
 * `mailhost reboot`: restarts the hosts of a stack whose Tcpip values wait for a reboot (or the
 * hosts named, or all), in waves of at most `maxUnavailable` hosts of one availability zone. Each
 * restarted host must come back running, with its VM agent ready and its Tcpip values in effect
 * (read with the same read-only collector as `mailhost drift`), before the next wave starts. The
 * first host that does not come back within the per-host time limit stops the run: later hosts are
 * left alone.
 */
import { compareHost } from "../domain/drift";
import { type FleetPlan, STACK_TAG } from "../domain/plan";
import { type RebootTarget, type Wave, notInEffect, planWaves, waitsForReboot } from "../domain/reboot";
import { type ArmCompute } from "../azure/arm";
import { collectHostState } from "./drift";

/** The Azure permission a restart needs (besides reading VMs and Run Command for the collector). */
export const RESTART_PERMISSION = "Microsoft.Compute/virtualMachines/restart/action";
/** Per-host time limit by default, seconds: restart, boot, agent ready and one collector run. */
export const DEFAULT_REBOOT_TIMEOUT_SECONDS = 1200;
/** Wait between two looks at a restarting host, ms. */
export const DEFAULT_CHECK_INTERVAL_MS = 15_000;
/** Hosts whose state is read at once when looking for those that wait. */
export const DEFAULT_READ_CONCURRENCY = 8;

/** Which hosts to restart. */
export type RebootSelection = { readonly kind: "waiting" } | { readonly kind: "hosts"; readonly hosts: readonly string[] } | { readonly kind: "all" };

export type HostOutcome =
  /** Restarted and back: running, agent ready, Tcpip values in effect. */
  | "restarted"
  /** Restarted (or the restart failed) and not back within the time limit: the run stopped here. */
  | "did not come back"
  /** Not restarted: a wave before it did not complete, or the run was not confirmed. */
  | "not restarted"
  /** In a wave, but not restarted because --dry-run. */
  | "planned";

export interface RebootHost {
  readonly name: string;
  readonly zone?: string;
  readonly wave: number;
  outcome: HostOutcome;
  /** Why the host did not come back, or what it looked like last. */
  detail?: string;
  /** Seconds from the restart request until the host was back. */
  seconds?: number;
}

export interface RebootReport {
  readonly stack: string;
  readonly resourceGroup: string;
  readonly selection: string;
  readonly maxUnavailable: number;
  readonly dryRun: boolean;
  readonly waves: readonly Wave[];
  readonly hosts: RebootHost[];
  /** Hosts of the stack not waiting for a reboot (with the default selection), left alone. */
  readonly notWaiting: string[];
  /** Hosts whose state could not be read (default selection): not restarted, and the run is incomplete. */
  readonly unreadable: Array<{ name: string; reason: string }>;
  confirmed: boolean;
  /**
   * A dry run of the default selection: which hosts wait was not read (that takes a Run Command on
   * every host, and a dry run sends nothing), so the waves cover every host of the stack.
   */
  waitingNotRead?: boolean;
  /** A dry run: the hosts and zones come from the stack file, not from Azure. */
  fromStackFile?: boolean;
  /** Set when the run could not start (listing failed, an unknown --host). */
  error?: string;
  readonly timings: { totalMs: number };
}

/** How a rolling reboot runs: the same for a stack's hosts (`--stack`) and a scope's machines (`--scope`). */
export interface RebootRunOptions {
  /** Which hosts to restart. */
  readonly selection: RebootSelection;
  /** Hosts restarted at once (already resolved from a number or percentage). */
  readonly maxUnavailable: number;
  /** Plan the waves and restart nothing. Defaults to false. */
  readonly dryRun?: boolean;
  /** Restart without asking. Defaults to false. */
  readonly yes?: boolean;
  /** Asked before restarting, unless `yes`. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Per-host time limit, seconds. Defaults to {@link DEFAULT_REBOOT_TIMEOUT_SECONDS}. */
  readonly timeoutSeconds?: number;
  /** Wait between looks at a restarting host, ms. Defaults to {@link DEFAULT_CHECK_INTERVAL_MS}. */
  readonly checkIntervalMs?: number;
}

export interface RebootOptions extends RebootRunOptions {
  readonly plan: FleetPlan;
  /** Lists, reads and restarts the VMs. Not used (and not needed) by a dry run, which plans from the stack file alone. */
  readonly arm?: ArmCompute;
  /** Defaults to the plan's resource group. */
  readonly resourceGroup?: string;
  readonly concurrency?: number;
  readonly progress?: (line: string) => void;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; statusCode?: number };
  return `${(e.message ?? String(err)).split("\n")[0]}${e.statusCode ? ` (HTTP ${e.statusCode})` : ""}`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * Restarts one host and waits until it is back: power state running, VM agent ready, and the
 * collector showing the Tcpip values in effect. Resolves with undefined when back, else the reason.
 */
export async function restartAndWait(
  host: RebootHost,
  options: Pick<RebootOptions, "plan" | "timeoutSeconds" | "checkIntervalMs" | "progress"> & { readonly arm: ArmCompute },
  resourceGroup: string,
): Promise<string | undefined> {
  const seconds = options.timeoutSeconds ?? DEFAULT_REBOOT_TIMEOUT_SECONDS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  const started = performance.now();
  let last = "no answer yet";
  try {
    try {
      await options.arm.restart(resourceGroup, host.name, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) return `the restart did not complete within ${seconds} s`;
      return `the restart failed: ${errorText(err)}`;
    }
    options.progress?.(`${host.name}: restart done, waiting for it to come back`);
    while (!controller.signal.aborted) {
      try {
        const state = await options.arm.instanceState(resourceGroup, host.name, controller.signal);
        if (state.powerState !== "running") last = `power state ${state.powerState ?? "not reported"}`;
        else if (!state.agentReady) last = `running, VM agent ${state.agentStatus ?? "not reported"}`;
        else {
          const parsed = await collectHostState(options.arm, resourceGroup, host.name, options.plan, controller.signal);
          if (!parsed.ok) last = `running, agent ready, collector: ${parsed.reason}`;
          else {
            const why = notInEffect(parsed.report, compareHost(options.plan.tuning, parsed.report));
            if (why === undefined) {
              host.seconds = Math.round((performance.now() - started) / 1000);
              return undefined;
            }
            last = `running, agent ready, Tcpip values not in effect: ${why}`;
          }
        }
      } catch (err) {
        if (controller.signal.aborted) break;
        last = errorText(err);
      }
      await sleep(options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS, controller.signal);
    }
    return `not back within ${seconds} s (last seen: ${last})`;
  } finally {
    clearTimeout(timer);
  }
}

/** The selection in words: "hosts waiting for a reboot", "all machines (--all)", "named hosts (a, b)". */
export function selectionText(selection: RebootSelection, noun: "hosts" | "machines" = "hosts"): string {
  return selection.kind === "waiting"
    ? `${noun} waiting for a reboot`
    : selection.kind === "all"
      ? `all ${noun} (--all)`
      : `named ${noun} (${selection.hosts.join(", ")})`;
}

/**
 * Asks before restarting (unless `yes`), then restarts the report's hosts wave by wave, each
 * wave's hosts at once, with `restart` (resolving with undefined when the host is back, else the
 * reason). Stops after the first wave in which a host did not come back: later waves are left alone.
 */
export async function restartInWaves(
  report: RebootReport,
  options: RebootRunOptions & { readonly progress?: (line: string) => void },
  question: string,
  restart: (host: RebootHost) => Promise<string | undefined>,
): Promise<void> {
  report.confirmed = options.yes === true || (options.confirm !== undefined && (await options.confirm(question)));
  if (!report.confirmed) return;
  for (const wave of report.waves) {
    const hosts = report.hosts.filter((h) => h.wave === wave.number);
    options.progress?.(`wave ${wave.number}/${report.waves.length} (zone ${wave.zone ?? "none"}): restarting ${hosts.map((h) => h.name).join(", ")}`);
    const reasons = await Promise.all(hosts.map(restart));
    hosts.forEach((h, i) => {
      h.outcome = reasons[i] === undefined ? "restarted" : "did not come back";
      if (reasons[i] !== undefined) h.detail = reasons[i];
      options.progress?.(`${h.name}: ${h.outcome}${reasons[i] !== undefined ? ` (${h.detail})` : h.seconds !== undefined ? ` in ${h.seconds} s` : ""}`);
    });
    if (reasons.some((r) => r !== undefined)) {
      options.progress?.(`stopping: later waves are left alone`);
      break;
    }
  }
}

/** Text lines of the hosts left alone: those whose state could not be read, and those not waiting. */
export function leftAloneLines(report: RebootReport): string[] {
  return [
    ...report.unreadable.map((u) => `  ${u.name}: state unknown, not restarted (${u.reason})`),
    ...(report.notWaiting.length > 0 ? [`  not waiting for a reboot, left alone: ${report.notWaiting.join(", ")}`] : []),
  ];
}

/** Text lines of the waves, each host with its outcome. */
export function waveLines(report: RebootReport): string[] {
  return report.waves.flatMap((wave) => [
    `  wave ${wave.number} (zone ${wave.zone ?? "none"}):`,
    ...report.hosts
      .filter((x) => x.wave === wave.number)
      .map((h) => `    ${h.name}  ${h.outcome}${h.seconds !== undefined ? ` in ${h.seconds} s` : ""}${h.detail ? `: ${h.detail}` : ""}`),
  ]);
}

/** Runs a rolling reboot (or, with `dryRun`, only plans it). Never throws for Azure errors: they end up in the report. */
export async function runReboot(options: RebootOptions): Promise<RebootReport> {
  const started = performance.now();
  const plan = options.plan;
  const resourceGroup = options.resourceGroup ?? plan.names.resourceGroup;
  const report: RebootReport = {
    stack: plan.stack,
    resourceGroup,
    selection: selectionText(options.selection),
    maxUnavailable: options.maxUnavailable,
    dryRun: options.dryRun === true,
    waves: [],
    hosts: [],
    notWaiting: [],
    unreadable: [],
    confirmed: false,
    timings: { totalMs: 0 },
  };
  const done = () => {
    report.timings.totalMs = performance.now() - started;
    return report;
  };

  const planned = new Map(plan.hosts.map((h) => [h.name, h.zone]));
  let names: string[];
  let zoneOf: (name: string) => string | undefined;
  if (options.dryRun) {
    // A dry run plans from the stack file alone: its hosts and zones, no Azure call, no credentials.
    // Those zones are the ones hosts created now would get; a real run takes each VM's from Azure.
    names = plan.hosts.map((h) => h.name).sort();
    zoneOf = (name) => planned.get(name);
    report.fromStackFile = true;
    options.progress?.(`${names.length} host(s) of stack ${plan.stack} as its stack file declares them (dry run: Azure is not asked)`);
  } else {
    if (options.arm === undefined) throw new Error("runReboot: a real run needs an ARM client");
    let vms;
    try {
      vms = (await options.arm.listVms(resourceGroup)).filter((vm) => vm.tags[STACK_TAG] === plan.stack);
    } catch (err) {
      report.error = `could not list the VMs of resource group ${resourceGroup}: ${errorText(err)}`;
      return done();
    }
    // The VM's own zone as Azure reports it, never the plan's: a VM keeps the zone it was created
    // in (the component pins it), so after an edit of fleet.zones the plan's zone can be wrong. A
    // VM that Azure lists without a zone has none. Every target is one of the listed VMs.
    const listed = vms;
    zoneOf = (name) => listed.find((v) => v.name === name)?.zones[0];
    names = vms.map((v) => v.name).sort();
    options.progress?.(`${names.length} host(s) of stack ${plan.stack} in ${resourceGroup}`);
  }
  const arm = options.arm as ArmCompute;

  let targets: string[];
  if (options.selection.kind === "all") targets = names;
  else if (options.selection.kind === "hosts") {
    const unknown = options.selection.hosts.filter((h) => !names.includes(h));
    if (unknown.length > 0) {
      report.error = `--host ${unknown.join(", ")}: not a host of stack ${plan.stack} in ${resourceGroup} (hosts: ${names.join(", ") || "none"})`;
      return done();
    }
    targets = [...new Set(options.selection.hosts)];
  } else if (options.dryRun) {
    // A dry run sends nothing: the collector is a Run Command (a POST), so waiting is not read.
    targets = names;
    report.waitingNotRead = true;
  } else {
    targets = [];
    let read = 0;
    await pool(names, options.concurrency ?? DEFAULT_READ_CONCURRENCY, async (name) => {
      try {
        const parsed = await collectHostState(arm, resourceGroup, name, plan);
        if (!parsed.ok) report.unreadable.push({ name, reason: parsed.reason });
        else if (waitsForReboot(parsed.report)) targets.push(name);
        else report.notWaiting.push(name);
      } catch (err) {
        report.unreadable.push({ name, reason: `run command failed: ${errorText(err)}` });
      }
      options.progress?.(`read ${++read}/${names.length} hosts`);
    });
    report.notWaiting.sort();
    report.unreadable.sort((a, b) => a.name.localeCompare(b.name));
  }

  const waves = planWaves(
    targets.map((name): RebootTarget => ({ name, zone: zoneOf(name) })),
    options.maxUnavailable,
  );
  (report.waves as Wave[]).push(...waves);
  for (const wave of waves)
    for (const name of wave.hosts) report.hosts.push({ name, zone: wave.zone, wave: wave.number, outcome: options.dryRun ? "planned" : "not restarted" });
  if (options.dryRun || waves.length === 0) return done();

  const question = `Restart ${targets.length} host(s) of stack ${plan.stack} in ${waves.length} wave(s) of at most ${options.maxUnavailable}, one zone at a time?`;
  await restartInWaves(report, options, question, (h) => restartAndWait(h, { ...options, arm }, resourceGroup));
  return done();
}

/** 0 done (or nothing to do, or a dry run), 2 could not complete: a host did not come back, a host could not be read, the run was not confirmed or could not start. */
export function rebootExitCode(report: RebootReport): number {
  if (report.error !== undefined || report.unreadable.length > 0) return 2;
  if (report.dryRun) return 0;
  if (report.hosts.length > 0 && !report.confirmed) return 2;
  return report.hosts.every((h) => h.outcome === "restarted") ? 0 : 2;
}

/** Text: the waves and each host's outcome. */
export function formatRebootText(report: RebootReport): string {
  const out = [
    `stack ${report.stack}: ${report.selection} in ${report.resourceGroup}, at most ${report.maxUnavailable} at once, one zone a wave${report.dryRun ? " (dry run: nothing restarted)" : ""}`,
  ];
  if (report.error) out.push(`  error: ${report.error}`);
  if (report.fromStackFile)
    out.push(
      "  hosts and zones from the stack file (a dry run asks Azure nothing and needs no credentials); a real run lists the VMs and uses the zone Azure reports.",
    );
  if (report.waitingNotRead)
    out.push(
      "  waiting for a reboot: not read in a dry run (it takes a Run Command on every host); the waves cover every host, and a real run restarts only those that wait.",
    );
  out.push(...leftAloneLines(report));
  if (report.waves.length === 0 && !report.error) out.push("  nothing to restart.");
  out.push(...waveLines(report));
  if (!report.dryRun && report.hosts.length > 0 && !report.confirmed) out.push("  not confirmed: nothing restarted (pass --yes to skip the question).");
  const count = (o: HostOutcome) => report.hosts.filter((h) => h.outcome === o).length;
  out.push(
    "",
    report.dryRun
      ? `${report.hosts.length} host(s) in ${report.waves.length} wave(s) would be restarted [${(report.timings.totalMs / 1000).toFixed(1)} s].`
      : `${count("restarted")} restarted, ${count("did not come back")} did not come back, ${count("not restarted")} not restarted [${(report.timings.totalMs / 1000).toFixed(1)} s].`,
  );
  return out.join("\n");
}

export function formatRebootJson(report: RebootReport): string {
  return JSON.stringify({ ...report, exitCode: rebootExitCode(report), timings: { totalMs: Math.round(report.timings.totalMs) } }, null, 2);
}

const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** GitHub annotations: an error per host that did not come back or could not be read, a notice per wave. */
export function formatRebootGithub(report: RebootReport, stackFile: string): string {
  const out: string[] = [];
  const note = (kind: "error" | "warning" | "notice", title: string, message: string) =>
    out.push(`::${kind} file=${escapeProperty(stackFile)},title=${escapeProperty(title)}::${escapeData(message)}`);
  if (report.error) note("error", `mailhost reboot (${report.stack})`, report.error);
  for (const u of report.unreadable) note("error", `reboot: ${u.name} state unknown`, `${u.name}: not restarted: ${u.reason}`);
  for (const h of report.hosts.filter((x) => x.outcome === "did not come back"))
    note("error", `reboot: ${h.name} did not come back`, `${h.name} (wave ${h.wave}, zone ${h.zone ?? "none"}): ${h.detail ?? ""}`);
  for (const wave of report.waves)
    note(
      "notice",
      `reboot wave ${wave.number} (${report.stack})`,
      `zone ${wave.zone ?? "none"}: ${report.hosts
        .filter((h) => h.wave === wave.number)
        .map((h) => `${h.name} ${h.outcome}`)
        .join(", ")}`,
    );
  const count = (o: HostOutcome) => report.hosts.filter((h) => h.outcome === o).length;
  out.push(
    `mailhost reboot ${report.stack}: ${count("restarted")} restarted, ${count("did not come back")} did not come back, ${count("not restarted")} not restarted${report.dryRun ? `, ${count("planned")} planned (dry run)` : ""}.`,
  );
  return out.join("\n");
}
