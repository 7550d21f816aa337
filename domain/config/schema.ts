/**
 * The JSON Schema of the `mailhost:*` stack config, and the TypeScript types derived from it. Every
 * range is read from the limits module; every literal default is written here once (`default:`),
 * and ajv fills it in (`useDefaults`). Defaults derived from other values are in `defaults.ts`.
 */
import type { FromSchema } from "json-schema-to-ts";
import { DEFAULT_EGRESS_KIND, EGRESS_KINDS, ROUTE_TABLE_ID_PATTERN } from "../egress";
import {
  ACTIVE_SESSIONS_PER_HOST,
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  BACKEND_ENDPOINTS,
  DEFAULTS,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  HOST_COUNT,
  IMAP_PORTS,
  MAILBOX_CACHE_TTL,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  TCP_TIMED_WAIT_DELAY,
  UTILIZATION,
  type IntRange,
  ACTION_GROUP_EMAIL_RECEIVERS_MAX,
  ALERT_WINDOW_MINUTES,
  CONNECTION_FAILURE_THRESHOLD,
  HEARTBEAT_SILENCE_MINUTES,
  CORRECTION_THRESHOLD,
  CORRECTION_WINDOW_MINUTES,
  NAT_PACKET_DROP_THRESHOLD,
  NAT_SNAT_FAILED_CONNECTION_THRESHOLD,
  LOG_ANALYTICS_RETENTION_DAYS,
  MONITORING_DEFAULTS,
  PERF_SAMPLING_INTERVAL,
  TIME_WAIT_COLLISION_THRESHOLD,
} from "../limits";
import { KEY_NAME_PATTERN, SECTION_NAME_PATTERN } from "../siteconfig";
import { ALERT_WEBHOOK_URL_KEY, CONFIG_NAMESPACE } from "./keys";
import { AZURE_REGION_PATTERN, CIDR_V4_PATTERN, EMAIL_PATTERN, VM_SIZE_PATTERN, WINDOWS_CFG_PATH_PATTERN, WORKSPACE_RESOURCE_ID_PATTERN } from "./patterns";

/**
 * Tuning mechanisms: `dsc` (Azure DSC extension, retires 31 March 2028), `runCommand` (managed Run
 * Command) and `machineConfiguration` (Azure Machine Configuration, the DSC extension's successor).
 */
export const TUNING_MECHANISMS = ["dsc", "runCommand", "machineConfiguration"] as const;
export type TuningMechanism = (typeof TUNING_MECHANISMS)[number];

/** Windows Server versions; the DSC extension's documented OS list ends at 2022. */
export const WINDOWS_VERSIONS = ["2022", "2025"] as const;
export type WindowsVersion = (typeof WINDOWS_VERSIONS)[number];
/** Versions the DSC extension supports. */
export const DSC_WINDOWS_VERSIONS: readonly WindowsVersion[] = ["2022"];

/** Fixed defaults that are not numeric limits. */
export const TEXT_DEFAULTS = {
  windowsVersion: "2022",
  addressPrefix: "10.40.0.0/20",
  siteConfigPath: "C:\\ProgramData\\MailFrontEnd\\SiteConfig.cfg",
} as const;

function integer<const R extends IntRange>(range: R, description: string) {
  return { type: "integer", minimum: range.min, maximum: range.max, description, "x-unit": range.unit } as const;
}

function integerWithDefault<const R extends IntRange, const D extends number>(range: R, description: string, defaultValue: D) {
  return { ...integer(range, description), default: defaultValue } as const;
}

// ---- mailhost:monitoring (Azure Monitor: agent, data collection rule, alert rules) ----------

