/**
 * The static PowerShell the hosts run, located in `guest/`. Values never go into these texts:
 * they reach the scripts only as DSC configuration arguments, run-command parameters or Machine
 * Configuration parameters.
 *
 * The host logic lives once, in the PowerShell module `guest/modules/MailhostTcpTuning`: a
 * class-based DSC resource plus its functions, one per file under `Private/` and `Public/` (the
 * layout docs/GUEST-MODULE.md describes). The module dot-sources those files, so the DSC archive and
 * the Machine Configuration package ship them as they are. Run Command takes one script text, so the
 * run-command tuning script and the drift collector are assembled here from their entry file and
 * the function files they use, joined in dependency order (`assembleGuestScript`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type PublishedArchive, publishedArchive } from "../domain/guestContent";
import { projectPath } from "../content/paths";
import {
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  HIGHEST_PORT,
  type IntRange,
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  TCP_TIMED_WAIT_DELAY,
  PORT_USAGE_SAMPLING,
  WINDOWS_DEFAULTS,
} from "../domain/limits";
import { PORT_USAGE_EVENT_LOG, PORT_USAGE_EVENT_SOURCE, PORT_USAGE_EVENTS } from "../domain/portUsage";
import { CORRECTION_EVENT_IDS, CORRECTION_EVENT_LOG, CORRECTION_EVENT_SOURCE } from "../domain/corrections";

/** The guest/ folder of this package: everything the hosts run comes from its files. */
export const GUEST_DIR = projectPath("guest");

/**
 * The same file under another copy of the guest/ folder (`root`), e.g. a temporary copy a test
 * changes; the file itself for the package's own folder.
 */
export function inGuestRoot(file: string, root: string = GUEST_DIR): string {
  return root === GUEST_DIR ? file : path.join(root, path.relative(GUEST_DIR, file));
}

/** The PowerShell module holding the DSC resource `MailhostTcpTuning` and the functions every mechanism runs. */
export const GUEST_MODULE = {
  /** Module name, also the DSC resource (class) name. */
  name: "MailhostTcpTuning",
  /** `ModuleVersion` of the manifest. */
  version: "1.0.0",
  /** Folder of the module (the module base: `.psd1`, `.psm1`, functions, `Limits.psd1`); the Machine Configuration package holds all of its files under `Modules/MailhostTcpTuning/`. */
  dir: path.join(GUEST_DIR, "modules", "MailhostTcpTuning"),
  /**
   * The module's function folders, one function per file named after it (`<Verb-Noun>.ps1`):
   * `Private/` (helpers and machine edges) and `Public/` (what the resource class, the entry
   * scripts and the sampler's script call; the manifest exports them). The module dot-sources both;
   * the assembler takes functions from them.
   */
  functionDirs: [path.join(GUEST_DIR, "modules", "MailhostTcpTuning", "Private"), path.join(GUEST_DIR, "modules", "MailhostTcpTuning", "Public")],
  /** Data file generated from domain/limits.ts by `renderGuestLimits` (`npm run guest:limits`). */
  limitsFile: path.join(GUEST_DIR, "modules", "MailhostTcpTuning", "Limits.psd1"),
} as const;

/** The DSC configuration applied by the Azure DSC extension. */
export const DSC_CONFIGURATION = {
  /** Path of the script in the repo. */
  file: path.join(GUEST_DIR, "dsc", "MailhostTuning.ps1"),
  /** File name inside the configuration archive. */
  script: "MailhostTuning.ps1",
  /** Name of the `Configuration` block. */
  function: "MailhostTuning",
  /**
   * Stem of the archive's blob name (the script at the root, the module folder next to it): the
   * blob is `MailhostTuning-<sha256 of the zip>.zip` (`buildDscArchive`).
   */
  archiveStem: "MailhostTuning",
} as const;

/** The idempotent script of the managed run command (an entry file: assemble it before sending). */
export const RUN_COMMAND_SCRIPT = {
  file: path.join(GUEST_DIR, "runcommand", "Set-MailhostTuning.ps1"),
} as const;

/** The read-only drift collector (an entry file: assemble it before sending). */
export const COLLECTOR_SCRIPT = {
  file: path.join(GUEST_DIR, "collector", "Get-MailhostState.ps1"),
} as const;

/** Scripts already read, by path: a program run reads each once, not once per host. */
const scripts = new Map<string, string>();

