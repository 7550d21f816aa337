/**
 * The desired state of a stack, computed from its validated config: host names and zones, the
 * tuning every host gets, the rendered SiteConfig.cfg, and the capacity assessment.
 *
 * The Pulumi program, `mailhost plan` and the drift check all use this one function, so a rule or
 * default is never computed twice.
 */
import { createHash } from "node:crypto";
import { type GuestFile, type GuestManifest, manifestSha256 } from "./guestContent";
import {
  type AutoReusePortRange,
  type CapacityAssessment,
  type CapacityPool,
  type Load,
  assessCapacity,
  capacityModelText,
  capacityPool,
  effectiveTtlFloor,
  minimumTtlForLoad,
} from "./capacity";
import { type MailhostConfig, type TuningMechanism, configKeyPath } from "./config";
import { type EgressPlan, canonicalZones, egressNames, planEgress } from "./egress";
import { toBase64Url } from "./guestEncoding";
import { type ConfigIssue, ConfigValidationError } from "./issues";
import { WINDOWS_COMPUTER_NAME_MAX_LENGTH } from "./limits";
import { type MonitoringPlan, planMonitoring } from "./monitoring";
import { portUsageThreshold } from "./portUsage";
import { checkMailboxCacheTtl, checkSiteConfigSettings, renderSiteConfig } from "./siteconfig";

/**
 * Names under which values reach the guest scripts, the same for every mechanism (DSC
 * configuration arguments, run-command parameters, remediation). Policies and drift checks look
 * for exactly these names. The numbers travel as plain decimal digits; the SiteConfig.cfg
 * path and text travel as base64url of their UTF-8 bytes (see `domain/guestEncoding.ts`), because
 * a Run Command parameter passes a Windows command line that would split or eat them.
 */
export const TUNING_PARAMETER_NAMES = [
  "MaxUserPort",
  "TcpTimedWaitDelay",
  "DynamicPortRangeStartPort",
  "DynamicPortRangeNumberOfPorts",
  "SiteConfigPathBase64Url",
  "SiteConfigContentBase64Url",
  "AutoReusePortRangeStartPort",
  "AutoReusePortRangeNumberOfPorts",
] as const;
export type TuningParameterName = (typeof TUNING_PARAMETER_NAMES)[number];

/**
 * The auto-reuse port range's two parameters. They travel only when `tcp.autoReusePortRange` is
 * set; without them the guest leaves the host's auto-reuse range as it is.
 */
export const AUTO_REUSE_PARAMETER_NAMES = ["AutoReusePortRangeStartPort", "AutoReusePortRangeNumberOfPorts"] as const satisfies readonly TuningParameterName[];

/** Parameter carrying the absolute SiteConfig.cfg path, base64url of its UTF-8 bytes. */
export const SITE_CONFIG_PATH_PARAMETER = "SiteConfigPathBase64Url" satisfies TuningParameterName;
/** Parameter carrying the rendered SiteConfig.cfg (CRLF), base64url of its UTF-8 bytes. */
export const SITE_CONFIG_CONTENT_PARAMETER = "SiteConfigContentBase64Url" satisfies TuningParameterName;

/**
 * Argument that carries the SHA-256 (lower-case hex) of the decoded SiteConfig.cfg bytes: the
 * guest writes the file only when the bytes that arrived hash to it, so a value damaged on the
 * way never replaces a good file.
 */
export const SITE_CONFIG_SHA256_PARAMETER = "SiteConfigSha256";

/** Run-command parameter that carries the content hash so that a change re-runs the command. */
export const CONTENT_HASH_PARAMETER = "ContentHash";

/** Tag every mail host VM carries, naming its stack; drift detection finds hosts by it. */
export const STACK_TAG = "mailhost-stack";
/** Tag naming the environment (the stack name). */
export const ENVIRONMENT_TAG = "environment";
/** Tag naming the module. */
export const MANAGED_BY_TAG = "managed-by";

