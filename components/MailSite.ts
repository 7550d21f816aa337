import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import { type EgressPlan, ROUTE_TABLE_ID_PATTERN } from "../domain/egress";
import { IMAP_PORTS, MANAGEMENT_PORTS } from "../domain/limits";
import { type MachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { type SiteNames } from "../domain/plan";
import { type PublishedArchive } from "../domain/guestContent";
import { buildDscArchive } from "./guestScripts";
import { NatGatewayEgress } from "./NatGatewayEgress";
import { type MachineConfigurationContent } from "./MachineConfigurationTuning";
import { type DscArchive } from "./WindowsMailHost";
import { inboundSourceProblem } from "../domain/rules";
import {
  PUBLISHED_CONTENT_OPTIONS,
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  contentStorageAccount,
  defaultSasExpiry,
  publishDscArchive,
  writePackageFile,
} from "./publishedContent";
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
  /**
   * The DSC configuration archive to publish when `publishDscArchive` is true, published as the
   * blob `archive.blobName` (named by its SHA-256). Defaults to the archive built from this
   * package's guest files (`buildDscArchive()`).
   */
  readonly dscArchive?: PublishedArchive;
  /** Expiry of the archive's SAS token (ISO 8601). Defaults to the end of next year (see `defaultSasExpiry`). */
  readonly dscSasExpiry?: string;
  /**
   * Publish this Machine Configuration package (built by `buildMachineConfigurationPackage`): a
   * private container, the zip, and a user-assigned identity with Storage Blob Data Reader on
   * that container only. Defaults to none.
   */
  readonly machineConfigurationPackage?: MachineConfigurationPackage;
  /** Azure tags on every resource. Defaults to none. */
  readonly tags?: Record<string, string>;
  /**
   * The subnet's explicit outbound path. Defaults to a NAT gateway without a zone, named by
   * `names.natGateway` and `names.natGatewayPublicIp` (see `planEgress`).
   */
  readonly egress?: EgressPlan;
}

/** The default egress of a site: a NAT gateway without a zone. */
export function defaultEgress(names: SiteNames): EgressPlan {
  return { kind: "natGateway", natGatewayName: names.natGateway, publicIpName: names.natGatewayPublicIp, publicIpZones: [] };
}

