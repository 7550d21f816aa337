/** Loads the committed stack files and runs the program on them under mocks. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { type OfflineRun, runOffline, runtimeConfig } from "../../engine/offline";
import program = require("../../index");

export const REPO_ROOT = path.join(__dirname, "..", "..");
export const STACKS = ["dev", "staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];

/** A password that satisfies Azure's rules; tests only. */
export const TEST_ADMIN_PASSWORD = "Test-Only-Passw0rd!";

/** The `config:` map of `Pulumi.<stack>.yaml`. */
export function stackFileConfig(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  return doc.config ?? {};
}

/** Deep copy of a stack's config with the test admin password added. */
export function stackConfigWithSecret(stack: string): Record<string, unknown> {
  return { ...structuredClone(stackFileConfig(stack)), "mailhost:adminPassword": TEST_ADMIN_PASSWORD };
}

/** Runs the real program on a config map (as in a stack file) under mocks. */
export function runStack(stack: string, config: Record<string, unknown> = stackConfigWithSecret(stack)): Promise<OfflineRun> {
  return runOffline(program, stack, runtimeConfig(config), ["mailhost:adminPassword"]);
}

/** Sets a value at a dotted path inside a stack config map: `set(cfg, "mailhost:tcp", "tcpTimedWaitDelay", 301)`. */
export function withValue(config: Record<string, unknown>, key: string, dotted: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(config);
  const parts = dotted.split(".");
  let node = copy[key] as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
