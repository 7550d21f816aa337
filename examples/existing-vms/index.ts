/**
 * Tuning and monitoring for mail hosts another program (or the portal) created: one guest-content
 * store shared by every VM, Machine Configuration tuning on two VMs (each reads its package with
 * its own system-assigned identity), run-command tuning on a third, and monitoring of all three
 * into an existing Log Analytics workspace.
 *
 *   pulumi config set contentResourceGroup rg-mail-shared
 *   pulumi config set --path 'vmIds[0]' /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>
 *   pulumi config set workspaceResourceId /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>
 *   pulumi config set workspaceLocation westeurope
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { ExistingVmTuning, GuestContentStore, PortExhaustionMonitoring, type CapacitySettings, type SiteConfigSettings } from "mailhost-iac";

const config = new pulumi.Config();
const vmIds = config.requireObject<string[]>("vmIds");
const workspaceResourceId = config.require("workspaceResourceId");
const workspaceLocation = config.require("workspaceLocation");

const store = new GuestContentStore("mail-content", {
  resourceGroupName: config.require("contentResourceGroup"),
  accountName: config.get("contentAccountName") ?? "stmailcontent001",
});

const siteConfig: SiteConfigSettings = { mailboxCacheTtl: 900, minimumMailboxCacheTtl: 600 };
const capacity: CapacitySettings = { activeSessionsPerHost: 15000, backendEndpoints: 2 };

export const tuned = vmIds.map((vmId, i) => {
  const tuning = new ExistingVmTuning(`mail-vm-${i + 1}`, {
    vmId,
    // The last VM takes the managed Run Command (no auto-correct); the others Machine Configuration.
    tcp: i === vmIds.length - 1 ? { tuning: "runCommand", tcpTimedWaitDelay: 60 } : { tuning: "machineConfiguration", tcpTimedWaitDelay: 60 },
    siteConfig,
    capacity,
    store,
  });
  return { vmId, mechanism: tuning.tuningPlan.mechanism, effectiveTtlFloor: tuning.tuningPlan.effectiveTtlFloor };
});

const monitoring = new PortExhaustionMonitoring("mail-monitoring", {
  environment: pulumi.getStack(),
  resourceGroupName: config.require("contentResourceGroup"),
  vmIds,
  workspaceResourceId,
  workspaceLocation,
  settings: { emailReceivers: ["mail-oncall@example.com"] },
});

export const dataCollectionRuleId = monitoring.monitoring.dataCollectionRule.id;
