/**
 * The one place where every numeric range, default and recommendation of mailhost-iac lives.
 *
 * Components, the config JSON Schema, the policy pack, the drift check and the
 * configuration reference (docs/CONFIGURATION.md) all read these values. Never write one of these numbers anywhere else:
 * import it from here. What each value is and its public source (Microsoft KB 319502, Microsoft
 * Learn) are in docs/SETTINGS.md.
 */

/** An inclusive integer range with the unit it is measured in. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
  /** Unit shown in messages and docs, e.g. "seconds". */
  readonly unit: string;
}

/** Highest TCP port number. A dynamic port range may not end above it. */
export const HIGHEST_PORT = 65535;

/** Ports up to this one are well-known/reserved; the legacy ephemeral range starts right after it. */
export const HIGHEST_RESERVED_PORT = 1024;

/** Fewest ports Windows accepts in a dynamic port range (`netsh ... num=`). */
export const MIN_DYNAMIC_PORT_COUNT = 255;

/** `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\TcpTimedWaitDelay`, REG_DWORD. */
export const TCP_TIMED_WAIT_DELAY = { min: 30, max: 300, unit: "seconds" } as const satisfies IntRange;

/** `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\MaxUserPort`, REG_DWORD. */
export const MAX_USER_PORT = { min: 5000, max: 65534, unit: "port number" } as const satisfies IntRange;

/** First port of the dynamic (ephemeral) port range: above the reserved ports, room for the smallest range. */
export const DYNAMIC_PORT_RANGE_START = {
  min: HIGHEST_RESERVED_PORT + 1,
  max: HIGHEST_PORT - MIN_DYNAMIC_PORT_COUNT + 1,
  unit: "port number",
} as const satisfies IntRange;

/** Number of ports in the dynamic port range. */
export const DYNAMIC_PORT_RANGE_COUNT = {
  min: MIN_DYNAMIC_PORT_COUNT,
  max: HIGHEST_PORT - HIGHEST_RESERVED_PORT,
  unit: "ports",
} as const satisfies IntRange;

/**
 * Ports of the dynamic range that must stay OUTSIDE the auto-reuse port range
 * (`tcp.autoReusePortRange`). Connections that cannot use the auto-reuse range (a socket bound
 * before connect(), clients older than .NET 6, anything that does not set SO_REUSE_UNICASTPORT)
 * draw from the rest of the dynamic range, one pool for the whole host. Microsoft's docs do not say
 * how much of it must stay free, so this takes the reading that cannot hurt a host: at least the
 * pool Windows itself gave every host for all its outbound connections by default up to Server
 * 2003, ports 1025..5000 (KB 319502: MaxUserPort's default and minimum), 3976 ports, far above
 * the smallest dynamic range Windows accepts ({@link MIN_DYNAMIC_PORT_COUNT}).
 */
export const MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE = MAX_USER_PORT.min - HIGHEST_RESERVED_PORT;

/**
 * First port of the auto-reuse port range (`Set-NetTCPSetting -AutoReusePortRangeStartPort`,
 * UInt16). It must lie strictly inside the dynamic port range (checked across fields).
 */
export const AUTO_REUSE_PORT_RANGE_START = {
  min: DYNAMIC_PORT_RANGE_START.min,
  max: HIGHEST_PORT - MIN_DYNAMIC_PORT_COUNT + 1,
  unit: "port number",
} as const satisfies IntRange;

/**
 * Number of ports of the auto-reuse port range (`-AutoReusePortRangeNumberOfPorts`; 0 switches the
 * feature off, which is Windows' default). At least as many as the smallest dynamic range Windows
 * accepts, and small enough to leave {@link MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} ports of the
 * largest dynamic range outside it.
 */
export const AUTO_REUSE_PORT_RANGE_COUNT = {
  min: MIN_DYNAMIC_PORT_COUNT,
  max: HIGHEST_PORT - HIGHEST_RESERVED_PORT - MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  unit: "ports",
} as const satisfies IntRange;

