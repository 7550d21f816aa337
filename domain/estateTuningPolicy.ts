/**
 * The Azure Policy definition that keeps every tagged Windows mail host of a subscription or
 * management group tuned, whoever created it: a DeployIfNotExists of this module's Machine
 * Configuration package with `ApplyAndAutoCorrect`, for Azure VMs and Arc-enabled servers.
 *
 * Shape followed (fixtures under test/fixtures/azure-policy/ keep the files with their source):
 * - the built-in "Configure time zone on Windows machines." (Azure/azure-policy,
 *   built-in-policies/policyDefinitions/Guest Configuration/SetWindowsTimeZone_DINE.json, 3.1.0):
 *   a DeployIfNotExists with both the `Microsoft.Compute/virtualMachines` and the
 *   `Microsoft.HybridCompute/machines` variants, `ApplyAndAutoCorrect`, a configuration parameter,
 *   the existence condition on `parameterHash` and `complianceStatus`, and the role
 *   "Guest Configuration Resource Contributor" (088ab73d-1256-47ae-bea9-9de8e7131f31);
 * - the GuestConfiguration module's `New-GuestConfigurationPolicy` (Azure/GuestConfiguration,
 *   source/templates/1-Metadata.json and 4-Action-Set.json, source/Private/
 *   New-GuestConfigurationPolicyActionSection.ps1): a custom package by `contentUri` and
 *   `contentHash`, `contentType: Custom`, API 2024-04-05, and the parameter hash
 *   `base64(concat('<ref>', '=', <value>, ',', ...))` in the order of `configurationParameter`.
 *
 * Deliberate differences from those files (each has a reason; the shape test lists them):
 * - machines are selected by a tag the user names (mail hosts only, never every Windows machine)
 *   and machines carrying the stack tag are left out (a stack tunes those itself: one tuning
 *   assignment per host);
 * - the tuned values are one Object parameter `tuning` with a JSON schema: Azure Policy limits a
 *   scalar parameter only by `allowedValues` (MaxUserPort alone would need 60,535 of them) and
 *   validates `schema` only on Object parameters (Microsoft Learn, "Azure Policy definition
 *   structure parameters"), so the ranges of domain/limits.ts reach Azure only this way;
 * - no `evaluationDelay` (the published definition schema 2020-09-01 does not allow it in
 *   `details`) and no `IncludeArcMachines` switch (Arc machines are in scope by design);
 * - Windows VMs are recognised by the OS fields only (`osProfile.windowsConfiguration` or
 *   `osDisk.osType`), the last branch of Microsoft's image list, which also covers custom images.
 * Scale sets are out of scope: Machine Configuration supports only flexible orchestration there.
 */
import {
  MAILHOST_TCP_TUNING,
  TUNED_PROPERTIES,
  type TunedProperty,
  configurationParameterName,
  tunedPropertiesOf,
  tunedPropertyValues,
} from "./machineConfiguration";
import { BASE64URL_PATTERN } from "./guestEncoding";
import {
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  MAX_USER_PORT,
  TCP_TIMED_WAIT_DELAY,
} from "./limits";
import { STACK_TAG, type TuningPlan } from "./plan";

/**
 * Azure built-in role "Guest Configuration Resource Contributor": what the built-in guest
 * configuration DeployIfNotExists definitions and New-GuestConfigurationPolicy's 4-Action-Set.json
 * name in `roleDefinitionIds`.
 */
export const GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID = "088ab73d-1256-47ae-bea9-9de8e7131f31";
/** Azure built-in role "Contributor": what every policy of the prerequisite initiative names. */
export const CONTRIBUTOR_ROLE_ID = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/**
 * Built-in initiative "Deploy prerequisites to enable Guest Configuration policies on virtual
 * machines" (Azure/azure-policy, policySetDefinitions/Guest Configuration/Prerequisites.json): a
 * system-assigned identity and the guest configuration extension on Azure VMs.
 */
export const GUEST_CONFIGURATION_PREREQUISITES_INITIATIVE_ID = "/providers/Microsoft.Authorization/policySetDefinitions/12794019-7a00-42cf-95c2-882eed337cc8";

