/**
 * Where tuning values live on Azure resources, for the policies. Our own DSC extension carries
 * them in `settings.configurationArguments`, our run command in `parameters[name=...]`; any other
 * VM extension or run command that carries a value of the same name is checked as well, wherever
 * in its settings it sits.
 */
import { parseConfigurationParameterName } from "../../domain/machineConfiguration";
import { TUNING_PARAMETER_NAMES, type TuningParameterName } from "../../domain/plan";

/** VM (and scale-set) extensions, in any API version of azure-native. */
export const EXTENSION_TYPE =
  /^azure-native:compute(\/v[0-9a-z]+)?:(VirtualMachineExtension|VirtualMachineScaleSetExtension|VirtualMachineScaleSetVMExtension)$/;
/** Managed run commands, in any API version of azure-native. */
export const RUN_COMMAND_TYPE = /^azure-native:compute(\/v[0-9a-z]+)?:(VirtualMachineRunCommandByVirtualMachine|VirtualMachineScaleSetVMRunCommand)$/;
/**
 * Guest configuration (Machine Configuration) assignments on VMs, scale sets and Arc machines, in
 * any API version: they carry values in `properties.guestConfiguration.configurationParameter`.
 */
export const GUEST_CONFIGURATION_ASSIGNMENT_TYPE =
  /^azure-native:guestconfiguration(\/v[0-9a-z]+)?:(GuestConfigurationAssignment|GuestConfigurationAssignmentsVMSS|GuestConfigurationHCRPAssignment|GuestConfigurationConnectedVMwarevSphereAssignment)$/;
/**
 * Azure Policy definitions (subscription or management group, and their versions): a
 * DeployIfNotExists of the tuning package carries the values as parameter defaults
 * (`parameters.<name>.defaultValue`, `allowedValues`) or as literal `configurationParameter`
 * values in its deployment template (components/EstateTuningPolicy.ts).
 */
export const POLICY_DEFINITION_TYPE =
  /^azure-native:authorization(\/v[0-9a-z]+)?:(PolicyDefinition|PolicyDefinitionAtManagementGroup|PolicyDefinitionVersion|PolicyDefinitionVersionAtManagementGroup)$/;
/** Azure Policy assignments: they carry the values as `parameters.<name>.value`. */
export const POLICY_ASSIGNMENT_TYPE = /^azure-native:authorization(\/v[0-9a-z]+)?:PolicyAssignment$/;
export const VIRTUAL_MACHINE_TYPE = /^azure-native:compute(\/v[0-9a-z]+)?:VirtualMachine$/;
export const NETWORK_INTERFACE_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:NetworkInterface$/;
export const NETWORK_SECURITY_GROUP_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:NetworkSecurityGroup$/;
export const SECURITY_RULE_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:SecurityRule$/;

/** A value found on a resource, with where it was found (for messages). */
export interface FoundValue {
  readonly value: unknown;
  /** Property path, e.g. `settings.configurationArguments.TcpTimedWaitDelay` or `parameters[TcpTimedWaitDelay]`. */
  readonly where: string;
  /** Found in protectedSettings / protectedParameters (always secret in Azure): never echo it. */
  readonly protected: boolean;
}

export function isTuningCarrierType(type: string): boolean {
  return EXTENSION_TYPE.test(type) || RUN_COMMAND_TYPE.test(type) || GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(type) || isPolicyCarrierType(type);
}

/** Policy definitions and assignments. */
export function isPolicyCarrierType(type: string): boolean {
  return POLICY_DEFINITION_TYPE.test(type) || POLICY_ASSIGNMENT_TYPE.test(type);
}

/** Short label of a resource for messages: `VirtualMachineExtension "vm-mail-prod-001-tuning-dsc"`. */
export function label(type: string, name: string): string {
  return `${type.split(":").pop()} "${name}"`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Every value under `root` whose key is `name` (case-insensitive), at any depth. */
function findInSettings(root: unknown, name: string, path: string, isProtected: boolean, out: FoundValue[]): void {
  if (Array.isArray(root)) {
    root.forEach((item, i) => findInSettings(item, name, `${path}[${i}]`, isProtected, out));
    return;
  }
  if (!isRecord(root)) return;
  for (const key of Object.keys(root)) {
    const value = root[key];
    const here = `${path}.${key}`;
    if (key.toLowerCase() === name.toLowerCase() && !isRecord(value) && !Array.isArray(value)) out.push({ value, where: here, protected: isProtected });
    else findInSettings(value, name, here, isProtected, out);
  }
}

function findInParameters(list: unknown, name: string, path: string, isProtected: boolean, out: FoundValue[]): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (isRecord(item) && typeof item.name === "string" && item.name.toLowerCase() === name.toLowerCase()) {
      out.push({ value: item.value, where: `${path}[${item.name}]`, protected: isProtected });
    }
  }
}

/**
 * Assignment parameters `[<ResourceType>]<Instance>;<Property>` whose property is `name`
 * (case-insensitive), whichever resource of the package they override.
 */
