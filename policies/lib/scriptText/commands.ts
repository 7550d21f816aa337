/**
 * What a command of a script does to the TCP/IP port settings, whichever shell it came from:
 * `reg add`, `Set-ItemProperty` / `New-ItemProperty` (and the alias `sp`), `netsh interface
 * ipv4|ipv6 set dynamicportrange` and `Set-NetTCPSetting` (dynamic and auto-reuse port ranges). Commands that only read (`reg query`,
 * `Get-ItemProperty`, `netsh ... show ...`) or that `-WhatIf` make no write.
 *
 * Sources: Microsoft Learn, "reg add" (`/t` defaults to REG_SZ; `/d` of a REG_DWORD in decimal or
 * 0x hex), "Set-ItemProperty", "New-ItemProperty" (positional Path, Name[, Value]; `-Type` is the
 * alias of `-PropertyType`), "Netsh commands for Interface IP" (`set dynamicportrange
 * protocol= startport= numberofports= store=`; netsh accepts any unambiguous prefix of a context,
 * command or tag), "Set-NetTCPSetting", and KB 929851 (the dynamic port range).
 */

/** A word of a command as written, and its value when the pack can evaluate it. */
export interface Word {
  /** As written (shown in messages; never for a protected text). */
  readonly raw: string;
  /** The argument the program receives, when it is known (no variable, no expression). */
  readonly text?: string;
  /** A PowerShell number literal's value (`30`, `0x1E`, `1kb`). */
  readonly number?: number;
  /** A PowerShell `-Parameter` (name without the dash). */
  readonly parameter?: string;
  /** `-Parameter:value`: the next word is this parameter's value, even for a switch. */
  readonly colonValue?: boolean;
}

/** One command: its name as written (path and `.exe` allowed) and its words. */
export interface ShellCommand {
  readonly name: string;
  readonly words: readonly Word[];
  /** 1-based line of the script or command text. */
  readonly line: number;
  /** cmd only: the raw text after the name, for a nested `cmd /c` or `powershell -Command`. */
  readonly rest?: string;
}

/** A value as the script gives it: evaluated, or the expression the pack cannot evaluate. */
export type ScriptValue = { readonly ok: true; readonly value: number | string } | { readonly ok: false; readonly expression: string };

/** The two Tcpip registry values the project governs. */
export const TCPIP_VALUE_NAMES = ["TcpTimedWaitDelay", "MaxUserPort"] as const;
export type TcpipValueName = (typeof TCPIP_VALUE_NAMES)[number];

/** A write of a value under `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`. */
export interface RegistryWrite {
  readonly kind: "registry";
  readonly setting: TcpipValueName;
  readonly value: ScriptValue;
  /**
   * The registry type written when it is not REG_DWORD (e.g. `REG_SZ`); undefined for REG_DWORD
   * or a type the pack cannot evaluate. TCP/IP reads these values only as REG_DWORD.
   */
  readonly wrongType?: string;
  /** False when the key is a variable or expression: the write may or may not reach Tcpip. */
  readonly keyKnown: boolean;
  /** The command, e.g. `reg add` or `Set-ItemProperty`. */
  readonly via: string;
  readonly line: number;
}

/** A change of the TCP dynamic port range (IPv4, IPv6, or the setting profile of Set-NetTCPSetting). */
export interface RangeWrite {
  readonly kind: "range";
  /** Absent when the command leaves that part unchanged. */
  readonly start?: ScriptValue;
  readonly count?: ScriptValue;
  readonly via: string;
  readonly line: number;
}

/** A change of the auto-reuse port range (`Set-NetTCPSetting -AutoReusePortRange...`). */
export interface AutoReuseWrite {
  readonly kind: "autoReuse";
  /** Absent when the command leaves that part unchanged. */
  readonly start?: ScriptValue;
  readonly count?: ScriptValue;
  readonly via: string;
  readonly line: number;
}

export type ScriptWrite = RegistryWrite | RangeWrite | AutoReuseWrite;

/** Readers of nested command text: `cmd /c ...` and `powershell -Command ...`. */
export interface NestedReaders {
  readCmd(text: string, line: number): ScriptWrite[];
  readPowerShell(text: string, line: number): ScriptWrite[];
}

const lower = (s: string) => s.toLowerCase();