/** API version of the guest configuration assignment the deployment writes (New-GuestConfigurationPolicy 4-Action-Set.json). */
export const POLICY_ASSIGNMENT_API_VERSION = "2024-04-05";

/** The Object parameter that carries every tuned value. */
export const TUNING_PARAMETER = "tuning";
/** Policy parameters naming the tag that selects mail hosts. */
export const TAG_NAME_PARAMETER = "tagName";
export const TAG_VALUE_PARAMETER = "tagValue";

/** Tag names Azure refuses (Microsoft Learn, "Use tags to organize your Azure resources": `<>%&\?/`). */
export const TAG_NAME_PATTERN = /^[^<>%&\\?/]{1,512}$/;

/**
 * JSON schema of the `tuning` parameter (Json.NET Schema 2019-09 per Microsoft Learn): the four
 * numbers as integers within the ranges of domain/limits.ts, the SiteConfig.cfg path and text as
 * base64url, its SHA-256 as 64 lower-case hex characters. What a schema cannot say (the range ends
 * at MaxUserPort, the MailboxCacheTTL floor inside the text) the component and the pack check.
 * `properties` are those the package's plan sets ({@link tunedPropertiesOf}): the auto-reuse port
 * range is part of the parameter, and required, only when the plan sets it, so an assignment cannot
 * pass a value the package would ignore.
 */
export function tuningParameterSchema(properties: readonly TunedProperty[] = TUNED_PROPERTIES): Record<string, unknown> {
  const int = (range: { min: number; max: number; unit: string }) => ({ type: "integer", minimum: range.min, maximum: range.max, description: range.unit });
  const all: Record<TunedProperty, Record<string, unknown>> = {
    MaxUserPort: int(MAX_USER_PORT),
    TcpTimedWaitDelay: int(TCP_TIMED_WAIT_DELAY),
    DynamicPortRangeStartPort: int(DYNAMIC_PORT_RANGE_START),
    DynamicPortRangeNumberOfPorts: int(DYNAMIC_PORT_RANGE_COUNT),
    SiteConfigPathBase64Url: { type: "string", minLength: 1, pattern: BASE64URL_PATTERN },
    SiteConfigContentBase64Url: { type: "string", minLength: 1, pattern: BASE64URL_PATTERN },
    SiteConfigSha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
    AutoReusePortRangeStartPort: int(AUTO_REUSE_PORT_RANGE_START),
    AutoReusePortRangeNumberOfPorts: int(AUTO_REUSE_PORT_RANGE_COUNT),
  };
  return { type: "object", properties: Object.fromEntries(properties.map((p) => [p, all[p]])), required: [...properties], additionalProperties: false };
}

/** The `tuning` parameter's value for a plan: numbers as numbers, the rest as the guest reads it. */
export function tuningParameterValue(tuning: TuningPlan): Partial<Record<TunedProperty, number | string>> {
  const strings = tunedPropertyValues(tuning);
  return {
    ...strings,
    MaxUserPort: tuning.maxUserPort,
    TcpTimedWaitDelay: tuning.tcpTimedWaitDelay,
    DynamicPortRangeStartPort: tuning.dynamicPortRangeStart,
    DynamicPortRangeNumberOfPorts: tuning.dynamicPortRangeCount,
    ...(tuning.autoReusePortRange === undefined
      ? {}
      : { AutoReusePortRangeStartPort: tuning.autoReusePortRange.start, AutoReusePortRangeNumberOfPorts: tuning.autoReusePortRange.count }),
  };
}

/** `[string(parameters('tuning').MaxUserPort)]` without the brackets: the value as the assignment's string. */
function valueExpression(property: TunedProperty): string {
  return `string(parameters('${TUNING_PARAMETER}').${property})`;
}

/**
 * The existence condition's parameter hash, as New-GuestConfigurationPolicy writes it:
 * `base64(concat('<ref>', '=', <value>, ',', '<ref>', '=', <value>, ...))` in configurationParameter order.
 */
