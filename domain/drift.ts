/**
 * In-guest drift: what the read-only collector reports from a Windows host, compared with the
 * desired state of the plan. Pure: parsing and comparison only.
 */
import Ajv from "ajv";
import { type ConfigIssue } from "./issues";
import { autoReusePortRangeProblems } from "./rules";
import { DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START, HIGHEST_PORT, MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS, inRange } from "./limits";
import { type TuningPlan } from "./plan";

/** What `guest/collector/Get-MailhostState.ps1` prints (one compact JSON document). */
export interface CollectorReport {
  readonly MaxUserPort: number | null;
  readonly TcpTimedWaitDelay: number | null;
  readonly DynamicPortRangeStartPort: number | null;
  readonly DynamicPortRangeNumberOfPorts: number | null;
  readonly MailboxCacheTTL: number | null;
  readonly SiteConfigSha256: string | null;
  readonly RebootPending: boolean;
  readonly LcmConfigurationMode: string | null;
  readonly CollectedAt: string;
  /** IPv6 range (the tuning sets both); older collectors may omit it. */
  readonly DynamicPortRangeIPv6StartPort?: number | null;
  readonly DynamicPortRangeIPv6NumberOfPorts?: number | null;
  /**
   * The configured auto-reuse port range (Get-NetTCPSetting; 0 ports: off, Windows' default). In
   * effect only after a reboot. Older collectors omit it; null with an Errors entry
   * `AutoReusePortRange: ...` when it could not be read or the templates differ.
   */
  readonly AutoReusePortRangeStartPort?: number | null;
  readonly AutoReusePortRangeNumberOfPorts?: number | null;
  /** Which reboot checks fired: `MailhostIacMarker`/`MailhostIacUntilBoot` are the tuning's own. */
  readonly RebootPendingReasons?: readonly string[];
  /** `<what>: <message>` for each value that could not be read (its field is then null). */
  readonly Errors?: readonly string[];
  /**
   * Registry values of the wrong kind (their field is null and Errors says
   * `<Name>: value is <Kind>, not DWord`): the .NET `RegistryValueKind` name and the data as text
   * (at most 40 characters). Older collectors omit it.
   */
  readonly WrongKind?: Readonly<Record<string, { readonly Kind: string; readonly Data?: string }>>;
  /**
   * A port-usage reading taken by the collector (the same counting as the guest's sampler): used
   * local ports of the pool the host has (`hostPool`: the dynamic range; `perBackend`: the
   * auto-reuse range), those in TIME_WAIT, and the busiest back end. Older collectors omit it;
   * absent with an Errors entry `PortUsage: ...` when the connections could not be read.
   */
  readonly PortUsage?: PortUsageReading | null;
}

/** One port-usage reading of a host, as the collector reports it. */
export interface PortUsageReading {
  readonly Model: "hostPool" | "perBackend";
  readonly Ports: number;
  readonly TimeWait: number;
  readonly Budget: number;
  readonly BusiestEndpoint: string | null;
  readonly BusiestEndpointPorts: number | null;
}

/** A reading in words for `mailhost drift`: `1234/55535 ports (800 in TIME_WAIT); busiest 10.0.0.4:993: 400`. */
export function portUsageReadingText(r: PortUsageReading): string {
  const busiest = r.BusiestEndpoint === null ? "" : `; busiest back end ${r.BusiestEndpoint}: ${r.BusiestEndpointPorts}`;
  const pool = r.Model === "hostPool" ? "of the host's dynamic range" : "of the auto-reuse range (per back end)";
  return `${r.Ports}/${r.Budget} ports ${pool} in use or TIME_WAIT (${r.TimeWait} in TIME_WAIT)${busiest}`;
}

/** Reboot reasons that mean: our Tcpip values are written but not in effect yet. */
export const TUNING_REBOOT_REASONS: readonly string[] = ["MailhostIacMarker", "MailhostIacUntilBoot"];

