import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import { IMAP_PORTS, MANAGEMENT_PORTS } from "../domain/limits";
import { type SiteNames } from "../domain/plan";
import { DSC_CONFIGURATION, dscArchiveEntries } from "./guestScripts";
import { type DscArchive } from "./WindowsMailHost";
import { rejectInvalid } from "./validation";

export interface MailSiteArgs {
  /** CAF-style names of the shared resources (see `siteNames`). */
  readonly names: SiteNames;
  /** Region of the resource group. Defaults to the provider's location (`azure-native:location`). */
  readonly location?: pulumi.Input<string>;
  /** Address space of the VNet and the hosts' subnet, e.g. "10.40.0.0/20". */
  readonly addressPrefix: string;
  /** IPv4 CIDRs that may reach IMAP/IMAPS. Defaults to none (no inbound rule at all). */
  readonly allowedImapCidrs?: readonly string[];
  /** Publish the DSC configuration archive (a storage account, a private container, the zip and a read-only SAS). Defaults to false. */
  readonly publishDscArchive?: boolean;
  /** Expiry of the archive's SAS token (ISO 8601). Defaults to the end of next year (see `defaultSasExpiry`). */
  readonly dscSasExpiry?: string;
  /** Azure tags on every resource. Defaults to none. */
  readonly tags?: Record<string, string>;
}

/**
 * A stable SAS expiry: the last second of next year. Stable, so `pulumi up` shows no change until
 * the year turns; then the DSC extension gets a fresh token (and re-applies, which is idempotent).
 */
export function defaultSasExpiry(now: Date = new Date()): string {
  return `${now.getUTCFullYear() + 1}-12-31T23:59:59Z`;
}

/**
 * The shared part of a stack: resource group, VNet and subnet, an NSG that lets IMAP/IMAPS in
 * only from the allowed CIDRs and explicitly denies RDP/WinRM from the Internet, and (for DSC
 * tuning) the configuration archive behind a read-only SAS token. Mail hosts are created as its
 * children by the program.
 */
