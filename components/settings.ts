/**
 * The settings a user gives the components: the same shape and rules as the stack config
 * (`mailhost:fleet`, `mailhost:tcp`, `mailhost:siteConfig`, `mailhost:capacity`, `mailhost:egress`,
 * `mailhost:monitoring`), validated by the same code, so a component rejects a value with the
 * message a stack file would get (naming the setting by its stack-config key).
 *
 * The interfaces are written out (not derived from the JSON schema) so that Pulumi's schema
 * inference serves them to other languages (docs/LANGUAGES.md); test/unit/components/settings.test.ts
 * checks at compile time that each equals the type derived from the stack-config schema.
 *
 * Ranges and defaults in these comments are generated from `domain/limits.ts` (the entry point
 * `mailhost-iac/limits`) by `npm run docs`, each followed by the constant it comes from; a test
 * fails when one is stale. They read the same in the schema other languages see. The configuration
 * reference (docs/CONFIGURATION.md) lists them too, generated from the same constants.
 */
import * as pulumi from "@pulumi/pulumi";
import { type MailhostConfig, adminPasswordIssues, alertWebhookUrlIssues, parseStackConfig } from "../domain/config";
import { ConfigValidationError } from "../domain/issues";
import { type FleetPlan, type PlanOptions, planFleet } from "../domain/plan";
import { type AlertWindowMinutes, type CorrectionWindowMinutes } from "../domain/limits";
import { loadSiteConfigTemplate } from "../content/siteConfigTemplate";
import { issuesAtStackKeys, rejectedSettings } from "./stackSettings";

// ---- Enumerations: named so that other languages get enums (`as const` objects Pulumi's schema
// inference reads). TypeScript programs may keep writing the string or number itself.

/** How the tuning reaches the hosts. */
export const TuningMechanism = {
  /** The Azure DSC extension, with auto-correct (LCM `ApplyAndAutoCorrect`); Microsoft retires it on 31 March 2028. */
  Dsc: "dsc",
  /** A managed Run Command with the static tuning script; no auto-correct. */
  RunCommand: "runCommand",
  /** An Azure Machine Configuration assignment (`ApplyAndAutoCorrect`), the DSC extension's successor. */
  MachineConfiguration: "machineConfiguration",
} as const;
export type TuningMechanism = (typeof TuningMechanism)[keyof typeof TuningMechanism];

/** Windows Server Datacenter Azure Edition version of the hosts. */
export const WindowsVersion = {
  /** Windows Server 2022 Datacenter Azure Edition (every tuning mechanism). */
  WindowsServer2022: "2022",
  /** Windows Server 2025 Datacenter Azure Edition (runCommand or machineConfiguration tuning; the DSC extension does not list it). */
  WindowsServer2025: "2025",
} as const;
export type WindowsVersion = (typeof WindowsVersion)[keyof typeof WindowsVersion];

/** An Azure availability zone of the region. */
export const AvailabilityZone = {
  /** Zone 1. */
  Zone1: "1",
  /** Zone 2. */
  Zone2: "2",
  /** Zone 3. */
  Zone3: "3",
} as const;
export type AvailabilityZone = (typeof AvailabilityZone)[keyof typeof AvailabilityZone];

/** The subnet's outbound path. */
export const EgressKind = {
  /** A Standard NAT gateway with its own static public IP (outbound only), attached to the subnet. */
  NatGateway: "natGateway",
  /** Associate an existing route table (its default route leads to a firewall or NVA); no NAT gateway. */
  RouteTable: "routeTable",
} as const;
export type EgressKind = (typeof EgressKind)[keyof typeof EgressKind];

// The alert windows are limits: their enums live in domain/limits.ts with the values.
export { AlertWindowMinutes, CorrectionWindowMinutes } from "../domain/limits";

// ---- mailhost:fleet ----------------------------------------------------------------------------

