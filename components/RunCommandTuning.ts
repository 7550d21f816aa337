import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import { type TuningPlan } from "../domain/plan";
import { runCommandContent } from "./guestContent";
import { rejectInvalid, tuningProblems } from "./validation";

/** Default time the run command may take. */
export const RUN_COMMAND_TIMEOUT_SECONDS = 900;

export interface RunCommandTuningArgs {
  /** Resource group of the VM. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region. Defaults to the provider's location. */
  readonly location?: pulumi.Input<string>;
  /** Name of the VM to tune. */
  readonly vmName: pulumi.Input<string>;
  /** Values to apply; validated against the limits module before anything is created. */
  readonly tuning: TuningPlan;
  /** Seconds the script may run. Defaults to 900. */
  readonly timeoutInSeconds?: number;
  /** Azure tags. Defaults to none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * TCP port tuning and SiteConfig.cfg through a managed Run Command running the static,
 * idempotent `guest/runcommand/Set-MailhostTuning.ps1`. Values are string parameters passed as
 * named arguments on a Windows command line, so numbers travel as plain digits and the
 * SiteConfig.cfg path and text as base64url (`SiteConfigPathBase64Url`, `SiteConfigContentBase64Url`),
 * decoded and SHA-256-verified by the script; a `ContentHash` parameter makes Azure re-run it
 * whenever anything changes.
 * Unlike DSC it does not correct drift by itself: use `mailhost drift --remediate`.
 */
export class RunCommandTuning extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:RunCommandTuning";

  /** The managed run command. */
  public readonly runCommand: compute.VirtualMachineRunCommandByVirtualMachine;
  /** Hash of the script text sent and the arguments (also passed as the `ContentHash` parameter). */
  public readonly contentHash: string;

  constructor(name: string, args: RunCommandTuningArgs, opts?: pulumi.ComponentResourceOptions) {
    const timeout = args.timeoutInSeconds ?? RUN_COMMAND_TIMEOUT_SECONDS;
    const problems = tuningProblems(args.tuning);
    if (!Number.isInteger(timeout) || timeout <= 0) problems.push(`timeoutInSeconds = ${timeout} must be a positive whole number`);
    rejectInvalid(RunCommandTuning.typeToken, name, problems, opts);
    super(RunCommandTuning.typeToken, name, {}, opts);

    // Numbers as digits, the SiteConfig.cfg path and text as base64url: Run Command passes these
    // on a Windows command line, where anything else would be split or eaten. ContentHash is the
    // hash of the script text (only the module functions it uses) and the arguments.
    const { script, parameters, trigger } = runCommandContent(args.tuning);
    this.contentHash = trigger;

    this.runCommand = new compute.VirtualMachineRunCommandByVirtualMachine(
      `${name}-runcmd`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        vmName: args.vmName,
        runCommandName: "mailhost-tuning",
        source: { script },
        parameters,
        asyncExecution: false,
        treatFailureAsDeploymentFailure: true,
        timeoutInSeconds: timeout,
        tags: args.tags,
      },
      { parent: this },
    );

    this.registerOutputs({ runCommand: this.runCommand, contentHash: this.contentHash });
  }
}
