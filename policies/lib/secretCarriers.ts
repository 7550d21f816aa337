/**
 * Every resource type the pack knows that carries values to a machine, and for each the slots it
 * carries them in: which slots Azure protects (encrypted, never returned by a GET) and which it
 * does not. One table, one reader: the secret rule walks every slot of every carrier the same way,
 * through every encoding {@link holdsCredential} sees through.
 *
 * Sources (azure-native type tokens and property names as in @pulumi/azure-native 3.x):
 * - VM and scale-set extensions (`compute:VirtualMachineExtension`, `VirtualMachineScaleSetExtension`,
 *   `VirtualMachineScaleSetVMExtension`, and the extensions inside a scale set's model): `settings`
 *   are plain, `protectedSettings` are encrypted and never returned ("Azure virtual machine
 *   extensions and features", protected settings). The DSC extension's `configurationArguments`
 *   sit in `settings` (plain) or `protectedSettings` (protected) ("Desired State Configuration
 *   extension with Azure Resource Manager templates").
 * - Managed run commands (`compute:VirtualMachineRunCommandByVirtualMachine`,
 *   `VirtualMachineScaleSetVMRunCommand`) and Arc run commands (`hybridcompute:MachineRunCommand`):
 *   `parameters` are plain, `protectedParameters` are not returned ("Run scripts in your Windows VM
 *   by using managed Run Commands"); script and blob URLs are read with a managed identity
 *   (`...ManagedIdentity`) rather than a SAS.
 * - Arc extensions (`hybridcompute:MachineExtension`): `properties.settings` plain,
 *   `properties.protectedSettings` protected.
 * - Guest configuration (Machine Configuration) assignments for VMs, scale sets, Arc machines and
 *   vSphere machines (`guestconfiguration:GuestConfigurationAssignment`,
 *   `GuestConfigurationAssignmentsVMSS`, `GuestConfigurationHCRPAssignment`,
 *   `GuestConfigurationConnectedVMwarevSphereAssignment`): Machine Configuration has no secret
 *   management ("Migrating from the DSC extension / Azure Automation State Configuration to machine
 *   configuration": "secrets management has not been implemented"), so neither
 *   `configurationParameter` nor `configurationProtectedParameter` may carry a secret.
 * - Azure Policy definitions and assignments (`authorization:PolicyDefinition`,
 *   `PolicyDefinitionAtManagementGroup`, their versions, `PolicyAssignment`): Azure Policy has no
 *   secret parameter type; `parameters`, `metadata` and `policyRule` are returned to every reader
 *   at the scope. One stated exception ({@link PACKAGE_SAS_EXCEPTION}): the read-only SAS of one
 *   Machine Configuration package in a definition's guest configuration `contentUri`.
 */
import { PACKAGE_SAS_LIFETIME_DAYS } from "../../domain/limits";
import { packageSasProblem } from "../../domain/secrets";
import { GUEST_CONFIGURATION_ASSIGNMENT_TYPE, POLICY_ASSIGNMENT_TYPE, POLICY_DEFINITION_TYPE } from "./resources";

/**
 * - `plain`: Azure stores and returns the value as it is; no credential belongs there.
 * - `protected`: Azure encrypts it and never returns it; credentials belong there.
 * - `never`: no credential at all, protected or not (guest configuration parameters).
 */
export type SlotProtection = "plain" | "protected" | "never";

/**
 * How a slot holds values:
 * - `settings`: a JSON object (keys at any depth are names, strings are values);
 * - `parameters`: `[{ name, value }]` (run commands);
 * - `configurationParameters`: `[{ name: "[Type]Instance;Property", value }]` (guest configuration);
 * - `uri`: one URL string (a SAS in it is a credential);
 * - `text`: one text (script source).
 */
export type SlotShape = "settings" | "parameters" | "configurationParameters" | "uri" | "text";

/**
 * A credential a settings-shaped slot accepts under one key, when `problem` finds nothing wrong
 * with it; otherwise the violation says why it was refused.
 */
