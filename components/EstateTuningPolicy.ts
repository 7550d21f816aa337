import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as policyinsights from "@pulumi/azure-native/policyinsights";
import * as storage from "@pulumi/azure-native/storage";
import {
  CONTRIBUTOR_ROLE_ID,
  GUEST_CONFIGURATION_PREREQUISITES_INITIATIVE_ID,
  GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID,
  TAG_NAME_PATTERN,
  estatePolicyMetadata,
  estatePolicyParameters,
  estatePolicyRule,
} from "../domain/estateTuningPolicy";
import { PACKAGE_SAS_LIFETIME_DAYS, formatRange } from "../domain/limits";
import { STACK_TAG, type TuningPlan } from "../domain/plan";
import { rejectInvalid, tuningProblems } from "./validation";

/** Where the policy is defined and assigned: one subscription, or one management group. */
export type EstateScope = { readonly subscriptionId: string; readonly managementGroupId?: undefined } | { readonly managementGroupId: string; readonly subscriptionId?: undefined };

/** The identity Azure Policy deploys the guest configuration assignments with. */
export type EstatePolicyIdentity =
  | { readonly type: "SystemAssigned" }
  /** A user-assigned identity: its resource ID and its principal (object) ID, which gets the roles. */
  | { readonly type: "UserAssigned"; readonly id: pulumi.Input<string>; readonly principalId: pulumi.Input<string> };

/** The published package (see `MailSite`): its blob, named by its hash, and the account it is in. */
export interface EstatePackage {
  /** Resource group of the storage account. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Storage account name. */
  readonly accountName: pulumi.Input<string>;
  /** Container of the package. */
  readonly containerName: pulumi.Input<string>;
  /** Blob name, `MailhostTcpTuning-<SHA-256>.zip` (it must carry `contentHash`). */
  readonly blobName: string;
  /** Blob endpoint of the account, e.g. `https://stmail.blob.core.windows.net/`. */
  readonly blobEndpoint: pulumi.Input<string>;
  /** SHA-256 of the zip, 64 upper-case hex characters. */
  readonly contentHash: string;
  /** Resources that must exist before a machine reads the package (the blob). Defaults to none. */
  readonly readyAfter?: readonly pulumi.Resource[];
}

