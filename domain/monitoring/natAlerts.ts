/** The metric alert rules on the stack's NAT gateway (failed SNAT connections, dropped packets). */
import { type MailhostConfig } from "../config";
import { NAT_GATEWAY_ALERT_SCHEDULE } from "../limits";

/** Azure Monitor metric namespace of NAT gateways. */
export const NAT_GATEWAY_METRIC_NAMESPACE = "Microsoft.Network/natGateways";

/**
 * NAT gateway metrics the alerts read (Azure Monitor "Supported metrics for
 * Microsoft.Network/natgateways"; learn.microsoft.com/azure/nat-gateway/nat-metrics): both have a
 * one-minute grain and the Total (sum) aggregation.
 */
export const NAT_GATEWAY_METRICS = {
  /** "SNAT Connection Count": new SNAT connections in the interval; dimensions Protocol and ConnectionState (Attempted, Failed). */
  snatConnectionCount: "SNATConnectionCount",
  /** "Dropped Packets": packets the NAT gateway dropped; no dimensions. */
  packetDropCount: "PacketDropCount",
} as const;

/** Dimension and value that select failed SNAT connections. */
export const SNAT_CONNECTION_STATE = { dimension: "ConnectionState", failed: "Failed" } as const;

/** Which metric alert: a stable key used in resource names. */
export type MetricAlertKey = "nat-snat-failed-connections" | "nat-packet-drops";

/** One metric alert rule on the stack's NAT gateway (a single resource, one static threshold). */
export interface MetricAlertPlan {
  readonly key: MetricAlertKey;
  /** Azure name of the rule. */
  readonly ruleName: string;
  readonly displayName: string;
  /** 0 (critical) – 4 (verbose). */
  readonly severity: number;
  /** When it fires, in a few words (for `mailhost plan`). */
  readonly condition: string;
  /** What it means and what to do (the runbook). */
  readonly description: string;
  readonly metricNamespace: typeof NAT_GATEWAY_METRIC_NAMESPACE;
  readonly metricName: string;
  /** Dimension filters (Include). */
  readonly dimensions: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly timeAggregation: "Total";
  readonly operator: "GreaterThan";
  readonly threshold: number;
  readonly windowMinutes: number;
  readonly evaluationFrequencyMinutes: number;
}

/**
 * The NAT gateway's metric alerts, compared with Azure Monitor Baseline Alerts
 * (Azure/azure-monitor-baseline-alerts `services/Network/natGateways/alerts.yaml`): same metrics,
 * aggregation (Total), window (PT5M), frequency (PT1M) and default thresholds (failed SNAT
 * connections > 0, dropped packets > 5). Severities differ: AMBA rates failed SNAT connections 4
 * and drops 1; here a failed SNAT connection is an outbound connection that failed (the same
 * outcome as Tcpip 4231 on a host: severity 1), and drops alone are retried by TCP (severity 2).
 */
export function natGatewayAlertPlans(stackSlug: string, natGatewayName: string, monitoring: MailhostConfig["monitoring"]): MetricAlertPlan[] {
  const { alerts } = monitoring;
  const { windowMinutes, evaluationFrequencyMinutes } = NAT_GATEWAY_ALERT_SCHEDULE;
  const name = (key: MetricAlertKey) => `alert-mailhost-${stackSlug}-${key}`;
  const runbook =
    "Runbook: (1) in the portal, NAT gateway " +
    natGatewayName +
    " > Metrics: SNAT Connection Count split by ConnectionState, Total SNAT Connection Count and Dropped Packets over the last hours; " +
    "(2) each public IP gives 64,512 SNAT ports and a NAT gateway takes up to 16 public IPs: if failed connections follow a rise in connections, add a public IP (or prefix) to the gateway; " +
    "(3) many connections to one destination exhaust its ports first: check the hosts' outbound destinations (SMTP relays, DNS), and the gateway's TCP idle timeout (4 minutes by default) holding idle flows; " +
    "(4) `mailhost drift` and `mailhost plan` for the hosts' own port use, which the NAT gateway does not see.";
  return [
    {
      key: "nat-snat-failed-connections",
      ruleName: name("nat-snat-failed-connections"),
      displayName: `Mail host ${stackSlug}: NAT gateway SNAT connections failing`,
      severity: 1,
      condition: `${NAT_GATEWAY_METRICS.snatConnectionCount} with ${SNAT_CONNECTION_STATE.dimension} = ${SNAT_CONNECTION_STATE.failed} above ${alerts.natSnatFailedConnectionThreshold} in ${windowMinutes} min`,
      description:
        `The stack's NAT gateway ${natGatewayName} counted more than ${alerts.natSnatFailedConnectionThreshold} failed SNAT connections in ${windowMinutes} minutes: ` +
        `outbound connections of the mail hosts (SMTP, DNS, updates) fail at the gateway, usually because its SNAT ports towards a destination run out. ${runbook}`,
      metricNamespace: NAT_GATEWAY_METRIC_NAMESPACE,
      metricName: NAT_GATEWAY_METRICS.snatConnectionCount,
      dimensions: [{ name: SNAT_CONNECTION_STATE.dimension, values: [SNAT_CONNECTION_STATE.failed] }],
      timeAggregation: "Total",
      operator: "GreaterThan",
      threshold: alerts.natSnatFailedConnectionThreshold,
      windowMinutes,
      evaluationFrequencyMinutes,
    },
    {
      key: "nat-packet-drops",
      ruleName: name("nat-packet-drops"),
      displayName: `Mail host ${stackSlug}: NAT gateway dropping packets`,
      severity: 2,
      condition: `${NAT_GATEWAY_METRICS.packetDropCount} above ${alerts.natPacketDropThreshold} in ${windowMinutes} min`,
      description:
        `The stack's NAT gateway ${natGatewayName} dropped more than ${alerts.natPacketDropThreshold} packets in ${windowMinutes} minutes: ` +
        `outbound traffic of the mail hosts is lost at the gateway (SNAT port exhaustion, or packets of flows the gateway no longer knows). ${runbook}`,
      metricNamespace: NAT_GATEWAY_METRIC_NAMESPACE,
      metricName: NAT_GATEWAY_METRICS.packetDropCount,
      dimensions: [],
      timeAggregation: "Total",
      operator: "GreaterThan",
      threshold: alerts.natPacketDropThreshold,
      windowMinutes,
      evaluationFrequencyMinutes,
    },
  ];
}
