/**
 * Stack configuration: one JSON Schema (validated with ajv) from which the TypeScript type is
 * derived, cross-field rules the schema cannot express, and the resolution of defaults.
 *
 * Every error names the config key path, the value given and what is allowed, e.g.
 * `mailhost:tcp.tcpTimedWaitDelay = <value> is outside <min>–<max> (seconds)`.
 */
import Ajv, { type ErrorObject } from "ajv";
import type { FromSchema } from "json-schema-to-ts";
import { DEFAULT_EGRESS_KIND, EGRESS_KINDS, ROUTE_TABLE_ID_PATTERN } from "./egress";
import { type ConfigIssue, ConfigValidationError, showValue } from "./issues";
import {
  ACTIVE_SESSIONS_PER_HOST,
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  ADMIN_PASSWORD,
  AZURE_SUBNET_RESERVED_ADDRESSES,
  BACKEND_ENDPOINTS,
  DEFAULTS,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  HIGHEST_PORT,
  HOST_COUNT,
  IMAP_PORTS,
  MAILBOX_CACHE_TTL,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  TCP_TIMED_WAIT_DELAY,
  UTILIZATION,
  dynamicPortRangeEnd,
  formatRange,
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
  WEBHOOK_URL_MAX_LENGTH,
} from "./limits";
import { autoReusePortRangeProblems, inboundSourceProblem } from "./rules";
import { KEY_NAME_PATTERN, SECTION_NAME_PATTERN } from "./siteconfig";

/** The Pulumi config namespace (the project name). */
export const CONFIG_NAMESPACE = "mailhost";

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

/** An Azure VM size name, e.g. Standard_D4s_v5. */
export const VM_SIZE_PATTERN = "^Standard_[A-Za-z0-9_]{1,60}$";

const CIDR_V4 = "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$";
/** An absolute Windows path to a `.cfg` file; no quotes, wildcards or control characters. */
const WINDOWS_CFG_PATH = "^[A-Za-z]:\\\\([^<>:\"/\\\\|?*\\u0000-\\u001f]+\\\\)*[^<>:\"/\\\\|?*\\u0000-\\u001f]+\\.cfg$";

function integer<const R extends IntRange>(range: R, description: string) {
  return { type: "integer", minimum: range.min, maximum: range.max, description, "x-unit": range.unit } as const;
}

function integerWithDefault<const R extends IntRange, const D extends number>(range: R, description: string, defaultValue: D) {
  return { ...integer(range, description), default: defaultValue } as const;
}

// ---- mailhost:monitoring (Azure Monitor: agent, data collection rule, alert rules) ----------

/** Case-insensitive regex text for a fixed word (ARM ids are case-insensitive; JSON Schema patterns take no flags). */
function anyCase(text: string): string {
  return [...text].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))).join("");
}

/** ARM id of a Log Analytics workspace: `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>`. */
export const WORKSPACE_RESOURCE_ID_PATTERN = `^/${anyCase("subscriptions")}/[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/${anyCase("resourceGroups")}/[-\\w.()]{1,90}/${anyCase("providers")}/${anyCase("Microsoft.OperationalInsights")}/${anyCase("workspaces")}/[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$`;

/**
 * An Azure region's programmatic name, as `az account list-locations --query "[].name"` prints it
 * and ARM returns it in `location`: lower-case letters and digits, no spaces (`westeurope`,
 * `eastus2`, `germanywestcentral`; not the display name "West Europe").
 */
export const AZURE_REGION_PATTERN = "^[a-z][a-z0-9]{1,39}$";

/** The stack's region: the azure-native provider's default location, where the stack creates its resources. */
export const AZURE_LOCATION_KEY = "azure-native:location";

