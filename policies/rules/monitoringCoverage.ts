/**
 * Monitoring coverage: a mail host stack sees what the tuning cannot report itself and what its
 * way out does. Its data collection rule collects the tuning's correction events, a log search
 * alert rule watches them, and its NAT gateway (when it has one) has metric alerts on failed SNAT
 * connections and dropped packets. Advisory by default; the prod policy config makes them
 * mandatory.
 *
 * Sources: the correction events (domain/corrections.ts); NAT gateway metrics SNATConnectionCount
 * (dimension ConnectionState: Attempted, Failed) and PacketDropCount (Azure Monitor "Supported
 * metrics for Microsoft.Network/natgateways"); Azure Monitor Baseline Alerts
 * services/Network/natGateways.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CORRECTION_EVENT_LOG, CORRECTION_EVENT_SOURCE } from "../../domain/corrections";
import { NAT_GATEWAY_METRICS, SNAT_CONNECTION_STATE } from "../../domain/monitoring";
import { isVirtualMachine } from "../lib/hosts";
import { DATA_COLLECTION_RULE_TYPE, METRIC_ALERT_TYPE, NAT_GATEWAY_TYPE, SCHEDULED_QUERY_RULE_TYPE, metricAlertTargets } from "../lib/monitoring";
import { label } from "../lib/resources";
import { known } from "../lib/unknown";

/** The XPath predicate that selects the tuning's correction events. */
const CORRECTION_PROVIDER = `Provider[@Name='${CORRECTION_EVENT_SOURCE}']`;

/** True when the stack holds mail-host virtual machines (the rules below have nothing to watch otherwise). */
const hasHosts = (resources: readonly PolicyResource[]) => resources.some(isVirtualMachine);

/** The stack's data collection rules collect the tuning's correction events from the Application log. */
export const collectsTuningCorrections: StackValidationPolicy = {
  name: "mailhost-collects-tuning-corrections",
  description: `A mail host stack's data collection rule must collect the tuning's correction events (${CORRECTION_EVENT_LOG} log, provider ${CORRECTION_EVENT_SOURCE}): Machine Configuration reports a corrected host as compliant, so these events are the only record of a setting that something keeps changing back.`,
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    if (!hasHosts(args.resources)) return;
    const rules = args.resources.filter((r) => DATA_COLLECTION_RULE_TYPE.test(r.type));
    let unknownQueries = false;
    for (const rule of rules) {
      const logs = known(() => (rule.props.dataSources as { windowsEventLogs?: Array<{ xPathQueries?: unknown }> } | undefined)?.windowsEventLogs);
      if (!logs.ok) {
        unknownQueries = true;
        continue;
      }
      for (const source of logs.value ?? []) {
        const queries = known(() => source.xPathQueries);
        if (!queries.ok) {
          unknownQueries = true;
          continue;
        }
        if (
          Array.isArray(queries.value) &&
          queries.value.some((q) => typeof q === "string" && q.startsWith(`${CORRECTION_EVENT_LOG}!`) && q.includes(CORRECTION_PROVIDER))
        )
          return;
      }
    }
    if (unknownQueries) return;
    const where =
      rules.length === 0
        ? "the stack has no data collection rule"
        : `no data collection rule (${rules.map((r) => label(r.type, r.name)).join(", ")}) has an XPath query on ${CORRECTION_EVENT_LOG}! with ${CORRECTION_PROVIDER}`;
    report(
      `The tuning's correction events are not collected: ${where}. A host whose settings something keeps changing back would look compliant forever; enable mailhost:monitoring.`,
    );
  },
};

