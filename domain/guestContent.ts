/**
 * What reaches a tuning mechanism's hosts, as one value: its content manifest (the guest files it
 * ships, by the path they have on the host side, and the values it passes), and the hash of that
 * manifest, which is the mechanism's re-apply trigger (the DSC extension's `forceUpdateTag`, the
 * managed run command's `ContentHash` parameter). Machine Configuration's trigger is the SHA-256
 * of the package zip itself (the assignment's `contentHash`), and the zip is built from the same
 * kind of manifest. One rule for all three: a change to anything that reaches a mechanism's hosts
 * changes its trigger, and a change to anything else changes nothing.
 *
 * Also the deterministic zip every published archive is built with, so that the address of an
 * archive (its blob name) can carry the SHA-256 of its bytes.
 */
import { createHash } from "node:crypto";
import { zipSync, type ZipOptions, type Zippable } from "fflate";

/** A file as it reaches the host: its path inside the archive or package (`/` separators) and its bytes. */
export interface GuestFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Everything one mechanism sends to its hosts: files and named values. */
export interface GuestManifest {
  readonly files: readonly GuestFile[];
  readonly values: Readonly<Record<string, number | string>>;
}

function sha256Of(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function byPath(a: { readonly path: string }, b: { readonly path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * SHA-256 (lower-case hex) of a manifest: of one line per file (`file <path> <sha256 of bytes>`,
 * sorted by path) and one per value (`value <name> <JSON of value>`, sorted by name). The same
 * files and values in any order give the same hash; any byte of any file, a renamed file, an
 * added or removed file, or any value changes it. Throws on a path listed twice.
 */
export function manifestSha256(manifest: GuestManifest): string {
  const files = [...manifest.files].sort(byPath);
  for (let i = 1; i < files.length; i++) {
    if (files[i].path === files[i - 1].path) throw new Error(`guest manifest lists ${files[i].path} twice`);
  }
  const lines = [
    ...files.map((f) => `file ${JSON.stringify(f.path)} ${sha256Of(f.bytes)}`),
    ...Object.keys(manifest.values)
      .sort()
      .map((name) => `value ${JSON.stringify(name)} ${JSON.stringify(manifest.values[name])}`),
  ];
  return sha256Of(lines.join("\n"));
}

/** DOS attribute of a directory entry (APPNOTE 4.4.15, MS-DOS external attributes). */
const DOS_DIRECTORY = 0x10;
/** The earliest DOS date, built from local fields so that every time zone writes the same bytes. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * A zip of the files, the same bytes for the same files: entries sorted by path, an explicit
 * entry for every folder, dated 1980-01-01 00:00 (not now), Deflate level 9, `/` separators
 * (PKWARE APPNOTE 4.4.17).
 */
export function deterministicZip(files: readonly GuestFile[]): Uint8Array {
  const file: ZipOptions = { level: 9, mtime: FIXED_MTIME, os: 0, attrs: 0 };
  const directory: ZipOptions = { level: 0, mtime: FIXED_MTIME, os: 0, attrs: DOS_DIRECTORY };
  const entries: Zippable = {};
  const directories = new Set<string>();
  for (const f of [...files].sort(byPath)) {
    const parts = f.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join("/")}/`;
      if (!directories.has(dir)) {
        directories.add(dir);
        entries[dir] = [new Uint8Array(0), directory];
      }
    }
    entries[f.path] = [f.bytes, file];
  }
  return zipSync(entries);
}

/** A published archive: its bytes, their SHA-256 and the blob name derived from it. */
export interface PublishedArchive {
  /** The files inside, by path. */
  readonly files: readonly GuestFile[];
  /** The zip, exactly as uploaded. */
  readonly bytes: Uint8Array;
  /** SHA-256 of {@link bytes}, lower-case hex. */
  readonly sha256: string;
  /** Blob name: `<stem>-<sha256>.zip`, so that other bytes are always another address. */
  readonly blobName: string;
}

/** Blob name of content-addressed bytes: `<stem>-<hash>.zip`. */
export function contentAddressedName(stem: string, hash: string): string {
  return `${stem}-${hash}.zip`;
}

/** Builds a content-addressed archive of the files (see {@link deterministicZip}). */
export function publishedArchive(stem: string, files: readonly GuestFile[]): PublishedArchive {
  const bytes = deterministicZip(files);
  const sha256 = sha256Of(bytes);
  return { files: [...files].sort(byPath), bytes, sha256, blobName: contentAddressedName(stem, sha256) };
}
