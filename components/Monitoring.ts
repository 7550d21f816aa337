import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { AZURE_REGION_PATTERN, EMAIL_PATTERN, WORKSPACE_RESOURCE_ID_PATTERN, configKeyPath } from "../domain/config";
import {
  ALERT_WINDOW_MINUTES,
  CONNECTION_FAILURE_THRESHOLD,
  CORRECTION_THRESHOLD,
  CORRECTION_WINDOW_MINUTES,
  NAT_PACKET_DROP_THRESHOLD,
  NAT_SNAT_FAILED_CONNECTION_THRESHOLD,
  LOG_ANALYTICS_RETENTION_DAYS,
  PERF_SAMPLING_INTERVAL,
  TIME_WAIT_COLLISION_THRESHOLD,
  formatRange,
  inRange,
} from "../domain/limits";
import { DCR_STREAMS, HOST_DIMENSION, LOG_ALERT_RULE_LIMITS, type MonitoringPlan, alertRuleTextBytes, isoMinutes } from "../domain/monitoring";
import { rejectInvalid } from "./validation";

/** Column of every alert query that holds the host's ARM id: the rules fire once per host. */
export const RESOURCE_ID_COLUMN = "_ResourceId";

/** Name of the workspace destination inside the data collection rule. */
const WORKSPACE_DESTINATION = "mailhostWorkspace";

export interface MonitoringArgs {
  /** Resource group of the workspace (when created), the rule, the alert rules and the action group. */
  readonly resourceGroupName: pulumi.Input<string>;
  /**
   * Region of the workspace the stack creates, of its data collection rule, and of the alert rules.
   * Defaults to the provider's location; keep it the hosts' region. With an existing workspace the
   * data collection rule goes to `plan.workspace.location` instead (Azure Monitor requires a rule
   * in its Log Analytics destination's region).
   */
  readonly location?: pulumi.Input<string>;
  /** What to deploy (see `planMonitoring`); must be enabled. */
  readonly plan: MonitoringPlan;
  /**
   * ARM id of the stack's NAT gateway; required when `plan.metricAlerts` is not empty (the
   * gateway's metric alerts are scoped to it), ignored otherwise.
   */
  readonly natGatewayId?: pulumi.Input<string>;
  /** Webhook receiver URL; required when `plan.webhookReceiver`. Always stored as a Pulumi secret, never exported. */
  readonly alertWebhookUrl?: pulumi.Input<string>;
  /** Azure tags. Defaults to none. */
  readonly tags?: Record<string, string>;
}

/** Every problem with a monitoring plan, checked against the limits module. */
export function monitoringProblems(plan: MonitoringPlan, hasWebhookUrl: boolean, hasNatGatewayId = false): string[] {
  const problems: string[] = [];
  if (!plan.enabled) problems.push("plan.enabled = false: create no Monitoring component for a stack without monitoring");
  if (!inRange(plan.samplingIntervalSeconds, PERF_SAMPLING_INTERVAL))
    problems.push(`samplingIntervalSeconds = ${plan.samplingIntervalSeconds} is outside ${formatRange(PERF_SAMPLING_INTERVAL)}`);
  if (plan.workspace.kind === "created" && !inRange(plan.workspace.retentionInDays, LOG_ANALYTICS_RETENTION_DAYS))
    problems.push(`retentionInDays = ${plan.workspace.retentionInDays} is outside ${formatRange(LOG_ANALYTICS_RETENTION_DAYS)}`);
  if (plan.workspace.kind === "existing" && !new RegExp(WORKSPACE_RESOURCE_ID_PATTERN).test(plan.workspace.resourceId))
    problems.push(`workspace.resourceId = ${JSON.stringify(plan.workspace.resourceId)} is not the ARM id of a Log Analytics workspace`);
  if (plan.workspace.kind === "existing" && !new RegExp(AZURE_REGION_PATTERN).test(plan.workspace.location)) {
    problems.push(
      `workspace.location (${configKeyPath(["monitoring", "workspaceLocation"])}) = ${JSON.stringify(plan.workspace.location)} is not an Azure region name; the data collection rule must be created in the workspace's region`,
    );
  }
  for (const email of plan.emailReceivers)
    if (!new RegExp(EMAIL_PATTERN).test(email)) problems.push(`emailReceivers contains ${JSON.stringify(email)}, which is not an e-mail address`);
  if (plan.webhookReceiver && !hasWebhookUrl) problems.push("alertWebhookUrl is required when plan.webhookReceiver is true");
  if (plan.alerts.length === 0) problems.push("alerts is empty");
  for (const alert of plan.alerts) {
    if (!Number.isInteger(alert.severity) || alert.severity < 0 || alert.severity > 4)
      problems.push(`alert ${alert.key}: severity = ${alert.severity} is outside 0–4`);
    if (alert.windowMinutes < alert.evaluationFrequencyMinutes)
      problems.push(`alert ${alert.key}: window ${alert.windowMinutes} min is shorter than its evaluation frequency ${alert.evaluationFrequencyMinutes} min`);
    const splitColumn = alert.split === "resourceId" ? RESOURCE_ID_COLUMN : HOST_DIMENSION;
    if (!alert.query.includes(splitColumn)) problems.push(`alert ${alert.key}: the query does not return ${splitColumn}, so it cannot fire per host`);
    const bytes = alertRuleTextBytes(alert);
    if (bytes > LOG_ALERT_RULE_LIMITS.propertiesMaxBytes)
      problems.push(
        `alert ${alert.key}: query and description take ${bytes} bytes, more than the ${LOG_ALERT_RULE_LIMITS.propertiesMaxBytes} bytes Azure allows in a log alert rule's properties (fewer hosts, or a shorter stack name)`,
      );
    const range =
      alert.key === "time-wait-collisions"
        ? TIME_WAIT_COLLISION_THRESHOLD
        : alert.key === "connection-failures"
          ? CONNECTION_FAILURE_THRESHOLD
          : alert.key === "tuning-corrections"
            ? CORRECTION_THRESHOLD
            : undefined;
    const windows: readonly number[] = alert.key === "tuning-corrections" ? CORRECTION_WINDOW_MINUTES : ALERT_WINDOW_MINUTES;
    if (range !== undefined && !inRange(alert.threshold, range))
      problems.push(`alert ${alert.key}: threshold = ${alert.threshold} is outside ${formatRange(range)}`);
    if (range !== undefined && !windows.includes(alert.windowMinutes))
      problems.push(`alert ${alert.key}: window = ${alert.windowMinutes} min is not one of ${windows.join(", ")}`);
  }
  if (plan.metricAlerts.length > 0 && !hasNatGatewayId) problems.push("natGatewayId is required when plan.metricAlerts is not empty");
  for (const alert of plan.metricAlerts) {
    const range = alert.key === "nat-snat-failed-connections" ? NAT_SNAT_FAILED_CONNECTION_THRESHOLD : NAT_PACKET_DROP_THRESHOLD;
    if (!inRange(alert.threshold, range)) problems.push(`metric alert ${alert.key}: threshold = ${alert.threshold} is outside ${formatRange(range)}`);
    if (!Number.isInteger(alert.severity) || alert.severity < 0 || alert.severity > 4)
      problems.push(`metric alert ${alert.key}: severity = ${alert.severity} is outside 0–4`);
  }
  return problems;
}