/** The mail hosts, without the network keys: what `MailhostFleetInNetwork` takes as `fleet`. */
export interface HostSettings {
  /** Number of mail hosts. Required. Range: 1–1000 (hosts; `HOST_COUNT`). */
  readonly hostCount: number;
  /** Azure VM size, e.g. `Standard_D4s_v5` (Trusted Launch needs a Gen2-capable size). Required. */
  readonly vmSize: string;
  /**
   * Availability zones; hosts are spread over them round-robin in zone order (the order of the
   * list does not matter). A host keeps the zone it was created with. Defaults to none: no zone pinning.
   */
  readonly zones?: AvailabilityZone[];
  /** Local administrator name: 1–20 characters, not a name Azure reserves (admin, administrator, ...). Required. */
  readonly adminUsername: string;
  /** Extra Azure tags on every resource (the environment and stack tags are always added). Defaults to none. */
  readonly tags?: Record<string, string>;
  /**
   * Windows Server Datacenter Azure Edition version; 2025 only with runCommand or
   * machineConfiguration tuning. Azure cannot change it on an existing VM.
   * Defaults to `2022` (`TEXT_DEFAULTS.windowsVersion`).
   */
  readonly windowsVersion?: WindowsVersion;
}

/** The mail hosts and their network (stack config `mailhost:fleet`). */
export interface FleetSettings extends HostSettings {
  /** IPv4 CIDRs allowed to reach IMAP and IMAPS; nothing else is opened inbound. Required (may be empty). */
  readonly allowedImapCidrs: string[];
  /** Address space of the VNet and its mail-host subnet, an IPv4 CIDR. Defaults to `10.40.0.0/20` (`TEXT_DEFAULTS.addressPrefix`). */
  readonly addressPrefix?: string;
}

// ---- mailhost:tcp ------------------------------------------------------------------------------

/** The dynamic (ephemeral) port range, IPv4 and IPv6, TCP. */
export interface DynamicPortRangeSettings {
  /** First dynamic port. Required. Range: 1025–65281 (port number; `DYNAMIC_PORT_RANGE_START`). */
  readonly start: number;
  /** Number of dynamic ports; `start + count - 1` must equal `maxUserPort`. Required. Range: 255–64511 (ports; `DYNAMIC_PORT_RANGE_COUNT`). */
  readonly count: number;
}

/** The auto-reuse port range (`Set-NetTCPSetting -AutoReusePortRangeStartPort/-AutoReusePortRangeNumberOfPorts`). */
export interface AutoReusePortRangeSettings {
  /** First port of the range. Required. Range: 1025–65281 (port number; `AUTO_REUSE_PORT_RANGE_START`). */
  readonly start: number;
  /** Number of ports of the range. Required. Range: 255–60535 (ports; `AUTO_REUSE_PORT_RANGE_COUNT`). */
  readonly count: number;
}

/** The TCP values set inside a host, whatever the mechanism (what `EstateTuningPolicy` takes as `tcp`). */
export interface TcpValues {
  /**
   * Tcpip `MaxUserPort`, a port number; the dynamic port range ends here.
   * Range: 5000–65534 (port number; `MAX_USER_PORT`). Defaults to 65534 (`DEFAULTS.maxUserPort`).
   */
  readonly maxUserPort?: number;
  /**
   * Tcpip `TcpTimedWaitDelay`, seconds a closed connection stays in TIME_WAIT.
   * Range: 30–300 (seconds; `TCP_TIMED_WAIT_DELAY`). Defaults to 30 (`DEFAULTS.tcpTimedWaitDelay`).
   */
  readonly tcpTimedWaitDelay?: number;
  /**
   * Dynamic port range (IPv4 and IPv6, TCP); `start + count - 1` must equal `maxUserPort`.
   * Defaults to the ports from 10000 (`DEFAULTS.dynamicPortRangeStart`) up to `maxUserPort`.
   */
  readonly dynamicPortRange?: DynamicPortRangeSettings;
  /**
   * Auto-reuse port range, strictly inside the dynamic port range; takes effect after a reboot.
   * Defaults to unset: the hosts' setting is left as it is and the capacity model counts one port
   * pool per host.
   */
  readonly autoReusePortRange?: AutoReusePortRangeSettings;
}

/** TCP ephemeral-port tuning applied inside every host (stack config `mailhost:tcp`). */
export interface TcpSettings extends TcpValues {
  /** How the values reach the hosts: dsc, runCommand or machineConfiguration. Required. */
  readonly tuning: TuningMechanism;
}

