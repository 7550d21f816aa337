/**
 * `mailhost check`: for each stack, validate `Pulumi.<stack>.yaml`, run the program offline under
 * mocks, and send every resource and the stack to the policy pack over the analyzer protocol,
 * with the stack's policy config. Needs no Pulumi CLI, no cloud and no secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigValidationError } from "../domain/issues";
import type { Rejection } from "../domain/rejection";
import { type PolicyDiagnostic, type PolicyPackConfig, type PolicyPackProcess } from "../engine/analyzer";
import { OfflineThread, OfflineThreadError } from "../engine/offlineThread";
import type { RecordedResource } from "../engine/offline";
import { DEFAULT_MAX_IN_FLIGHT, POLICY_PACK_DIR, ResourceAnalysis, stackConfigurationOf, startPolicyPack } from "../engine/policyCheck";
import { ProjectRunError, runProject } from "../engine/projectProcess";
import { type ProgramProject, type Project, readProject } from "../stack/project";
import { readProjectStackFile } from "../stack/projectStackFile";
import { type LoadedStack, loadStack } from "../stack/stackConfig";
import { fileErrorText, readStackFile, type StackFile, StackFileError } from "../stack/stackFile";
import { ruleOf } from "../policies/all";
import { FORMER_GROUPS } from "../policies/lib/formerGroups";
import { lineOfKey } from "./locate";

/**
 * Config key a rule's violations point at in the stack file (for annotations), by rule name (the
 * policy name of its diagnostics).
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
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
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

/** Policy-config properties that were values of the pack and now come from the stack's own config. */
const STACK_VALUES: Readonly<Record<string, string>> = {
  activeSessionsPerHost: "mailhost:capacity.activeSessionsPerHost",
  backendEndpoints: "mailhost:capacity.backendEndpoints",
  utilization: "mailhost:capacity.utilization",
  minimumMailboxCacheTtl: "mailhost:siteConfig.minimumMailboxCacheTtl",
};

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
  /** The project checked: its name, and the program's entry file when it has its own (this module's program otherwise). */
  readonly project: { readonly name: string; readonly program?: string };
  /** Directories of the policy packs that ran, this repository's first. */
  readonly packs: readonly string[];
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
  /**
   * Policy config files paired by position with the packs, this repository's first, then each of
   * `policyPacks` (as the Pulumi CLI pairs `--policy-pack-config` with `--policy-pack`). When
   * given, it replaces `policyPackConfig`.
   */
  readonly policyPackConfigs?: readonly string[];
  /** Further policy packs (directories with PulumiPolicy.yaml), run beside this repository's. */
  readonly policyPacks?: readonly string[];
  /** The project, when already read (else read from `dir`). */
  readonly project?: Project;
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
 * The policy config a stack is checked with: the given file, or the pack's defaults. The values the
 * rules need (capacity load, MailboxCacheTTL floor) are not in it: the pack reads them from the
 * stack's own config, which the check hands to the pack as the Pulumi CLI does. A file that still
 * names a former group of rules, or states such a value, is a config problem saying what to write
 * instead (it would otherwise set nothing, silently).
 */
export function policyConfigFor(_loaded: LoadedStack, file: StackFile, options: CheckOptions): { config: PolicyPackConfig; problems: ConfigProblem[] } {
  const base = options.policyPackConfig !== undefined ? readPolicyConfig(options.policyPackConfig) : {};
  const problems: ConfigProblem[] = [];
  for (const [name, entry] of Object.entries(base)) {
    const rules = FORMER_GROUPS[name];
    if (rules !== undefined) {
      problems.push({
        path: "",
        message: `policy config ${options.policyPackConfig} names ${name}, which is no policy any more: each rule is a policy of its own; set the level of ${rules.join(", ")} instead.`,
      });
    }
    for (const key of Object.keys(typeof entry === "object" && entry !== null ? entry : {})) {
      const stackKey = STACK_VALUES[key];
      if (stackKey === undefined) continue;
      problems.push({
        path: stackKey,
        message: `policy config ${options.policyPackConfig} sets ${name}.${key}, which the pack no longer reads: the value comes from the stack's own ${stackKey} (in ${path.basename(file.file)}); remove ${key} from the policy config.`,
        line: lineOfKey(file.text, stackKey),
      });
    }
  }
  return { config: base, problems };
}

/** The last line of a diagnostic message: the SDK puts the policy description first. */
function ownMessage(d: PolicyDiagnostic): string {
  return d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
}

