import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as guestconfiguration from "@pulumi/azure-native/guestconfiguration";
import { MAILHOST_TCP_TUNING, assignmentParameters } from "../domain/machineConfiguration";
import { type TuningPlan } from "../domain/plan";
import { rejectInvalid, tuningProblems } from "./validation";

/**
 * Guest configuration extension handler version: what the built-in policy "Deploy the Windows
 * Guest Configuration extension" (Azure/azure-policy, DeployExtensionWindows_Prerequisite.json,
 * v1.4.0) deploys. Minor versions and agent builds upgrade automatically.
 */
export const GUEST_CONFIGURATION_TYPE_HANDLER_VERSION = "1.1";
/** Extension instance name that built-in Azure Policy definitions expect. */
export const GUEST_CONFIGURATION_EXTENSION_NAME = "AzurePolicyforWindows";

/**
 * `contentManagedIdentity` value that makes the agent read the package with the VM's
 * system-assigned identity (what the GuestConfiguration module 4.9.0+ writes; agent 1.29.97 and
 * later, which the extension's automatic upgrade installs).
 */
export const SYSTEM_ASSIGNED_CONTENT_IDENTITY = "system";

/** A published package: where it is, its hash, and the identity that reads it. */
export interface MachineConfigurationContent {
  /** HTTPS blob URL of the package zip, without a SAS token; when given as a plain string it must carry `contentHash` (a new package is a new blob). */
  readonly contentUri: pulumi.Input<string>;
  /** SHA-256 of the zip, 64 upper-case hex characters. */
  readonly contentHash: string;
  /**
   * Who reads the blob (Storage Blob Data Reader on its container): the resource ID of a
   * user-assigned identity the VM carries, or {@link SYSTEM_ASSIGNED_CONTENT_IDENTITY} for the VM's
   * own system-assigned identity.
   */
  readonly identityId: pulumi.Input<string>;
  /** Resources that must exist before a host reads the package (the blob and the role assignment). */
  readonly readyAfter: readonly pulumi.Resource[];
}

export interface MachineConfigurationTuningArgs {
  /** Resource group of the VM. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region of the VM. Defaults to the provider's location. */
  readonly location?: pulumi.Input<string>;
  /** Name of the VM to tune. It must have a system-assigned identity and the package's user-assigned identity. */
  readonly vmName: pulumi.Input<string>;
  /** Values to apply; validated against the limits module before anything is created. */
  readonly tuning: TuningPlan;
  /** The published package (see `MailSite`). */
  readonly content: MachineConfigurationContent;
  /** Extensions of the same VM that must be provisioned first (Azure rejects concurrent extension operations on one VM). Defaults to none. */
  readonly provisionAfter?: readonly pulumi.Resource[];
  /**
   * Install the guest configuration extension `AzurePolicyforWindows`. Defaults to true; set false
   * for a VM that already has it (for instance deployed by the built-in Azure Policy).
   */
  readonly installExtension?: boolean;
  /** Guest configuration extension handler version. Defaults to "1.1". */
  readonly typeHandlerVersion?: string;
  /** Azure tags on the extension (assignments take none). Defaults to none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const UPPER_HEX_SHA256 = /^[0-9A-F]{64}$/;

/**
 * TCP port tuning and SiteConfig.cfg through Azure Machine Configuration: the guest configuration
 * extension (`Microsoft.GuestConfiguration`/`ConfigurationforWindows`, named
 * `AzurePolicyforWindows`, automatic upgrade) and one guest configuration assignment
 * `MailhostTcpTuning` (`ApplyAndAutoCorrect`) of the package built from the plan. The agent
 * downloads the package with the user-assigned identity (`contentManagedIdentity`), checks it
 * every 15 minutes and corrects drift; the assignment's `configurationParameter` carries every
 * tuned value as a string (`[MailhostTcpTuning]MailhostTcpTuning;<Property>`). Never reboots.
 */
export class MachineConfigurationTuning extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:MachineConfigurationTuning";

  /** The guest configuration extension (absent with `installExtension: false`). */
  public readonly extension?: compute.VirtualMachineExtension;
  /** The guest configuration assignment `MailhostTcpTuning`. */
  public readonly assignment: guestconfiguration.GuestConfigurationAssignment;
  /** SHA-256 of the package (upper-case hex): the assignment's `contentHash`. */
  public readonly contentHash: string;

  constructor(name: string, args: MachineConfigurationTuningArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = tuningProblems(args.tuning);
    if (!UPPER_HEX_SHA256.test(args.content.contentHash))
      problems.push(`content.contentHash = ${JSON.stringify(args.content.contentHash)} must be the package's SHA-256 as 64 upper-case hex characters`);
    if (typeof args.content.contentUri === "string" && !/^https:\/\/[^\s?#]+$/.test(args.content.contentUri)) {
      problems.push(
        `content.contentUri = ${JSON.stringify(args.content.contentUri)} must be an https URL without a query (the hosts read it with a managed identity, not a SAS)`,
      );
    }
    // Content checked by hash lives at an address derived from the hash: other bytes, another URL.
    if (typeof args.content.contentUri === "string" && !args.content.contentUri.toUpperCase().includes(args.content.contentHash.toUpperCase())) {
      problems.push(
        `content.contentUri = ${JSON.stringify(args.content.contentUri)} must carry the package's contentHash (e.g. MailhostTcpTuning-${args.content.contentHash}.zip), so that a new package is never published over one that hosts still read`,
      );
    }
    rejectInvalid(MachineConfigurationTuning.typeToken, name, problems, opts);
    super(MachineConfigurationTuning.typeToken, name, {}, opts);
    this.contentHash = args.content.contentHash;

    this.extension =
      args.installExtension === false
        ? undefined
        : new compute.VirtualMachineExtension(
            `${name}-gc`,
            {
              resourceGroupName: args.resourceGroupName,
              location: args.location,
              vmName: args.vmName,
              vmExtensionName: GUEST_CONFIGURATION_EXTENSION_NAME,
              publisher: "Microsoft.GuestConfiguration",
              type: "ConfigurationforWindows",
              typeHandlerVersion: args.typeHandlerVersion ?? GUEST_CONFIGURATION_TYPE_HANDLER_VERSION,
              autoUpgradeMinorVersion: true,
              enableAutomaticUpgrade: true,
              settings: {},
              tags: args.tags,
            },
            { parent: this, dependsOn: [...(args.provisionAfter ?? [])] },
          );

    this.assignment = new guestconfiguration.GuestConfigurationAssignment(
      `${name}-assignment`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        vmName: args.vmName,
        // The agent keys on guestConfiguration.name; the docs want the assignment named the same.
        name: MAILHOST_TCP_TUNING.configurationName,
        guestConfigurationAssignmentName: MAILHOST_TCP_TUNING.configurationName,
        properties: {
          context: "mailhost-iac",
          guestConfiguration: {
            name: MAILHOST_TCP_TUNING.configurationName,
            version: MAILHOST_TCP_TUNING.packageVersion,
            contentUri: args.content.contentUri,
            contentHash: args.content.contentHash,
            contentManagedIdentity: args.content.identityId,
            assignmentType: guestconfiguration.AssignmentType.ApplyAndAutoCorrect,
            configurationParameter: assignmentParameters(args.tuning),
          },
        },
      },
      { parent: this, dependsOn: [...(this.extension === undefined ? (args.provisionAfter ?? []) : [this.extension]), ...args.content.readyAfter] },
    );

    this.registerOutputs({ extension: this.extension, assignment: this.assignment, contentHash: this.contentHash });
  }
}