export function parameterHashExpression(properties: readonly TunedProperty[] = TUNED_PROPERTIES): string {
  return `[base64(concat(${properties.map((p) => `'${configurationParameterName(p)}', '=', ${valueExpression(p)}`).join(", ',', ")}))]`;
}

/**
 * The parameter hash the service computes for an assignment carrying these values (inference
 * from the expression above: base64 of `name=value` pairs joined by commas).
 */
export function parameterHashOf(tuning: TuningPlan): string {
  const values = tunedPropertyValues(tuning);
  return Buffer.from(
    tunedPropertiesOf(tuning)
      .map((p) => `${configurationParameterName(p)}=${values[p]}`)
      .join(","),
    "utf8",
  ).toString("base64");
}

export interface EstatePolicyInputs {
  /** Tag that marks a machine as a mail host (name and the value the policy looks for). */
  readonly tagName: string;
  readonly tagValue: string;
  /** The plan whose values are the `tuning` parameter's default. */
  readonly tuning: TuningPlan;
  /** HTTPS URL of the package the machines download (see the component for how it is read). */
  readonly contentUri: string;
  /** SHA-256 of the package, 64 upper-case hex characters. */
  readonly contentHash: string;
  /** Definition version (semantic). Defaults to "1.0.0". */
  readonly version?: string;
}

/** The Windows Azure VM branch: Microsoft's OS-field test (last branch of the built-in image list). */
const WINDOWS_VM = {
  allOf: [
    { field: "type", equals: "Microsoft.Compute/virtualMachines" },
    {
      anyOf: [
        { field: "Microsoft.Compute/virtualMachines/osProfile.windowsConfiguration", exists: "true" },
        { field: "Microsoft.Compute/virtualMachines/storageProfile.osDisk.osType", like: "Windows*" },
      ],
    },
  ],
};

/** The Arc branch, as the built-ins write it. */
const WINDOWS_ARC = {
  allOf: [
    { field: "type", equals: "Microsoft.HybridCompute/machines" },
    { field: "Microsoft.HybridCompute/imageOffer", like: "windows*" },
  ],
};

/** `properties.policyRule` of the definition. */
export function estatePolicyRule(inputs: Pick<EstatePolicyInputs, "contentUri" | "contentHash" | "tuning">): Record<string, unknown> {
  const properties = tunedPropertiesOf(inputs.tuning);
  const guestConfiguration = () => ({
    name: "[parameters('configurationName')]",
    version: MAILHOST_TCP_TUNING.packageVersion,
    assignmentType: "ApplyAndAutoCorrect",
    contentUri: inputs.contentUri,
    contentHash: inputs.contentHash,
    contentType: "Custom",
    configurationParameter: properties.map((p) => ({ name: configurationParameterName(p), value: `[${valueExpression(p)}]` })),
  });
  const assignmentOn = (condition: string, type: string) => ({
    condition: `[equals(toLower(parameters('type')), toLower('${condition}'))]`,
    apiVersion: POLICY_ASSIGNMENT_API_VERSION,
    type,
    name: "[concat(parameters('vmName'), '/Microsoft.GuestConfiguration/', parameters('configurationName'))]",
    location: "[parameters('location')]",
    properties: { guestConfiguration: guestConfiguration() },
  });
  return {
    if: {
      allOf: [
        { anyOf: [WINDOWS_VM, WINDOWS_ARC] },
        { field: `[concat('tags[', parameters('${TAG_NAME_PARAMETER}'), ']')]`, equals: `[parameters('${TAG_VALUE_PARAMETER}')]` },
        // One tuning assignment per host: a stack tunes its own hosts (they carry the stack tag).
        { field: `tags['${STACK_TAG}']`, exists: "false" },
      ],
    },
    then: {
      effect: "deployIfNotExists",
      details: {
        roleDefinitionIds: [`/providers/Microsoft.Authorization/roleDefinitions/${GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID}`],
        type: "Microsoft.GuestConfiguration/guestConfigurationAssignments",
        name: MAILHOST_TCP_TUNING.configurationName,
        existenceCondition: {
          allOf: [
            { field: "Microsoft.GuestConfiguration/guestConfigurationAssignments/complianceStatus", equals: "Compliant" },
            { field: "Microsoft.GuestConfiguration/guestConfigurationAssignments/parameterHash", equals: parameterHashExpression(properties) },
          ],
        },
        deployment: {
          properties: {
            // The published schema enumerates "Incremental" | "Complete" (case-sensitive in JSON schema, not in ARM);
            // the built-ins write "incremental".
            mode: "Incremental",
            parameters: {
              vmName: { value: "[field('name')]" },
              location: { value: "[field('location')]" },
              type: { value: "[field('type')]" },
              configurationName: { value: MAILHOST_TCP_TUNING.configurationName },
              [TUNING_PARAMETER]: { value: `[parameters('${TUNING_PARAMETER}')]` },
            },
            template: {
              $schema: "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
              contentVersion: "1.0.0.0",
              parameters: {
                vmName: { type: "string" },
                location: { type: "string" },
                type: { type: "string" },
                configurationName: { type: "string" },
                [TUNING_PARAMETER]: { type: "object" },
              },
              resources: [
                assignmentOn("Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachines/providers/guestConfigurationAssignments"),
                assignmentOn("Microsoft.HybridCompute/machines", "Microsoft.HybridCompute/machines/providers/guestConfigurationAssignments"),
              ],
            },
          },
        },
      },
    },
  };
}

