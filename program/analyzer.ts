// Starts a Pulumi policy pack the way the Pulumi CLI does and drives it over Pulumi's gRPC analyzer
// protocol, without the CLI. Shared by the policy pack's protocol tests and `mailhost check`.
//
// How the CLI (3.270, nodejs language host `RunPlugin`, kind=analyzer) starts a nodejs pack, and what
// this module does the same way:
//   - `node <@pulumi/pulumi/cmd/run-policy-pack resolved from the pack dir> <engine-address> .`, with the
//     pack directory as working directory and the parent's environment. run-policy-pack registers its
//     vendored ts-node (typeCheck on, the pack's tsconfig.json) and requires the pack.
//   - The stack (project, stack, organization, dry run, config) is known *before* the pack starts and is
//     passed as PULUMI_NODEJS_* / PULUMI_CONFIG environment variables, then ConfigureStack is sent.
//   - The first stdout line is the analyzer's port (the CLI rejects anything else; see `strictStdout`).
//   - After GetAnalyzerInfo, the CLI fills config defaults from each policy's schema, applies the
//     pack's initial config and the user's config, validates, and sends Configure (`configure` here).
// Note: run-policy-pack drops the <engine-address> argument; the pack's `pulumi.log` only reaches the
// engine when PULUMI_NODEJS_ENGINE is set, which the CLI does not do. So under the CLI, `pulumi.log.*`
// from a pack prints to stdout/stderr (`info: [runtime] ...`). A fake Engine service is still started
// and passed, and `routeLogsToEngine` opts into sending logs to it.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import Ajv from "ajv";
import type * as emptyPbModule from "google-protobuf/google/protobuf/empty_pb";
import type * as structPbModule from "google-protobuf/google/protobuf/struct_pb";
import { parse as parseYaml } from "yaml";
import { encodeStruct, fieldHeader } from "./wire";

// The stubs check `instanceof` against *their* google-protobuf copy: build Struct/Empty from that copy.
const stubRequire = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const { Struct } = stubRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPbModule;
const { Empty } = stubRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyPbModule;

/** `properties` is field 2 of both AnalyzeRequest and AnalyzerResource (pulumi/proto/analyzer.proto). */
const PROPERTIES_FIELD = 2;

/** Key/value marking a secret in the property protocol: `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The sentinel the engine sends for any value unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Wraps a value the way the engine marks secrets on the wire. */
export function secret(value: unknown): Record<string, unknown> {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "low" | "medium" | "high" | "critical";
export type JsonSchema = Record<string, unknown>;

export interface AnalyzedResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  aliases?: string[];
  additionalSecretOutputs?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
}

export interface AnalyzedProvider {
  type: string;
  name: string;
  urn: string;
  properties?: Record<string, unknown>;
}

export interface AnalyzedResource {
  type: string;
  name: string;
  /** Defaults to `urn:pulumi:<stack>::<project>::<type>::<name>`. */
  urn?: string;
  /** Sent as given: wrap secrets with `secret()`, use `UNKNOWN` for preview unknowns. */
  properties: Record<string, unknown>;
  /**
   * `properties` already encoded as a google.protobuf.Struct (see program/wire.ts), e.g. by the thread
   * that ran the program; sent instead of encoding `properties`.
   */
  encodedProperties?: Uint8Array;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  provider?: AnalyzedProvider;
  options?: AnalyzedResourceOptions;
}

export interface PolicyDiagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  urn?: string;
  severity?: Severity;
}

export interface PolicyConfigSchema {
  properties: Record<string, JsonSchema>;
  required: string[];
}

export interface PolicyInfo {
  name: string;
  displayName?: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  type: "resource" | "stack" | "unknown";
  configSchema?: PolicyConfigSchema;
  severity?: Severity;
  tags: string[];
}

export interface EffectivePolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

export interface AnalyzerInfo {
  name: string;
  displayName?: string;
  version: string;
  supportsConfig: boolean;
  policies: PolicyInfo[];
  initialConfig: Record<string, Partial<EffectivePolicyConfig>>;
}

