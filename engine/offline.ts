/**
 * Runs the mailhost program in-process under Pulumi's mock runtime (no CLI, no cloud) and records
 * every resource it registers. Used by the tests and by the offline policy check.
 *
 * The mocks return realistic state (ARM ids, names, private IPs, blob endpoints, a SAS token) so
 * that everything the program derives from outputs resolves as it would in Azure.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The Pulumi SDK a run uses: this package's by default, a project's own copy when given. */
export type PulumiSdk = typeof pulumi;

/** This package's own copy of the SDK, loaded on first use (a project's program may bring its own). */
const ownSdk = (): PulumiSdk => require("@pulumi/pulumi") as PulumiSdk;

/** The project name the mock runtime uses when none is given: this module's. */
export const DEFAULT_PROJECT = "mailhost";

/** A resource the program registered. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /**
   * The inputs as protobuf Struct bytes (engine/wire.ts) when the program ran on a worker thread
   * (engine/offlineThread.ts): only these cross over, and `inputs` is then empty.
   */
  readonly encodedInputs?: Uint8Array;
  /** True for custom (cloud) resources, false for components. */
  readonly custom: boolean;
  /** URN, as the mock runtime forms it. */
  urn: string;
  /** URN of the parent resource (the stack for top-level resources). */
  parent?: string;
  /** URNs of explicit dependencies (`dependsOn`). */
  dependencies: string[];
  /**
   * The resource's `ignoreChanges` option (property paths a diff skips), when it has one. Filled in
   * by {@link runOffline} when the run ends; not carried over from the worker thread.
   */
  ignoreChanges?: string[];
  /** The URNs the resource's own `aliases` option names (aliases given as URN strings), when any. */
  aliasUrns?: string[];
  /** The resource's `retainOnDelete` option, when set. Filled in like {@link ignoreChanges}. */
  retainOnDelete?: boolean;
  /** The resource's `deleteBeforeReplace` option, when set (false overrides the provider's request). Filled in like {@link ignoreChanges}. */
  deleteBeforeReplace?: boolean;
  /** The resource's `protect` option, when set. Filled in like {@link ignoreChanges}. */
  protect?: boolean;
  /** The resource's `replaceOnChanges` option, when it has one. Filled in like {@link ignoreChanges}. */
  replaceOnChanges?: string[];
  /** The resource's `additionalSecretOutputs` option, when it has one. Filled in like {@link ignoreChanges}. */
  additionalSecretOutputs?: string[];
  /** The resource's `customTimeouts` option, when set. Filled in like {@link ignoreChanges}. */
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** URN of the resource named by the `deletedWith` option, when set. Filled in like {@link ignoreChanges}. */
  deletedWith?: string;
  /** URN of the explicit provider resource (`provider` option), when one is given. Filled in like {@link ignoreChanges}. */
  providerUrn?: string;
  /** What the registration told the engine besides inputs, when the run captured it ({@link OfflineOptions.captureRegistrations}). */
  registration?: RegistrationDetails;
}

/** Parts of a RegisterResource request that only the engine sees (the mocks get the inputs only). */
export interface RegistrationDetails {
  /** Every resource the registration depends on: `dependsOn` and the resources whose outputs its inputs take. */
  readonly dependencies: string[];
  /** Per input property, the resources its value depends on. */
  readonly propertyDependencies: Record<string, string[]>;
  /** Version of the resource's package, which names its default provider. */
  readonly version?: string;
  /** Explicit provider reference (`urn::id`), when the program passed one. */
  readonly provider?: string;
}

