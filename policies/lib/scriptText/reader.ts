/**
 * The script-text reader of the policy pack: finds every text a host will run on a resource and
 * what it writes to the TCP/IP port settings.
 *
 * Texts read:
 * - VM and scale-set extensions (CustomScriptExtension and any other): `commandToExecute` in
 *   `settings` or `protectedSettings`, read as a cmd command line;
 * - managed run commands (VM and scale-set VM): `source.script`, and an action run command's
 *   `script` lines, read as PowerShell (Windows runs them with PowerShell);
 * - a scale set's `virtualMachineProfile.extensionProfile.extensions[*]`, as extensions.
 * Scripts given only by address (`source.scriptUri`, `fileUris`) are listed as unreadable.
 *
 * Our own shipped tuning script is recognised by its SHA-256 and skipped: its values are its
 * run-command parameters, which the structured policies check.
 *
 * Cost: readings are cached per identical text (a fleet carries the same text on every host), and
 * the PowerShell grammar is loaded only when a PowerShell text is read for the first time.
 */
import { createHash } from "node:crypto";
import { RUN_COMMAND_SCRIPT, readGuestScript } from "../../../components/guestScripts";
import { readCmdLine } from "./cmdLine";
import { type NestedReaders, type ScriptWrite, type ShellCommand, writesOf } from "./commands";
import { type PowerShellReader, loadPowerShellReader } from "./powershell";
import { EXTENSION_TYPE, RUN_COMMAND_TYPE } from "../resources";

export type { AutoReuseWrite, RangeWrite, RegistryWrite, ScriptValue, ScriptWrite } from "./commands";

/** Scale sets, in any API version of azure-native (their embedded extensions carry texts too). */
export const SCALE_SET_TYPE = /^azure-native:compute(\/v[0-9a-z]+)?:VirtualMachineScaleSet$/;

/** The language a text is written in. */
export type Shell = "cmd" | "powershell";

/** A text a host will run, and where it sits on the resource. */
export interface ScriptText {
  readonly text: string;
  readonly shell: Shell;
  /** Property path, e.g. `settings.commandToExecute` or `source.script`. */
  readonly where: string;
  /** From protectedSettings / protectedParameters: never echo anything of it. */
  readonly protected: boolean;
}

/** A script the pack cannot read: it is fetched from an address on the host. */
export interface UnreadableScript {
  /** Property path, e.g. `source.scriptUri` or `protectedSettings.fileUris` (the address is never shown). */
  readonly where: string;
}

/** What a resource's texts write, each with the text's location. */
export interface ScriptFinding {
  readonly write: ScriptWrite;
  readonly where: string;
  readonly protected: boolean;
}

