/**
 * The log search alert rules of a stack: one alert per host, each with its KQL over the tables of
 * {@link LOG_TABLE_SCHEMAS}, its condition in words and its runbook.
 */
import { type MailhostConfig } from "../config";
import { CORRECTION_EVENT_IDS, CORRECTION_EVENT_LOG, CORRECTION_EVENT_SOURCE } from "../corrections";
import { kqlString } from "../kql";
import { LOG_ALERT_RULE_LIMITS, MONITORING_SCHEDULE } from "../limits";
import { type PortUsageThreshold, portUsageDimensions, portUsageQuery, portUsageThresholdText } from "../portUsage";
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- LOG_TABLE_SCHEMAS is named by {@link}s in doc comments
import { CONNECTION_FAILURES_COUNTER, type LOG_TABLE_SCHEMAS, TCPIP_EVENT_SOURCE, TCPIP_EVENTS, TCP_COUNTER_OBJECTS } from "./collection";

/** ISO 8601 duration for whole minutes, as alert rules take them: 5 → `PT5M`, 60 → `PT1H`, a whole day → `P1D`. */
export function isoMinutes(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes <= 0) throw new RangeError(`isoMinutes: ${minutes} is not a positive whole number of minutes`);
  const day = 24 * 60;
  if (minutes % day === 0) return `P${minutes / day}D`;
  if (minutes % 60 === 0) return `PT${minutes / 60}H`;
  return `PT${minutes}M`;
}

/** Which alert: a stable key used in resource names. */
export type AlertKey = "port-space-exhausted" | "time-wait-collisions" | "connection-failures" | "heartbeat-missing" | "tuning-corrections" | "port-usage-high";

/** Column of the heartbeat rule's result that names the expected host (lower-case VM name): its alerts split by it. */
export const HOST_DIMENSION = "VmName";

/** Azure Monitor's limits of a log search alert rule (defined in the limits module). */
export { LOG_ALERT_RULE_LIMITS };

/** One log search alert rule, one alert per host: split by `_ResourceId`, or by the {@link HOST_DIMENSION} column. */
export interface AlertRulePlan {
  readonly key: AlertKey;
  /** Azure name of the rule. */
  readonly ruleName: string;
  readonly displayName: string;
  /** 0 (critical) – 4 (verbose). */
  readonly severity: number;
  /** When it fires, in a few words (for `mailhost plan`). */
  readonly condition: string;
  /** What it means and what to do (the runbook). */
  readonly description: string;
  /** KQL over the tables of {@link LOG_TABLE_SCHEMAS}; one row per host, with `_ResourceId` or {@link HOST_DIMENSION}. */
  readonly query: string;
  /**
   * How the rule fires once per host: `resourceId` (the row's `_ResourceId` is the alert's target,
   * and `Computer` a dimension), or `hostDimension` (the {@link HOST_DIMENSION} column is the only
   * dimension: a host that never sent a row has no `_ResourceId`).
   */
  readonly split: "resourceId" | "hostDimension";
  /** `Count` (rows) or `Total` (sum of {@link metricMeasureColumn}). */
  readonly timeAggregation: "Count" | "Total";
  readonly metricMeasureColumn?: string;
  /** As the scheduledQueryRules API spells it (not the SDK's `ConditionOperator` enum). */
  readonly operator: "GreaterThan";
  readonly threshold: number;
  /** Window the query looks back over, minutes. */
  readonly windowMinutes: number;
  /** Dimensions the alerts split by; defaults to `Computer` (`resourceId` split) or {@link HOST_DIMENSION}. */
  readonly dimensions?: readonly string[];
  /** How often it runs, minutes. */
  readonly evaluationFrequencyMinutes: number;
}
const RUNBOOK =
  "Runbook: (1) run `mailhost drift` to see whether the host still has the tuning this stack sets " +
  "(MaxUserPort, TcpTimedWaitDelay, dynamic port range, MailboxCacheTTL) and remediate what differs; " +
  "(2) if a host's tuning waits for a reboot, reboot it with `mailhost reboot`; " +
  "(3) if the tuning is in place and load has grown past the plan, raise siteConfig.mailboxCacheTtl " +
  "(fewer reconnects per back end) after checking `mailhost plan`, or add hosts.";

