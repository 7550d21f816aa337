/**
 * Reads `Pulumi.<stack>.yaml` files for offline runs. Secure values (`{ secure: ... }`) are never
 * decrypted: they become placeholder secrets, so an offline run needs no key and prints no secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
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

/** A stack file that cannot be used: the file, the line when known, and a sentence. */
export class StackFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = "StackFileError";
  }
}

/**
 * The extension Pulumi gives stack files in `dir`: the project file's (`Pulumi.yaml` or
 * `Pulumi.yml`), `yaml` when there is none.
 */
export function stackFileExtension(dir: string): "yaml" | "yml" {
  return !fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "Pulumi.yml")) ? "yml" : "yaml";
}

/**
 * Stack names that have a `Pulumi.<stack>.yaml` or `.yml` in `dir`, dotted names included
 * (`Pulumi.my.stack.yaml` is stack `my.stack`). A file with the other extension than the project
 * file's is listed too, so that {@link readStackFile} reports it instead of skipping it.
 */
export function listStacks(dir: string): string[] {
  return [
    ...new Set(
      fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined),
    ),
  ].sort();
}

function lineOfTopKey(text: string, key: string): number | undefined {
  const index = text.split("\n").findIndex((l) => l.startsWith(`${key}:`));
  return index < 0 ? undefined : index + 1;
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** A Node file-system error as a sentence: ENOENT, EISDIR, EACCES... */
export function fileErrorText(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return `${file} does not exist.`;
    case "EISDIR":
      return `${file} is a directory, not a file.`;
    case "ENOTDIR":
      return `${file}: a part of this path is a file, not a directory.`;
    case "EACCES":
    case "EPERM":
      return `${file} cannot be read: permission denied.`;
    default:
      return `${file} cannot be read: ${(err as Error).message}`;
  }
}

/** A stack file's text and its `config:` map, as YAML gives it. */
export interface StackFileDoc {
  readonly stack: string;
  readonly file: string;
  readonly text: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * Reads a stack file and its `config:` map. Throws {@link StackFileError} (file, line when known,
 * and a sentence; YAML errors keep their excerpt) when it is missing, unreadable or not YAML, or
 * when it has the extension Pulumi would not read. `ext` is the project file's (see
 * {@link stackFileExtension}; found in `dir` when not given).
 */
export function readStackFileDoc(dir: string, stack: string, ext: "yaml" | "yml" = stackFileExtension(dir)): StackFileDoc {
  const other = ext === "yaml" ? "yml" : "yaml";
  const file = path.join(dir, `Pulumi.${stack}.${ext}`);
  const shown = (f: string) => path.relative(process.cwd(), f) || f;
  const wrong = path.join(dir, `Pulumi.${stack}.${other}`);
  if (fs.existsSync(wrong) && fs.existsSync(file)) {
    throw new StackFileError(
      `Stack file ${path.basename(wrong)} is not read by Pulumi, which reads ${path.basename(file)} (the project file's extension); delete or merge ${path.basename(wrong)}.`,
      wrong,
    );
  }
  if (!fs.existsSync(file)) {
    if (fs.existsSync(wrong)) {
      throw new StackFileError(
        `Stack file ${path.basename(wrong)} is not read by Pulumi: it takes the stack file's extension from the project file (Pulumi.${ext === "yaml" ? "yaml" : "yml"}) and reads ${path.basename(file)} instead; rename the file to ${path.basename(file)}.`,
        wrong,
      );
    }
    throw new StackFileError(`Stack file ${fileErrorText(shown(file), Object.assign(new Error(), { code: "ENOENT" }))}`, file);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new StackFileError(`Stack file ${fileErrorText(shown(file), err)}`, file);
  }
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    const escape = /escape sequence/i.test((err as Error).message)
      ? "\nIn double quotes YAML reads backslashes as escapes: write Windows paths in single quotes ('C:\\ProgramData\\x.cfg') or unquoted."
      : "";
    throw new StackFileError(`Stack file ${path.basename(file)} is not valid YAML: ${(err as Error).message.trimEnd()}${escape}`, file, line);
  }
  const configSection = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof configSection !== "object" || configSection === null || Array.isArray(configSection)) {
    throw new StackFileError(`Stack file ${path.basename(file)}: "config" must be a map.`, file, lineOfTopKey(text, "config"));
  }
  return { stack, file, text, config: configSection as Record<string, unknown> };
}

/**
 * Reads and converts a stack file of this module's program (see {@link readStackFileDoc} for the
 * errors): secure values become placeholders, `mailhost:` secrets written in plain text are
 * reported, and a missing admin password gets a placeholder.
 */
export function readStackFile(dir: string, stack: string): StackFile {
  const { file, text, config: configSection } = readStackFileDoc(dir, stack);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(configSection)) {
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