// ---- mailhost:siteConfig -----------------------------------------------------------------------

/** The mail service's SiteConfig.cfg (stack config `mailhost:siteConfig`). */
export interface SiteConfigSettings {
  /** Absolute Windows path of SiteConfig.cfg on the host, ending in `.cfg`, not on D:. Defaults to `C:\ProgramData\MailFrontEnd\SiteConfig.cfg` (`TEXT_DEFAULTS.siteConfigPath`). */
  readonly path?: string;
  /**
   * `MailboxCacheTTL` written to SiteConfig.cfg, seconds; at or above the effective floor (the
   * larger of `minimumMailboxCacheTtl` and the capacity model's minimum). Required.
   * Range: 60–86400 (seconds; `MAILBOX_CACHE_TTL`).
   */
  readonly mailboxCacheTtl: number;
  /**
   * Configured `MailboxCacheTTL` floor, seconds.
   * Range: 60–86400 (seconds; `MAILBOX_CACHE_TTL`). Defaults to 300 (`DEFAULTS.minimumMailboxCacheTtl`).
   */
  readonly minimumMailboxCacheTtl?: number;
  /**
   * INI settings `{ <section>: { <key>: value } }` overriding or adding to the template; a value is
   * a string, a number or a boolean (checked when the component is constructed). Defaults to none.
   */
  // `any`: Pulumi's schema inference takes no union of string, number and boolean (docs/LANGUAGES.md).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema's Any, see above
  readonly settings?: Record<string, Record<string, any>>;
}

// ---- mailhost:capacity -------------------------------------------------------------------------

/** Planned load on one host, for the capacity model (stack config `mailhost:capacity`). */
export interface CapacitySettings {
  /** S: concurrently active mailbox sessions per host. Required. Range: 0–10000000 (sessions; `ACTIVE_SESSIONS_PER_HOST`). */
  readonly activeSessionsPerHost: number;
  /** B: distinct back-end IMAP endpoints (IP:port). Required. Range: 1–10000 (endpoints; `BACKEND_ENDPOINTS`). */
  readonly backendEndpoints: number;
  /**
   * u: planned utilisation of the port space.
   * Range: 0–1 (fraction of the port space, 0 excluded; `UTILIZATION`). Defaults to 0.8 (`DEFAULTS.utilization`).
   */
  readonly utilization?: number;
}

// ---- mailhost:egress ---------------------------------------------------------------------------

/** The subnet's explicit outbound path (stack config `mailhost:egress`). */
export interface EgressSettings {
  /** natGateway or routeTable. Defaults to `natGateway` (`DEFAULT_EGRESS_KIND`). */
  readonly kind?: EgressKind;
  /**
   * ARM id of an existing route table, `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>`;
   * required with kind routeTable, refused with natGateway.
   */
  readonly routeTableId?: string;
}

// ---- mailhost:monitoring -----------------------------------------------------------------------