/**
 * Filter on the hosts of this stack (by VM name prefix in `_ResourceId`, or, for hosts given by
 * ARM id, on exactly those ids, case-insensitively), so a shared workspace alerts only on them.
 */
function hostFilter(resourceGroup: string, vmNamePrefix: string, vmIds?: readonly string[]): string {
  if (vmIds !== undefined) return `_ResourceId in~ (${vmIds.map(kqlString).join(", ")})`;
  return `_ResourceId contains ${kqlString(`/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vmNamePrefix}`)}`;
}

/**
 * The four alert rules of a stack.
 * - Ephemeral port space exhausted (Tcpip 4231, or 4266 for UDP): any event, severity 1.
 * - TIME_WAIT collisions (Tcpip 4227): more than the threshold per window, severity 2.
 * - Sharp rise in TCP connection failures: the rise of the cumulative `Connection Failures`
 *   counters (TCPv4 + TCPv6) per window, severity 3. A sample lower than the one before means the
 *   host rebooted (the counter restarts at zero): the rise is then the value itself, never negative.
 * - Host stopped sending data: an expected host (`hostNames`, the stack's VMs) with no Heartbeat
 *   for the configured minutes, or none at all, severity 2 (see {@link heartbeatQuery}).
 */
export function alertRulePlans(
  stackSlug: string,
  resourceGroup: string,
  vmNamePrefix: string,
  monitoring: MailhostConfig["monitoring"],
  hostNames: readonly string[],
  vmIds?: readonly string[],
): AlertRulePlan[] {
  const hosts = hostFilter(resourceGroup, vmNamePrefix, vmIds);
  const source = kqlString(TCPIP_EVENT_SOURCE);
  const { alerts } = monitoring;
  const every = MONITORING_SCHEDULE.evaluationFrequencyMinutes;
  const name = (key: AlertKey) => `alert-mailhost-${stackSlug}-${key}`;
  const window = `${alerts.windowMinutes}-minute window`;
  const exhausted = [TCPIP_EVENTS.tcpPortSpaceExhausted, TCPIP_EVENTS.udpPortSpaceExhausted];
  const counterObjects = TCP_COUNTER_OBJECTS.map(kqlString).join(", ");
  return [
    {
      key: "port-space-exhausted",
      ruleName: name("port-space-exhausted"),
      displayName: `Mail host ${stackSlug}: ephemeral port space exhausted (Tcpip ${exhausted.join("/")})`,
      severity: 1,
      condition: `any Tcpip ${exhausted.join(" or ")} event (checked every ${every} min)`,
      description:
        `A mail host logged Tcpip event ${TCPIP_EVENTS.tcpPortSpaceExhausted} (every TCP ephemeral port is in use: new outgoing connections, such as IMAP to the back ends, fail) ` +
        `or ${TCPIP_EVENTS.udpPortSpaceExhausted} (the same for UDP: DNS lookups fail). ${RUNBOOK}`,
      query: [
        "Event",
        `| where EventLog == "System" and Source =~ ${source} and EventID in (${exhausted.join(", ")})`,
        `| where ${hosts}`,
        "| summarize Count = count() by Computer, _ResourceId",
      ].join("\n"),
      split: "resourceId",
      timeAggregation: "Total",
      metricMeasureColumn: "Count",
      operator: "GreaterThan",
      threshold: 0,
      windowMinutes: every,
      evaluationFrequencyMinutes: every,
    },
    {
      key: "time-wait-collisions",
      ruleName: name("time-wait-collisions"),
      displayName: `Mail host ${stackSlug}: TIME_WAIT collisions (Tcpip ${TCPIP_EVENTS.timeWaitCollision})`,
      severity: 2,
      condition: `more than ${alerts.timeWaitCollisionThreshold} Tcpip ${TCPIP_EVENTS.timeWaitCollision} events in ${alerts.windowMinutes} min`,
      description:
        `A mail host logged more than ${alerts.timeWaitCollisionThreshold} Tcpip ${TCPIP_EVENTS.timeWaitCollision} events in a ${window}: outgoing connects failed because the local port ` +
        `was still in TIME_WAIT towards the same back end, so ports are churned faster than TcpTimedWaitDelay frees them; exhaustion (${TCPIP_EVENTS.tcpPortSpaceExhausted}) is near. ${RUNBOOK}`,
      query: [
        "Event",
        `| where EventLog == "System" and Source =~ ${source} and EventID == ${TCPIP_EVENTS.timeWaitCollision}`,
        `| where ${hosts}`,
        "| summarize Count = count() by Computer, _ResourceId",
      ].join("\n"),
      split: "resourceId",
      timeAggregation: "Total",
      metricMeasureColumn: "Count",
      operator: "GreaterThan",
      threshold: alerts.timeWaitCollisionThreshold,
      windowMinutes: alerts.windowMinutes,
      evaluationFrequencyMinutes: every,
    },
    {
      key: "connection-failures",
      ruleName: name("connection-failures"),
      displayName: `Mail host ${stackSlug}: sharp rise in TCP connection failures`,
      severity: 3,
      condition: `TCPv4 + TCPv6 ${CONNECTION_FAILURES_COUNTER} rise by more than ${alerts.connectionFailureThreshold} in ${alerts.windowMinutes} min`,
      description:
        `A mail host's TCPv4 + TCPv6 "${CONNECTION_FAILURES_COUNTER}" counters rose by more than ${alerts.connectionFailureThreshold} in a ${window}: many outgoing connects fail ` +
        `(back ends unreachable, or local ports running out before Windows logs ${TCPIP_EVENTS.timeWaitCollision}/${TCPIP_EVENTS.tcpPortSpaceExhausted}). Check the back ends first. ${RUNBOOK}`,
      query: [
        "Perf",
        `| where ObjectName in (${counterObjects}) and CounterName == ${kqlString(CONNECTION_FAILURES_COUNTER)}`,
        `| where ${hosts}`,
        "| sort by _ResourceId asc, ObjectName asc, TimeGenerated asc",
        "| extend Step = iff(_ResourceId == prev(_ResourceId) and ObjectName == prev(ObjectName), CounterValue - prev(CounterValue), real(0))",
        "// The counter counts since boot: a drop means a reboot, after which the rise is the value itself.",
        "| extend Rise = iff(Step < 0, CounterValue, Step)",
        "| summarize Failures = sum(Rise) by Computer, _ResourceId",
      ].join("\n"),
      split: "resourceId",
      timeAggregation: "Total",
      metricMeasureColumn: "Failures",
      operator: "GreaterThan",
      threshold: alerts.connectionFailureThreshold,
      windowMinutes: alerts.windowMinutes,
      evaluationFrequencyMinutes: every,
    },
    {
      key: "heartbeat-missing",
      ruleName: name("heartbeat-missing"),
      displayName: `Mail host ${stackSlug}: stopped sending monitoring data`,
      severity: 2,
      condition: `no Heartbeat for ${alerts.heartbeatSilenceMinutes} min, or none at all, from any of the stack's ${hostNames.length} host(s)`,
      description:
        `A mail host of this stack has sent no Heartbeat for ${alerts.heartbeatSilenceMinutes} minutes, or none in the rule's ${MONITORING_SCHEDULE.silenceLookBackMinutes / 60}-hour look-back, or never: ` +
        "it is stopped, hung, cut off from Azure Monitor, or its Azure Monitor Agent is broken or was never installed, so port exhaustion on it would go unnoticed. " +
        "The alert stays open as long as the host is silent. Check the VM's power state and the AzureMonitorWindowsAgent extension status; if the VM is up, " +
        "run `mailhost drift` and reboot it with `mailhost reboot` when its tuning waits for a reboot.",
      query: heartbeatQuery(hosts, hostNames, alerts.heartbeatSilenceMinutes),
      split: "hostDimension",
      timeAggregation: "Count",
      operator: "GreaterThan",
      threshold: 0,
      windowMinutes: MONITORING_SCHEDULE.silenceLookBackMinutes,
      evaluationFrequencyMinutes: every,
    },
    {
      key: "tuning-corrections",
      ruleName: name("tuning-corrections"),
      displayName: `Mail host ${stackSlug}: tuning corrected again and again (${CORRECTION_EVENT_SOURCE} events)`,
      severity: 2,
      condition: `one setting corrected more than ${alerts.correctionThreshold} times in ${alerts.correctionWindowMinutes} min`,
      description:
        `The port tuning of a mail host corrected one setting more than ${alerts.correctionThreshold} times in ${alerts.correctionWindowMinutes} minutes ` +
        `(${CORRECTION_EVENT_SOURCE} events ${Object.values(CORRECTION_EVENT_IDS).join("/")} in the Application log): something keeps changing it back, and between two corrections ` +
        "the host runs with the other value (a Tcpip value written again also waits for a reboot). Compliance reports stay green meanwhile. " +
        `${CORRECTION_RUNBOOK}`,
      query: [
        "Event",
        `| where EventLog == ${kqlString(CORRECTION_EVENT_LOG)} and Source =~ ${kqlString(CORRECTION_EVENT_SOURCE)} and EventID in (${Object.values(CORRECTION_EVENT_IDS).join(", ")})`,
        `| where ${hosts}`,
        "// One event per corrected setting: the most-corrected setting of a host decides (a new host's first run corrects each once).",
        "| summarize Corrections = count() by Computer, _ResourceId, EventID",
        "| summarize Corrections = max(Corrections), CorrectedSettings = dcount(EventID) by Computer, _ResourceId",
      ].join("\n"),
      split: "resourceId",
      timeAggregation: "Total",
      metricMeasureColumn: "Corrections",
      operator: "GreaterThan",
      threshold: alerts.correctionThreshold,
      windowMinutes: alerts.correctionWindowMinutes,
      evaluationFrequencyMinutes: every,
    },
  ];
}