/** The `--policy-pack-config` file format: a level, or `{ enforcementLevel?, ...properties }`. */
export type PolicyPackConfig = Record<string, EnforcementLevel | { enforcementLevel?: EnforcementLevel; [k: string]: unknown }>;

export interface StackConfiguration {
  project: string;
  stack: string;
  organization?: string;
  dryRun?: boolean;
  /** Stack config as the CLI passes it: `"<namespace>:<key>"` -> string value (secrets in plaintext). */
  config?: Record<string, string>;
  configSecretKeys?: string[];
  tags?: Record<string, string>;
}

export interface StartOptions {
  /** Default 60 000: the first start compiles and type-checks the pack's TypeScript. */
  startTimeoutMs?: number;
  /** Deadline for each RPC; default 30 000. */
  rpcTimeoutMs?: number;
  /** Added to (and overriding) the parent's environment. */
  env?: NodeJS.ProcessEnv;
  /** Node options placed before the run-policy-pack script. */
  nodeArgs?: string[];
  /** Known before the start, as in the CLI: sets PULUMI_NODEJS_* / PULUMI_CONFIG, then sends ConfigureStack. */
  stack?: StackConfiguration;
  /** Fail like the CLI when anything but the port is printed to stdout first (default: skip and record). */
  strictStdout?: boolean;
  /** Called once the pack's process is spawned, before it is ready (its start-up takes a second or two). */
  onSpawned?: () => void;
  /** Set PULUMI_NODEJS_ENGINE so `pulumi.log` reaches the fake engine (the CLI does not). */
  routeLogsToEngine?: boolean;
}

export interface PackLogEntry {
  source: "engine" | "stdout" | "stderr";
  /** Engine log severity; absent for stdout/stderr lines. */
  severity?: "debug" | "info" | "warning" | "error";
  message: string;
  /** Printed on stdout before the port (the CLI would have failed to start the pack). */
  beforePort?: boolean;
}

export class PolicyPackError extends Error {
  constructor(
    message: string,
    readonly details: { stderr?: string; exitCode?: number | null; signal?: NodeJS.Signals | null; pid?: number; grpcCode?: grpc.status } = {},
  ) {
    super(message);
    this.name = "PolicyPackError";
  }
}

export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid policy pack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "PolicyConfigError";
  }
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function levelToProto(level: EnforcementLevel): analyzerPb.EnforcementLevel {
  switch (level) {
    case "advisory":
      return analyzerPb.EnforcementLevel.ADVISORY;
    case "mandatory":
      return analyzerPb.EnforcementLevel.MANDATORY;
    case "remediate":
      return analyzerPb.EnforcementLevel.REMEDIATE;
    case "disabled":
      return analyzerPb.EnforcementLevel.DISABLED;
  }
}

function levelFromProto(level: analyzerPb.EnforcementLevel): EnforcementLevel {
  switch (level) {
    case analyzerPb.EnforcementLevel.ADVISORY:
      return "advisory";
    case analyzerPb.EnforcementLevel.MANDATORY:
      return "mandatory";
    case analyzerPb.EnforcementLevel.REMEDIATE:
      return "remediate";
    case analyzerPb.EnforcementLevel.DISABLED:
      return "disabled";
    default:
      throw new PolicyPackError(`unknown enforcement level ${String(level)} from the policy pack`);
  }
}

function severityFromProto(s: analyzerPb.PolicySeverity): Severity | undefined {
  switch (s) {
    case analyzerPb.PolicySeverity.POLICY_SEVERITY_LOW:
      return "low";
    case analyzerPb.PolicySeverity.POLICY_SEVERITY_MEDIUM:
      return "medium";
    case analyzerPb.PolicySeverity.POLICY_SEVERITY_HIGH:
      return "high";
    case analyzerPb.PolicySeverity.POLICY_SEVERITY_CRITICAL:
      return "critical";
    default:
      return undefined;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Drops `undefined` members (arrays get `null`, as the SDK serializer does); Struct rejects them. */
function stripUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : stripUndefined(e)));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) if (e !== undefined) out[k] = stripUndefined(e);
    return out;
  }
  return v;
}