/**
 * The script text sent to a host for a guest script of the repo. Entry files that hold the
 * module region (the run-command script, the collector) come back assembled
 * (`assembleGuestScript`); other files as they are. `file` is a path of the package's guest/
 * folder; `root` reads it from another copy of that folder instead. Read once per process (the
 * package's own folder only).
 */
export function readGuestScript(file: string, root: string = GUEST_DIR): string {
  const cached = root === GUEST_DIR;
  let text = cached ? scripts.get(file) : undefined;
  if (text === undefined) {
    const source = fs.readFileSync(inGuestRoot(file, root), "utf8");
    text = MODULE_REGION.test(source) ? assembleGuestScript(file, root) : source;
    if (cached) scripts.set(file, text);
  }
  return text;
}

/**
 * The region of an entry file that loads the module's functions when the file runs from the
 * repository (under test); assembly replaces it by the functions themselves.
 */
const MODULE_REGION = /^#region MailhostTcpTuning functions\r?\n[\s\S]*?^#endregion MailhostTcpTuning functions\r?$/m;

/** One function of the module: its own file under `Private/` or `Public/`. */
export interface GuestFunction {
  /** The function's name, also its file's name without `.ps1`. */
  readonly name: string;
  /** The folder of its file: `Public` (exported by the manifest) or `Private`. */
  readonly scope: "Public" | "Private";
  /** Path of its file. */
  readonly file: string;
  /**
   * The definition: from the line `function <name> {` to its closing `}` line. The comment-based
   * help above it stays in the file (the module ships it); the assembled scripts leave it out.
   */
  readonly text: string;
  /**
   * The other module functions the definition names, sorted: the commands it calls and the names it
   * looks up (the sampler's script is built from functions named in a list).
   */
  readonly uses: readonly string[];
}

/** Words shaped like a PowerShell command name (`Verb-Noun`), not part of a longer word. */
const COMMAND_WORD = /(?<![\w-])[A-Za-z]+-[A-Za-z0-9]+(?![\w-])/g;

/** Command-shaped words of a text, lower-cased. */
function commandWords(text: string): Set<string> {
  return new Set([...text.matchAll(COMMAND_WORD)].map((m) => m[0].toLowerCase()));
}

