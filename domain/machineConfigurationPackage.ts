/**
 * The Machine Configuration package of the tuning, built from the plan: a zip holding at its root
 * exactly `MailhostTcpTuning.mof`, `MailhostTcpTuning.metaconfig.json` and
 * `Modules/MailhostTcpTuning/<the module's files>`, the layout `New-GuestConfigurationPackage`
 * (Azure/GuestConfiguration) writes and the agent reads: the only `.mof` at the root names the
 * configuration, `<name>.metaconfig.json` beside it says `AuditAndSet`, and the module sits
 * under `Modules/<ModuleName>/` without a version folder.
 *
 * Deterministic: the same plan and module files give the same bytes, so the same SHA-256, which
 * is the assignment's `contentHash` (the agent re-downloads and re-applies when it changes).
 * Entries are sorted, dated 1980-01-01 00:00 (the first DOS date; not now), Deflate-compressed,
 * with `/` separators (PKWARE APPNOTE 4.4.17).
 */
import { createHash } from "node:crypto";
import { strToU8, zipSync, type ZipOptions, type Zippable } from "fflate";
import { contentAddressedName } from "./guestContent";
import { MAILHOST_TCP_TUNING } from "./machineConfiguration";
import { tuningMof } from "./mof";
import { type TuningPlan } from "./plan";

/** A file of the module folder: path relative to the folder with `/` separators, and its bytes. */
export interface ModuleFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** The built package. */
export interface MachineConfigurationPackage {
  /** File name of the zip: `MailhostTcpTuning.zip`. */
  readonly fileName: string;
  /**
   * Name of the blob it is published as: `MailhostTcpTuning-<sha256Upper>.zip`. A package with
   * other bytes is always another blob, so the assignment's `contentUri` and `contentHash` change
   * together and a published package is never overwritten (Machine Configuration docs, "Create a
   * policy definition": put the version in the package's file name).
   */
  readonly blobName: string;
  /** The zip, exactly as uploaded. */
  readonly bytes: Uint8Array;
  /** SHA-256 of {@link bytes}: 64 upper-case hex characters, as `Get-FileHash` gives it (the assignment's `contentHash`). */
  readonly sha256Upper: string;
  /** The MOF inside, as text. */
  readonly mof: string;
  /** The metaconfig inside, as text. */
  readonly metaconfig: string;
}

/**
 * `<name>.metaconfig.json`: `Type` AuditAndSet (an Audit package cannot be assigned with an Apply
 * mode) and the package version. ASCII, no BOM, CRLF, as the GuestConfiguration module writes it.
 * No `configurationModeFrequencyMins`: the 15-minute default is the shortest allowed.
 */
export function metaconfigJson(): string {
  return JSON.stringify({ Type: "AuditAndSet", Version: MAILHOST_TCP_TUNING.packageVersion }, null, 2).replace(/\n/g, "\r\n");
}

/** Relative, ASCII, no `..`, no empty segment, `/`-separated. */
const SAFE_RELATIVE_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._ -]+(\/[A-Za-z0-9._ -]+)*$/;

/** `ModuleVersion = '1.0.0'` of a module manifest's text, or undefined. */
export function manifestModuleVersion(manifestText: string): string | undefined {
  return /(?:^|[\s{;])ModuleVersion\s*=\s*['"]([^'"]+)['"]/m.exec(manifestText)?.[1];
}

/** Everything wrong with a module folder's files for the package; empty when it is fine. */
export function moduleFileProblems(files: readonly ModuleFile[]): string[] {
  const problems: string[] = [];
  const manifestName = `${MAILHOST_TCP_TUNING.moduleName}.psd1`;
  const seen = new Set<string>();
  for (const file of files) {
    if (!SAFE_RELATIVE_PATH.test(file.path)) problems.push(`module file ${JSON.stringify(file.path)} is not a relative ASCII path with / separators`);
    if (seen.has(file.path.toLowerCase())) problems.push(`module file ${JSON.stringify(file.path)} is listed twice`);
    seen.add(file.path.toLowerCase());
  }
  const manifest = files.find((f) => f.path === manifestName);
  if (manifest === undefined) {
    problems.push(`the module has no manifest ${manifestName} at its root`);
  } else {
    const text = Buffer.from(manifest.bytes).toString("utf8");
    const version = manifestModuleVersion(text);
    if (version !== MAILHOST_TCP_TUNING.moduleVersion) {
      problems.push(
        `${manifestName} says ModuleVersion ${JSON.stringify(version ?? null)}, but the MOF names ${MAILHOST_TCP_TUNING.moduleVersion}; the agent loads the module by name and version`,
      );
    }
    // The manifest's RootModule holds the resource class: without it the agent cannot load it.
    const root = /^\s*RootModule\s*=\s*['"]([^'"]+)['"]/m.exec(text)?.[1];
    if (root === undefined) problems.push(`${manifestName} names no RootModule`);
    else if (!files.some((f) => f.path.toLowerCase() === root.replace(/\\/g, "/").toLowerCase()))
      problems.push(`${manifestName} names RootModule ${JSON.stringify(root)}, which is not among the module's files`);
  }
  return problems;
}

/** DOS attribute of a directory entry (APPNOTE 4.4.15, MS-DOS external attributes). */
const DOS_DIRECTORY = 0x10;
/** The earliest DOS date, built from local fields so that every time zone writes the same bytes. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Builds the package for a plan and the module folder's files (all of them, as
 * `readModuleFolder` of `content/moduleFolder.ts` reads them). Throws an `Error` listing every
 * problem with the files (no manifest, a ModuleVersion other than the MOF's, unsafe paths), and a
 * `RangeError` when a value cannot be written to the MOF.
 */
export function buildMachineConfigurationPackage(tuning: TuningPlan, moduleFiles: readonly ModuleFile[]): MachineConfigurationPackage {
  const problems = moduleFileProblems(moduleFiles);
  if (problems.length > 0) throw new Error(`the ${MAILHOST_TCP_TUNING.moduleName} module cannot be packaged: ${problems.join("; ")}.`);
  const name = MAILHOST_TCP_TUNING.configurationName;
  const mof = tuningMof(tuning);
  const metaconfig = metaconfigJson();
  const file: ZipOptions = { level: 9, mtime: FIXED_MTIME, os: 0, attrs: 0 };
  const directory: ZipOptions = { level: 0, mtime: FIXED_MTIME, os: 0, attrs: DOS_DIRECTORY };

  const entries: Zippable = {};
  entries[`${name}.metaconfig.json`] = [strToU8(metaconfig), file];
  entries[`${name}.mof`] = [strToU8(mof), file];
  entries["Modules/"] = [new Uint8Array(0), directory];
  const moduleRoot = `Modules/${MAILHOST_TCP_TUNING.moduleName}/`;
  entries[moduleRoot] = [new Uint8Array(0), directory];
  const directories = new Set<string>();
  for (const f of [...moduleFiles].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const parts = f.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = `${moduleRoot}${parts.slice(0, i).join("/")}/`;
      if (!directories.has(dir)) {
        directories.add(dir);
        entries[dir] = [new Uint8Array(0), directory];
      }
    }
    entries[`${moduleRoot}${f.path}`] = [f.bytes, file];
  }
  const bytes = zipSync(entries);
  const sha256Upper = createHash("sha256").update(bytes).digest("hex").toUpperCase();
  return {
    fileName: `${name}.zip`,
    blobName: contentAddressedName(name, sha256Upper),
    bytes,
    sha256Upper,
    mof,
    metaconfig,
  };
}