function toStruct(obj: Record<string, unknown> | undefined): structPbModule.Struct {
  return Struct.fromJavaScript(stripUndefined(obj ?? {}) as Record<string, structPbModule.JavaScriptValue>);
}

function fromStruct(s: structPbModule.Struct | undefined): Record<string, unknown> {
  return s ? (s.toJavaScript() as Record<string, unknown>) : {};
}

/**
 * What the CLI sends in Configure: every policy at its declared level with its schema defaults, then the
 * pack's initial config, then `config` (`all` sets every level) — validated against each policy's schema.
 */
export function reconcilePolicyConfig(info: AnalyzerInfo, config: PolicyPackConfig = {}): Record<string, EffectivePolicyConfig> {
  const problems: string[] = [];
  const result: Record<string, EffectivePolicyConfig> = {};
  for (const p of info.policies) {
    const properties: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
      if ("default" in schema) properties[k] = schema["default"];
    }
    result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
  }
  const apply = (layer: Record<string, Partial<EffectivePolicyConfig>>): void => {
    const all = layer["all"]?.enforcementLevel;
    if (all) for (const c of Object.values(result)) c.enforcementLevel = all;
    for (const [name, given] of Object.entries(layer)) {
      const current = result[name] ?? { enforcementLevel: "advisory", properties: {} };
      result[name] = {
        enforcementLevel: given.enforcementLevel ?? current.enforcementLevel,
        properties: { ...current.properties, ...given.properties },
      };
    }
  };
  apply(info.initialConfig);
  const normalized: Record<string, Partial<EffectivePolicyConfig>> = {};
  for (const [name, value] of Object.entries(config)) {
    const { enforcementLevel, ...properties } = typeof value === "string" ? { enforcementLevel: value } : value;
    if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel)) {
      problems.push(`${name}: "${String(enforcementLevel)}" is not a valid enforcement level`);
    }
    normalized[name] = { enforcementLevel, properties };
  }
  if (problems.length) throw new PolicyConfigError(problems);
  apply(normalized);

  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const p of info.policies) {
    if (!p.configSchema) continue;
    const validate = ajv.compile({ type: "object", properties: p.configSchema.properties, required: p.configSchema.required });
    if (!validate(result[p.name]?.properties ?? {})) {
      for (const e of validate.errors ?? []) problems.push(`${p.name}: ${`${e.instancePath} ${e.message ?? ""}`.trim()}`);
    }
  }
  if (problems.length) throw new PolicyConfigError(problems);
  return result;
}

// ---- process tracking: no pack outlives its parent -------------------------------------------------

const livePacks = new Set<PolicyPackProcess>();
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let handlersInstalled = false;

function killAllNow(): void {
  for (const p of livePacks) p.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  const othersListen = process.listenerCount(signal) > 1;
  uninstallHandlers();
  // Don't swallow the signal: if nobody else handles it, re-raise it for the default action (exit 128+n).
  if (!othersListen) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off("exit", killAllNow);
  for (const s of SIGNALS) process.off(s, onSignal);
}

// ---- fake Engine service -----------------------------------------------------------------------------

const ENGINE_SEVERITY: Record<number, PackLogEntry["severity"]> = {
  [enginePb.LogSeverity.DEBUG]: "debug",
  [enginePb.LogSeverity.INFO]: "info",
  [enginePb.LogSeverity.WARNING]: "warning",
  [enginePb.LogSeverity.ERROR]: "error",
};

