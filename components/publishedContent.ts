/**
 * Guest content published to blob storage for hosts to read by address and check by hash (the DSC
 * configuration archive, the Machine Configuration package): the storage account that holds it,
 * the files Pulumi uploads, the options that keep an old blob while hosts still read it, and the
 * archive's read-only SAS. Shared by MailSite and GuestContentStore.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import { type PublishedArchive } from "../domain/guestContent";
import { type MachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { type DscArchive } from "./WindowsMailHost";

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
 * The storage account of the guest content, `${name}-st` under `parent`: StorageV2, zone-redundant,
 * HTTPS only, TLS 1.2, no public blob access. Shared-key access stays on: the DSC extension reads
 * its archive with a SAS token, which needs shared-key signing, and the deployer's upload of the
 * package uses the account's own access too; the hosts never do.
 */
export function contentStorageAccount(
  parent: pulumi.Resource,
  name: string,
  args: {
    readonly resourceGroupName: pulumi.Input<string>;
    readonly location?: pulumi.Input<string>;
    readonly accountName: pulumi.Input<string>;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  },
): storage.StorageAccount {
  return new storage.StorageAccount(
    `${name}-st`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      accountName: args.accountName,
      kind: storage.Kind.StorageV2,
      sku: { name: storage.SkuName.Standard_ZRS },
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
      allowSharedKeyAccess: true,
      tags: args.tags,
    },
    { parent },
  );
}

/**
 * The DSC configuration archive in a private container of `account`: the zip as a blob named by its
 * SHA-256 (a changed guest file is a new blob at a new address, the old one retained) and a
 * read-only, https-only SAS token for the DSC extension's protected settings. Children are named
 * `${name}-dsc` and `${name}-dsc-archive` under `parent`. Shared by MailSite and GuestContentStore.
 */
export function publishDscArchive(
  parent: pulumi.Resource,
  name: string,
  args: {
    readonly resourceGroupName: pulumi.Input<string>;
    readonly account: storage.StorageAccount;
    readonly containerName: string;
    readonly archive: PublishedArchive;
    /** SAS expiry, ISO 8601. */
    readonly expiry: string;
  },
): DscArchive {
  const { resourceGroupName, account, archive } = args;
  const container = new storage.BlobContainer(
    `${name}-dsc`,
    {
      resourceGroupName,
      accountName: account.name,
      containerName: args.containerName,
      publicAccess: storage.PublicAccess.None,
    },
    { parent },
  );
  const blob = new storage.Blob(
    `${name}-dsc-archive`,
    {
      resourceGroupName,
      accountName: account.name,
      containerName: container.name,
      // Named by the SHA-256 of the zip: a changed guest file is a new blob at a new address.
      blobName: archive.blobName,
      type: storage.BlobType.Block,
      contentType: "application/zip",
      // The configuration script and the MailhostTcpTuning module folder it imports.
      source: new pulumi.asset.FileAsset(writePublishedFile(archive.blobName, archive.bytes)),
    },
    { parent, ...PUBLISHED_CONTENT_OPTIONS },
  );
  const sas = storage.listStorageAccountServiceSASOutput(
    {
      resourceGroupName,
      accountName: account.name,
      canonicalizedResource: pulumi.interpolate`/blob/${account.name}/${container.name}/${blob.name}`,
      resource: storage.SignedResource.B,
      permissions: storage.Permissions.R,
      protocols: storage.HttpProtocol.Https,
      sharedAccessExpiryTime: args.expiry,
    },
    { parent },
  );
  return {
    url: pulumi.interpolate`${account.primaryEndpoints.blob}${container.name}/${blob.name}`,
    sasToken: pulumi.secret(sas.serviceSasToken.apply((token) => `?${token}`)),
    archive,
  };
}