/** What every host of a stack is tuned to. */
export interface TuningPlan {
  readonly mechanism: TuningMechanism;
  readonly maxUserPort: number;
  readonly tcpTimedWaitDelay: number;
  readonly dynamicPortRangeStart: number;
  readonly dynamicPortRangeCount: number;
  /**
   * The auto-reuse port range every host is set to; undefined when the stack sets none (the hosts'
   * setting is then left as it is, and the capacity model counts one pool per host).
   */
  readonly autoReusePortRange?: AutoReusePortRange;
  readonly siteConfigPath: string;
  /** Rendered SiteConfig.cfg text. */
  readonly siteConfigContent: string;
  /** SHA-256 (hex, lower case) of the UTF-8 bytes of {@link siteConfigContent}. */
  readonly siteConfigSha256: string;
  readonly mailboxCacheTtl: number;
  /** Configured floor (`minimumMailboxCacheTtl`). */
  readonly configuredTtlFloor: number;
  /** Minimum TTL the capacity model derives from the load. */
  readonly capacityMinimumTtl: number;
  /** max(configured floor, capacity minimum). */
  readonly effectiveTtlFloor: number;
  /** The pool the capacity model counts: the host's dynamic range, or the auto-reuse range per back end. */
  readonly capacityPool: CapacityPool;
  /** Which capacity model applies to every host of the stack, and why, in one sentence. */
  readonly capacityModel: string;
}

/** One mail host. */
export interface HostPlan {
  /** 1-based position in the fleet. */
  readonly index: number;
  /** Azure VM name (CAF style): `vm-mail-<stack>-001`. */
  readonly name: string;
  /** Windows computer name (at most WINDOWS_COMPUTER_NAME_MAX_LENGTH characters). */
  readonly computerName: string;
  /**
   * Availability zone a host created now gets, or undefined when the stack pins none. An existing
   * VM keeps the zone it was created in (Azure cannot move it; the component pins it): read the
   * real zone from Azure (`mailhost reboot` does) rather than this.
   */
  readonly zone?: string;
}

/** Names of the shared resources of a stack (CAF abbreviations). */
export interface SiteNames {
  readonly resourceGroup: string;
  readonly virtualNetwork: string;
  readonly subnet: string;
  readonly networkSecurityGroup: string;
  /** Storage account for the DSC configuration archive: 3–24 lower-case letters and digits. */
  readonly storageAccount: string;
  readonly container: string;
  /** NAT gateway of the stack's egress (CAF `ng`), used when `mailhost:egress.kind` is natGateway. */
  readonly natGateway: string;
  /** The NAT gateway's public IP (CAF `pip`). */
  readonly natGatewayPublicIp: string;
  /** Private blob container of the Machine Configuration package (same storage account). */
  readonly machineConfigurationContainer: string;
  /** User-assigned identity with which the hosts read the Machine Configuration package. */
  readonly machineConfigurationIdentity: string;
}

/** Desired state of a stack. */
export interface FleetPlan {
  readonly stack: string;
  readonly config: MailhostConfig;
  readonly names: SiteNames;
  readonly tags: Readonly<Record<string, string>>;
  readonly hosts: readonly HostPlan[];
  readonly tuning: TuningPlan;
  readonly capacity: CapacityAssessment;
  /** The subnet's explicit outbound path (`mailhost:egress`). */
  readonly egress: EgressPlan;
  /** Azure Monitor: agent, data collection rule, alert rules (`enabled` false: none of it). */
  readonly monitoring: MonitoringPlan;
}

/** The load of the capacity model, from config. */
export function loadOf(config: MailhostConfig): Load {
  return {
    activeSessions: config.capacity.activeSessionsPerHost,
    backendEndpoints: config.capacity.backendEndpoints,
    utilization: config.capacity.utilization,
  };
}

/** Port space of the tuning in config. */
export function portSpaceOf(config: MailhostConfig) {
  return {
    maxUserPort: config.tcp.maxUserPort,
    dynamicPortRangeStart: config.tcp.dynamicPortRange.start,
    dynamicPortRangeCount: config.tcp.dynamicPortRange.count,
  };
}

