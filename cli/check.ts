/**
 * `mailhost check`: for each stack, validate `Pulumi.<stack>.yaml`, run the program offline under
 * mocks, and send every resource and the stack to the policy pack over the analyzer protocol,
 * with the stack's policy config. Needs no Pulumi CLI, no cloud and no secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigValidationError } from "../domain/issues";
import { type PolicyDiagnostic, type PolicyPackConfig, type PolicyPackProcess } from "../engine/analyzer";
import { OfflineThread, OfflineThreadError } from "../engine/offlineThread";
import { DEFAULT_MAX_IN_FLIGHT, POLICY_PACK_DIR, ResourceAnalysis, startPolicyPack } from "../engine/policyCheck";
import { type LoadedStack, loadStack } from "../stack/stackConfig";
import { fileErrorText, readStackFile, type StackFile, StackFileError } from "../stack/stackFile";
import { ruleOf } from "../policies/all";
import { lineOfKey } from "./locate";

/**
 * Config key a rule's violations point at in the stack file (for annotations), by rule name: the
 * policy's name, or for a policy made of several rules the rule's own (found by {@link ruleOf}).
 */
const RULE_CONFIG_KEY: Readonly<Record<string, string>> = {
  "mailhost-tcp-timed-wait-delay-range": "mailhost:tcp.tcpTimedWaitDelay",
  "mailhost-tcp-timed-wait-delay-recommended": "mailhost:tcp.tcpTimedWaitDelay",
  "mailhost-max-user-port-range": "mailhost:tcp.maxUserPort",
  "mailhost-max-user-port-recommended": "mailhost:tcp.maxUserPort",
  "mailhost-dynamic-port-range-valid": "mailhost:tcp.dynamicPortRange",
  "mailhost-mailbox-cache-ttl-floor": "mailhost:siteConfig.mailboxCacheTtl",
  "mailhost-capacity-sustains-load": "mailhost:siteConfig.mailboxCacheTtl",
  "mailhost-tuning-values-readable": "mailhost:tcp.tuning",
  "mailhost-vm-has-one-tuning": "mailhost:tcp.tuning",
  "mailhost-nic-no-public-ip": "mailhost:fleet",
  "mailhost-nsg-no-remote-management-from-internet": "mailhost:fleet.allowedImapCidrs",
  "mailhost-secrets-only-in-protected-settings": "mailhost:tcp.tuning",
  "mailhost-vm-has-monitoring-agent": "mailhost:monitoring.enabled",
  "mailhost-vm-has-data-collection-rule-association": "mailhost:monitoring.enabled",
  "mailhost-alert-rule-has-action-group": "mailhost:monitoring",
};

export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
}

export interface Violation {
  readonly policy: string;
  /**
   * The rule that found it: the policy's name, or for a policy made of several rules the rule's
   * own name (as listed in docs/POLICIES.md's policy table). Unset: the policy's name.
   */
  readonly rule?: string;
  readonly level: PolicyDiagnostic["enforcementLevel"];
  readonly urn?: string;
  /** The policy's own message (without the policy description). */
  readonly message: string;
  readonly description: string;
  readonly line?: number;
  /** When the same violation was found on several resources: their names (`urn` is then unset). */
  readonly resources?: readonly string[];
  /** Their URNs, in the same order as `resources`. */
  readonly urns?: readonly string[];
}

/** The resource name at the end of a URN. */
const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * The same violation on many resources, once: violations of one policy and level whose messages
 * differ only by the resource's name become one, with the list of resources. 1,000 annotations
 * for one key help nobody.
 */
export function groupViolations(violations: readonly Violation[]): Violation[] {
  const groups = new Map<string, Violation[]>();
  const order: string[] = [];
  for (const v of violations) {
    const name = v.urn ? nameOfUrn(v.urn) : "";
    const template = name ? v.message.split(`"${name}"`).join("\u0000").split(name).join("\u0001") : v.message;
    const key = `${v.policy}\u0002${v.level}\u0002${template}`;
    if (!groups.has(key)) { groups.set(key, []); order.push(key); }
    groups.get(key)!.push(v);
  }
  return order.map((key) => {
    const vs = groups.get(key)!;
    if (vs.length === 1) return vs[0];
    const template = key.split("\u0002")[2];
    const names = vs.map((v) => nameOfUrn(v.urn!));
    const message = template.split("\u0000").join(`(${names.length} resources)`).split("\u0001").join("<resource>");
    return { ...vs[0], urn: undefined, message, resources: names, urns: vs.map((v) => v.urn!) };
  });
}

