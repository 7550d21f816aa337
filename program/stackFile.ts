/**
 * Reads `Pulumi.<stack>.yaml` files for offline runs. Secure values (`{ secure: ... }`) are never
 * decrypted: they become placeholder secrets, so an offline run needs no key and prints no secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ALERT_WEBHOOK_URL_KEY, CONFIG_NAMESPACE } from "../domain/config";
import { ADMIN_PASSWORD_KEY, SECRET_KEYS } from "./stackConfig";

/** Stands in for every secret in offline runs. Satisfies Azure's password rules; never deployed. */
export const PLACEHOLDER_SECRET = "Offline-Placeholder-Secret-1!";

/** Stands in for the alert webhook URL in offline runs: a valid https URL on a reserved, never-resolving domain. */
export const PLACEHOLDER_WEBHOOK_URL = "https://offline-placeholder.invalid/alert-webhook";

/** The placeholder of a secure value: shaped like what its key must hold, so validation passes. */
function placeholderFor(key: string): string {
  return key === `${CONFIG_NAMESPACE}:${ALERT_WEBHOOK_URL_KEY}` ? PLACEHOLDER_WEBHOOK_URL : PLACEHOLDER_SECRET;
}

/** A stack file's config, ready for the runtime. */
export interface StackFile {
  readonly stack: string;
  readonly file: string;
  /** Runtime config: strings, objects as JSON, secure values replaced by {@link PLACEHOLDER_SECRET}. */
  readonly config: Record<string, string>;
  /** Keys held as secrets. */
  readonly secretKeys: string[];
  /** Keys that got a placeholder because the file has no value for them (the admin password is set per stack with `pulumi config set --secret`). */
  readonly placeholders: string[];
  /** Keys that must be secrets but are written in plain text (their values are never shown). */
  readonly plaintextSecrets: string[];
  /** The raw text, for locating keys. */
  readonly text: string;
}

/** Stack names that have a `Pulumi.<stack>.yaml` in `dir`. */
export function listStacks(dir: string): string[] {
  return fs.readdirSync(dir)
    .map((f) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Reads and converts a stack file. Throws with a one-line message when it is missing or not YAML. */
export function readStackFile(dir: string, stack: string): StackFile {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`Stack file ${path.relative(process.cwd(), file) || file} does not exist.`);
  const text = fs.readFileSync(file, "utf8");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`Stack file ${path.basename(file)} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const configSection = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof configSection !== "object" || configSection === null || Array.isArray(configSection)) {
    throw new Error(`Stack file ${path.basename(file)}: "config" must be a map.`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(configSection as Record<string, unknown>)) {
    if (isSecure(value)) {
      config[key] = placeholderFor(key);
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const placeholders: string[] = [];
  const plaintextSecrets: string[] = [];
  for (const secretKey of SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`)) {
    if (secretKey in config && !secretKeys.includes(secretKey)) {
      plaintextSecrets.push(secretKey);
      // Never carried further: the check goes on with the placeholder.
      config[secretKey] = placeholderFor(secretKey);
      secretKeys.push(secretKey);
    }
  }
  const passwordKey = `${CONFIG_NAMESPACE}:${ADMIN_PASSWORD_KEY}`;
  if (!(passwordKey in config)) {
    config[passwordKey] = PLACEHOLDER_SECRET;
    secretKeys.push(passwordKey);
    placeholders.push(passwordKey);
  }
  return { stack, file, config, secretKeys, placeholders, plaintextSecrets, text };
}