async function checkStack(
  pack: () => Promise<PolicyPackProcess>,
  thread: () => OfflineThread,
  file: StackFile,
  report: StackReport,
  options: CheckOptions,
  extraPacks: readonly PackSlot[] = [],
  start?: (slot: PackSlot) => Promise<PolicyPackProcess>,
  programDone: () => void = () => {},
): Promise<void> {
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
  const configured = pack().then(async (analyzer) => {
    await analyzer.configure(policyConfig);
    return analyzer;
  });
  // Resources go to the pack while the program is still running: the program on a worker thread,
  // the analyzer client on this one, the pack in its own process.
  const analysis = new ResourceAnalysis(configured, DEFAULT_MAX_IN_FLIGHT, (done, total) =>
    options.progress?.(`${file.stack}: analysed ${done}/${total} resources`),
  );
  // A team's own packs (--policy-pack) get every resource too, each with its paired config.
  const others = extraPacks.map(
    (slot) =>
      new ResourceAnalysis(
        start!(slot).then(async (analyzer) => {
          await analyzer.configure(slot.configFile !== undefined ? readPolicyConfig(slot.configFile) : {});
          return analyzer;
        }),
      ),
  );
  const onResource =
    others.length === 0
      ? (r: RecordedResource) => analysis.add(r)
      : (r: RecordedResource) => {
          analysis.add(r);
          for (const a of others) a.add(r);
        };
  const resources = await thread().run(file.stack, file.config, file.secretKeys, { dropAliases: true, stackTraceLimit: 0, onResource });
  programDone();
  report.resourceCount = resources.length;
  report.timings.programMs = performance.now() - t0;
  options.progress?.(`${file.stack}: program ran offline, ${resources.length} resources`);
  const t1 = performance.now();
  const diagnostics = [...(await analysis.finish(resources)), ...(await Promise.all(others.map((a) => a.finish(resources)))).flat()];
  report.timings.analysisMs = performance.now() - t1;
  report.violations.push(...violationsOf(diagnostics, file));
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

/** A policy pack a check runs: this repository's (always, first) and each `--policy-pack`. */
interface PackSlot {
  readonly dir: string;
  /** Policy config file paired with this pack, when one was given. */
  readonly configFile?: string;
  readonly builtIn: boolean;
}

/**
 * The packs of a check: this repository's first, then each `--policy-pack` directory (one naming
 * this repository's pack is that pack). Policy config files pair with them by position, as the
 * Pulumi CLI pairs `--policy-pack-config` with `--policy-pack`, this repository's pack counting as
 * the first: with no `--policy-pack` the one config file is this pack's, as before.
 */
export function packSlots(policyPacks: readonly string[] = [], configs: readonly string[] = []): PackSlot[] {
  const own = fs.realpathSync(POLICY_PACK_DIR);
  const extra: string[] = [];
  for (const dir of policyPacks) {
    const resolved = path.resolve(dir);
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory())
      throw new CheckSetupError(`--policy-pack ${dir}: no such directory (a policy pack is a directory with PulumiPolicy.yaml).`);
    const real = fs.realpathSync(resolved);
    if (real !== own && !extra.includes(real)) extra.push(real);
  }
  const dirs = [POLICY_PACK_DIR, ...extra];
  if (configs.length > dirs.length) {
    throw new CheckSetupError(
      `${configs.length} --policy-pack-config files for ${dirs.length} polic${dirs.length === 1 ? "y pack" : "y packs"}: each config file pairs by position with a pack, this module's pack first, then each --policy-pack in order.`,
    );
  }
  return dirs.map((dir, i) => ({ dir, builtIn: i === 0, ...(configs[i] === undefined ? {} : { configFile: configs[i] }) }));
}

/**
 * The problems of a component that rejected its inputs, in its own words; a setting read from
 * stack config by the module's config loader points at its line in the stack file.
 */
export function rejectionProblems(rejection: Rejection, stackText: string): ConfigProblem[] {
  return rejection.problems.map((p) => ({
    path: p.stackConfigKey ?? rejection.component,
    message: `${rejection.component} "${rejection.name}" rejects its inputs: ${p.message}`,
    line: p.stackConfigKey === undefined ? undefined : lineOfKey(stackText, p.stackConfigKey),
  }));
}

