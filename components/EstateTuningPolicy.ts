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
import { type GuestContentStoreReference, storeAccess, storeReferenceProblems } from "./GuestContentStore";
import { OffInstance } from "./offInstance";
import { type CapacitySettings, type SiteConfigSettings, type TcpValues, TuningMechanism, planSettings } from "./settings";
import { rejectInvalid } from "./validation";

/** Where the policy is defined and assigned: one subscription or one management group, exactly one of the two. */
export interface EstateScope {
  /** Subscription ID, a GUID. Give this or `managementGroupId`. */
  readonly subscriptionId?: string;
  /** Management group ID: 1–90 letters, digits, `-`, `_`, `(`, `)` or `.`. Give this or `subscriptionId`. */
  readonly managementGroupId?: string;
}

/** The tag that marks a machine as a mail host. */
export interface EstateTag {
  /** Tag name: 1–512 characters without `< > % & \ ? /`, not the stack tag `mailhost-stack`. Required. */
  readonly name: string;
  /** Tag value: 1–256 characters. Required. */
  readonly value: string;
}

/** Kind of managed identity the policy assignment deploys with. */
export const EstateIdentityType = {
  /** A system-assigned identity of the assignment, created with it. */
  SystemAssigned: "SystemAssigned",
  /** A user-assigned identity that exists already (`id` and `principalId`). */
  UserAssigned: "UserAssigned",
} as const;
export type EstateIdentityType = (typeof EstateIdentityType)[keyof typeof EstateIdentityType];

/** The identity Azure Policy deploys the guest configuration assignments with. */
export interface EstatePolicyIdentity {
  /** SystemAssigned or UserAssigned. Required. */
  readonly type: EstateIdentityType;
  /** Resource ID of the user-assigned identity. Required with UserAssigned, refused with SystemAssigned. */
  readonly id?: pulumi.Input<string>;
  /** Principal (object) ID of the user-assigned identity, which gets the roles. Required with UserAssigned, refused with SystemAssigned. */
  readonly principalId?: pulumi.Input<string>;
}

/** Whether the policy assignment deploys or only reports. */
export const PolicyEnforcementMode = {
  /** Deploy the guest configuration assignments (DeployIfNotExists takes effect). */
  Default: "Default",
  /** Only report compliance; deploy nothing. */
  DoNotEnforce: "DoNotEnforce",
} as const;
export type PolicyEnforcementMode = (typeof PolicyEnforcementMode)[keyof typeof PolicyEnforcementMode];

export interface EstateTuningPolicyArgs {
  /** Subscription or management group the definition lives in and the assignment covers. Required. */
  readonly scope: EstateScope;
  /** Region of the assignment's managed identity (Azure requires one for DeployIfNotExists assignments). Required. */
  readonly location: pulumi.Input<string>;
  /** Tag that marks a machine as a mail host: only machines with `tag.name = tag.value` are tuned. Required; never every Windows machine. */
  readonly tag: EstateTag;
  /** TCP values to apply (Machine Configuration is the mechanism). Required. Validated like stack config `mailhost:tcp` when the component is constructed. */
  readonly tcp: TcpValues;
  /** SiteConfig.cfg on the machines. Required. Validated like stack config `mailhost:siteConfig`. */
  readonly siteConfig: SiteConfigSettings;
  /** Planned load per machine; decides the `MailboxCacheTTL` floor. Required. */
  readonly capacity: CapacitySettings;
  /**
   * Where the package is published: a `GuestContentStore`, or its outputs `packageContainerId`
   * and `blobEndpoint`. Required. The package blob is named by its SHA-256.
   */
  readonly store: GuestContentStoreReference;
  /**
   * Expiry of the read-only SAS on the package blob (ISO 8601), at most 366 (`PACKAGE_SAS_LIFETIME_DAYS.max`)
   * days ahead. Defaults to the last second of the month six months from now (stable within a
   * month; see `defaultPackageSasExpiry`).
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
  /** Name of the policy definition and assignment: 1–24 letters, digits or `-` (the assignment name limit at a management group). Defaults to `mailhost-tcp-tuning`. */
  readonly policyName?: string;
  /** Assignment enforcement: Default deploys, DoNotEnforce only reports. Defaults to Default. */
  readonly enforcementMode?: PolicyEnforcementMode;
}