/**
 * What to do when the tuning is corrected again and again: find what fights it. Every step reads;
 * none changes the host.
 */
export const CORRECTION_RUNBOOK =
  "Runbook: (1) on the host, list the corrections: " +
  `Get-WinEvent -FilterHashtable @{ LogName = '${CORRECTION_EVENT_LOG}'; ProviderName = '${CORRECTION_EVENT_SOURCE}' } -MaxEvents 50 ` +
  "(each names the setting, the value found and the value written; the value found is what the other party wants); " +
  "(2) Group Policy: `gpresult /h gp.html` (as administrator) and look for Tcpip Parameters or the dynamic port range in registry or script settings, " +
  "and `gpresult /r` for the time of the last refresh (every 90 minutes plus up to 30); " +
  "(3) installers and agents: Application/System events at the time of the corrections (MsiInstaller 1033/11707, Service Control Manager 7045), " +
  "and other configuration tools on the host (a second DSC configuration, Intune or ConfigMgr baselines, a scheduled task running netsh); " +
  "(4) catch the writer in the act: Process Monitor (Sysinternals) with a filter Path begins with HKLM\\System\\CurrentControlSet\\Services\\Tcpip\\Parameters " +
  'and Operation is RegSetValue, or enable auditing of that key (auditpol /set /subcategory:"Registry" /success:enable plus a SACL) and read Security event 4657; ' +
  "(5) remove or reconfigure the other party; never raise the threshold to hide a fight; " +
  "(6) then run `mailhost drift` to confirm the host holds the tuning, and `mailhost reboot` when a rewritten Tcpip value waits for a reboot.";

