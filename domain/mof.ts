/**
 * Writes a compiled DSC configuration document (MOF) as PSDesiredStateConfiguration 2.0.7 does on
 * PowerShell 7, the version Microsoft says to compile Windows Machine Configuration content with.
 *
 * Shape (PowerShell/PSDesiredStateConfiguration v2.0.7, `Write-NodeMOFFile` and `stringify`;
 * compared with compiled MOFs in Azure/GuestConfiguration `tests/assets/TestMofs`):
 *
 * ```
 * instance of <Class> as $<Class><n>ref
 * {
 *     ResourceID = "[<Class>]<Instance>";
 *     SourceInfo = "...";
 *     ModuleName = "<Module>";
 *     ModuleVersion = "<Version>";
 *     <Property> = <value>;
 *     ConfigurationName = "<Configuration>";
 * };
 *
 * instance of OMI_ConfigurationDocument
 * {
 *     Version = "2.0.0";
 *     MinimumCompatibleVersion = "1.0.0";
 *     CompatibleVersionAdditionalProperties = {"Omi_BaseResource:ConfigurationName"};
 *     Name = "<Configuration>";
 * };
 * ```
 *
 * The `/* @TargetNode ... @GenerationDate ... *\/` header and the document's Author,
 * GenerationDate and GenerationHost are left out: they are optional (the GuestConfiguration test
 * MOFs have none) and would make the bytes, and so the package hash, change on every build.
 */
import { MAILHOST_TCP_TUNING, SINGLE_INSTANCE, tunedPropertiesOf, tunedPropertyValues } from "./machineConfiguration";
import { type TuningPlan } from "./plan";

/** A MOF property value: a string, an integer (written bare), a boolean (`True`/`False`) or a string array. */
export type MofValue = string | number | boolean | readonly string[];

/** One resource instance of a configuration. */
export interface MofResourceInstance {
  /** CIM class: for a class-based resource, the PowerShell class name. */
  readonly className: string;
  /** Friendly name in the ResourceID brackets; for a class-based resource, the class name. */
  readonly resourceType: string;
  /** Instance name from the configuration: ResourceID `[<resourceType>]<instanceName>`. */
  readonly instanceName: string;
  readonly moduleName: string;
  readonly moduleVersion: string;
  /** `<script>::<line>::<column>::<keyword>`; informational only. */
  readonly sourceInfo: string;
  /** Resource properties, written in this order after ModuleVersion. */
  readonly properties: readonly (readonly [string, MofValue])[];
}

/** MOF line ending: Windows writes CRLF (MOF treats every line break as whitespace). */
const EOL = "\r\n";
const INDENT = "    ";
/** A MOF property or class name (DSP0004 identifier). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Escapes a string for a MOF string literal, as PSDesiredStateConfiguration 2.0.7 does, in this
 * order: `\` → `\\`, CRLF or LF → `\n`, `"` → `\"`. Tabs, `$`, `'` and non-ASCII characters stay
 * as they are. Throws `RangeError` on a carriage return that is not part of CRLF: 2.0.7 would
 * write it raw, and what the agent's parser makes of it is not documented.
 */
export function escapeMofString(value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/\r?\n/g, "\\n").replace(/"/g, '\\"');
  if (escaped.includes("\r")) throw new RangeError("a MOF string cannot carry a lone carriage return (only CRLF or LF line breaks, which become \\n)");
  return escaped;
}

