/**
 * In-guest drift read from Azure Machine Configuration through Azure Resource Graph: the query
 * that finds a stack's guest configuration assignments, and the verdict on each host from its
 * assignment row. Pure: no I/O.
 *
 * Rows keep the shape of Resource Graph's `guestconfigurationresources` table (the query filters
 * with `where` and never renames a column), so they look like the assignment resource of the
 * `Microsoft.GuestConfiguration/guestConfigurationAssignments` REST API (2024-04-05):
 * https://learn.microsoft.com/azure/governance/machine-configuration/how-to/view-compliance and
 * Microsoft Learn's "Azure Resource Graph sample queries for machine configuration" (which read
 * `properties.latestAssignmentReport.resources`, allow for rows without any, and drop
 * "Invalid assignment package."). An assignment with parameters echoes them in
 * `properties.guestConfiguration.configurationParameter` as `{name, value}` pairs
 * (azure-rest-api-specs, guestconfiguration 2024-04-05, createOrUpdateGuestConfigurationAssignment.json).
 */
import { type SettingDrift, type SettingStatus } from "./drift";
import { kqlString } from "./kql";
import { DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START, HIGHEST_PORT, MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS, inRange } from "./limits";
import { MAILHOST_TCP_TUNING, assignmentParameters } from "./machineConfiguration";
import { type ModuleFile, buildMachineConfigurationPackage } from "./machineConfigurationPackage";
import { type TuningPlan } from "./plan";

/** Name of the configuration, the package and the assignment. */
export const MACHINE_CONFIGURATION_NAME = MAILHOST_TCP_TUNING.configurationName;

/**
 * Prefix of every reason code our resource reports: `MailhostTcpTuning:MailhostTcpTuning:<Setting>`
 * (`<module>:<resource>:<Setting>`, the form Machine Configuration's docs recommend).
 */
export const REASON_CODE_PREFIX = `${MAILHOST_TCP_TUNING.moduleName}:${MAILHOST_TCP_TUNING.className}:`;

/** Resource Graph's table of guest configuration assignments. */
export const GUEST_CONFIGURATION_TABLE = "guestconfigurationresources";
/** Resource type of an assignment, as Resource Graph spells it (lower case). */
export const ASSIGNMENT_TYPE = "microsoft.guestconfiguration/guestconfigurationassignments";

/** Machine Configuration evaluates every assignment every 15 minutes (Azure docs, "Remediation options"). */
export const EVALUATION_INTERVAL_MINUTES = 15;
/** A report older than this (minutes) is stale by default: four evaluation intervals. */
export const DEFAULT_MAX_AGE_MINUTES = 4 * EVALUATION_INTERVAL_MINUTES;

/** What Resource Graph's `resourceId` says of a package the agent could not use (Azure docs' sample queries filter it out). */
export const INVALID_PACKAGE_RESOURCE_ID = "Invalid assignment package.";

/** One reason of a resource in the latest assignment report (lower-case keys, as Azure writes them). */
export interface AssignmentReason {
  readonly code?: string;
  readonly phrase?: string;
}

/** One row of `guestconfigurationresources`, as far as drift reads it. */
export interface AssignmentRow {
  /** `<vm id>/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/<name>`. */
  readonly id: string;
  readonly name: string;
  readonly type?: string;
  readonly resourceGroup?: string;
  readonly subscriptionId?: string;
  readonly properties?: {
    /** `Compliant`, `NonCompliant` or `Pending`. */
    readonly complianceStatus?: string;
    /** ISO 8601 time of the last evaluation. */
    readonly lastComplianceStatusChecked?: string | null;
    /** Resource ID of the VM. */
    readonly targetResourceId?: string;
    readonly guestConfiguration?: {
      readonly name?: string;
      readonly contentHash?: string;
      readonly assignmentType?: string;
      readonly configurationParameter?: ReadonlyArray<{ readonly name?: string; readonly value?: string }>;
    };
    readonly latestAssignmentReport?: {
      readonly complianceStatus?: string;
      readonly resources?: ReadonlyArray<{
        readonly resourceId?: string;
        /** A boolean in the agent's report, an enum string in the REST spec: both are accepted. */
        readonly complianceStatus?: string | boolean;
        readonly reasons?: readonly AssignmentReason[];
      }>;
    } | null;
  };
}