/** `C:\Windows\System32\reg.exe` → `reg`. */
export function programName(name: string): string {
  const base =
    name
      .replace(/^["']|["']$/g, "")
      .split(/[\\/]/)
      .pop() ?? "";
  return lower(base).replace(/\.(exe|com)$/, "");
}

/** The registry key of `Services\Tcpip\Parameters` in any spelling: HKLM:\, HKEY_LOCAL_MACHINE\, Registry::, ControlSet00N. */
const TCPIP_KEY = /^system\\(currentcontrolset|controlset\d{3})\\services\\tcpip\\parameters$/;

/** True when `path` names the Tcpip parameters key, as reg.exe or a PowerShell registry path spells it. */
export function isTcpipParametersKey(path: string): boolean {
  let p = lower(path.trim()).replace(/\//g, "\\").replace(/\\+/g, "\\").replace(/\\$/, "");
  p = p.replace(/^(microsoft\.powershell\.core\\)?registry::/, "");
  const hive = /^(hklm:?|hkey_local_machine)(\\|$)/.exec(p) ?? /^hklm:/.exec(p);
  if (!hive) return false;
  return TCPIP_KEY.test(p.slice(hive[0].length));
}

function tcpipValueName(name: string | undefined): TcpipValueName | undefined {
  return name === undefined ? undefined : TCPIP_VALUE_NAMES.find((n) => lower(n) === lower(name));
}

/** reg.exe's REG_DWORD data: decimal or 0x hex. Anything else is kept as text (the rule reports it). */
function regDwordData(word: Word | undefined): ScriptValue {
  if (word === undefined) return { ok: true, value: 0 }; // reg add /t REG_DWORD without /d writes 0
  if (word.text === undefined) return { ok: false, expression: word.raw };
  const t = word.text.trim();
  if (/^\d+$/.test(t)) return { ok: true, value: Number(t) };
  if (/^0x[0-9a-f]+$/i.test(t)) return { ok: true, value: Number.parseInt(t.slice(2), 16) };
  return { ok: true, value: t };
}

/** `reg add <key> /v <name> [/t <type>] [/d <data>] [/f]`. */
function regAdd(cmd: ShellCommand): ScriptWrite[] {
  const words = cmd.words;
  if (lower(words[0]?.text ?? "") !== "add") return [];
  const key = words[1];
  const option = (flag: string): Word | undefined => {
    const i = words.findIndex((w, j) => j >= 2 && lower(w.text ?? "") === flag);
    return i < 0 ? undefined : words[i + 1];
  };
  const setting = tcpipValueName(option("/v")?.text);
  if (setting === undefined) return [];
  const keyKnown = key?.text !== undefined;
  if (keyKnown && !isTcpipParametersKey(key.text!)) return [];
  const typeWord = option("/t");
  const type = typeWord === undefined ? "REG_SZ" : typeWord.text?.toUpperCase();
  const isDword = type === "REG_DWORD" || type === "REG_DWORD_LITTLE_ENDIAN";
  const value = isDword
    ? regDwordData(option("/d"))
    : (() => {
        const d = option("/d");
        return d === undefined
          ? { ok: true as const, value: "" }
          : d.text === undefined
            ? { ok: false as const, expression: d.raw }
            : { ok: true as const, value: d.text };
      })();
  return [{ kind: "registry", setting, value, wrongType: type === undefined || isDword ? undefined : type, keyKnown, via: "reg add", line: cmd.line }];
}

/** A PowerShell number literal in argument text: decimal or 0x hex, optional type suffix and multiplier. */
export function powerShellNumber(text: string): number | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)(?:u|ul|l|y|uy|s|us|n)?(kb|mb|gb|tb|pb)?$/i.exec(text.trim());
  if (!m) return undefined;
  const base = m[2].toLowerCase().startsWith("0x") ? Number.parseInt(m[2].slice(2), 16) : Number(m[2]);
  const multiplier = m[3] === undefined ? 1 : (2 ** 10) ** (["kb", "mb", "gb", "tb", "pb"].indexOf(m[3].toLowerCase()) + 1);
  return (m[1] === "-" ? -1 : 1) * base * multiplier;
}

/** Parameters of a cmdlet: canonical names with aliases, which are switches, and positions. */
interface CmdletShape {
  readonly parameters: Record<string, readonly string[]>;
  readonly switches: readonly string[];
  readonly positional: readonly string[];
}

/** Common parameters of every cmdlet (about_CommonParameters); the `*Action`/`*Variable` ones take a value. */
const COMMON: Record<string, readonly string[]> = {
  Verbose: ["vb"],
  Debug: ["db"],
  ErrorAction: ["ea"],
  WarningAction: ["wa"],
  InformationAction: ["infa"],
  ProgressAction: ["proga"],
  ErrorVariable: ["ev"],
  WarningVariable: ["wv"],
  InformationVariable: ["iv"],
  OutVariable: ["ov"],
  OutBuffer: ["ob"],
  PipelineVariable: ["pv"],
  WhatIf: ["wi"],
  Confirm: ["cf"],
};
const COMMON_SWITCHES = ["Verbose", "Debug", "WhatIf", "Confirm"];

const ITEM_PROPERTY: CmdletShape = {
  parameters: {
    Path: [],
    LiteralPath: ["PSPath", "LP"],
    Name: ["PSProperty"],
    Value: [],
    Type: [],
    PropertyType: [],
    Force: [],
    PassThru: [],
    Filter: [],
    Include: [],
    Exclude: [],
    Credential: [],
    InputObject: [],
    ...COMMON,
  },
  switches: ["Force", "PassThru", ...COMMON_SWITCHES],
  positional: [],
};
const SET_ITEM_PROPERTY: CmdletShape = {
  ...ITEM_PROPERTY,
  parameters: { ...ITEM_PROPERTY.parameters, PropertyType: undefined as never },
  positional: ["Path", "Name", "Value"],
};
const NEW_ITEM_PROPERTY: CmdletShape = {
  ...ITEM_PROPERTY,
  parameters: { ...ITEM_PROPERTY.parameters, Type: undefined as never, PropertyType: ["Type"] },
  positional: ["Path", "Name"],
};
const SET_NET_TCP_SETTING: CmdletShape = {
  parameters: {
    SettingName: [],
    DynamicPortRangeStartPort: [],
    DynamicPortRangeNumberOfPorts: [],
    AutoReusePortRangeStartPort: [],
    AutoReusePortRangeNumberOfPorts: [],
    MinRtoMs: [],
    InitialCongestionWindowMss: [],
    CongestionProvider: [],
    CwndRestart: [],
    DelayedAckTimeoutMs: [],
    DelayedAckFrequency: [],
    MemoryPressureProtection: [],
    AutoTuningLevelLocal: [],
    EcnCapability: [],
    Timestamps: [],
    InitialRtoMs: [],
    ScalingHeuristics: [],
    NonSackRttResiliency: [],
    ForceWS: [],
    MaxSynRetransmissions: [],
    AutomaticUseCustom: [],
    InputObject: [],
    CimSession: ["Session"],
    ThrottleLimit: [],
    AsJob: [],
    PassThru: [],
    ...COMMON,
  },
  switches: ["AsJob", "PassThru", ...COMMON_SWITCHES],
  positional: ["SettingName"],
};

/** PowerShell binds a parameter by its name, an alias, or any unambiguous prefix of them. */
function resolveParameter(shape: CmdletShape, written: string): string | undefined {
  const w = lower(written);
  const entries = Object.entries(shape.parameters).filter(([, aliases]) => aliases !== undefined);
  for (const [name, aliases] of entries) if (lower(name) === w || aliases.some((a) => lower(a) === w)) return name;
  const matches = entries.filter(([name]) => lower(name).startsWith(w)).map(([name]) => name);
  return matches.length === 1 ? matches[0] : undefined;
}

/** Binds a cmdlet's words to its parameters; undefined when a parameter is unknown or ambiguous (PowerShell would fail). */
function bind(shape: CmdletShape, words: readonly Word[]): Map<string, Word | true> | undefined {
  const bound = new Map<string, Word | true>();
  let position = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.parameter !== undefined) {
      const name = resolveParameter(shape, w.parameter);
      if (name === undefined) return undefined;
      if (shape.switches.includes(name) && !w.colonValue) {
        bound.set(name, true);
        continue;
      }
      const value = words[i + 1];
      if (value === undefined) return undefined;
      bound.set(name, value);
      i++;
    } else {
      const name = shape.positional[position++];
      if (name !== undefined) bound.set(name, w);
    }
  }
  return bound;
}