export interface SlotException {
  readonly key: string;
  /** Undefined when the value is acceptable, else why not (never the value). */
  readonly problem: (value: string) => string | undefined;
  /** What is accepted, in words, for the message. */
  readonly accepted: string;
}

export interface CarrierSlot {
  /** Property path as messages show it: `settings`, `properties.protectedSettings`. */
  readonly path: string;
  readonly shape: SlotShape;
  readonly protection: SlotProtection;
  /** Reads the slot from a resource's properties. */
  readonly read: (props: Record<string, unknown>) => unknown;
  /** A credential this slot accepts under one key (settings shape only). */
  readonly exception?: SlotException;
}

export interface Carrier {
  /** Short id used by tests: `vmExtension`, `arcRunCommand`, ... */
  readonly id: string;
  readonly type: RegExp;
  /** The slots, plain and protected. */
  readonly slots: readonly CarrierSlot[];
  /**
   * For a carrier whose value slots are listed per element (a scale set's model lists its
   * extensions), the elements; each is read with `slots`. Undefined: the props themselves.
   */
  readonly elements?: (props: Record<string, unknown>) => Array<{ prefix: string; props: Record<string, unknown> }>;
  /** Where a credential found in a plain slot belongs. */
  readonly remedy: (slot: CarrierSlot) => string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const at =
  (...path: string[]) =>
  (props: Record<string, unknown>): unknown => {
    let node: unknown = props;
    for (const key of path) node = isRecord(node) ? node[key] : undefined;
    return node;
  };

const API = "(\\/v[0-9a-z]+)?";
const MANAGED_IDENTITY_REMEDY = "a managed identity instead of a SAS URL";

/** Extension slots as a VM extension (and an extension inside a scale-set model) names them. */
const extensionSlots = (prefix: string[]): CarrierSlot[] => [
  { path: [...prefix, "settings"].join("."), shape: "settings", protection: "plain", read: at(...prefix, "settings") },
  { path: [...prefix, "protectedSettings"].join("."), shape: "settings", protection: "protected", read: at(...prefix, "protectedSettings") },
];

const runCommandSlots: CarrierSlot[] = [
  { path: "parameters", shape: "parameters", protection: "plain", read: at("parameters") },
  { path: "protectedParameters", shape: "parameters", protection: "protected", read: at("protectedParameters") },
  { path: "source.script", shape: "text", protection: "plain", read: at("source", "script") },
  { path: "source.scriptUri", shape: "uri", protection: "plain", read: at("source", "scriptUri") },
  { path: "outputBlobUri", shape: "uri", protection: "plain", read: at("outputBlobUri") },
  { path: "errorBlobUri", shape: "uri", protection: "plain", read: at("errorBlobUri") },
];

const GC = "properties.guestConfiguration";
const guestConfigurationSlots: CarrierSlot[] = [
  {
    path: `${GC}.configurationParameter`,
    shape: "configurationParameters",
    protection: "never",
    read: at("properties", "guestConfiguration", "configurationParameter"),
  },
  {
    path: `${GC}.configurationProtectedParameter`,
    shape: "configurationParameters",
    protection: "never",
    read: at("properties", "guestConfiguration", "configurationProtectedParameter"),
  },
  { path: `${GC}.contentUri`, shape: "uri", protection: "plain", read: at("properties", "guestConfiguration", "contentUri") },
];

/**
 * Why no guest configuration parameter may hold a secret, and where secrets go instead. Never
 * carries the value.
 */
export const GUEST_CONFIGURATION_SECRET_REMEDY =
  'Machine Configuration has no secret management (Microsoft Learn, "Migrating from the DSC extension to machine configuration": ' +
  "secrets management has not been implemented), so no assignment parameter, configurationProtectedParameter included, may carry a secret; " +
  "keep it in Key Vault and let the machine fetch it at run time (the Key Vault VM extension, or the configuration reading Key Vault with the machine's managed identity)";

/**
 * The secret rule's one stated exception. Machines outside any stack (Arc-enabled servers cannot
 * have a user-assigned identity) read the estate policy's package through a SAS URL in the
 * definition's `contentUri`: Azure Policy has no secret parameter, a DeployIfNotExists can only hand
 * a machine a URL, and New-GuestConfigurationPolicy documents exactly this way (a blob SAS with read
 * access). Accepted only as a read-only, https-only service SAS on one content-addressed package
 * blob that expires within PACKAGE_SAS_LIFETIME_DAYS.max days; the package holds no credential.
 */
export const PACKAGE_SAS_EXCEPTION: SlotException = {
  key: "contentUri",
  problem: (value) => packageSasProblem(value, PACKAGE_SAS_LIFETIME_DAYS.max),
  accepted: `the read-only SAS of the package blob alone (sr=b, sp=r, spr=https, expiring within ${PACKAGE_SAS_LIFETIME_DAYS.max} days)`,
};

const POLICY_REMEDY = "a Key Vault reference or a managed identity; Azure Policy parameters are never secret";

/** Every carrier the pack knows. */
export const CARRIERS: readonly Carrier[] = [
  {
    id: "vmExtension",
    type: new RegExp(`^azure-native:compute${API}:(VirtualMachineExtension|VirtualMachineScaleSetExtension|VirtualMachineScaleSetVMExtension)$`),
    slots: extensionSlots([]),
    remedy: () => "protectedSettings",
  },
  {
    id: "scaleSetModelExtension",
    type: new RegExp(`^azure-native:compute${API}:VirtualMachineScaleSet$`),
    slots: extensionSlots([]),
    elements: (props) => {
      const list = at("virtualMachineProfile", "extensionProfile", "extensions")(props);
      return Array.isArray(list)
        ? list.flatMap((e, i) =>
            isRecord(e) ? [{ prefix: `virtualMachineProfile.extensionProfile.extensions[${typeof e.name === "string" ? e.name : i}].`, props: e }] : [],
          )
        : [];
    },
    remedy: () => "the extension's protectedSettings",
  },
  {
    id: "arcExtension",
    type: new RegExp(`^azure-native:hybridcompute${API}:MachineExtension$`),
    slots: extensionSlots(["properties"]),
    remedy: () => "properties.protectedSettings",
  },
  {
    id: "runCommand",
    type: new RegExp(`^azure-native:compute${API}:(VirtualMachineRunCommandByVirtualMachine|VirtualMachineScaleSetVMRunCommand)$`),
    slots: runCommandSlots,
    remedy: (slot) => (slot.shape === "uri" ? MANAGED_IDENTITY_REMEDY : "protectedParameters"),
  },
  {
    id: "arcRunCommand",
    type: new RegExp(`^azure-native:hybridcompute${API}:MachineRunCommand$`),
    slots: runCommandSlots,
    remedy: (slot) => (slot.shape === "uri" ? MANAGED_IDENTITY_REMEDY : "protectedParameters"),
  },
  {
    id: "guestConfigurationAssignment",
    type: GUEST_CONFIGURATION_ASSIGNMENT_TYPE,
    slots: guestConfigurationSlots,
    remedy: (slot) => (slot.shape === "uri" ? MANAGED_IDENTITY_REMEDY : GUEST_CONFIGURATION_SECRET_REMEDY),
  },
  {
    id: "policyDefinition",
    type: POLICY_DEFINITION_TYPE,
    slots: [
      { path: "parameters", shape: "settings", protection: "plain", read: at("parameters") },
      { path: "metadata", shape: "settings", protection: "plain", read: at("metadata"), exception: PACKAGE_SAS_EXCEPTION },
      { path: "policyRule", shape: "settings", protection: "plain", read: at("policyRule"), exception: PACKAGE_SAS_EXCEPTION },
    ],
    remedy: () => POLICY_REMEDY,
  },
  {
    id: "policyAssignment",
    type: POLICY_ASSIGNMENT_TYPE,
    slots: [{ path: "parameters", shape: "settings", protection: "plain", read: at("parameters") }],
    remedy: () => POLICY_REMEDY,
  },
];

/** The carrier of a resource type, or undefined when the type carries nothing to a machine. */
export function carrierOf(type: string): Carrier | undefined {
  return CARRIERS.find((c) => c.type.test(type));
}
