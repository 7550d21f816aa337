/**
 * `mailhost preview --json`: what an offline run registered, in the shape of the Pulumi CLI's
 * preview digest (`pulumi preview --json`), so that jq, conftest, Checkov or a reviewer's diff can
 * read it like the CLI's.
 *
 * The shape is the CLI's (pulumi/pulumi `sdk/pkg/display/json.go` `PreviewDigest`, `PreviewStep`,
 * `PreviewDiagnostic`; `sdk/go/common/apitype/core.go` `ResourceV3`; filled in by
 * `pkg/backend/display/json.go` `ShowPreviewDigest`): `config` (secrets blinded), `steps` of
 * `{ op, urn, provider, newState, detailedDiff }`, `diagnostics`, `duration` (nanoseconds, Go's
 * `time.Duration`) and `changeSummary` (count per operation). A stack that has never been deployed
 * is all `create` steps; the default provider of each package (`default_<major>_<minor>_<patch>`,
 * as the engine names it) is a step of its own that the summary does not count, as the CLI's.
 *
 * Property values are serialized as the engine's state serializes them (`pkg/resource/stack`
 * `SerializePropertyValue`): assets and archives keep their signature and path or URI (text
 * assets show "<contents elided>", as the CLI's event filter writes them), unknown values are the
 * CLI's placeholder. Secrets are masked as the CLI masks them in JSON output (`MassageSecrets`):
 * every secret value becomes the string "[secret]", and the plain text of every secret config
 * value is replaced by "[secret]" wherever a string contains it (the engine's global secret filter).
 *
 * What differs from a real preview: inputs are what the program registered (a provider's Check may
 * add defaults), and values that come from other resources' outputs are the mocks' stand-ins (ARM
 * ids in the all-zero subscription) where a real preview shows them as unknown.
 */
import type { RecordedResource } from "./offline";
import { pulumiUrns } from "./urns";

/** Signature key of Pulumi's special values (secrets, assets, archives, resource references). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/** What the engine writes for a value that is not known yet (and the id of a provider being created). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** What the CLI writes for a secret in JSON output. */
export const MASKED = "[secret]";

/** Masks secret config values inside strings, as the engine's global secret filter does. */
export function secretFilter(secretTexts: readonly string[]): (text: string) => string {
  const texts = [...new Set(secretTexts.filter((t) => t.length > 0))].sort((a, b) => b.length - a.length);
  if (texts.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const t of texts) if (out.includes(t)) out = out.split(t).join(MASKED);
    return out;
  };
}

type Filter = (text: string) => string;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

/**
 * A property value as the engine's state holds it in JSON output, secrets masked. Takes the values
 * the mock runtime hands a resource's `newResource` (secrets wrapped in their signature object,
 * assets and archives as the SDK's objects, whose fields are promises).
 */
export async function serializeValue(value: unknown, filter: Filter): Promise<unknown> {
  value = await value;
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return filter(value);
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => serializeValue(v, filter)));
  if (!isObject(value)) return null;
  if (value[SIG_KEY] === SECRET_SIG) return MASKED;
  if (value["__pulumiOutput"] === true) return UNKNOWN_VALUE;
  if (value["__pulumiAsset"] === true) {
    const [path, text, uri] = await Promise.all([value["path"], value["text"], value["uri"]]);
    return {
      [SIG_KEY]: ASSET_SIG,
      ...(typeof path === "string" ? { path } : typeof uri === "string" ? { uri } : text !== undefined ? { text: "<contents elided>" } : {}),
    };
  }
  if (value["__pulumiArchive"] === true) {
    const [path, uri, assets] = await Promise.all([value["path"], value["uri"], value["assets"]]);
    if (typeof path === "string") return { [SIG_KEY]: ARCHIVE_SIG, path };
    if (typeof uri === "string") return { [SIG_KEY]: ARCHIVE_SIG, uri };
    return { [SIG_KEY]: ARCHIVE_SIG, assets: await serializeValue(assets ?? {}, filter) };
  }
  if (value["__pulumiResource"] === true) {
    const urn = await new Promise<unknown>((resolve) =>
      (value["urn"] as { apply: (f: (v: unknown) => unknown) => unknown }).apply((v) => {
        resolve(v);
        return v;
      }),
    );
    return { [SIG_KEY]: RESOURCE_SIG, urn };
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (value[key] === undefined || typeof value[key] === "function") continue;
    out[key] = await serializeValue(value[key], filter);
  }
  return out;
}