export type StackStatus = "passed" | "rejected" | "error";

/**
 * The policy holding the capacity rule (`mailhost-capacity-sustains-load`), whose load (config
 * keys `activeSessionsPerHost`, `backendEndpoints`, `utilization`) comes from the stack's own
 * `mailhost:capacity`.
 */
export const CAPACITY_POLICY = "mailhost-fleet-readiness";

/** The stack-file key a diagnostic points at, by the rule that produced it; undefined when none. */
export function configKeyOf(d: Pick<PolicyDiagnostic, "policyName" | "description">): string | undefined {
  const rule = ruleOf(d);
  return rule === undefined ? undefined : RULE_CONFIG_KEY[rule];
}

export interface StackReport {
  readonly stack: string;
  /** Stack file, relative to the project directory. */
  readonly file: string;
  /** Stack file, relative to the repository root (for GitHub annotations); as `file` outside a repository. */
  readonly annotationFile: string;
  status: StackStatus;
  resourceCount: number;
  readonly configProblems: ConfigProblem[];
  readonly violations: Violation[];
  /** Keys that had no value in the file and got a placeholder secret. */
  placeholders: string[];
  /**
   * The policy config file that applied (as given to `--policy-pack-config`), or null when the
   * pack's defaults applied. Either way the capacity load is the stack's own `mailhost:capacity`.
   */
  policyConfig: string | null;
  error?: string;
  readonly timings: { programMs: number; analysisMs: number; totalMs: number };
}

export interface CheckReport {
  readonly stacks: StackReport[];
  /** `packCpuMs`: CPU time the policy pack spent (starting, analysing), when measurable. */
  readonly timings: { packStartMs: number; totalMs: number; packCpuMs?: number };
}

export interface CheckOptions {
  /** Project directory holding `Pulumi.<stack>.yaml`. */
  readonly dir: string;
  readonly stacks: readonly string[];
  /**
   * Policy config file (levels, floors) for every stack; the pack's defaults when absent. Never
   * chosen by stack name: two stack files with the same content get the same verdict.
   */
  readonly policyPackConfig?: string;
  /** Progress lines (stderr). */
  readonly progress?: (line: string) => void;
}

/**
 * A file's path relative to the root of the git repository that holds it (where GitHub resolves
 * annotation paths), or relative to `dir` outside a repository.
 */
export function repositoryPath(file: string, dir: string): string {
  let root = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(root, ".git"))) return path.relative(root, path.resolve(file)).split(path.sep).join("/");
    const parent = path.dirname(root);
    if (parent === root) return path.relative(dir, file) || file;
    root = parent;
  }
}

/** A user error that stops the whole check (exit 2). */
export class CheckSetupError extends Error {}

