import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as storage from "@pulumi/azure-native/storage";
import { type MachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { type TuningPlan } from "../domain/plan";
import { machineConfigurationPackageFor } from "./guestContent";
import { buildDscArchive } from "./guestScripts";
import { PUBLISHED_CONTENT_OPTIONS, STORAGE_BLOB_DATA_READER_ROLE_ID, contentStorageAccount, defaultSasExpiry, publishDscArchive, writePackageFile } from "./publishedContent";
import { type DscArchive } from "./WindowsMailHost";
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
  /** Azure tags on the account. Defaults to none. */
  readonly tags?: Record<string, string>;
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

/**
 * The store's bookkeeping, outside the instance: Pulumi's schema inference for the component plugin
 * (docs/LANGUAGES.md) reads every property of a component class as an output, and maps and
 * anonymous object types have no schema type.
 */
interface StoreState {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly storeName: string;
  readonly dscSasExpiry: string;
  readonly packages: Map<string, PublishedPackage>;
  readonly readers: Map<string, authorization.RoleAssignment>;
  dsc?: DscArchive;
  readerIdentity?: { identity: managedidentity.UserAssignedIdentity; role: authorization.RoleAssignment };
}
const storeState = new WeakMap<GuestContentStore, StoreState>();
function stateOf(store: GuestContentStore): StoreState {
  const state = storeState.get(store);
  if (state === undefined) throw new Error("GuestContentStore used before its constructor finished");
  return state;
}

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

  public readonly account: storage.StorageAccount;
  /** The private container of the Machine Configuration packages. */
  public readonly packageContainer: storage.BlobContainer;
  /** ARM id of the package container: the scope of every reader role assignment. */
  public readonly packageContainerId: pulumi.Output<string>;

  constructor(name: string, args: GuestContentStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    if (!/^[a-z0-9]{3,24}$/.test(args.accountName)) problems.push(`accountName = ${JSON.stringify(args.accountName)} must be 3–24 lower-case letters and digits`);
    const expiry = args.dscSasExpiry ?? defaultSasExpiry();
    if (Number.isNaN(Date.parse(expiry))) problems.push(`dscSasExpiry = ${JSON.stringify(expiry)} is not an ISO 8601 date`);
    rejectInvalid(GuestContentStore.typeToken, name, problems, opts);
    super(GuestContentStore.typeToken, name, {}, opts);
    storeState.set(this, { storeName: name, resourceGroupName: args.resourceGroupName, dscSasExpiry: expiry, packages: new Map(), readers: new Map() });

    this.account = contentStorageAccount(this, name, { resourceGroupName: args.resourceGroupName, location: args.location, accountName: args.accountName, tags: args.tags });
    this.packageContainer = new storage.BlobContainer(`${name}-packages`, {
      resourceGroupName: args.resourceGroupName,
      accountName: this.account.name,
      containerName: PACKAGE_CONTAINER,
      publicAccess: storage.PublicAccess.None,
    }, { parent: this });
    this.packageContainerId = pulumi.interpolate`${this.account.id}/blobServices/default/containers/${this.packageContainer.name}`;

    this.registerOutputs({ accountName: this.account.name, packageContainerId: this.packageContainerId });
  }

  /**
   * The Machine Configuration package of a tuning, published once per content: the blob is named
   * by the package's SHA-256 (`blobName`), kept when a newer package replaces it, so VMs tuned alike share it and a changed tuning never overwrites
   * a package that running assignments still reference.
   */
  publishPackage(tuning: TuningPlan): PublishedPackage {
    const pkg: MachineConfigurationPackage = machineConfigurationPackageFor(tuning);
    const known = stateOf(this).packages.get(pkg.sha256Upper);
    if (known !== undefined) return known;
    const blob = new storage.Blob(`${stateOf(this).storeName}-package-${pkg.sha256Upper.slice(0, 16).toLowerCase()}`, {
      resourceGroupName: stateOf(this).resourceGroupName,
      accountName: this.account.name,
      containerName: this.packageContainer.name,
      // Named by the package's SHA-256: contentUri and contentHash change together.
      blobName: pkg.blobName,
      type: storage.BlobType.Block,
      contentType: "application/zip",
      source: new pulumi.asset.FileAsset(writePackageFile(pkg)),
    }, { parent: this, ...PUBLISHED_CONTENT_OPTIONS });
    const published: PublishedPackage = {
      contentUri: pulumi.interpolate`${this.account.primaryEndpoints.blob}${this.packageContainer.name}/${blob.name}`,
      contentHash: pkg.sha256Upper,
      blob,
    };
    stateOf(this).packages.set(pkg.sha256Upper, published);
    return published;
  }

  /**
   * Storage Blob Data Reader on the package container for one principal (a VM's system-assigned
   * identity), once per `key`. Read access to packages only: no write, no other container.
   */
  grantPackageReader(key: string, principalId: pulumi.Input<string>): authorization.RoleAssignment {
    const known = stateOf(this).readers.get(key);
    if (known !== undefined) return known;
    const role = new authorization.RoleAssignment(`${stateOf(this).storeName}-reader-${key}`, {
      scope: this.packageContainerId,
      principalId,
      principalType: authorization.PrincipalType.ServicePrincipal,
      roleDefinitionId: pulumi.interpolate`/subscriptions/${this.account.id.apply((id) => id.split("/")[2] ?? "")}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER_ROLE_ID}`,
      description: "This VM's Machine Configuration agent reads its package with the VM's system-assigned identity.",
    }, { parent: this });
    stateOf(this).readers.set(key, role);
    return role;
  }

  /**
   * A user-assigned identity with Storage Blob Data Reader on the package container, created on
   * first use, for VMs this program creates (they carry it; see `WindowsMailHost`). VMs created
   * elsewhere read with their system-assigned identity instead (`grantPackageReader`).
   */
  packageReaderIdentity(identityName: string, location?: pulumi.Input<string>, tags?: Record<string, string>): { readonly identity: managedidentity.UserAssignedIdentity; readonly role: authorization.RoleAssignment } {
    const state = stateOf(this);
    if (state.readerIdentity !== undefined) return state.readerIdentity;
    const identity = new managedidentity.UserAssignedIdentity(`${stateOf(this).storeName}-reader-id`, {
      resourceGroupName: stateOf(this).resourceGroupName,
      location,
      resourceName: identityName,
      tags,
    }, { parent: this });
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
