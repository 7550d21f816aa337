/**
 * Stack files of any nodejs project (not only this module's): `Pulumi.<stack>.yaml` in the
 * project's stack folder, merged over the project file's config defaults, as the Pulumi CLI gives
 * them to a program (every value a string, objects and lists as JSON). Secure values are never
 * decrypted: each becomes a placeholder and its key a secret, so an offline run needs no key and
 * no secret ever reaches its output. A key the project file declares `secret: true` without a
 * value gets a placeholder too (such keys are set per stack with `pulumi config set --secret`).
 */
import * as path from "node:path";
import type { ProgramProject } from "./project";
import { PLACEHOLDER_SECRET, type StackFile, readStackFileDoc } from "./stackFile";

const isSecure = (value: unknown): boolean =>
  value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;

/** `value` with every `{ secure: ... }` inside replaced by the placeholder; `found` says whether any was. */
function withoutSecure(value: unknown, found: { any: boolean }): unknown {
  if (isSecure(value)) {
    found.any = true;
    return PLACEHOLDER_SECRET;
  }
  if (Array.isArray(value)) return value.map((v) => withoutSecure(v, found));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecure(v, found)]));
  }
  return value;
}

const runtimeValue = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** The stack's config for the program, with its secrets' keys and the keys that got a placeholder. */
export function readProjectStackFile(project: ProgramProject, stack: string): StackFile {
  const ext = path.basename(project.file).endsWith(".yml") ? "yml" : "yaml";
  const { file, text, config: section } = readStackFileDoc(project.stackDir, stack, ext);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const placeholders: string[] = [];
  for (const entry of project.config) {
    if (entry.value !== undefined) config[entry.key] = runtimeValue(entry.value);
  }
  for (const [key, value] of Object.entries(section)) {
    const found = { any: false };
    config[key] = runtimeValue(withoutSecure(value, found));
    if (found.any) secretKeys.push(key);
  }
  for (const entry of project.config) {
    if (!entry.secret || secretKeys.includes(entry.key)) continue;
    if (!(entry.key in config)) {
      config[entry.key] = PLACEHOLDER_SECRET;
      placeholders.push(entry.key);
    }
    secretKeys.push(entry.key);
  }
  return { stack, file, config, secretKeys, placeholders, plaintextSecrets: [], text };
}
