/**
 * The repository's policy pack started for a committed stack as the Pulumi CLI starts it: the
 * stack's names and its `Pulumi.<stack>.yaml` config in the pack's environment and ConfigureStack
 * (the pack reads the capacity load and the MailboxCacheTTL floor from there), then the stack's
 * policy config (levels) from policies/config/<stack>.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackConfig, PolicyPackProcess, StackConfiguration } from "../../engine/analyzer";
import { POLICY_PACK_DIR, stackConfigurationOf, startPolicyPack } from "../../engine/policyCheck";
import { readStackFile } from "../../stack/stackFile";
import { REPO_ROOT } from "./stacks";

/** policies/config/<stack>.json: the stack's levels, by rule name. */
export function readPolicyConfig(stack: string): PolicyPackConfig {
  return JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "config", `${stack}.json`), "utf8")) as PolicyPackConfig;
}

/** What the CLI tells the pack about a stack of `dir` (default: a committed stack of the repository). */
export function stackConfigurationFor(stack: string, dir = REPO_ROOT): StackConfiguration {
  const file = readStackFile(dir, stack);
  return stackConfigurationOf(stack, file.config, file.secretKeys);
}

/** The repository's pack for a committed stack, configured with `policyConfig` (default: the stack's own levels). */
export function startStackPack(stack: string, policyConfig: PolicyPackConfig = readPolicyConfig(stack)): Promise<PolicyPackProcess> {
  return startPolicyPack(stackConfigurationFor(stack), policyConfig);
}
