/**
 * What each tuning mechanism sends to its hosts, and its re-apply trigger, from one place. The
 * components, the program and the tests all take them from here, so a trigger is always the hash
 * of exactly what reaches that mechanism's hosts (`domain/guestContent.ts`):
 *
 * | mechanism | what reaches the hosts | trigger |
 * |---|---|---|
 * | `dsc` | the configuration archive (the configuration script and the whole `MailhostTcpTuning` module folder) and the configuration arguments | `forceUpdateTag` = hash of the archive's files and the arguments |
 * | `runCommand` | one script text: the entry file with only the module functions it uses and the limits, and the parameters | `ContentHash` parameter = hash of that text and the arguments |
 * | `machineConfiguration` | the package (MOF with the values, metaconfig, the whole module folder under `Modules/`) and the assignment parameters (the same values) | `contentHash` = SHA-256 of the package zip |
 *
 * `root` reads the guest files from another copy of the guest/ folder (tests change files in a
 * temporary copy); it defaults to the package's own.
 */
import { type PublishedArchive, manifestSha256 } from "../domain/guestContent";
import { type MachineConfigurationPackage, buildMachineConfigurationPackage } from "../domain/machineConfigurationPackage";
import { readModuleFolder } from "../content/moduleFolder";
import { CONTENT_HASH_PARAMETER, type RunCommandParameter, type TuningPlan, dscManifest, runCommandTuningParameters } from "../domain/plan";
import { GUEST_DIR, GUEST_MODULE, RUN_COMMAND_SCRIPT, buildDscArchive, inGuestRoot, readGuestScript } from "./guestScripts";

/** Triggers already computed, per archive and arguments: every host of a stack has the same ones. */
const dscTriggers = new WeakMap<PublishedArchive, Map<string, string>>();

/** The DSC extension's re-apply trigger (`forceUpdateTag`) for a plan and the archive it reads. */
export function dscTrigger(tuning: TuningPlan, archive: PublishedArchive = buildDscArchive()): string {
  const manifest = dscManifest(tuning, archive.files);
  const key = JSON.stringify(manifest.values);
  let byValues = dscTriggers.get(archive);
  if (byValues === undefined) dscTriggers.set(archive, (byValues = new Map()));
  let trigger = byValues.get(key);
  if (trigger === undefined) byValues.set(key, (trigger = manifestSha256(manifest)));
  return trigger;
}

/** What the managed run command sends: the script text, its parameters (the last is `ContentHash`) and that hash. */
export interface RunCommandContent {
  readonly script: string;
  readonly parameters: RunCommandParameter[];
  readonly trigger: string;
}

/** The managed run command's script, parameters and trigger for a plan. */
export function runCommandContent(tuning: TuningPlan, root: string = GUEST_DIR): RunCommandContent {
  const script = readGuestScript(RUN_COMMAND_SCRIPT.file, root);
  const parameters = runCommandTuningParameters(tuning, script);
  return { script, parameters, trigger: parameters.find((p) => p.name === CONTENT_HASH_PARAMETER)!.value };
}

/**
 * The Machine Configuration package for a plan, built from the module folder under `root`; its
 * `sha256Upper` is the assignment's `contentHash` and `blobName` its address. Throws as
 * `buildMachineConfigurationPackage` does.
 */
export function machineConfigurationPackageFor(tuning: TuningPlan, root: string = GUEST_DIR): MachineConfigurationPackage {
  return buildMachineConfigurationPackage(tuning, readModuleFolder(inGuestRoot(GUEST_MODULE.dir, root)));
}