/**
 * `MailboxCacheTTL` and its configurable floor (`minimumMailboxCacheTtl`), in seconds.
 * The floor may be configured per environment but never below `min`.
 */
export const MAILBOX_CACHE_TTL = { min: 60, max: 86400, unit: "seconds" } as const satisfies IntRange;

/** Number of mail hosts in one stack. */
export const HOST_COUNT = { min: 1, max: 1000, unit: "hosts" } as const satisfies IntRange;

/** Concurrently active mailbox sessions on one host (`S` of the capacity model). */
export const ACTIVE_SESSIONS_PER_HOST = { min: 0, max: 10_000_000, unit: "sessions" } as const satisfies IntRange;

/** Distinct back-end endpoints (server IP:port) a host spreads its IMAP connections over (`B`). */
export const BACKEND_ENDPOINTS = { min: 1, max: 10_000, unit: "endpoints" } as const satisfies IntRange;

/** Planned utilisation of the port space (`u`): above 0, at most 1. */
export const UTILIZATION = { exclusiveMin: 0, max: 1, unit: "fraction of the port space" } as const;

/** Defaults applied when a stack leaves a setting out. */
export const DEFAULTS = {
  /** The tightest TIME_WAIT the enforced range allows: the most reconnects per port. */
  tcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY.min,
  /** The highest legacy cap: the largest port space. */
  maxUserPort: MAX_USER_PORT.max,
  /**
   * Start of the dynamic port range. 10000 keeps the low ports free for services that listen
   * there; the range then ends at `maxUserPort` (the project keeps range end = MaxUserPort).
   */
  dynamicPortRangeStart: 10000,
  /** Configured `MailboxCacheTTL` floor when a stack sets none. */
  minimumMailboxCacheTtl: 300,
  /** Planned utilisation of the port space. */
  utilization: 0.8,
} as const;

/** What Windows uses when a value is absent from the registry (Server 2003 and later). */
export const WINDOWS_DEFAULTS = {
  /** `TcpTimedWaitDelay` absent: 120 s (240 s on Windows 2000). */
  tcpTimedWaitDelay: 120,
  /** `MaxUserPort` absent: no legacy cap; the dynamic port range alone decides. */
  maxUserPort: null,
  /** Dynamic port range of Vista / Server 2008 and later. */
  dynamicPortRangeStart: 49152,
  dynamicPortRangeCount: 16384,
  /** Auto-reuse port range: 0 ports, the feature off (published `Get-NetTCPSetting` output). */
  autoReusePortRangeStart: 0,
  autoReusePortRangeCount: 0,
} as const;

/** Advisory recommendations (policy warnings), not hard limits. */
export const RECOMMENDED = {
  /** Exchange Server Analyzer warns when MaxUserPort is below this. */
  minimumMaxUserPort: 50000,
  /** TIME_WAIT above this wastes port space on a busy mail front end. */
  maximumTcpTimedWaitDelay: 120,
} as const;

/** IMAP and IMAPS: the only ports a mail host opens inbound. */
export const IMAP_PORTS = [143, 993] as const;

/**
 * Shortest source prefix an inbound rule may allow: /8 is the widest private block (10.0.0.0/8,
 * RFC 1918); anything shorter (0.0.0.0/0, 0.0.0.0/1, ...) covers a large share of the Internet.
 * One rule for the IMAP CIDRs of the stack config, the MailSite component and the NSG policy.
 */
export const SHORTEST_INBOUND_SOURCE_PREFIX = 8;

/** Remote management ports never to be opened from the Internet: RDP, WinRM over HTTP and HTTPS. */
export const MANAGEMENT_PORTS = [3389, 5985, 5986] as const;

/** Longest Windows computer name (NetBIOS), in characters. */
export const WINDOWS_COMPUTER_NAME_MAX_LENGTH = 15;

/** Addresses Azure reserves in every subnet (network, gateway, two DNS, broadcast). */
export const AZURE_SUBNET_RESERVED_ADDRESSES = 5;