/**
 * Azure Monitor for a stack's port exhaustion: a Log Analytics workspace (or an existing one by
 * ARM id and region), one data collection rule in the workspace's region (System-log Tcpip events
 * 4227/4231/4266 and the tuning's Application-log correction events to `Event`, the TCPv4/TCPv6
 * counters to `Perf`), an action group with the configured receivers, one log search alert rule
 * per signal, each split per host, and metric alerts on the stack's NAT gateway (failed SNAT
 * connections, dropped packets) notifying the same action group. The hosts install the
 * agent and associate with the rule themselves (`WindowsMailHost`'s `monitoring` input).
 */
export class Monitoring extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:Monitoring";

  /** The workspace, when the stack creates it. */
  public readonly workspace?: operationalinsights.Workspace;
  /** ARM id of the workspace the data goes to. */
  public readonly workspaceResourceId: pulumi.Output<string>;
  public readonly dataCollectionRule: monitor.DataCollectionRule;
  public readonly actionGroup: monitor.ActionGroup;
  /** One per alert of the plan, in its order. */
  public readonly alertRules: monitor.ScheduledQueryRule[];
  /** One per metric alert of the plan (the NAT gateway's), in its order. */
  public readonly metricAlerts: monitor.MetricAlert[];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    rejectInvalid(Monitoring.typeToken, name, monitoringProblems(args.plan, args.alertWebhookUrl !== undefined, args.natGatewayId !== undefined), opts);
    super(Monitoring.typeToken, name, {}, opts);
    const { plan } = args;
    const tags = args.tags ?? {};
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags };

    if (plan.workspace.kind === "created") {
      this.workspace = new operationalinsights.Workspace(
        `${name}-log`,
        {
          ...common,
          workspaceName: plan.workspace.name,
          sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
          retentionInDays: plan.workspace.retentionInDays,
          // Readers need rights on the VMs to see their rows; the agent authenticates with Entra ID.
          features: { enableLogAccessUsingOnlyResourcePermissions: true, disableLocalAuth: true },
        },
        { parent: this },
      );
      this.workspaceResourceId = this.workspace.id;
    } else {
      this.workspaceResourceId = pulumi.output(plan.workspace.resourceId);
    }

    // "Create your DCR in the same region as your destination Log Analytics workspace" (Azure Monitor,
    // data collection rules, create and edit). The hosts' associations are extension resources on the
    // VMs and may name a rule in any region; no data collection endpoint is used.
    this.dataCollectionRule = new monitor.DataCollectionRule(
      `${name}-dcr`,
      {
        ...common,
        location: plan.workspace.kind === "existing" ? plan.workspace.location : args.location,
        dataCollectionRuleName: plan.names.dataCollectionRule,
        kind: monitor.KnownDataCollectionRuleResourceKind.Windows,
        description:
          "Mail hosts: System-log Tcpip events of ephemeral-port exhaustion, the port-usage sampler's readings and the tuning's correction events from the Application log, and the TCPv4/TCPv6 counters.",
        dataSources: {
          windowsEventLogs: [
            { name: "tcpipPortExhaustionEvents", streams: [DCR_STREAMS.events], xPathQueries: [...plan.eventXPathQueries] },
            { name: "mailhostTuningCorrections", streams: [DCR_STREAMS.events], xPathQueries: [...plan.correctionEventXPathQueries] },
          ],
          performanceCounters: [
            {
              name: "tcpCounters",
              streams: [DCR_STREAMS.counters],
              samplingFrequencyInSeconds: plan.samplingIntervalSeconds,
              counterSpecifiers: [...plan.counterSpecifiers],
            },
          ],
        },
        destinations: { logAnalytics: [{ name: WORKSPACE_DESTINATION, workspaceResourceId: this.workspaceResourceId }] },
        dataFlows: [{ streams: [DCR_STREAMS.events, DCR_STREAMS.counters], destinations: [WORKSPACE_DESTINATION] }],
      },
      { parent: this },
    );

    this.actionGroup = new monitor.ActionGroup(
      `${name}-ag`,
      {
        resourceGroupName: args.resourceGroupName,
        // Action groups are global resources (Microsoft's templates use "Global").
        location: "Global",
        actionGroupName: plan.names.actionGroup,
        groupShortName: plan.names.actionGroupShortName,
        enabled: true,
        emailReceivers: plan.emailReceivers.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
        webhookReceivers:
          plan.webhookReceiver && args.alertWebhookUrl !== undefined
            ? [{ name: "webhook", serviceUri: pulumi.secret(args.alertWebhookUrl), useCommonAlertSchema: true }]
            : [],
        tags,
      },
      { parent: this },
    );

    this.alertRules = plan.alerts.map(
      (alert) =>
        new monitor.ScheduledQueryRule(
          `${name}-${alert.key}`,
          {
            ...common,
            ruleName: alert.ruleName,
            displayName: alert.displayName,
            description: alert.description,
            kind: monitor.Kind.LogAlert,
            enabled: true,
            severity: alert.severity,
            scopes: [this.workspaceResourceId],
            evaluationFrequency: isoMinutes(alert.evaluationFrequencyMinutes),
            windowSize: isoMinutes(alert.windowMinutes),
            criteria: {
              allOf: [
                {
                  query: alert.query,
                  timeAggregation: alert.timeAggregation,
                  metricMeasureColumn: alert.metricMeasureColumn,
                  // Per host: the row's VM id is the alert's target; or, for the heartbeat rule, whose silent hosts may
                  // have no row of their own in Heartbeat, the host's name is the alert's one dimension.
                  ...(alert.split === "resourceId" ? { resourceIdColumn: RESOURCE_ID_COLUMN } : {}),
                  // The scheduledQueryRules API spelling; the SDK's ConditionOperator enum ("gt") belongs to another resource.
                  operator: alert.operator,
                  threshold: alert.threshold,
                  dimensions: (alert.dimensions ?? [alert.split === "resourceId" ? "Computer" : HOST_DIMENSION]).map((dimension) => ({
                    name: dimension,
                    operator: monitor.DimensionOperator.Include,
                    values: ["*"],
                  })),
                  failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                },
              ],
            },
            autoMitigate: true,
            actions: { actionGroups: [this.actionGroup.id] },
          },
          { parent: this },
        ),
    );

    const natGatewayId = args.natGatewayId;
    this.metricAlerts =
      natGatewayId === undefined
        ? []
        : plan.metricAlerts.map(
            (alert) =>
              new monitor.MetricAlert(
                `${name}-${alert.key}`,
                {
                  resourceGroupName: args.resourceGroupName,
                  // Metric alert rules are global resources (Microsoft's templates and AMBA use "global").
                  location: "global",
                  ruleName: alert.ruleName,
                  description: `${alert.displayName}. ${alert.description}`,
                  severity: alert.severity,
                  enabled: true,
                  scopes: [natGatewayId],
                  evaluationFrequency: isoMinutes(alert.evaluationFrequencyMinutes),
                  windowSize: isoMinutes(alert.windowMinutes),
                  criteria: {
                    odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    allOf: [
                      {
                        criterionType: "StaticThresholdCriterion",
                        name: alert.metricName,
                        metricName: alert.metricName,
                        metricNamespace: alert.metricNamespace,
                        operator: alert.operator,
                        threshold: alert.threshold,
                        timeAggregation: alert.timeAggregation,
                        dimensions: alert.dimensions.map((d) => ({ name: d.name, operator: "Include", values: [...d.values] })),
                      },
                    ],
                  },
                  autoMitigate: true,
                  actions: [{ actionGroupId: this.actionGroup.id }],
                  tags,
                },
                { parent: this },
              ),
          );

    this.registerOutputs({
      workspaceResourceId: this.workspaceResourceId,
      dataCollectionRuleId: this.dataCollectionRule.id,
      actionGroupId: this.actionGroup.id,
      alertRules: this.alertRules.map((r) => r.name),
      metricAlerts: this.metricAlerts.map((r) => r.name),
    });
  }
}