const asWord = (v: Word | true | undefined): Word | undefined => (v === undefined || v === true ? undefined : v);

/** A `-WhatIf` (not `-WhatIf:$false`) only shows what would happen. */
function whatIf(bound: Map<string, Word | true>): boolean {
  const w = bound.get("WhatIf");
  return w === true || (w !== undefined && lower(w.raw) !== "$false");
}

/** `Set-ItemProperty` / `New-ItemProperty` of a Tcpip value. */
function itemProperty(cmd: ShellCommand, shape: CmdletShape, via: string): ScriptWrite[] {
  const bound = bind(shape, cmd.words);
  if (bound === undefined || whatIf(bound)) return [];
  const setting = tcpipValueName(asWord(bound.get("Name"))?.text);
  if (setting === undefined) return [];
  const path = asWord(bound.get("Path") ?? bound.get("LiteralPath"));
  const keyKnown = path?.text !== undefined;
  if (keyKnown && !isTcpipParametersKey(path!.text!)) return [];
  const typeWord = asWord(bound.get("PropertyType") ?? bound.get("Type"));
  const valueWord = asWord(bound.get("Value"));
  // A number literal is an Int32, which the registry provider writes as REG_DWORD; New-ItemProperty
  // writes a string value as REG_SZ when no type is given.
  let wrongType: string | undefined;
  let typeIsDword = false;
  if (typeWord !== undefined) {
    if (typeWord.text !== undefined) {
      typeIsDword = lower(typeWord.text) === "dword";
      if (!typeIsDword) wrongType = typeWord.text;
    }
  } else if (via === "New-ItemProperty" && valueWord?.number === undefined && valueWord?.text !== undefined) {
    wrongType = "String";
  }
  let value: ScriptValue;
  if (valueWord === undefined) value = { ok: true, value: "" };
  else if (valueWord.number !== undefined) value = { ok: true, value: valueWord.number };
  else if (valueWord.text === undefined) value = { ok: false, expression: valueWord.raw };
  else {
    // A DWord-typed string converts as PowerShell converts it to an integer ("60", "0x3C").
    const n = typeIsDword ? powerShellNumber(valueWord.text) : undefined;
    value = { ok: true, value: n ?? valueWord.text };
  }
  return [{ kind: "registry", setting, value, wrongType, keyKnown, via, line: cmd.line }];
}

