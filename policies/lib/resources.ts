/**
 * Where tuning values live on Azure resources, for the policies. Our own DSC extension carries
 * them in `settings.configurationArguments`, our run command in `parameters[name=...]`; any other
 * VM extension or run command that carries a value of the same name is checked as well, wherever
 * in its settings it sits.
 */
import { parseConfigurationParameterName } from "../../domain/machineConfiguration";
import { TUNING_PARAMETER_NAMES, type TuningParameterName } from "../../domain/plan";

/** VM (and scale-set) extensions, in any API version of azure-native. */
export const EXTENSION_TYPE = /^azure-native:compute(\/v[0-9a-z]+)?:(VirtualMachineExtension|VirtualMachineScaleSetExtension|VirtualMachineScaleSetVMExtension)$/;
/** Managed run commands, in any API version of azure-native. */
export const RUN_COMMAND_TYPE = /^azure-native:compute(\/v[0-9a-z]+)?:(VirtualMachineRunCommandByVirtualMachine|VirtualMachineScaleSetVMRunCommand)$/;
/**
 * Guest configuration (Machine Configuration) assignments on VMs, scale sets and Arc machines, in
 * any API version: they carry values in `properties.guestConfiguration.configurationParameter`.
 */
export const GUEST_CONFIGURATION_ASSIGNMENT_TYPE = /^azure-native:guestconfiguration(\/v[0-9a-z]+)?:(GuestConfigurationAssignment|GuestConfigurationAssignmentsVMSS|GuestConfigurationHCRPAssignment|GuestConfigurationConnectedVMwarevSphereAssignment)$/;
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
  return EXTENSION_TYPE.test(type) || RUN_COMMAND_TYPE.test(type) || GUEST_CONFIGURATION_ASSIGNMENT_TYPE.test(type);
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
    if (parsed !== undefined && parsed.property.toLowerCase() === name.toLowerCase()) out.push({ value: item.value, where: `${path}[${item.name}]`, protected: isProtected });
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
