/**
 * The analyzer protocol's data as this project sends and reads it: the request and answer types,
 * enforcement levels and severities, google.protobuf.Struct conversion, and the Analyze /
 * AnalyzeStack request bytes built from properties encoded once (engine/wire.ts). No process and
 * no network here.
 */
import { createRequire } from "node:module";
import type * as grpc from "@grpc/grpc-js";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as emptyPbModule from "google-protobuf/google/protobuf/empty_pb";
import type * as structPbModule from "google-protobuf/google/protobuf/struct_pb";
import { fieldHeader } from "./wire";

// The stubs check `instanceof` against *their* google-protobuf copy: build Struct/Empty from that copy.
const stubRequire = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
export const { Struct } = stubRequire("google-protobuf/google/protobuf/struct_pb") as typeof structPbModule;
export const { Empty } = stubRequire("google-protobuf/google/protobuf/empty_pb") as typeof emptyPbModule;

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
   * `properties` already encoded as a google.protobuf.Struct (see engine/wire.ts), e.g. by the thread
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

/** An error starting or talking to the policy pack, with what the pack left behind. */
export class PolicyPackError extends Error {
  constructor(
    message: string,
    readonly details: { stderr?: string; exitCode?: number | null; signal?: NodeJS.Signals | null; pid?: number; grpcCode?: grpc.status } = {},
  ) {
    super(message);
    this.name = "PolicyPackError";
  }
}

export const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export function levelToProto(level: EnforcementLevel): analyzerPb.EnforcementLevel {
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

export function levelFromProto(level: analyzerPb.EnforcementLevel): EnforcementLevel {
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

export function severityFromProto(s: analyzerPb.PolicySeverity): Severity | undefined {
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

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Drops `undefined` members (arrays get `null`, as the SDK serializer does); Struct rejects them. */
export function stripUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : stripUndefined(e)));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) if (e !== undefined) out[k] = stripUndefined(e);
    return out;
  }
  return v;
}

export function toStruct(obj: Record<string, unknown> | undefined): structPbModule.Struct {
  return Struct.fromJavaScript(stripUndefined(obj ?? {}) as Record<string, structPbModule.JavaScriptValue>);
}

export function fromStruct(s: structPbModule.Struct | undefined): Record<string, unknown> {
  return s ? (s.toJavaScript() as Record<string, unknown>) : {};
}

export function optionsOf(r: AnalyzedResource): analyzerPb.AnalyzerResourceOptions {
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
  for (const resource of resources)
    chunks.push(
      fieldHeader(
        1,
        resource.reduce((n, c) => n + c.length, 0),
      ),
      ...resource,
    );
  return chunks;
}

export function providerOf(p: AnalyzedProvider): analyzerPb.AnalyzerProviderResource {
  const pr = new analyzerPb.AnalyzerProviderResource();
  pr.setType(p.type);
  pr.setName(p.name);
  pr.setUrn(p.urn);
  pr.setProperties(toStruct(p.properties));
  return pr;
}

export function diagnosticOf(d: analyzerPb.AnalyzeDiagnostic): PolicyDiagnostic {
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
