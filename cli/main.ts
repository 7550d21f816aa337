/**
 * The `mailhost` command: `check` (offline policy check of stack files), `plan` (per-host
 * tuning table), `drift` (what the hosts really run) and `reboot` (rolling restarts). Exit codes: 0 success, 1 rejected, 2 could not run. No stack trace for a user error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline/promises";
import { projectPath } from "../content/paths";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ConfigValidationError } from "../domain/issues";
import { listStacks } from "../stack/stackFile";
import { CheckSetupError, exitCodeOf, repositoryPath, runCheck } from "./check";
import { registerPreview } from "./preview";
import { readProject } from "../stack/project";
import { formatGithub, formatJson, formatText } from "./format";
import { type AzureZones, formatPlan, formatPlanJson, planOf, readAzureZones } from "./plan";
import { DEFAULT_CONCURRENCY, DEFAULT_HOST_TIMEOUT_SECONDS, driftExitCode, runDrift } from "./drift";
import { runGraphDrift } from "./graphDrift";
import { DEFAULT_MAX_AGE_MINUTES, expectedAssignment } from "../domain/graphDrift";
import { readModuleFolder } from "../content/moduleFolder";
import { GUEST_MODULE } from "../components/guestScripts";
import { formatDriftGithub, formatDriftJson, formatDriftText } from "./driftFormat";
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_REQUEST_TIMEOUT_SECONDS, PUBLIC_ARM_ENDPOINT } from "../azure/arm";
import { fileErrorText, readStackFile, StackFileError } from "../stack/stackFile";
import { maxUnavailable } from "../domain/reboot";
import { type DriftScope, parseScope } from "../domain/estateDrift";
import {
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_REBOOT_TIMEOUT_SECONDS,
  RESTART_PERMISSION,
  type RebootSelection,
  formatRebootGithub,
  formatRebootJson,
  formatRebootText,
  rebootExitCode,
  runReboot,
} from "./reboot";

/** Exit codes. */
export const EXIT = { ok: 0, rejected: 1, couldNotRun: 2 } as const;

class UsageError extends Error {}

/** Commands (and modes) that run from the stack files alone. */
export const OFFLINE_COMMANDS = ["check", "preview", "plan", "reboot --dry-run"] as const;
/** Commands that call Azure (ARM, Resource Graph) and need a subscription and credentials. */
export const AZURE_COMMANDS = ["drift", "reboot", "plan --azure"] as const;

function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1.`);
    return n;
  };
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number of at least 0.`);
    return n;
  };
}

async function askOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function resolveStacks(dir: string, stack: string): string[] {
  if (stack !== "all") return [stack];
  const stacks = listStacks(dir);
  if (stacks.length === 0) throw new UsageError(`no Pulumi.<stack>.yaml in ${dir}`);
  return stacks;
}

/** An error's message as one sentence for the user (Node's ENOENT and friends in words). */
/** The subscription (flag, else AZURE_SUBSCRIPTION_ID) and ARM endpoint of drift and reboot; a usage error names what is missing. */
function azureTarget(subscriptionFlag: string | undefined, armEndpoint: string): { subscription: string; endpoint: URL } {
  const subscription = subscriptionFlag ?? process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscription) throw new UsageError("no subscription: pass --subscription <id> or set AZURE_SUBSCRIPTION_ID");
  try {
    return { subscription, endpoint: new URL(armEndpoint) };
  } catch {
    throw new UsageError(`--arm-endpoint ${JSON.stringify(armEndpoint)} is not a URL`);
  }
}