/** Problems with the stack's region (`azure-native:location`): it must be set, as a region name. */
export function azureLocationIssues(location: string | undefined): ConfigIssue[] {
  const path = AZURE_LOCATION_KEY;
  if (location === undefined || location.trim() === "") {
    return [{ path, message: `${path} is missing: set the stack's Azure region (for example \`pulumi config set ${path} westeurope\`); every resource of the stack is created there.` }];
  }
  if (!new RegExp(AZURE_REGION_PATTERN).test(location)) {
    return [{ path, message: `${path} = ${showValue(location)} is not an Azure region name: use the programmatic name, lower-case letters and digits (westeurope, eastus2), as \`az account list-locations --query "[].name"\` prints it.` }];
  }
  return [];
}

/** An e-mail address, loosely: one "@", no spaces, quotes or angle brackets, a dotted domain. */
export const EMAIL_PATTERN = "^[^@\\s\"<>,;]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$";

/** The top-level secret key holding the alert webhook URL (secret per key, like `adminPassword`). */
export const ALERT_WEBHOOK_URL_KEY = "alertWebhookUrl";

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
      description: "ARM id of an existing Log Analytics workspace, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>. Unset: the stack creates one in its resource group. Requires workspaceLocation.",
    },
    workspaceLocation: {
      type: "string",
      pattern: AZURE_REGION_PATTERN,
      description: "Azure region of the workspace named by workspaceResourceId (an ARM id carries no region), as a region name such as westeurope. Required with workspaceResourceId, refused without it. The data collection rule is created there: Azure Monitor requires a rule in the same region as its Log Analytics destination.",
    },
    retentionInDays: integerWithDefault(LOG_ANALYTICS_RETENTION_DAYS, "Data retention of the workspace the stack creates (ignored with workspaceResourceId).", MONITORING_DEFAULTS.retentionInDays),
    samplingIntervalSeconds: integerWithDefault(PERF_SAMPLING_INTERVAL, "Seconds between two samples of the TCPv4/TCPv6 counters; at most half the alert window.", MONITORING_DEFAULTS.samplingIntervalSeconds),
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
        windowMinutes: { type: "integer", enum: ALERT_WINDOW_MINUTES, default: MONITORING_DEFAULTS.windowMinutes, "x-unit": "minutes", description: "Window of the Tcpip 4227 and connection-failure rules, minutes." },
        timeWaitCollisionThreshold: integerWithDefault(TIME_WAIT_COLLISION_THRESHOLD, "Severity 2 fires when a host logs more Tcpip 4227 events (local port still in TIME_WAIT) than this in one window.", MONITORING_DEFAULTS.timeWaitCollisionThreshold),
        connectionFailureThreshold: integerWithDefault(CONNECTION_FAILURE_THRESHOLD, "Severity 3 fires when a host's TCPv4 + TCPv6 Connection Failures counters rise by more than this in one window.", MONITORING_DEFAULTS.connectionFailureThreshold),
        heartbeatSilenceMinutes: integerWithDefault(HEARTBEAT_SILENCE_MINUTES, "Severity 2 fires when a host has sent no Heartbeat for this many minutes.", MONITORING_DEFAULTS.heartbeatSilenceMinutes),
        correctionThreshold: integerWithDefault(CORRECTION_THRESHOLD, "Severity 2 fires when the tuning corrected one setting of a host more often than this in one correction window: something keeps changing it back.", MONITORING_DEFAULTS.correctionThreshold),
        correctionWindowMinutes: { type: "integer", enum: CORRECTION_WINDOW_MINUTES, default: MONITORING_DEFAULTS.correctionWindowMinutes, "x-unit": "minutes", description: "Window of the correction rule, minutes." },
        natSnatFailedConnectionThreshold: integerWithDefault(NAT_SNAT_FAILED_CONNECTION_THRESHOLD, "Severity 1 fires when the stack's NAT gateway counts more failed SNAT connections than this in 5 minutes.", MONITORING_DEFAULTS.natSnatFailedConnectionThreshold),
        natPacketDropThreshold: integerWithDefault(NAT_PACKET_DROP_THRESHOLD, "Severity 2 fires when the stack's NAT gateway drops more packets than this in 5 minutes.", MONITORING_DEFAULTS.natPacketDropThreshold),
      },
    },
  },
} as const;