/** What the plan expects an assignment to carry. */
export interface ExpectedAssignment {
  /** SHA-256 of the package zip (compared case-insensitively). */
  readonly contentHash: string;
  /** `configurationParameter` values by name (`[MailhostTcpTuning]MailhostTcpTuning;<Property>`). */
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * What the plan's assignment carries: the SHA-256 of the package the plan builds (from the module
 * files, as `pulumi up` publishes it) and the `configurationParameter` values.
 */
export function expectedAssignment(tuning: TuningPlan, moduleFiles: readonly ModuleFile[]): ExpectedAssignment {
  const pkg = buildMachineConfigurationPackage(tuning, moduleFiles);
  return { contentHash: pkg.sha256Upper, parameters: Object.fromEntries(assignmentParameters(tuning).map((p) => [p.name, p.value])) };
}

/** The verdict on one host. */
export interface GraphHostVerdict {
  readonly status: SettingStatus;
  /** Why the state is unknown, or a short summary. */
  readonly reason?: string;
  readonly settings: SettingDrift[];
  /** Tcpip values written and waiting for a reboot. */
  readonly rebootPending: boolean;
  /** When Azure last evaluated the host (ISO 8601). */
  readonly evaluatedAt?: string;
}

/**
 * The Resource Graph query for a stack's assignments in one resource group. It filters with
 * `where` and keeps the table's own column names (`project` drops columns only), with `id`
 * kept for stable paging.
 */
export function assignmentQuery(subscriptionId: string, resourceGroup: string, assignmentName: string = MACHINE_CONFIGURATION_NAME): string {
  return [
    GUEST_CONFIGURATION_TABLE,
    `| where type =~ ${kqlString(ASSIGNMENT_TYPE)}`,
    `| where subscriptionId =~ ${kqlString(subscriptionId)} and resourceGroup =~ ${kqlString(resourceGroup)}`,
    `| where name =~ ${kqlString(assignmentName)}`,
    "| project id, name, type, resourceGroup, subscriptionId, properties",
    "| order by id asc",
  ].join("\n");
}