async function startFakeEngine(onLog: (entry: PackLogEntry) => void): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  const ok = <T>(make: () => T) => (_call: unknown, cb: grpc.sendUnaryData<T>) => cb(null, make());
  const implementation: grpc.UntypedServiceImplementation = {
    log: (call: grpc.ServerUnaryCall<enginePb.LogRequest, emptyPbModule.Empty>, cb: grpc.sendUnaryData<emptyPbModule.Empty>) => {
      onLog({ source: "engine", severity: ENGINE_SEVERITY[call.request.getSeverity()] ?? "info", message: call.request.getMessage() });
      cb(null, new Empty());
    },
    getRootResource: ok(() => new enginePb.GetRootResourceResponse()),
    setRootResource: ok(() => new enginePb.SetRootResourceResponse()),
    startDebugging: ok(() => new Empty()),
    requirePulumiVersion: ok(() => new enginePb.RequirePulumiVersionResponse()),
  };
  server.addService(engineGrpc.EngineService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

// ---- the pack process ------------------------------------------------------------------------------

const ANSI = /\u001b\[[0-9;]*m/g;
const MAX_RPC_MESSAGE = 400 * 2 ** 20; // what the policy SDK's server accepts

function readRuntime(packDir: string): string {
  const file = path.join(packDir, "PulumiPolicy.yaml");
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PolicyPackError(`failed to load Pulumi policy project located at "${packDir}": ${(err as Error).message}`);
  }
  const runtime = isPlainObject(doc) ? doc["runtime"] : undefined;
  const name = isPlainObject(runtime) ? runtime["name"] : runtime;
  if (typeof name !== "string") throw new PolicyPackError(`${file} has no runtime`);
  return name;
}

export class PolicyPackProcess {
  private readonly entries: PackLogEntry[] = [];
  private readonly stderrTail: string[] = [];
  private readonly waiters = new Set<() => void>();
  private client?: analyzerGrpc.AnalyzerClient;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;
  /** Resolves once the process has exited and its stdout/stderr are drained. */
  private readonly drained: Promise<void>;
  private closing?: Promise<void>;
  private info?: AnalyzerInfo;
  private stack?: StackConfiguration;
  /** Port of the pack's analyzer server, once known. */
  port?: number;

  private constructor(
    readonly packDir: string,
    private readonly child: ChildProcess,
    private readonly engine: grpc.Server,
    /** Address of the fake Engine service passed to the pack. */
    readonly engineAddress: string,
    private readonly rpcTimeoutMs: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        this.killGroup(); // whatever the pack left behind in its group
        resolve();
      });
    });
    this.drained = new Promise((resolve) => child.once("close", () => resolve()));
  }

  /** Starts the pack in `packDir` as the CLI does and connects to its analyzer server. */
  static async start(packDir: string, options: StartOptions = {}): Promise<PolicyPackProcess> {
    const dir = path.resolve(packDir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new PolicyPackError(`policy pack directory not found: ${dir}`);
    const runtime = readRuntime(dir);
    if (runtime !== "nodejs") throw new PolicyPackError(`policy pack ${dir} has runtime "${runtime}"; only nodejs is supported`);
    let runPolicyPack: string;
    try {
      runPolicyPack = path.dirname(require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] }));
    } catch {
      throw new PolicyPackError(`it looks like the policy pack's dependencies are not installed; try running npm install in "${dir}"`);
    }

    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    const stack = options.stack;
    if (stack) {
      const set = (k: string, v: string | undefined) => {
        if (v) env[k] = v;
      };
      set("PULUMI_NODEJS_ORGANIZATION", stack.organization);
      set("PULUMI_NODEJS_PROJECT", stack.project);
      set("PULUMI_NODEJS_STACK", stack.stack);
      set("PULUMI_NODEJS_DRY_RUN", String(stack.dryRun ?? false));
      if (stack.config) set("PULUMI_CONFIG", JSON.stringify(stack.config));
    }

    let pack: PolicyPackProcess | undefined;
    const pending: PackLogEntry[] = [];
    const record = (e: PackLogEntry) => (pack ? pack.record(e) : pending.push(e));
    const engine = await startFakeEngine(record);
    if (options.routeLogsToEngine) env["PULUMI_NODEJS_ENGINE"] = engine.address;

    // Handlers go in before the spawn: a signal that arrives while the child is being created is
    // then queued for our handler (which kills the pack) instead of ending this process by default
    // and leaving the detached pack behind.
    installHandlers();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(options.nodeArgs ?? []), runPolicyPack, engine.address, "."], {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // own process group, so close() can take ts-node & co. down with it
      });
    } catch (err) {
      engine.server.forceShutdown();
      if (livePacks.size === 0) uninstallHandlers();
      throw new PolicyPackError(`could not start the policy pack: ${(err as Error).message}`);
    }
    pack = new PolicyPackProcess(dir, child, engine.server, engine.address, options.rpcTimeoutMs ?? 30_000);
    for (const e of pending) pack.record(e);
    livePacks.add(pack);
    options.onSpawned?.();

    try {
      pack.port = await pack.awaitPort(options.startTimeoutMs ?? 60_000, options.strictStdout ?? false);
      pack.client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": MAX_RPC_MESSAGE,
        "grpc.max_send_message_length": MAX_RPC_MESSAGE,
      });
      if (stack) await pack.configureStack(stack);
      return pack;
    } catch (err) {
      await pack.close();
      throw err;
    }
  }

  private record(e: PackLogEntry): void {
    this.entries.push(e);
    for (const w of this.waiters) w();
  }

  private awaitPort(timeoutMs: number, strict: boolean): Promise<number> {
    const child = this.child;
    return new Promise<number>((resolve, reject) => {
      let port: number | undefined;
      const fail = (why: string) => {
        cleanup();
        reject(this.failure(why));
      };
      const timer = setTimeout(() => fail(`the policy pack printed no port within ${timeoutMs} ms`), timeoutMs);
      const onClose = () => fail("the policy pack exited before printing its port");
      const onError = (err: Error) => fail(`could not run the policy pack: ${err.message}`);
      const cleanup = () => {
        clearTimeout(timer);
        child.off("close", onClose);
        child.off("error", onError);
      };
      child.once("close", onClose); // after stderr is drained, so the error can show it
      child.once("error", onError);

      readline.createInterface({ input: child.stdout! }).on("line", (raw) => {
        const line = raw.replace(ANSI, "");
        if (port !== undefined) return this.record({ source: "stdout", message: line });
        const trimmed = line.trim();
        if (/^\d+$/.test(trimmed)) {
          port = Number(trimmed);
          cleanup();
          return resolve(port);
        }
        this.record({ source: "stdout", message: line, beforePort: true });
        if (strict) fail(`the policy pack wrote a non-numeric port to stdout ('${trimmed}')`);
      });
      readline.createInterface({ input: child.stderr! }).on("line", (raw) => {
        const line = raw.replace(ANSI, "");
        this.stderrTail.push(line);
        if (this.stderrTail.length > 200) this.stderrTail.shift();
        this.record({ source: "stderr", message: line });
      });
    });
  }

  private failure(why: string, grpcCode?: grpc.status): PolicyPackError {
    const stderr = this.stderrTail.join("\n");
    const exit = this.exit ? ` (exit code ${this.exit.code ?? "none"}${this.exit.signal ? `, signal ${this.exit.signal}` : ""})` : "";
    const before = this.entries.filter((e) => e.beforePort).map((e) => e.message);
    let message = `${why}${exit} [${this.packDir}]`;
    if (before.length) message += `\nstdout before the port:\n${before.join("\n")}`;
    if (stderr) message += `\nstderr:\n${stderr}`;
    return new PolicyPackError(message, { stderr, exitCode: this.exit?.code, signal: this.exit?.signal, pid: this.child.pid, grpcCode });
  }

  private unary<Res>(name: string, invoke: (client: analyzerGrpc.AnalyzerClient, options: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => void): Promise<Res> {
    if (this.closing) return Promise.reject(new PolicyPackError(`${name}: the policy pack process has been closed [${this.packDir}]`));
    const client = this.client;
    if (!client) return Promise.reject(new PolicyPackError(`${name}: not connected`));
    return new Promise<Res>((resolve, reject) => {
      invoke(client, { deadline: Date.now() + this.rpcTimeoutMs }, (err, res) => {
        if (!err) return resolve(res);
        // If the pack crashed, let its exit and last stderr lines land so the error can say so.
        const settle = new Promise<void>((r) => setTimeout(r, 200).unref());
        void Promise.race([this.drained, settle]).then(() => reject(this.failure(`${name} failed: ${err.details || err.message}`, err.code)));
      });
    });
  }

  /**
   * Properties already encoded (google.protobuf.Struct bytes), so that AnalyzeStack reuses what
   * Analyze encoded: callers send a properties object once and do not change it afterwards.
   */
  private readonly encoded = new WeakMap<object, Uint8Array>();

  private propertiesOf(properties: Record<string, unknown>): Uint8Array {
    let bytes = this.encoded.get(properties);
    if (bytes === undefined) {
      bytes = encodeStruct(properties);
      this.encoded.set(properties, bytes);
    }
    return bytes;
  }

  /**
   * Sends an already-encoded request. Analyze and AnalyzeStack requests are the stubs' encoding of
   * every field but `properties`, followed by the properties field (field numbers may come in any
   * order on the wire), so a resource's properties are encoded once.
   */
  private raw<Res>(name: string, method: { path: string; responseDeserialize: (b: Buffer) => Res }, chunks: Uint8Array[]): Promise<Res> {
    const body = Buffer.concat(chunks);
    return this.unary<Res>(name, (c, o, cb) => {
      c.makeUnaryRequest(method.path, (b: Buffer) => b, method.responseDeserialize, body, new grpc.Metadata(), o, cb as grpc.requestCallback<Res>);
    });
  }

  /** The pack's process id (leader of its own process group). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends ConfigureStack (the pack only uses the tags; project/stack/config reach it via `start({ stack })`). */
  async configureStack(args: StackConfiguration): Promise<void> {
    const req = new analyzerPb.AnalyzerStackConfigureRequest();
    req.setProject(args.project);
    req.setStack(args.stack);
    req.setOrganization(args.organization ?? "");
    req.setDryRun(args.dryRun ?? false);
    for (const [k, v] of Object.entries(args.config ?? {})) req.getConfigMap().set(k, v);
    req.setConfigSecretKeysList(args.configSecretKeys ?? []);
    for (const [k, v] of Object.entries(args.tags ?? {})) req.getTagsMap().set(k, v);
    await this.unary<analyzerPb.AnalyzerStackConfigureResponse>("ConfigureStack", (c, o, cb) => c.configureStack(req, new grpc.Metadata(), o, cb));
    this.stack = args;
  }

  /** GetAnalyzerInfo (cached: a pack's policies don't change while it runs). */
  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    if (this.info) return this.info;
    const res = await this.unary<analyzerPb.AnalyzerInfo>("GetAnalyzerInfo", (c, o, cb) => c.getAnalyzerInfo(new Empty(), new grpc.Metadata(), o, cb));
    const initialConfig: AnalyzerInfo["initialConfig"] = {};
    res.getInitialconfigMap().forEach((v, k) => {
      initialConfig[k] = { enforcementLevel: levelFromProto(v.getEnforcementlevel()), properties: fromStruct(v.getProperties()) };
    });
    this.info = {
      name: res.getName(),
      displayName: res.getDisplayname() || undefined,
      version: res.getVersion(),
      supportsConfig: res.getSupportsconfig(),
      initialConfig,
      policies: res.getPoliciesList().map((p): PolicyInfo => {
        const schema = p.getConfigschema();
        const type = p.getPolicyType();
        return {
          name: p.getName(),
          displayName: p.getDisplayname() || undefined,
          description: p.getDescription(),
          enforcementLevel: levelFromProto(p.getEnforcementlevel()),
          type: type === analyzerPb.PolicyType.POLICY_TYPE_RESOURCE ? "resource" : type === analyzerPb.PolicyType.POLICY_TYPE_STACK ? "stack" : "unknown",
          configSchema: schema ? { properties: fromStruct(schema.getProperties()) as Record<string, JsonSchema>, required: schema.getRequiredList() } : undefined,
          severity: severityFromProto(p.getSeverity()),
          tags: p.getTagsList(),
        };
      }),
    };
    return this.info;
  }

  /**
   * Configure as the CLI does: `reconcilePolicyConfig` (defaults, initial config, `config`, validation),
   * then one Configure call. Each call replaces the pack's whole configuration. Returns what was sent.
   */
  async configure(config: PolicyPackConfig = {}): Promise<Record<string, EffectivePolicyConfig>> {
    const info = await this.getAnalyzerInfo();
    const effective = reconcilePolicyConfig(info, config);
    if (!info.supportsConfig) return effective;
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(effective)) {
      const pc = new analyzerPb.PolicyConfig();
      pc.setEnforcementlevel(levelToProto(c.enforcementLevel));
      pc.setProperties(toStruct(c.properties)); // required even when empty
      req.getPolicyconfigMap().set(name, pc);
    }
    await this.unary<emptyPbModule.Empty>("Configure", (c, o, cb) => c.configure(req, new grpc.Metadata(), o, cb));
    return effective;
  }

  /** Analyze one resource (its inputs), as the engine does before each step. */
  async analyze(resource: AnalyzedResource): Promise<PolicyDiagnostic[]> {
    const chunks = analyzeRequestChunks(resource, this.urnOf(resource), resource.encodedProperties ?? this.propertiesOf(resource.properties));
    const res = await this.raw("Analyze", analyzerGrpc.AnalyzerService.analyze, chunks);
    return res.getDiagnosticsList().map(diagnosticOf);
  }

  /** AnalyzeStack over all resources (their outputs), as the engine does at the end of a run. */
  async analyzeStack(resources: AnalyzedResource[]): Promise<PolicyDiagnostic[]> {
    const chunks = analyzeStackRequestChunks(resources.map((r) => analyzerResourceChunks(r, this.urnOf(r), r.encodedProperties ?? this.propertiesOf(r.properties))));
    const res = await this.raw("AnalyzeStack", analyzerGrpc.AnalyzerService.analyzeStack, chunks);
    return res.getDiagnosticsList().map(diagnosticOf);
  }

  private urnOf(r: AnalyzedResource): string {
    return r.urn ?? `urn:pulumi:${this.stack?.stack ?? "stack"}::${this.stack?.project ?? "project"}::${r.type}::${r.name}`;
  }

  /** Everything the pack logged, in order: engine Log calls, stdout lines (after the port) and stderr lines. */
  logs(): string[] {
    return this.entries.map((e) => e.message);
  }

  logEntries(): PackLogEntry[] {
    return [...this.entries];
  }

  /** Resolves with the first log line matching `match` (logs are asynchronous to the RPC answers). */
  waitForLog(match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const find = () => this.logs().find((l) => (typeof match === "string" ? l.includes(match) : match.test(l)));
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (hit === undefined) return;
        done();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms; logs:\n${this.logs().join("\n")}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Synchronously SIGKILLs the pack's process group unless it already exited (used on parent exit/signals). */
  killNow(): void {
    if (!this.exit) this.killGroup();
  }

  private killGroup(signal: NodeJS.Signals = "SIGKILL"): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** Closes the connection and kills the pack's process group; idempotent. */
  /**
   * CPU time (user + system, ms) the pack's process has used so far: the cost of policy analysis.
   * Read from /proc on Linux; undefined elsewhere or once the process is gone.
   */
  cpuTimeMs(): number | undefined {
    try {
      const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.client?.close();
      const pid = this.child.pid;
      if (pid !== undefined && !this.exit) {
        this.killGroup("SIGTERM");
        const timer = new Promise<void>((r) => setTimeout(r, 3_000).unref());
        await Promise.race([this.exited, timer]);
        this.killNow(); // a leader that ignored SIGTERM
        await this.exited; // the exit handler also SIGKILLs what is left in the group
      }
      this.engine.forceShutdown();
      livePacks.delete(this);
      if (livePacks.size === 0) uninstallHandlers();
    })();
    return this.closing;
  }
}

