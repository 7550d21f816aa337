import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import { type PublishedArchive } from "../domain/guestContent";
import { type TuningPlan, tuningArguments } from "../domain/plan";
import { dscTrigger } from "./guestContent";
import { DSC_CONFIGURATION } from "./guestScripts";
import { rejectInvalid, tuningProblems } from "./validation";

/** Name of the DSC extension on the VM (other extensions order themselves after it by this name). */
export const DSC_EXTENSION_NAME = "Microsoft.Powershell.DSC";

/** Newest 2.x handler of the Azure DSC extension. */
export const DSC_TYPE_HANDLER_VERSION = "2.83";

export interface DscTuningArgs {
  /** Resource group of the VM. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region. Defaults to the provider's location. */
  readonly location?: pulumi.Input<string>;
  /** Name of the VM to tune. */
  readonly vmName: pulumi.Input<string>;
  /** Values to apply; validated against the limits module before anything is created. */
  readonly tuning: TuningPlan;
  /**
   * URL of the configuration archive (a zip of `guest/dsc/MailhostTuning.ps1` and the
   * `MailhostTcpTuning` module folder), without a SAS token. Publish each archive at an address of
   * its own (`MailSite` names the blob by the archive's SHA-256).
   */
  readonly configurationUrl: pulumi.Input<string>;
  /**
   * The archive served at `configurationUrl`: its files are part of the re-apply trigger.
   * Defaults to the archive built from this package's guest files (`buildDscArchive()`).
   */
  readonly archive?: PublishedArchive;
  /** SAS token (starting with `?`) that reads the archive. Always stored as a secret, in protected settings only. */
  readonly configurationUrlSasToken: pulumi.Input<string>;
  /** Extension handler version. Defaults to "2.83" (minor versions auto-upgrade). */
  readonly typeHandlerVersion?: string;
  /** Azure tags. Defaults to none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * TCP port tuning and SiteConfig.cfg through the Azure DSC extension (`Microsoft.Powershell`/`DSC`)
 * applying the static configuration `MailhostTuning` with LCM `ApplyAndAutoCorrect`: the host
 * corrects drift by itself. The hash of everything the extension sends (every file of the
 * archive, the module included, and the arguments; `dscManifest`) goes into `forceUpdateTag`, so
 * any change that reaches the hosts re-applies it and nothing else does.
 */
export class DscTuning extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:DscTuning";

  /** The DSC VM extension. */
  public readonly extension: compute.VirtualMachineExtension;
  /** Hash of the archive's files and the arguments (the extension's `forceUpdateTag`). */
  public readonly contentHash: string;

  constructor(name: string, args: DscTuningArgs, opts?: pulumi.ComponentResourceOptions) {
    rejectInvalid(DscTuning.typeToken, name, tuningProblems(args.tuning), opts);
    super(DscTuning.typeToken, name, {}, opts);

    const configurationArguments = tuningArguments(args.tuning);
    this.contentHash = dscTrigger(args.tuning, args.archive);

    this.extension = new compute.VirtualMachineExtension(
      `${name}-dsc`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        vmName: args.vmName,
        vmExtensionName: DSC_EXTENSION_NAME,
        publisher: "Microsoft.Powershell",
        type: "DSC",
        typeHandlerVersion: args.typeHandlerVersion ?? DSC_TYPE_HANDLER_VERSION,
        autoUpgradeMinorVersion: true,
        forceUpdateTag: this.contentHash,
        settings: {
          wmfVersion: "latest",
          configuration: {
            url: args.configurationUrl,
            script: DSC_CONFIGURATION.script,
            function: DSC_CONFIGURATION.function,
          },
          configurationArguments,
          privacy: { dataCollection: "Disable" },
        },
        protectedSettings: pulumi.secret({ configurationUrlSasToken: args.configurationUrlSasToken }),
        tags: args.tags,
      },
      { parent: this },
    );

    this.registerOutputs({ extension: this.extension, contentHash: this.contentHash });
  }
}