/** Cross-field rules of `mailhost:monitoring`. */
export function monitoringIssues(config: MailhostConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { samplingIntervalSeconds, alerts, workspaceResourceId, workspaceLocation } = config.monitoring;
  const idPath = configKeyPath(["monitoring", "workspaceResourceId"]);
  const locationPath = configKeyPath(["monitoring", "workspaceLocation"]);
  // Azure Monitor: "Create your DCR in the same region as your destination Log Analytics workspace." An ARM id carries no region.
  if (workspaceResourceId !== undefined && workspaceLocation === undefined) {
    issues.push({ path: locationPath, message: `${locationPath} is missing: with ${idPath} set, state the workspace's Azure region (for example westeurope); the data collection rule must be created in the workspace's region, which its ARM id does not carry.` });
  }
  if (workspaceResourceId === undefined && workspaceLocation !== undefined) {
    issues.push({ path: locationPath, message: `${locationPath} = ${showValue(workspaceLocation)} is set without ${idPath}: the stack creates its own workspace in the stack's region; remove ${locationPath} or set ${idPath}.` });
  }
  // The failure rule takes a delta between samples: a window needs at least two of them.
  if (samplingIntervalSeconds * 2 > alerts.windowMinutes * 60) {
    const path = configKeyPath(["monitoring", "samplingIntervalSeconds"]);
    issues.push({ path, message: `${path} = ${samplingIntervalSeconds} leaves fewer than two counter samples in ${configKeyPath(["monitoring", "alerts", "windowMinutes"])} = ${alerts.windowMinutes} minutes; use at most ${alerts.windowMinutes * 30} seconds or a longer window.` });
  }
  return issues;
}