function optionsOf(r: AnalyzedResource): analyzerPb.AnalyzerResourceOptions {
  const o = r.options ?? {};
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(o.protect ?? false);
  opts.setIgnorechangesList(o.ignoreChanges ?? []);
  opts.setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined);
  opts.setDeletebeforereplace(o.deleteBeforeReplace ?? false);
  opts.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
  opts.setAliasesList(o.aliases ?? []);
  const timeouts = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts();
  timeouts.setCreate(o.customTimeouts?.create ?? 0);
  timeouts.setUpdate(o.customTimeouts?.update ?? 0);
  timeouts.setDelete(o.customTimeouts?.delete ?? 0);
  opts.setCustomtimeouts(timeouts);
  if (r.parent) opts.setParent(r.parent);
  return opts;
}

/**
 * An AnalyzeRequest on the wire, as chunks: the stubs' encoding of every field but `properties`,
 * then `properties` (already-encoded Struct bytes). Fields may come in any order on the wire.
 */
export function analyzeRequestChunks(r: AnalyzedResource, urn: string, properties: Uint8Array): Uint8Array[] {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType(r.type);
  req.setName(r.name);
  req.setUrn(urn);
  req.setOptions(optionsOf(r)); // without options the SDK asks for a newer CLI
  if (r.provider) req.setProvider(providerOf(r.provider));
  return [req.serializeBinary(), fieldHeader(PROPERTIES_FIELD, properties.length), properties];
}

