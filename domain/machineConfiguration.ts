/**
 * The Azure Machine Configuration side of the tuning: the one DSC resource every mechanism shares
 * (`MailhostTcpTuning` in the module of the same name under `guest/modules/`), the values its
 * properties get from a plan, and the names under which a guest configuration assignment
 * overrides them.
 *
 * Sources: Azure Machine Configuration docs, "How to create custom machine configuration package
 * artifacts" and "Using PowerShell DSC in machine configuration" (configuration parameters are
 * named `[<ResourceType>]<InstanceName>;<PropertyName>` and carry strings only); the REST spec
 * `Microsoft.GuestConfiguration` 2024-04-05 (`configurationParameter` is an array of
 * `{name, value}` strings).
 */
import { toBase64Url } from "./guestEncoding";
import { AUTO_REUSE_PARAMETER_NAMES, type TuningArguments, type TuningPlan } from "./plan";

/** The resource, its module and the configuration built from it. All four names are the same. */
export const MAILHOST_TCP_TUNING = {
  /** PowerShell module (folder `guest/modules/MailhostTcpTuning/`, manifest `MailhostTcpTuning.psd1`). */
  moduleName: "MailhostTcpTuning",
  /** `ModuleVersion` of the module manifest; the MOF names it, and it must match the manifest. */
  moduleVersion: "1.0.0",
  /** The class-based DSC resource (`[DscResource()] class MailhostTcpTuning`). */
  className: "MailhostTcpTuning",
  /** Instance name in the MOF: ResourceID `[MailhostTcpTuning]MailhostTcpTuning`. */
  instanceName: "MailhostTcpTuning",
  /** Configuration, package (`MailhostTcpTuning.zip`, `.mof`, `.metaconfig.json`) and assignment name. */
  configurationName: "MailhostTcpTuning",
  /** Package version written to the metaconfig and sent as the assignment's `version`. */
  packageVersion: "1.0.0",
} as const;

/**
 * Properties of the resource that the plan sets, in MOF order. All are `[string]` in the class:
 * an assignment overrides them with strings, and the resource converts and validates them. They
 * are the tuning's arguments (`TuningArguments`), by the same names: the compiler checks that
 * none is missing or misspelt.
 */
export const TUNED_PROPERTIES = [
  "MaxUserPort",
  "TcpTimedWaitDelay",
  "DynamicPortRangeStartPort",
  "DynamicPortRangeNumberOfPorts",
  "SiteConfigPathBase64Url",
  "SiteConfigContentBase64Url",
  "SiteConfigSha256",
] as const satisfies readonly (keyof TuningArguments)[];
/**
 * Properties of the auto-reuse port range, the parameters of the same names: set (in the MOF and
 * the assignment) only when the stack sets `tcp.autoReusePortRange`. Left empty, the resource
 * leaves the host's range alone.
 */
export const AUTO_REUSE_PROPERTIES = AUTO_REUSE_PARAMETER_NAMES;
const everyArgumentIsAProperty: [Exclude<keyof TuningArguments, (typeof TUNED_PROPERTIES)[number] | (typeof AUTO_REUSE_PROPERTIES)[number]>] extends [never]
  ? true
  : false = true;
void everyArgumentIsAProperty;
export type TunedProperty = (typeof TUNED_PROPERTIES)[number] | (typeof AUTO_REUSE_PROPERTIES)[number];

/** The properties a plan sets, in MOF order: {@link TUNED_PROPERTIES}, then the auto-reuse range's when it is set. */
export function tunedPropertiesOf(tuning: TuningPlan): readonly TunedProperty[] {
  return tuning.autoReusePortRange === undefined ? TUNED_PROPERTIES : [...TUNED_PROPERTIES, ...AUTO_REUSE_PROPERTIES];
}

/** The resource's key: a machine-wide setting is a single instance (`[ValidateSet('Yes')]`). */
export const SINGLE_INSTANCE = { IsSingleInstance: "Yes" } as const;

/**
 * The values the plan gives the resource, as the strings the MOF and the assignment carry:
 * numbers as plain decimal digits, the SiteConfig.cfg path and text as base64url (RFC 4648
 * section 5, no padding) of their UTF-8 bytes, the text's SHA-256 as lower-case hex.
 */
export function tunedPropertyValues(tuning: TuningPlan): Partial<Record<TunedProperty, string>> & Record<(typeof TUNED_PROPERTIES)[number], string> {
  return {
    ...(tuning.autoReusePortRange === undefined
      ? {}
      : {
          AutoReusePortRangeStartPort: String(tuning.autoReusePortRange.start),
          AutoReusePortRangeNumberOfPorts: String(tuning.autoReusePortRange.count),
        }),
    MaxUserPort: String(tuning.maxUserPort),
    TcpTimedWaitDelay: String(tuning.tcpTimedWaitDelay),
    DynamicPortRangeStartPort: String(tuning.dynamicPortRangeStart),
    DynamicPortRangeNumberOfPorts: String(tuning.dynamicPortRangeCount),
    SiteConfigPathBase64Url: toBase64Url(tuning.siteConfigPath),
    SiteConfigContentBase64Url: toBase64Url(tuning.siteConfigContent),
    SiteConfigSha256: tuning.siteConfigSha256,
  };
}

/** `[MailhostTcpTuning]MailhostTcpTuning;MaxUserPort`: the assignment parameter that overrides a property. */
export function configurationParameterName(property: string): string {
  return `[${MAILHOST_TCP_TUNING.className}]${MAILHOST_TCP_TUNING.instanceName};${property}`;
}

/**
 * Splits an assignment parameter name `[<ResourceType>]<InstanceName>;<PropertyName>` into its
 * parts; undefined when the name does not have that shape.
 */
export function parseConfigurationParameterName(name: string): { resourceType: string; instanceName: string; property: string } | undefined {
  const match = /^\[([^\]]+)\]([^;]*);(.+)$/.exec(name);
  return match === null ? undefined : { resourceType: match[1], instanceName: match[2], property: match[3] };
}

/** One `configurationParameter` entry per tuned property, in {@link tunedPropertiesOf} order, string values. */
export function assignmentParameters(tuning: TuningPlan): { name: string; value: string }[] {
  const values = tunedPropertyValues(tuning);
  return tunedPropertiesOf(tuning).map((property) => ({ name: configurationParameterName(property), value: values[property] ?? "" }));
}

/** Assignment types that apply the configuration (REST spec enum; the value is case-sensitive). */
export const APPLYING_ASSIGNMENT_TYPES = ["ApplyAndAutoCorrect", "ApplyAndMonitor", "DeployAndAutoCorrect"] as const;