function numberValue(word: Word | undefined): ScriptValue | undefined {
  if (word === undefined) return undefined;
  if (word.number !== undefined) return { ok: true, value: word.number };
  if (word.text === undefined) return { ok: false, expression: word.raw };
  const n = powerShellNumber(word.text);
  return { ok: true, value: n ?? word.text };
}

/**
 * `Set-NetTCPSetting -DynamicPortRangeStartPort N -DynamicPortRangeNumberOfPorts M` and
 * `-AutoReusePortRangeStartPort N -AutoReusePortRangeNumberOfPorts M` (any unambiguous prefix).
 */
function setNetTcpSetting(cmd: ShellCommand): ScriptWrite[] {
  const bound = bind(SET_NET_TCP_SETTING, cmd.words);
  if (bound === undefined || whatIf(bound)) return [];
  const out: ScriptWrite[] = [];
  const start = numberValue(asWord(bound.get("DynamicPortRangeStartPort")));
  const count = numberValue(asWord(bound.get("DynamicPortRangeNumberOfPorts")));
  if (start !== undefined || count !== undefined) out.push({ kind: "range", start, count, via: "Set-NetTCPSetting", line: cmd.line });
  const autoStart = numberValue(asWord(bound.get("AutoReusePortRangeStartPort")));
  const autoCount = numberValue(asWord(bound.get("AutoReusePortRangeNumberOfPorts")));
  if (autoStart !== undefined || autoCount !== undefined)
    out.push({ kind: "autoReuse", start: autoStart, count: autoCount, via: "Set-NetTCPSetting", line: cmd.line });
  return out;
}

/** True when `written` is an abbreviation netsh accepts for `word`: a prefix of at least `least` characters. */
const abbreviates = (written: string, word: string, least: number) => written.length >= least && word.startsWith(written);

const NETSH_TAGS = ["protocol", "startport", "numberofports", "store"] as const;