/** Longest value a SiteConfig.cfg setting may have, in characters. */
export const SITE_CONFIG_VALUE_MAX_LENGTH = 1000;

/** Azure's rules for a Windows VM admin password (length, and 3 of 4 character classes). */
export const ADMIN_PASSWORD = { minLength: 12, maxLength: 123, characterClasses: 3 } as const;

/**
 * Lifetime of the read-only SAS on the Machine Configuration package that machines outside any
 * stack (Arc-enabled servers above all) download it with, in days from the deployment: at least a
 * day, at most a year, so that a leaked package URL stops working within a year (see
 * components/EstateTuningPolicy.ts).
 */
export const PACKAGE_SAS_LIFETIME_DAYS = { min: 1, max: 366, unit: "days" } as const satisfies IntRange;

/** Formats a range the way every message and doc of the project shows it: "30–300 (seconds)". */
export function formatRange(range: IntRange): string {
  return `${range.min}–${range.max} (${range.unit})`;
}

/** True when `value` is an integer inside `range` (both ends inclusive). */
export function inRange(value: number, range: IntRange): boolean {
  return Number.isInteger(value) && value >= range.min && value <= range.max;
}

/** Last port of a dynamic port range. */
export function dynamicPortRangeEnd(start: number, count: number): number {
  return start + count - 1;
}

// ---------------------------------------------------------------------------------------------
// Monitoring: Azure Monitor Agent, data collection rule, log search alert rules.
// ---------------------------------------------------------------------------------------------

/**
 * Tcpip 4227 events (an outgoing connect hit a local port still in TIME_WAIT towards the same
 * remote endpoint) per host per alert window above which the severity-2 alert fires.
 */
export const TIME_WAIT_COLLISION_THRESHOLD = { min: 0, max: 100_000, unit: "events per window" } as const satisfies IntRange;

/**
 * Rise of the cumulative `\TCPv4\Connection Failures` + `\TCPv6\Connection Failures` counters per
 * host per alert window above which the severity-3 alert fires.
 */
export const CONNECTION_FAILURE_THRESHOLD = { min: 1, max: 10_000_000, unit: "failed connections per window" } as const satisfies IntRange;

/**
 * Minutes without any Heartbeat row from a host after which the "stopped sending data" alert
 * fires. At least two alert evaluations, at most half the rule's look-back
 * ({@link MONITORING_SCHEDULE}.silenceLookBackMinutes), so a host that reports is always seen
 * with its last Heartbeat. (A host silent for longer than the look-back still alerts: the query
 * lists the stack's hosts, see `heartbeatQuery` in domain/monitoring.ts.)
 */
export const HEARTBEAT_SILENCE_MINUTES = { min: 10, max: 720, unit: "minutes" } as const satisfies IntRange;

/**
 * Seconds between two samples of the TCP counters. Below 10 s the Perf volume (and the bill)
 * grows for no alerting gain; above 300 s a five-minute window holds less than one sample.
 */
export const PERF_SAMPLING_INTERVAL = { min: 10, max: 300, unit: "seconds" } as const satisfies IntRange;

/**
 * Data retention of a workspace the stack creates. Pay-as-you-go (PerGB2018) workspaces keep
 * 30 days at no retention charge and accept up to 730 days of interactive retention
 * (learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure).
 */
export const LOG_ANALYTICS_RETENTION_DAYS = { min: 30, max: 730, unit: "days" } as const satisfies IntRange;

/**
 * Window of the Tcpip 4227, connection-failure and port-usage alert rules, minutes: values the
 * Azure portal offers for a log search alert rule's `windowSize` that are at least the evaluation
 * frequency. Named (an enum of the components' settings, served to other languages).
 */