/** Lower-case letters and digits of a stack name, for names with strict character sets. */
function compact(stack: string): string {
  return stack.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Stack name as used inside resource names: lower case, `-` for anything else. */
export function slug(stack: string): string {
  return (
    stack
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "") || "stack"
  );
}

/** SHA-256 hex of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function siteNames(stack: string): SiteNames {
  const s = slug(stack);
  return {
    resourceGroup: `rg-mailhost-${s}`,
    virtualNetwork: `vnet-mailhost-${s}`,
    subnet: "snet-mailhost",
    networkSecurityGroup: `nsg-mailhost-${s}`,
    // Globally unique: a short hash of the stack name keeps it stable and distinct.
    storageAccount: `stmailhost${compact(stack).slice(0, 6)}${sha256Hex(stack).slice(0, 8)}`,
    container: "dsc",
    ...egressNames(s),
    machineConfigurationContainer: "machine-configuration",
    machineConfigurationIdentity: `id-mailhost-${s}-machine-configuration`,
  };
}

/** Common prefix of the VM names of a stack's hosts: `vm-mail-<stack>-`. */
export function hostNamePrefix(stack: string): string {
  return `vm-mail-${slug(stack)}-`;
}

/**
 * Digits of a host's number: at least 3 (`001`), more only for hosts past 999. Never a function of
 * `hostCount`: raising it must not rename (and so replace) a host that exists.
 */
export const HOST_NUMBER_MIN_DIGITS = 3;

/**
 * The hosts of a stack. Every field is fixed by Azure when the VM is created, so each is derived
 * only from what a routine edit leaves alone:
 * - `name` and `computerName` from the host's 1-based index (`001`, ..., `999`, `1000`), never from
 *   `hostCount`;
 * - `zone` round-robin over the zones in canonical order (`canonicalZones`): reordering `zones`
 *   changes no host's zone. Adding or removing a zone changes the zone this returns for some
 *   existing hosts; the VM pins the zone it was created in (`ignoreChanges: ["zones"]`), so this is
 *   the zone of a host created now, and whatever relies on a host's zone (reboot waves, the stack
 *   output) reads the VM's real zone from Azure.
 */
export function hostPlans(stack: string, hostCount: number, zones: readonly string[]): HostPlan[] {
  const ordered = canonicalZones(zones);
  return Array.from({ length: hostCount }, (_, i) => {
    const number = String(i + 1).padStart(HOST_NUMBER_MIN_DIGITS, "0");
    return {
      index: i + 1,
      name: `${hostNamePrefix(stack)}${number}`,
      computerName: `mail${compact(stack).slice(0, WINDOWS_COMPUTER_NAME_MAX_LENGTH - "mail".length - number.length)}${number}`,
      zone: ordered.length > 0 ? ordered[i % ordered.length] : undefined,
    };
  });
}

/** What a plan needs to know beyond the config. */
export interface PlanOptions {
  /** The secret alert webhook URL is set (its value never enters a plan). Defaults to false. */
  readonly webhookReceiver?: boolean;
}

/**
 * Computes the stack's desired state. Throws {@link ConfigValidationError} listing every
 * problem when the SiteConfig settings are unsafe or `MailboxCacheTTL` is under the host's floor.
 */