const monitoringSchema = {
  type: "object",
  description: "Azure Monitor for port exhaustion: agent and data collection rule on every host, log search alert rules per host, an action group.",
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: "boolean", default: true, description: "Deploy the Azure Monitor Agent, the data collection rule, the alert rules and the action group." },
    workspaceResourceId: {
      type: "string",
      pattern: WORKSPACE_RESOURCE_ID_PATTERN,
      description:
        "ARM id of an existing Log Analytics workspace, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>. Unset: the stack creates one in its resource group. Requires workspaceLocation.",
    },
    workspaceLocation: {
      type: "string",
      pattern: AZURE_REGION_PATTERN,
      description:
        "Azure region of the workspace named by workspaceResourceId (an ARM id carries no region), as a region name such as westeurope. Required with workspaceResourceId, refused without it. The data collection rule is created there: Azure Monitor requires a rule in the same region as its Log Analytics destination.",
    },
    retentionInDays: integerWithDefault(
      LOG_ANALYTICS_RETENTION_DAYS,
      "Data retention of the workspace the stack creates (ignored with workspaceResourceId).",
      MONITORING_DEFAULTS.retentionInDays,
    ),
    samplingIntervalSeconds: integerWithDefault(
      PERF_SAMPLING_INTERVAL,
      "Seconds between two samples of the TCPv4/TCPv6 counters; at most half the alert window.",
      MONITORING_DEFAULTS.samplingIntervalSeconds,
    ),
    emailReceivers: {
      type: "array",
      items: { type: "string", pattern: EMAIL_PATTERN, description: "an e-mail address such as mail-ops@example.com" },
      uniqueItems: true,
      maxItems: ACTION_GROUP_EMAIL_RECEIVERS_MAX,
      default: [],
      description: `E-mail addresses of the action group. A webhook goes in the secret key ${CONFIG_NAMESPACE}:${ALERT_WEBHOOK_URL_KEY}.`,
    },
    alerts: {
      type: "object",
      description: "Thresholds of the alert rules.",
      additionalProperties: false,
      default: {},
      properties: {
        windowMinutes: {
          type: "integer",
          enum: ALERT_WINDOW_MINUTES,
          default: MONITORING_DEFAULTS.windowMinutes,
          "x-unit": "minutes",
          description: "Window of the Tcpip 4227 and connection-failure rules, minutes.",
        },
        timeWaitCollisionThreshold: integerWithDefault(
          TIME_WAIT_COLLISION_THRESHOLD,
          "Severity 2 fires when a host logs more Tcpip 4227 events (local port still in TIME_WAIT) than this in one window.",
          MONITORING_DEFAULTS.timeWaitCollisionThreshold,
        ),
        connectionFailureThreshold: integerWithDefault(
          CONNECTION_FAILURE_THRESHOLD,
          "Severity 3 fires when a host's TCPv4 + TCPv6 Connection Failures counters rise by more than this in one window.",
          MONITORING_DEFAULTS.connectionFailureThreshold,
        ),
        heartbeatSilenceMinutes: integerWithDefault(
          HEARTBEAT_SILENCE_MINUTES,
          "Severity 2 fires when a host has sent no Heartbeat for this many minutes.",
          MONITORING_DEFAULTS.heartbeatSilenceMinutes,
        ),
        correctionThreshold: integerWithDefault(
          CORRECTION_THRESHOLD,
          "Severity 2 fires when the tuning corrected one setting of a host more often than this in one correction window: something keeps changing it back.",
          MONITORING_DEFAULTS.correctionThreshold,
        ),
        correctionWindowMinutes: {
          type: "integer",
          enum: CORRECTION_WINDOW_MINUTES,
          default: MONITORING_DEFAULTS.correctionWindowMinutes,
          "x-unit": "minutes",
          description: "Window of the correction rule, minutes.",
        },
        natSnatFailedConnectionThreshold: integerWithDefault(
          NAT_SNAT_FAILED_CONNECTION_THRESHOLD,
          "Severity 1 fires when the stack's NAT gateway counts more failed SNAT connections than this in 5 minutes.",
          MONITORING_DEFAULTS.natSnatFailedConnectionThreshold,
        ),
        natPacketDropThreshold: integerWithDefault(
          NAT_PACKET_DROP_THRESHOLD,
          "Severity 2 fires when the stack's NAT gateway drops more packets than this in 5 minutes.",
          MONITORING_DEFAULTS.natPacketDropThreshold,
        ),
      },
    },
  },
} as const;

