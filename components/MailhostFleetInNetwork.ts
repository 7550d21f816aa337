import * as pulumi from "@pulumi/pulumi";
import { natGatewayAlertPlans } from "../domain/monitoring";
import { type FleetPlan, slug } from "../domain/plan";
import { GuestContentStore } from "./GuestContentStore";
import { type MachineConfigurationContent } from "./MachineConfigurationTuning";
import { Monitoring } from "./Monitoring";
import { WindowsMailHost } from "./WindowsMailHost";
import { makeInTurns } from "./inTurns";
import { type FleetComponentArgs } from "./fleetArgs";
import { OffInstance } from "./offInstance";
import { type HostSettings, planSettings } from "./settings";
import { rejectInvalid } from "./validation";

/** ARM id of a resource group. */
export const RESOURCE_GROUP_ID_PATTERN = /^\/subscriptions\/[0-9A-Fa-f-]{36}\/resourceGroups\/([-\w.()]{1,90})$/i;
/** ARM id of a NAT gateway (its name is group 1). */
export const NAT_GATEWAY_ID_PATTERN =
  /^\/subscriptions\/[0-9A-Fa-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Network\/natGateways\/([-\w.]{1,80})$/i;
/** ARM id of a subnet. */
export const SUBNET_ID_PATTERN =
  /^\/subscriptions\/[0-9A-Fa-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Network\/virtualNetworks\/[-\w.]{1,80}\/subnets\/[-\w.]{1,80}$/i;

export interface MailhostFleetInNetworkArgs extends FleetComponentArgs {
  /** ARM id of the existing resource group that receives the hosts, the content store and the monitoring. Required. */
  readonly resourceGroupId: string;
  /**
   * ARM id of the existing subnet of the hosts' NICs. Required. Its NSG, route table and outbound
   * path are yours: this component creates no network, and gives no NIC a public IP.
   */
  readonly subnetId: pulumi.Input<string>;
  /** Region of everything created. Defaults to the provider's location; keep it the subnet's region. */
  readonly location?: pulumi.Input<string>;
  /** The hosts, as `mailhost:fleet` without the network keys (`addressPrefix`, `allowedImapCidrs`). Required. */
  readonly fleet: HostSettings;
  /**
   * ARM id of the NAT gateway the subnet sends its outbound traffic through, when it has one: with
   * monitoring on, its metric alerts (failed SNAT connections, dropped packets; thresholds from
   * `monitoring.alerts`) notify the same action group. Defaults to none: the network is the user's,
   * so no NAT gateway alert is created.
   */
  readonly natGatewayId?: string;
}

/** What only TypeScript programs read (getters; see components/offInstance.ts). */
interface FleetInNetworkParts {
  readonly plan: FleetPlan;
  readonly store?: GuestContentStore;
  readonly monitoring?: Monitoring;
  readonly hosts: readonly WindowsMailHost[];
  readonly ready: Promise<void>;
}
const parts = new OffInstance<MailhostFleetInNetwork, FleetInNetworkParts>();

/**
 * The fleet of `MailhostFleet` inside a resource group and subnet that already exist: the hosts
 * (`WindowsMailHost`: NIC without public IP, Trusted Launch VM, tuning), a `GuestContentStore`
 * when the mechanism needs one (DSC archive, or the Machine Configuration package with a
 * user-assigned reader identity the hosts carry), and `Monitoring` when enabled. No resource
 * group, VNet, subnet, NSG or egress of its own.
 */
export class MailhostFleetInNetwork extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:MailhostFleetInNetwork";

  /** Names of the hosts (VM and Windows computer names), in plan order. */
  public readonly hostNames: string[];
  /** ARM ids of the hosts' VMs, in plan order; known once every host exists. */
  public readonly vmIds: pulumi.Output<string[]>;
  /** ARM id of the guest content store's package container, when the mechanism needs a store. */
  public readonly packageContainerId?: pulumi.Output<string>;
  /** ARM id of the data collection rule, when monitoring is enabled. */
  public readonly dataCollectionRuleId?: pulumi.Output<string>;

  /** The validated plan the fleet was built from. */
  get plan(): FleetPlan {
    return parts.of(this).plan;
  }
  /** The guest content store, when the mechanism needs one. */
  get store(): GuestContentStore | undefined {
    return parts.of(this).store;
  }
  /** Azure Monitor, when enabled. */
  get monitoring(): Monitoring | undefined {
    return parts.of(this).monitoring;
  }
  /** The hosts, in plan order, created ten at a time between turns of the event loop: complete once `ready` resolves. */
  get hosts(): readonly WindowsMailHost[] {
    return parts.of(this).hosts;
  }
  /** Resolves when every host exists (rejects with the first error). */
  get ready(): Promise<void> {
    return parts.of(this).ready;
  }

  constructor(name: string, args: MailhostFleetInNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    const group = RESOURCE_GROUP_ID_PATTERN.exec(args.resourceGroupId);
    if (group === null)
      problems.push(`resourceGroupId = ${JSON.stringify(args.resourceGroupId)} is not a resource group's ARM id (/subscriptions/<id>/resourceGroups/<name>)`);
    if (args.natGatewayId !== undefined && !NAT_GATEWAY_ID_PATTERN.test(args.natGatewayId))
      problems.push(`natGatewayId = ${JSON.stringify(args.natGatewayId)} is not a NAT gateway's ARM id (.../providers/Microsoft.Network/natGateways/<name>)`);
    if (typeof args.subnetId === "string" && !SUBNET_ID_PATTERN.test(args.subnetId))
      problems.push(
        `subnetId = ${JSON.stringify(args.subnetId)} is not a subnet's ARM id (.../providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)`,
      );
    rejectInvalid(MailhostFleetInNetwork.typeToken, name, problems, opts);
    const plan = planSettings(
      MailhostFleetInNetwork.typeToken,
      name,
      args.environment,
      {
        // No network of its own: the network keys take their defaults and are not used.
        fleet: { ...args.fleet, allowedImapCidrs: [] },
        tcp: args.tcp,
        siteConfig: args.siteConfig,
        capacity: args.capacity,
        monitoring: args.monitoring,
      },
      { webhookReceiver: args.alertWebhookUrl !== undefined },
      opts,
      { adminPassword: args.adminPassword, alertWebhookUrl: args.alertWebhookUrl },
    );
    super(MailhostFleetInNetwork.typeToken, name, {}, opts);
    const resourceGroupName = group![1];
    const location = args.location;
    const tags = plan.tags;

    const mechanism = plan.tuning.mechanism;
    const store =
      mechanism === "runCommand"
        ? undefined
        : new GuestContentStore(
            `${name}-content`,
            {
              resourceGroupName,
              location,
              accountName: plan.names.storageAccount,
              tags,
            },
            { parent: this },
          );
    let machineConfiguration: MachineConfigurationContent | undefined;
    if (mechanism === "machineConfiguration") {
      const published = store!.publishPackage(plan.tuning);
      const reader = store!.packageReaderIdentity(plan.names.machineConfigurationIdentity, location, tags);
      machineConfiguration = {
        contentUri: published.contentUri,
        contentHash: published.contentHash,
        identityId: reader.identity.id,
        readyAfter: [published.blob, reader.role],
      };
    }
    const dscArchive = mechanism === "dsc" ? store!.dscArchive() : undefined;

    const monitoring = plan.monitoring.enabled
      ? new Monitoring(
          `${name}-monitoring`,
          {
            resourceGroupName,
            location,
            // The plan's NAT gateway alerts name the gateway a new network would get: here the user's, or none.
            plan: {
              ...plan.monitoring,
              metricAlerts:
                args.natGatewayId === undefined
                  ? []
                  : natGatewayAlertPlans(slug(args.environment), NAT_GATEWAY_ID_PATTERN.exec(args.natGatewayId)![1], plan.config.monitoring),
            },
            natGatewayId: args.natGatewayId,
            alertWebhookUrl: args.alertWebhookUrl === undefined ? undefined : pulumi.secret(args.alertWebhookUrl),
            tags,
          },
          { parent: this },
        )
      : undefined;
    const adminPassword = pulumi.secret(args.adminPassword);

    const { created, done } = makeInTurns(
      plan.hosts,
      (host) =>
        new WindowsMailHost(
          host.name,
          {
            resourceGroupName,
            location,
            subnetId: args.subnetId,
            host,
            vmSize: plan.config.fleet.vmSize,
            windowsVersion: plan.config.fleet.windowsVersion,
            adminUsername: plan.config.fleet.adminUsername,
            adminPassword,
            tuning: plan.tuning,
            dscArchive,
            machineConfiguration,
            tags,
            monitoring: monitoring && {
              dataCollectionRuleId: monitoring.dataCollectionRule.id,
              associationName: plan.monitoring.names.dataCollectionRuleAssociation,
            },
          },
          { parent: this },
        ),
    );

    parts.set(this, { plan, store, monitoring, hosts: created, ready: done });
    this.hostNames = plan.hosts.map((host) => host.name);
    this.vmIds = pulumi.output(done.then(() => created.map((h) => h.virtualMachine.id)));
    this.packageContainerId = store?.packageContainerId;
    this.dataCollectionRuleId = monitoring?.dataCollectionRule.id;
    this.registerOutputs({ hosts: this.vmIds });
  }
}