/** `properties.parameters` of the definition. */
export function estatePolicyParameters(inputs: Pick<EstatePolicyInputs, "tagName" | "tagValue" | "tuning">): Record<string, Record<string, unknown>> {
  return {
    [TAG_NAME_PARAMETER]: {
      type: "String",
      metadata: { displayName: "Mail host tag name", description: "Machines carrying this tag with the value below are tuned." },
      defaultValue: inputs.tagName,
    },
    [TAG_VALUE_PARAMETER]: {
      type: "String",
      metadata: { displayName: "Mail host tag value", description: "Value of the mail host tag." },
      defaultValue: inputs.tagValue,
    },
    [TUNING_PARAMETER]: {
      type: "Object",
      metadata: {
        displayName: "TCP port tuning and SiteConfig.cfg",
        description: "MaxUserPort, TcpTimedWaitDelay, the dynamic port range and SiteConfig.cfg (base64url) the package applies.",
      },
      defaultValue: tuningParameterValue(inputs.tuning),
      schema: tuningParameterSchema(tunedPropertiesOf(inputs.tuning)),
    },
  };
}

/** `properties.metadata` of the definition (1-Metadata.json, with the configuration parameter map of the built-ins). */
export function estatePolicyMetadata(inputs: Pick<EstatePolicyInputs, "contentUri" | "contentHash" | "version" | "tuning">): Record<string, unknown> {
  return {
    category: "Guest Configuration",
    version: inputs.version ?? "1.0.0",
    requiredProviders: ["Microsoft.GuestConfiguration"],
    guestConfiguration: {
      name: MAILHOST_TCP_TUNING.configurationName,
      version: MAILHOST_TCP_TUNING.packageVersion,
      contentType: "Custom",
      contentUri: inputs.contentUri,
      contentHash: inputs.contentHash,
      configurationParameter: Object.fromEntries(tunedPropertiesOf(inputs.tuning).map((p) => [p, configurationParameterName(p)])),
    },
  };
}

/** The whole definition as `New-GuestConfigurationPolicy` writes it to a file (`properties` of a policyDefinitions resource). */
export function estatePolicyDefinition(inputs: EstatePolicyInputs): Record<string, unknown> {
  return {
    properties: {
      displayName: "Mail hosts: TCP ephemeral-port tuning and SiteConfig.cfg (mailhost-iac)",
      policyType: "Custom",
      mode: "Indexed",
      description:
        "Creates the MailhostTcpTuning guest configuration assignment (ApplyAndAutoCorrect) on tagged Windows Azure VMs and Arc-enabled servers that no mailhost-iac stack tunes.",
      metadata: estatePolicyMetadata(inputs),
      version: inputs.version ?? "1.0.0",
      parameters: estatePolicyParameters(inputs),
      policyRule: estatePolicyRule(inputs),
    },
  };
}