/** The text with comment blocks and comment lines removed (what remains outside a definition must be empty). */
function withoutComments(text: string): string {
  return text
    .replace(/<#[\s\S]*?#>/g, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
    .join("\n");
}

/**
 * Every function of the module, read from its own file under `Private/` and `Public/`, sorted by
 * name, with the other functions each one uses (its text's command-shaped words resolved against
 * the set of function file names). Throws when a file does not define the function it is named
 * after, holds code outside that definition, or two files have the same name.
 */
export function guestModuleFunctions(root: string = GUEST_DIR): GuestFunction[] {
  const found: Omit<GuestFunction, "uses">[] = [];
  for (const dir of GUEST_MODULE.functionDirs) {
    const scope = path.basename(dir) as GuestFunction["scope"];
    for (const entry of fs.readdirSync(inGuestRoot(dir, root), { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ps1")) continue;
      const file = path.join(inGuestRoot(dir, root), entry.name);
      const name = entry.name.slice(0, -".ps1".length);
      const source = fs.readFileSync(file, "utf8");
      const start = new RegExp(`^function ${name.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")} \\{\r?$`, "m").exec(source);
      const end = /^\}\r?$/gm;
      let close: RegExpExecArray | null = null;
      for (let m = end.exec(source); m !== null; m = end.exec(source)) close = m;
      if (start === null || close === null || close.index < start.index) {
        throw new Error(`${file}: no definition "function ${name} {" ... "}" (one function per file, named as the file)`);
      }
      const stray = withoutComments(source.slice(0, start.index) + source.slice(close.index + close[0].length));
      if (stray !== "") throw new Error(`${file}: code outside the function ${name}: ${stray.split("\n")[0]}`);
      found.push({ name, scope, file, text: source.slice(start.index, close.index + 1) });
    }
  }
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byName = new Map<string, string>();
  for (const fn of found) {
    const other = byName.get(fn.name.toLowerCase());
    if (other !== undefined) throw new Error(`${GUEST_MODULE.name}: ${fn.name} is defined twice (in Private/ and in Public/)`);
    byName.set(fn.name.toLowerCase(), fn.name);
  }
  return found.map((fn) => {
    const words = commandWords(fn.text);
    const uses = found.filter((other) => other.name !== fn.name && words.has(other.name.toLowerCase())).map((other) => other.name);
    return { ...fn, uses };
  });
}

/**
 * The functions `names` need, themselves and everything they use (transitively), in dependency
 * order: each function after the functions it uses, otherwise by name. Deterministic. Throws on
 * a cycle (functions that use each other), naming it.
 */
export function inDependencyOrder(names: Iterable<string>, functions: readonly GuestFunction[]): GuestFunction[] {
  const byName = new Map(functions.map((fn) => [fn.name.toLowerCase(), fn]));
  const ordered: GuestFunction[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: readonly string[]) => {
    const fn = byName.get(name.toLowerCase());
    if (fn === undefined) throw new Error(`${GUEST_MODULE.name} has no function ${name}`);
    const seen = state.get(fn.name);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`${GUEST_MODULE.name}: functions use each other: ${[...path, fn.name].join(" -> ")}`);
    state.set(fn.name, "visiting");
    for (const used of fn.uses) visit(used, [...path, fn.name]);
    state.set(fn.name, "done");
    ordered.push(fn);
  };
  for (const name of [...names].sort()) visit(name, []);
  return ordered;
}

/**
 * One script text for Run Command: the entry file with its module region replaced by the
 * limits (`Limits.psd1`) and the definitions of the module functions it names, directly or
 * through other functions, in dependency order ({@link inDependencyOrder}). Deterministic: same
 * files, same text. Throws when the entry has no module region or names no module function.
 */
export function assembleGuestScript(entryFile: string, root: string = GUEST_DIR): string {
  const entry = fs.readFileSync(inGuestRoot(entryFile, root), "utf8");
  const region = MODULE_REGION.exec(entry);
  if (region === null) throw new Error(`${entryFile}: no "#region MailhostTcpTuning functions" ... "#endregion MailhostTcpTuning functions" block`);
  const outside = entry.slice(0, region.index) + entry.slice(region.index + region[0].length);
  const all = guestModuleFunctions(root);
  const words = commandWords(outside);
  const direct = all.filter((fn) => words.has(fn.name.toLowerCase())).map((fn) => fn.name);
  if (direct.length === 0) throw new Error(`${entryFile}: uses no function of ${GUEST_MODULE.name}`);
  const eol = entry.includes("\r\n") ? "\r\n" : "\n";
  const limits = fs
    .readFileSync(inGuestRoot(GUEST_MODULE.limitsFile, root), "utf8")
    .split(/\r?\n/)
    .filter((line) => !line.startsWith("#"))
    .join(eol)
    .trimEnd();
  const body = [
    `#region MailhostTcpTuning functions (assembled from guest/modules/${GUEST_MODULE.name} ${GUEST_MODULE.version}; limits from Limits.psd1)`,
    `$script:MailhostTcpTuningLimits = ${limits}`,
    ...inDependencyOrder(direct, all).map((fn) => fn.text.replace(/\r?\n/g, eol)),
    "#endregion MailhostTcpTuning functions",
  ].join(eol);
  return entry.slice(0, region.index) + body + entry.slice(region.index + region[0].length);
}

/** The files of the module folder (relative names with `/`, sorted), for archives and packages. */
export function guestModuleFiles(root: string = GUEST_DIR): { readonly name: string; readonly file: string }[] {
  const out: { name: string; file: string }[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else out.push({ name: `${prefix}${entry.name}`, file: full });
    }
  };
  walk(inGuestRoot(GUEST_MODULE.dir, root), "");
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Files of the DSC extension's configuration archive, as the Az `Publish-AzVMDscConfiguration`
 * cmdlet lays them out: the configuration script at the root and each module it imports as a
 * folder named after the module (the extension installs those folders as modules). Sorted names
 * with `/`, so the archive is the same for the same files.
 */
export function dscArchiveEntries(root: string = GUEST_DIR): { readonly name: string; readonly file: string }[] {
  return [
    { name: DSC_CONFIGURATION.script, file: inGuestRoot(DSC_CONFIGURATION.file, root) },
    ...guestModuleFiles(root).map((entry) => ({ name: `${GUEST_MODULE.name}/${entry.name}`, file: entry.file })),
  ];
}

/** Archives already built, by guest root: a program run builds the package's own once. */
const dscArchives = new Map<string, PublishedArchive>();

/**
 * The DSC extension's configuration archive built from the guest files under `root` (the
 * entries of {@link dscArchiveEntries}, zipped deterministically): its bytes, their SHA-256 and
 * its blob name `MailhostTuning-<sha256>.zip`. A change to any file inside gives another address.
 */
export function buildDscArchive(root: string = GUEST_DIR): PublishedArchive {
  let archive = root === GUEST_DIR ? dscArchives.get(root) : undefined;
  if (archive === undefined) {
    archive = publishedArchive(
      DSC_CONFIGURATION.archiveStem,
      dscArchiveEntries(root).map((entry) => ({ path: entry.name, bytes: fs.readFileSync(entry.file) })),
    );
    if (root === GUEST_DIR) dscArchives.set(root, archive);
  }
  return archive;
}

function psRange(range: IntRange): string {
  return `@{ Min = ${range.min}; Max = ${range.max}; Unit = '${range.unit}' }`;
}

/**
 * Text of `guest/modules/MailhostTcpTuning/Limits.psd1`: the limits the guest validates against
 * and the Windows defaults it reports, rendered from domain/limits.ts, and the source and event
 * ids of the correction events (domain/corrections.ts): one source of truth each; a test keeps
 * the file equal to this text. ASCII, CRLF line endings.
 */
export function renderGuestLimits(): string {
  const defaultOrNull = (value: number | null) => (value === null ? "$null" : String(value));
  const lines = [
    "# Generated from domain/limits.ts by components/guestScripts.ts renderGuestLimits (npm run guest:limits). Do not edit.",
    "@{",
    `    MaxUserPort                   = ${psRange(MAX_USER_PORT)}`,
    `    TcpTimedWaitDelay             = ${psRange(TCP_TIMED_WAIT_DELAY)}`,
    `    DynamicPortRangeStartPort     = ${psRange(DYNAMIC_PORT_RANGE_START)}`,
    `    DynamicPortRangeNumberOfPorts = ${psRange(DYNAMIC_PORT_RANGE_COUNT)}`,
    `    AutoReusePortRangeStartPort   = ${psRange(AUTO_REUSE_PORT_RANGE_START)}`,
    `    AutoReusePortRangeNumberOfPorts = ${psRange(AUTO_REUSE_PORT_RANGE_COUNT)}`,
    `    MinPortsOutsideAutoReuseRange = ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE}`,
    `    HighestPort                   = ${HIGHEST_PORT}`,
    `    PortUsageEndpointsPerReading  = ${PORT_USAGE_SAMPLING.endpointsPerReading}`,
    `    PortUsageEventSource          = '${PORT_USAGE_EVENT_SOURCE}'`,
    `    PortUsageEventLog             = '${PORT_USAGE_EVENT_LOG}'`,
    `    PortUsageEventIds             = @{ Reading = ${PORT_USAGE_EVENTS.reading}; Failed = ${PORT_USAGE_EVENTS.failed} }`,
    "    WindowsDefaults               = @{",
    `        MaxUserPort                   = ${defaultOrNull(WINDOWS_DEFAULTS.maxUserPort)}`,
    `        TcpTimedWaitDelay             = ${WINDOWS_DEFAULTS.tcpTimedWaitDelay}`,
    `        DynamicPortRangeStartPort     = ${WINDOWS_DEFAULTS.dynamicPortRangeStart}`,
    `        DynamicPortRangeNumberOfPorts = ${WINDOWS_DEFAULTS.dynamicPortRangeCount}`,
    `        AutoReusePortRangeStartPort   = ${WINDOWS_DEFAULTS.autoReusePortRangeStart}`,
    `        AutoReusePortRangeNumberOfPorts = ${WINDOWS_DEFAULTS.autoReusePortRangeCount}`,
    "    }",
    "    CorrectionEvents              = @{",
    `        Source   = '${CORRECTION_EVENT_SOURCE}'`,
    `        LogName  = '${CORRECTION_EVENT_LOG}'`,
    "        EventIds = @{",
    ...Object.entries(CORRECTION_EVENT_IDS).map(([setting, id]) => `            ${setting.padEnd(20)} = ${id}`),
    "        }",
    "    }",
    "}",
    "",
  ];
  return lines.join("\r\n");
}