export function planFleet(stack: string, config: MailhostConfig, siteConfigTemplate: string, options: PlanOptions = {}): FleetPlan {
  const load = loadOf(config);
  const space = portSpaceOf(config);
  const autoReuse = config.tcp.autoReusePortRange;
  const pool = capacityPool(space, autoReuse);
  const capacityMinimumTtl = minimumTtlForLoad(load, pool, config.tcp.tcpTimedWaitDelay);
  const floor = effectiveTtlFloor(config.siteConfig.minimumMailboxCacheTtl, load, pool, config.tcp.tcpTimedWaitDelay);

  const issues: ConfigIssue[] = [...checkSiteConfigSettings(config.siteConfig.settings, configKeyPath(["siteConfig"]))];
  const ttlIssues = checkMailboxCacheTtl(config.siteConfig.mailboxCacheTtl, floor, configKeyPath(["siteConfig"]));
  if (ttlIssues.length > 0 && capacityMinimumTtl > config.siteConfig.minimumMailboxCacheTtl) {
    // Say why the floor is higher than configured: the load needs it.
    const path = configKeyPath(["siteConfig", "mailboxCacheTtl"]);
    issues.push({
      path,
      message:
        pool.model === "hostPool"
          ? `${ttlIssues[0].message} The floor comes from the capacity model (one port pool per host, no auto-reuse port range): ${load.activeSessions} sessions with TcpTimedWaitDelay ${config.tcp.tcpTimedWaitDelay} s and ${pool.ports} ports at utilisation ${load.utilization} need MailboxCacheTTL >= ${capacityMinimumTtl} s (S * T / (u * P); the ${load.backendEndpoints} back-end endpoint(s) share the pool).`
          : `${ttlIssues[0].message} The floor comes from the capacity model (auto-reuse port range of ${pool.ports} ports per back end): ${load.activeSessions} sessions over ${load.backendEndpoints} endpoint(s) with TcpTimedWaitDelay ${config.tcp.tcpTimedWaitDelay} s at utilisation ${load.utilization} need MailboxCacheTTL >= ${capacityMinimumTtl} s (S * T / (u * R * B)).`,
    });
  } else {
    issues.push(...ttlIssues);
  }
  if (issues.length > 0) throw new ConfigValidationError(issues);

  const siteConfigContent = renderSiteConfig({
    template: siteConfigTemplate,
    settings: config.siteConfig.settings,
    mailboxCacheTtl: config.siteConfig.mailboxCacheTtl,
    ttlFloor: floor,
    configPath: configKeyPath(["siteConfig"]),
  });

  const names = siteNames(stack);
  const egress = planEgress(config.egress, names, config.fleet.zones);
  const hosts = hostPlans(stack, config.fleet.hostCount, config.fleet.zones);
  return {
    stack,
    config,
    names,
    tags: { ...config.fleet.tags, [ENVIRONMENT_TAG]: stack, [STACK_TAG]: stack, [MANAGED_BY_TAG]: "mailhost-iac" },
    hosts,
    tuning: {
      mechanism: config.tcp.tuning,
      maxUserPort: config.tcp.maxUserPort,
      tcpTimedWaitDelay: config.tcp.tcpTimedWaitDelay,
      dynamicPortRangeStart: config.tcp.dynamicPortRange.start,
      dynamicPortRangeCount: config.tcp.dynamicPortRange.count,
      ...(autoReuse === undefined ? {} : { autoReusePortRange: { start: autoReuse.start, count: autoReuse.count } }),
      siteConfigPath: config.siteConfig.path,
      siteConfigContent,
      siteConfigSha256: sha256Hex(siteConfigContent),
      mailboxCacheTtl: config.siteConfig.mailboxCacheTtl,
      configuredTtlFloor: config.siteConfig.minimumMailboxCacheTtl,
      capacityMinimumTtl,
      effectiveTtlFloor: floor,
      capacityPool: pool,
      capacityModel: capacityModelText(pool, load),
    },
    capacity: assessCapacity(space, config.tcp.tcpTimedWaitDelay, config.siteConfig.mailboxCacheTtl, load, autoReuse),
    egress,
    monitoring: planMonitoring(
      slug(stack),
      names.resourceGroup,
      hostNamePrefix(stack),
      config.monitoring,
      options.webhookReceiver ?? false,
      hosts.map((h) => h.name),
      {
        natGatewayName: egress.kind === "natGateway" ? egress.natGatewayName : undefined,
        portUsage: portUsageThreshold(space, config.tcp.tcpTimedWaitDelay, config.siteConfig.mailboxCacheTtl, load, autoReuse),
      },
    ),
  };
}