const nullableInt = { type: ["integer", "null"] } as const;
const collectorSchema = {
  type: "object",
  required: [
    "MaxUserPort",
    "TcpTimedWaitDelay",
    "DynamicPortRangeStartPort",
    "DynamicPortRangeNumberOfPorts",
    "MailboxCacheTTL",
    "SiteConfigSha256",
    "RebootPending",
    "LcmConfigurationMode",
    "CollectedAt",
  ],
  properties: {
    MaxUserPort: nullableInt,
    TcpTimedWaitDelay: nullableInt,
    DynamicPortRangeStartPort: nullableInt,
    DynamicPortRangeNumberOfPorts: nullableInt,
    MailboxCacheTTL: nullableInt,
    SiteConfigSha256: { type: ["string", "null"], pattern: "^[0-9a-fA-F]{64}$" },
    RebootPending: { type: "boolean" },
    LcmConfigurationMode: { type: ["string", "null"] },
    CollectedAt: { type: "string", minLength: 1 },
    DynamicPortRangeIPv6StartPort: nullableInt,
    DynamicPortRangeIPv6NumberOfPorts: nullableInt,
    AutoReusePortRangeStartPort: nullableInt,
    AutoReusePortRangeNumberOfPorts: nullableInt,
    RebootPendingReasons: { type: "array", items: { type: "string" } },
    Errors: { type: "array", items: { type: "string" } },
    PortUsage: {
      type: ["object", "null"],
      required: ["Model", "Ports", "TimeWait", "Budget"],
      properties: {
        Model: { enum: ["hostPool", "perBackend"] },
        Ports: { type: "integer", minimum: 0 },
        TimeWait: { type: "integer", minimum: 0 },
        Budget: { type: "integer", minimum: 0 },
        BusiestEndpoint: { type: ["string", "null"] },
        BusiestEndpointPorts: { type: ["integer", "null"] },
      },
    },
    WrongKind: {
      type: "object",
      additionalProperties: { type: "object", required: ["Kind"], properties: { Kind: { type: "string" }, Data: { type: ["string", "null"] } } },
    },
  },
} as const;
const validateReport = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false }).compile<CollectorReport>(collectorSchema);

export type ParsedCollector = { readonly ok: true; readonly report: CollectorReport } | { readonly ok: false; readonly reason: string };

/**
 * Reads the collector's stdout: the last line that is a JSON object (Run Command may prepend
 * noise and keeps only the last 4,096 bytes). Any string yields a verdict; nothing throws.
 */
export function parseCollectorOutput(stdout: unknown): ParsedCollector {
  if (typeof stdout !== "string" || stdout.trim() === "") return { ok: false, reason: "the collector printed nothing" };
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  let candidate: unknown;
  let found = false;
  for (let i = lines.length - 1; i >= 0 && !found; i--) {
    if (!lines[i].startsWith("{")) continue;
    try {
      candidate = JSON.parse(lines[i]);
      found = candidate !== null && typeof candidate === "object" && !Array.isArray(candidate);
    } catch {
      // Truncated or not JSON: keep looking further up.
    }
  }
  if (!found) {
    const tail = lines[lines.length - 1] ?? "";
    return { ok: false, reason: `the collector's output is not a JSON document (it ends with ${JSON.stringify(tail.slice(-60))}); it may have been truncated` };
  }
  if (!validateReport(candidate)) {
    const problems = (validateReport.errors ?? []).map((e) => `${e.instancePath || "document"} ${e.message ?? "is invalid"}`.trim());
    return { ok: false, reason: `the collector's document is incomplete: ${problems.slice(0, 4).join("; ")}` };
  }
  return { ok: true, report: candidate };
}

export type SettingStatus = "in-sync" | "drifted" | "unknown";

/** One setting of one host. */
export interface SettingDrift {
  readonly setting:
    | "MaxUserPort"
    | "TcpTimedWaitDelay"
    | "DynamicPortRange"
    | "DynamicPortRange (IPv6)"
    | "AutoReusePortRange"
    | "MailboxCacheTTL"
    | "SiteConfig.cfg"
    | "LcmConfigurationMode"
    | "PendingReboot"
    | "Machine Configuration reason";
  /** Config key the setting comes from, for annotations. */
  readonly configKey: string;
  readonly desired: string;
  readonly actual: string;
  readonly status: SettingStatus;
  /** Drift to a value outside the valid range (or no value where one is needed): act now. */
  readonly dangerous: boolean;
}

/** Desired state of one host, from the plan. */
export interface DesiredHost {
  readonly tuning: TuningPlan;
}

const absent = (windowsDefault: string) => `absent (Windows default ${windowsDefault})`;

/**
 * REG_* names of the .NET `RegistryValueKind` names the collector reports
 * (learn.microsoft.com: RegistryValueKind enum; Windows "Registry value types").
 */
export const REGISTRY_VALUE_TYPES: Readonly<Record<string, string>> = {
  String: "REG_SZ",
  ExpandString: "REG_EXPAND_SZ",
  Binary: "REG_BINARY",
  DWord: "REG_DWORD",
  MultiString: "REG_MULTI_SZ",
  QWord: "REG_QWORD",
  None: "REG_NONE",
};