/** Problems with the secret alert webhook URL (optional), without ever showing it. */
export function alertWebhookUrlIssues(url: string | undefined): ConfigIssue[] {
  if (url === undefined) return [];
  const path = configKeyPath([ALERT_WEBHOOK_URL_KEY]);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.protocol !== "https:" || url.length > WEBHOOK_URL_MAX_LENGTH || /\s/.test(url)) {
    return [{ path, message: `${path} (secret, value not shown) must be an https:// URL of at most ${WEBHOOK_URL_MAX_LENGTH} characters; set it with \`pulumi config set --secret ${path}\`.` }];
  }
  return [];
}

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
          description: "Availability zones; hosts are spread over them round-robin in zone order (the order of the list does not matter). A host, the NAT gateway and its public IP keep the zones they were created with. Empty: no zone pinning.",
        },
        adminUsername: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,19}$", description: "Local administrator name (1–20 characters, not a reserved name such as admin or administrator)." },
        allowedImapCidrs: {
          type: "array",
          items: { type: "string", pattern: CIDR_V4, description: "an IPv4 CIDR such as 203.0.113.0/24" },
          uniqueItems: true,
          description: `IPv4 CIDRs allowed to reach IMAP/IMAPS (${IMAP_PORTS.join("/")}). Nothing else is opened inbound.`,
        },
        tags: {
          type: "object",
          propertyNames: { pattern: "^[A-Za-z0-9_.-]{1,128}$", description: "1–128 letters, digits, \"_\", \"-\" or \".\"" },
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
          pattern: CIDR_V4,
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
        tuning: { type: "string", enum: TUNING_MECHANISMS, description: "dsc: Azure DSC extension with auto-correct (retires 31 March 2028); runCommand: managed Run Command; machineConfiguration: Azure Machine Configuration assignment with auto-correct." },
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
          pattern: WINDOWS_CFG_PATH,
          default: TEXT_DEFAULTS.siteConfigPath,
          description: "Absolute Windows path of SiteConfig.cfg on the host: a drive letter, a colon, backslash-separated folders and a file name ending in .cfg, without quotes, wildcards, < > | / or control characters (e.g. C:\\ProgramData\\MailFrontEnd\\SiteConfig.cfg).",
        },
        mailboxCacheTtl: integer(MAILBOX_CACHE_TTL, "MailboxCacheTTL written to SiteConfig.cfg; at or above the host's effective floor."),
        minimumMailboxCacheTtl: integerWithDefault(MAILBOX_CACHE_TTL, "Configured MailboxCacheTTL floor; the effective floor is the larger of this and the capacity-derived minimum.", DEFAULTS.minimumMailboxCacheTtl),
        settings: {
          type: "object",
          description: "Per-environment INI settings: { <section>: { <key>: value } }, overriding or adding to the template.",
          default: {},
          propertyNames: { pattern: SECTION_NAME_PATTERN, description: "1–64 letters, digits, \"_\" or \"-\" (no \"[\", \"]\", \".\", \"=\", \";\", spaces or control characters)" },
          additionalProperties: {
            type: "object",
            propertyNames: { pattern: KEY_NAME_PATTERN, description: "1–64 letters, digits, \"_\", \"-\" or \".\" (no \"[\", \"]\", \"=\", \";\", spaces or control characters)" },
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
          description: "natGateway: a Standard NAT gateway with its own static public IP (outbound only), attached to the subnet; routeTable: associate the existing route table routeTableId (its default route leads to a firewall or NVA) and create no NAT gateway.",
        },
        routeTableId: {
          type: "string",
          pattern: ROUTE_TABLE_ID_PATTERN,
          description: "ARM id of an existing route table, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>; required with kind routeTable, not allowed with natGateway.",
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

/**
 * Stack config with every default resolved: what components, policies and drift checks use.
 * Derived from the schema too (keys with a default are present), plus the dynamic port range,
 * whose default depends on MaxUserPort: a key added to the schema cannot be forgotten here.
 */
export type MailhostConfig = DeepReadonly<FromSchema<typeof configSchema> & {
  tcp: { dynamicPortRange: { start: number; count: number } };
}>;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
ajv.addKeyword({ keyword: "x-unit", schemaType: "string" });
const validateSchema = ajv.compile<StackConfigInput>(configSchema);

/** `/tcp/dynamicPortRange/start` → `mailhost:tcp.dynamicPortRange.start`; `/fleet/zones/1` → `mailhost:fleet.zones[1]`. */
export function configKeyPath(segments: readonly (string | number)[]): string {
  let out = CONFIG_NAMESPACE;
  segments.forEach((segment, i) => {
    if (typeof segment === "number" || /^\d+$/.test(String(segment))) out += `[${segment}]`;
    else out += i === 0 ? `:${segment}` : `.${segment}`;
  });
  return out;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let current: unknown = data;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

interface SchemaNode {
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

/** What a schema node allows, as words: "<min>–<max> (seconds)", "one of dsc, runCommand". */
export function allowedText(node: SchemaNode): string {
  if (node.minimum !== undefined && node.maximum !== undefined) {
    return `${node.minimum}–${node.maximum}${node["x-unit"] ? ` (${node["x-unit"]})` : ""}`;
  }
  if (node.exclusiveMinimum !== undefined && node.maximum !== undefined) {
    return `above ${node.exclusiveMinimum} up to ${node.maximum}${node["x-unit"] ? ` (${node["x-unit"]})` : ""}`;
  }
  if (node.enum) return `one of ${node.enum.join(", ")}`;
  if (node.description) return node.description.replace(/\.$/, "");
  return typeWord(node.type);
}

function typeWord(type: string | readonly string[] | undefined): string {
  if (type === undefined) return "a value";
  const words: Record<string, string> = { integer: "an integer", number: "a number", string: "a string", object: "a map", array: "a list", boolean: "true or false" };
  if (Array.isArray(type)) return type.map((t) => words[t] ?? t).join(" or ");
  return words[String(type)] ?? String(type);
}

/**
 * When a string holds control characters, it was most likely a double-quoted Windows path: YAML
 * turns `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, `\a`, `\e` and `\0` inside double quotes into them.
 */
function escapeHint(value: unknown): string {
  if (typeof value !== "string" || !/[\u0000-\u001f]/.test(value)) return "";
  return " It holds control characters: in double quotes YAML reads backslash sequences such as \\t and \\n as escapes; write Windows paths in single quotes ('C:\\temp\\new.cfg') or unquoted.";
}

/**
 * A number where the schema wants a string (`windowsVersion: 2025`, `zones: [1, 2]`, a tag value
 * `1234`): YAML reads unquoted digits as numbers, the user meant the text. Returns a copy with
 * those numbers as strings; everything else is left for the schema to judge.
 */
export function acceptNumbersAsStrings(value: unknown, node: SchemaNode | undefined): unknown {
  if (node === undefined) return value;
  if (typeof value === "number" && Number.isFinite(value) && node.type === "string") return String(value);
  if (Array.isArray(value)) return value.map((item) => acceptNumbersAsStrings(item, node.items));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, acceptNumbersAsStrings(v, node.properties?.[k] ?? (typeof node.additionalProperties === "object" ? node.additionalProperties : undefined))]));
  }
  return value;
}

