/**
 * What the stack monitors and how: the Windows events and counters a data collection rule sends
 * to Log Analytics, the KQL of each log search alert rule, the names of the monitoring resources,
 * and a rough data-volume estimate. Pure: the Monitoring component, `mailhost plan`, docs/MONITORING.md
 * and the KQL tests all read it from here.
 *
 * This file holds the plan of a stack's monitoring; its parts live in `monitoring/`:
 * - `collection.ts`: the events, counters and tables of the data collection rule, and its volume;
 * - `logAlerts.ts`: the log search alert rules on the hosts, their KQL and runbooks;
 * - `natAlerts.ts`: the metric alert rules on the stack's NAT gateway.
 */
import { type MailhostConfig } from "./config";
import { CORRECTION_EVENT_XPATH } from "./corrections";
import { PORT_USAGE_EVENT_XPATH, type PortUsageThreshold, portUsageDailyBytesPerHost } from "./portUsage";
import { TCPIP_EVENT_XPATH, TCP_COUNTER_SPECIFIERS, estimateDailyBytesPerHost } from "./monitoring/collection";
import { type AlertRulePlan, alertRulePlans, portUsageAlertPlan } from "./monitoring/logAlerts";
import { type MetricAlertPlan, natGatewayAlertPlans } from "./monitoring/natAlerts";

export {
  CONNECTION_FAILURES_COUNTER,
  DCR_STREAMS,
  LOG_TABLE_SCHEMAS,
  TCPIP_EVENTS,
  TCPIP_EVENT_SOURCE,
  TCPIP_EVENT_XPATH,
  TCP_COUNTER_NAMES,
  TCP_COUNTER_OBJECTS,
  TCP_COUNTER_SPECIFIERS,
  estimateDailyBytesPerHost,
} from "./monitoring/collection";
export {
  type AlertKey,
  type AlertRulePlan,
  CORRECTION_RUNBOOK,
  HOST_DIMENSION,
  LOG_ALERT_RULE_LIMITS,
  alertRulePlans,
  alertRuleTextBytes,
  heartbeatQuery,
  isoMinutes,
  portUsageAlertPlan,
} from "./monitoring/logAlerts";
export {
  type MetricAlertKey,
  type MetricAlertPlan,
  NAT_GATEWAY_METRICS,
  NAT_GATEWAY_METRIC_NAMESPACE,
  SNAT_CONNECTION_STATE,
  natGatewayAlertPlans,
} from "./monitoring/natAlerts";

/** Names of the monitoring resources of a stack (CAF abbreviations). */
export interface MonitoringNames {
  readonly workspace: string;
  readonly dataCollectionRule: string;
  /** Name of each host's association with the rule (an extension resource under the VM). */
  readonly dataCollectionRuleAssociation: string;
  readonly actionGroup: string;
  /** At most 12 characters (shown in SMS and e-mail subjects). */
  readonly actionGroupShortName: string;
}

/** Where the data goes. */
export type WorkspacePlan =
  | { readonly kind: "created"; readonly name: string; readonly retentionInDays: number }
  | {
      readonly kind: "existing";
      readonly resourceId: string;
      /** The workspace's region (`mailhost:monitoring.workspaceLocation`): the data collection rule is created there. */
      readonly location: string;
    };

/** The monitoring of a stack, from its config. */
export interface MonitoringPlan {
  readonly enabled: boolean;
  readonly names: MonitoringNames;
  readonly workspace: WorkspacePlan;
  readonly emailReceivers: readonly string[];
  /** True when the secret webhook URL is set (the URL itself is never part of a plan). */
  readonly webhookReceiver: boolean;
  readonly samplingIntervalSeconds: number;
  readonly eventXPathQueries: readonly string[];
  /** Application-log filter for the tuning's correction events (domain/corrections.ts). */
  readonly correctionEventXPathQueries: readonly string[];
  readonly counterSpecifiers: readonly string[];
  readonly alerts: readonly AlertRulePlan[];
  /** Metric alerts on the stack's NAT gateway; empty when the stack has none (egress through a route table). */
  readonly metricAlerts: readonly MetricAlertPlan[];
  /** Rough billed bytes per host per day (see {@link estimateDailyBytesPerHost}), with the port-usage readings. */
  readonly estimatedBytesPerHostPerDay: number;
  /** The threshold each host is held to by the port-usage alert; absent when the plan has no load to take it from. */
  readonly portUsage?: PortUsageThreshold;
}

const ACTION_GROUP_SHORT_NAME_LENGTH = 12;

/** Names of the monitoring resources, from the stack slug used by the other site names. */
export function monitoringNames(stackSlug: string): MonitoringNames {
  return {
    workspace: `log-mailhost-${stackSlug}`,
    dataCollectionRule: `dcr-mailhost-${stackSlug}`,
    dataCollectionRuleAssociation: `dcra-mailhost-${stackSlug}`,
    actionGroup: `ag-mailhost-${stackSlug}`,
    actionGroupShortName: `mail-${stackSlug}`.slice(0, ACTION_GROUP_SHORT_NAME_LENGTH).replace(/-$/, ""),
  };
}

/**
 * The monitoring of a stack. `resourceGroup` and `vmNamePrefix` locate its hosts (alerts look at
 * nothing else, even in a shared workspace); `webhookReceiver` says whether the secret webhook
 * URL is set; `hostNames` are the VM names the heartbeat alert expects. Options: `natGatewayName`
 * names the stack's own NAT gateway (none: no NAT gateway alerts); `vmIds`, when given, select the
 * hosts instead of the resource group and name prefix (VMs that exist already, by ARM id).
 */
export function planMonitoring(
  stackSlug: string,
  resourceGroup: string,
  vmNamePrefix: string,
  monitoring: MailhostConfig["monitoring"],
  webhookReceiver: boolean,
  hostNames: readonly string[],
  options: { readonly natGatewayName?: string; readonly vmIds?: readonly string[]; readonly portUsage?: PortUsageThreshold } = {},
): MonitoringPlan {
  const names = monitoringNames(stackSlug);
  const alerts = alertRulePlans(stackSlug, resourceGroup, vmNamePrefix, monitoring, hostNames, options.vmIds);
  const { portUsage } = options;
  return {
    enabled: monitoring.enabled,
    names,
    workspace:
      monitoring.workspaceResourceId === undefined
        ? { kind: "created", name: names.workspace, retentionInDays: monitoring.retentionInDays }
        : { kind: "existing", resourceId: monitoring.workspaceResourceId, location: monitoring.workspaceLocation ?? "" },
    emailReceivers: [...monitoring.emailReceivers],
    webhookReceiver,
    samplingIntervalSeconds: monitoring.samplingIntervalSeconds,
    eventXPathQueries: portUsage === undefined ? [TCPIP_EVENT_XPATH] : [TCPIP_EVENT_XPATH, PORT_USAGE_EVENT_XPATH],
    correctionEventXPathQueries: [CORRECTION_EVENT_XPATH],
    counterSpecifiers: TCP_COUNTER_SPECIFIERS,
    alerts: portUsage === undefined ? alerts : [...alerts, portUsageAlertPlan(stackSlug, resourceGroup, vmNamePrefix, monitoring, portUsage, options.vmIds)],
    metricAlerts: options.natGatewayName === undefined ? [] : natGatewayAlertPlans(stackSlug, options.natGatewayName, monitoring),
    estimatedBytesPerHostPerDay: estimateDailyBytesPerHost(monitoring.samplingIntervalSeconds) + (portUsage === undefined ? 0 : portUsageDailyBytesPerHost()),
    ...(portUsage === undefined ? {} : { portUsage }),
  };
}