export const AlertWindowMinutes = {
  /** 5 minutes. */
  Minutes5: 5,
  /** 10 minutes. */
  Minutes10: 10,
  /** 15 minutes. */
  Minutes15: 15,
  /** 30 minutes. */
  Minutes30: 30,
  /** 45 minutes. */
  Minutes45: 45,
  /** 60 minutes. */
  Minutes60: 60,
} as const;
export type AlertWindowMinutes = (typeof AlertWindowMinutes)[keyof typeof AlertWindowMinutes];
/** Window sizes (minutes) a log search alert rule may use here, in ascending order ({@link AlertWindowMinutes}). */
export const ALERT_WINDOW_MINUTES = [
  AlertWindowMinutes.Minutes5,
  AlertWindowMinutes.Minutes10,
  AlertWindowMinutes.Minutes15,
  AlertWindowMinutes.Minutes30,
  AlertWindowMinutes.Minutes45,
  AlertWindowMinutes.Minutes60,
] as const;

/** E-mail receivers of one action group (Azure Monitor service limits: 1,000 e-mail actions per action group). */
export const ACTION_GROUP_EMAIL_RECEIVERS_MAX = 1000;

/** Longest webhook URL accepted for the action group's webhook receiver, in characters. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * Corrections of one setting of one host (MailhostTcpTuning events 1001-1005 with the same id)
 * per correction window above which the "something fights the tuning" alert fires. At least 1:
 * the first run on a new host corrects every setting once, which is no fight.
 */
export const CORRECTION_THRESHOLD = { min: 1, max: 1000, unit: "corrections of one setting per window" } as const satisfies IntRange;

/**
 * Window of the correction alert rule, minutes: long enough to see a setting corrected several
 * times by a 15-minute agent cycle (Machine Configuration evaluates every 15 minutes, the DSC LCM
 * at most that often), at most a day (the log search alert rule's look-back already used by the
 * heartbeat rule, {@link MONITORING_SCHEDULE}.silenceLookBackMinutes). Named (an enum of the
 * components' settings, served to other languages).
 */
export const CorrectionWindowMinutes = {
  /** 1 hour. */
  Hours1: 60,
  /** 2 hours. */
  Hours2: 120,
  /** 3 hours. */
  Hours3: 180,
  /** 4 hours. */
  Hours4: 240,
  /** 6 hours. */
  Hours6: 360,
  /** 12 hours. */
  Hours12: 720,
  /** 24 hours. */
  Hours24: 1440,
} as const;
export type CorrectionWindowMinutes = (typeof CorrectionWindowMinutes)[keyof typeof CorrectionWindowMinutes];
/** Windows (minutes) of the correction alert, in ascending order ({@link CorrectionWindowMinutes}). */
export const CORRECTION_WINDOW_MINUTES = [
  CorrectionWindowMinutes.Hours1,
  CorrectionWindowMinutes.Hours2,
  CorrectionWindowMinutes.Hours3,
  CorrectionWindowMinutes.Hours4,
  CorrectionWindowMinutes.Hours6,
  CorrectionWindowMinutes.Hours12,
  CorrectionWindowMinutes.Hours24,
] as const;

/**
 * `SNATConnectionCount` with `ConnectionState` = Failed, summed over {@link NAT_GATEWAY_ALERT_SCHEDULE}
 * windowMinutes, above which the NAT gateway alert fires. Azure Monitor Baseline Alerts
 * (Azure/azure-monitor-baseline-alerts services/Network/natGateways/alerts.yaml) use Total > 0 over PT5M.
 */
export const NAT_SNAT_FAILED_CONNECTION_THRESHOLD = { min: 0, max: 1_000_000, unit: "failed SNAT connections per window" } as const satisfies IntRange;

/**
 * `PacketDropCount` of the NAT gateway, summed over the window, above which its alert fires.
 * Azure Monitor Baseline Alerts use Total > 5 over PT5M.
 */
export const NAT_PACKET_DROP_THRESHOLD = { min: 0, max: 100_000_000, unit: "dropped packets per window" } as const satisfies IntRange;

/**
 * Cadence of the NAT gateway metric alerts: the Azure Monitor Baseline Alerts values (evaluated
 * every PT1M over PT5M). NAT gateway metrics have a one-minute grain (Azure Monitor "Supported
 * metrics for Microsoft.Network/natgateways").
 */