function formatAjvError(error: ErrorObject, data: unknown): ConfigIssue {
  const segments = pointerSegments(error.instancePath);
  const node = (error.parentSchema ?? {}) as SchemaNode;
  const value = valueAt(data, segments);
  switch (error.keyword) {
    case "required": {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const path = configKeyPath([...segments, missing]);
      const child = node.properties?.[missing];
      return { path, message: `${path} is missing; it is required${child ? ` (${allowedText(child)})` : ""}.` };
    }
    case "additionalProperties": {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const path = configKeyPath([...segments, extra]);
      const known = Object.keys(node.properties ?? {}).join(", ");
      return { path, message: `${path} is not a known setting${known ? `; known settings of ${configKeyPath(segments)}: ${known}` : ""}.` };
    }
    case "propertyNames": {
      const name = (error.params as { propertyName: string }).propertyName;
      const path = configKeyPath([...segments, name]);
      const rule = node.propertyNames ? `; use ${allowedText(node.propertyNames)}` : "";
      return { path, message: `${path}: the name ${showValue(name)} is not allowed here${rule}.` };
    }
    case "type": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not ${typeWord(node.type)}; allowed ${allowedText(node)}.` };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is outside ${allowedText(node)}.` };
    }
    case "enum": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not allowed; allowed: ${(node.enum ?? []).join(", ")}.` };
    }
    case "pattern": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not valid; expected ${allowedText(node)}.${escapeHint(value)}` };
    }
    case "uniqueItems": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} lists an item twice.` };
    }
    case "maxItems":
    case "maxLength": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is too long (${error.message ?? ""}).` };
    }
    default: {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not valid: ${error.message ?? error.keyword}.` };
    }
  }
}

/** Schema validation only: every problem, deduplicated, in document order. */
export function schemaIssues(raw: unknown): ConfigIssue[] {
  if (validateSchema(raw)) return [];
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of validateSchema.errors ?? []) {
    // A bad property name is reported once, by its "propertyNames" error, not by the inner rule.
    if (error.propertyName !== undefined) continue;
    const issue = formatAjvError(error, raw);
    // One problem per setting: a non-integer below the minimum gets the type message only.
    const key = error.keyword === "required" || error.keyword === "additionalProperties" || error.keyword === "propertyNames" ? issue.message : issue.path;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

/** Default dynamic port range for a MaxUserPort: from the default start (or the lowest allowed start when that leaves too few ports) up to it. */
export function defaultDynamicPortRange(maxUserPort: number): { start: number; count: number } {
  const preferredCount = maxUserPort - DEFAULTS.dynamicPortRangeStart + 1;
  const start = preferredCount >= DYNAMIC_PORT_RANGE_COUNT.min ? DEFAULTS.dynamicPortRangeStart : DYNAMIC_PORT_RANGE_START.min;
  return { start, count: maxUserPort - start + 1 };
}

const RESERVED_ADMIN_NAMES = new Set([
  "administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123", "a",
  "actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root",
  "server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5",
]);

function subnetCapacity(cidr: string): number {
  const bits = Number(cidr.split("/")[1]);
  return Math.max(0, 2 ** (32 - bits) - AZURE_SUBNET_RESERVED_ADDRESSES);
}

/** Resolves defaults of a schema-valid input. */
export function resolveDefaults(input: StackConfigInput): MailhostConfig {
  const maxUserPort = input.tcp.maxUserPort ?? DEFAULTS.maxUserPort;
  return {
    fleet: {
      hostCount: input.fleet.hostCount,
      vmSize: input.fleet.vmSize,
      zones: [...(input.fleet.zones ?? [])],
      adminUsername: input.fleet.adminUsername,
      allowedImapCidrs: [...input.fleet.allowedImapCidrs],
      tags: { ...(input.fleet.tags ?? {}) },
      windowsVersion: input.fleet.windowsVersion ?? TEXT_DEFAULTS.windowsVersion,
      addressPrefix: input.fleet.addressPrefix ?? TEXT_DEFAULTS.addressPrefix,
    },
    tcp: {
      tuning: input.tcp.tuning,
      maxUserPort,
      tcpTimedWaitDelay: input.tcp.tcpTimedWaitDelay ?? DEFAULTS.tcpTimedWaitDelay,
      dynamicPortRange: input.tcp.dynamicPortRange ? { ...input.tcp.dynamicPortRange } : defaultDynamicPortRange(maxUserPort),
      ...(input.tcp.autoReusePortRange === undefined ? {} : { autoReusePortRange: { ...input.tcp.autoReusePortRange } }),
    },
    siteConfig: {
      path: input.siteConfig.path ?? TEXT_DEFAULTS.siteConfigPath,
      mailboxCacheTtl: input.siteConfig.mailboxCacheTtl,
      minimumMailboxCacheTtl: input.siteConfig.minimumMailboxCacheTtl ?? DEFAULTS.minimumMailboxCacheTtl,
      settings: input.siteConfig.settings ?? {},
    },
    capacity: {
      activeSessionsPerHost: input.capacity.activeSessionsPerHost,
      backendEndpoints: input.capacity.backendEndpoints,
      utilization: input.capacity.utilization ?? DEFAULTS.utilization,
    },
    egress: {
      kind: input.egress?.kind ?? DEFAULT_EGRESS_KIND,
      ...(input.egress?.routeTableId === undefined ? {} : { routeTableId: input.egress.routeTableId }),
    },
    monitoring: resolveMonitoringDefaults(input.monitoring),
  };
}

/** Defaults of `mailhost:monitoring` (absent section: enabled with every default). */
function resolveMonitoringDefaults(input: StackConfigInput["monitoring"]): MailhostConfig["monitoring"] {
  const monitoring = input ?? {};
  const alerts = monitoring.alerts ?? {};
  return {
    enabled: monitoring.enabled ?? true,
    ...(monitoring.workspaceResourceId === undefined ? {} : { workspaceResourceId: monitoring.workspaceResourceId }),
    ...(monitoring.workspaceLocation === undefined ? {} : { workspaceLocation: monitoring.workspaceLocation }),
    retentionInDays: monitoring.retentionInDays ?? MONITORING_DEFAULTS.retentionInDays,
    samplingIntervalSeconds: monitoring.samplingIntervalSeconds ?? MONITORING_DEFAULTS.samplingIntervalSeconds,
    emailReceivers: [...(monitoring.emailReceivers ?? [])],
    alerts: {
      windowMinutes: alerts.windowMinutes ?? MONITORING_DEFAULTS.windowMinutes,
      timeWaitCollisionThreshold: alerts.timeWaitCollisionThreshold ?? MONITORING_DEFAULTS.timeWaitCollisionThreshold,
      connectionFailureThreshold: alerts.connectionFailureThreshold ?? MONITORING_DEFAULTS.connectionFailureThreshold,
      heartbeatSilenceMinutes: alerts.heartbeatSilenceMinutes ?? MONITORING_DEFAULTS.heartbeatSilenceMinutes,
      correctionThreshold: alerts.correctionThreshold ?? MONITORING_DEFAULTS.correctionThreshold,
      correctionWindowMinutes: alerts.correctionWindowMinutes ?? MONITORING_DEFAULTS.correctionWindowMinutes,
      natSnatFailedConnectionThreshold: alerts.natSnatFailedConnectionThreshold ?? MONITORING_DEFAULTS.natSnatFailedConnectionThreshold,
      natPacketDropThreshold: alerts.natPacketDropThreshold ?? MONITORING_DEFAULTS.natPacketDropThreshold,
    },
  };
}

/** `mailhost:egress`: routeTableId goes with kind routeTable, and only with it. */
function egressIssues(config: MailhostConfig): ConfigIssue[] {
  const kindPath = configKeyPath(["egress", "kind"]);
  const idPath = configKeyPath(["egress", "routeTableId"]);
  const { kind, routeTableId } = config.egress;
  if (kind === "routeTable" && routeTableId === undefined) {
    return [{ path: idPath, message: `${idPath} is missing; it is required when ${kindPath} = "routeTable" (the ARM id of an existing route table, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>).` }];
  }
  if (kind === "natGateway" && routeTableId !== undefined) {
    return [{ path: idPath, message: `${idPath} = ${showValue(routeTableId)} is not allowed with ${kindPath} = "natGateway", which creates its own NAT gateway and associates no route table; remove it, or set ${kindPath} to "routeTable".` }];
  }
  return [];
}

/** Rules across fields that JSON Schema cannot state. Input must be schema-valid. */
export function crossFieldIssues(config: MailhostConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { start, count } = config.tcp.dynamicPortRange;
  const end = dynamicPortRangeEnd(start, count);
  const rangePath = configKeyPath(["tcp", "dynamicPortRange"]);
  if (end > HIGHEST_PORT) {
    issues.push({ path: rangePath, message: `${rangePath} = start ${start}, count ${count} ends at port ${end}; start + count - 1 must be at most ${HIGHEST_PORT}.` });
  } else if (end !== config.tcp.maxUserPort) {
    issues.push({
      path: rangePath,
      message: `${rangePath} = start ${start}, count ${count} ends at port ${end}, but it must end at ${configKeyPath(["tcp", "maxUserPort"])} = ${config.tcp.maxUserPort} (set count to ${config.tcp.maxUserPort - start + 1}).`,
    });
  }
  const autoReuse = config.tcp.autoReusePortRange;
  if (autoReuse !== undefined && end <= HIGHEST_PORT) {
    const autoPath = configKeyPath(["tcp", "autoReusePortRange"]);
    for (const problem of autoReusePortRangeProblems(autoReuse.start, autoReuse.count, start, count)) {
      issues.push({ path: autoPath, message: `${autoPath} = start ${autoReuse.start}, count ${autoReuse.count}: ${problem}.` });
    }
  }
  if (config.tcp.tuning === "dsc" && !DSC_WINDOWS_VERSIONS.includes(config.fleet.windowsVersion)) {
    const path = configKeyPath(["fleet", "windowsVersion"]);
    issues.push({ path, message: `${path} = ${showValue(config.fleet.windowsVersion)} is not supported by the DSC extension (documented up to ${DSC_WINDOWS_VERSIONS.join(", ")}); use ${configKeyPath(["tcp", "tuning"])} = machineConfiguration or runCommand.` });
  }
  if (RESERVED_ADMIN_NAMES.has(config.fleet.adminUsername.toLowerCase()) || config.fleet.adminUsername.endsWith(".")) {
    const path = configKeyPath(["fleet", "adminUsername"]);
    issues.push({ path, message: `${path} = ${showValue(config.fleet.adminUsername)} is a name Azure does not accept for a VM administrator.` });
  }
  if (/^[dD]:/.test(config.siteConfig.path)) {
    const path = configKeyPath(["siteConfig", "path"]);
    issues.push({ path, message: `${path} = ${showValue(config.siteConfig.path)} is on D:, Azure's temporary disk: it is wiped on redeploy and absent on sizes without one; use C: (default ${TEXT_DEFAULTS.siteConfigPath}).` });
  }
  config.fleet.allowedImapCidrs.forEach((cidr, i) => {
    const path = configKeyPath(["fleet", "allowedImapCidrs", i]);
    const problem = inboundSourceProblem(cidr, path);
    if (problem !== undefined) issues.push({ path, message: `${problem}.` });
  });
  const capacity = subnetCapacity(config.fleet.addressPrefix);
  if (config.fleet.hostCount > capacity) {
    const path = configKeyPath(["fleet", "hostCount"]);
    issues.push({ path, message: `${path} = ${config.fleet.hostCount} does not fit ${configKeyPath(["fleet", "addressPrefix"])} = ${showValue(config.fleet.addressPrefix)}, which holds ${capacity} hosts.` });
  }
  issues.push(...egressIssues(config));
  issues.push(...monitoringIssues(config));
  return issues;
}