/** The RegisterResource request's getters that {@link RegistrationDetails} reads (older SDKs may lack some). */
interface RegisterRequestLike {
  getType(): string;
  getName(): string;
  getDependenciesList?(): string[];
  getPropertydependenciesMap?(): { forEach(f: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getVersion?(): string;
  getProvider?(): string;
}

function registrationDetails(req: RegisterRequestLike): RegistrationDetails {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap?.().forEach((value, key) => {
    propertyDependencies[key] = [...value.getUrnsList()];
  });
  const version = req.getVersion?.();
  const provider = req.getProvider?.();
  return { dependencies: [...(req.getDependenciesList?.() ?? [])], propertyDependencies, ...(version ? { version } : {}), ...(provider ? { provider } : {}) };
}

/** Result of {@link runOffline}. */
export interface OfflineRun {
  readonly resources: RecordedResource[];
  /** Stack outputs as the program returned them, resolved. */
  readonly outputs: Record<string, unknown> | undefined;
}

export const MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/**
 * The service SAS Azure would return for a `listStorageAccountServiceSAS` request: signed for the
 * resource, permissions, protocols and expiry asked for (the signature is a fixed stand-in).
 */
export function mockSasToken(inputs: Record<string, unknown>): string {
  const field = (key: string, fallback: string) => encodeURIComponent(typeof inputs[key] === "string" ? inputs[key] : fallback);
  return `sv=2024-11-04&sr=${field("resource", "b")}&sp=${field("permissions", "r")}&spr=${field("protocols", "https")}&se=${field("sharedAccessExpiryTime", "2099-12-31T23:59:59Z")}&sig=bW9jay1zaWduYXR1cmU%3D`;
}

/** Explicit Azure name of a resource, from whichever `*Name` input its type uses. */
function azureName(type: string, name: string, inputs: Record<string, unknown>): string {
  const candidates = [
    "vmName",
    "networkInterfaceName",
    "networkSecurityGroupName",
    "natGatewayName",
    "publicIpAddressName",
    "virtualNetworkName",
    "subnetName",
    "accountName",
    "containerName",
    "blobName",
    "vmExtensionName",
    "runCommandName",
    "resourceName",
    "guestConfigurationAssignmentName",
    "roleAssignmentName",
    "workspaceName",
    "dataCollectionRuleName",
    "associationName",
    "actionGroupName",
    "ruleName",
    "resourceGroupName",
  ];
  // Children name their parent in the same kind of input (a subnet's virtualNetworkName): prefer the resource's own.
  const own: Record<string, string> = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:network:Subnet": "subnetName",
    "azure-native:storage:BlobContainer": "containerName",
    "azure-native:storage:Blob": "blobName",
    "azure-native:compute:VirtualMachineExtension": "vmExtensionName",
    "azure-native:compute:VirtualMachineRunCommandByVirtualMachine": "runCommandName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:guestconfiguration:GuestConfigurationAssignment": "guestConfigurationAssignmentName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:authorization:PolicyDefinition": "policyDefinitionName",
    "azure-native:authorization:PolicyDefinitionAtManagementGroup": "policyDefinitionName",
    "azure-native:authorization:PolicyAssignment": "policyAssignmentName",
    "azure-native:policyinsights:RemediationAtSubscription": "remediationName",
    "azure-native:policyinsights:RemediationAtManagementGroup": "remediationName",
  };
  const key = own[type] ?? candidates.find((c) => typeof inputs[c] === "string" && c !== "resourceGroupName");
  const value = key === undefined ? undefined : inputs[key];
  return typeof value === "string" ? value : name;
}

function armId(type: string, azure: string, inputs: Record<string, unknown>): string {
  const rg = typeof inputs.resourceGroupName === "string" ? inputs.resourceGroupName : "rg-mock";
  const base = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${rg}`;
  const [, module, kind] = type.split(":");
  const providers: Record<string, string> = {
    compute: "Microsoft.Compute",
    network: "Microsoft.Network",
    storage: "Microsoft.Storage",
    monitor: "Microsoft.Insights",
    operationalinsights: "Microsoft.OperationalInsights",
  };
  if (type === "azure-native:resources:ResourceGroup") return `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${azure}`;
  // A subnet's id nests under its virtual network, as in Azure: NICs and policies match on it.
  if (type === "azure-native:network:Subnet" && typeof inputs.virtualNetworkName === "string") {
    return `${base}/providers/Microsoft.Network/virtualNetworks/${inputs.virtualNetworkName}/subnets/${azure}`;
  }
  if (type === "azure-native:managedidentity:UserAssignedIdentity") return `${base}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${azure}`;
  // Extension resources: under the VM, and under the role assignment's scope.
  if (type === "azure-native:guestconfiguration:GuestConfigurationAssignment") {
    return `${base}/providers/Microsoft.Compute/virtualMachines/${String(inputs.vmName)}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/${azure}`;
  }
  // Azure Policy: definitions at a subscription or management group, assignments and remediations at their scope.
  if (type === "azure-native:authorization:PolicyDefinition")
    return `/subscriptions/${MOCK_SUBSCRIPTION}/providers/Microsoft.Authorization/policyDefinitions/${azure}`;
  if (type === "azure-native:authorization:PolicyDefinitionAtManagementGroup")
    return `/providers/Microsoft.Management/managementGroups/${String(inputs.managementGroupId)}/providers/Microsoft.Authorization/policyDefinitions/${azure}`;
  if (type === "azure-native:authorization:PolicyAssignment") return `${String(inputs.scope)}/providers/Microsoft.Authorization/policyAssignments/${azure}`;
  if (type === "azure-native:policyinsights:RemediationAtSubscription")
    return `/subscriptions/${MOCK_SUBSCRIPTION}/providers/Microsoft.PolicyInsights/remediations/${azure}`;
  if (type === "azure-native:policyinsights:RemediationAtManagementGroup")
    return `/providers/Microsoft.Management/managementGroups/${String(inputs.managementGroupId)}/providers/Microsoft.PolicyInsights/remediations/${azure}`;
  if (type === "azure-native:authorization:RoleAssignment")
    return `${String(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${mockGuid(azure)}`;
  return `${base}/providers/${providers[module] ?? module}/${kind}/${azure}`;
}

/** A GUID-shaped name derived from a text (role assignments are named by GUIDs). */
function mockGuid(text: string): string {
  let h = 0x811c9dc5;
  const words: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const c of `${round}:${text}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    words.push(h.toString(16).padStart(8, "0"));
  }
  const hex = words.join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Mocks that answer like Azure; every registration is appended to `record`. */
export function azureMocks(record: RecordedResource[], onResource?: (resource: RecordedResource) => void): pulumi.runtime.Mocks {
  let nextIp = 4;
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
      const inputs = (args.inputs ?? {}) as Record<string, unknown>;
      const recorded: RecordedResource = { type: args.type, name: args.name, inputs, custom: args.custom ?? true, urn: "", dependencies: [] };
      record.push(recorded);
      onResource?.(recorded);
      const azure = azureName(args.type, args.name, inputs);
      const id = armId(args.type, azure, inputs);
      const state: Record<string, unknown> = { ...inputs, name: azure, id };
      if (args.type === "azure-native:resources:ResourceGroup") state.location = inputs.location ?? "westeurope";
      if (args.type === "azure-native:network:NetworkInterface") {
        const host = nextIp++;
        const configs = Array.isArray(inputs.ipConfigurations) ? (inputs.ipConfigurations as Record<string, unknown>[]) : [];
        state.ipConfigurations = configs.map((c) => ({ ...c, privateIPAddress: `10.0.${Math.floor(host / 250)}.${host % 250}` }));
      }
      if (args.type === "azure-native:storage:StorageAccount") {
        state.primaryEndpoints = { blob: `https://${azure}.blob.core.windows.net/` };
      }
      if (args.type === "azure-native:managedidentity:UserAssignedIdentity") {
        state.principalId = mockGuid(`principal:${id}`);
        state.clientId = mockGuid(`client:${id}`);
        state.tenantId = mockGuid("tenant");
      }
      const identity = inputs.identity as { type?: string } | undefined;
      if (args.type === "azure-native:authorization:PolicyAssignment" && identity?.type === "SystemAssigned") {
        state.identity = { ...identity, principalId: mockGuid(`principal:${id}`), tenantId: mockGuid("tenant") };
      }
      if (args.type === "azure-native:guestconfiguration:GuestConfigurationAssignment") {
        state.name = inputs.name ?? azure;
        state.properties = { ...(inputs.properties as Record<string, unknown> | undefined), complianceStatus: "Pending", provisioningState: "Succeeded" };
      }
      if (args.type === "azure-native:compute:VirtualMachine") {
        state.vmId = `${MOCK_SUBSCRIPTION.slice(0, 8)}-vm-${azure}`;
        state.provisioningState = "Succeeded";
      }
      return { id: args.custom === false ? "" : id, state };
    },
    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
      if (args.token === "azure-native:storage:listStorageAccountServiceSAS")
        return { serviceSasToken: mockSasToken((args.inputs ?? {}) as Record<string, unknown>) };
      if (args.token === "azure-native:compute:getVirtualMachine") {
        // An existing VM, as Azure reports it: its id, region and system-assigned identity.
        const inputs = args.inputs as { resourceGroupName?: string; vmName?: string };
        const id = `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.Compute/virtualMachines/${inputs.vmName}`;
        return {
          id,
          name: inputs.vmName,
          location: "westeurope",
          identity: { type: "SystemAssigned", principalId: mockGuid(`principal:${id}`), tenantId: mockGuid("tenant") },
        };
      }
      return {};
    },
  };
}

