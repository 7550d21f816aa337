/**
 * The settings a user gives the components: the same shape and rules as the stack config
 * (`mailhost:fleet`, `mailhost:tcp`, `mailhost:siteConfig`, `mailhost:capacity`, `mailhost:egress`,
 * `mailhost:monitoring`), validated by the same code, so a component rejects a value with the
 * message a stack file would get (naming the setting by its stack-config key).
 *
 * Ranges and defaults in these comments name their constant in `domain/limits.ts` (the entry point
 * `mailhost-iac/limits`): the numbers live only there (an editor shows them on hover), and the
 * configuration reference (docs/CONFIGURATION.md) lists them, generated from the same constants.
 */
import * as pulumi from "@pulumi/pulumi";
import { type MailhostConfig, type StackConfigInput, type TuningMechanism, adminPasswordIssues, alertWebhookUrlIssues, parseStackConfig } from "../domain/config";
import { ConfigValidationError } from "../domain/issues";
import { type FleetPlan, type PlanOptions, planFleet } from "../domain/plan";
import { loadSiteConfigTemplate } from "../content/siteConfigTemplate";
// Referenced by the doc comments below.
import type { ACTIVE_SESSIONS_PER_HOST, AUTO_REUSE_PORT_RANGE_COUNT, AUTO_REUSE_PORT_RANGE_START, BACKEND_ENDPOINTS, DEFAULTS, DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START, MAILBOX_CACHE_TTL, MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, UTILIZATION } from "../domain/limits";

/** TCP ephemeral-port tuning applied inside every host (stack config `mailhost:tcp`). */
export interface TcpSettings {
  /**
   * How the values reach the hosts: "dsc" (Azure DSC extension, auto-correct; retires 31 March
   * 2028), "runCommand" (managed Run Command, no auto-correct) or "machineConfiguration" (Azure
   * Machine Configuration assignment, auto-correct). Required.
   */
  readonly tuning: TuningMechanism;
  /**
   * Tcpip `MaxUserPort`, a port number; the dynamic port range ends here.
   * Range: {@link MAX_USER_PORT}.
   * Defaults to {@link DEFAULTS}.maxUserPort.
   */
  readonly maxUserPort?: number;
  /**
   * Tcpip `TcpTimedWaitDelay`, seconds a closed connection stays in TIME_WAIT.
   * Range: {@link TCP_TIMED_WAIT_DELAY}.
   * Defaults to {@link DEFAULTS}.tcpTimedWaitDelay.
   */
  readonly tcpTimedWaitDelay?: number;
  /**
   * Dynamic port range (IPv4 and IPv6, TCP); `start + count - 1` must equal `maxUserPort`.
   * Defaults to a start of {@link DEFAULTS}.dynamicPortRangeStart up to `maxUserPort`.
   */
  readonly dynamicPortRange?: {
    /** First dynamic port. Range: {@link DYNAMIC_PORT_RANGE_START}. */
    readonly start: number;
    /** Number of dynamic ports. Range: {@link DYNAMIC_PORT_RANGE_COUNT}. */
    readonly count: number;
  };
  /**
   * Auto-reuse port range (`Set-NetTCPSetting -AutoReusePortRangeStartPort/-NumberOfPorts`),
   * strictly inside the dynamic port range; takes effect after a reboot. Defaults to unset: the
   * hosts' setting is left as it is and the capacity model counts one port pool per host.
   */
  readonly autoReusePortRange?: {
    /** First port of the range. Range: {@link AUTO_REUSE_PORT_RANGE_START}. */
    readonly start: number;
    /** Number of ports of the range. Range: {@link AUTO_REUSE_PORT_RANGE_COUNT}. */
    readonly count: number;
  };
}

/** The mail service's SiteConfig.cfg (stack config `mailhost:siteConfig`). */
export interface SiteConfigSettings {
  /** Absolute Windows path of SiteConfig.cfg on the host. Defaults to `C:\ProgramData\MailFrontEnd\SiteConfig.cfg`. */
  readonly path?: string;
  /**
   * `MailboxCacheTTL` written to SiteConfig.cfg, seconds; at or above the effective floor (the
   * larger of `minimumMailboxCacheTtl` and the capacity model's minimum). Required.
   * Range: {@link MAILBOX_CACHE_TTL}.
   */
  readonly mailboxCacheTtl: number;
  /**
   * Configured `MailboxCacheTTL` floor, seconds.
   * Range: {@link MAILBOX_CACHE_TTL}.
   * Defaults to {@link DEFAULTS}.minimumMailboxCacheTtl.
   */
  readonly minimumMailboxCacheTtl?: number;
  /** INI settings `{ <section>: { <key>: value } }` overriding or adding to the template. Defaults to none. */
  readonly settings?: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
}

