import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
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
 * Azure built-in role "Storage Blob Data Reader" (read and list blobs and containers), ID from
 * Microsoft Learn, "Azure built-in roles" (Storage section).
 */
export const STORAGE_BLOB_DATA_READER_ROLE_ID = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

/**
 * Writes published bytes to a file of that name (a Pulumi asset is a file, not bytes) in the
 * system temporary folder, atomically, and returns its path. `name` carries the bytes' hash, so
 * the same name means the same bytes. Pulumi compares file assets by the hash of their contents,
 * not by path, so another machine's temporary folder shows no change.
 */
export function writePublishedFile(name: string, bytes: Uint8Array): string {
  const dir = path.join(os.tmpdir(), "mailhost-iac-packages");
  const file = path.join(dir, name);
  const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
  if (fs.existsSync(file) && sha(fs.readFileSync(file)) === sha(bytes)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
  return file;
}

/** {@link writePublishedFile} for a Machine Configuration package, under its blob name. */
export function writePackageFile(pkg: MachineConfigurationPackage): string {
  return writePublishedFile(pkg.blobName, pkg.bytes);
}

/**
 * Options of every blob that hosts read by address and check by hash (the DSC archive, the
 * Machine Configuration package). Each blob is named by the hash of its bytes, so new content is
 * a new blob, and:
 * - `retainOnDelete`: the update that publishes a new package never deletes the previous one
 *   (hosts whose assignment or extension still names it keep reading it; a `pulumi up` that
 *   stops half-way leaves both). Old blobs are removed as docs/OPERATIONS.md, "Published packages", says.
 * - `deleteBeforeReplace: false`: azure-native asks for delete-before-replace whenever a named
 *   resource is replaced (provider `Diff`: `deleteBeforeReplace := len(replaces) > 0` unless the
 *   name was random), and Pulumi lets this option override the provider. Create-before-delete
 *   keeps the old blob until the new one exists and its readers have been updated, also for a
 *   stack whose state predates `retainOnDelete` (Pulumi applies the retain flag recorded with
 *   the old resource to it, pulumi/pulumi#13428).
 */
export const PUBLISHED_CONTENT_OPTIONS = { retainOnDelete: true, deleteBeforeReplace: false } as const;

/**
 * A stable SAS expiry: the last second of next year. Stable, so `pulumi up` shows no change until
 * the year turns; then the DSC extension gets a fresh token (and re-applies, which is idempotent).
 */
export function defaultSasExpiry(now: Date = new Date()): string {
  return `${now.getUTCFullYear() + 1}-12-31T23:59:59Z`;
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
    if (pkg !== undefined && !/^[0-9A-F]{64}$/.test(pkg.sha256Upper)) problems.push(`machineConfigurationPackage.sha256Upper = ${JSON.stringify(pkg.sha256Upper)} must be 64 upper-case hex characters`);
    if (pkg !== undefined && !pkg.blobName.includes(pkg.sha256Upper)) problems.push(`machineConfigurationPackage.blobName = ${JSON.stringify(pkg.blobName)} must carry the package's SHA-256 (${pkg.sha256Upper}), so that other bytes are always another address`);
    if (!/^[a-z0-9]{3,24}$/.test(args.names.storageAccount)) problems.push(`names.storageAccount = ${JSON.stringify(args.names.storageAccount)} must be 3–24 lower-case letters and digits`);
    for (const cidr of args.allowedImapCidrs ?? []) {
      const problem = inboundSourceProblem(cidr, "allowedImapCidrs");
      if (problem !== undefined) problems.push(problem);
    }
    const egress = args.egress ?? defaultEgress(args.names);
    if (egress.kind === "routeTable" && !new RegExp(ROUTE_TABLE_ID_PATTERN).test(egress.routeTableId)) {
      problems.push(`egress.routeTableId = ${JSON.stringify(egress.routeTableId)} is not a route table's ARM id (/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>)`);
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

    if (egress.kind === "natGateway") {
      this.natGatewayEgress = new NatGatewayEgress(`${name}-egress`, {
        resourceGroupName,
        location,
        natGatewayName: egress.natGatewayName,
        publicIpName: egress.publicIpName,
        zone: egress.zone,
        publicIpZones: egress.publicIpZones,
        tags,
      }, { parent: this });
    }

    this.subnet = new network.Subnet(`${name}-snet`, {
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
    }, {
      parent: this,
      // defaultOutboundAccess can only be set at creation: on a subnet that exists without it, a
      // diff would replace the subnet and take every NIC and host with it. Ignored after creation;
      // an attached NAT gateway takes precedence over default outbound access anyway.
      ignoreChanges: ["defaultOutboundAccess"],
    });

    if (args.publishDscArchive) {
      this.dscArchive = this.publishDscArchive(name, resourceGroupName, location, args.names, args.dscArchive ?? buildDscArchive(), expiry, tags);
    }
    if (args.machineConfigurationPackage !== undefined) {
      this.machineConfiguration = this.publishMachineConfigurationPackage(name, resourceGroupName, location, args.names, args.machineConfigurationPackage, tags);
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
  private storageAccount(name: string, resourceGroupName: pulumi.Output<string>, location: pulumi.Output<string>, names: SiteNames, tags: Record<string, string>): storage.StorageAccount {
    this.account ??= new storage.StorageAccount(`${name}-st`, {
      resourceGroupName,
      location,
      accountName: names.storageAccount,
      kind: storage.Kind.StorageV2,
      sku: { name: storage.SkuName.Standard_ZRS },
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
      // The DSC extension reads the archive with a SAS token, which needs shared-key signing.
      // The deployer's upload of the package uses the account's own access too; the hosts never do.
      allowSharedKeyAccess: true,
      tags,
    }, { parent: this });
    return this.account;
  }

  private publishDscArchive(name: string, resourceGroupName: pulumi.Output<string>, location: pulumi.Output<string>, names: SiteNames, archive: PublishedArchive, expiry: string, tags: Record<string, string>): DscArchive {
    const account = this.storageAccount(name, resourceGroupName, location, names, tags);
    return publishDscArchive(this, name, { resourceGroupName, account, containerName: names.container, archive, expiry });
  }

  /**
   * The package in a private container; a user-assigned identity with Storage Blob Data Reader on
   * that container only, which the hosts name as the assignment's `contentManagedIdentity`: no SAS
   * is on their read path (Microsoft Learn, machine configuration "Access packages").
   */
  private publishMachineConfigurationPackage(name: string, resourceGroupName: pulumi.Output<string>, location: pulumi.Output<string>, names: SiteNames, pkg: MachineConfigurationPackage, tags: Record<string, string>): MachineConfigurationContent {
    const account = this.storageAccount(name, resourceGroupName, location, names, tags);
    const container = new storage.BlobContainer(`${name}-machine-configuration`, {
      resourceGroupName,
      accountName: account.name,
      containerName: names.machineConfigurationContainer,
      publicAccess: storage.PublicAccess.None,
    }, { parent: this });
    const blob = new storage.Blob(`${name}-machine-configuration-package`, {
      resourceGroupName,
      accountName: account.name,
      containerName: container.name,
      // Named by the package's SHA-256: contentUri and contentHash change together.
      blobName: pkg.blobName,
      type: storage.BlobType.Block,
      contentType: "application/zip",
      source: new pulumi.asset.FileAsset(writePackageFile(pkg)),
    }, { parent: this, ...PUBLISHED_CONTENT_OPTIONS });
    const identity = new managedidentity.UserAssignedIdentity(`${name}-machine-configuration-id`, {
      resourceGroupName,
      location,
      resourceName: names.machineConfigurationIdentity,
      tags,
    }, { parent: this });
    const containerScope = pulumi.interpolate`${account.id}/blobServices/default/containers/${container.name}`;
    const readerRole = new authorization.RoleAssignment(`${name}-machine-configuration-reader`, {
      scope: containerScope,
      principalId: identity.principalId,
      principalType: authorization.PrincipalType.ServicePrincipal,
      roleDefinitionId: pulumi.interpolate`/subscriptions/${identity.id.apply(subscriptionOf)}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER_ROLE_ID}`,
      description: "Hosts read the Machine Configuration package with this identity.",
    }, { parent: this });
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

/**
 * The DSC configuration archive in a private container of `account`: the zip as a blob named by its
 * SHA-256 (a changed guest file is a new blob at a new address, the old one retained) and a
 * read-only, https-only SAS token for the DSC extension's protected settings. Children are named
 * `${name}-dsc` and `${name}-dsc-archive` under `parent`. Shared by MailSite and GuestContentStore.
 */
export function publishDscArchive(parent: pulumi.Resource, name: string, args: {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly account: storage.StorageAccount;
  readonly containerName: string;
  readonly archive: PublishedArchive;
  /** SAS expiry, ISO 8601. */
  readonly expiry: string;
}): DscArchive {
  const { resourceGroupName, account, archive } = args;
  const container = new storage.BlobContainer(`${name}-dsc`, {
    resourceGroupName,
    accountName: account.name,
    containerName: args.containerName,
    publicAccess: storage.PublicAccess.None,
  }, { parent });
  const blob = new storage.Blob(`${name}-dsc-archive`, {
    resourceGroupName,
    accountName: account.name,
    containerName: container.name,
    // Named by the SHA-256 of the zip: a changed guest file is a new blob at a new address.
    blobName: archive.blobName,
    type: storage.BlobType.Block,
    contentType: "application/zip",
    // The configuration script and the MailhostTcpTuning module folder it imports.
    source: new pulumi.asset.FileAsset(writePublishedFile(archive.blobName, archive.bytes)),
  }, { parent, ...PUBLISHED_CONTENT_OPTIONS });
  const sas = storage.listStorageAccountServiceSASOutput({
    resourceGroupName,
    accountName: account.name,
    canonicalizedResource: pulumi.interpolate`/blob/${account.name}/${container.name}/${blob.name}`,
    resource: storage.SignedResource.B,
    permissions: storage.Permissions.R,
    protocols: storage.HttpProtocol.Https,
    sharedAccessExpiryTime: args.expiry,
  }, { parent });
  return {
    url: pulumi.interpolate`${account.primaryEndpoints.blob}${container.name}/${blob.name}`,
    sasToken: pulumi.secret(sas.serviceSasToken.apply((token) => `?${token}`)),
    archive,
  };
}
