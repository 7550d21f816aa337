import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import type * as types from "@pulumi/azure-native/types";
import { VM_SIZE_PATTERN, type WindowsVersion } from "../domain/config";
import { type PublishedArchive } from "../domain/guestContent";
import { WINDOWS_COMPUTER_NAME_MAX_LENGTH } from "../domain/limits";
import { type HostPlan, type TuningPlan } from "../domain/plan";
import { DSC_EXTENSION_NAME, DscTuning } from "./DscTuning";
import { type MachineConfigurationContent, MachineConfigurationTuning } from "./MachineConfigurationTuning";
import { RunCommandTuning } from "./RunCommandTuning";
import { rejectInvalid, tuningProblems } from "./validation";

/** Windows Server Datacenter Azure Edition images (Gen2, Trusted Launch capable). */
export const WINDOWS_IMAGES: Record<WindowsVersion, types.input.compute.ImageReferenceArgs> = {
  "2022": { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2022-datacenter-azure-edition", version: "latest" },
  "2025": { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2025-datacenter-azure-edition", version: "latest" },
};

/** Where the DSC configuration archive is; needed when `tuning.mechanism` is "dsc". */
export interface DscArchive {
  /** Blob URL of the zip, without a SAS token. */
  readonly url: pulumi.Input<string>;
  /** SAS token (with leading `?`) that reads it; kept secret. */
  readonly sasToken: pulumi.Input<string>;
  /** The archive at `url` (part of the DSC re-apply trigger). Defaults to the archive built from this package's guest files. */
  readonly archive?: PublishedArchive;
}

export interface WindowsMailHostArgs {
  /** Resource group for the NIC, VM and tuning. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region. Defaults to the provider's location. */
  readonly location?: pulumi.Input<string>;
  /** Subnet of the host's NIC. The NIC never gets a public IP. */
  readonly subnetId: pulumi.Input<string>;
  /**
   * Name, computer name and zone of the host (see `planFleet`). The zone applies when the VM is
   * created; an existing VM keeps its own (the VM ignores later changes to `zones`).
   */
  readonly host: HostPlan;
  /** Azure VM size; must support Gen2 and Trusted Launch. */
  readonly vmSize: string;
  /** Windows Server version. Defaults to "2022"; "2025" only with run-command or Machine Configuration tuning (the DSC extension's OS list ends at 2022). */
  readonly windowsVersion?: WindowsVersion;
  /** Local administrator name. */
  readonly adminUsername: string;
  /** Local administrator password. Always stored as a Pulumi secret. */
  readonly adminPassword: pulumi.Input<string>;
  /** Tuning to apply; validated before anything is created. */
  readonly tuning: TuningPlan;
  /** The DSC configuration archive; required when `tuning.mechanism` is "dsc". */
  readonly dscArchive?: DscArchive;
  /** The published Machine Configuration package; required when `tuning.mechanism` is "machineConfiguration". */
  readonly machineConfiguration?: MachineConfigurationContent;
  /** OS disk type. Defaults to "StandardSSD_LRS", which every size supports. */
  readonly osDiskType?: compute.StorageAccountTypes;
  /** Encryption at host; needs the subscription feature EncryptionAtHost. Defaults to false. */
  readonly encryptionAtHost?: boolean;
  /** Azure tags. Defaults to none. */
  readonly tags?: Record<string, string>;
  /** Azure Monitor on this host: the agent and an association with this data collection rule. Defaults to none. */
  readonly monitoring?: HostMonitoringArgs;
}

/** Azure Monitor on one host. */
export interface HostMonitoringArgs {
  /** ARM id of the stack's data collection rule. */
  readonly dataCollectionRuleId: pulumi.Input<string>;
  /** Name of the association (unique per VM; the same on every host). */
  readonly associationName: string;
}

/** Azure Monitor Agent for Windows: publisher, type and handler version of Microsoft's ARM sample (minor versions and new builds install themselves). */
export const AZURE_MONITOR_AGENT = { publisher: "Microsoft.Azure.Monitor", type: "AzureMonitorWindowsAgent", typeHandlerVersion: "1.0" } as const;

/**
 * The agent's extension as every VM gets it, a stack's host or a VM that exists already: named by
 * its type, minor versions and new builds installed automatically, no settings (the VM's
 * system-assigned identity authenticates the agent).
 */
export const AZURE_MONITOR_AGENT_EXTENSION = {
  vmExtensionName: AZURE_MONITOR_AGENT.type,
  publisher: AZURE_MONITOR_AGENT.publisher,
  type: AZURE_MONITOR_AGENT.type,
  typeHandlerVersion: AZURE_MONITOR_AGENT.typeHandlerVersion,
  autoUpgradeMinorVersion: true,
  enableAutomaticUpgrade: true,
} as const;

/**
 * One Windows mail host: a NIC without public IP, a Trusted Launch VM (secure boot, vTPM) with a
 * system-assigned identity and boot diagnostics, and exactly one tuning child (DSC extension or
 * run command) that sets the TCP ephemeral-port values and writes SiteConfig.cfg.
 */
export class WindowsMailHost extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:WindowsMailHost";

  public readonly networkInterface: network.NetworkInterface;
  public readonly virtualMachine: compute.VirtualMachine;
  /** The tuning child: `DscTuning`, `RunCommandTuning` or `MachineConfigurationTuning`. */
  public readonly tuning: DscTuning | RunCommandTuning | MachineConfigurationTuning;
  /**
   * The VM's extensions in the order they are provisioned, the managed run command included (it
   * runs through the Run Command handler extension): each depends on the one before, because
   * Azure rejects concurrent extension operations on one VM. A new extension depends on the last.
   */
  public readonly extensions: readonly pulumi.CustomResource[];
  /** Private IP address of the host. */
  public readonly privateIpAddress: pulumi.Output<string | undefined>;
  /** The Azure Monitor Agent extension, when monitored. */
  public readonly monitoringAgent?: compute.VirtualMachineExtension;
  /** The host's association with the stack's data collection rule, when monitored. */
  public readonly dataCollectionRuleAssociation?: monitor.DataCollectionRuleAssociation;

  constructor(name: string, args: WindowsMailHostArgs, opts?: pulumi.ComponentResourceOptions) {
    const windowsVersion = args.windowsVersion ?? "2022";
    const problems = tuningProblems(args.tuning);
    if (!new RegExp(VM_SIZE_PATTERN).test(args.vmSize))
      problems.push(`vmSize = ${JSON.stringify(args.vmSize)} is not an Azure VM size such as Standard_D4s_v5`);
    if (!(windowsVersion in WINDOWS_IMAGES))
      problems.push(`windowsVersion = ${JSON.stringify(windowsVersion)} is not one of ${Object.keys(WINDOWS_IMAGES).join(", ")}`);
    if (args.tuning.mechanism === "dsc" && windowsVersion !== "2022")
      problems.push(`windowsVersion = "${windowsVersion}" is not supported by the DSC extension; use run-command tuning`);
    if (args.tuning.mechanism === "dsc" && args.dscArchive === undefined) problems.push("dscArchive is required with DSC tuning");
    if (args.tuning.mechanism === "machineConfiguration" && args.machineConfiguration === undefined)
      problems.push("machineConfiguration (the published package) is required with Machine Configuration tuning");
    if (args.monitoring !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(args.monitoring.associationName))
      problems.push(`monitoring.associationName = ${JSON.stringify(args.monitoring.associationName)} is not a valid association name`);
    if (args.host.computerName.length > WINDOWS_COMPUTER_NAME_MAX_LENGTH)
      problems.push(`host.computerName = ${JSON.stringify(args.host.computerName)} is longer than ${WINDOWS_COMPUTER_NAME_MAX_LENGTH} characters`);
    rejectInvalid(WindowsMailHost.typeToken, name, problems, opts);
    super(WindowsMailHost.typeToken, name, {}, opts);

    this.networkInterface = new network.NetworkInterface(
      `${name}-nic`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        networkInterfaceName: `nic-${args.host.name}`,
        ipConfigurations: [
          {
            name: "ipconfig1",
            subnet: { id: args.subnetId },
            privateIPAllocationMethod: network.IPAllocationMethod.Dynamic,
            primary: true,
          },
        ],
        tags: args.tags,
      },
      { parent: this },
    );

    this.virtualMachine = new compute.VirtualMachine(
      `${name}-vm`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        vmName: args.host.name,
        zones: args.host.zone === undefined ? undefined : [args.host.zone],
        hardwareProfile: { vmSize: args.vmSize },
        osProfile: {
          computerName: args.host.computerName,
          adminUsername: args.adminUsername,
          adminPassword: pulumi.secret(args.adminPassword),
          windowsConfiguration: {
            provisionVMAgent: true,
            enableAutomaticUpdates: true,
            patchSettings: { patchMode: compute.WindowsVMGuestPatchMode.AutomaticByPlatform },
          },
        },
        storageProfile: {
          imageReference: WINDOWS_IMAGES[windowsVersion],
          osDisk: {
            createOption: compute.DiskCreateOptionTypes.FromImage,
            caching: compute.CachingTypes.ReadWrite,
            deleteOption: compute.DiskDeleteOptionTypes.Delete,
            managedDisk: { storageAccountType: args.osDiskType ?? compute.StorageAccountTypes.StandardSSD_LRS },
          },
        },
        networkProfile: {
          networkInterfaces: [{ id: this.networkInterface.id, primary: true, deleteOption: compute.DeleteOptions.Delete }],
        },
        securityProfile: {
          securityType: compute.SecurityTypes.TrustedLaunch,
          uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
          encryptionAtHost: args.encryptionAtHost ?? false,
        },
        // The guest configuration agent authenticates with the system-assigned identity; the package
        // is read with the user-assigned one.
        identity:
          args.tuning.mechanism === "machineConfiguration"
            ? { type: compute.ResourceIdentityType.SystemAssigned_UserAssigned, userAssignedIdentities: [args.machineConfiguration!.identityId] }
            : { type: compute.ResourceIdentityType.SystemAssigned },
        diagnosticsProfile: { bootDiagnostics: { enabled: true } },
        tags: args.tags,
      },
      {
        parent: this,
        // Azure fixes a VM's zone at creation (a change would replace the host). The zone comes from
        // `fleet.zones`, which users edit (add a zone, reorder): the VM keeps the zone it was created
        // in, and `mailhost reboot` and the stack output read that real zone from Azure.
        ignoreChanges: ["zones"],
      },
    );

    const tuningArgs = {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      vmName: this.virtualMachine.name,
      tuning: args.tuning,
      tags: args.tags,
    };
    const tuningOpts = { parent: this, dependsOn: [this.virtualMachine] };
    let chain: pulumi.CustomResource[];
    switch (args.tuning.mechanism) {
      case "dsc": {
        const dsc = new DscTuning(
          `${name}-tuning`,
          {
            ...tuningArgs,
            configurationUrl: args.dscArchive!.url,
            configurationUrlSasToken: args.dscArchive!.sasToken,
            archive: args.dscArchive!.archive,
          },
          tuningOpts,
        );
        this.tuning = dsc;
        chain = [dsc.extension];
        break;
      }
      case "runCommand": {
        const runCommand = new RunCommandTuning(`${name}-tuning`, tuningArgs, tuningOpts);
        this.tuning = runCommand;
        chain = [runCommand.runCommand];
        break;
      }
      case "machineConfiguration": {
        const machineConfiguration = new MachineConfigurationTuning(
          `${name}-tuning`,
          {
            ...tuningArgs,
            content: args.machineConfiguration!,
          },
          tuningOpts,
        );
        this.tuning = machineConfiguration;
        chain = [machineConfiguration.extension!];
        break;
      }
    }

    if (args.monitoring) {
      // Azure runs one extension operation per VM at a time: the agent goes after the tuning and
      // the last extension before it, by dependsOn (any tuning mechanism) and, for the DSC
      // extension, provisionAfterExtensions.
      this.monitoringAgent = new compute.VirtualMachineExtension(
        `${name}-ama`,
        {
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          vmName: this.virtualMachine.name,
          ...AZURE_MONITOR_AGENT_EXTENSION,
          provisionAfterExtensions: this.tuning instanceof DscTuning ? [DSC_EXTENSION_NAME] : undefined,
          tags: args.tags,
        },
        { parent: this, dependsOn: [this.tuning, chain[chain.length - 1]] },
      );
      chain.push(this.monitoringAgent);
      this.dataCollectionRuleAssociation = new monitor.DataCollectionRuleAssociation(
        `${name}-dcra`,
        {
          resourceUri: this.virtualMachine.id,
          associationName: args.monitoring.associationName,
          dataCollectionRuleId: args.monitoring.dataCollectionRuleId,
          description: "Sends this mail host's Tcpip port-exhaustion events and TCP counters to the stack's workspace.",
        },
        { parent: this },
      );
    }

    this.extensions = chain;
    this.privateIpAddress = this.networkInterface.ipConfigurations.apply((configs) => configs?.[0]?.privateIPAddress);

    this.registerOutputs({
      networkInterface: this.networkInterface,
      virtualMachine: this.virtualMachine,
      tuning: this.tuning,
      extensions: this.extensions,
      privateIpAddress: this.privateIpAddress,
      monitoringAgent: this.monitoringAgent,
      dataCollectionRuleAssociation: this.dataCollectionRuleAssociation,
    });
  }
}