function readPolicyConfig(file: string): PolicyPackConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CheckSetupError(`Policy pack config ${fileErrorText(file, err)}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as PolicyPackConfig;
  } catch (err) {
    throw new CheckSetupError(`Policy pack config ${file} is not a JSON object: ${(err as Error).message}`);
  }
}

/**
 * The policy config a stack is checked with: the given file (or the pack's defaults), with the
 * capacity policy's load taken from the stack's own `mailhost:capacity`. A load the file states
 * that differs from the stack's is a config problem naming both values.
 */
export function policyConfigFor(loaded: LoadedStack, file: StackFile, options: CheckOptions): { config: PolicyPackConfig; problems: ConfigProblem[] } {
  const base = options.policyPackConfig !== undefined ? readPolicyConfig(options.policyPackConfig) : {};
  const capacity = loaded.plan.config.capacity;
  const load: Record<string, number> = {
    activeSessionsPerHost: capacity.activeSessionsPerHost,
    backendEndpoints: capacity.backendEndpoints,
    utilization: capacity.utilization,
  };
  const stated = (base[CAPACITY_POLICY] ?? {}) as Record<string, unknown>;
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(load)) {
    if (stated[key] === undefined || stated[key] === value) continue;
    const stackKey = `mailhost:capacity.${key}`;
    problems.push({
      path: stackKey,
      message: `policy config ${options.policyPackConfig} sets ${CAPACITY_POLICY}.${key} = ${JSON.stringify(stated[key])}, but ${path.basename(file.file)} sets ${stackKey} = ${value}; the load comes from the stack: remove ${key} from the policy config or make both equal.`,
      line: lineOfKey(file.text, stackKey),
    });
  }
  return { config: { ...base, [CAPACITY_POLICY]: { ...stated, ...load } }, problems };
}

/** The last line of a diagnostic message: the SDK puts the policy description first. */
function ownMessage(d: PolicyDiagnostic): string {
  return d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
}

async function checkStack(pack: () => Promise<PolicyPackProcess>, thread: () => OfflineThread, file: StackFile, report: StackReport, options: CheckOptions): Promise<void> {
  const t0 = performance.now();
  for (const key of file.plaintextSecrets) {
    report.configProblems.push({
      path: key,
      message: `${key} is written in plain text in ${path.basename(file.file)} (value not shown); remove it and set it with \`pulumi config set --secret ${key}\`.`,
      line: lineOfKey(file.text, key),
    });
  }
  // Validate first, the same way the program does: every problem, each with its key path.
  let loaded: LoadedStack;
  try {
    loaded = loadStack(file.stack, file.config);
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    for (const issue of err.issues) report.configProblems.push({ path: issue.path, message: issue.message, line: lineOfKey(file.text, issue.path) });
    report.status = "rejected";
    return;
  }
  if (report.configProblems.length > 0) {
    report.status = "rejected";
    return;
  }
  const { config: policyConfig, problems } = policyConfigFor(loaded, file, options);
  if (problems.length > 0) {
    report.configProblems.push(...problems);
    report.status = "rejected";
    return;
  }
  const configured = pack().then(async (analyzer) => { await analyzer.configure(policyConfig); return analyzer; });
  // Resources go to the pack while the program is still running: the program on a worker thread,
  // the analyzer client on this one, the pack in its own process.
  const analysis = new ResourceAnalysis(configured, DEFAULT_MAX_IN_FLIGHT, (done, total) => options.progress?.(`${file.stack}: analysed ${done}/${total} resources`));
  const resources = await thread().run(file.stack, file.config, file.secretKeys, { dropAliases: true, stackTraceLimit: 0, onResource: (r) => analysis.add(r) });
  report.resourceCount = resources.length;
  report.timings.programMs = performance.now() - t0;
  options.progress?.(`${file.stack}: program ran offline, ${resources.length} resources`);
  const t1 = performance.now();
  const diagnostics = await analysis.finish(resources);
  report.timings.analysisMs = performance.now() - t1;
  const found: Violation[] = diagnostics.map((d) => {
    const key = configKeyOf(d);
    return { policy: d.policyName, rule: ruleOf(d) ?? d.policyName, level: d.enforcementLevel, urn: d.urn || undefined, message: ownMessage(d), description: d.description, line: key ? lineOfKey(file.text, key) : undefined };
  });
  report.violations.push(...groupViolations(found));
  report.status = diagnostics.some((d) => d.enforcementLevel === "mandatory") ? "rejected" : "passed";
}

/**
 * A component's "has invalid inputs" error (thrown before any child exists) as a config problem,
 * located at the stack-file key named like the first input; undefined for other errors.
 */
function invalidInputs(err: unknown, file: StackFile): ConfigProblem | undefined {
  if (!(err instanceof OfflineThreadError) && !(err instanceof Error && err.name === "ResourceError")) return undefined;
  const m = /has invalid inputs: ([A-Za-z][\w]*)/.exec((err as Error).message);
  if (!m) return undefined;
  const index = file.text.split("\n").findIndex((l) => new RegExp(`^\\s*${m[1]}\\s*:`).test(l));
  return { path: m[1], message: (err as Error).message.split("\n")[0], line: index >= 0 ? index + 1 : undefined };
}