/** Planned load on one host, for the capacity model (stack config `mailhost:capacity`). */
export interface CapacitySettings {
  /** S: concurrently active mailbox sessions per host. Required. Range: {@link ACTIVE_SESSIONS_PER_HOST}. */
  readonly activeSessionsPerHost: number;
  /** B: distinct back-end IMAP endpoints (IP:port). Required. Range: {@link BACKEND_ENDPOINTS}. */
  readonly backendEndpoints: number;
  /**
   * u: planned utilisation of the port space, above 0 and at most {@link UTILIZATION}.max.
   * Defaults to {@link DEFAULTS}.utilization.
   */
  readonly utilization?: number;
}

/** The mail hosts (stack config `mailhost:fleet`; every key is described in docs/CONFIGURATION.md). */
export type FleetSettings = StackConfigInput["fleet"];
/** The subnet's explicit outbound path (stack config `mailhost:egress`). */
export type EgressSettings = NonNullable<StackConfigInput["egress"]>;
/** Azure Monitor for port exhaustion (stack config `mailhost:monitoring`). */
export type MonitoringSettings = NonNullable<StackConfigInput["monitoring"]>;

// The hand-written settings above are exactly the schema's: a key added to the schema fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? ([keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false) : false) : false;
const sameTcp: Same<TcpSettings, DeepMutableless<StackConfigInput["tcp"]>> = true;
const sameSiteConfig: Same<SiteConfigSettings, DeepMutableless<StackConfigInput["siteConfig"]>> = true;
const sameCapacity: Same<CapacitySettings, DeepMutableless<StackConfigInput["capacity"]>> = true;
void sameTcp; void sameSiteConfig; void sameCapacity;
type DeepMutableless<T> = T extends (infer U)[] ? readonly DeepMutableless<U>[] : T extends object ? { readonly [K in keyof T]: DeepMutableless<T[K]> } : T;

/** The raw stack config a set of settings stands for. */
export interface SettingsInput {
  readonly fleet: FleetSettings;
  readonly tcp: TcpSettings;
  readonly siteConfig: SiteConfigSettings;
  readonly capacity: CapacitySettings;
  readonly egress?: EgressSettings;
  readonly monitoring?: MonitoringSettings;
}

/** Secret inputs of a component, checked when they are plain values. */
export interface SecretInputs {
  readonly adminPassword?: pulumi.Input<string>;
  readonly alertWebhookUrl?: pulumi.Input<string>;
}

/** The keys of {@link SettingsInput}: the stack config's keys but the secrets. */
const SETTING_KEYS = ["fleet", "tcp", "siteConfig", "capacity", "egress", "monitoring"] as const satisfies readonly (keyof SettingsInput)[];

/**
 * Validates settings exactly as `Pulumi.<stack>.yaml` is validated (schema, cross-field rules,
 * capacity and SiteConfig rules) and plans the fleet. Throws one `pulumi.ResourceError` naming the
 * component and listing every problem (the messages of config validation) before anything exists.
 */
export function planSettings(typeToken: string, name: string, environment: string, input: SettingsInput, options: PlanOptions, opts?: pulumi.ResourceOptions, secrets: SecretInputs = {}): FleetPlan {
  const heading = `${typeToken} "${name}" has invalid settings`;
  try {
    // Secrets given as plain text are checked like the stack's (never shown); outputs cannot be.
    const secretIssues = [
      ...("adminPassword" in secrets && typeof secrets.adminPassword === "string" ? adminPasswordIssues(secrets.adminPassword) : []),
      ...(typeof secrets.alertWebhookUrl === "string" ? alertWebhookUrlIssues(secrets.alertWebhookUrl) : []),
    ];
    if (secretIssues.length > 0) throw new ConfigValidationError(secretIssues, heading);
    const raw: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) if (input[key] !== undefined) raw[key] = structuredClone(input[key]);
    const parsed = parseStackConfig(raw);
    if (!parsed.ok) throw new ConfigValidationError(parsed.issues, heading);
    return planFleet(environment, parsed.config, loadSiteConfigTemplate(), options);
  } catch (err) {
    if (err instanceof ConfigValidationError) throw new pulumi.ResourceError(new ConfigValidationError(err.issues, heading).message, opts?.parent, true);
    throw err;
  }
}

/** Resolved settings as plain input (what `planSettings` took), for a plan built elsewhere. */
export function settingsOf(config: MailhostConfig): SettingsInput {
  return structuredClone(config) as unknown as SettingsInput;
}