/** Problems with the admin password, without ever showing it. */
export function adminPasswordIssues(password: string | undefined): ConfigIssue[] {
  const path = configKeyPath(["adminPassword"]);
  if (password === undefined || password === "") {
    return [{ path, message: `${path} is missing; set it with \`pulumi config set --secret ${path}\`.` }];
  }
  const issues: ConfigIssue[] = [];
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < ADMIN_PASSWORD.minLength || password.length > ADMIN_PASSWORD.maxLength || classes < ADMIN_PASSWORD.characterClasses) {
    issues.push({
      path,
      message: `${path} (secret, value not shown) must be ${ADMIN_PASSWORD.minLength}–${ADMIN_PASSWORD.maxLength} characters with at least ${ADMIN_PASSWORD.characterClasses} of: lower case, upper case, digit, symbol.`,
    });
  }
  return issues;
}

/** Result of {@link parseStackConfig}. */
export type ConfigResult =
  | { readonly ok: true; readonly config: MailhostConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Validates raw stack config (`{ fleet, tcp, siteConfig, capacity }` as parsed from YAML/JSON):
 * schema first (every problem at once), then cross-field rules on the resolved config.
 * Capacity and SiteConfig rules are checked by `planFleet`, which needs the resolved config.
 */
export function parseStackConfig(input: unknown): ConfigResult {
  const raw = acceptNumbersAsStrings(input, configSchema as unknown as SchemaNode);
  const issues = schemaIssues(raw);
  if (issues.length > 0) return { ok: false, issues };
  const config = resolveDefaults(raw as StackConfigInput);
  const cross = crossFieldIssues(config);
  return cross.length > 0 ? { ok: false, issues: cross } : { ok: true, config };
}

/** Throws {@link ConfigValidationError} unless the raw config is valid. */
export function requireStackConfig(raw: unknown): MailhostConfig {
  const result = parseStackConfig(raw);
  if (!result.ok) throw new ConfigValidationError(result.issues);
  return result.config;
}

/** Range text for a limit, for docs and messages. */
export { formatRange };
