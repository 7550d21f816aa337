/**
 * The static PowerShell the hosts run, located in `guest/`. Values never go into these texts:
 * they reach the scripts only as DSC configuration arguments or run-command parameters.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { projectPath } from "../domain/paths";

const GUEST_DIR = projectPath("guest");

/** The DSC configuration applied by the Azure DSC extension. */
export const DSC_CONFIGURATION = {
  /** Path of the script in the repo. */
  file: path.join(GUEST_DIR, "dsc", "MailhostTuning.ps1"),
  /** File name inside the configuration archive. */
  script: "MailhostTuning.ps1",
  /** Name of the `Configuration` block. */
  function: "MailhostTuning",
  /** Blob name of the archive (a zip of the script). */
  archiveBlob: "MailhostTuning.ps1.zip",
} as const;

/** The idempotent script of the managed run command. */
export const RUN_COMMAND_SCRIPT = {
  file: path.join(GUEST_DIR, "runcommand", "Set-MailhostTuning.ps1"),
} as const;

/**
 * The DSC resource module every mechanism shares; the Machine Configuration package holds all of
 * its files under `Modules/MailhostTcpTuning/`.
 */
export const TUNING_MODULE = {
  folder: path.join(GUEST_DIR, "modules", "MailhostTcpTuning"),
} as const;

/** Scripts already read, by path: a program run reads each once, not once per host. */
const scripts = new Map<string, string>();

/** Reads a guest script as text (once per process: the scripts are part of the release). */
export function readGuestScript(file: string): string {
  let text = scripts.get(file);
  if (text === undefined) {
    text = fs.readFileSync(file, "utf8");
    scripts.set(file, text);
  }
  return text;
}
