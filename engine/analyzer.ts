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
//
// This module is the protocol side: the analyzer client over the pack's port (ConfigureStack,
// GetAnalyzerInfo, Configure, Analyze, AnalyzeStack). The process side (spawn, port, logs, kill,
// signals) is engine/packProcess.ts, the data and its protobuf conversion engine/analyzerProto.ts,
// the config reconciliation engine/policyConfig.ts; all are re-exported here.
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as emptyPbModule from "google-protobuf/google/protobuf/empty_pb";
import {
  type AnalyzedResource,
  type AnalyzerInfo,
  type EffectivePolicyConfig,
  type JsonSchema,
  type PackLogEntry,
  type PolicyDiagnostic,
  type PolicyInfo,
  type PolicyPackConfig,
  type StackConfiguration,
  type StartOptions,
  Empty,
  analyzeRequestChunks,
  analyzeStackRequestChunks,
  analyzerResourceChunks,
  PolicyPackError,
  diagnosticOf,
  fromStruct,
  levelFromProto,
  levelToProto,
  severityFromProto,
  toStruct,
} from "./analyzerProto";
import { PackProcess } from "./packProcess";
import { reconcilePolicyConfig } from "./policyConfig";
import { encodeStruct } from "./wire";

export * from "./analyzerProto";
export { PolicyConfigError, reconcilePolicyConfig } from "./policyConfig";

const MAX_RPC_MESSAGE = 400 * 2 ** 20; // what the policy SDK's server accepts

/** A running policy pack and the analyzer client connected to it. */
export class PolicyPackProcess {
  private info?: AnalyzerInfo;
  private stack?: StackConfiguration;

  private constructor(
    /** The pack's process. */
    readonly packProcess: PackProcess,
    private readonly client: analyzerGrpc.AnalyzerClient,
    private readonly rpcTimeoutMs: number,
  ) {}

  /** Starts the pack in `packDir` as the CLI does and connects to its analyzer server. */
  static async start(packDir: string, options: StartOptions = {}): Promise<PolicyPackProcess> {
    const spawned = await PackProcess.spawn(packDir, options);
    const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${spawned.port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_RPC_MESSAGE,
      "grpc.max_send_message_length": MAX_RPC_MESSAGE,
    });
    const pack = new PolicyPackProcess(spawned, client, options.rpcTimeoutMs ?? 30_000);
    try {
      if (options.stack) await pack.configureStack(options.stack);
      return pack;
    } catch (err) {
      await pack.close();
      throw err;
    }
  }

  /** Directory of the pack. */
  get packDir(): string {
    return this.packProcess.packDir;
  }

  /** Address of the fake Engine service passed to the pack. */
  get engineAddress(): string {
    return this.packProcess.engineAddress;
  }

  /** Port of the pack's analyzer server. */
  get port(): number | undefined {
    return this.packProcess.port;
  }

  /** The pack's process id (leader of its own process group). */
  get pid(): number | undefined {
    return this.packProcess.pid;
  }

  private unary<Res>(
    name: string,
    invoke: (client: analyzerGrpc.AnalyzerClient, options: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => void,
  ): Promise<Res> {
    if (this.packProcess.closed) return Promise.reject(new PolicyPackError(`${name}: the policy pack process has been closed [${this.packProcess.packDir}]`));
    const client = this.client;
    return new Promise<Res>((resolve, reject) => {
      invoke(client, { deadline: Date.now() + this.rpcTimeoutMs }, (err, res) => {
        if (!err) return resolve(res);
        // If the pack crashed, let its exit and last stderr lines land so the error can say so.
        const settle = new Promise<void>((r) => setTimeout(r, 200).unref());
        void Promise.race([this.packProcess.drained, settle]).then(() =>
          reject(this.packProcess.failure(`${name} failed: ${err.details || err.message}`, err.code)),
        );
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

  /**
   * Sends ConfigureStack as the CLI does after the start: names, dry run, the stack's config and
   * its secret keys, tags. `@pulumi/policy` 1.21 keeps only the tags (server.js `configureStack`);
   * a Node.js pack reads project, stack and config from the environment `start({ stack })` set.
   */
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
          configSchema: schema
            ? { properties: fromStruct(schema.getProperties()) as Record<string, JsonSchema>, required: schema.getRequiredList() }
            : undefined,
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
    const chunks = analyzeStackRequestChunks(
      resources.map((r) => analyzerResourceChunks(r, this.urnOf(r), r.encodedProperties ?? this.propertiesOf(r.properties))),
    );
    const res = await this.raw("AnalyzeStack", analyzerGrpc.AnalyzerService.analyzeStack, chunks);
    return res.getDiagnosticsList().map(diagnosticOf);
  }

  private urnOf(r: AnalyzedResource): string {
    return r.urn ?? `urn:pulumi:${this.stack?.stack ?? "stack"}::${this.stack?.project ?? "project"}::${r.type}::${r.name}`;
  }

  /** Everything the pack logged, in order: engine Log calls, stdout lines (after the port) and stderr lines. */
  logs(): string[] {
    return this.packProcess.logs();
  }

  logEntries(): PackLogEntry[] {
    return this.packProcess.logEntries();
  }

  /** Resolves with the first log line matching `match` (logs are asynchronous to the RPC answers). */
  waitForLog(match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    return this.packProcess.waitForLog(match, timeoutMs);
  }

  /** Synchronously SIGKILLs the pack's process group unless it already exited. */
  killNow(): void {
    this.packProcess.killNow();
  }

  /** CPU time (user + system, ms) the pack's process has used so far; undefined once it is gone. */
  cpuTimeMs(): number | undefined {
    return this.packProcess.cpuTimeMs();
  }

  /** Closes the connection and kills the pack's process group; idempotent. */
  async close(): Promise<void> {
    this.client.close();
    await this.packProcess.close();
  }
}