/** The VM a row belongs to: the last segment of `targetResourceId`, else of the VM part of `id`. */
export function rowVmName(row: AssignmentRow): string | undefined {
  const target = row.properties?.targetResourceId;
  const vmId = target ?? row.id.split(/\/providers\/Microsoft\.GuestConfiguration\//i)[0];
  const match = /\/virtualMachines\/([^/]+)\/?$/i.exec(vmId);
  return match ? match[1] : undefined;
}

/** Indexes rows by VM name (lower case, as Azure names are case-insensitive). */
export function rowsByVm(rows: readonly AssignmentRow[]): Map<string, AssignmentRow> {
  const out = new Map<string, AssignmentRow>();
  for (const row of rows) {
    const vm = rowVmName(row);
    if (vm !== undefined) out.set(vm.toLowerCase(), row);
  }
  return out;
}

/** A reason of our resource split into its setting and values; undefined when it is not in our form. */
export interface ParsedReason {
  readonly setting: string;
  readonly sentence: string;
  readonly actual: string;
  readonly desired: string;
}

/**
 * Parses a reason of the form `MailhostTcpTuning:MailhostTcpTuning:<Setting>` with a phrase that
 * ends in `actual=<value>; desired=<value>`. Returns undefined for any other form.
 */
export function parseReason(reason: AssignmentReason): ParsedReason | undefined {
  const code = reason.code ?? "";
  if (!code.startsWith(REASON_CODE_PREFIX)) return undefined;
  const setting = code.slice(REASON_CODE_PREFIX.length);
  const match = /^(.*?)\s*actual=(.*?); desired=(.*?)\s*$/s.exec(reason.phrase ?? "");
  if (setting === "" || !match) return undefined;
  return { setting, sentence: match[1].trim(), actual: match[2].trim(), desired: match[3].trim() };
}

/** The effective value Windows uses for a Tcpip DWORD reported as `actual` (plain digits, or absent / wrong kind → the default). */
function effectiveDword(actual: string, windowsDefault: number | null): number | null {
  if (/^\d+$/.test(actual)) return Number(actual);
  return windowsDefault;
}

function parseRange(text: string): { start: number; count: number } | undefined {
  const m = /^(\d+)\+(\d+)$/.exec(text);
  return m ? { start: Number(m[1]), count: Number(m[2]) } : undefined;
}

function rangeDangerous(actual: string): boolean {
  const r = parseRange(actual) ?? { start: WINDOWS_DEFAULTS.dynamicPortRangeStart, count: WINDOWS_DEFAULTS.dynamicPortRangeCount };
  return !inRange(r.start, DYNAMIC_PORT_RANGE_START) || !inRange(r.count, DYNAMIC_PORT_RANGE_COUNT) || r.start + r.count - 1 > HIGHEST_PORT;
}

/**
 * The settings our resource writes reasons for (guest module, `Get-MailhostTcpTuningReason`):
 * `MailhostTcpTuning:MailhostTcpTuning:<Setting>`. A code with our prefix and another setting
 * was not written by this module's resource.
 */
export const OUR_REASON_SETTINGS: readonly string[] = [
  "MaxUserPort",
  "TcpTimedWaitDelay",
  "DynamicPortRangeIPv4",
  "DynamicPortRangeIPv6",
  "AutoReusePortRange",
  "SiteConfig",
  "MailboxCacheTTL",
  "RebootPending",
  "LcmConfiguration",
];

/** What our resource writes as `actual` for a value it could not read (guest module: "cannot be read ... actual=unreadable"). */
export const UNREADABLE_ACTUAL = "unreadable";

/** A reason as Azure gave it, for an operator: `<code>: <phrase>`. */
export function reasonText(reason: AssignmentReason): string {
  return `${reason.code ?? "(no code)"}: ${reason.phrase ?? ""}`.trim();
}

/**
 * Maps one reason onto the per-setting table the run-command source uses. Only a reason our
 * resource wrote about a value it read is `drifted`; a reason in any other form (an agent error
 * such as "failed to compute compliance status", another resource, a setting our resource does
 * not report) or a value our resource could not read is `unknown`, shown as Azure gave it.
 */
export function reasonToSetting(reason: AssignmentReason, tuning: TuningPlan): SettingDrift {
  const parsed = parseReason(reason);
  if (!parsed || !OUR_REASON_SETTINGS.includes(parsed.setting)) {
    return {
      setting: "Machine Configuration reason",
      configKey: "mailhost:tcp",
      desired: "a reason of MailhostTcpTuning",
      actual: reasonText(reason),
      status: "unknown",
      dangerous: false,
    };
  }
  const mapped = measuredSetting(parsed, reason, tuning);
  if (parsed.actual === UNREADABLE_ACTUAL) return { ...mapped, actual: `could not be read (${parsed.sentence})`, status: "unknown", dangerous: false };
  return mapped;
}

function measuredSetting(parsed: ParsedReason, reason: AssignmentReason, tuning: TuningPlan): SettingDrift {
  const range = `${tuning.dynamicPortRangeStart}+${tuning.dynamicPortRangeCount}`;
  switch (parsed.setting) {
    case "MaxUserPort": {
      const effective = effectiveDword(parsed.actual, WINDOWS_DEFAULTS.maxUserPort);
      return {
        setting: "MaxUserPort",
        configKey: "mailhost:tcp.maxUserPort",
        desired: String(tuning.maxUserPort),
        actual: parsed.actual,
        status: "drifted",
        dangerous: effective !== null && !inRange(effective, MAX_USER_PORT),
      };
    }
    case "TcpTimedWaitDelay": {
      const effective = effectiveDword(parsed.actual, WINDOWS_DEFAULTS.tcpTimedWaitDelay) ?? WINDOWS_DEFAULTS.tcpTimedWaitDelay;
      return {
        setting: "TcpTimedWaitDelay",
        configKey: "mailhost:tcp.tcpTimedWaitDelay",
        desired: `${tuning.tcpTimedWaitDelay} s`,
        actual: parsed.actual,
        status: "drifted",
        dangerous: !inRange(effective, TCP_TIMED_WAIT_DELAY),
      };
    }
    case "DynamicPortRangeIPv4":
      return {
        setting: "DynamicPortRange",
        configKey: "mailhost:tcp.dynamicPortRange",
        desired: range,
        actual: parsed.actual,
        status: "drifted",
        dangerous: rangeDangerous(parsed.actual),
      };
    case "DynamicPortRangeIPv6":
      return {
        setting: "DynamicPortRange (IPv6)",
        configKey: "mailhost:tcp.dynamicPortRange",
        desired: range,
        actual: parsed.actual,
        status: "drifted",
        dangerous: rangeDangerous(parsed.actual),
      };
    case "AutoReusePortRange":
      return {
        setting: "AutoReusePortRange",
        configKey: "mailhost:tcp.autoReusePortRange",
        desired: tuning.autoReusePortRange === undefined ? parsed.desired : `${tuning.autoReusePortRange.start}+${tuning.autoReusePortRange.count}`,
        actual: parsed.actual,
        status: "drifted",
        dangerous: /^0\+0$/.test(parsed.actual.trim()),
      };
    case "SiteConfig":
      return {
        setting: "SiteConfig.cfg",
        configKey: "mailhost:siteConfig",
        desired: `sha256 ${tuning.siteConfigSha256.slice(0, 12)}…`,
        actual: parsed.actual,
        status: "drifted",
        dangerous: /missing|absent/i.test(parsed.actual),
      };
    case "MailboxCacheTTL": {
      const ttl = /^\d+$/.test(parsed.actual) ? Number(parsed.actual) : null;
      return {
        setting: "MailboxCacheTTL",
        configKey: "mailhost:siteConfig.mailboxCacheTtl",
        desired: `${tuning.mailboxCacheTtl} s (floor ${tuning.effectiveTtlFloor} s)`,
        actual: parsed.actual,
        status: "drifted",
        dangerous: ttl === null || ttl < tuning.effectiveTtlFloor,
      };
    }
    case "RebootPending":
      return {
        setting: "PendingReboot",
        configKey: "mailhost:tcp",
        desired: "Tcpip values in effect",
        actual: `${parsed.sentence} (${parsed.actual})`.trim(),
        status: "drifted",
        dangerous: false,
      };
    case "LcmConfiguration":
      return {
        setting: "LcmConfigurationMode",
        configKey: "mailhost:tcp.tuning",
        desired: parsed.desired,
        actual: parsed.actual,
        status: "drifted",
        dangerous: false,
      };
    default:
      return {
        setting: "Machine Configuration reason",
        configKey: "mailhost:tcp",
        desired: parsed.desired,
        actual: reasonText(reason),
        status: "unknown",
        dangerous: false,
      };
  }
}

/** `[Type]Instance;Property` → value of the row's `configurationParameter`. */
function rowParameters(row: AssignmentRow): Map<string, string> | undefined {
  const list = row.properties?.guestConfiguration?.configurationParameter;
  if (list === undefined) return undefined;
  return new Map(list.filter((p) => typeof p.name === "string").map((p) => [p.name as string, String(p.value ?? "")]));
}

export interface JudgeOptions {
  /** The time of the check (ms since the epoch). */
  readonly now: number;
  /** Reports older than this are stale (minutes). Defaults to {@link DEFAULT_MAX_AGE_MINUTES}. */
  readonly maxAgeMinutes?: number;
}

/**
 * The verdict on one host from its assignment row (undefined when Resource Graph has none):
 * - no row, `Pending`, a report older than `maxAgeMinutes`, a package or parameters other than
 *   the plan builds (when `expected` is given), or an invalid package → `unknown`, with the reason;
 * - `Compliant` → `in-sync`;
 * - a plan with parameters and an assignment with a missing or empty `configurationParameter`
 *   list → `unknown` (Azure echoes the list it was given: REST example
 *   createOrUpdateGuestConfigurationAssignment.json, 2024-04-05);
 * - `NonCompliant` → `drifted` only when every reason is one our resource wrote about a value it
 *   read (each mapped onto the per-setting table). A report with no per-resource result, no
 *   reason, a reason in another form (an agent error, a rejected package) or a value our resource
 *   could not read → `unknown`, with the reason as Azure gave it. Unknown is never remediated.
 */
export function judgeAssignment(
  row: AssignmentRow | undefined,
  tuning: TuningPlan,
  expected: ExpectedAssignment | undefined,
  options: JudgeOptions,
): GraphHostVerdict {
  if (row === undefined) {
    return {
      status: "unknown",
      reason: `no ${MACHINE_CONFIGURATION_NAME} guest configuration assignment in Azure Resource Graph (not deployed yet, or the guest configuration extension has not reported)`,
      settings: [],
      rebootPending: false,
    };
  }
  const props = row.properties ?? {};
  const evaluatedAt = props.lastComplianceStatusChecked ?? undefined;
  const status = props.complianceStatus ?? props.latestAssignmentReport?.complianceStatus;
  const unknown = (reason: string): GraphHostVerdict => ({ status: "unknown", reason, settings: [], rebootPending: false, evaluatedAt });

  const actualHash = props.guestConfiguration?.contentHash;
  // Without an expectation (a host of another stack, read across a scope), compliance alone is judged.
  if (expected !== undefined && (actualHash === undefined || actualHash.toLowerCase() !== expected.contentHash.toLowerCase())) {
    return unknown(
      `the assignment carries package ${actualHash ? `${actualHash.slice(0, 12)}…` : "(no contentHash)"}, the plan builds ${expected.contentHash.slice(0, 12)}…: apply the stack (pulumi up) first`,
    );
  }
  const params = rowParameters(row);
  const expectedNames = expected === undefined ? [] : Object.keys(expected.parameters);
  if (expectedNames.length > 0 && (params === undefined || params.size === 0)) {
    return unknown(
      `the assignment reports ${params === undefined ? "no configurationParameter list" : "an empty configurationParameter list"}, the plan sets ${expectedNames.length} (${expectedNames.join(", ")}): the values the host is checked against cannot be confirmed`,
    );
  }
  if (params !== undefined && expected !== undefined) {
    const differing = Object.entries(expected.parameters)
      .filter(([name, value]) => params.get(name) !== value)
      .map(([name]) => name);
    if (differing.length > 0) return unknown(`the assignment's parameters differ from the plan (${differing.join(", ")}): apply the stack (pulumi up) first`);
  }
  const resources = props.latestAssignmentReport?.resources ?? [];
  if (resources.some((r) => r.resourceId === INVALID_PACKAGE_RESOURCE_ID)) return unknown("Machine Configuration reports an invalid assignment package");
  if (status === undefined || /^pending$/i.test(status)) return unknown("Pending: Machine Configuration has not evaluated the assignment yet");

  const maxAge = options.maxAgeMinutes ?? DEFAULT_MAX_AGE_MINUTES;
  const evaluatedMs = evaluatedAt ? Date.parse(evaluatedAt) : Number.NaN;
  if (!Number.isFinite(evaluatedMs)) return unknown("the assignment has no evaluation time");
  const ageMinutes = (options.now - evaluatedMs) / 60_000;
  if (ageMinutes > maxAge) return unknown(`the last evaluation (${evaluatedAt}) is ${Math.round(ageMinutes)} min old, older than ${maxAge} min`);

  if (/^compliant$/i.test(status)) return { status: "in-sync", settings: [], rebootPending: false, evaluatedAt };
  if (!/^noncompliant$/i.test(status)) return unknown(`unexpected compliance status ${JSON.stringify(status)}`);

  if (resources.length === 0)
    return unknown("NonCompliant, but the report has no per-resource result: the agent did not report on the MailhostTcpTuning resource");
  // A resource the report marks compliant (true, "true" or "Compliant") carries no finding, only e.g. "DSC::RESOURCE::SUCCESS".
  const reasons = resources
    .filter((r) => !/^(true|compliant)$/i.test(String(r.complianceStatus)))
    .flatMap((r) => r.reasons ?? [])
    .filter((r) => r.code !== undefined || r.phrase !== undefined);
  if (reasons.length === 0) return unknown("NonCompliant, with no reason reported: nothing says which value differs");
  const settings = reasons.map((r) => reasonToSetting(r, tuning));
  const unmeasured = settings.filter((s) => s.status === "unknown");
  const rebootPending = settings.some((s) => s.setting === "PendingReboot");
  if (unmeasured.length > 0) {
    return {
      status: "unknown",
      reason: `Machine Configuration could not measure the host: ${unmeasured.map((s) => s.actual).join("; ")}`,
      settings,
      rebootPending,
      evaluatedAt,
    };
  }
  return { status: "drifted", settings, rebootPending, evaluatedAt };
}