/** What the engine would know of a registration, besides its inputs (from the RegisterResource request). */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  readonly parent?: string;
  /** Inputs, serialized and masked ({@link serializeValue}). */
  readonly inputs: Record<string, unknown>;
  /** Every resource it depends on (explicit `dependsOn` and outputs it takes). */
  readonly dependencies: readonly string[];
  /** Per input property, the resources its value depends on. */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  /** Version of the package (its default provider's), as the SDK sends it. */
  readonly version?: string;
  /** An explicit provider reference (`urn::id`), when the program passed one. */
  readonly provider?: string;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly ignoreChanges?: readonly string[];
  readonly replaceOnChanges?: readonly string[];
  readonly additionalSecretOutputs?: readonly string[];
  readonly aliases?: readonly string[];
  readonly customTimeouts?: { readonly create?: string; readonly update?: string; readonly delete?: string };
  readonly deletedWith?: string;
  readonly deleteBeforeReplace?: boolean;
}

/** A registration as {@link Registration}, from a recorded resource (the in-process run). */
export async function registrationOf(r: RecordedResource, filter: Filter): Promise<Registration> {
  const details = r.registration;
  const inputs: Record<string, unknown> = {};
  for (const key of Object.keys(r.inputs)) {
    if (r.inputs[key] !== undefined) inputs[key] = await serializeValue(r.inputs[key], filter);
  }
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    custom: r.custom,
    ...(r.parent === undefined ? {} : { parent: r.parent }),
    inputs,
    dependencies: details?.dependencies ?? r.dependencies,
    ...(details?.propertyDependencies ? { propertyDependencies: details.propertyDependencies } : {}),
    ...(details?.version ? { version: details.version } : {}),
    ...(details?.provider ? { provider: details.provider } : {}),
    ...(r.protect ? { protect: true } : {}),
    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
    ...(r.ignoreChanges?.length ? { ignoreChanges: r.ignoreChanges } : {}),
    ...(r.replaceOnChanges?.length ? { replaceOnChanges: r.replaceOnChanges } : {}),
    ...(r.additionalSecretOutputs?.length ? { additionalSecretOutputs: r.additionalSecretOutputs } : {}),
    ...(r.aliasUrns?.length ? { aliases: r.aliasUrns } : {}),
    ...(r.customTimeouts ? { customTimeouts: r.customTimeouts } : {}),
    ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
    ...(r.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: r.deleteBeforeReplace } : {}),
  };
}

/** `apitype.ResourceV3`, the fields a new resource's state has in a preview (the rest are omitted when empty, as Go omits them). */
export interface ResourceV3 {
  urn: string;
  custom: boolean;
  type: string;
  inputs?: Record<string, unknown>;
  parent?: string;
  protect?: boolean;
  dependencies?: string[];
  provider?: string;
  propertyDependencies?: Record<string, string[]>;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  /** Seconds, as the engine keeps them (`resource.CustomTimeouts`). */
  customTimeouts?: { create?: number; update?: number; delete?: number };
  retainOnDelete?: boolean;
  deletedWith?: string;
  ignoreChanges?: string[];
  replaceOnChanges?: string[];
}

export interface PreviewStep {
  op: "create";
  urn: string;
  provider?: string;
  newState: ResourceV3;
  /** The CLI writes `null` when a step has no detailed diff (the field has no omitempty). */
  detailedDiff: null;
}

export interface PreviewDiagnostic {
  urn?: string;
  message: string;
  severity: "info" | "info#err" | "warning" | "error";
}

export interface PreviewDigest {
  config?: Record<string, string>;
  steps?: PreviewStep[];
  diagnostics?: PreviewDiagnostic[];
  /** Nanoseconds. */
  duration?: number;
  changeSummary?: Record<string, number>;
}

/** The default provider's name for a package version, as the engine derives it (`default_3_28_0`, `default` without a version). */
export function defaultProviderName(version: string | undefined): string {
  const m = version === undefined ? null : /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(version);
  if (m === null) return "default";
  const pre = m[4]
    ? m[4]
        .split(".")
        .map((p) => `_${p}`)
        .join("")
    : "";
  const build = m[5]
    ? m[5]
        .split(".")
        .map((p) => `_${p}`)
        .join("")
    : "";
  return `default_${m[1]}_${m[2]}_${m[3]}${pre}${build}`;
}

/** Seconds of a Go duration string ("10m", "1h30m", "90s"), as the engine parses a custom timeout; undefined when not one. */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