/** Runs the check over the stacks; never throws for a stack's own problems (they are in the report). */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const started = performance.now();
  // Validate the inputs that concern every stack first: bad input stops before any work.
  if (options.policyPackConfig !== undefined) readPolicyConfig(options.policyPackConfig);
  // A stack file that cannot be read or parsed is a stack of its own, rejected; the others go on.
  const files = options.stacks.map((stack): StackFile | { stack: string; failure: StackFileError } => {
    try {
      return readStackFile(options.dir, stack);
    } catch (err) {
      if (err instanceof StackFileError) return { stack, failure: err };
      throw new CheckSetupError((err as Error).message);
    }
  });
  let packStartMs = 0;
  let started$: Promise<PolicyPackProcess> | undefined;
  let onSpawned = () => {};
  const spawned = new Promise<void>((resolve) => { onSpawned = resolve; });
  // One pack for all stacks, started first: its start-up overlaps with loading the program.
  const pack = () => {
    started$ ??= (async () => {
      const t = performance.now();
      const p = await startPolicyPack(options.stacks[0] ?? "check", {}, POLICY_PACK_DIR, { onSpawned });
      packStartMs = performance.now() - t;
      return p;
    })();
    return started$;
  };
  let programThread: OfflineThread | undefined;
  const thread = () => (programThread ??= new OfflineThread());
  const reports: StackReport[] = [];
  let packCpuMs: number | undefined;
  try {
    // Until the process is spawned (or failed to), so that nothing else takes the CPU first.
    await Promise.race([spawned, pack().catch(() => undefined)]);
    // Then the program thread, which starts loading the Pulumi SDK and the program right away.
    thread();
    for (const file of files) {
      if ("failure" in file) {
        const { failure } = file;
        // A missing file could not be checked (2); a file that is there but unusable is rejected (1).
        const missing = !fs.existsSync(failure.file);
        reports.push({
          stack: file.stack, file: path.relative(options.dir, failure.file) || failure.file, annotationFile: repositoryPath(failure.file, options.dir), status: missing ? "error" : "rejected", resourceCount: 0,
          configProblems: missing ? [] : [{ path: "", message: failure.message, line: failure.line }], violations: [], placeholders: [],
          policyConfig: options.policyPackConfig ?? null, timings: { programMs: 0, analysisMs: 0, totalMs: 0 }, ...(missing ? { error: failure.message } : {}),
        });
        continue;
      }
      const report: StackReport = {
        stack: file.stack,
        file: path.relative(options.dir, file.file) || file.file,
        annotationFile: repositoryPath(file.file, options.dir),
        status: "error",
        resourceCount: 0,
        configProblems: [],
        violations: [],
        placeholders: file.placeholders,
        policyConfig: options.policyPackConfig ?? null,
        timings: { programMs: 0, analysisMs: 0, totalMs: 0 },
      };
      reports.push(report);
      const t = performance.now();
      try {
        await checkStack(pack, thread, file, report, options);
      } catch (err) {
        const invalid = invalidInputs(err, file);
        if (invalid) {
          // A configuration mistake that a component found: rejected, with the line, like any other.
          report.status = "rejected";
          report.configProblems.push(invalid);
        } else {
          report.status = "error";
          report.error = (err as Error).message;
        }
      }
      report.timings.totalMs = performance.now() - t;
      options.progress?.(`${file.stack}: ${report.status} (${reports.length}/${files.length} stacks done)`);
    }
  } finally {
    await programThread?.close();
    const analyzer = started$ ? await started$.catch(() => undefined) : undefined;
    packCpuMs = analyzer?.cpuTimeMs();
    await analyzer?.close();
  }
  return { stacks: reports, timings: { packStartMs, totalMs: performance.now() - started, packCpuMs } };
}

/** 0 all passed, 1 a stack was rejected, 2 a stack could not be checked. */
export function exitCodeOf(report: CheckReport): number {
  if (report.stacks.some((s) => s.status === "error")) return 2;
  return report.stacks.some((s) => s.status === "rejected") ? 1 : 0;
}