/** A registry value that exists with a kind TCP/IP does not read (it then uses its default). */
export interface WrongKindValue {
  /** REG_* name, e.g. `REG_SZ`. */
  readonly type: string;
  /** The data as the collector rendered it, when it did (newer collectors). */
  readonly data?: string;
}

/** The collector's Errors entry for a value of the wrong kind (the contract's older form). */
const WRONG_KIND_ERROR = /^(\w+): value is (\w+), not DWord\.?$/;

/** True when an Errors entry only says that a value has the wrong kind (judged as drift, not unknown). */
export function isWrongKindError(entry: string): boolean {
  return WRONG_KIND_ERROR.test(entry);
}

function registryType(kind: string): string {
  return REGISTRY_VALUE_TYPES[kind] ?? (kind === "Unknown" ? "an unsupported registry type" : `registry kind ${kind}`);
}

/**
 * The wrong-kind value of `name`, from the `WrongKind` field or, for older collectors, from the
 * Errors entry `<name>: value is <Kind>, not DWord`; undefined when the value is not of the wrong kind.
 */
export function wrongKindOf(report: CollectorReport, name: string): WrongKindValue | undefined {
  const rich = report.WrongKind?.[name];
  if (rich !== undefined) return { type: registryType(rich.Kind), ...(typeof rich.Data === "string" ? { data: rich.Data } : {}) };
  for (const entry of report.Errors ?? []) {
    const m = WRONG_KIND_ERROR.exec(entry);
    if (m && m[1] === name) return { type: registryType(m[2]) };
  }
  return undefined;
}

/** `REG_SZ "30", ignored: Windows uses <the Windows default>`. */
function wrongKindText(value: WrongKindValue, effective: string): string {
  return `${value.type}${value.data !== undefined ? ` ${JSON.stringify(value.data)}` : ""}, ignored: Windows uses ${effective}`;
}

/** The collector's error for a value (its field is then null), if it reported one. */
function readError(report: CollectorReport, label: string): string | undefined {
  return report.Errors?.find((e) => e.startsWith(`${label}:`) || e.startsWith(`${label} `));
}

/** The collector's error about the SiteConfig.cfg path (labelled by its parameter, old or new name). */
function siteConfigPathError(report: CollectorReport): string | undefined {
  return readError(report, "SiteConfigPath") ?? readError(report, "SiteConfigPathBase64Url");
}

function unreadable(setting: SettingDrift["setting"], configKey: string, desired: string, error: string): SettingDrift {
  return { setting, configKey, desired, actual: `could not be read (${error})`, status: "unknown", dangerous: false };
}

function portRange(setting: SettingDrift["setting"], desired: TuningPlan, start: number | null, count: number | null, error: string | undefined): SettingDrift {
  const configKey = "mailhost:tcp.dynamicPortRange";
  const wanted = `${desired.dynamicPortRangeStart}+${desired.dynamicPortRangeCount}`;
  if (start === null || count === null) return unreadable(setting, configKey, wanted, error ?? "netsh gave no range");
  return {
    setting,
    configKey,
    desired: wanted,
    actual: `${start}+${count}`,
    status: start === desired.dynamicPortRangeStart && count === desired.dynamicPortRangeCount ? "in-sync" : "drifted",
    dangerous: !inRange(start, DYNAMIC_PORT_RANGE_START) || !inRange(count, DYNAMIC_PORT_RANGE_COUNT) || start + count - 1 > HIGHEST_PORT,
  };
}

/**
 * The auto-reuse port range against the plan. Managed (`tcp.autoReusePortRange` set): in sync when
 * the configured range equals it (while the reboot marker stands, it is configured, not yet in
 * effect: the PendingReboot line says so); dangerous when it is off or not a valid subset of the
 * planned dynamic range, because the floor was derived per back end. Left alone: only a range the
 * host has anyway (not 0) is shown, as drift, since the capacity model then counts one pool per
 * host while the mail service's connections may draw from that range. Undefined when there is
 * nothing to say (older collectors, an unmanaged range that is off).
 */
