/**
 * A warning before ports run out: what the guest's port-usage sampler measures, the
 * threshold each host is held to (from the capacity model), the event its readings travel in,
 * and the log search alert rule that fires when a host, or a back end with an auto-reuse range,
 * stays above the planned utilisation for a whole window. Pure: the Monitoring component,
 * `mailhost plan`, the policy pack and the KQL tests read it from here.
 *
 * What counts as a used port: a TCP connection row (Get-NetTCPConnection, or `netstat -ano` as a
 * fallback) whose local port lies in the pool and which is not a listener: ESTABLISHED, TIME_WAIT
 * and every other state hold the port until the connection is gone. The host total counts
 * distinct local ports; a back end's count is the rows towards that remote address:port.
 *
 * The threshold: the capacity model plans demand `D` new connections/s against a pool of `P`
 * ports each held for about `T` seconds after close (TcpTimedWaitDelay), and holds when
 * `D * T <= u * P` (docs/CAPACITY.md). The ports held at once are `D * T` (Little's law), so the
 * planned ceiling on the count of used ports is `u * P` for the host pool, and `u * R` per back
 * end with the auto-reuse range. A host that stays above it is running past its plan before any
 * Tcpip 4227/4231.
 */
import { type AutoReusePortRange, type Load, type PortSpace, capacityPool, connectionDemand } from "./capacity";
import { BILLED_BYTES_PER_ROW, PORT_USAGE_SAMPLING } from "./limits";

/** The Application-log event source the sampler registers and writes (one source of our own). */
export const PORT_USAGE_EVENT_SOURCE = "MailhostIac-PortUsage";
/** Log the sampler writes to. */
export const PORT_USAGE_EVENT_LOG = "Application";
/** Event ids: a reading (Information), and a reading that could not be taken (Warning). */
export const PORT_USAGE_EVENTS = { reading: 3001, failed: 3002 } as const;

/** The DCR's filter for the sampler's events, `LogName!XPath`. */
export const PORT_USAGE_EVENT_XPATH = `${PORT_USAGE_EVENT_LOG}!*[System[Provider[@Name='${PORT_USAGE_EVENT_SOURCE}'] and (EventID=${PORT_USAGE_EVENTS.reading} or EventID=${PORT_USAGE_EVENTS.failed})]]`;

/** The threshold one host is held to, and what the model expects to see at the planned load. */
export interface PortUsageThreshold {
  /** `hostPool`: one count per host; `perBackend`: one count per back-end endpoint (auto-reuse range). */
  readonly model: "hostPool" | "perBackend";
  /** Ports of the pool a count is measured against: `P`, or `R` per back end. */
  readonly budgetPorts: number;
  /** `floor(u * budget)`: a count above this for a whole window is past the plan. */
  readonly thresholdPorts: number;
  /** Ports the model expects in use at the planned load: `D * T` on the pool (Little's law). */
  readonly expectedPorts: number;
  /** `u` the threshold was taken at. */
  readonly utilization: number;
}

/** The threshold a host is held to, from its port settings and its load. */
export function portUsageThreshold(
  space: PortSpace,
  timeWaitSeconds: number,
  mailboxCacheTtl: number,
  load: Load,
  autoReuse?: AutoReusePortRange,
): PortUsageThreshold {
  const pool = capacityPool(space, autoReuse);
  return {
    model: pool.model,
    budgetPorts: pool.ports,
    // Guard against floating-point noise just under an integer (0.7 * 1000 = 699.9999999999999).
    thresholdPorts: Math.floor(load.utilization * pool.ports + 1e-9),
    expectedPorts: Math.ceil(connectionDemand(load, mailboxCacheTtl, pool) * timeWaitSeconds - 1e-9),
    utilization: load.utilization,
  };
}

/** One line for `mailhost plan`. */
export function portUsageThresholdText(t: PortUsageThreshold): string {
  const where =
    t.model === "hostPool" ? "local ports in use or in TIME_WAIT on the host" : "local ports in use or in TIME_WAIT towards any one back-end endpoint";
  return `alert when ${where} stay above ${t.thresholdPorts} (utilisation ${t.utilization} of ${t.budgetPorts} ports) for the whole window; expected at the planned load: about ${t.expectedPorts}`;
}

/**
 * Readings of a window the rule needs before it judges a host: half of those the window holds,
 * at least two, so one late or lost event does not hide a host and one sample never fires alone.
 */
export function minimumSamplesInWindow(windowMinutes: number): number {
  return Math.max(2, Math.floor((windowMinutes * 60) / PORT_USAGE_SAMPLING.intervalSeconds / 2));
}

/**
 * The alert query. A reading is the event's rendered message, one JSON object:
 * `{"v":1,"model":"hostPool","ports":N,"timeWait":N,"budget":N,"threshold":N,"endpoints":[{"remote":"10.0.2.10:993","ports":N},...]}`.
 * Per host (host pool) or per host and back end (auto-reuse range) it takes the lowest count in
 * the window: above the threshold means every reading of the window was.
 */
export function portUsageQuery(hostFilterText: string, model: PortUsageThreshold["model"], windowMinutes: number): string {
  const head = [
    "Event",
    `| where EventLog == ${JSON.stringify(PORT_USAGE_EVENT_LOG)} and Source == ${JSON.stringify(PORT_USAGE_EVENT_SOURCE)} and EventID == ${PORT_USAGE_EVENTS.reading}`,
    `| where ${hostFilterText}`,
    "| extend Reading = parse_json(RenderedDescription)",
  ];
  const body =
    model === "hostPool"
      ? ["| extend Ports = toint(Reading.ports)", "| summarize Lowest = min(Ports), Samples = count() by Computer, _ResourceId"]
      : [
          "| mv-expand Endpoint = Reading.endpoints",
          "| extend Remote = tostring(Endpoint.remote), Ports = toint(Endpoint.ports)",
          "| summarize Lowest = min(Ports), Samples = count() by Computer, _ResourceId, Remote",
        ];
  return [...head, ...body, `| where Samples >= ${minimumSamplesInWindow(windowMinutes)}`].join("\n");
}

/** Dimensions the alert splits by (besides the host's `_ResourceId`). */
export function portUsageDimensions(model: PortUsageThreshold["model"]): readonly string[] {
  return model === "hostPool" ? ["Computer"] : ["Computer", "Remote"];
}

/** Billed bytes per host per day of the sampler's events: one per interval. */
export function portUsageDailyBytesPerHost(): number {
  return Math.ceil((24 * 60 * 60) / PORT_USAGE_SAMPLING.intervalSeconds) * BILLED_BYTES_PER_ROW.event;
}