interface CapturedOptions {
  readonly type: string;
  readonly name: string;
  readonly parent?: pulumi.Resource;
  readonly dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
  readonly ignoreChanges?: string[];
  readonly aliases?: readonly unknown[];
  readonly retainOnDelete?: boolean;
  readonly deleteBeforeReplace?: boolean;
  readonly protect?: boolean;
  readonly replaceOnChanges?: string[];
  readonly additionalSecretOutputs?: string[];
  readonly customTimeouts?: pulumi.CustomTimeouts;
  readonly deletedWith?: pulumi.Resource;
  readonly provider?: pulumi.ProviderResource;
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) =>
    output.apply((v) => {
      resolve(v);
      return v;
    }),
  );
}

/** URN the mock runtime gives a resource: the parent's type qualifies the type. */
function urnFor(stack: string, project: string, type: string, name: string, parentUrn: string | undefined): string {
  const qualified = parentUrn === undefined ? type : `${parentUrn.split("::")[2].split("$").pop()}$${type}`;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * URNs of the resources a `dependsOn` option names (a resource, a promise or output of one, or
 * an array of any of these), in order, as the SDK gathers explicit dependencies. Resources are
 * never wrapped in an Output: an Output checks its whole value for unknowns, and a resource's
 * value reaches its parents and every resource they hold, so that at fleet scale each
 * dependency cost a walk over most of the program's objects.
 */
async function dependencyUrns(sdk: PulumiSdk, dependsOn: unknown): Promise<string[]> {
  if (dependsOn === undefined || dependsOn === null) return [];
  if (Array.isArray(dependsOn)) return (await Promise.all(dependsOn.map((d) => dependencyUrns(sdk, d)))).flat();
  if (dependsOn instanceof Promise) return dependencyUrns(sdk, await dependsOn);
  if (sdk.Resource.isInstance(dependsOn)) return [await valueOf(dependsOn.urn)];
  if (sdk.Output.isInstance(dependsOn)) return dependencyUrns(sdk, await valueOf(dependsOn));
  return [];
}

/** Fills in URN, parent and dependencies from the options each resource was constructed with. */
async function attachUrns(sdk: PulumiSdk, resources: RecordedResource[], options: readonly CapturedOptions[], stack: string, project: string): Promise<void> {
  const byKey = new Map<string, CapturedOptions>();
  for (const o of options) byKey.set(`${o.type}::${o.name}`, o);
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const rootUrn = root === undefined ? undefined : urnFor(stack, project, root.type, root.name, undefined);
  for (const r of resources) {
    const o = byKey.get(`${r.type}::${r.name}`);
    // Resources created without a parent belong to the stack.
    r.parent = o?.parent ? await valueOf(o.parent.urn) : r === root ? undefined : rootUrn;
    r.dependencies = await dependencyUrns(sdk, o?.dependsOn);
    r.urn = urnFor(stack, project, r.type, r.name, r.parent);
    if (o?.ignoreChanges !== undefined && o.ignoreChanges.length > 0) r.ignoreChanges = [...o.ignoreChanges];
    const aliasUrns = (o?.aliases ?? []).filter((a): a is string => typeof a === "string");
    if (aliasUrns.length > 0) r.aliasUrns = aliasUrns;
    if (o?.retainOnDelete !== undefined) r.retainOnDelete = o.retainOnDelete;
    if (o?.deleteBeforeReplace !== undefined) r.deleteBeforeReplace = o.deleteBeforeReplace;
    if (o === undefined) continue;
    if (o.protect !== undefined) r.protect = o.protect;
    if (o.replaceOnChanges !== undefined && o.replaceOnChanges.length > 0) r.replaceOnChanges = [...o.replaceOnChanges];
    if (o.additionalSecretOutputs !== undefined && o.additionalSecretOutputs.length > 0) r.additionalSecretOutputs = [...o.additionalSecretOutputs];
    if (o.customTimeouts !== undefined) r.customTimeouts = { ...o.customTimeouts };
    if (o.deletedWith !== undefined) r.deletedWith = await valueOf(o.deletedWith.urn);
    if (o.provider !== undefined) r.providerUrn = await valueOf(o.provider.urn);
  }
}

/**
 * Options of {@link runOffline}, which runs `program` as stack `stack` of project `mailhost` (or
 * `project`) with the given runtime config (`{ "mailhost:fleet": "<json>" }`); `secretKeys` are
 * the keys held as secrets. It resolves when every registration has been answered.
 */
export interface OfflineOptions {
  /**
   * Drop the API-version aliases azure-native attaches to every resource. Mocks never need them,
   * and at fleet scale they are most of the garbage an offline run makes. Inputs are unchanged.
   */
  readonly dropAliases?: boolean;
  /**
   * Called as each resource is registered, before its URN is known (it is filled in when the
   * run ends): lets a caller start work on it while the program still runs.
   */
  readonly onResource?: (resource: RecordedResource) => void;
  /**
   * Keep, per resource, what its RegisterResource request told the engine (all dependencies, per
   * property dependencies, package version, provider): what `mailhost preview` shows.
   */
  readonly captureRegistrations?: boolean;
  /** Project name of the URNs (the `Pulumi.yaml` name). Defaults to {@link DEFAULT_PROJECT}. */
  readonly project?: string;
  /**
   * The Pulumi SDK the program uses: a project's own copy, resolved from the project, so that the
   * mocks are set on the runtime its resources register with. Defaults to this package's.
   */
  readonly sdk?: PulumiSdk;
}

export async function runOffline(
  program: () => Promise<unknown>,
  stack: string,
  config: Readonly<Record<string, string>>,
  secretKeys: readonly string[] = [],
  options: OfflineOptions = {},
): Promise<OfflineRun> {
  const sdk = options.sdk ?? ownSdk();
  const project = options.project ?? DEFAULT_PROJECT;
  const resources: RecordedResource[] = [];
  await sdk.runtime.setMocks(azureMocks(resources, options.onResource), project, stack, false);
  sdk.runtime.setAllConfig({ ...config }, [...secretKeys]);
  const registrations = options.captureRegistrations ? new Map<string, RegistrationDetails>() : undefined;
  if (registrations !== undefined) {
    const monitor = sdk.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequestLike, callback: unknown) => unknown };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      registrations.set(`${req.getType()}::${req.getName()}`, registrationDetails(req));
      return register(req, callback);
    };
  }
  // The program's own failure is caught inside the stack, so that the Pulumi runtime never sees
  // a rejected stack output (which it would report as an unhandled rejection), and rethrown here.
  let failure: { error: unknown } | undefined;
  const captured: CapturedOptions[] = [];
  let outputs: unknown;
  try {
    outputs = await sdk.runtime.runInPulumiStack(async () => {
      // Registered inside the stack: it sees every resource's options (parent, dependsOn).
      sdk.runtime.registerStackTransformation((args) => {
        const opts = args.opts as pulumi.CustomResourceOptions;
        captured.push({
          type: args.type,
          name: args.name,
          parent: opts.parent,
          dependsOn: opts.dependsOn,
          ignoreChanges: opts.ignoreChanges,
          retainOnDelete: opts.retainOnDelete,
          deleteBeforeReplace: opts.deleteBeforeReplace,
          aliases: opts.aliases,
          protect: opts.protect,
          replaceOnChanges: opts.replaceOnChanges,
          additionalSecretOutputs: opts.additionalSecretOutputs,
          customTimeouts: opts.customTimeouts,
          deletedWith: opts.deletedWith,
          provider: opts.provider,
        });
        return options.dropAliases ? { props: args.props, opts: { ...args.opts, aliases: undefined } } : undefined;
      });
      try {
        return await program();
      } catch (error) {
        failure = { error };
        return undefined;
      }
    });
  } finally {
    // Waits until every registration has been answered.
    await sdk.runtime.disconnect();
  }
  if (failure) throw failure.error;
  await attachUrns(sdk, resources, captured, stack, project);
  if (registrations !== undefined) for (const r of resources) r.registration = registrations.get(`${r.type}::${r.name}`);
  return { resources, outputs: outputs as Record<string, unknown> | undefined };
}

/** Turns a stack file's `config:` map into runtime config strings (objects as JSON), as the CLI does. */
export function runtimeConfig(stackConfig: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackConfig)) {
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}