/** What only TypeScript programs read (getters; see components/offInstance.ts). */
interface EstateParts {
  readonly tuningPlan: TuningPlan;
  readonly definition: authorization.PolicyDefinition | authorization.PolicyDefinitionAtManagementGroup;
  readonly prerequisites?: { assignment: authorization.PolicyAssignment; role: authorization.RoleAssignment };
  readonly remediation?: policyinsights.RemediationAtSubscription | policyinsights.RemediationAtManagementGroup;
}
const parts = new OffInstance<EstateTuningPolicy, EstateParts>();

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MANAGEMENT_GROUP_ID = /^[A-Za-z0-9_().-]{1,90}$/;
const POLICY_NAME = /^[A-Za-z0-9-]{1,24}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Last second (UTC) of the month six months after `now`: stable for a month, at most about seven months ahead. */
export function defaultPackageSasExpiry(now: Date = new Date()): string {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 7, 1) - 1000);
  return end.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** ARM ID of the scope: `/subscriptions/<id>` or `/providers/Microsoft.Management/managementGroups/<id>`. */
export function scopeId(scope: EstateScope): string {
  return scope.subscriptionId !== undefined
    ? `/subscriptions/${scope.subscriptionId}`
    : `/providers/Microsoft.Management/managementGroups/${scope.managementGroupId}`;
}