/** The JSON Schema of the `mailhost:*` stack config (all keys but the secret `adminPassword`). */
export const configSchema = {
  $id: "https://mailhost-iac.local/schemas/stack-config.json",
  type: "object",
  additionalProperties: false,
  required: ["fleet", "tcp", "siteConfig", "capacity"],
  properties: {
    fleet: {
      type: "object",
      description: "The mail hosts of this stack.",
      additionalProperties: false,
      required: ["hostCount", "vmSize", "adminUsername", "allowedImapCidrs"],
      properties: {
        hostCount: integer(HOST_COUNT, "Number of mail hosts."),
        vmSize: { type: "string", pattern: VM_SIZE_PATTERN, description: "Azure VM size, e.g. Standard_D4s_v5 (Trusted Launch needs a Gen2-capable size)." },
        zones: {
          type: "array",
          items: { type: "string", enum: ["1", "2", "3"] },
          uniqueItems: true,
          maxItems: 3,
          default: [],
          description:
            "Availability zones; hosts are spread over them round-robin in zone order (the order of the list does not matter). A host, the NAT gateway and its public IP keep the zones they were created with. Empty: no zone pinning.",
        },
        adminUsername: {
          type: "string",
          pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,19}$",
          description: "Local administrator name (1–20 characters, not a reserved name such as admin or administrator).",
        },
        allowedImapCidrs: {
          type: "array",
          items: { type: "string", pattern: CIDR_V4_PATTERN, description: "an IPv4 CIDR such as 203.0.113.0/24" },
          uniqueItems: true,
          description: `IPv4 CIDRs allowed to reach IMAP/IMAPS (${IMAP_PORTS.join("/")}). Nothing else is opened inbound.`,
        },
        tags: {
          type: "object",
          propertyNames: { pattern: "^[A-Za-z0-9_.-]{1,128}$", description: '1–128 letters, digits, "_", "-" or "."' },
          additionalProperties: { type: "string", maxLength: 256 },
          default: {},
          description: "Extra Azure tags on every resource (environment and stack tags are always added).",
        },
        windowsVersion: {
          type: "string",
          enum: WINDOWS_VERSIONS,
          default: TEXT_DEFAULTS.windowsVersion,
          description: "Windows Server Datacenter Azure Edition version; 2025 only with runCommand or machineConfiguration tuning.",
        },
        addressPrefix: {
          type: "string",
          pattern: CIDR_V4_PATTERN,
          default: TEXT_DEFAULTS.addressPrefix,
          description: "Address space of the VNet and its mail-host subnet.",
        },
      },
    },
    tcp: {
      type: "object",
      description: "TCP ephemeral-port tuning applied inside every host.",
      additionalProperties: false,
      required: ["tuning"],
      properties: {
        tuning: {
          type: "string",
          enum: TUNING_MECHANISMS,
          description:
            "dsc: Azure DSC extension with auto-correct (retires 31 March 2028); runCommand: managed Run Command; machineConfiguration: Azure Machine Configuration assignment with auto-correct.",
        },
        maxUserPort: integerWithDefault(MAX_USER_PORT, "Tcpip MaxUserPort (legacy cap); the dynamic port range ends here.", DEFAULTS.maxUserPort),
        tcpTimedWaitDelay: integerWithDefault(TCP_TIMED_WAIT_DELAY, "Tcpip TcpTimedWaitDelay: TIME_WAIT seconds.", DEFAULTS.tcpTimedWaitDelay),
        dynamicPortRange: {
          type: "object",
          description: `Dynamic port range (IPv4 and IPv6, TCP). Defaults to start ${DEFAULTS.dynamicPortRangeStart} (${DYNAMIC_PORT_RANGE_START.min} when MaxUserPort is small) up to maxUserPort.`,
          additionalProperties: false,
          required: ["start", "count"],
          properties: {
            start: integer(DYNAMIC_PORT_RANGE_START, "First dynamic port."),
            count: integer(DYNAMIC_PORT_RANGE_COUNT, "Number of dynamic ports; start + count - 1 must equal maxUserPort."),
          },
        },
        autoReusePortRange: {
          type: "object",
          description: `Auto-reuse port range (Set-NetTCPSetting -AutoReusePortRangeStartPort / -AutoReusePortRangeNumberOfPorts): connections made without bind() share its ports across back ends, so each back end gets its own count ports and capacity grows with backendEndpoints. Strictly inside dynamicPortRange, leaving at least ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} of its ports outside; takes effect after a reboot. Unset: the hosts' setting is left as it is and the capacity model counts one port pool per host.`,
          additionalProperties: false,
          required: ["start", "count"],
          properties: {
            start: integer(AUTO_REUSE_PORT_RANGE_START, "First port of the auto-reuse range (AutoReusePortRangeStartPort)."),
            count: integer(AUTO_REUSE_PORT_RANGE_COUNT, "Number of ports of the auto-reuse range (AutoReusePortRangeNumberOfPorts)."),
          },
        },
      },
    },
    siteConfig: {
      type: "object",
      description: "The mail service's SiteConfig.cfg.",
      additionalProperties: false,
      required: ["mailboxCacheTtl"],
      properties: {
        path: {
          type: "string",
          pattern: WINDOWS_CFG_PATH_PATTERN,
          default: TEXT_DEFAULTS.siteConfigPath,
          description:
            "Absolute Windows path of SiteConfig.cfg on the host: a drive letter, a colon, backslash-separated folders and a file name ending in .cfg, without quotes, wildcards, < > | / or control characters (e.g. C:\\ProgramData\\MailFrontEnd\\SiteConfig.cfg).",
        },
        mailboxCacheTtl: integer(MAILBOX_CACHE_TTL, "MailboxCacheTTL written to SiteConfig.cfg; at or above the host's effective floor."),
        minimumMailboxCacheTtl: integerWithDefault(
          MAILBOX_CACHE_TTL,
          "Configured MailboxCacheTTL floor; the effective floor is the larger of this and the capacity-derived minimum.",
          DEFAULTS.minimumMailboxCacheTtl,
        ),
        settings: {
          type: "object",
          description: "Per-environment INI settings: { <section>: { <key>: value } }, overriding or adding to the template.",
          default: {},
          propertyNames: {
            pattern: SECTION_NAME_PATTERN,
            description: '1–64 letters, digits, "_" or "-" (no "[", "]", ".", "=", ";", spaces or control characters)',
          },
          additionalProperties: {
            type: "object",
            propertyNames: {
              pattern: KEY_NAME_PATTERN,
              description: '1–64 letters, digits, "_", "-" or "." (no "[", "]", "=", ";", spaces or control characters)',
            },
            additionalProperties: { type: ["string", "number", "boolean"] },
          },
        },
      },
    },
    capacity: {
      type: "object",
      description: "Planned load on one host, for the capacity model.",
      additionalProperties: false,
      required: ["activeSessionsPerHost", "backendEndpoints"],
      properties: {
        activeSessionsPerHost: integer(ACTIVE_SESSIONS_PER_HOST, "S: concurrently active mailbox sessions per host."),
        backendEndpoints: integer(BACKEND_ENDPOINTS, "B: distinct back-end IMAP endpoints (IP:port)."),
        utilization: {
          type: "number",
          exclusiveMinimum: UTILIZATION.exclusiveMin,
          maximum: UTILIZATION.max,
          default: DEFAULTS.utilization,
          "x-unit": UTILIZATION.unit,
          description: "u: planned utilisation of the port space.",
        },
      },
    },
    // ---- mailhost:egress: the subnet's explicit outbound path ----
    egress: {
      type: "object",
      description: "Explicit outbound path of the mail-host subnet (Windows activation, agents, updates); the subnet itself has no default outbound access.",
      additionalProperties: false,
      default: {},
      properties: {
        kind: {
          type: "string",
          enum: EGRESS_KINDS,
          default: DEFAULT_EGRESS_KIND,
          description:
            "natGateway: a Standard NAT gateway with its own static public IP (outbound only), attached to the subnet; routeTable: associate the existing route table routeTableId (its default route leads to a firewall or NVA) and create no NAT gateway.",
        },
        routeTableId: {
          type: "string",
          pattern: ROUTE_TABLE_ID_PATTERN,
          description:
            "ARM id of an existing route table, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>; required with kind routeTable, not allowed with natGateway.",
        },
      },
    },
    monitoring: monitoringSchema,
  },
} as const;

/** Stack config as written in `Pulumi.<stack>.yaml` (optional keys may be absent). */
export type StackConfigInput = FromSchema<typeof configSchema, { keepDefaultedPropertiesOptional: true }>;

/** Deeply read-only. */
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** Stack config as the schema checked it, with ajv's literal defaults filled in (no derived default yet). */
export type SchemaFilledConfig = FromSchema<typeof configSchema>;

/**
 * Stack config with every default resolved: what components, policies and drift checks use.
 * Derived from the schema too (keys with a default are present), plus the dynamic port range,
 * whose default depends on MaxUserPort: a key added to the schema cannot be forgotten here.
 */
export type MailhostConfig = DeepReadonly<
  SchemaFilledConfig & {
    tcp: { dynamicPortRange: { start: number; count: number } };
  }
>;

/** A schema node, as the generic code (error messages, number coercion, key order) reads it. */
export interface SchemaNode {
  type?: string | readonly string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: readonly unknown[];
  pattern?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  "x-unit"?: string;
}
