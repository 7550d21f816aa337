import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as monitor from "@pulumi/azure-native/monitor";
import { planMonitoring } from "../domain/monitoring";
import { hostNamePrefix, slug } from "../domain/plan";
import { VM_RESOURCE_ID_PATTERN } from "./ExistingVmTuning";
import { Monitoring } from "./Monitoring";
import { OffInstance } from "./offInstance";
import { type MonitoringAlertSettings, planSettings } from "./settings";
import { rejectInvalid } from "./validation";
import { AZURE_MONITOR_AGENT_EXTENSION } from "./WindowsMailHost";

export interface PortExhaustionMonitoringArgs {
  /**
   * Name used in the Azure names of what this creates (`dcr-mailhost-<environment>`,
   * `ag-mailhost-<environment>`, `alert-mailhost-<environment>-<signal>`). Required.
   */
  readonly environment: string;
  /** Resource group of the data collection rule, the action group and the alert rules. Required. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region of the alert rules and the agents. Defaults to the provider's location; keep it the VMs' region (the data collection rule goes to the workspace's). */
  readonly location?: pulumi.Input<string>;
  /**
   * ARM ids of the Windows VMs to watch, `/subscriptions/<id>/resourceGroups/<group>/providers/
   * Microsoft.Compute/virtualMachines/<name>`; at least one. Plain values: the alert queries select
   * exactly these hosts (case-insensitively), so a shared workspace alerts on nothing else.
   * Each VM needs a system-assigned identity (the agent authenticates with it).
   */
  readonly vmIds: string[];
  /** ARM id of the existing Log Analytics workspace the data goes to. Required; nothing creates one. */
  readonly workspaceResourceId: string;
  /**
   * Azure region of that workspace (an ARM id carries none), e.g. "westeurope". Required: the data
   * collection rule is created there, since Azure Monitor requires a rule in its Log Analytics
   * destination's region.
   */
  readonly workspaceLocation: string;
  /**
   * Sampling, receivers and alert thresholds: the keys of stack config `mailhost:monitoring` but
   * `enabled`, `workspaceResourceId`, `workspaceLocation` and `retentionInDays`, with the same
   * ranges (docs/CONFIGURATION.md). Defaults to the default of each key.
   */
  readonly settings?: MonitoringAlertSettings;
  /** Webhook of the action group (https); stored as a secret, never exported. Defaults to none. */
  readonly alertWebhookUrl?: pulumi.Input<string>;
  /** Install the Azure Monitor Agent on each VM. Defaults to true; false for VMs that already run it. */
  readonly installAgent?: boolean;
  /** Azure tags. Defaults to none. */
  readonly tags?: Record<string, string>;
}

/** What only TypeScript programs read (getters; see components/offInstance.ts). */
interface MonitoringParts {
  readonly monitoring: Monitoring;
  readonly agents: readonly (compute.VirtualMachineExtension | undefined)[];
  readonly associations: readonly monitor.DataCollectionRuleAssociation[];
}
const parts = new OffInstance<PortExhaustionMonitoring, MonitoringParts>();

/**
 * Port-exhaustion monitoring for VMs that already exist, into a workspace that already exists:
 * a `Monitoring` component (data collection rule with the Tcpip events and TCP counters, an
 * action group, the four log search alert rules, each per host), and on every VM the Azure
 * Monitor Agent (unless `installAgent` is false) and an association with the rule.
 */
