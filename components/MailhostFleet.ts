import * as pulumi from "@pulumi/pulumi";
import { type FleetPlan } from "../domain/plan";
import { type MachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { machineConfigurationPackageFor } from "./guestContent";
import { MailSite } from "./MailSite";
import { Monitoring } from "./Monitoring";
import { WindowsMailHost } from "./WindowsMailHost";
import { makeInTurns } from "./inTurns";
import { type MailhostStackOutputs } from "./stackOutputs";
import { type FleetComponentArgs } from "./fleetArgs";
import { OffInstance } from "./offInstance";
import { type EgressSettings, type FleetSettings, planSettings } from "./settings";

export interface MailhostFleetArgs extends FleetComponentArgs {
  /** The hosts and their network: count, size, zones, administrator, IMAP clients, tags, Windows version, address space. Required. */
  readonly fleet: FleetSettings;
  /** The subnet's outbound path. Defaults to a NAT gateway with its own public IP. */
  readonly egress?: EgressSettings;
}

/** What only TypeScript programs read (getters; see components/offInstance.ts). */
interface FleetParts {
  readonly plan: FleetPlan;
  readonly site: MailSite;
  readonly monitoring?: Monitoring;
  readonly hosts: readonly WindowsMailHost[];
  readonly ready: Promise<void>;
  readonly stackOutputs: MailhostStackOutputs;
}
const parts = new OffInstance<MailhostFleet, FleetParts>();

/**
 * The whole fleet of one environment: a `MailSite` (resource group, VNet, private subnet, NSG,
 * egress, and the guest content store the tuning mechanism needs), `Monitoring` when enabled, and
 * one `WindowsMailHost` per host, each tuned by the chosen mechanism with the SiteConfig floor.
 * Every setting is validated with the stack config's rules and messages before anything exists.
 *
 * Stacks created before this component existed had the `MailSite` at the top: it carries an alias
 * from that URN, and every resource below it inherits it, so `pulumi up` moves nothing.
 */
export class MailhostFleet extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:MailhostFleet";

  /** Name of the fleet's resource group. */
  public readonly resourceGroupName: pulumi.Output<string>;
  /** Names of the hosts (VM and Windows computer names), in plan order. */
  public readonly hostNames: string[];
  /** ARM ids of the hosts' VMs, in plan order; known once every host exists. */
  public readonly vmIds: pulumi.Output<string[]>;
  /** ARM id of the data collection rule, when monitoring is enabled. */
  public readonly dataCollectionRuleId?: pulumi.Output<string>;

  /** The validated plan the fleet was built from. */
  get plan(): FleetPlan {
    return parts.of(this).plan;
  }
  /** The site: resource group, network, egress and guest content. */
  get site(): MailSite {
    return parts.of(this).site;
  }
  /** Azure Monitor, when enabled. */
  get monitoring(): Monitoring | undefined {
    return parts.of(this).monitoring;
  }
  /**
   * The hosts, in plan order. They are created ten at a time between turns of the event loop (a
   * 1,000-host fleet built in one go exhausts the heap): the list is complete once `ready` resolves.
   */
  get hosts(): readonly WindowsMailHost[] {
    return parts.of(this).hosts;
  }
  /** Resolves when every host exists (rejects with the first error). The outputs wait for it. */
  get ready(): Promise<void> {
    return parts.of(this).ready;
  }
  /** What the repository's program exports: nothing secret. */
  get stackOutputs(): MailhostStackOutputs {
    return parts.of(this).stackOutputs;
  }

  constructor(name: string, args: MailhostFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = planSettings(MailhostFleet.typeToken, name, args.environment, args, { webhookReceiver: args.alertWebhookUrl !== undefined }, opts, {
      adminPassword: args.adminPassword,
      alertWebhookUrl: args.alertWebhookUrl,
    });
    // Built before anything is registered: a module that cannot be packaged stops here.
    let machineConfigurationPackage: MachineConfigurationPackage | undefined;
    try {
      machineConfigurationPackage = plan.tuning.mechanism === "machineConfiguration" ? machineConfigurationPackageFor(plan.tuning) : undefined;
    } catch (err) {
      throw new pulumi.ResourceError(`${MailhostFleet.typeToken} "${name}": ${(err as Error).message}`, opts?.parent, true);
    }
    super(MailhostFleet.typeToken, name, {}, opts);
    const adminPassword = pulumi.secret(args.adminPassword);

    // Before this component, the site was the stack's top resource (parent: the stack).
    const site = new MailSite(
      name,
      {
        names: plan.names,
        addressPrefix: plan.config.fleet.addressPrefix,
        allowedImapCidrs: plan.config.fleet.allowedImapCidrs,
        publishDscArchive: plan.tuning.mechanism === "dsc",
        machineConfigurationPackage,
        tags: plan.tags,
        egress: plan.egress,
      },
      { parent: this, aliases: [topLevelUrn(MailSite.typeToken, name)] },
    );

    // Azure Monitor: created before the hosts, which associate with its data collection rule.
    const monitoring = plan.monitoring.enabled
      ? new Monitoring(
          `${name}-monitoring`,
          {
            resourceGroupName: site.resourceGroup.name,
            location: site.resourceGroup.location,
            plan: plan.monitoring,
            natGatewayId: site.natGatewayEgress?.natGateway.id,
            alertWebhookUrl: args.alertWebhookUrl === undefined ? undefined : pulumi.secret(args.alertWebhookUrl),
            tags: plan.tags,
          },
          { parent: site },
        )
      : undefined;

    const { created, done } = makeInTurns(
      plan.hosts,
      (host) =>
        new WindowsMailHost(
          host.name,
          {
            resourceGroupName: site.resourceGroup.name,
            location: site.resourceGroup.location,
            subnetId: site.subnet.id,
            host,
            vmSize: plan.config.fleet.vmSize,
            windowsVersion: plan.config.fleet.windowsVersion,
            adminUsername: plan.config.fleet.adminUsername,
            adminPassword,
            tuning: plan.tuning,
            dscArchive: site.dscArchive,
            machineConfiguration: site.machineConfiguration,
            tags: plan.tags,
            monitoring: monitoring && {
              dataCollectionRuleId: monitoring.dataCollectionRule.id,
              associationName: plan.monitoring.names.dataCollectionRuleAssociation,
            },
          },
          { parent: site },
        ),
    );

    const tuning = {
      mechanism: plan.tuning.mechanism,
      maxUserPort: plan.tuning.maxUserPort,
      tcpTimedWaitDelay: plan.tuning.tcpTimedWaitDelay,
      dynamicPortRange: { start: plan.tuning.dynamicPortRangeStart, count: plan.tuning.dynamicPortRangeCount },
      mailboxCacheTtl: plan.tuning.mailboxCacheTtl,
      ...(plan.tuning.autoReusePortRange === undefined ? {} : { autoReusePortRange: { ...plan.tuning.autoReusePortRange } }),
    };
    const rmax = Math.round(plan.capacity.rmax * 100) / 100;
    const stackOutputs: MailhostStackOutputs = {
      resourceGroupName: site.resourceGroup.name,
      hosts: plan.hosts.map((host, i) => ({
        name: host.name,
        // The VM's own zone (kept from its creation), not the one the plan would give a new host.
        zone: pulumi.output(done.then(() => created[i].virtualMachine.zones.apply((zones) => zones?.[0] ?? null))),
        privateIpAddress: pulumi.output(done.then(() => created[i].privateIpAddress)),
        tuning,
        capacityModel: plan.capacity.model,
        rmax,
        effectiveTtlFloor: plan.tuning.effectiveTtlFloor,
      })),
      // Never the webhook URL: receivers are shown by kind and e-mail address only.
      monitoring:
        monitoring === undefined
          ? { enabled: false }
          : {
              enabled: true,
              workspaceResourceId: monitoring.workspaceResourceId,
              dataCollectionRuleId: monitoring.dataCollectionRule.id,
              actionGroupId: monitoring.actionGroup.id,
              emailReceivers: [...plan.monitoring.emailReceivers],
              webhookReceiver: plan.monitoring.webhookReceiver,
              alertRules: plan.monitoring.alerts.map((a) => ({ name: a.ruleName, severity: a.severity, threshold: a.threshold })),
              metricAlerts: plan.monitoring.metricAlerts.map((a) => ({ name: a.ruleName, severity: a.severity, threshold: a.threshold })),
            },
    };
    parts.set(this, { plan, site, monitoring, hosts: created, ready: done, stackOutputs });
    this.resourceGroupName = site.resourceGroup.name;
    this.hostNames = plan.hosts.map((host) => host.name);
    this.vmIds = pulumi.output(done.then(() => created.map((h) => h.virtualMachine.id)));
    this.dataCollectionRuleId = monitoring?.dataCollectionRule.id;
    this.registerOutputs({
      resourceGroupName: this.resourceGroupName,
      hosts: this.vmIds,
      monitoring: this.dataCollectionRuleId,
    });
  }
}

/** The URN a resource of this stack had as a top-level resource (parent: the stack). */
function topLevelUrn(type: string, name: string): string {
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${name}`;
}