/** An AnalyzerResource (an AnalyzeStack item) on the wire, as chunks; see {@link analyzeRequestChunks}. */
export function analyzerResourceChunks(r: AnalyzedResource, urn: string, properties: Uint8Array): Uint8Array[] {
  const ar = new analyzerPb.AnalyzerResource();
  ar.setType(r.type);
  ar.setName(r.name);
  ar.setUrn(urn);
  ar.setOptions(optionsOf(r));
  if (r.provider) ar.setProvider(providerOf(r.provider));
  ar.setParent(r.parent ?? "");
  ar.setDependenciesList(r.dependencies ?? []);
  for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
    if (!urns.length) continue;
    const pd = new analyzerPb.AnalyzerPropertyDependencies();
    pd.setUrnsList(urns);
    ar.getPropertydependenciesMap().set(k, pd);
  }
  return [ar.serializeBinary(), fieldHeader(PROPERTIES_FIELD, properties.length), properties];
}

/** An AnalyzeStackRequest (`repeated AnalyzerResource resources = 1`) of encoded resources, as chunks. */
export function analyzeStackRequestChunks(resources: readonly Uint8Array[][]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (const resource of resources) chunks.push(fieldHeader(1, resource.reduce((n, c) => n + c.length, 0)), ...resource);
  return chunks;
}

function providerOf(p: AnalyzedProvider): analyzerPb.AnalyzerProviderResource {
  const pr = new analyzerPb.AnalyzerProviderResource();
  pr.setType(p.type);
  pr.setName(p.name);
  pr.setUrn(p.urn);
  pr.setProperties(toStruct(p.properties));
  return pr;
}

function diagnosticOf(d: analyzerPb.AnalyzeDiagnostic): PolicyDiagnostic {
  const out: PolicyDiagnostic = {
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    enforcementLevel: levelFromProto(d.getEnforcementlevel()),
  };
  if (d.getUrn()) out.urn = d.getUrn();
  const severity = severityFromProto(d.getSeverity());
  if (severity) out.severity = severity;
  return out;
}