/** Violations of a pack's diagnostics, grouped, with the stack-file line of the key each points at. */
function violationsOf(diagnostics: readonly PolicyDiagnostic[], file: StackFile): Violation[] {
  return groupViolations(
    diagnostics.map((d) => {
      const key = configKeyOf(d);
      return {
        policy: d.policyName,
        rule: ruleOf(d) ?? d.policyName,
        level: d.enforcementLevel,
        urn: d.urn || undefined,
        message: ownMessage(d),
        description: d.description,
        line: key ? lineOfKey(file.text, key) : undefined,
      };
    }),
  );
}

/**
 * A stack of a project with its own program: its program runs in a process of its own (with the
 * project's @pulumi/pulumi), every resource goes to every pack as it registers. A component that
 * rejects its inputs rejects the stack with its own messages (at the stack file's line when the
 * value was read by the module's config loader); any other failure of the program is an error.
 */
async function checkProgramStack(
  project: ProgramProject,
  packs: readonly PackSlot[],
  start: (slot: PackSlot) => Promise<PolicyPackProcess>,
  file: StackFile,
  report: StackReport,
  options: CheckOptions,
): Promise<void> {
  const t0 = performance.now();
  const analyses = packs.map((slot) => {
    const config = slot.configFile !== undefined ? readPolicyConfig(slot.configFile) : {};
    const configured = start(slot).then(async (analyzer) => {
      await analyzer.configure(config);
      return analyzer;
    });
    return new ResourceAnalysis(
      configured,
      DEFAULT_MAX_IN_FLIGHT,
      slot.builtIn ? (done, total) => options.progress?.(`${file.stack}: analysed ${done}/${total} resources`) : undefined,
    );
  });
  let resources;
  try {
    ({ resources } = await runProject(project, file.stack, file.config, file.secretKeys, "stream", {
      onResource: (r) => {
        for (const a of analyses) a.add(r);
      },
    }));
  } catch (err) {
    // Nothing of a half-run program is reported: the packs' pending answers are dropped.
    const rejection = err instanceof ProjectRunError ? err.rejection : undefined;
    if (rejection === undefined) throw err;
    report.status = "rejected";
    report.configProblems.push(...rejectionProblems(rejection, file.text));
    return;
  }
  report.resourceCount = resources.length;
  report.timings.programMs = performance.now() - t0;
  options.progress?.(`${file.stack}: program ran offline, ${resources.length} resources`);
  const t1 = performance.now();
  const diagnostics = (await Promise.all(analyses.map((a) => a.finish(resources)))).flat();
  report.timings.analysisMs = performance.now() - t1;
  report.violations.push(...violationsOf(diagnostics, file));
  report.status = diagnostics.some((d) => d.enforcementLevel === "mandatory") ? "rejected" : "passed";
}