export class PortExhaustionMonitoring extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:PortExhaustionMonitoring";

  /** ARM id of the data collection rule. */
  public readonly dataCollectionRuleId: pulumi.Output<string>;
  /** ARM id of the action group. */
  public readonly actionGroupId: pulumi.Output<string>;

  /** The data collection rule, the action group and the alert rules. */
  get monitoring(): Monitoring {
    return parts.of(this).monitoring;
  }
  /** Per VM, in the order of `vmIds`: the agent extension, when installed. */
  get agents(): readonly (compute.VirtualMachineExtension | undefined)[] {
    return parts.of(this).agents;
  }
  /** Per VM, in the order of `vmIds`: the association with the data collection rule. */
  get associations(): readonly monitor.DataCollectionRuleAssociation[] {
    return parts.of(this).associations;
  }

  constructor(name: string, args: PortExhaustionMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    if (args.vmIds.length === 0) problems.push("vmIds is empty: give at least one VM");
    for (const id of args.vmIds)
      if (!VM_RESOURCE_ID_PATTERN.test(id)) problems.push(`vmIds contains ${JSON.stringify(id)}, which is not a virtual machine's ARM id`);
    if (new Set(args.vmIds.map((id) => id.toLowerCase())).size !== args.vmIds.length) problems.push("vmIds names a VM twice");
    rejectInvalid(PortExhaustionMonitoring.typeToken, name, problems, opts);
    // Validated as stack config `mailhost:monitoring` is; the fleet part is a valid placeholder.
    const plan = planSettings(
      PortExhaustionMonitoring.typeToken,
      name,
      args.environment,
      {
        fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: [] },
        tcp: { tuning: "runCommand" },
        siteConfig: { mailboxCacheTtl: 3600 },
        capacity: { activeSessionsPerHost: 0, backendEndpoints: 1 },
        monitoring: { ...args.settings, enabled: true, workspaceResourceId: args.workspaceResourceId, workspaceLocation: args.workspaceLocation },
      },
      { webhookReceiver: args.alertWebhookUrl !== undefined },
      opts,
      { alertWebhookUrl: args.alertWebhookUrl },
    );
    const monitoringPlan = planMonitoring(
      slug(args.environment),
      plan.names.resourceGroup,
      hostNamePrefix(args.environment),
      plan.config.monitoring,
      args.alertWebhookUrl !== undefined,
      args.vmIds.map((id) => VM_RESOURCE_ID_PATTERN.exec(id)![3]),
      { vmIds: args.vmIds },
    );
    super(PortExhaustionMonitoring.typeToken, name, {}, opts);

    const monitoring = new Monitoring(
      `${name}-monitoring`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        plan: monitoringPlan,
        alertWebhookUrl: args.alertWebhookUrl === undefined ? undefined : pulumi.secret(args.alertWebhookUrl),
        tags: args.tags,
      },
      { parent: this },
    );

    const agents: (compute.VirtualMachineExtension | undefined)[] = [];
    const associations: monitor.DataCollectionRuleAssociation[] = [];
    for (const vmId of args.vmIds) {
      const [, , resourceGroupName, vmName] = VM_RESOURCE_ID_PATTERN.exec(vmId)!;
      const key = vmName.toLowerCase();
      const agent =
        args.installAgent === false
          ? undefined
          : new compute.VirtualMachineExtension(
              `${name}-${key}-ama`,
              {
                resourceGroupName,
                location: args.location,
                vmName,
                ...AZURE_MONITOR_AGENT_EXTENSION,
                tags: args.tags,
              },
              { parent: this },
            );
      agents.push(agent);
      associations.push(
        new monitor.DataCollectionRuleAssociation(
          `${name}-${key}-dcra`,
          {
            resourceUri: vmId,
            associationName: monitoringPlan.names.dataCollectionRuleAssociation,
            dataCollectionRuleId: monitoring.dataCollectionRule.id,
            description: "Sends this mail host's Tcpip port-exhaustion events and TCP counters to the workspace.",
          },
          { parent: this },
        ),
      );
    }
    parts.set(this, { monitoring, agents, associations });
    this.dataCollectionRuleId = monitoring.dataCollectionRule.id;
    this.actionGroupId = monitoring.actionGroup.id;
    this.registerOutputs({ dataCollectionRuleId: this.dataCollectionRuleId, actionGroupId: this.actionGroupId });
  }
}