export interface EstateTuningPolicyArgs {
  /** Subscription or management group the definition lives in and the assignment covers. Required. */
  readonly scope: EstateScope;
  /** Region of the assignment's managed identity (Azure requires one for DeployIfNotExists assignments). Required. */
  readonly location: pulumi.Input<string>;
  /** Tag that marks a machine as a mail host: only machines with `tag.name = tag.value` are tuned. Required; never every Windows machine. */
  readonly tag: { readonly name: string; readonly value: string };
  /** Values to apply, validated against domain/limits.ts before anything exists. Required. */
  readonly tuning: TuningPlan;
  /** The published package. Required. */
  readonly package: EstatePackage;
  /**
   * Expiry of the read-only SAS on the package blob (ISO 8601), at most
   * {@link PACKAGE_SAS_LIFETIME_DAYS}.max days ahead. Defaults to the last second of the month six
   * months from now (stable within a month; see `defaultPackageSasExpiry`).
   */
  readonly packageSasExpiry?: string;
  /** Identity of the tuning assignment. Defaults to a system-assigned identity. */
  readonly identity?: EstatePolicyIdentity;
  /**
   * Also assign Microsoft's prerequisite initiative (system-assigned identity and the guest
   * configuration extension on Azure VMs), with its own system-assigned identity and Contributor
   * at the scope. It covers every VM of the scope, not only mail hosts. Defaults to true.
   */
  readonly prerequisites?: boolean;
  /** Start a remediation task for machines that existed before the assignment (runs once). Defaults to false. */
  readonly remediate?: boolean;
  /** Name of the policy definition and assignment. Defaults to "mailhost-tcp-tuning". At most 24 characters at a management group (assignment name limit). */
  readonly policyName?: string;
  /** Assignment enforcement: "Default" deploys, "DoNotEnforce" only reports. Defaults to "Default". */
  readonly enforcementMode?: "Default" | "DoNotEnforce";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MANAGEMENT_GROUP_ID = /^[A-Za-z0-9_().-]{1,90}$/;
const POLICY_NAME = /^[A-Za-z0-9-]{1,24}$/;
const UPPER_HEX_SHA256 = /^[0-9A-F]{64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Last second (UTC) of the month six months after `now`: stable for a month, at most about seven months ahead. */
export function defaultPackageSasExpiry(now: Date = new Date()): string {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 7, 1) - 1000);
  return end.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** ARM ID of the scope: `/subscriptions/<id>` or `/providers/Microsoft.Management/managementGroups/<id>`. */
export function scopeId(scope: EstateScope): string {
  return scope.subscriptionId !== undefined ? `/subscriptions/${scope.subscriptionId}` : `/providers/Microsoft.Management/managementGroups/${scope.managementGroupId}`;
}

/** Problems with the inputs, each naming the input, the value and what is allowed. */
export function estateTuningProblems(args: EstateTuningPolicyArgs, now: Date = new Date()): string[] {
  const problems = tuningProblems(args.tuning);
  const { subscriptionId, managementGroupId } = args.scope as { subscriptionId?: string; managementGroupId?: string };
  if ((subscriptionId === undefined) === (managementGroupId === undefined)) problems.push("scope must name exactly one of subscriptionId and managementGroupId");
  else if (subscriptionId !== undefined && !GUID.test(subscriptionId)) problems.push(`scope.subscriptionId = ${JSON.stringify(subscriptionId)} is not a subscription ID (a GUID)`);
  else if (managementGroupId !== undefined && !MANAGEMENT_GROUP_ID.test(managementGroupId)) problems.push(`scope.managementGroupId = ${JSON.stringify(managementGroupId)} must be 1–90 letters, digits, '-', '_', '(', ')' or '.'`);
  if (!TAG_NAME_PATTERN.test(args.tag.name)) problems.push(`tag.name = ${JSON.stringify(args.tag.name)} must be 1–512 characters without < > % & \\ ? /`);
  else if (args.tag.name.toLowerCase() === STACK_TAG) problems.push(`tag.name = ${JSON.stringify(args.tag.name)} is the stack tag, whose hosts the policy leaves to their stack; name the mail host tag of machines outside stacks`);
  if (args.tag.value.length === 0 || args.tag.value.length > 256) problems.push(`tag.value = ${JSON.stringify(args.tag.value)} must be 1–256 characters`);
  if (!UPPER_HEX_SHA256.test(args.package.contentHash)) problems.push(`package.contentHash = ${JSON.stringify(args.package.contentHash)} must be the package's SHA-256 as 64 upper-case hex characters`);
  else if (!args.package.blobName.toUpperCase().includes(args.package.contentHash)) problems.push(`package.blobName = ${JSON.stringify(args.package.blobName)} must carry the package's SHA-256 (${args.package.contentHash}), so that other bytes are always another address`);
  const expiry = args.packageSasExpiry ?? defaultPackageSasExpiry(now);
  const expiresAt = Date.parse(expiry);
  if (Number.isNaN(expiresAt)) problems.push(`packageSasExpiry = ${JSON.stringify(expiry)} is not an ISO 8601 date`);
  else {
    const days = (expiresAt - now.getTime()) / DAY_MS;
    if (days < PACKAGE_SAS_LIFETIME_DAYS.min || days > PACKAGE_SAS_LIFETIME_DAYS.max) problems.push(`packageSasExpiry = ${JSON.stringify(expiry)} is ${Math.floor(days)} days ahead; allowed ${formatRange(PACKAGE_SAS_LIFETIME_DAYS)}`);
  }
  const policyName = args.policyName ?? "mailhost-tcp-tuning";
  if (!POLICY_NAME.test(policyName)) problems.push(`policyName = ${JSON.stringify(policyName)} must be 1–24 letters, digits or '-'`);
  return problems;
}

/**
 * Estate-wide tuning through Azure Policy: a custom DeployIfNotExists definition that puts the
 * `MailhostTcpTuning` guest configuration assignment (`ApplyAndAutoCorrect`) on every Windows
 * Azure VM and Arc-enabled Windows server of a subscription or management group that carries the
 * mail host tag and no stack tag (domain/estateTuningPolicy.ts has the definition and its
 * sources); its assignment with a managed identity and the role the definition names (Guest
 * Configuration Resource Contributor) at the scope; Microsoft's prerequisite initiative; and,
 * when asked, a remediation task for machines that existed before.
 *
 * How machines outside any stack read the package: a read-only SAS on the one package blob
 * (service SAS, `sr=b`, `sp=r`, https only, expiring within a year), in the definition's
 * `contentUri`: New-GuestConfigurationPolicy documents a SAS URL as the way for any machine, a
 * user-assigned identity is not available on Arc machines, and the system-assigned identity of
 * every machine would need its own role assignment on the storage account (see docs/ESTATE.md).
 * The pack accepts exactly this SAS and nothing broader (PACKAGE_SAS_EXCEPTION in policies/lib/secretCarriers.ts).
 */
export class EstateTuningPolicy extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:EstateTuningPolicy";

