/**
 * What the data collection rule sends from every host to Log Analytics: the Tcpip events, the TCP
 * counters, the tables they land in, and a rough daily volume.
 *
 * Sources:
 * - Tcpip events 4227/4231: learn.microsoft.com/troubleshoot/windows-client/networking/tcp-ip-port-exhaustion-troubleshooting;
 *   IDs and severities: the Windows SDK `netevent.h` (EVENT_TCPIP_TCP_TIME_WAIT_COLLISION 0x80001083,
 *   EVENT_TCPIP_TCP_GLOBAL_EPHEMERAL_PORT_SPACE_EXHAUSTED 0x80001087, EVENT_TCPIP_UDP_GLOBAL_EPHEMERAL_PORT_SPACE_EXHAUSTED 0x800010AA).
 * - XPath and counter formats: learn.microsoft.com/azure/azure-monitor/agents/data-collection-windows-events
 *   and .../data-collection-performance.
 * - Table columns: learn.microsoft.com/azure/azure-monitor/reference/tables/event, .../perf, .../heartbeat.
 */
import { BILLED_BYTES_PER_ROW } from "../limits";

/** Classic event source (XML `Provider Name`) of the TCP/IP stack's System-log events. */
export const TCPIP_EVENT_SOURCE = "Tcpip";

/** The System-log Tcpip events of ephemeral-port trouble (low 16 bits of the `netevent.h` codes). */
export const TCPIP_EVENTS = {
  /** 4227: an outgoing connect failed because the chosen local port was recently used to the same remote endpoint (still in TIME_WAIT). */
  timeWaitCollision: 4227,
  /** 4231: the global TCP ephemeral port space is exhausted. */
  tcpPortSpaceExhausted: 4231,
  /** 4266: the global UDP ephemeral port space is exhausted (DNS lookups fail first). */
  udpPortSpaceExhausted: 4266,
} as const;

/** The DCR's Windows event filter, `LogName!XPath` (XPath 1.0 subset the agent accepts). */
export const TCPIP_EVENT_XPATH = `System!*[System[Provider[@Name='${TCPIP_EVENT_SOURCE}'] and (${Object.values(TCPIP_EVENTS)
  .map((id) => `EventID=${id}`)
  .join(" or ")})]]`;

/** Counter objects sampled: both IP versions (loopback and dual-stack traffic may use IPv6). */
export const TCP_COUNTER_OBJECTS = ["TCPv4", "TCPv6"] as const;

/**
 * Counters of each TCP object. `Connections Established` is a gauge; `Connection Failures`,
 * `Connections Reset`, `Connections Active` and `Connections Passive` count since boot;
 * `Segments Retransmitted/sec` is a rate (technet "TCP Object" counter reference).
 */
export const TCP_COUNTER_NAMES = [
  "Connections Established",
  "Connection Failures",
  "Connections Reset",
  "Connections Active",
  "Connections Passive",
  "Segments Retransmitted/sec",
] as const;

/** The cumulative counter whose rise the severity-3 rule alerts on. */
export const CONNECTION_FAILURES_COUNTER = "Connection Failures";

/** `\Object\Counter` specifiers of the DCR (single-instance objects: no `(instance)` part). */
export const TCP_COUNTER_SPECIFIERS: readonly string[] = TCP_COUNTER_OBJECTS.flatMap((object) => TCP_COUNTER_NAMES.map((counter) => `\\${object}\\${counter}`));

/** DCR streams: `Microsoft-Event` lands in the `Event` table, `Microsoft-Perf` in `Perf`. */
export const DCR_STREAMS = { events: "Microsoft-Event", counters: "Microsoft-Perf" } as const;

/**
 * Columns of the Log Analytics tables the alert queries read, as Kusto schema text
 * (`(Name:type, ...)`). The KQL tests analyse every query against exactly these.
 * Heartbeat rows are written by the Azure Monitor Agent once a minute to every workspace its
 * data collection rules send to.
 */
export const LOG_TABLE_SCHEMAS: Readonly<Record<"Event" | "Perf" | "Heartbeat", string>> = {
  Event:
    "(TenantId:string, TimeGenerated:datetime, Computer:string, EventLog:string, Source:string, EventID:int, EventLevel:int, EventLevelName:string, EventCategory:int, EventData:string, ParameterXml:string, RenderedDescription:string, Message:string, UserName:string, SourceSystem:string, ManagementGroupName:string, AzureDeploymentID:string, Role:string, Type:string, _ResourceId:string, _SubscriptionId:string, _BilledSize:real, _IsBillable:string)",
  Perf: "(TenantId:string, TimeGenerated:datetime, Computer:string, ObjectName:string, CounterName:string, InstanceName:string, CounterValue:real, CounterPath:string, SampleCount:int, Min:real, Max:real, StandardDeviation:real, BucketStartTime:datetime, BucketEndTime:datetime, SourceSystem:string, Type:string, _ResourceId:string, _SubscriptionId:string, _BilledSize:real, _IsBillable:string)",
  Heartbeat:
    "(TenantId:string, TimeGenerated:datetime, Computer:string, Category:string, OSType:string, OSName:string, Version:string, ComputerIP:string, SourceComputerId:string, Solutions:string, SourceSystem:string, Type:string, _ResourceId:string, _SubscriptionId:string, _BilledSize:real, _IsBillable:string)",
};

/**
 * Rough billed bytes per host per day: every counter once per sampling interval, one Heartbeat a
 * minute, and `eventsPerDay` Tcpip events (none on a healthy host), each at
 * {@link BILLED_BYTES_PER_ROW}. 12 counters every 60 s: 17,280 Perf rows, about 4.3 MB.
 */
export function estimateDailyBytesPerHost(samplingIntervalSeconds: number, eventsPerDay = 0): number {
  const secondsPerDay = 24 * 60 * 60;
  const perfRows = TCP_COUNTER_SPECIFIERS.length * Math.ceil(secondsPerDay / samplingIntervalSeconds);
  const heartbeatRows = secondsPerDay / 60;
  return perfRows * BILLED_BYTES_PER_ROW.perf + heartbeatRows * BILLED_BYTES_PER_ROW.heartbeat + eventsPerDay * BILLED_BYTES_PER_ROW.event;
}