/** A registration's custom timeouts in seconds; undefined when none is set. */
function timeouts(t: Registration["customTimeouts"]): ResourceV3["customTimeouts"] {
  if (t === undefined) return undefined;
  const out: NonNullable<ResourceV3["customTimeouts"]> = {};
  for (const k of ["create", "update", "delete"] as const) {
    const seconds = durationSeconds(t[k]);
    if (seconds) out[k] = seconds;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The package of a type token (`azure-native` of `azure-native:compute:VirtualMachine`). */
const packageOf = (type: string) => type.split(":")[0];

export interface DigestInput {
  readonly project: string;
  readonly stack: string;
  /** In registration order. */
  readonly registrations: readonly Registration[];
  /** The runtime config the program ran with (`key` → string). */
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  readonly diagnostics?: readonly PreviewDiagnostic[];
  readonly durationMs: number;
}

/** Builds the digest; every secret is masked. */
export function previewDigest(input: DigestInput): PreviewDigest {
  const filter = secretFilter(input.secretKeys.map((k) => input.config[k]).filter((v): v is string => typeof v === "string"));
  const config: Record<string, string> = {};
  for (const key of Object.keys(input.config).sort()) config[key] = input.secretKeys.includes(key) ? MASKED : filter(input.config[key]);
  const steps: PreviewStep[] = [];
  const changeSummary: Record<string, number> = {};
  const providers = new Map<string, string>();
  /** The default provider of a package (a step of its own, before its first resource), by reference. */
  const defaultProvider = (pkg: string, version: string | undefined): string => {
    const key = `${pkg}@${version ?? ""}`;
    let ref = providers.get(key);
    if (ref !== undefined) return ref;
    const type = `pulumi:providers:${pkg}`;
    const urn = `urn:pulumi:${input.stack}::${input.project}::${type}::${defaultProviderName(version)}`;
    const inputs: Record<string, unknown> = {};
    for (const k of Object.keys(input.config).sort()) {
      if (!k.startsWith(`${pkg}:`)) continue;
      const text = input.config[k];
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch {
        /* a plain string */
      }
      inputs[k.slice(pkg.length + 1)] = input.secretKeys.includes(k) ? MASKED : typeof value === "string" ? filter(value) : value;
    }
    if (version !== undefined) inputs["version"] = version;
    steps.push({ op: "create", urn, newState: { urn, custom: true, type, ...(Object.keys(inputs).length > 0 ? { inputs } : {}) }, detailedDiff: null });
    ref = `${urn}::${UNKNOWN_VALUE}`;
    providers.set(key, ref);
    return ref;
  };
  // The offline run's URNs are the mock runtime's; the digest has the engine's.
  const urns = pulumiUrns(input.registrations, input.stack, input.project);
  const u = (urn: string) => urns.get(urn) ?? urn;
  // A provider the program creates has no id yet in a preview of a new stack.
  const reference = (ref: string) => {
    const cut = ref.lastIndexOf("::");
    return cut < 0 ? ref : `${u(ref.slice(0, cut))}::${UNKNOWN_VALUE}`;
  };
  for (const registration of input.registrations) {
    const r: Registration = {
      ...registration,
      urn: u(registration.urn),
      ...(registration.parent ? { parent: u(registration.parent) } : {}),
      dependencies: registration.dependencies.map(u),
      ...(registration.propertyDependencies
        ? { propertyDependencies: Object.fromEntries(Object.entries(registration.propertyDependencies).map(([k, v]) => [k, v.map(u)])) }
        : {}),
      ...(registration.deletedWith ? { deletedWith: u(registration.deletedWith) } : {}),
      ...(registration.provider ? { provider: reference(registration.provider) } : {}),
    };
    const isProvider = r.type.startsWith("pulumi:providers:");
    const provider = r.custom && !isProvider ? (r.provider ?? defaultProvider(packageOf(r.type), r.version)) : undefined;
    const state: ResourceV3 = {
      urn: r.urn,
      custom: r.custom,
      type: r.type,
      ...(Object.keys(r.inputs).length > 0 ? { inputs: r.inputs } : {}),
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.protect ? { protect: true } : {}),
      ...(r.dependencies.length > 0 ? { dependencies: [...r.dependencies] } : {}),
      ...(provider ? { provider } : {}),
      ...(r.propertyDependencies && Object.keys(r.propertyDependencies).length > 0
        ? { propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, [...v]])) }
        : {}),
      ...(r.additionalSecretOutputs?.length ? { additionalSecretOutputs: [...r.additionalSecretOutputs] } : {}),
      ...(r.aliases?.length ? { aliases: [...r.aliases] } : {}),
      ...(timeouts(r.customTimeouts) ? { customTimeouts: timeouts(r.customTimeouts) } : {}),
      ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
      ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
      ...(r.ignoreChanges?.length ? { ignoreChanges: [...r.ignoreChanges] } : {}),
      ...(r.replaceOnChanges?.length ? { replaceOnChanges: [...r.replaceOnChanges] } : {}),
    };
    steps.push({ op: "create", urn: r.urn, ...(provider ? { provider } : {}), newState: state, detailedDiff: null });
    changeSummary["create"] = (changeSummary["create"] ?? 0) + 1;
  }
  const diagnostics = (input.diagnostics ?? []).map((d) => ({ ...d, message: filter(d.message) }));
  return {
    ...(Object.keys(config).length > 0 ? { config } : {}),
    ...(steps.length > 0 ? { steps } : {}),
    ...(diagnostics.length > 0 ? { diagnostics } : {}),
    duration: Math.max(1, Math.round(input.durationMs * 1e6)),
    ...(Object.keys(changeSummary).length > 0 ? { changeSummary } : {}),
  };
}