  /** The custom policy definition (subscription or management group). */
  public readonly definition: authorization.PolicyDefinition | authorization.PolicyDefinitionAtManagementGroup;
  /** The tuning assignment. */
  public readonly assignment: authorization.PolicyAssignment;
  /** Role assignments of the tuning assignment's identity (one per role the definition names). */
  public readonly roleAssignments: authorization.RoleAssignment[];
  /** The prerequisite initiative's assignment and its Contributor role, when created. */
  public readonly prerequisites?: { assignment: authorization.PolicyAssignment; role: authorization.RoleAssignment };
  /** The remediation task, when asked. */
  public readonly remediation?: policyinsights.RemediationAtSubscription | policyinsights.RemediationAtManagementGroup;
  /** ARM ID of the scope. */
  public readonly scopeId: string;

  constructor(name: string, args: EstateTuningPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    rejectInvalid(EstateTuningPolicy.typeToken, name, estateTuningProblems(args), opts);
    super(EstateTuningPolicy.typeToken, name, {}, opts);
    const scope = scopeId(args.scope);
    this.scopeId = scope;
    const policyName = args.policyName ?? "mailhost-tcp-tuning";
    const pkg = args.package;

    const sas = storage.listStorageAccountServiceSASOutput({
      resourceGroupName: pkg.resourceGroupName,
      accountName: pkg.accountName,
      canonicalizedResource: pulumi.interpolate`/blob/${pkg.accountName}/${pkg.containerName}/${pkg.blobName}`,
      resource: storage.SignedResource.B,
      permissions: storage.Permissions.R,
      protocols: storage.HttpProtocol.Https,
      sharedAccessExpiryTime: args.packageSasExpiry ?? defaultPackageSasExpiry(),
    }, { parent: this });
    const contentUri = pulumi.secret(pulumi.interpolate`${pkg.blobEndpoint}${pkg.containerName}/${pkg.blobName}?${sas.serviceSasToken}`);

    const definitionArgs = {
      policyDefinitionName: policyName,
      displayName: "Mail hosts: TCP ephemeral-port tuning and SiteConfig.cfg (mailhost-iac)",
      description: `Creates the MailhostTcpTuning guest configuration assignment (ApplyAndAutoCorrect) on Windows Azure VMs and Arc-enabled servers tagged ${args.tag.name} = ${args.tag.value} that carry no ${STACK_TAG} tag.`,
      policyType: authorization.PolicyType.Custom,
      mode: "Indexed",
      metadata: contentUri.apply((uri) => estatePolicyMetadata({ contentUri: uri, contentHash: pkg.contentHash, tuning: args.tuning })),
      parameters: estatePolicyParameters({ tagName: args.tag.name, tagValue: args.tag.value, tuning: args.tuning }),
      policyRule: contentUri.apply((uri) => estatePolicyRule({ contentUri: uri, contentHash: pkg.contentHash, tuning: args.tuning })),
    };
    const readyAfter = [...(pkg.readyAfter ?? [])];
    this.definition = args.scope.subscriptionId !== undefined
      ? new authorization.PolicyDefinition(`${name}-definition`, definitionArgs, { parent: this, dependsOn: readyAfter })
      : new authorization.PolicyDefinitionAtManagementGroup(`${name}-definition`, { ...definitionArgs, managementGroupId: args.scope.managementGroupId! }, { parent: this, dependsOn: readyAfter });

    const identity = args.identity ?? { type: "SystemAssigned" as const };
    this.assignment = new authorization.PolicyAssignment(`${name}-assignment`, {
      policyAssignmentName: policyName,
      scope,
      displayName: "Mail hosts: TCP ephemeral-port tuning (mailhost-iac)",
      policyDefinitionId: this.definition.id,
      location: args.location,
      enforcementMode: args.enforcementMode ?? "Default",
      identity: identity.type === "SystemAssigned"
        ? { type: authorization.ResourceIdentityType.SystemAssigned }
        : { type: authorization.ResourceIdentityType.UserAssigned, userAssignedIdentities: [identity.id] },
      nonComplianceMessages: [{ message: `A ${args.tag.name} = ${args.tag.value} mail host lacks the MailhostTcpTuning assignment or drifted from it.` }],
    }, { parent: this });

    const principalId = identity.type === "SystemAssigned" ? this.assignment.identity.apply((i) => i?.principalId ?? "") : identity.principalId;
    // The roles the definition names (roleDefinitionIds), at the scope the deployments run in.
    this.roleAssignments = [GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID].map((role) => new authorization.RoleAssignment(`${name}-role-${role.slice(0, 8)}`, {
      scope,
      principalId,
      principalType: authorization.PrincipalType.ServicePrincipal,
      roleDefinitionId: roleDefinitionIdAt(scope, role),
      description: "Azure Policy deploys the MailhostTcpTuning guest configuration assignments with this role.",
    }, { parent: this }));

    if (args.prerequisites ?? true) {
      const assignment = new authorization.PolicyAssignment(`${name}-prerequisites`, {
        policyAssignmentName: `${policyName.slice(0, 19)}-preq`,
        scope,
        displayName: "Deploy prerequisites to enable Guest Configuration policies on virtual machines (mailhost-iac)",
        policyDefinitionId: GUEST_CONFIGURATION_PREREQUISITES_INITIATIVE_ID,
        location: args.location,
        identity: { type: authorization.ResourceIdentityType.SystemAssigned },
      }, { parent: this });
      const role = new authorization.RoleAssignment(`${name}-prerequisites-role`, {
        scope,
        principalId: assignment.identity.apply((i) => i?.principalId ?? ""),
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: roleDefinitionIdAt(scope, CONTRIBUTOR_ROLE_ID),
        description: "Microsoft's guest configuration prerequisites (system-assigned identity, guest configuration extension) deploy with this role.",
      }, { parent: this });
      this.prerequisites = { assignment, role };
    }

    if (args.remediate ?? false) {
      const remediationArgs = {
        // A new package is a new remediation task: the name carries the package hash.
        remediationName: `${policyName}-${pkg.contentHash.slice(0, 12).toLowerCase()}`,
        policyAssignmentId: this.assignment.id,
        resourceDiscoveryMode: policyinsights.ResourceDiscoveryMode.ReEvaluateCompliance,
      };
      const after = { parent: this, dependsOn: [...this.roleAssignments, ...(this.prerequisites ? [this.prerequisites.role] : [])] };
      this.remediation = args.scope.subscriptionId !== undefined
        ? new policyinsights.RemediationAtSubscription(`${name}-remediation`, remediationArgs, after)
        : new policyinsights.RemediationAtManagementGroup(`${name}-remediation`, { ...remediationArgs, managementGroupId: args.scope.managementGroupId!, managementGroupsNamespace: "Microsoft.Management" }, after);
    }

    this.registerOutputs({
      definition: this.definition,
      assignment: this.assignment,
      roleAssignments: this.roleAssignments,
      prerequisites: this.prerequisites?.assignment,
      remediation: this.remediation,
      scopeId: this.scopeId,
    });
  }
}

/** Role definition ID as role assignments at a scope name it. */
function roleDefinitionIdAt(scope: string, role: string): string {
  return scope.startsWith("/subscriptions/")
    ? `${scope}/providers/Microsoft.Authorization/roleDefinitions/${role}`
    : `/providers/Microsoft.Authorization/roleDefinitions/${role}`;
}