/**
 * The "stopped sending data" query. The expected hosts are the stack's own (a `datatable` of VM
 * names, lower case, written at deployment), so a host alerts when its last Heartbeat in the
 * look-back is older than `silenceMinutes` or when it has none at all: a host silent longer than
 * the look-back, or whose agent never reported, still has its row. A host removed from the stack
 * leaves the list at its next deployment and stops alerting.
 *
 * Why a list in the query: one rule per host would put 1,000 rules on the workspace, Azure's limit
 * of 1,000 active log alert rules per resource; Resource Graph from the alert query needs a managed
 * identity on the rule and sees VMs, not which ones the stack expects. The list costs about
 * 20 bytes per host (1,000 hosts: about 20 KB) against the 64 KB of a rule's properties
 * ({@link LOG_ALERT_RULE_LIMITS}). The query starts with a table, as Azure asks of alert queries.
 */
export function heartbeatQuery(hostFilterText: string, hostNames: readonly string[], silenceMinutes: number): string {
  const expected = hostNames.map((n) => kqlString(n.toLowerCase())).join(", ");
  return [
    "Heartbeat",
    `| where ${hostFilterText}`,
    `| extend ${HOST_DIMENSION} = tolower(tostring(split(_ResourceId, "/")[-1]))`,
    `| summarize LastHeartbeat = max(TimeGenerated) by ${HOST_DIMENSION}`,
    "// Every host the stack expects, seen in the look-back or not.",
    `| join kind=rightouter (datatable(${HOST_DIMENSION}:string) [${expected}]) on ${HOST_DIMENSION}`,
    `| project ${HOST_DIMENSION} = ${HOST_DIMENSION}1, LastHeartbeat`,
    `| where isnull(LastHeartbeat) or LastHeartbeat < ago(${silenceMinutes}m)`,
  ].join("\n");
}