export interface ScriptReading {
  readonly findings: readonly ScriptFinding[];
  readonly unreadable: readonly UnreadableScript[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function extensionTexts(settings: unknown, protectedSettings: unknown, prefix: string, texts: ScriptText[], unreadable: UnreadableScript[]): void {
  for (const [root, where, isProtected] of [
    [settings, "settings", false],
    [protectedSettings, "protectedSettings", true],
  ] as const) {
    if (!isRecord(root)) continue;
    if (typeof root.commandToExecute === "string")
      texts.push({ text: root.commandToExecute, shell: "cmd", where: `${prefix}${where}.commandToExecute`, protected: isProtected });
    if (Array.isArray(root.fileUris) && root.fileUris.length > 0) unreadable.push({ where: `${prefix}${where}.fileUris` });
  }
}

/** Every text a resource carries for a host to run, and the scripts it fetches by address. */
export function scriptTextsOf(type: string, props: Record<string, unknown>): { texts: ScriptText[]; unreadable: UnreadableScript[] } {
  const texts: ScriptText[] = [];
  const unreadable: UnreadableScript[] = [];
  if (EXTENSION_TYPE.test(type)) {
    extensionTexts(props.settings, props.protectedSettings, "", texts, unreadable);
  } else if (RUN_COMMAND_TYPE.test(type)) {
    const source = isRecord(props.source) ? props.source : {};
    if (typeof source.script === "string") texts.push({ text: source.script, shell: "powershell", where: "source.script", protected: false });
    else if (typeof source.scriptUri === "string" && source.scriptUri !== "") unreadable.push({ where: "source.scriptUri" });
    if (Array.isArray(props.script)) texts.push({ text: props.script.map(String).join("\n"), shell: "powershell", where: "script", protected: false });
  } else if (SCALE_SET_TYPE.test(type)) {
    const profile = isRecord(props.virtualMachineProfile) ? props.virtualMachineProfile : {};
    const extensions = isRecord(profile.extensionProfile) && Array.isArray(profile.extensionProfile.extensions) ? profile.extensionProfile.extensions : [];
    extensions.forEach((e: unknown, i: number) => {
      if (!isRecord(e)) return;
      // ARM nests them under `properties`; azure-native's inputs flatten them.
      const body = isRecord(e.properties) ? e.properties : e;
      extensionTexts(body.settings, body.protectedSettings, `virtualMachineProfile.extensionProfile.extensions[${i}].`, texts, unreadable);
    });
  }
  return { texts, unreadable };
}

/** SHA-256 (hex) of texts the project ships: a resource running one of them is judged by its parameters. */
let shipped: ReadonlySet<string> | undefined;

/** Hashes of the scripts our components put on hosts (read from the same files the components read). */
export function shippedScriptHashes(): ReadonlySet<string> {
  shipped ??= new Set([readGuestScript(RUN_COMMAND_SCRIPT.file)].map(sha256));
  return shipped;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Writes of a text, by shell and text: identical texts are read once per process. */
const cache: Record<Shell, Map<string, Promise<readonly ScriptWrite[]>>> = { cmd: new Map(), powershell: new Map() };

/** A cmd text loads the PowerShell grammar only when it starts PowerShell. */
const STARTS_POWERSHELL = /powershell|pwsh/i;

function readWith(ps: PowerShellReader | undefined, text: string, shell: Shell): ScriptWrite[] {
  const nested: NestedReaders = {
    readCmd: (t, line) => fromCmd(t, line),
    readPowerShell: (t, line) => (ps === undefined ? [] : fromCommands(ps(t, line))),
  };
  const fromCommands = (commands: ShellCommand[]) => commands.flatMap((c) => writesOf(c, nested));
  const fromCmd = (t: string, line: number): ScriptWrite[] => {
    const lines = t.split(/\r?\n/);
    return lines
      .flatMap((l, i) =>
        readCmdLine(l).map((c): ShellCommand => ({
          name: c.words[0].text ?? c.words[0].raw,
          words: c.words.slice(1),
          rest: c.rest,
          line: line + i,
        })),
      )
      .flatMap((c) => writesOf(c, nested));
  };
  return shell === "cmd" ? fromCmd(text, 1) : fromCommands(ps!(text));
}

/** What one text writes to the Tcpip settings (cached; the shipped script writes nothing to judge here). */
export function readScriptText(text: string, shell: Shell): Promise<readonly ScriptWrite[]> {
  const cached = cache[shell].get(text);
  if (cached !== undefined) return cached;
  let result: Promise<readonly ScriptWrite[]>;
  if (shippedScriptHashes().has(sha256(text))) result = Promise.resolve([]);
  else if (shell === "cmd" && !STARTS_POWERSHELL.test(text)) result = Promise.resolve(readWith(undefined, text, shell));
  else result = loadPowerShellReader().then((ps) => readWith(ps, text, shell));
  cache[shell].set(text, result);
  return result;
}

/** Everything a resource's script texts write to the Tcpip settings, and its unreadable scripts. */
export async function readScriptTuning(type: string, props: Record<string, unknown>): Promise<ScriptReading> {
  const { texts, unreadable } = scriptTextsOf(type, props);
  const findings: ScriptFinding[] = [];
  for (const t of texts) {
    for (const write of await readScriptText(t.text, t.shell)) findings.push({ write, where: t.where, protected: t.protected });
  }
  return { findings, unreadable };
}
