/**
 * A new fleet: resource group, VNet, private subnet with a NAT gateway, NSG, two mail hosts tuned
 * by Azure Machine Configuration (with the SiteConfig.cfg floor), and port-exhaustion monitoring.
 *
 *   pulumi config set --secret adminPassword
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { MailhostFleet } from "mailhost-iac";
import { DEFAULTS } from "mailhost-iac/limits";

const config = new pulumi.Config();

const fleet = new MailhostFleet("mail", {
  environment: pulumi.getStack(),
  fleet: {
    hostCount: 2,
    vmSize: "Standard_D4s_v5",
    zones: ["1", "2"],
    adminUsername: "mailops",
    allowedImapCidrs: ["10.30.0.0/16"],
    addressPrefix: "10.44.0.0/24",
  },
  // The tightest TIME_WAIT the limits allow, by name rather than by a copied number.
  tcp: { tuning: "machineConfiguration", tcpTimedWaitDelay: DEFAULTS.tcpTimedWaitDelay },
  siteConfig: { mailboxCacheTtl: 900, settings: { Imap: { BackendServers: "imap-a.mail.internal,imap-b.mail.internal" } } },
  capacity: { activeSessionsPerHost: 20000, backendEndpoints: 2 },
  monitoring: { emailReceivers: ["mail-oncall@example.com"] },
  adminPassword: config.requireSecret("adminPassword"),
});

export const resourceGroupName = fleet.stackOutputs.resourceGroupName;
export const hosts = fleet.stackOutputs.hosts;
export const monitoring = fleet.stackOutputs.monitoring;