/** Runs the check over the stacks; never throws for a stack's own problems (they are in the report). */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const started = performance.now();
  // Validate the inputs that concern every stack first: bad input stops before any work.
  if (options.policyPackConfig !== undefined) readPolicyConfig(options.policyPackConfig);
  for (const f of options.policyPackConfigs ?? []) readPolicyConfig(f);
  const slots = packSlots(options.policyPacks, options.policyPackConfigs ?? (options.policyPackConfig === undefined ? [] : [options.policyPackConfig]));
  const ownConfig = slots[0].configFile;
  let project: Project;
  try {
    project = options.project ?? readProject(options.dir);
  } catch (err) {
    throw new CheckSetupError((err as Error).message);
  }
  // A stack file that cannot be read or parsed is a stack of its own, rejected; the others go on.
  const files = options.stacks.map((stack): StackFile | { stack: string; failure: StackFileError } => {
    try {
      return project.kind === "program" ? readProjectStackFile(project, stack) : readStackFile(options.dir, stack);
    } catch (err) {
      if (err instanceof StackFileError) return { stack, failure: err };
      throw new CheckSetupError((err as Error).message);
    }
  });
  const projectName = project.name;
  let packStartMs = 0;
  let packCpuMs: number | undefined;
  let onSpawned = () => {};
  const spawned = new Promise<void>((resolve) => {
    onSpawned = resolve;
  });
  // One process per pack and stack, as the Pulumi CLI starts each pack once per `pulumi preview`:
  // the stack's names and config reach the pack through its environment and ConfigureStack
  // (engine/packProcess.ts), and this repository's pack reads the capacity load and the TTL floor
  // from them. The first stack's packs start before anything else, so that their start-up overlaps
  // with loading the program; the next stack's (this repository's) once this stack's program has run.
  const startedPacks = new Map<string, Promise<PolicyPackProcess>>();
  let firstStarted = false;
  const startFor =
    (file: StackFile) =>
    (slot: PackSlot): Promise<PolicyPackProcess> => {
      const key = `${slot.dir}\u0000${file.stack}`;
      let started = startedPacks.get(key);
      if (started === undefined) {
        const first = slot.builtIn && !firstStarted;
        if (first) firstStarted = true;
        started = (async () => {
          const t = performance.now();
          const p = await startPolicyPack(
            stackConfigurationOf(file.stack, file.config, file.secretKeys, projectName),
            {},
            slot.dir,
            first ? { onSpawned } : {},
          );
          if (first) packStartMs = performance.now() - t;
          return p;
        })();
        started.catch(() => undefined); // reported by the stack that uses it
        startedPacks.set(key, started);
      }
      return started;
    };
  /** Closes a stack's packs, adding the CPU this repository's used. */
  const closePacksOf = async (file: StackFile): Promise<void> => {
    await Promise.all(
      slots.map(async (slot) => {
        const key = `${slot.dir}\u0000${file.stack}`;
        const started = startedPacks.get(key);
        startedPacks.delete(key);
        const analyzer = await started?.catch(() => undefined);
        const cpu = slot.builtIn ? analyzer?.cpuTimeMs() : undefined;
        if (cpu !== undefined) packCpuMs = (packCpuMs ?? 0) + cpu;
        await analyzer?.close();
      }),
    );
  };
  const usable = files.filter((f): f is StackFile => !("failure" in f));
  let programThread: OfflineThread | undefined;
  const thread = () => (programThread ??= new OfflineThread());
  const reports: StackReport[] = [];
  try {
    // Until the process is spawned (or failed to), so that nothing else takes the CPU first.
    if (usable.length > 0) {
      const start = startFor(usable[0]);
      await Promise.race([spawned, start(slots[0]).catch(() => undefined)]);
      for (const slot of slots.slice(1)) start(slot).catch(() => undefined);
    }
    // Then the program thread, which starts loading the Pulumi SDK and the program right away.
    if (project.kind === "module") thread();
    for (const file of files) {
      if ("failure" in file) {
        const { failure } = file;
        // A missing file could not be checked (2); a file that is there but unusable is rejected (1).
        const missing = !fs.existsSync(failure.file);
        reports.push({
          stack: file.stack,
          file: path.relative(options.dir, failure.file) || failure.file,
          annotationFile: repositoryPath(failure.file, options.dir),
          status: missing ? "error" : "rejected",
          resourceCount: 0,
          configProblems: missing ? [] : [{ path: "", message: failure.message, line: failure.line }],
          violations: [],
          placeholders: [],
          policyConfig: ownConfig ?? null,
          timings: { programMs: 0, analysisMs: 0, totalMs: 0 },
          ...(missing ? { error: failure.message } : {}),
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
        policyConfig: ownConfig ?? null,
        timings: { programMs: 0, analysisMs: 0, totalMs: 0 },
      };
      reports.push(report);
      const t = performance.now();
      try {
        const start = startFor(file);
        const next = usable[usable.indexOf(file) + 1];
        if (project.kind === "program") await checkProgramStack(project, slots, start, file, report, options);
        else
          await checkStack(
            () => start(slots[0]),
            thread,
            file,
            report,
            { ...options, policyPackConfig: ownConfig },
            slots.slice(1),
            start,
            () => {
              if (next) void startFor(next)(slots[0]);
            },
          );
      } catch (err) {
        const invalid = project.kind === "module" ? invalidInputs(err, file) : undefined;
        if (invalid) {
          // A configuration mistake that a component found: rejected, with the line, like any other.
          report.status = "rejected";
          report.configProblems.push(invalid);
        } else {
          report.status = "error";
          report.error = (err as Error).message;
        }
      }
      await closePacksOf(file);
      report.timings.totalMs = performance.now() - t;
      options.progress?.(`${file.stack}: ${report.status} (${reports.length}/${files.length} stacks done)`);
    }
  } finally {
    await programThread?.close();
    for (const file of usable) await closePacksOf(file);
  }
  return {
    stacks: reports,
    project: project.kind === "program" ? { name: project.name, program: project.entry } : { name: project.name },
    packs: slots.map((s) => s.dir),
    timings: { packStartMs, totalMs: performance.now() - started, packCpuMs },
  };
}

/** 0 all passed, 1 a stack was rejected, 2 a stack could not be checked. */
export function exitCodeOf(report: CheckReport): number {
  if (report.stacks.some((s) => s.status === "error")) return 2;
  return report.stacks.some((s) => s.status === "rejected") ? 1 : 0;
}