/**
 * The shared part of a stack: resource group, VNet and a private subnet (no default outbound
 * access) with an explicit way out (a NAT gateway, or an existing route table), an NSG that lets IMAP/IMAPS in
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
  /** The NAT gateway and its public IP, when the egress is a NAT gateway. */
  public readonly natGatewayEgress?: NatGatewayEgress;
  /** The DSC configuration archive, when published. */
  public readonly dscArchive?: DscArchive;
  /** The Machine Configuration package, when published. */
  public readonly machineConfiguration?: MachineConfigurationContent;
  private account?: storage.StorageAccount;

  constructor(name: string, args: MailSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    const expiry = args.dscSasExpiry ?? defaultSasExpiry();
    if (Number.isNaN(Date.parse(expiry))) problems.push(`dscSasExpiry = ${JSON.stringify(expiry)} is not an ISO 8601 date`);
    const pkg = args.machineConfigurationPackage;
    if (pkg !== undefined && !/^[0-9A-F]{64}$/.test(pkg.sha256Upper))
      problems.push(`machineConfigurationPackage.sha256Upper = ${JSON.stringify(pkg.sha256Upper)} must be 64 upper-case hex characters`);
    if (pkg !== undefined && !pkg.blobName.includes(pkg.sha256Upper))
      problems.push(
        `machineConfigurationPackage.blobName = ${JSON.stringify(pkg.blobName)} must carry the package's SHA-256 (${pkg.sha256Upper}), so that other bytes are always another address`,
      );
    if (!/^[a-z0-9]{3,24}$/.test(args.names.storageAccount))
      problems.push(`names.storageAccount = ${JSON.stringify(args.names.storageAccount)} must be 3–24 lower-case letters and digits`);
    for (const cidr of args.allowedImapCidrs ?? []) {
      const problem = inboundSourceProblem(cidr, "allowedImapCidrs");
      if (problem !== undefined) problems.push(problem);
    }
    const egress = args.egress ?? defaultEgress(args.names);
    if (egress.kind === "routeTable" && !new RegExp(ROUTE_TABLE_ID_PATTERN).test(egress.routeTableId)) {
      problems.push(
        `egress.routeTableId = ${JSON.stringify(egress.routeTableId)} is not a route table's ARM id (/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>)`,
      );
    }
    rejectInvalid(MailSite.typeToken, name, problems, opts);
    super(MailSite.typeToken, name, {}, opts);

    const tags = args.tags ?? {};
    this.resourceGroup = new resources.ResourceGroup(
      `${name}-rg`,
      {
        resourceGroupName: args.names.resourceGroup,
        location: args.location,
        tags,
      },
      { parent: this },
    );
    const resourceGroupName = this.resourceGroup.name;
    const location = this.resourceGroup.location;

    const imapRule =
      (args.allowedImapCidrs ?? []).length === 0
        ? []
        : [
            {
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
            },
          ];
    this.networkSecurityGroup = new network.NetworkSecurityGroup(
      `${name}-nsg`,
      {
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
      },
      { parent: this },
    );

    this.virtualNetwork = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        resourceGroupName,
        location,
        virtualNetworkName: args.names.virtualNetwork,
        addressSpace: { addressPrefixes: [args.addressPrefix] },
        tags,
      },
      { parent: this, ignoreChanges: ["subnets"] },
    );

    if (egress.kind === "natGateway") {
      this.natGatewayEgress = new NatGatewayEgress(
        `${name}-egress`,
        {
          resourceGroupName,
          location,
          natGatewayName: egress.natGatewayName,
          publicIpName: egress.publicIpName,
          zone: egress.zone,
          publicIpZones: egress.publicIpZones,
          tags,
        },
        { parent: this },
      );
    }

    this.subnet = new network.Subnet(
      `${name}-snet`,
      {
        resourceGroupName,
        virtualNetworkName: this.virtualNetwork.name,
        subnetName: args.names.subnet,
        addressPrefix: args.addressPrefix,
        networkSecurityGroup: { id: this.networkSecurityGroup.id },
        privateEndpointNetworkPolicies: network.VirtualNetworkPrivateEndpointNetworkPolicies.Enabled,
        // The DSC extension fetches its archive from blob storage over the Azure backbone.
        serviceEndpoints: [{ service: "Microsoft.Storage" }],
        // A private subnet: no implicit outbound IP. Azure accepts this only when the subnet is created.
        defaultOutboundAccess: false,
        // The explicit way out: the NAT gateway, or the given route table (default route to a firewall or NVA).
        natGateway: this.natGatewayEgress ? { id: this.natGatewayEgress.natGateway.id } : undefined,
        routeTable: egress.kind === "routeTable" ? { id: egress.routeTableId } : undefined,
      },
      {
        parent: this,
        // defaultOutboundAccess can only be set at creation: on a subnet that exists without it, a
        // diff would replace the subnet and take every NIC and host with it. Ignored after creation;
        // an attached NAT gateway takes precedence over default outbound access anyway.
        ignoreChanges: ["defaultOutboundAccess"],
      },
    );

    if (args.publishDscArchive) {
      this.dscArchive = this.publishDscArchive(name, resourceGroupName, location, args.names, args.dscArchive ?? buildDscArchive(), expiry, tags);
    }
    if (args.machineConfigurationPackage !== undefined) {
      this.machineConfiguration = this.publishMachineConfigurationPackage(
        name,
        resourceGroupName,
        location,
        args.names,
        args.machineConfigurationPackage,
        tags,
      );
    }

    this.registerOutputs({
      resourceGroup: this.resourceGroup,
      networkSecurityGroup: this.networkSecurityGroup,
      virtualNetwork: this.virtualNetwork,
      subnet: this.subnet,
      natGateway: this.natGatewayEgress?.natGateway,
      dscArchiveUrl: this.dscArchive?.url,
      machineConfigurationContentUri: this.machineConfiguration?.contentUri,
    });
  }

  /** The site's storage account, created on first use (by the DSC archive or the Machine Configuration package). */
  private storageAccount(
    name: string,
    resourceGroupName: pulumi.Output<string>,
    location: pulumi.Output<string>,
    names: SiteNames,
    tags: Record<string, string>,
  ): storage.StorageAccount {
    this.account ??= contentStorageAccount(this, name, { resourceGroupName, location, accountName: names.storageAccount, tags });
    return this.account;
  }

  private publishDscArchive(
    name: string,
    resourceGroupName: pulumi.Output<string>,
    location: pulumi.Output<string>,
    names: SiteNames,
    archive: PublishedArchive,
    expiry: string,
    tags: Record<string, string>,
  ): DscArchive {
    const account = this.storageAccount(name, resourceGroupName, location, names, tags);
    return publishDscArchive(this, name, { resourceGroupName, account, containerName: names.container, archive, expiry });
  }

  /**
   * The package in a private container; a user-assigned identity with Storage Blob Data Reader on
   * that container only, which the hosts name as the assignment's `contentManagedIdentity`: no SAS
   * is on their read path (Microsoft Learn, machine configuration "Access packages").
   */
  private publishMachineConfigurationPackage(
    name: string,
    resourceGroupName: pulumi.Output<string>,
    location: pulumi.Output<string>,
    names: SiteNames,
    pkg: MachineConfigurationPackage,
    tags: Record<string, string>,
  ): MachineConfigurationContent {
    const account = this.storageAccount(name, resourceGroupName, location, names, tags);
    const container = new storage.BlobContainer(
      `${name}-machine-configuration`,
      {
        resourceGroupName,
        accountName: account.name,
        containerName: names.machineConfigurationContainer,
        publicAccess: storage.PublicAccess.None,
      },
      { parent: this },
    );
    const blob = new storage.Blob(
      `${name}-machine-configuration-package`,
      {
        resourceGroupName,
        accountName: account.name,
        containerName: container.name,
        // Named by the package's SHA-256: contentUri and contentHash change together.
        blobName: pkg.blobName,
        type: storage.BlobType.Block,
        contentType: "application/zip",
        source: new pulumi.asset.FileAsset(writePackageFile(pkg)),
      },
      { parent: this, ...PUBLISHED_CONTENT_OPTIONS },
    );
    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-machine-configuration-id`,
      {
        resourceGroupName,
        location,
        resourceName: names.machineConfigurationIdentity,
        tags,
      },
      { parent: this },
    );
    const containerScope = pulumi.interpolate`${account.id}/blobServices/default/containers/${container.name}`;
    const readerRole = new authorization.RoleAssignment(
      `${name}-machine-configuration-reader`,
      {
        scope: containerScope,
        principalId: identity.principalId,
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: pulumi.interpolate`/subscriptions/${identity.id.apply(subscriptionOf)}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER_ROLE_ID}`,
        description: "Hosts read the Machine Configuration package with this identity.",
      },
      { parent: this },
    );
    return {
      contentUri: pulumi.interpolate`${account.primaryEndpoints.blob}${container.name}/${blob.name}`,
      contentHash: pkg.sha256Upper,
      identityId: identity.id,
      readyAfter: [blob, readerRole],
    };
  }
}

/** Subscription ID of an ARM resource ID (`/subscriptions/<id>/...`). */
function subscriptionOf(resourceId: string): string {
  return resourceId.split("/")[2] ?? "";
}