/** A log search alert rule watches the correction events and notifies someone. */
export const tuningCorrectionAlert: StackValidationPolicy = {
  name: "mailhost-tuning-correction-alert",
  description: `A mail host stack must have a log search alert rule over the tuning's correction events (Source ${CORRECTION_EVENT_SOURCE}) that names an action group, so that a host whose settings are corrected again and again reaches someone.`,
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    if (!hasHosts(args.resources)) return;
    const rules = args.resources.filter((r) => SCHEDULED_QUERY_RULE_TYPE.test(r.type));
    for (const rule of rules) {
      const read = known(() => {
        const criteria = rule.props.criteria as { allOf?: Array<{ query?: unknown }> } | undefined;
        return (criteria?.allOf ?? []).map((c) => c.query);
      });
      if (!read.ok) return; // unknown during preview: cannot tell
      if (read.value.some((q) => typeof q === "string" && q.includes(`"${CORRECTION_EVENT_SOURCE}"`))) return;
    }
    report(
      `No log search alert rule reads the tuning's correction events (Source "${CORRECTION_EVENT_SOURCE}"): a host whose settings something keeps changing back alerts nobody; enable mailhost:monitoring.`,
    );
  },
};

/** The alerts every NAT gateway of the stack must have: the metric, and the dimension filter it needs. */
const NAT_GATEWAY_ALERTS = [
  {
    metric: NAT_GATEWAY_METRICS.snatConnectionCount,
    dimension: SNAT_CONNECTION_STATE.dimension,
    value: SNAT_CONNECTION_STATE.failed,
    what: "failed SNAT connections",
  },
  { metric: NAT_GATEWAY_METRICS.packetDropCount, dimension: undefined, value: undefined, what: "dropped packets" },
] as const;

/** One metric alert's criteria, as far as known: metric names with their Include dimension values. */
function criteriaOf(alert: PolicyResource): { ok: true; value: Array<{ metric: string; dimensions: Record<string, string[]> }> } | { ok: false } {
  const read = known(() => {
    const criteria = alert.props.criteria as
      { allOf?: Array<{ metricName?: unknown; dimensions?: Array<{ name?: unknown; operator?: unknown; values?: unknown }> }> } | undefined;
    return (criteria?.allOf ?? []).map((c) => ({
      metric: String(c.metricName ?? ""),
      dimensions: Object.fromEntries(
        (c.dimensions ?? [])
          .filter((d) => String(d.operator ?? "Include").toLowerCase() === "include")
          .map((d) => [String(d.name ?? "").toLowerCase(), Array.isArray(d.values) ? d.values.map((v) => String(v).toLowerCase()) : []]),
      ),
    }));
  });
  return read;
}

/** Every NAT gateway of the stack has metric alerts on failed SNAT connections and dropped packets, each naming an action group. */
export const natGatewayAlerts: StackValidationPolicy = {
  name: "mailhost-nat-gateway-alerts",
  description:
    "Every NAT gateway of a mail host stack must have metric alerts on failed SNAT connections (SNATConnectionCount with ConnectionState = Failed) and on dropped packets (PacketDropCount), each naming an action group, so that the hosts' way out does not fail unnoticed.",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const gateways = args.resources.filter((r) => NAT_GATEWAY_TYPE.test(r.type));
    const alerts = args.resources.filter((r) => METRIC_ALERT_TYPE.test(r.type));
    for (const gateway of gateways) {
      const scoped = alerts.filter((a) => metricAlertTargets(a, gateway));
      for (const wanted of NAT_GATEWAY_ALERTS) {
        let unknown = false;
        const found = scoped.some((alert) => {
          const criteria = criteriaOf(alert);
          const groups = known(() => (alert.props.actions as Array<{ actionGroupId?: unknown }> | undefined) ?? []);
          if (!criteria.ok || !groups.ok) {
            unknown = true;
            return false;
          }
          const notifies = groups.value.some((g) => g.actionGroupId !== undefined && g.actionGroupId !== "");
          return (
            notifies &&
            criteria.value.some(
              (c) =>
                c.metric.toLowerCase() === wanted.metric.toLowerCase() &&
                (wanted.dimension === undefined || (c.dimensions[wanted.dimension.toLowerCase()] ?? []).includes(wanted.value.toLowerCase())),
            )
          );
        });
        if (found || unknown) continue;
        const filter = wanted.dimension === undefined ? "" : ` with ${wanted.dimension} = ${wanted.value}`;
        report(
          `${label(gateway.type, gateway.name)} has no metric alert on ${wanted.what} (${wanted.metric}${filter}) that names an action group: the mail hosts' way out could fail unnoticed; enable mailhost:monitoring.`,
          gateway.urn,
        );
      }
    }
  },
};
