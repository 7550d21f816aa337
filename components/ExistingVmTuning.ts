import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import { type TuningPlan } from "../domain/plan";
import { DscTuning } from "./DscTuning";
import { type GuestContentStoreReference, storeAccess, storeReferenceProblems } from "./GuestContentStore";
import { MachineConfigurationTuning, SYSTEM_ASSIGNED_CONTENT_IDENTITY } from "./MachineConfigurationTuning";
import { RunCommandTuning } from "./RunCommandTuning";
import { OffInstance } from "./offInstance";
import { type CapacitySettings, type SiteConfigSettings, type TcpSettings, TuningMechanism, planSettings } from "./settings";
import { rejectInvalid } from "./validation";

/** ARM id of a virtual machine: subscription, resource group and name. */
export const VM_RESOURCE_ID_PATTERN =
  /^\/subscriptions\/([0-9A-Fa-f-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.Compute\/virtualMachines\/([A-Za-z0-9][-\w.]{0,63})$/i;

export interface ExistingVmTuningArgs {
  /**
   * ARM id of the Windows VM to tune, `/subscriptions/<id>/resourceGroups/<group>/providers/
   * Microsoft.Compute/virtualMachines/<name>`. Required. The VM may belong to another program;
   * nothing on the VM resource itself changes (tuning is added as extensions, a run command or an
   * assignment). With "machineConfiguration" it must have a system-assigned identity (Machine
   * Configuration needs one anyway).
   */
  readonly vmId: pulumi.Input<string>;
  /** Region of the VM. Defaults to the VM's own region, read from Azure. */
  readonly location?: pulumi.Input<string>;
  /** TCP tuning (`tuning` picks the mechanism). Required. Validated when the component is constructed. */
  readonly tcp: TcpSettings;
  /** SiteConfig.cfg on the VM. Required. Validated when the component is constructed. */
  readonly siteConfig: SiteConfigSettings;
  /** Planned load on this VM; decides the `MailboxCacheTTL` floor. Required. */
  readonly capacity: CapacitySettings;
  /**
   * Where the guest content lives: a `GuestContentStore`, or its outputs `packageContainerId`,
   * `blobEndpoint` and (for "dsc") `dscArchiveUrl`. Required with "dsc" and "machineConfiguration",
   * ignored with "runCommand" (the script travels inside the run command). One store serves any
   * number of VMs.
   */
  readonly store?: GuestContentStoreReference;
  /**
   * Principal id of the VM's system-assigned identity, which gets Storage Blob Data Reader on the
   * store's package container ("machineConfiguration" only). Defaults to the one Azure reports for the VM.
   */
  readonly principalId?: pulumi.Input<string>;
  /**
   * Install the guest configuration extension ("machineConfiguration" only). Defaults to true;
   * false for a VM that already has `AzurePolicyforWindows`.
   */
  readonly installGuestConfigurationExtension?: boolean;
  /** Azure tags on what this component creates. Defaults to none. */
  readonly tags?: Record<string, string>;
}

/** What only TypeScript programs read (getters; see components/offInstance.ts). */
interface TuningParts {
  readonly tuningPlan: TuningPlan;
  readonly tuning: RunCommandTuning | DscTuning | MachineConfigurationTuning;
}
const parts = new OffInstance<ExistingVmTuning, TuningParts>();

/** Resource group and name of a VM from its ARM id (empty when the id is malformed; rejected up front when known). */
function vmParts(vmId: string): { resourceGroupName: string; vmName: string } {
  const match = VM_RESOURCE_ID_PATTERN.exec(vmId);
  return { resourceGroupName: match?.[2] ?? "", vmName: match?.[3] ?? "" };
}

/**
 * TCP ephemeral-port tuning and the SiteConfig.cfg floor for a Windows VM that already exists,
 * by any of the three mechanisms:
 * - "runCommand": a managed run command with the static tuning script (no store needed);
 * - "dsc": the DSC extension applying the store's configuration archive (read with a read-only SAS
 *   in the extension's protected settings);
 * - "machineConfiguration": the guest configuration extension and an `ApplyAndAutoCorrect`
 *   assignment of the package the store publishes for these values; the VM reads the package with
 *   its own system-assigned identity, granted Storage Blob Data Reader on the package container
 *   (`contentManagedIdentity: "system"`), so no SAS and no user-assigned identity is needed, and a
 *   VM created by another program can be tuned without changing the VM resource.
 */
export class ExistingVmTuning extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:ExistingVmTuning";

  /** The mechanism the VM is tuned by. */
  public readonly mechanism: TuningMechanism;
  /** The `MailboxCacheTTL` floor the VM is held to, seconds: the larger of the configured floor and the capacity model's minimum. */
  public readonly effectiveTtlFloor: number;

  /** What the VM is tuned to (validated). */
  get tuningPlan(): TuningPlan {
    return parts.of(this).tuningPlan;
  }
  /** The mechanism's component. */
  get tuning(): RunCommandTuning | DscTuning | MachineConfigurationTuning {
    return parts.of(this).tuning;
  }

  constructor(name: string, args: ExistingVmTuningArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    if (typeof args.vmId === "string" && !VM_RESOURCE_ID_PATTERN.test(args.vmId))
      problems.push(
        `vmId = ${JSON.stringify(args.vmId)} is not a virtual machine's ARM id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name>)`,
      );
    if (args.tcp.tuning !== TuningMechanism.RunCommand && args.store === undefined) problems.push(`store is required with tcp.tuning = "${args.tcp.tuning}"`);
    if (args.tcp.tuning !== TuningMechanism.RunCommand && args.store !== undefined)
      problems.push(...storeReferenceProblems(args.store, args.tcp.tuning === TuningMechanism.Dsc));
    rejectInvalid(ExistingVmTuning.typeToken, name, problems, opts);
    // The tuned values and SiteConfig go through the stack config's validation; the fleet part
    // is a fixed valid placeholder, since this component creates no host.
    const plan = planSettings(
      ExistingVmTuning.typeToken,
      name,
      "existing",
      {
        fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: [] },
        tcp: args.tcp,
        siteConfig: args.siteConfig,
        capacity: args.capacity,
        monitoring: { enabled: false },
      },
      {},
      opts,
    );
    super(ExistingVmTuning.typeToken, name, {}, opts);
    this.mechanism = plan.tuning.mechanism;
    this.effectiveTtlFloor = plan.tuning.effectiveTtlFloor;

    const vmId = pulumi.output(args.vmId);
    const resourceGroupName = vmId.apply((id) => vmParts(id).resourceGroupName);
    const vmName = vmId.apply((id) => vmParts(id).vmName);
    const needsLookup = args.location === undefined || (args.tcp.tuning === "machineConfiguration" && args.principalId === undefined);
    const vm = needsLookup ? compute.getVirtualMachineOutput({ resourceGroupName, vmName }, { parent: this }) : undefined;
    const location = args.location ?? vm!.location;
    const common = { resourceGroupName, location, vmName, tuning: plan.tuning, tags: args.tags };

    let tuning: RunCommandTuning | DscTuning | MachineConfigurationTuning;
    switch (plan.tuning.mechanism) {
      case "runCommand":
        tuning = new RunCommandTuning(`${name}-tuning`, common, { parent: this });
        break;
      case "dsc": {
        const archive = storeAccess(args.store!, this, ExistingVmTuning.typeToken, name).dscArchive();
        tuning = new DscTuning(
          `${name}-tuning`,
          { ...common, configurationUrl: archive.url, configurationUrlSasToken: archive.sasToken, archive: archive.archive },
          { parent: this },
        );
        break;
      }
      case "machineConfiguration": {
        const store = storeAccess(args.store!, this, ExistingVmTuning.typeToken, name);
        const published = store.publishPackage(plan.tuning);
        const principalId = args.principalId ?? vm!.apply((v) => v.identity?.principalId ?? "");
        const reader = store.grantPackageReader(name, principalId);
        tuning = new MachineConfigurationTuning(
          `${name}-tuning`,
          {
            ...common,
            installExtension: args.installGuestConfigurationExtension ?? true,
            content: {
              contentUri: published.contentUri,
              contentHash: published.contentHash,
              identityId: SYSTEM_ASSIGNED_CONTENT_IDENTITY,
              readyAfter: [published.blob, reader],
            },
          },
          { parent: this },
        );
        break;
      }
    }
    parts.set(this, { tuningPlan: plan.tuning, tuning });
    this.registerOutputs({ tuning, mechanism: plan.tuning.mechanism });
  }
}