/** `netsh interface ipv4|ipv6 set dynamicportrange [protocol=]tcp [startport=]N [numberofports=]M [store=...]`. */
function netsh(cmd: ShellCommand): ScriptWrite[] {
  const words = cmd.words.map((w) => w.text);
  let i = 0;
  // Global options before the context (`-r <host>`, `-u <user>`, `-p <password>`): skip with their value.
  while (i < words.length && /^-[rup]$/i.test(words[i] ?? "")) i += 2;
  const at = (k: number) => lower(words[i + k] ?? "");
  if (!abbreviates(at(0), "interface", 2)) return [];
  const family = at(1) === "ipv4" || at(1) === "ip" ? "ipv4" : at(1) === "ipv6" ? "ipv6" : undefined;
  if (family === undefined || !abbreviates(at(2), "set", 2) || !abbreviates(at(3), "dynamicportrange", 2)) return [];
  const values: Partial<Record<(typeof NETSH_TAGS)[number], Word>> = {};
  let position = 0;
  for (const word of cmd.words.slice(i + 4)) {
    const eq = (word.text ?? word.raw).indexOf("=");
    if (eq > 0) {
      const tag = lower((word.text ?? word.raw).slice(0, eq));
      const matches = NETSH_TAGS.filter((t) => t.startsWith(tag));
      if (matches.length !== 1) return []; // netsh refuses an unknown or ambiguous tag
      const text = word.text?.slice(eq + 1);
      values[matches[0]] = { raw: word.raw.slice(word.raw.indexOf("=") + 1), text };
    } else {
      const tag = NETSH_TAGS[position++];
      if (tag !== undefined) values[tag] = word;
    }
  }
  if (values.protocol?.text !== undefined && lower(values.protocol.text) !== "tcp") return []; // UDP is not governed here
  const netshNumber = (w: Word | undefined): ScriptValue | undefined =>
    w === undefined ? undefined : w.text === undefined ? { ok: false, expression: w.raw } : { ok: true, value: /^\d+$/.test(w.text) ? Number(w.text) : w.text };
  return [
    {
      kind: "range",
      start: netshNumber(values.startport),
      count: netshNumber(values.numberofports),
      via: `netsh interface ${family} set dynamicportrange`,
      line: cmd.line,
    },
  ];
}

/** PowerShell's command-line options that take a value (powershell.exe and pwsh, any unambiguous prefix). */
const POWERSHELL_VALUE_OPTIONS = [
  "executionpolicy",
  "windowstyle",
  "inputformat",
  "outputformat",
  "version",
  "configurationname",
  "psconsolefile",
  "workingdirectory",
  "settingsfile",
];
/** Their short forms. */
const POWERSHELL_VALUE_SHORT = ["ep", "ex", "w", "v", "o", "if", "of", "wd"];

function takesValue(option: string): boolean {
  return POWERSHELL_VALUE_SHORT.includes(option) || (option.length >= 3 && POWERSHELL_VALUE_OPTIONS.some((o) => o.startsWith(option)));
}

/** `powershell [options] -Command <text>` / `-EncodedCommand <base64>` / `<text>`: the PowerShell text it runs. */
function powerShellCommandText(words: readonly Word[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const option = (w.parameter !== undefined ? w.parameter : /^[-/]/.test(w.text ?? "") ? w.text!.slice(1) : undefined)?.toLowerCase();
    const rest = () =>
      words
        .slice(i + 1)
        .map((x) => x.text ?? x.raw)
        .join(" ");
    if (option === undefined)
      return words
        .slice(i)
        .map((x) => x.text ?? x.raw)
        .join(" ");
    if (option === "") return undefined; // `-`: commands from standard input
    if (option === "c" || abbreviates(option, "command", 1)) return rest();
    if (["e", "ec", "enc"].includes(option) || abbreviates(option, "encodedcommand", 2)) {
      const encoded = words[i + 1]?.text;
      return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf16le");
    }
    if (option === "f" || abbreviates(option, "file", 1)) return undefined; // a file on the host: not readable here
    if (takesValue(option)) i++;
  }
  return undefined;
}

/** Every Tcpip write a command makes, nested command lines included. */
export function writesOf(cmd: ShellCommand, nested: NestedReaders): ScriptWrite[] {
  const name = programName(cmd.name);
  switch (name) {
    case "reg":
      return regAdd(cmd);
    case "netsh":
      return netsh(cmd);
    case "set-itemproperty":
    case "sp":
      return itemProperty(cmd, SET_ITEM_PROPERTY, "Set-ItemProperty");
    case "new-itemproperty":
      return itemProperty(cmd, NEW_ITEM_PROPERTY, "New-ItemProperty");
    case "set-nettcpsetting":
      return setNetTcpSetting(cmd);
    case "powershell":
    case "pwsh": {
      const text = powerShellCommandText(cmd.words);
      return text === undefined ? [] : nested.readPowerShell(text, cmd.line);
    }
    case "cmd": {
      const c = cmd.words.findIndex((w) => /^\/[ck]$/i.test(w.text ?? ""));
      if (c < 0) return [];
      // From cmd, the raw rest keeps its quotes; from PowerShell, the words are the arguments.
      const rest =
        cmd.rest !== undefined
          ? cmd.rest.slice(cmd.rest.toLowerCase().indexOf(lower(cmd.words[c].text!)) + 2)
          : cmd.words
              .slice(c + 1)
              .map((w) => w.text ?? w.raw)
              .join(" ");
      const unquoted = /^\s*"(.*)"\s*$/s.exec(rest)?.[1] ?? rest;
      return nested.readCmd(unquoted, cmd.line);
    }
    default:
      return [];
  }
}