/** `--scope`: a subscription or management group; a usage error names the value. */
function scopeOption(text: string): DriftScope {
  try {
    return parseScope(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--tag name=value`, required with `--scope`. */
function tagOption(text: string | undefined): { name: string; value: string } {
  const m = text === undefined ? null : /^([^=<>%&\\?/]{1,512})=(.{1,256})$/.exec(text);
  if (!m)
    throw new UsageError(
      `--scope needs --tag <name>=<value>, the mail host tag the EstateTuningPolicy selects by${text === undefined ? "" : ` (got ${JSON.stringify(text)})`}`,
    );
  return { name: m[1], value: m[2] };
}

/** The Resource Graph client of a scope (the subscription is not needed: the scope names it). */
function scopeGraph(endpoint: URL, opts: { maxRetries: number; retryDelay: number; requestTimeout: number }, progress: (line: string) => void) {
  const { ResourceGraph } = require("../azure/resourceGraph") as typeof import("../azure/resourceGraph");
  const { armRequestPolicy, defaultCredential, explainingCredential } = require("../azure/arm") as typeof import("../azure/arm");
  return new ResourceGraph({
    endpoint: endpoint.toString(),
    credential: explainingCredential(defaultCredential()),
    maxRetries: opts.maxRetries,
    retryDelayMs: opts.retryDelay,
    progress,
    policies: [armRequestPolicy({ endpoint: endpoint.toString(), requestTimeoutSeconds: opts.requestTimeout, maxRetries: opts.maxRetries, progress })],
  });
}

function errorSentence(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === "string" && typeof e.path === "string") return fileErrorText(e.path, e);
  return (e?.message ?? String(err)).split("\n")[0];
}

/** The version in package.json. */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(projectPath("package.json"), "utf8")) as { version: string }).version;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  },
): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("mailhost")
    .description(
      [
        "Checks, plans, drift and rolling reboots for mailhost-iac stacks.",
        `Offline (no Pulumi CLI, no cloud credentials, no request to Azure): ${OFFLINE_COMMANDS.join(", ")}.`,
        `Need Azure (a subscription and credentials): ${AZURE_COMMANDS.join(", ")}.`,
      ].join("\n"),
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showSuggestionAfterError(true)
    .version(packageVersion(), "-V, --version", "print the version of mailhost-iac");

  program
    .command("check")
    .description(
      "[offline] Validate stack files, run the program under Pulumi's mock runtime and check every resource with the policy pack over the analyzer protocol. Exit 0 pass, 1 rejected, 2 could not run.",
    )
    .addOption(new Option("-s, --stack <name>", 'stack to check, or "all" for every Pulumi.<stack>.yaml').default("all"))
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "github"]).default("text"))
    .option(
      "--policy-pack <dir>",
      "also run this policy pack (a directory with PulumiPolicy.yaml, e.g. your team's own @pulumi/policy pack) beside this module's; repeatable",
      collect,
      [],
    )
    .option(
      "-c, --policy-pack-config <file>",
      "policy config (enforcement levels, floors) for every stack checked; without it the pack's defaults apply. The capacity load always comes from each stack's mailhost:capacity. Repeatable: config files pair by position with the packs, this module's first, then each --policy-pack, as `pulumi preview` pairs them",
      collect,
      [],
    )
    .option(
      "-C, --cwd <dir>",
      "project directory: its Pulumi.yaml names the program (main, runtime) and its Pulumi.<stack>.yaml files are checked; without a Pulumi.yaml, stack files of this module's own program",
      process.cwd(),
    )
    .action(async (opts: { stack: string; format: "text" | "json" | "github"; policyPack: string[]; policyPackConfig: string[]; cwd: string }) => {
      // Stack traces are never shown by `check` and cost time at fleet scale.
      Error.stackTraceLimit = 0;
      const started = Date.now();
      let announced = false;
      const progress = (line: string) => {
        if (!announced && Date.now() - started < 2000) return;
        announced = true;
        io.err(`mailhost check: ${line}`);
      };
      let report;
      try {
        const project = readProject(opts.cwd);
        report = await runCheck({
          dir: opts.cwd,
          project,
          stacks: resolveStacks(project.kind === "program" ? project.stackDir : opts.cwd, opts.stack),
          policyPackConfigs: opts.policyPackConfig,
          policyPacks: opts.policyPack,
          progress,
        });
      } catch (err) {
        // json and github output always carry a result, also when nothing could be checked.
        if (opts.format === "json") io.out(JSON.stringify({ passed: false, exitCode: EXIT.couldNotRun, error: errorSentence(err), stacks: [] }, null, 2));
        if (opts.format === "github")
          io.out(`::error title=mailhost check could not run::${errorSentence(err).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}`);
        throw err;
      }
      io.out(opts.format === "json" ? formatJson(report) : opts.format === "github" ? formatGithub(report) : formatText(report));
      code = exitCodeOf(report);
    });

  registerPreview(program, io, (exit) => {
    code = exit;
  });

  program
    .command("plan")
    .description(
      "[offline; --azure needs Azure] Show, per host, what `pulumi up` would configure: tuning, MaxUserPort, TcpTimedWaitDelay, port range, MailboxCacheTTL, Rmax, demand and headroom.",
    )
    .addOption(new Option("-s, --stack <name>", 'stack to plan, or "all"').default("all"))
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .option(
      "--azure",
      "also read each VM's availability zone from Azure (a host keeps the zone it was created in, whatever fleet.zones says now); needs Microsoft.Compute/virtualMachines/read",
      false,
    )
    .option("--subscription <id>", "with --azure: Azure subscription id (default: $AZURE_SUBSCRIPTION_ID)")
    .option("-g, --resource-group <name>", "with --azure and one stack: resource group of the hosts (default: the stack's, e.g. rg-mailhost-<stack>)")
    .option("--arm-endpoint <url>", "with --azure: Azure Resource Manager endpoint (sovereign clouds)", PUBLIC_ARM_ENDPOINT)
    .option("-C, --cwd <dir>", "project directory holding the stack files", process.cwd())
    .action(
      async (opts: {
        stack: string;
        format: "text" | "json";
        azure: boolean;
        subscription?: string;
        resourceGroup?: string;
        armEndpoint: string;
        cwd: string;
      }) => {
        const plans = resolveStacks(opts.cwd, opts.stack).map((stack) => planOf(opts.cwd, stack));
        if (!opts.azure) {
          if (opts.subscription !== undefined || opts.resourceGroup !== undefined) throw new UsageError("--subscription and --resource-group need --azure");
          io.out(opts.format === "json" ? formatPlanJson(plans) : plans.map((p) => formatPlan(p)).join("\n\n"));
          return;
        }
        if (opts.resourceGroup !== undefined && plans.length !== 1) throw new UsageError("--resource-group needs one --stack");
        const { subscription, endpoint } = azureTarget(opts.subscription, opts.armEndpoint);
        const { ArmCompute } = require("../azure/arm") as typeof import("../azure/arm");
        const arm = new ArmCompute({ subscriptionId: subscription, endpoint: endpoint.toString() });
        const zones = new Map<string, AzureZones>();
        for (const plan of plans) zones.set(plan.stack, await readAzureZones(arm, plan, opts.resourceGroup));
        io.out(opts.format === "json" ? formatPlanJson(plans, zones) : plans.map((p) => formatPlan(p, zones.get(p.stack))).join("\n\n"));
      },
    );

  program
    .command("drift")
    .description(
      "[needs Azure] Compare what each Windows host of a stack really runs (registry values, dynamic port range, SiteConfig.cfg, DSC mode, a pending reboot) with the desired state: from Machine Configuration compliance in Azure Resource Graph (--source graph), or live through the ARM Run Command API and a read-only collector script (--source run-command). Exit 0 all in sync, 1 drift found, 2 the check could not complete for some host or at all.",
    )
    .requiredOption("-s, --stack <name>", "stack whose hosts to check (desired state from Pulumi.<stack>.yaml)")
    .option("--subscription <id>", "Azure subscription id (default: $AZURE_SUBSCRIPTION_ID)")
    .option("-g, --resource-group <name>", "resource group of the hosts (default: the stack's, e.g. rg-mailhost-<stack>)")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "github"]).default("text"))
    .option("--concurrency <n>", "hosts checked at once", positiveInt("--concurrency"), DEFAULT_CONCURRENCY)
    .option("--timeout <s>", "time limit per host, seconds (a Run Command takes at least about 20 s)", positiveInt("--timeout"), DEFAULT_HOST_TIMEOUT_SECONDS)
    .addOption(
      new Option(
        "--source <source>",
        "where in-guest state comes from: graph (Machine Configuration compliance in Azure Resource Graph, one paged query for the whole stack) or run-command (the read-only collector on each host, live) (default: graph for a machineConfiguration stack, else run-command)",
      ).choices(["graph", "run-command"]),
    )
    .option("--host <name...>", "check only these hosts (VM names)")
    .option(
      "--max-age <minutes>",
      "graph source: an evaluation older than this is unknown (Machine Configuration evaluates every 15 minutes)",
      positiveInt("--max-age"),
      DEFAULT_MAX_AGE_MINUTES,
    )
    .option(
      "--scope <scope>",
      "every machine of a subscription (/subscriptions/<id>) or management group (/providers/Microsoft.Management/managementGroups/<id>) that carries the MailhostTcpTuning assignment or the --tag, Azure VMs and Arc machines, read from Azure Resource Graph; the stack gives the desired state (default: the stack's own hosts)",
    )
    .option("--tag <name=value>", "with --scope: the mail host tag the EstateTuningPolicy selects by (machines with it but no assignment are listed)")
    .option(
      "--remediate",
      "re-apply the tuning on drifted hosts only (DSC: bump forceUpdateTag; Machine Configuration: re-send the guest configuration assignment unchanged; run command: run the tuning script again through Run Command), after confirmation",
      false,
    )
    .option("-y, --yes", "do not ask before remediating", false)
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (sovereign clouds)", PUBLIC_ARM_ENDPOINT)
    .option("--max-retries <n>", "retries of a request answered 429 (honouring Retry-After) or 5xx", nonNegativeInt("--max-retries"), 4)
    .option("--retry-delay <ms>", "first retry delay without Retry-After, ms (doubles each retry)", positiveInt("--retry-delay"), 1000)
    .option(
      "--request-timeout <s>",
      "no-response limit of each ARM request, seconds: connecting and getting an answer (not retried; separate from --timeout, which bounds a whole host)",
      positiveInt("--request-timeout"),
      DEFAULT_REQUEST_TIMEOUT_SECONDS,
    )
    .option("--poll-interval <ms>", "poll interval of long-running operations, ms", positiveInt("--poll-interval"), DEFAULT_POLL_INTERVAL_MS)
    .option("-C, --cwd <dir>", "project directory holding the stack files", process.cwd())
    .addHelpText(
      "after",
      [
        "",
        "Authentication: AZURE_ACCESS_TOKEN, when set, is used as a static bearer token; otherwise DefaultAzureCredential",
        "(environment, workload identity, managed identity, Azure CLI). The identity needs Virtual Machine Contributor on the",
        "resource group, or a custom role with Microsoft.Compute/virtualMachines/read, .../instanceView/read,",
        "Microsoft.Compute/virtualMachines/runCommand/action (and .../extensions/write for --remediate with DSC;",
        "Microsoft.GuestConfiguration/guestConfigurationAssignments/read and /write for --remediate with Machine Configuration).",
        "The graph source needs only Reader on the resource group (Microsoft.Compute/virtualMachines/read and",
        "Microsoft.GuestConfiguration/guestConfigurationAssignments/read, queried through Azure Resource Graph); its results are as",
        "fresh as Machine Configuration's last evaluation (every 15 minutes); --remediate re-sends the assignment, with no Run Command.",
        "--scope needs Reader on the subscription or management group (Resource Graph reads resources and",
        "guestconfigurationresources); see docs/ESTATE.md.",
      ].join("\n"),
    )
    .action(
      async (opts: {
        stack: string;
        subscription?: string;
        resourceGroup?: string;
        format: "text" | "json" | "github";
        concurrency: number;
        timeout: number;
        remediate: boolean;
        yes: boolean;
        armEndpoint: string;
        maxRetries: number;
        retryDelay: number;
        pollInterval: number;
        requestTimeout: number;
        cwd: string;
        source?: "graph" | "run-command";
        host?: string[];
        maxAge: number;
        scope?: string;
        tag?: string;
      }) => {
        if (opts.scope !== undefined) {
          if (opts.source === "run-command" || opts.remediate || opts.host)
            throw new UsageError("--scope reads Azure Resource Graph: it takes neither --source run-command, --remediate nor --host");
          const scope = scopeOption(opts.scope);
          const tag = tagOption(opts.tag);
          const plan = planOf(opts.cwd, opts.stack);
          const endpoint = new URL(opts.armEndpoint);
          const progress = (line: string) => io.err(`mailhost drift: ${line}`);
          const graph = scopeGraph(endpoint, opts, progress);
          const { runScopeDrift, formatScopeDriftText } = require("./scope") as typeof import("./scope");
          const report = await runScopeDrift({
            plan,
            graph,
            scope,
            tag,
            expected: expectedAssignment(plan.tuning, readModuleFolder(GUEST_MODULE.dir)),
            maxAgeMinutes: opts.maxAge,
            progress,
          });
          const file = readStackFile(opts.cwd, opts.stack);
          io.out(
            opts.format === "json"
              ? formatDriftJson(report)
              : opts.format === "github"
                ? formatDriftGithub(report, repositoryPath(file.file, opts.cwd), file.text)
                : formatScopeDriftText(report),
          );
          code = driftExitCode(report);
          return;
        }
        const { subscription, endpoint } = azureTarget(opts.subscription, opts.armEndpoint);
        const file = readStackFile(opts.cwd, opts.stack);
        const plan = planOf(opts.cwd, opts.stack);
        const { ArmCompute } = require("../azure/arm") as typeof import("../azure/arm");
        const progress = (line: string) => io.err(`mailhost drift: ${line}`);
        const arm = new ArmCompute({
          subscriptionId: subscription,
          endpoint: endpoint.toString(),
          maxRetries: opts.maxRetries,
          retryDelayMs: opts.retryDelay,
          pollIntervalMs: opts.pollInterval,
          requestTimeoutSeconds: opts.requestTimeout,
          progress,
        });
        const source = opts.source ?? (plan.tuning.mechanism === "machineConfiguration" ? "graph" : "run-command");
        if (source === "graph" && plan.tuning.mechanism !== "machineConfiguration") {
          throw new UsageError(
            `--source graph reads Machine Configuration compliance, but stack ${opts.stack} tunes with ${plan.tuning.mechanism}; use --source run-command`,
          );
        }
        const common = {
          plan,
          arm,
          subscription,
          resourceGroup: opts.resourceGroup,
          concurrency: opts.concurrency,
          timeoutSeconds: opts.timeout,
          remediate: opts.remediate,
          yes: opts.yes,
          confirm: askOnTerminal,
          progress,
          hosts: opts.host,
        };
        let report;
        if (source === "graph") {
          const { ResourceGraph } = require("../azure/resourceGraph") as typeof import("../azure/resourceGraph");
          const { armRequestPolicy, defaultCredential, explainingCredential } = require("../azure/arm") as typeof import("../azure/arm");
          const graph = new ResourceGraph({
            endpoint: endpoint.toString(),
            credential: explainingCredential(defaultCredential()),
            maxRetries: opts.maxRetries,
            retryDelayMs: opts.retryDelay,
            progress,
            policies: [armRequestPolicy({ endpoint: endpoint.toString(), requestTimeoutSeconds: opts.requestTimeout, maxRetries: opts.maxRetries, progress })],
          });
          const expected = expectedAssignment(plan.tuning, readModuleFolder(GUEST_MODULE.dir));
          report = await runGraphDrift({ ...common, graph, expected, maxAgeMinutes: opts.maxAge });
        } else {
          report = await runDrift(common);
        }
        const stackFile = repositoryPath(file.file, opts.cwd);
        io.out(
          opts.format === "json"
            ? formatDriftJson(report)
            : opts.format === "github"
              ? formatDriftGithub(report, stackFile, file.text)
              : formatDriftText(report),
        );
        code = driftExitCode(report);
      },
    );

  program
    .command("reboot")
    .description(
      "[needs Azure; --dry-run is offline] Restart the hosts of a stack whose Tcpip values wait for a reboot (or --host, or --all) in waves: at most --max-unavailable hosts at once, never two availability zones in one wave; each host must come back running, with its VM agent ready and its Tcpip values in effect, before the next wave. The first host that does not come back stops the run. Exit 0 done, 2 could not complete.",
    )
    .requiredOption("-s, --stack <name>", "stack whose hosts to restart (desired state from Pulumi.<stack>.yaml)")
    .option("--host <name...>", "restart these hosts (VM names), waiting or not")
    .option("--all", "restart every host of the stack, waiting or not", false)
    .option("--max-unavailable <n|p%>", "hosts restarted at once: a number, or a percentage of the stack (rounded down, at least 1)", "1")
    .option(
      "--dry-run",
      "print the waves from the stack file alone and send nothing: no subscription or credentials needed (with the default selection the waves cover every host: which hosts wait is read only in a real run). With --scope the dry run reads Resource Graph (one paged query) and sends no restart",
      false,
    )
    .option(
      "--scope <scope>",
      "every machine of a subscription or management group that carries the MailhostTcpTuning assignment or the --tag (see mailhost drift --scope); Arc machines are listed for a manual restart (default: the stack's own hosts)",
    )
    .option("--tag <name=value>", "with --scope: the mail host tag the EstateTuningPolicy selects by")
    .option(
      "--max-age <minutes>",
      "with --scope: an evaluation older than this is unknown, and its machine is not restarted",
      positiveInt("--max-age"),
      DEFAULT_MAX_AGE_MINUTES,
    )
    .option("-y, --yes", "do not ask before restarting", false)
    .option("--subscription <id>", "Azure subscription id (default: $AZURE_SUBSCRIPTION_ID)")
    .option("-g, --resource-group <name>", "resource group of the hosts (default: the stack's, e.g. rg-mailhost-<stack>)")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "github"]).default("text"))
    .option(
      "--timeout <s>",
      "time limit per host, seconds: restart, boot, VM agent ready and Tcpip values in effect",
      positiveInt("--timeout"),
      DEFAULT_REBOOT_TIMEOUT_SECONDS,
    )
    .option("--check-interval <ms>", "wait between two looks at a restarting host, ms", positiveInt("--check-interval"), DEFAULT_CHECK_INTERVAL_MS)
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (sovereign clouds)", PUBLIC_ARM_ENDPOINT)
    .option("--max-retries <n>", "retries of a request answered 429 (honouring Retry-After) or 5xx", nonNegativeInt("--max-retries"), 4)
    .option("--retry-delay <ms>", "first retry delay without Retry-After, ms (doubles each retry)", positiveInt("--retry-delay"), 1000)
    .option("--poll-interval <ms>", "poll interval of long-running operations, ms", positiveInt("--poll-interval"), DEFAULT_POLL_INTERVAL_MS)
    .option("-C, --cwd <dir>", "project directory holding the stack files", process.cwd())
    .addHelpText(
      "after",
      [
        "",
        "Waiting for a reboot: the collector reports MailhostIacUntilBoot, a volatile registry key the tuning writes with a",
        "Tcpip value and that any reboot clears. No mechanism ever restarts a host by itself; this command finishes the change.",
        "Authentication as for mailhost drift. The identity needs Microsoft.Compute/virtualMachines/read,",
        `.../instanceView/read, Microsoft.Compute/virtualMachines/runCommand/action and ${RESTART_PERMISSION}`,
        "(Virtual Machine Contributor on the resource group has them all).",
      ].join("\n"),
    )
    .action(
      async (opts: {
        stack: string;
        host?: string[];
        all: boolean;
        maxUnavailable: string;
        dryRun: boolean;
        yes: boolean;
        subscription?: string;
        resourceGroup?: string;
        format: "text" | "json" | "github";
        timeout: number;
        checkInterval: number;
        armEndpoint: string;
        maxRetries: number;
        retryDelay: number;
        pollInterval: number;
        cwd: string;
        scope?: string;
        tag?: string;
        maxAge: number;
      }) => {
        if (opts.all && opts.host) throw new UsageError("--all and --host exclude each other");
        if (opts.scope !== undefined) {
          const scope = scopeOption(opts.scope);
          const tag = tagOption(opts.tag);
          const plan = planOf(opts.cwd, opts.stack);
          let max: number;
          try {
            max = maxUnavailable(opts.maxUnavailable, plan.hosts.length);
          } catch (err) {
            throw new UsageError((err as Error).message);
          }
          const endpoint = new URL(opts.armEndpoint);
          const progress = (line: string) => io.err(`mailhost reboot: ${line}`);
          const graph = scopeGraph(
            endpoint,
            { maxRetries: opts.maxRetries, retryDelay: opts.retryDelay, requestTimeout: DEFAULT_REQUEST_TIMEOUT_SECONDS },
            progress,
          );
          const { ArmCompute } = require("../azure/arm") as typeof import("../azure/arm");
          const arms = new Map<string, InstanceType<typeof ArmCompute>>();
          const armFor = (subscriptionId: string) => {
            let arm = arms.get(subscriptionId);
            if (!arm)
              arms.set(
                subscriptionId,
                (arm = new ArmCompute({
                  subscriptionId,
                  endpoint: endpoint.toString(),
                  maxRetries: opts.maxRetries,
                  retryDelayMs: opts.retryDelay,
                  pollIntervalMs: opts.pollInterval,
                })),
              );
            return arm;
          };
          const selection: RebootSelection = opts.all ? { kind: "all" } : opts.host ? { kind: "hosts", hosts: opts.host } : { kind: "waiting" };
          const { runScopeReboot, formatScopeRebootText } = require("./scope") as typeof import("./scope");
          const report = await runScopeReboot({
            plan,
            graph,
            scope,
            tag,
            expected: expectedAssignment(plan.tuning, readModuleFolder(GUEST_MODULE.dir)),
            maxAgeMinutes: opts.maxAge,
            progress,
            armFor,
            selection,
            maxUnavailable: max,
            dryRun: opts.dryRun,
            yes: opts.yes,
            confirm: askOnTerminal,
            timeoutSeconds: opts.timeout,
            checkIntervalMs: opts.checkInterval,
          });
          io.out(
            opts.format === "json"
              ? formatRebootJson(report)
              : opts.format === "github"
                ? formatRebootGithub(report, repositoryPath(readStackFile(opts.cwd, opts.stack).file, opts.cwd))
                : formatScopeRebootText(report),
          );
          // Arc machines that still wait for a manual restart leave a real run incomplete.
          code = rebootExitCode(report) || (!opts.dryRun && report.manualRestart.length > 0 ? EXIT.couldNotRun : EXIT.ok);
          return;
        }
        // A dry run plans from the stack file alone: no subscription, no credentials, no request.
        const target = opts.dryRun ? undefined : azureTarget(opts.subscription, opts.armEndpoint);
        const file = readStackFile(opts.cwd, opts.stack);
        const plan = planOf(opts.cwd, opts.stack);
        let max: number;
        try {
          max = maxUnavailable(opts.maxUnavailable, plan.hosts.length);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const selection: RebootSelection = opts.all ? { kind: "all" } : opts.host ? { kind: "hosts", hosts: opts.host } : { kind: "waiting" };
        let arm;
        if (target !== undefined) {
          const { ArmCompute } = require("../azure/arm") as typeof import("../azure/arm");
          arm = new ArmCompute({
            subscriptionId: target.subscription,
            endpoint: target.endpoint.toString(),
            maxRetries: opts.maxRetries,
            retryDelayMs: opts.retryDelay,
            pollIntervalMs: opts.pollInterval,
          });
        }
        const report = await runReboot({
          plan,
          arm,
          resourceGroup: opts.resourceGroup,
          selection,
          maxUnavailable: max,
          dryRun: opts.dryRun,
          yes: opts.yes,
          confirm: askOnTerminal,
          timeoutSeconds: opts.timeout,
          checkIntervalMs: opts.checkInterval,
          progress: (line) => io.err(`mailhost reboot: ${line}`),
        });
        const stackFile = file.file.startsWith(opts.cwd) ? file.file.slice(opts.cwd.length).replace(/^[\\/]/, "") : file.file;
        io.out(opts.format === "json" ? formatRebootJson(report) : opts.format === "github" ? formatRebootGithub(report, stackFile) : formatRebootText(report));
        code = rebootExitCode(report);
      },
    );

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.couldNotRun;
    }
    if (err instanceof ConfigValidationError) {
      io.err(err.message);
      // For check and plan an invalid stack is a rejected stack; drift cannot run without one.
      return argv[0] === "drift" || argv[0] === "reboot" ? EXIT.couldNotRun : EXIT.rejected;
    }
    if (err instanceof StackFileError && fs.existsSync(err.file)) {
      // A stack file that is there but unusable is a configuration mistake: rejected, with its line.
      io.err(`${err.message}${err.line ? `  (${path.basename(err.file)}:${err.line})` : ""}`);
      return argv[0] === "drift" ? EXIT.couldNotRun : EXIT.rejected;
    }
    if (err instanceof UsageError || err instanceof CheckSetupError || err instanceof Error) {
      io.err(`mailhost: ${errorSentence(err)}`);
      return EXIT.couldNotRun;
    }
    io.err(`mailhost: ${String(err)}`);
    return EXIT.couldNotRun;
  }
}