/** A value as MOF text: `"text"`, `42`, `True`, or `{` + one quoted element per line + `}`. */
export function mofLiteral(value: MofValue): string {
  if (typeof value === "string") return `"${escapeMofString(value)}"`;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not an integer a MOF property can hold`);
    return String(value);
  }
  return `{${EOL}${value.map((v) => `${INDENT}"${escapeMofString(v)}"`).join(`,${EOL}`)}${EOL}}`;
}

function checkIdentifier(what: string, name: string): void {
  if (!IDENTIFIER.test(name))
    throw new RangeError(`${what} ${JSON.stringify(name)} is not a MOF identifier (letters, digits and _, not starting with a digit)`);
}

/** Reserved names the writer sets itself. */
const RESERVED = new Set(["resourceid", "sourceinfo", "modulename", "moduleversion", "configurationname", "dependson"]);

/**
 * The MOF text of a configuration: each instance (alias `$<Class><n>ref`, n counting per class
 * from 1), then the `OMI_ConfigurationDocument`. Deterministic: the same input gives the same
 * text. Throws `RangeError` on a name that is not a MOF identifier, a property set twice or one
 * the writer sets itself, an empty array (2.0.7 omits those; leave it out instead), or a string
 * with a lone carriage return.
 */
export function writeMof(configurationName: string, instances: readonly MofResourceInstance[]): string {
  const counters = new Map<string, number>();
  const blocks = instances.map((instance) => {
    checkIdentifier("class name", instance.className);
    const n = (counters.get(instance.className) ?? 0) + 1;
    counters.set(instance.className, n);
    const seen = new Set<string>();
    const lines: string[] = [
      `ResourceID = ${mofLiteral(`[${instance.resourceType}]${instance.instanceName}`)};`,
      `SourceInfo = ${mofLiteral(instance.sourceInfo)};`,
      `ModuleName = ${mofLiteral(instance.moduleName)};`,
      `ModuleVersion = ${mofLiteral(instance.moduleVersion)};`,
    ];
    for (const [name, value] of instance.properties) {
      checkIdentifier("property name", name);
      if (RESERVED.has(name.toLowerCase()) || seen.has(name.toLowerCase()))
        throw new RangeError(`property ${name} of ${instance.className} is set twice or is set by the writer`);
      if (Array.isArray(value) && value.length === 0) throw new RangeError(`property ${name} of ${instance.className} is an empty array; leave it out`);
      seen.add(name.toLowerCase());
      lines.push(`${name} = ${mofLiteral(value)};`);
    }
    lines.push(`ConfigurationName = ${mofLiteral(configurationName)};`);
    return [`instance of ${instance.className} as $${instance.className}${n}ref`, "{", ...lines.map((l) => INDENT + l), "};"].join(EOL);
  });
  const document = [
    "instance of OMI_ConfigurationDocument",
    "{",
    `${INDENT}Version = "2.0.0";`,
    `${INDENT}MinimumCompatibleVersion = "1.0.0";`,
    `${INDENT}CompatibleVersionAdditionalProperties = {"Omi_BaseResource:ConfigurationName"};`,
    `${INDENT}Name = ${mofLiteral(configurationName)};`,
    "};",
  ].join(EOL);
  return [...blocks, document].join(EOL + EOL) + EOL;
}

/** The one resource instance of the tuning configuration, with the plan's values (all strings). */
export function tuningMofInstance(tuning: TuningPlan): MofResourceInstance {
  const values = tunedPropertyValues(tuning);
  return {
    className: MAILHOST_TCP_TUNING.className,
    resourceType: MAILHOST_TCP_TUNING.className,
    instanceName: MAILHOST_TCP_TUNING.instanceName,
    moduleName: MAILHOST_TCP_TUNING.moduleName,
    moduleVersion: MAILHOST_TCP_TUNING.moduleVersion,
    sourceInfo: `::1::1::${MAILHOST_TCP_TUNING.className}`,
    properties: [
      ["IsSingleInstance", SINGLE_INSTANCE.IsSingleInstance],
      ...tunedPropertiesOf(tuning).map((property) => [property, values[property] ?? ""] as const),
    ],
  };
}

/** The compiled `MailhostTcpTuning` configuration for a plan: `MailhostTcpTuning.mof` of the package. */
export function tuningMof(tuning: TuningPlan): string {
  return writeMof(MAILHOST_TCP_TUNING.configurationName, [tuningMofInstance(tuning)]);
}