export const NAT_GATEWAY_ALERT_SCHEDULE = { evaluationFrequencyMinutes: 1, windowMinutes: 5 } as const;

/** Fixed cadence of the alert rules. */
export const MONITORING_SCHEDULE = {
  /** Every rule is evaluated this often (ISO 8601 `PT5M`); the smallest window equals it. */
  evaluationFrequencyMinutes: 5,
  /** Look-back of the "stopped sending data" rule: twice the longest silence it looks for (a host with no row in it alerts too). */
  silenceLookBackMinutes: 2 * HEARTBEAT_SILENCE_MINUTES.max,
} as const;

/**
 * Azure Monitor service limits of a log search alert rule (learn.microsoft.com/azure/azure-monitor/service-limits,
 * "Log alerts"): "The total size of all data in the log alert rule properties can't exceed 64 KB"; a
 * stateful rule fires at most 300 alerts per evaluation and holds at most 5,000 fired alerts at a time.
 */
export const LOG_ALERT_RULE_LIMITS = { propertiesMaxBytes: 64 * 1024, alertsPerEvaluation: 300, firedAlertsMax: 5000 } as const;

/** Defaults of `mailhost:monitoring`. */
export const MONITORING_DEFAULTS = {
  /** Any 4227 in a window means ports are churned faster than TIME_WAIT frees them; a few are noise. */
  timeWaitCollisionThreshold: 10,
  /** A healthy front end fails few connects; hundreds per window mean back ends or ports are running out. */
  connectionFailureThreshold: 500,
  /** The Azure Monitor Agent writes one Heartbeat row per minute; 15 silent minutes is not a blip. */
  heartbeatSilenceMinutes: 15,
  /** Window of the 4227 and connection-failure rules, minutes. */
  windowMinutes: 15,
  /** One sample a minute: the Azure portal's default for performance counters. */
  samplingIntervalSeconds: 60,
  /**
   * A setting corrected more than twice in six hours: a one-off change (an installer, a person)
   * is corrected once, maybe twice around a reboot; a Group Policy refresh (every 90 minutes plus
   * up to 30 minutes' offset) or a scheduled tool fighting the tuning makes three or more.
   */
  correctionThreshold: 2,
  /** Window of the correction alert, minutes (see correctionThreshold). */
  correctionWindowMinutes: 360,
  /** Any failed SNAT connection: the Azure Monitor Baseline Alerts threshold (Total > 0 over 5 minutes). */
  natSnatFailedConnectionThreshold: 0,
  /** More than 5 dropped packets in 5 minutes: the Azure Monitor Baseline Alerts threshold. */
  natPacketDropThreshold: 5,
  /** Retention of a created workspace: the period included in the ingestion price. */
  retentionInDays: LOG_ANALYTICS_RETENTION_DAYS.min,
} as const;

/**
 * Assumed billed bytes per row, for the data-volume estimate only (a rough figure: check the
 * real `_BilledSize` of the rows in the workspace). A Perf row carries about 15 short columns; a
 * Heartbeat row about 30; an Event row with its rendered message text is the largest.
 */
export const BILLED_BYTES_PER_ROW = { perf: 250, heartbeat: 500, event: 1500 } as const;

/**
 * The guest's port-usage sampler (`Invoke-MailhostPortUsageSample` in guest/modules/MailhostTcpTuning):
 * one reading per interval, written as one Application-log event that the Azure Monitor Agent
 * collects. A minute is the shortest repetition Windows Task Scheduler offers (Task Scheduler
 * schema, `Interval` of `RepetitionType`: "The minimum time allowed is one minute"); a reading
 * lists at most `endpointsPerReading` back-end endpoints (the busiest), so an event stays far
 * below the 31,839 characters an event message string may hold (ReportEvent, "Remarks").
 */
export const PORT_USAGE_SAMPLING = { intervalSeconds: 60, endpointsPerReading: 20 } as const;
