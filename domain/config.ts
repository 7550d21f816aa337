/**
 * Stack configuration: one JSON Schema (validated with ajv) from which the TypeScript type is
 * derived, cross-field rules the schema cannot express, and the resolution of defaults.
 *
 * Every error names the config key path, the value given and what is allowed, e.g.
 * `mailhost:tcp.tcpTimedWaitDelay = <value> is outside <min>–<max> (seconds)`.
 *
 * This file is the pipeline and the public face; the parts live in `config/`:
 * - `keys.ts`: the namespace, key names and key paths (`mailhost:tcp.maxUserPort`);
 * - `patterns.ts`: the patterns of string settings;
 * - `schema.ts`: the schema, its literal defaults and the types derived from it;
 * - `errors.ts`: ajv's errors as issues naming the setting, the value and what is allowed;
 * - `defaults.ts`: the default derived from another value (the dynamic port range);
 * - `rules.ts`: cross-field rules and the stack's region;
 * - `secrets.ts`: rules of the secret keys, which never show their values.
 */
import Ajv from "ajv";
import { type ConfigIssue, ConfigValidationError } from "./issues";
import { formatRange } from "./limits";
import { resolveDefaults } from "./config/defaults";
import { issuesFromAjvErrors } from "./config/errors";
import { crossFieldIssues } from "./config/rules";
import { type MailhostConfig, type SchemaFilledConfig, type SchemaNode, configSchema } from "./config/schema";

export { ALERT_WEBHOOK_URL_KEY, AZURE_LOCATION_KEY, CONFIG_NAMESPACE, configKeyPath } from "./config/keys";
export { AZURE_REGION_PATTERN, EMAIL_PATTERN, VM_SIZE_PATTERN, WORKSPACE_RESOURCE_ID_PATTERN } from "./config/patterns";
export {
  DSC_WINDOWS_VERSIONS,
  TEXT_DEFAULTS,
  TUNING_MECHANISMS,
  WINDOWS_VERSIONS,
  configSchema,
  type MailhostConfig,
  type StackConfigInput,
  type TuningMechanism,
  type WindowsVersion,
} from "./config/schema";
export { allowedText } from "./config/errors";
export { defaultDynamicPortRange } from "./config/defaults";
export { azureLocationIssues, crossFieldIssues, monitoringIssues } from "./config/rules";
export { adminPasswordIssues, alertWebhookUrlIssues } from "./config/secrets";

/** Validates and fills in the schema's literal defaults, in place. */
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true, useDefaults: true });
ajv.addKeyword({ keyword: "x-unit", schemaType: "string" });
const validateSchema = ajv.compile<SchemaFilledConfig>(configSchema);

/**
 * A number where the schema wants a string (`windowsVersion: 2025`, `zones: [1, 2]`, a tag value
 * `1234`): YAML reads unquoted digits as numbers, the user meant the text. Returns a copy with
 * those numbers as strings; everything else is left for the schema to judge.
 */
export function acceptNumbersAsStrings(value: unknown, node: SchemaNode | undefined): unknown {
  if (node === undefined) return value;
  if (typeof value === "number" && Number.isFinite(value) && node.type === "string") return String(value);
  if (Array.isArray(value)) return value.map((item) => acceptNumbersAsStrings(item, node.items));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        acceptNumbersAsStrings(v, node.properties?.[k] ?? (typeof node.additionalProperties === "object" ? node.additionalProperties : undefined)),
      ]),
    );
  }
  return value;
}

/** Validates a copy of `raw` against the schema; when valid, the copy with the schema's literal defaults filled in. */
function checkSchema(raw: unknown): { readonly issues: ConfigIssue[]; readonly filled?: SchemaFilledConfig } {
  const data = structuredClone(raw);
  if (validateSchema(data)) return { issues: [], filled: data };
  return { issues: issuesFromAjvErrors(validateSchema.errors ?? [], data) };
}

/** Schema validation only: every problem, deduplicated, in document order. */
export function schemaIssues(raw: unknown): ConfigIssue[] {
  return checkSchema(raw).issues;
}

/** Result of {@link parseStackConfig}. */
export type ConfigResult = { readonly ok: true; readonly config: MailhostConfig } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Validates raw stack config (`{ fleet, tcp, siteConfig, capacity }` as parsed from YAML/JSON):
 * schema first (every problem at once), then cross-field rules on the resolved config.
 * Capacity and SiteConfig rules are checked by `planFleet`, which needs the resolved config.
 */
export function parseStackConfig(input: unknown): ConfigResult {
  const { issues, filled } = checkSchema(acceptNumbersAsStrings(input, configSchema as unknown as SchemaNode));
  if (filled === undefined) return { ok: false, issues };
  const config = resolveDefaults(filled);
  const cross = crossFieldIssues(config);
  return cross.length > 0 ? { ok: false, issues: cross } : { ok: true, config };
}

/** Throws {@link ConfigValidationError} unless the raw config is valid. */
export function requireStackConfig(raw: unknown): MailhostConfig {
  const result = parseStackConfig(raw);
  if (!result.ok) throw new ConfigValidationError(result.issues);
  return result.config;
}

/** Range text for a limit, for docs and messages. */
export { formatRange };
