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
 * `PULUMI_CONFIG`), once per process: a pack process serves one stack.
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
export type StackValue<T> = { readonly kind: "set"; readonly value: T } | { readonly kind: "absent" } | { readonly kind: "invalid"; readonly problems: readonly string[] };

/** The stack-config keys the pack reads. */
export const CAPACITY_KEY = `${CONFIG_NAMESPACE}:capacity`;
export const SITE_CONFIG_KEY = `${CONFIG_NAMESPACE}:siteConfig`;

/** A structured config value: its JSON, or the text itself when it is not JSON (the schema then says what it should be). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The schema's problems with one section of the stack config, only those at or under `prefix`. */
function problemsOf(section: string, value: unknown, prefix: string): string[] {
  return schemaIssues({ [section]: value }).filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`)).map((i) => i.message);
}

/**
 * `mailhost:capacity` of the stack config `config` (runtime form: strings, objects as JSON),
 * validated by the stack schema (the same ranges and defaults the program applies).
 */
export function stackLoad(config: Readonly<Record<string, string>>): StackValue<StackLoad> {
  const text = config[CAPACITY_KEY];
  if (text === undefined) return { kind: "absent" };
  const raw = parsed(text);
  const problems = problemsOf("capacity", raw, CAPACITY_KEY);
  if (problems.length > 0) return { kind: "invalid", problems };
  const capacity = raw as { activeSessionsPerHost: number; backendEndpoints: number; utilization?: number };
  return { kind: "set", value: { activeSessionsPerHost: capacity.activeSessionsPerHost, backendEndpoints: capacity.backendEndpoints, utilization: capacity.utilization ?? DEFAULTS.utilization } };
}

/**
 * `mailhost:siteConfig.minimumMailboxCacheTtl` of the stack config, validated by the stack schema;
 * `absent` when the stack has no `mailhost:siteConfig` or it leaves the floor out (the program then
 * applies {@link DEFAULTS.minimumMailboxCacheTtl}).
 */
export function stackTtlFloor(config: Readonly<Record<string, string>>): StackValue<number> {
  const text = config[SITE_CONFIG_KEY];
  if (text === undefined) return { kind: "absent" };
  const raw = parsed(text);
  const key = `${SITE_CONFIG_KEY}.minimumMailboxCacheTtl`;
  const problems = problemsOf("siteConfig", raw, key);
  if (problems.length > 0) return { kind: "invalid", problems };
  const floor = (raw as { minimumMailboxCacheTtl?: unknown } | null)?.minimumMailboxCacheTtl;
  return typeof floor === "number" ? { kind: "set", value: floor } : { kind: "absent" };
}

let runtimeConfig: Readonly<Record<string, string>> | undefined;

/** The stack config this process was started with (`PULUMI_CONFIG`), read once. */
export function packStackConfig(): Readonly<Record<string, string>> {
  // Loaded on first use: a process that only lists the rules (the `mailhost` CLI) never needs the SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  runtimeConfig ??= Object.freeze({ ...pulumi.runtime.allConfig() });
  return runtimeConfig;
}