function findInConfigurationParameters(list: unknown, name: string, path: string, isProtected: boolean, out: FoundValue[]): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!isRecord(item) || typeof item.name !== "string") continue;
    const parsed = parseConfigurationParameterName(item.name);
    if (parsed !== undefined && parsed.property.toLowerCase() === name.toLowerCase())
      out.push({ value: item.value, where: `${path}[${item.name}]`, protected: isProtected });
  }
}

/** An ARM template expression (`[...]`, not the `[[` escape): a value computed at deployment, not a literal. */
export function isArmExpression(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("[") && !value.startsWith("[[") && value.endsWith("]");
}

/**
 * Values of a policy parameter map: a parameter named `name` whose value is a scalar, or any key
 * `name` inside an object value (`parameters.tuning.defaultValue.MaxUserPort`). `slots` are the
 * properties holding values: `defaultValue` and `allowedValues` of a definition, `value` of an
 * assignment. ARM expressions are not values.
 */
function findInPolicyParameters(parameters: unknown, name: string, slots: readonly string[], out: FoundValue[]): void {
  if (!isRecord(parameters)) return;
  for (const [key, parameter] of Object.entries(parameters)) {
    if (!isRecord(parameter)) continue;
    for (const slot of slots) {
      const value = parameter[slot];
      const here = `parameters.${key}.${slot}`;
      const candidates: Array<[unknown, string]> =
        slot === "allowedValues" && Array.isArray(value) ? value.map((v, i) => [v, `${here}[${i}]`]) : [[value, here]];
      for (const [candidate, where] of candidates) {
        if (candidate === undefined || isArmExpression(candidate)) continue;
        if (!isRecord(candidate) && !Array.isArray(candidate)) {
          if (key.toLowerCase() === name.toLowerCase()) out.push({ value: candidate, where, protected: false });
        } else {
          const found: FoundValue[] = [];
          findInSettings(candidate, name, where, false, found);
          out.push(...found.filter((f) => !isArmExpression(f.value)));
        }
      }
    }
  }
}

/** Every `configurationParameter` list anywhere under `node` (a definition's deployment template), with its path. */
function configurationParameterLists(node: unknown, path: string, out: Array<{ list: unknown[]; path: string }>): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => configurationParameterLists(item, `${path}[${i}]`, out));
  } else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      const here = path === "" ? key : `${path}.${key}`;
      if ((key === "configurationParameter" || key === "configurationProtectedParameter") && Array.isArray(value)) out.push({ list: value, path: here });
      else configurationParameterLists(value, here, out);
    }
  }
}

/** `properties.guestConfiguration` of a guest configuration assignment, when it is a map. */
export function guestConfigurationOf(props: Record<string, unknown>): Record<string, unknown> | undefined {
  const properties = props.properties;
  if (!isRecord(properties)) return undefined;
  return isRecord(properties.guestConfiguration) ? properties.guestConfiguration : undefined;
}

/** Every value named `name` that an extension, run command or guest configuration assignment carries. */
export function findValues(type: string, props: Record<string, unknown>, name: string): FoundValue[] {
  const out: FoundValue[] = [];
  if (EXTENSION_TYPE.test(type)) {
    findInSettings(props.settings, name, "settings", false, out);
    findInSettings(props.protectedSettings, name, "protectedSettings", true, out);
  } else if (RUN_COMMAND_TYPE.test(type)) {
    findInParameters(props.parameters, name, "parameters", false, out);
    findInParameters(props.protectedParameters, name, "protectedParameters", true, out);
  } else if (GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(type)) {
    const gc = guestConfigurationOf(props);
    const base = "properties.guestConfiguration";
    findInConfigurationParameters(gc?.configurationParameter, name, `${base}.configurationParameter`, false, out);
    findInConfigurationParameters(gc?.configurationProtectedParameter, name, `${base}.configurationProtectedParameter`, true, out);
  } else if (POLICY_DEFINITION_TYPE.test(type)) {
    findInPolicyParameters(props.parameters, name, ["defaultValue", "allowedValues"], out);
    const lists: Array<{ list: unknown[]; path: string }> = [];
    configurationParameterLists(props.policyRule, "policyRule", lists);
    for (const { list, path } of lists) {
      const found: FoundValue[] = [];
      findInConfigurationParameters(list, name, path, false, found);
      out.push(...found.filter((f) => !isArmExpression(f.value)));
    }
  } else if (POLICY_ASSIGNMENT_TYPE.test(type)) {
    findInPolicyParameters(props.parameters, name, ["value"], out);
  }
  return out;
}

/** The first value of a name, or undefined. */
export function firstValue(type: string, props: Record<string, unknown>, name: TuningParameterName): FoundValue | undefined {
  return findValues(type, props, name)[0];
}

/** True when the resource carries any of the tuning values. */
export function carriesTuning(type: string, props: Record<string, unknown>): boolean {
  return isTuningCarrierType(type) && TUNING_PARAMETER_NAMES.some((name) => findValues(type, props, name).length > 0);
}

/**
 * Reads a tuning number: numbers as they are, run-command strings ("301") as integers.
 * Anything else is returned unchanged so that the rule reports it as not an integer.
 */
export function asNumber(value: unknown): unknown {
  if (typeof value === "string" && /^\s*-?\d{1,12}\s*$/.test(value)) return Number(value.trim());
  return value;
}