function autoReuseDrift(desired: TuningPlan, report: CollectorReport): SettingDrift | undefined {
  const configKey = "mailhost:tcp.autoReusePortRange";
  const start = report.AutoReusePortRangeStartPort;
  const count = report.AutoReusePortRangeNumberOfPorts;
  const planned = desired.autoReusePortRange;
  const pending = (report.RebootPendingReasons ?? []).some((r) => TUNING_REBOOT_REASONS.includes(r));
  const configured = (s: number, c: number) => (c === 0 ? "0+0 (off)" : `${s}+${c}${pending ? " (configured, in effect after the pending reboot)" : ""}`);
  if (planned === undefined) {
    if (start === undefined || start === null || count === undefined || count === null || count === 0) return undefined;
    return {
      setting: "AutoReusePortRange",
      configKey,
      desired: "not set (left as it is; the capacity model counts one port pool per host)",
      actual: configured(start, count),
      status: "drifted",
      dangerous: false,
    };
  }
  const wanted = `${planned.start}+${planned.count}`;
  if (start === undefined || count === undefined)
    return unreadable("AutoReusePortRange", configKey, wanted, "the collector does not report it (an older collector)");
  if (start === null || count === null)
    return unreadable("AutoReusePortRange", configKey, wanted, readError(report, "AutoReusePortRange") ?? "Get-NetTCPSetting gave no range");
  return {
    setting: "AutoReusePortRange",
    configKey,
    desired: wanted,
    actual: configured(start, count),
    status: start === planned.start && count === planned.count ? "in-sync" : "drifted",
    dangerous: count === 0 || autoReusePortRangeProblems(start, count, desired.dynamicPortRangeStart, desired.dynamicPortRangeCount).length > 0,
  };
}

/**
 * Compares one host's collector report with its desired tuning, setting by setting. An absent
 * registry value counts as Windows' default; so does a value of the wrong kind (TCP/IP reads
 * these values only as REG_DWORD), which is drift; a value the collector could not read is unknown.
 */
