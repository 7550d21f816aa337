import * as pulumi from "@pulumi/pulumi";
import { type FleetPlan } from "../domain/plan";
import { type MachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { machineConfigurationPackageFor } from "./guestContent";
import { MailSite } from "./MailSite";
import { Monitoring } from "./Monitoring";
import { WindowsMailHost } from "./WindowsMailHost";
import { makeInTurns } from "./inTurns";
import { type MailhostStackOutputs } from "./stackOutputs";
import { type CapacitySettings, type EgressSettings, type FleetSettings, type MonitoringSettings, type SiteConfigSettings, type TcpSettings, planSettings } from "./settings";

export interface MailhostFleetArgs {
  /**
   * Environment name (the stack name in this repository's program): it names every Azure
   * resource (`rg-mailhost-<environment>`, `vm-mail-<environment>-001`, ...) and fills the
   * `environment` and `mailhost-stack` tags. Required. Azure names cannot change after creation:
   * a different environment is a different fleet.
   */
  readonly environment: string;
  /** The hosts: count, size, zones, administrator, IMAP clients, tags, Windows version, address space. Required. */
  readonly fleet: FleetSettings;
  /** TCP tuning in every host. Required. Validated when the component is constructed. */
  readonly tcp: TcpSettings;
  /** SiteConfig.cfg of every host. Required. Validated when the component is constructed. */
  readonly siteConfig: SiteConfigSettings;
  /** Planned load per host; decides the `MailboxCacheTTL` floor. Required. */
  readonly capacity: CapacitySettings;
  /** The subnet's outbound path. Defaults to a NAT gateway with its own public IP. */
  readonly egress?: EgressSettings;
  /** Azure Monitor for port exhaustion. Defaults to enabled, with a workspace of its own. */
  readonly monitoring?: MonitoringSettings;
  /** Local administrator password of every host; stored as a Pulumi secret. Required. */
  readonly adminPassword: pulumi.Input<string>;
  /** Webhook of the alert action group (https). Stored as a secret, never exported. Defaults to none. */
  readonly alertWebhookUrl?: pulumi.Input<string>;
}

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

  /** The validated plan the fleet was built from. */
  public readonly plan: FleetPlan;
  public readonly site: MailSite;
  /** Azure Monitor, when enabled. */
  public readonly monitoring?: Monitoring;
  /**
   * The hosts, in plan order. They are created ten at a time between turns of the event loop (a
   * 1,000-host fleet built in one go exhausts the heap): the list is complete once `ready` resolves.
   */
  public readonly hosts: readonly WindowsMailHost[];
  /** Resolves when every host exists (rejects with the first error). The outputs wait for it. */
  public readonly ready: Promise<void>;
  /** What the repository's program exports: nothing secret. */
  public readonly stackOutputs: MailhostStackOutputs;

  constructor(name: string, args: MailhostFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = planSettings(MailhostFleet.typeToken, name, args.environment, args, { webhookReceiver: args.alertWebhookUrl !== undefined }, opts, { adminPassword: args.adminPassword, alertWebhookUrl: args.alertWebhookUrl });
    // Built before anything is registered: a module that cannot be packaged stops here.
    let machineConfigurationPackage: MachineConfigurationPackage | undefined;
    try {
      machineConfigurationPackage = plan.tuning.mechanism === "machineConfiguration"
        ? machineConfigurationPackageFor(plan.tuning)
        : undefined;
    } catch (err) {
      throw new pulumi.ResourceError(`${MailhostFleet.typeToken} "${name}": ${(err as Error).message}`, opts?.parent, true);
    }
    super(MailhostFleet.typeToken, name, {}, opts);
    this.plan = plan;
    const adminPassword = pulumi.secret(args.adminPassword);

    // Before this component, the site was the stack's top resource (parent: the stack).
    this.site = new MailSite(name, {
      names: plan.names,
      addressPrefix: plan.config.fleet.addressPrefix,
      allowedImapCidrs: plan.config.fleet.allowedImapCidrs,
      publishDscArchive: plan.tuning.mechanism === "dsc",
      machineConfigurationPackage,
      tags: plan.tags,
      egress: plan.egress,
    }, { parent: this, aliases: [topLevelUrn(MailSite.typeToken, name)] });
    const site = this.site;

    // Azure Monitor: created before the hosts, which associate with its data collection rule.
    this.monitoring = plan.monitoring.enabled
      ? new Monitoring(`${name}-monitoring`, {
        resourceGroupName: site.resourceGroup.name,
        location: site.resourceGroup.location,
        plan: plan.monitoring,
        natGatewayId: site.natGatewayEgress?.natGateway.id,
        alertWebhookUrl: args.alertWebhookUrl === undefined ? undefined : pulumi.secret(args.alertWebhookUrl),
        tags: plan.tags,
      }, { parent: site })
      : undefined;
    const monitoring = this.monitoring;

    const { created, done } = makeInTurns(plan.hosts, (host) => new WindowsMailHost(host.name, {
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
      monitoring: monitoring && { dataCollectionRuleId: monitoring.dataCollectionRule.id, associationName: plan.monitoring.names.dataCollectionRuleAssociation },
    }, { parent: site }));
    this.hosts = created;
    this.ready = done;

    const tuning = {
      mechanism: plan.tuning.mechanism,
      maxUserPort: plan.tuning.maxUserPort,
      tcpTimedWaitDelay: plan.tuning.tcpTimedWaitDelay,
      dynamicPortRange: { start: plan.tuning.dynamicPortRangeStart, count: plan.tuning.dynamicPortRangeCount },
      mailboxCacheTtl: plan.tuning.mailboxCacheTtl,
      ...(plan.tuning.autoReusePortRange === undefined ? {} : { autoReusePortRange: { ...plan.tuning.autoReusePortRange } }),
    };
    const rmax = Math.round(plan.capacity.rmax * 100) / 100;
    this.stackOutputs = {
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
      monitoring: monitoring === undefined ? { enabled: false } : {
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
    this.registerOutputs({
      resourceGroupName: site.resourceGroup.name,
      hosts: pulumi.output(done.then(() => created.map((h) => h.virtualMachine.id))),
      monitoring: monitoring?.dataCollectionRule.id,
    });
  }
}

/** The URN a resource of this stack had as a top-level resource (parent: the stack). */
function topLevelUrn(type: string, name: string): string {
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${name}`;
}