/** Thresholds of the alert rules. */
export interface AlertThresholds {
  /** Window of the Tcpip 4227, connection-failure and port-usage rules, minutes. Defaults to 15 (`MONITORING_DEFAULTS.windowMinutes`). */
  readonly windowMinutes?: AlertWindowMinutes;
  /**
   * Severity 2 fires when a host logs more Tcpip 4227 events (local port still in TIME_WAIT) than this in one window.
   * Range: 0–100000 (events per window; `TIME_WAIT_COLLISION_THRESHOLD`). Defaults to 10 (`MONITORING_DEFAULTS.timeWaitCollisionThreshold`).
   */
  readonly timeWaitCollisionThreshold?: number;
  /**
   * Severity 3 fires when a host's TCPv4 + TCPv6 Connection Failures counters rise by more than this in one window.
   * Range: 1–10000000 (failed connections per window; `CONNECTION_FAILURE_THRESHOLD`). Defaults to 500 (`MONITORING_DEFAULTS.connectionFailureThreshold`).
   */
  readonly connectionFailureThreshold?: number;
  /**
   * Severity 2 fires when a host has sent no Heartbeat for this many minutes.
   * Range: 10–720 (minutes; `HEARTBEAT_SILENCE_MINUTES`). Defaults to 15 (`MONITORING_DEFAULTS.heartbeatSilenceMinutes`).
   */
  readonly heartbeatSilenceMinutes?: number;
  /**
   * Severity 2 fires when the tuning corrected one setting of a host more often than this in one correction window.
   * Range: 1–1000 (corrections of one setting per window; `CORRECTION_THRESHOLD`). Defaults to 2 (`MONITORING_DEFAULTS.correctionThreshold`).
   */
  readonly correctionThreshold?: number;
  /** Window of the correction rule, minutes. Defaults to 360 (`MONITORING_DEFAULTS.correctionWindowMinutes`). */
  readonly correctionWindowMinutes?: CorrectionWindowMinutes;
  /**
   * Severity 1 fires when the NAT gateway counts more failed SNAT connections than this in 5 minutes.
   * Range: 0–1000000 (failed SNAT connections per window; `NAT_SNAT_FAILED_CONNECTION_THRESHOLD`). Defaults to 0 (`MONITORING_DEFAULTS.natSnatFailedConnectionThreshold`).
   */
  readonly natSnatFailedConnectionThreshold?: number;
  /**
   * Severity 2 fires when the NAT gateway drops more packets than this in 5 minutes.
   * Range: 0–100000000 (dropped packets per window; `NAT_PACKET_DROP_THRESHOLD`). Defaults to 5 (`MONITORING_DEFAULTS.natPacketDropThreshold`).
   */
  readonly natPacketDropThreshold?: number;
}

/** Sampling, receivers and alert thresholds: what `PortExhaustionMonitoring` takes as `settings`. */
export interface MonitoringAlertSettings {
  /**
   * Seconds between two samples of the TCPv4/TCPv6 counters; at most half the alert window.
   * Range: 10–300 (seconds; `PERF_SAMPLING_INTERVAL`). Defaults to 60 (`MONITORING_DEFAULTS.samplingIntervalSeconds`).
   */
  readonly samplingIntervalSeconds?: number;
  /** E-mail addresses of the action group, at most 1000 (`ACTION_GROUP_EMAIL_RECEIVERS_MAX`). A webhook is the secret `alertWebhookUrl`. Defaults to none. */
  readonly emailReceivers?: string[];
  /** Thresholds of the alert rules. Defaults to the default of each threshold. */
  readonly alerts?: AlertThresholds;
}

/** Azure Monitor for port exhaustion (stack config `mailhost:monitoring`). */
export interface MonitoringSettings extends MonitoringAlertSettings {
  /** Deploy the Azure Monitor Agent, the data collection rule, the alert rules and the action group. Defaults to true. */
  readonly enabled?: boolean;
  /**
   * ARM id of an existing Log Analytics workspace, `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>`.
   * Defaults to none: a workspace is created in the fleet's resource group. Requires `workspaceLocation`.
   */
  readonly workspaceResourceId?: string;
  /**
   * Azure region of the workspace named by `workspaceResourceId` (an ARM id carries none), e.g.
   * `westeurope`. Required with `workspaceResourceId`, refused without it: the data collection
   * rule is created there, since Azure Monitor requires a rule in its Log Analytics destination's region.
   */
  readonly workspaceLocation?: string;
  /**
   * Data retention of the workspace created (ignored with `workspaceResourceId`), days.
   * Range: 30–730 (days; `LOG_ANALYTICS_RETENTION_DAYS`). Defaults to 30 (`MONITORING_DEFAULTS.retentionInDays`).
   */
  readonly retentionInDays?: number;
}

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
export function planSettings(
  typeToken: string,
  name: string,
  environment: string,
  input: SettingsInput,
  options: PlanOptions,
  opts?: pulumi.ResourceOptions,
  secrets: SecretInputs = {},
): FleetPlan {
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
    if (err instanceof ConfigValidationError) throw rejectedSettings(typeToken, name, heading, issuesAtStackKeys(err.issues, input), opts);
    throw err;
  }
}

/** Resolved settings as plain input (what `planSettings` took), for a plan built elsewhere. */
export function settingsOf(config: MailhostConfig): SettingsInput {
  return structuredClone(config) as unknown as SettingsInput;
}