/** Problems with the inputs but the settings (which `planSettings` checks), each naming the input, the value and what is allowed. */
export function estateTuningProblems(args: EstateTuningPolicyArgs, now: Date = new Date()): string[] {
  const problems: string[] = [];
  const { subscriptionId, managementGroupId } = args.scope;
  if ((subscriptionId === undefined) === (managementGroupId === undefined))
    problems.push("scope must name exactly one of subscriptionId and managementGroupId");
  else if (subscriptionId !== undefined && !GUID.test(subscriptionId))
    problems.push(`scope.subscriptionId = ${JSON.stringify(subscriptionId)} is not a subscription ID (a GUID)`);
  else if (managementGroupId !== undefined && !MANAGEMENT_GROUP_ID.test(managementGroupId))
    problems.push(`scope.managementGroupId = ${JSON.stringify(managementGroupId)} must be 1–90 letters, digits, '-', '_', '(', ')' or '.'`);
  if (!TAG_NAME_PATTERN.test(args.tag.name)) problems.push(`tag.name = ${JSON.stringify(args.tag.name)} must be 1–512 characters without < > % & \\ ? /`);
  else if (args.tag.name.toLowerCase() === STACK_TAG)
    problems.push(
      `tag.name = ${JSON.stringify(args.tag.name)} is the stack tag, whose hosts the policy leaves to their stack; name the mail host tag of machines outside stacks`,
    );
  if (args.tag.value.length === 0 || args.tag.value.length > 256) problems.push(`tag.value = ${JSON.stringify(args.tag.value)} must be 1–256 characters`);
  problems.push(...storeReferenceProblems(args.store, false));
  const identity = args.identity;
  if (identity !== undefined) {
    if (!Object.values(EstateIdentityType).includes(identity.type))
      problems.push(`identity.type = ${JSON.stringify(identity.type)} is not allowed; allowed: ${Object.values(EstateIdentityType).join(", ")}`);
    else if (identity.type === EstateIdentityType.UserAssigned && (identity.id === undefined || identity.principalId === undefined))
      problems.push('identity.id and identity.principalId are required with identity.type = "UserAssigned"');
    else if (identity.type === EstateIdentityType.SystemAssigned && (identity.id !== undefined || identity.principalId !== undefined))
      problems.push('identity.id and identity.principalId are not allowed with identity.type = "SystemAssigned" (Azure creates that identity)');
  }
  if (args.enforcementMode !== undefined && !Object.values(PolicyEnforcementMode).includes(args.enforcementMode))
    problems.push(`enforcementMode = ${JSON.stringify(args.enforcementMode)} is not allowed; allowed: ${Object.values(PolicyEnforcementMode).join(", ")}`);
  const expiry = args.packageSasExpiry ?? defaultPackageSasExpiry(now);
  const expiresAt = Date.parse(expiry);
  if (Number.isNaN(expiresAt)) problems.push(`packageSasExpiry = ${JSON.stringify(expiry)} is not an ISO 8601 date`);
  else {
    const days = (expiresAt - now.getTime()) / DAY_MS;
    if (days < PACKAGE_SAS_LIFETIME_DAYS.min || days > PACKAGE_SAS_LIFETIME_DAYS.max)
      problems.push(`packageSasExpiry = ${JSON.stringify(expiry)} is ${Math.floor(days)} days ahead; allowed ${formatRange(PACKAGE_SAS_LIFETIME_DAYS)}`);
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

  /** The tuning assignment. */
  public readonly assignment: authorization.PolicyAssignment;
  /** Role assignments of the tuning assignment's identity (one per role the definition names). */
  public readonly roleAssignments: authorization.RoleAssignment[];
  /** ARM ID of the scope. */
  public readonly scopeId: string;
  /** ARM ID of the custom policy definition. */
  public readonly definitionId: pulumi.Output<string>;
  /** SHA-256 of the Machine Configuration package the machines apply, 64 upper-case hex characters. */
  public readonly contentHash: string;

  /** The validated values the package and the policy's `tuning` parameter carry. */
  get tuningPlan(): TuningPlan {
    return parts.of(this).tuningPlan;
  }
  /** The custom policy definition (subscription or management group). */
  get definition(): authorization.PolicyDefinition | authorization.PolicyDefinitionAtManagementGroup {
    return parts.of(this).definition;
  }
  /** The prerequisite initiative's assignment and its Contributor role, when created. */
  get prerequisites(): { assignment: authorization.PolicyAssignment; role: authorization.RoleAssignment } | undefined {
    return parts.of(this).prerequisites;
  }
  /** The remediation task, when asked. */
  get remediation(): policyinsights.RemediationAtSubscription | policyinsights.RemediationAtManagementGroup | undefined {
    return parts.of(this).remediation;
  }

  constructor(name: string, args: EstateTuningPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    rejectInvalid(EstateTuningPolicy.typeToken, name, estateTuningProblems(args), opts);
    // The values go through the stack config's validation (Machine Configuration is the
    // mechanism); the fleet part is a fixed valid placeholder, since this component creates no host.
    const plan = planSettings(
      EstateTuningPolicy.typeToken,
      name,
      "estate",
      {
        fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: [] },
        tcp: { ...args.tcp, tuning: TuningMechanism.MachineConfiguration },
        siteConfig: args.siteConfig,
        capacity: args.capacity,
        monitoring: { enabled: false },
      },
      {},
      opts,
    );
    const tuning = plan.tuning;
    super(EstateTuningPolicy.typeToken, name, {}, opts);
    const scope = scopeId(args.scope);
    this.scopeId = scope;
    const policyName = args.policyName ?? "mailhost-tcp-tuning";
    const store = storeAccess(args.store, this, EstateTuningPolicy.typeToken, name);
    const published = store.publishPackage(tuning);
    const location = store.location;
    this.contentHash = published.contentHash;

    const sas = storage.listStorageAccountServiceSASOutput(
      {
        resourceGroupName: location.resourceGroupName,
        accountName: location.accountName,
        canonicalizedResource: pulumi.interpolate`/blob/${location.accountName}/${location.containerName}/${published.blob.name}`,
        resource: storage.SignedResource.B,
        permissions: storage.Permissions.R,
        protocols: storage.HttpProtocol.Https,
        sharedAccessExpiryTime: args.packageSasExpiry ?? defaultPackageSasExpiry(),
      },
      { parent: this },
    );
    const contentUri = pulumi.secret(pulumi.interpolate`${published.contentUri}?${sas.serviceSasToken}`);

    const definitionArgs = {
      policyDefinitionName: policyName,
      displayName: "Mail hosts: TCP ephemeral-port tuning and SiteConfig.cfg (mailhost-iac)",
      description: `Creates the MailhostTcpTuning guest configuration assignment (ApplyAndAutoCorrect) on Windows Azure VMs and Arc-enabled servers tagged ${args.tag.name} = ${args.tag.value} that carry no ${STACK_TAG} tag.`,
      policyType: authorization.PolicyType.Custom,
      mode: "Indexed",
      metadata: contentUri.apply((uri) => estatePolicyMetadata({ contentUri: uri, contentHash: published.contentHash, tuning })),
      parameters: estatePolicyParameters({ tagName: args.tag.name, tagValue: args.tag.value, tuning }),
      policyRule: contentUri.apply((uri) => estatePolicyRule({ contentUri: uri, contentHash: published.contentHash, tuning })),
    };
    // Machines read the package as soon as the definition exists.
    const readyAfter = [published.blob];
    const definition =
      args.scope.subscriptionId !== undefined
        ? new authorization.PolicyDefinition(`${name}-definition`, definitionArgs, { parent: this, dependsOn: readyAfter })
        : new authorization.PolicyDefinitionAtManagementGroup(
            `${name}-definition`,
            { ...definitionArgs, managementGroupId: args.scope.managementGroupId! },
            { parent: this, dependsOn: readyAfter },
          );

    const identity = args.identity ?? { type: EstateIdentityType.SystemAssigned };
    this.assignment = new authorization.PolicyAssignment(
      `${name}-assignment`,
      {
        policyAssignmentName: policyName,
        scope,
        displayName: "Mail hosts: TCP ephemeral-port tuning (mailhost-iac)",
        policyDefinitionId: definition.id,
        location: args.location,
        enforcementMode: args.enforcementMode ?? "Default",
        identity:
          identity.type === "SystemAssigned"
            ? { type: authorization.ResourceIdentityType.SystemAssigned }
            : { type: authorization.ResourceIdentityType.UserAssigned, userAssignedIdentities: [identity.id!] },
        nonComplianceMessages: [{ message: `A ${args.tag.name} = ${args.tag.value} mail host lacks the MailhostTcpTuning assignment or drifted from it.` }],
      },
      { parent: this },
    );

    const principalId = identity.type === "SystemAssigned" ? this.assignment.identity.apply((i) => i?.principalId ?? "") : identity.principalId!;
    // The roles the definition names (roleDefinitionIds), at the scope the deployments run in.
    this.roleAssignments = [GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID].map(
      (role) =>
        new authorization.RoleAssignment(
          `${name}-role-${role.slice(0, 8)}`,
          {
            scope,
            principalId,
            principalType: authorization.PrincipalType.ServicePrincipal,
            roleDefinitionId: roleDefinitionIdAt(scope, role),
            description: "Azure Policy deploys the MailhostTcpTuning guest configuration assignments with this role.",
          },
          { parent: this },
        ),
    );

    let prerequisites: EstateParts["prerequisites"];
    if (args.prerequisites ?? true) {
      const assignment = new authorization.PolicyAssignment(
        `${name}-prerequisites`,
        {
          policyAssignmentName: `${policyName.slice(0, 19)}-preq`,
          scope,
          displayName: "Deploy prerequisites to enable Guest Configuration policies on virtual machines (mailhost-iac)",
          policyDefinitionId: GUEST_CONFIGURATION_PREREQUISITES_INITIATIVE_ID,
          location: args.location,
          identity: { type: authorization.ResourceIdentityType.SystemAssigned },
        },
        { parent: this },
      );
      const role = new authorization.RoleAssignment(
        `${name}-prerequisites-role`,
        {
          scope,
          principalId: assignment.identity.apply((i) => i?.principalId ?? ""),
          principalType: authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: roleDefinitionIdAt(scope, CONTRIBUTOR_ROLE_ID),
          description: "Microsoft's guest configuration prerequisites (system-assigned identity, guest configuration extension) deploy with this role.",
        },
        { parent: this },
      );
      prerequisites = { assignment, role };
    }

    let remediation: EstateParts["remediation"];
    if (args.remediate ?? false) {
      const remediationArgs = {
        // A new package is a new remediation task: the name carries the package hash.
        remediationName: `${policyName}-${published.contentHash.slice(0, 12).toLowerCase()}`,
        policyAssignmentId: this.assignment.id,
        resourceDiscoveryMode: policyinsights.ResourceDiscoveryMode.ReEvaluateCompliance,
      };
      const after = { parent: this, dependsOn: [...this.roleAssignments, ...(prerequisites ? [prerequisites.role] : [])] };
      remediation =
        args.scope.subscriptionId !== undefined
          ? new policyinsights.RemediationAtSubscription(`${name}-remediation`, remediationArgs, after)
          : new policyinsights.RemediationAtManagementGroup(
              `${name}-remediation`,
              { ...remediationArgs, managementGroupId: args.scope.managementGroupId!, managementGroupsNamespace: "Microsoft.Management" },
              after,
            );
    }

    parts.set(this, { tuningPlan: tuning, definition, prerequisites, remediation });
    this.definitionId = definition.id;
    this.registerOutputs({
      definition,
      assignment: this.assignment,
      roleAssignments: this.roleAssignments,
      prerequisites: prerequisites?.assignment,
      remediation,
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