/** Every argument the tuning passes to the guest, by name. */
export type TuningArguments = Record<
  Exclude<TuningParameterName, (typeof AUTO_REUSE_PARAMETER_NAMES)[number]> | typeof SITE_CONFIG_SHA256_PARAMETER,
  number | string
> &
  Partial<Record<(typeof AUTO_REUSE_PARAMETER_NAMES)[number], number>>;

/**
 * The values as they reach the guest scripts, under their exact names, for every mechanism: the
 * numbers as numbers (DSC declares them `[int]`; Run Command sends their decimal digits; the
 * auto-reuse port range's two only when the stack sets it),
 * the SiteConfig.cfg path and text as base64url of their UTF-8 bytes, and the lower-case hex
 * SHA-256 of the text. Nothing here needs quoting on a Windows command line.
 */
export function tuningArguments(tuning: TuningPlan): TuningArguments {
  return {
    MaxUserPort: tuning.maxUserPort,
    TcpTimedWaitDelay: tuning.tcpTimedWaitDelay,
    DynamicPortRangeStartPort: tuning.dynamicPortRangeStart,
    DynamicPortRangeNumberOfPorts: tuning.dynamicPortRangeCount,
    ...(tuning.autoReusePortRange === undefined
      ? {}
      : {
          AutoReusePortRangeStartPort: tuning.autoReusePortRange.start,
          AutoReusePortRangeNumberOfPorts: tuning.autoReusePortRange.count,
        }),
    [SITE_CONFIG_PATH_PARAMETER]: toBase64Url(tuning.siteConfigPath),
    [SITE_CONFIG_CONTENT_PARAMETER]: toBase64Url(tuning.siteConfigContent),
    [SITE_CONFIG_SHA256_PARAMETER]: tuning.siteConfigSha256,
  };
}

/** A Run Command parameter as Azure takes it. */
export interface RunCommandParameter {
  readonly name: string;
  readonly value: string;
}

/** Name the run-command script has in its content manifest (Run Command sends one script text). */
export const RUN_COMMAND_SCRIPT_NAME = "Set-MailhostTuning.ps1";

/**
 * What the managed run command sends to its hosts: the one assembled script text (the entry file
 * with only the module functions it uses, and the limits) and the tuning arguments.
 */
export function runCommandManifest(tuning: TuningPlan, scriptText: string): GuestManifest {
  return { files: [{ path: RUN_COMMAND_SCRIPT_NAME, bytes: Buffer.from(scriptText, "utf8") }], values: tuningArguments(tuning) };
}

/**
 * What the DSC extension sends to its hosts: every file of the configuration archive (the
 * configuration script and the whole module folder) and the configuration arguments.
 */
export function dscManifest(tuning: TuningPlan, archiveFiles: readonly GuestFile[]): GuestManifest {
  return { files: archiveFiles, values: tuningArguments(tuning) };
}

/**
 * The parameters of the tuning script on Run Command (the managed run command and the
 * remediation of `mailhost drift`): {@link tuningArguments} as strings plus `ContentHash`, the
 * hash of the run command's content manifest ({@link runCommandManifest}: script text and
 * arguments) that makes Azure re-run a managed run command when anything it sends changes.
 */
export function runCommandTuningParameters(tuning: TuningPlan, scriptText: string): RunCommandParameter[] {
  const args = tuningArguments(tuning);
  return [
    ...Object.entries(args).map(([name, value]) => ({ name, value: String(value) })),
    { name: CONTENT_HASH_PARAMETER, value: manifestSha256(runCommandManifest(tuning, scriptText)) },
  ];
}

/** The parameters of the read-only collector: only the SiteConfig.cfg path, base64url-encoded. */
export function collectorParameters(tuning: TuningPlan): RunCommandParameter[] {
  return [{ name: SITE_CONFIG_PATH_PARAMETER, value: toBase64Url(tuning.siteConfigPath) }];
}