export function compareHost(desired: TuningPlan, report: CollectorReport): SettingDrift[] {
  const out: SettingDrift[] = [];

  // MaxUserPort: absent means no legacy cap (the dynamic range alone decides). A value of the
  // wrong kind is ignored by TCP/IP, so it counts as absent, and it is drift to be rewritten.
  const mup = report.MaxUserPort;
  const mupWrong = mup === null ? wrongKindOf(report, "MaxUserPort") : undefined;
  const mupError = mup === null && mupWrong === undefined ? readError(report, "MaxUserPort") : undefined;
  const noCap = "none: no legacy cap";
  out.push(
    mupError
      ? unreadable("MaxUserPort", "mailhost:tcp.maxUserPort", String(desired.maxUserPort), mupError)
      : {
          setting: "MaxUserPort",
          configKey: "mailhost:tcp.maxUserPort",
          desired: String(desired.maxUserPort),
          actual: mupWrong ? wrongKindText(mupWrong, WINDOWS_DEFAULTS.maxUserPort ?? "no legacy cap") : mup === null ? absent(noCap) : String(mup),
          status: mup === desired.maxUserPort ? "in-sync" : "drifted",
          dangerous: mup !== null && !inRange(mup, MAX_USER_PORT),
        },
  );

  // TcpTimedWaitDelay: absent or of the wrong kind means the Windows default.
  const twd = report.TcpTimedWaitDelay;
  const twdWrong = twd === null ? wrongKindOf(report, "TcpTimedWaitDelay") : undefined;
  const twdError = twd === null && twdWrong === undefined ? readError(report, "TcpTimedWaitDelay") : undefined;
  const effectiveTimeWait = twd ?? WINDOWS_DEFAULTS.tcpTimedWaitDelay;
  out.push(
    twdError
      ? unreadable("TcpTimedWaitDelay", "mailhost:tcp.tcpTimedWaitDelay", `${desired.tcpTimedWaitDelay} s`, twdError)
      : {
          setting: "TcpTimedWaitDelay",
          configKey: "mailhost:tcp.tcpTimedWaitDelay",
          desired: `${desired.tcpTimedWaitDelay} s`,
          actual: twdWrong
            ? wrongKindText(twdWrong, `${WINDOWS_DEFAULTS.tcpTimedWaitDelay} s`)
            : twd === null
              ? absent(`${WINDOWS_DEFAULTS.tcpTimedWaitDelay} s`)
              : `${twd} s`,
          // A wrong-kind value is drift even when the default it falls back to is the desired value.
          status: twdWrong === undefined && effectiveTimeWait === desired.tcpTimedWaitDelay ? "in-sync" : "drifted",
          dangerous: !inRange(effectiveTimeWait, TCP_TIMED_WAIT_DELAY),
        },
  );

  out.push(
    portRange("DynamicPortRange", desired, report.DynamicPortRangeStartPort, report.DynamicPortRangeNumberOfPorts, readError(report, "DynamicPortRange ipv4")),
  );
  if (report.DynamicPortRangeIPv6StartPort !== undefined || report.DynamicPortRangeIPv6NumberOfPorts !== undefined) {
    out.push(
      portRange(
        "DynamicPortRange (IPv6)",
        desired,
        report.DynamicPortRangeIPv6StartPort ?? null,
        report.DynamicPortRangeIPv6NumberOfPorts ?? null,
        readError(report, "DynamicPortRange ipv6"),
      ),
    );
  }

  const autoReuse = autoReuseDrift(desired, report);
  if (autoReuse !== undefined) out.push(autoReuse);

  const ttl = report.MailboxCacheTTL;
  const ttlDesired = `${desired.mailboxCacheTtl} s (floor ${desired.effectiveTtlFloor} s)`;
  const ttlError = ttl === null ? (readError(report, "MailboxCacheTTL") ?? siteConfigPathError(report)) : undefined;
  out.push(
    ttlError
      ? unreadable("MailboxCacheTTL", "mailhost:siteConfig.mailboxCacheTtl", ttlDesired, ttlError)
      : {
          setting: "MailboxCacheTTL",
          configKey: "mailhost:siteConfig.mailboxCacheTtl",
          desired: ttlDesired,
          actual: ttl === null ? "absent" : `${ttl} s`,
          status: ttl === desired.mailboxCacheTtl ? "in-sync" : "drifted",
          // Below the floor (or gone) is what brings back WSAEADDRINUSE.
          dangerous: ttl === null || ttl < desired.effectiveTtlFloor,
        },
  );

  const sha = report.SiteConfigSha256?.toLowerCase() ?? null;
  const shaDesired = `sha256 ${desired.siteConfigSha256.slice(0, 12)}…`;
  const shaError = sha === null ? (readError(report, "SiteConfigSha256") ?? siteConfigPathError(report)) : undefined;
  out.push(
    shaError
      ? unreadable("SiteConfig.cfg", "mailhost:siteConfig", shaDesired, shaError)
      : {
          setting: "SiteConfig.cfg",
          configKey: "mailhost:siteConfig",
          desired: shaDesired,
          actual: sha === null ? "file missing" : `sha256 ${sha.slice(0, 12)}…`,
          status: sha === desired.siteConfigSha256 ? "in-sync" : "drifted",
          dangerous: sha === null,
        },
  );

  if (desired.mechanism === "dsc") {
    const mode = report.LcmConfigurationMode;
    const modeError = mode === null ? readError(report, "LcmConfigurationMode") : undefined;
    out.push(
      modeError
        ? unreadable("LcmConfigurationMode", "mailhost:tcp.tuning", "ApplyAndAutoCorrect", modeError)
        : {
            setting: "LcmConfigurationMode",
            configKey: "mailhost:tcp.tuning",
            desired: "ApplyAndAutoCorrect",
            actual: mode ?? "DSC not in use",
            status: mode === "ApplyAndAutoCorrect" ? "in-sync" : "drifted",
            dangerous: false,
          },
    );
  } else if (desired.mechanism === "machineConfiguration" && report.LcmConfigurationMode !== null) {
    // A configuration the DSC extension left behind keeps applying the old values beside Machine
    // Configuration: the two would fight over the same settings (docs/MACHINE-CONFIGURATION.md, moving from dsc).
    out.push({
      setting: "LcmConfigurationMode",
      configKey: "mailhost:tcp.tuning",
      desired: "no DSC extension configuration (Machine Configuration tunes this host)",
      actual: `leftover LCM configuration in ${report.LcmConfigurationMode}`,
      status: "drifted",
      dangerous: false,
    });
  }

  // Tcpip values written by the tuning but not in effect until the host reboots.
  const tuningReboot = (report.RebootPendingReasons ?? []).filter((r) => TUNING_REBOOT_REASONS.includes(r));
  if (tuningReboot.length > 0) {
    out.push({
      setting: "PendingReboot",
      configKey: "mailhost:tcp",
      desired: desired.autoReusePortRange === undefined ? "Tcpip values in effect" : "Tcpip values and the auto-reuse port range in effect",
      actual: "written, in effect after the next reboot",
      status: "drifted",
      dangerous: false,
    });
  }
  return out;
}

/** A host's overall status: unknown beats drifted beats in-sync. */
export function hostStatus(settings: readonly SettingDrift[]): SettingStatus {
  if (settings.some((s) => s.status === "unknown")) return "unknown";
  return settings.some((s) => s.status === "drifted") ? "drifted" : "in-sync";
}

/** Issues in the shape config errors use, for annotations. */
export function driftIssues(host: string, settings: readonly SettingDrift[]): ConfigIssue[] {
  return settings
    .filter((s) => s.status !== "in-sync")
    .map((s) => ({
      path: s.configKey,
      message: `${host}: ${s.setting} is ${s.actual}, desired ${s.desired}${s.dangerous ? " (dangerous: outside the safe range)" : ""}.`,
    }));
}
