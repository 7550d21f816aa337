import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as storage from "@pulumi/azure-native/storage";
import { type MachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { type TuningPlan, sha256Hex } from "../domain/plan";
import { machineConfigurationPackageFor } from "./guestContent";
import { buildDscArchive } from "./guestScripts";
import {
  PUBLISHED_CONTENT_OPTIONS,
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  contentStorageAccount,
  defaultSasExpiry,
  publishDscArchive,
  writePackageFile,
} from "./publishedContent";
import { type DscArchive } from "./WindowsMailHost";
import { OffInstance } from "./offInstance";
import { rejectInvalid } from "./validation";

/** Private container of the Machine Configuration packages. */
export const PACKAGE_CONTAINER = "mailhost-machine-configuration";
/** Private container of the DSC configuration archive. */
export const DSC_CONTAINER = "mailhost-dsc";

export interface GuestContentStoreArgs {
  /** Name of the resource group that holds the storage account. Required. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region of the storage account. Defaults to the provider's location (`azure-native:location`). */
  readonly location?: pulumi.Input<string>;
  /**
   * Storage account name: 3–24 lower-case letters and digits, unique in Azure. Required. Azure
   * cannot rename an account: a different name is a new account (and new package URLs).
   */
  readonly accountName: string;
  /** Expiry of the DSC archive's read-only SAS token (ISO 8601). Defaults to the last second of next year. */
  readonly dscSasExpiry?: string;
  /**
   * Publish the DSC configuration archive when the store is created, so that its URL is the output
   * `dscArchiveUrl` (programs in other languages pass it on to `ExistingVmTuning`). Defaults to
   * false: a TypeScript program's store publishes it on first use (`dscArchive()`).
   */
  readonly publishDscArchive?: boolean;
  /** Azure tags on the account. Defaults to none. */
  readonly tags?: Record<string, string>;
}

/** ARM id of a store's package container: subscription, resource group, storage account and container. */
export const PACKAGE_CONTAINER_ID_PATTERN =
  /^\/subscriptions\/([0-9A-Fa-f-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})\/blobServices\/default\/containers\/([a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)$/i;
/** HTTPS URL of a blob: account endpoint, container and blob name. */
export const BLOB_URL_PATTERN = /^https:\/\/([a-z0-9]{3,24})\.[^/]+\/([a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)\/(.+)$/;

/**
 * A guest content store by the values it carries: in TypeScript a `GuestContentStore` itself, in
 * other languages its outputs (`packageContainerId`, `blobEndpoint`, `dscArchiveUrl`), which may
 * come from another stack. A component given a `GuestContentStore` publishes through it (its
 * children); given values, it publishes what it needs itself, as its own children.
 */
export interface GuestContentStoreReference {
  /**
   * ARM id of the store's package container (output `packageContainerId`),
   * `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>`.
   * Required.
   */
  readonly packageContainerId: pulumi.Input<string>;
  /** Blob endpoint of the store's account, e.g. `https://stmailcontent001.blob.core.windows.net/` (output `blobEndpoint`). Required. */
  readonly blobEndpoint: pulumi.Input<string>;
  /**
   * URL of the store's DSC configuration archive, without a SAS token (output `dscArchiveUrl` of a
   * store created with `publishDscArchive: true`). Required with "dsc" tuning; a read-only SAS
   * token for it, valid to the last second of next year, is listed when the component is deployed.
   */
  readonly dscArchiveUrl?: pulumi.Input<string>;
}

/** A Machine Configuration package published in the store. */
export interface PublishedPackage {
  /** HTTPS blob URL of the package, without a SAS token (the hosts read it with a managed identity). */
  readonly contentUri: pulumi.Output<string>;
  /** SHA-256 of the zip, 64 upper-case hex characters. */
  readonly contentHash: string;
  /** The blob. */
  readonly blob: storage.Blob;
}

/** The store's bookkeeping, off the instance (see components/offInstance.ts). */
interface StoreState {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly storeName: string;
  readonly dscSasExpiry: string;
  readonly packages: Map<string, PublishedPackage>;
  readonly readers: Map<string, authorization.RoleAssignment>;
  dsc?: DscArchive;
  readerIdentity?: { identity: managedidentity.UserAssignedIdentity; role: authorization.RoleAssignment };
}
const storeState = new OffInstance<GuestContentStore, StoreState>();
const stateOf = (store: GuestContentStore): StoreState => storeState.of(store);

/**
 * One store of guest content shared by any number of VMs, in this program or created by another
 * one: a StorageV2 account (ZRS, HTTPS only, TLS 1.2, no public blob access) with two private
 * containers. Machine Configuration packages are published on demand, one blob per package, named
 * by the package's SHA-256 (a changed tuning is a new blob; VMs with the same tuning share one);
 * each VM reads its package with its own system-assigned identity, which `grantPackageReader`
 * gives Storage Blob Data Reader on the package container only. The DSC configuration archive
 * (static: values reach it as arguments) is published once, with a read-only SAS token for the
 * DSC extension, which has no managed-identity download.
 */
export class GuestContentStore extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:GuestContentStore";

  /** The StorageV2 account (ZRS, HTTPS only, TLS 1.2, no public blob access). */
  public readonly account: storage.StorageAccount;
  /** The private container of the Machine Configuration packages. */
  public readonly packageContainer: storage.BlobContainer;
  /** ARM id of the package container: the scope of every reader role assignment. */
  public readonly packageContainerId: pulumi.Output<string>;
  /** Blob endpoint of the account, e.g. `https://stmailcontent001.blob.core.windows.net/`. */
  public readonly blobEndpoint: pulumi.Output<string>;
  /** URL of the DSC configuration archive, without a SAS token; only with `publishDscArchive`. */
  public readonly dscArchiveUrl?: pulumi.Output<string>;

  constructor(name: string, args: GuestContentStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    if (!/^[a-z0-9]{3,24}$/.test(args.accountName))
      problems.push(`accountName = ${JSON.stringify(args.accountName)} must be 3–24 lower-case letters and digits`);
    const expiry = args.dscSasExpiry ?? defaultSasExpiry();
    if (Number.isNaN(Date.parse(expiry))) problems.push(`dscSasExpiry = ${JSON.stringify(expiry)} is not an ISO 8601 date`);
    rejectInvalid(GuestContentStore.typeToken, name, problems, opts);
    super(GuestContentStore.typeToken, name, {}, opts);
    storeState.set(this, { storeName: name, resourceGroupName: args.resourceGroupName, dscSasExpiry: expiry, packages: new Map(), readers: new Map() });

    this.account = contentStorageAccount(this, name, {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      accountName: args.accountName,
      tags: args.tags,
    });
    this.packageContainer = new storage.BlobContainer(
      `${name}-packages`,
      {
        resourceGroupName: args.resourceGroupName,
        accountName: this.account.name,
        containerName: PACKAGE_CONTAINER,
        publicAccess: storage.PublicAccess.None,
      },
      { parent: this },
    );
    this.packageContainerId = pulumi.interpolate`${this.account.id}/blobServices/default/containers/${this.packageContainer.name}`;
    this.blobEndpoint = this.account.primaryEndpoints.blob;
    if (args.publishDscArchive === true) this.dscArchiveUrl = pulumi.output(this.dscArchive().url);

    this.registerOutputs({ accountName: this.account.name, packageContainerId: this.packageContainerId });
  }

  /**
   * The Machine Configuration package of a tuning, published once per content: the blob is named
   * by the package's SHA-256 (`blobName`), kept when a newer package replaces it, so VMs tuned alike share it and a changed tuning never overwrites
   * a package that running assignments still reference.
   */
  publishPackage(tuning: TuningPlan): PublishedPackage {
    const pkg: MachineConfigurationPackage = machineConfigurationPackageFor(tuning);
    const state = stateOf(this);
    const known = state.packages.get(pkg.sha256Upper);
    if (known !== undefined) return known;
    const published = publishPackageBlob(this, `${state.storeName}-package-${pkg.sha256Upper.slice(0, 16).toLowerCase()}`, locationOf(this), pkg, pkg.blobName);
    state.packages.set(pkg.sha256Upper, published);
    return published;
  }

  /**
   * Storage Blob Data Reader on the package container for one principal (a VM's system-assigned
   * identity), once per `key`. Read access to packages only: no write, no other container.
   */
  grantPackageReader(key: string, principalId: pulumi.Input<string>): authorization.RoleAssignment {
    const state = stateOf(this);
    const known = state.readers.get(key);
    if (known !== undefined) return known;
    const role = packageReaderRole(
      this,
      `${state.storeName}-reader-${key}`,
      this.packageContainerId,
      this.account.id.apply((id) => id.split("/")[2] ?? ""),
      principalId,
    );
    state.readers.set(key, role);
    return role;
  }

  /**
   * A user-assigned identity with Storage Blob Data Reader on the package container, created on
   * first use, for VMs this program creates (they carry it; see `WindowsMailHost`). VMs created
   * elsewhere read with their system-assigned identity instead (`grantPackageReader`).
   */
  packageReaderIdentity(
    identityName: string,
    location?: pulumi.Input<string>,
    tags?: Record<string, string>,
  ): { readonly identity: managedidentity.UserAssignedIdentity; readonly role: authorization.RoleAssignment } {
    const state = stateOf(this);
    if (state.readerIdentity !== undefined) return state.readerIdentity;
    const identity = new managedidentity.UserAssignedIdentity(
      `${stateOf(this).storeName}-reader-id`,
      {
        resourceGroupName: stateOf(this).resourceGroupName,
        location,
        resourceName: identityName,
        tags,
      },
      { parent: this },
    );
    const role = this.grantPackageReader("identity", identity.principalId);
    state.readerIdentity = { identity, role };
    return state.readerIdentity;
  }

  /** The DSC configuration archive (a private container, the zip and a read-only SAS token), published on first use. */
  dscArchive(): DscArchive {
    const state = stateOf(this);
    if (state.dsc !== undefined) return state.dsc;
    state.dsc = publishDscArchive(this, state.storeName, {
      resourceGroupName: state.resourceGroupName,
      account: this.account,
      containerName: DSC_CONTAINER,
      archive: buildDscArchive(),
      expiry: state.dscSasExpiry,
    });
    return state.dsc;
  }
}

/** Where a store keeps its Machine Configuration packages. */
export interface PackageLocation {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly accountName: pulumi.Input<string>;
  readonly containerName: pulumi.Input<string>;
  /** Blob endpoint of the account, ending in `/`. */
  readonly blobEndpoint: pulumi.Input<string>;
}

/** Where a store keeps its packages. */
function locationOf(store: GuestContentStore): PackageLocation {
  return {
    resourceGroupName: stateOf(store).resourceGroupName,
    accountName: store.account.name,
    containerName: store.packageContainer.name,
    blobEndpoint: store.account.primaryEndpoints.blob,
  };
}

/** A package's blob in a store's package container, named `blobName` (which carries the package's SHA-256). */
function publishPackageBlob(
  parent: pulumi.Resource,
  resourceName: string,
  location: PackageLocation,
  pkg: MachineConfigurationPackage,
  blobName: string,
): PublishedPackage {
  const blob = new storage.Blob(
    resourceName,
    {
      resourceGroupName: location.resourceGroupName,
      accountName: location.accountName,
      containerName: location.containerName,
      // Named by the package's SHA-256: contentUri and contentHash change together.
      blobName,
      type: storage.BlobType.Block,
      contentType: "application/zip",
      source: new pulumi.asset.FileAsset(writePackageFile(pkg)),
    },
    { parent, ...PUBLISHED_CONTENT_OPTIONS },
  );
  return {
    contentUri: pulumi.interpolate`${location.blobEndpoint}${location.containerName}/${blob.name}`,
    contentHash: pkg.sha256Upper,
    blob,
  };
}

/** Storage Blob Data Reader on a package container for one principal. */
function packageReaderRole(
  parent: pulumi.Resource,
  resourceName: string,
  packageContainerId: pulumi.Input<string>,
  subscriptionId: pulumi.Input<string>,
  principalId: pulumi.Input<string>,
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(
    resourceName,
    {
      scope: packageContainerId,
      principalId,
      principalType: authorization.PrincipalType.ServicePrincipal,
      roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER_ROLE_ID}`,
      description: "This VM's Machine Configuration agent reads its package with the VM's system-assigned identity.",
    },
    { parent },
  );
}

/** What a component that reads guest content does with a store. */
export interface StoreAccess {
  /** Where the packages go. */
  readonly location: PackageLocation;
  /** The package of a tuning, published for this component (once per content for a `GuestContentStore`). */
  publishPackage(tuning: TuningPlan): PublishedPackage;
  /** Storage Blob Data Reader on the package container for one principal. */
  grantPackageReader(key: string, principalId: pulumi.Input<string>): authorization.RoleAssignment;
  /** The DSC configuration archive with a read-only SAS token. */
  dscArchive(): DscArchive;
}

/**
 * Problems with a store reference given as values (plain strings only: outputs are read when
 * deployed), each naming the input. `needsDscArchive`: the component tunes with "dsc".
 */
export function storeReferenceProblems(store: GuestContentStoreReference, needsDscArchive: boolean, input = "store"): string[] {
  if (store instanceof GuestContentStore) return [];
  const problems: string[] = [];
  if (typeof store.packageContainerId === "string" && !PACKAGE_CONTAINER_ID_PATTERN.test(store.packageContainerId)) {
    problems.push(
      `${input}.packageContainerId = ${JSON.stringify(store.packageContainerId)} is not a blob container's ARM id (.../providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>)`,
    );
  }
  if (typeof store.blobEndpoint === "string" && !/^https:\/\/[^/\s]+\/$/.test(store.blobEndpoint))
    problems.push(`${input}.blobEndpoint = ${JSON.stringify(store.blobEndpoint)} is not an account's blob endpoint (https://<account>.blob.core.windows.net/)`);
  if (needsDscArchive && store.dscArchiveUrl === undefined)
    problems.push(
      `${input}.dscArchiveUrl is required with tcp.tuning = "dsc" (the output dscArchiveUrl of a GuestContentStore created with publishDscArchive: true)`,
    );
  if (typeof store.dscArchiveUrl === "string" && !BLOB_URL_PATTERN.test(store.dscArchiveUrl))
    problems.push(`${input}.dscArchiveUrl = ${JSON.stringify(store.dscArchiveUrl)} is not a blob's https URL without a SAS token`);
  else if (typeof store.dscArchiveUrl === "string" && store.dscArchiveUrl.includes("?"))
    problems.push(`${input}.dscArchiveUrl must not carry a SAS token (a query string); the component lists a read-only one itself`);
  return problems;
}

/**
 * How `owner` reaches a store: through the `GuestContentStore`'s methods (children of the store,
 * shared by every component that uses it), or, for a reference given as values, by creating what
 * it needs as its own children. Its package blobs then go to a folder of their own (a hash of the
 * owner's project, stack and name), so that two components never manage one blob.
 */
export function storeAccess(store: GuestContentStoreReference, owner: pulumi.ComponentResource, ownerType: string, ownerName: string): StoreAccess {
  if (store instanceof GuestContentStore) {
    return {
      location: locationOf(store),
      publishPackage: (tuning) => store.publishPackage(tuning),
      grantPackageReader: (key, principalId) => store.grantPackageReader(key, principalId),
      dscArchive: () => store.dscArchive(),
    };
  }
  const container = pulumi.output(store.packageContainerId).apply((id) => {
    const match = PACKAGE_CONTAINER_ID_PATTERN.exec(id);
    if (match === null) throw new Error(`store.packageContainerId = ${JSON.stringify(id)} is not a blob container's ARM id`);
    return { subscriptionId: match[1], resourceGroupName: match[2], accountName: match[3], containerName: match[4] };
  });
  const location: PackageLocation = {
    resourceGroupName: container.resourceGroupName,
    accountName: container.accountName,
    containerName: container.containerName,
    blobEndpoint: store.blobEndpoint,
  };
  const folder = sha256Hex(`${pulumi.getProject()}/${pulumi.getStack()}/${ownerType}/${ownerName}`).slice(0, 16);
  const packages = new Map<string, PublishedPackage>();
  return {
    location,
    publishPackage(tuning) {
      const pkg = machineConfigurationPackageFor(tuning);
      const known = packages.get(pkg.sha256Upper);
      if (known !== undefined) return known;
      const published = publishPackageBlob(
        owner,
        `${ownerName}-package-${pkg.sha256Upper.slice(0, 16).toLowerCase()}`,
        location,
        pkg,
        `${folder}/${pkg.blobName}`,
      );
      packages.set(pkg.sha256Upper, published);
      return published;
    },
    grantPackageReader: (key, principalId) =>
      packageReaderRole(owner, `${ownerName}-reader-${key}`, store.packageContainerId, container.subscriptionId, principalId),
    dscArchive() {
      const url = pulumi.output(store.dscArchiveUrl ?? "");
      const blob = url.apply((u) => {
        const match = BLOB_URL_PATTERN.exec(u);
        if (match === null) throw new Error(`store.dscArchiveUrl = ${JSON.stringify(u)} is not a blob's https URL`);
        return { accountName: match[1], containerName: match[2], blobName: match[3] };
      });
      const sas = storage.listStorageAccountServiceSASOutput(
        {
          resourceGroupName: container.resourceGroupName,
          accountName: container.accountName,
          canonicalizedResource: pulumi.interpolate`/blob/${blob.accountName}/${blob.containerName}/${blob.blobName}`,
          resource: storage.SignedResource.B,
          permissions: storage.Permissions.R,
          protocols: storage.HttpProtocol.Https,
          sharedAccessExpiryTime: defaultSasExpiry(),
        },
        { parent: owner },
      );
      return { url, sasToken: pulumi.secret(sas.serviceSasToken.apply((token) => `?${token}`)), archive: buildDscArchive() };
    },
  };
}
