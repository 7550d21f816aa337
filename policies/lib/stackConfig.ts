/**
 * The stack a policy pack runs for, as the Pulumi CLI hands it to a Node.js pack: when the CLI
 * starts the pack for `pulumi preview|up --policy-pack` it puts the stack's decrypted config in the
 * pack's environment as `PULUMI_CONFIG` (JSON, `"<namespace>:<key>"` -> string, objects as JSON
 * text) and the stack's names in `PULUMI_NODEJS_PROJECT` / `PULUMI_NODEJS_STACK` / ...
 * (pulumi/pulumi `pkg/resource/plugin/analyzer_plugin.go`, `constructEnv` / `constructConfig`,
 * called from `NewPolicyAnalyzer` with the config `pkg/engine/update.go` `newUpdateSource`
 * decrypts). The CLI then also sends the same config in the analyzer's `ConfigureStack` call, but
 * `@pulumi/policy` (1.21) keeps only the stack tags of that call (`server.js` `configureStack`), so
 * the environment is where a pack reads it. `mailhost check` starts the pack the same way
 * (engine/packProcess.ts).
 *
 * Read through `@pulumi/pulumi`'s runtime config (`runtime.allConfig()`, which parses
 * `PULUMI_CONFIG`) and `getProject()` (`PULUMI_NODEJS_PROJECT`), once per process: a pack process
 * serves one stack. The keys are those of the module's config loader (`stackSettings()`,
 * components/stackSettings.ts): `<namespace>:capacity` and `<namespace>:siteConfig`, the
 * namespace being the project's name unless the pack names another.
 */
import { CONFIG_NAMESPACE, schemaIssues } from "../../domain/config";
import { DEFAULTS } from "../../domain/limits";

/** The planned load of the capacity model, as `mailhost:capacity` states it (utilisation defaulted). */
export interface StackLoad {
  readonly activeSessionsPerHost: number;
  readonly backendEndpoints: number;
  readonly utilization: number;
}

/** A value read from the stack's config: found and valid, absent, or invalid (with the problems, as sentences). */
export type StackValue<T> =
  { readonly kind: "set"; readonly value: T } | { readonly kind: "absent" } | { readonly kind: "invalid"; readonly problems: readonly string[] };

/** The stack-config keys the pack reads, in a namespace. */
export const capacityKey = (namespace: string) => `${namespace}:capacity`;
export const siteConfigKey = (namespace: string) => `${namespace}:siteConfig`;

/** A structured config value: its JSON, or the text itself when it is not JSON (the schema then says what it should be). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The schema's problems with one section of the stack config, only those at or under `prefix`
 * (a path in the schema's own namespace), named by their keys in `namespace`.
 */
function problemsOf(section: string, value: unknown, prefix: string, namespace: string): string[] {
  const own = `${CONFIG_NAMESPACE}:`;
  return schemaIssues({ [section]: value })
    .filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`))
    .map((i) => (namespace === CONFIG_NAMESPACE ? i.message : i.message.split(i.path).join(`${namespace}:${i.path.slice(own.length)}`)));
}

/**
 * `<namespace>:capacity` of the stack config `config` (runtime form: strings, objects as JSON),
 * validated by the stack schema (the same ranges and defaults the program applies).
 */
export function stackLoad(config: Readonly<Record<string, string>>, namespace: string = CONFIG_NAMESPACE): StackValue<StackLoad> {
  const text = config[capacityKey(namespace)];
  if (text === undefined) return { kind: "absent" };
  const raw = parsed(text);
  const problems = problemsOf("capacity", raw, capacityKey(CONFIG_NAMESPACE), namespace);
  if (problems.length > 0) return { kind: "invalid", problems };
  const capacity = raw as { activeSessionsPerHost: number; backendEndpoints: number; utilization?: number };
  return {
    kind: "set",
    value: {
      activeSessionsPerHost: capacity.activeSessionsPerHost,
      backendEndpoints: capacity.backendEndpoints,
      utilization: capacity.utilization ?? DEFAULTS.utilization,
    },
  };
}

/**
 * `<namespace>:siteConfig.minimumMailboxCacheTtl` of the stack config, validated by the stack
 * schema; `absent` when the stack has no `<namespace>:siteConfig` or it leaves the floor out (the
 * components then apply `DEFAULTS.minimumMailboxCacheTtl`).
 */
export function stackTtlFloor(config: Readonly<Record<string, string>>, namespace: string = CONFIG_NAMESPACE): StackValue<number> {
  const text = config[siteConfigKey(namespace)];
  if (text === undefined) return { kind: "absent" };
  const raw = parsed(text);
  const problems = problemsOf("siteConfig", raw, `${siteConfigKey(CONFIG_NAMESPACE)}.minimumMailboxCacheTtl`, namespace);
  if (problems.length > 0) return { kind: "invalid", problems };
  const floor = (raw as { minimumMailboxCacheTtl?: unknown } | null)?.minimumMailboxCacheTtl;
  return typeof floor === "number" ? { kind: "set", value: floor } : { kind: "absent" };
}

/** The stack a pack process runs for: its project's name and its config. */
export interface PackStack {
  readonly project: string;
  readonly config: Readonly<Record<string, string>>;
}

let packStackRead: PackStack | undefined;

/** The stack this process was started for (`PULUMI_NODEJS_PROJECT`, `PULUMI_CONFIG`), read once. */
export function packStack(): PackStack {
  // Loaded on first use: a process that only lists the rules (the `mailhost` CLI) never needs the SDK.
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  packStackRead ??= Object.freeze({ project: pulumi.getProject(), config: Object.freeze({ ...pulumi.runtime.allConfig() }) });
  return packStackRead;
}