export class MailSite extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:MailSite";

  public readonly resourceGroup: resources.ResourceGroup;
  public readonly networkSecurityGroup: network.NetworkSecurityGroup;
  public readonly virtualNetwork: network.VirtualNetwork;
  public readonly subnet: network.Subnet;
  /** The DSC configuration archive, when published. */
  public readonly dscArchive?: DscArchive;

  constructor(name: string, args: MailSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    const expiry = args.dscSasExpiry ?? defaultSasExpiry();
    if (Number.isNaN(Date.parse(expiry))) problems.push(`dscSasExpiry = ${JSON.stringify(expiry)} is not an ISO 8601 date`);
    if (!/^[a-z0-9]{3,24}$/.test(args.names.storageAccount)) problems.push(`names.storageAccount = ${JSON.stringify(args.names.storageAccount)} must be 3–24 lower-case letters and digits`);
    for (const cidr of args.allowedImapCidrs ?? []) {
      if (cidr === "0.0.0.0/0" || cidr === "*") problems.push(`allowedImapCidrs contains ${JSON.stringify(cidr)}: name the client networks instead of the whole Internet`);
    }
    rejectInvalid(MailSite.typeToken, name, problems, opts);
    super(MailSite.typeToken, name, {}, opts);

    const tags = args.tags ?? {};
    this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, {
      resourceGroupName: args.names.resourceGroup,
      location: args.location,
      tags,
    }, { parent: this });
    const resourceGroupName = this.resourceGroup.name;
    const location = this.resourceGroup.location;

    const imapRule = (args.allowedImapCidrs ?? []).length === 0 ? [] : [{
      name: "allow-imap-from-clients",
      priority: 100,
      direction: network.SecurityRuleDirection.Inbound,
      access: network.SecurityRuleAccess.Allow,
      protocol: network.SecurityRuleProtocol.Tcp,
      sourceAddressPrefixes: [...(args.allowedImapCidrs ?? [])],
      sourcePortRange: "*",
      destinationAddressPrefix: "VirtualNetwork",
      destinationPortRanges: IMAP_PORTS.map(String),
      description: "IMAP and IMAPS from the allowed client networks only.",
    }];
    this.networkSecurityGroup = new network.NetworkSecurityGroup(`${name}-nsg`, {
      resourceGroupName,
      location,
      networkSecurityGroupName: args.names.networkSecurityGroup,
      securityRules: [
        ...imapRule,
        {
          name: "deny-remote-management-from-internet",
          priority: 4000,
          direction: network.SecurityRuleDirection.Inbound,
          access: network.SecurityRuleAccess.Deny,
          protocol: network.SecurityRuleProtocol.Tcp,
          sourceAddressPrefix: "Internet",
          sourcePortRange: "*",
          destinationAddressPrefix: "*",
          destinationPortRanges: MANAGEMENT_PORTS.map(String),
          description: "RDP and WinRM are never reachable from the Internet; use Azure Bastion or Run Command.",
        },
      ],
      tags,
    }, { parent: this });

    this.virtualNetwork = new network.VirtualNetwork(`${name}-vnet`, {
      resourceGroupName,
      location,
      virtualNetworkName: args.names.virtualNetwork,
      addressSpace: { addressPrefixes: [args.addressPrefix] },
      tags,
    }, { parent: this, ignoreChanges: ["subnets"] });

    this.subnet = new network.Subnet(`${name}-snet`, {
      resourceGroupName,
      virtualNetworkName: this.virtualNetwork.name,
      subnetName: args.names.subnet,
      addressPrefix: args.addressPrefix,
      networkSecurityGroup: { id: this.networkSecurityGroup.id },
      privateEndpointNetworkPolicies: network.VirtualNetworkPrivateEndpointNetworkPolicies.Enabled,
      // The DSC extension fetches its archive from blob storage over the Azure backbone.
      serviceEndpoints: [{ service: "Microsoft.Storage" }],
    }, { parent: this });

    if (args.publishDscArchive) {
      this.dscArchive = this.publishDscArchive(name, resourceGroupName, location, args.names, expiry, tags);
    }

    this.registerOutputs({
      resourceGroup: this.resourceGroup,
      networkSecurityGroup: this.networkSecurityGroup,
      virtualNetwork: this.virtualNetwork,
      subnet: this.subnet,
      dscArchiveUrl: this.dscArchive?.url,
    });
  }

  private publishDscArchive(name: string, resourceGroupName: pulumi.Output<string>, location: pulumi.Output<string>, names: SiteNames, expiry: string, tags: Record<string, string>): DscArchive {
    const account = new storage.StorageAccount(`${name}-st`, {
      resourceGroupName,
      location,
      accountName: names.storageAccount,
      kind: storage.Kind.StorageV2,
      sku: { name: storage.SkuName.Standard_ZRS },
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
      // The DSC extension reads the archive with a SAS token, which needs shared-key signing.
      allowSharedKeyAccess: true,
      tags,
    }, { parent: this });
    const container = new storage.BlobContainer(`${name}-dsc`, {
      resourceGroupName,
      accountName: account.name,
      containerName: names.container,
      publicAccess: storage.PublicAccess.None,
    }, { parent: this });
    const blob = new storage.Blob(`${name}-dsc-archive`, {
      resourceGroupName,
      accountName: account.name,
      containerName: container.name,
      blobName: DSC_CONFIGURATION.archiveBlob,
      type: storage.BlobType.Block,
      contentType: "application/zip",
      // The configuration script and the MailhostTcpTuning module folder it imports.
      source: new pulumi.asset.AssetArchive(
        Object.fromEntries(dscArchiveEntries().map((entry) => [entry.name, new pulumi.asset.FileAsset(entry.file)])),
      ),
    }, { parent: this });

    const sas = storage.listStorageAccountServiceSASOutput({
      resourceGroupName,
      accountName: account.name,
      canonicalizedResource: pulumi.interpolate`/blob/${account.name}/${container.name}/${blob.name}`,
      resource: storage.SignedResource.B,
      permissions: storage.Permissions.R,
      protocols: storage.HttpProtocol.Https,
      sharedAccessExpiryTime: expiry,
    }, { parent: this });

    return {
      url: pulumi.interpolate`${account.primaryEndpoints.blob}${container.name}/${blob.name}`,
      sasToken: pulumi.secret(sas.serviceSasToken.apply((token) => `?${token}`)),
    };
  }
}