/**
 * Bytes of a rule's properties that grow with the stack (query, description, display name), UTF-8;
 * Azure caps all of a rule's properties at {@link LOG_ALERT_RULE_LIMITS}.propertiesMaxBytes.
 */
export function alertRuleTextBytes(alert: AlertRulePlan): number {
  return Buffer.byteLength(alert.query, "utf8") + Buffer.byteLength(alert.description, "utf8") + Buffer.byteLength(alert.displayName, "utf8");
}

/**
 * The port-usage rule: a host (host pool) or one of its back ends (auto-reuse range)
 * whose count of used local ports stayed above the capacity model's threshold for the whole
 * window, severity 2: the host runs past its plan, before any Tcpip 4227/4231.
 */
export function portUsageAlertPlan(
  stackSlug: string,
  resourceGroup: string,
  vmNamePrefix: string,
  monitoring: MailhostConfig["monitoring"],
  threshold: PortUsageThreshold,
  vmIds?: readonly string[],
): AlertRulePlan {
  const window = monitoring.alerts.windowMinutes;
  const what = threshold.model === "hostPool" ? "a host's used local ports" : "a host's used local ports towards one back-end endpoint";
  return {
    key: "port-usage-high",
    ruleName: `alert-mailhost-${stackSlug}-port-usage-high`,
    displayName: `Mail host ${stackSlug}: local ports above the planned utilisation`,
    severity: 2,
    condition: `${portUsageThresholdText(threshold)} (${window} min)`,
    description:
      `${what[0]!.toUpperCase()}${what.slice(1)} (in use or in TIME_WAIT, counted by the guest's port-usage sampler every minute) stayed above ${threshold.thresholdPorts} ` +
      `(the planned utilisation ${threshold.utilization} of ${threshold.budgetPorts} ports) for ${window} minutes: the load is past what the capacity model planned, and Tcpip ` +
      `4227/4231 (port exhaustion) follow if it keeps growing. Runbook: (1) read the reading's endpoints (the alert's Remote dimension, or the event's JSON) to see which back end draws the ports; ` +
      "(2) run `mailhost drift` to check the host still has this stack's tuning and its latest reading, and `mailhost plan` for the planned load; if its tuning waits for a reboot, reboot it with `mailhost reboot`; " +
      "(3) if the tuning is in place, raise siteConfig.mailboxCacheTtl (fewer reconnects), lower tcp.tcpTimedWaitDelay, configure tcp.autoReusePortRange, or add hosts; update capacity.* to the load you see.",
    query: portUsageQuery(hostFilter(resourceGroup, vmNamePrefix, vmIds), threshold.model, window),
    split: "resourceId",
    timeAggregation: "Total",
    metricMeasureColumn: "Lowest",
    operator: "GreaterThan",
    threshold: threshold.thresholdPorts,
    windowMinutes: window,
    evaluationFrequencyMinutes: MONITORING_SCHEDULE.evaluationFrequencyMinutes,
    dimensions: portUsageDimensions(threshold.model),
  };
}
