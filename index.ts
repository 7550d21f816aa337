/**
 * The mailhost Pulumi program: reads and validates the stack's config (nothing is created when it
 * is invalid), then builds the site and its mail hosts.
 */
import * as pulumi from "@pulumi/pulumi";
import { MailSite } from "./components/MailSite";
import { Monitoring } from "./components/Monitoring";
import { WindowsMailHost } from "./components/WindowsMailHost";
import { machineConfigurationPackageFor } from "./components/guestContent";
import { ConfigValidationError } from "./domain/issues";
import { type MailhostStackOutputs } from "./components/stackOutputs";
import { loadStack } from "./stack/stackConfig";

/** Hosts created between two turns of the event loop (keeps memory flat for large fleets). */
const HOSTS_PER_TURN = 10;

async function mailhostProgram(): Promise<MailhostStackOutputs> {
  let loaded;
  try {
    loaded = loadStack(pulumi.getStack(), pulumi.runtime.allConfig());
  } catch (err) {
    // A user error: one clear message, no stack trace.
    if (err instanceof ConfigValidationError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const { plan } = loaded;
  // Built from the plan before anything is registered: a module that cannot be packaged stops the run here.
  let machineConfigurationPackage;
  try {
    machineConfigurationPackage = plan.tuning.mechanism === "machineConfiguration"
      ? machineConfigurationPackageFor(plan.tuning)
      : undefined;
  } catch (err) {
    throw new pulumi.RunError((err as Error).message);
  }
  const adminPassword = pulumi.secret(loaded.adminPassword);

  const site = new MailSite("mailhost", {
    names: plan.names,
    addressPrefix: plan.config.fleet.addressPrefix,
    allowedImapCidrs: plan.config.fleet.allowedImapCidrs,
    publishDscArchive: plan.tuning.mechanism === "dsc",
    machineConfigurationPackage,
    tags: plan.tags,
    egress: plan.egress,
  });

  // Azure Monitor: created before the hosts, which associate with its data collection rule.
  const monitoring = plan.monitoring.enabled
    ? new Monitoring("mailhost-monitoring", {
      resourceGroupName: site.resourceGroup.name,
      location: site.resourceGroup.location,
      plan: plan.monitoring,
      natGatewayId: site.natGatewayEgress?.natGateway.id,
      alertWebhookUrl: loaded.alertWebhookUrl === undefined ? undefined : pulumi.secret(loaded.alertWebhookUrl),
      tags: plan.tags,
    }, { parent: site })
    : undefined;

  const outputs: MailhostStackOutputs["hosts"] = [];
  for (const host of plan.hosts) {
    const mailHost = new WindowsMailHost(host.name, {
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
    }, { parent: site });
    outputs.push({
      name: host.name,
      // The VM's own zone (kept from its creation), not the one the plan would give a new host.
      zone: mailHost.virtualMachine.zones.apply((zones) => zones?.[0] ?? null),
      privateIpAddress: mailHost.privateIpAddress,
      tuning: {
        mechanism: plan.tuning.mechanism,
        maxUserPort: plan.tuning.maxUserPort,
        tcpTimedWaitDelay: plan.tuning.tcpTimedWaitDelay,
        dynamicPortRange: { start: plan.tuning.dynamicPortRangeStart, count: plan.tuning.dynamicPortRangeCount },
        mailboxCacheTtl: plan.tuning.mailboxCacheTtl,
        ...(plan.tuning.autoReusePortRange === undefined ? {} : { autoReusePortRange: { ...plan.tuning.autoReusePortRange } }),
      },
      capacityModel: plan.capacity.model,
      rmax: Math.round(plan.capacity.rmax * 100) / 100,
      effectiveTtlFloor: plan.tuning.effectiveTtlFloor,
    });
    if (host.index % HOSTS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
  }

  return {
    resourceGroupName: site.resourceGroup.name,
    hosts: outputs,
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
}

export = mailhostProgram;
