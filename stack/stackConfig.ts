/**
 * Reads the `mailhost:*` keys of a stack's config (as the Pulumi runtime holds them: strings, with
 * objects as JSON) and turns them into a validated {@link FleetPlan}. Nothing here creates a
 * resource, so a rejected stack registers none.
 */
import { closest, distance } from "fastest-levenshtein";
import {
  ALERT_WEBHOOK_URL_KEY,
  AZURE_LOCATION_KEY,
  CONFIG_NAMESPACE,
  adminPasswordIssues,
  azureLocationIssues,
  alertWebhookUrlIssues,
  configKeyPath,
  configSchema,
  parseStackConfig,
} from "../domain/config";
import { type ConfigIssue, ConfigValidationError } from "../domain/issues";
import { type FleetPlan, planFleet } from "../domain/plan";
import { loadSiteConfigTemplate } from "../content/siteConfigTemplate";

/** The admin password's key (a secret). */
export const ADMIN_PASSWORD_KEY = "adminPassword";

/** Keys that must be set as secrets (`pulumi config set --secret`): every other key is plain structured config. */
export const SECRET_KEYS: readonly string[] = [ADMIN_PASSWORD_KEY, ALERT_WEBHOOK_URL_KEY];

/** Keys a stack may set under `mailhost:`. */
export const KNOWN_KEYS: readonly string[] = [...Object.keys(configSchema.properties), ...SECRET_KEYS];

/** What the program needs: the plan and the secrets (plain here; the program wraps them as secrets). */
export interface LoadedStack {
  readonly plan: FleetPlan;
  readonly adminPassword: string;
  /** Webhook receiver of the alert action group, when set. */
  readonly alertWebhookUrl?: string;
}

/**
 * Splits runtime config (`{ "mailhost:fleet": "{...json...}" }`) into the raw object the schema
 * validates, reporting unknown `mailhost:` keys and values that are not JSON objects.
 */
export function rawStackConfig(allConfig: Readonly<Record<string, string>>): { raw: Record<string, unknown>; issues: ConfigIssue[] } {
  const raw: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, text] of Object.entries(allConfig)) {
    if (!fullKey.startsWith(prefix)) {
      const misplaced = misplacedKeyIssue(fullKey);
      if (misplaced) issues.push(misplaced);
      continue;
    }
    const key = fullKey.slice(prefix.length);
    if (SECRET_KEYS.includes(key)) continue;
    if (!KNOWN_KEYS.includes(key)) {
      issues.push(unknownKeyIssue(fullKey, key));
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      // A plain (non-structured) value: let the schema say what it should have been.
      raw[key] = text;
    }
  }
  return { raw, issues };
}

/** Edits apart that still count as a misspelling of a key or of the namespace. */
const MISSPELLING_DISTANCE = 2;

/**
 * A `mailhost:` key that is not a setting: a flat dotted key (what `pulumi config set` writes
 * without `--path`), a misspelling ("did you mean"), or simply unknown.
 */
function unknownKeyIssue(fullKey: string, key: string): ConfigIssue {
  const [head, ...rest] = key.split(".");
  if (rest.length > 0 && KNOWN_KEYS.includes(head)) {
    const nested = configKeyPath([head]);
    return {
      path: fullKey,
      message: `${fullKey} is a flat key, which the program does not read: nest it under ${nested} (\`${nested}:\` then \`${rest.join(".")}: ...\` indented below it) or use \`pulumi config set --path '${fullKey}' <value>\`.`,
    };
  }
  const guess = closest(key, [...KNOWN_KEYS]);
  const hint = distance(key, guess) <= MISSPELLING_DISTANCE ? ` Did you mean ${configKeyPath([guess])}?` : "";
  return { path: fullKey, message: `${fullKey} is not a known setting.${hint} Known settings: ${KNOWN_KEYS.map((k) => configKeyPath([k])).join(", ")}.` };
}

/**
 * A key outside the `mailhost:` namespace that was meant for it: no namespace at all, or a
 * misspelt one (`mailhots:capacity`). Keys of other namespaces (`azure-native:location`) are fine.
 */
function misplacedKeyIssue(fullKey: string): ConfigIssue | undefined {
  const colon = fullKey.indexOf(":");
  const namespace = colon < 0 ? undefined : fullKey.slice(0, colon);
  const key = colon < 0 ? fullKey : fullKey.slice(colon + 1);
  const [head] = key.split(".");
  const meant = `${CONFIG_NAMESPACE}:${key}`;
  if (namespace === undefined) {
    if (!KNOWN_KEYS.includes(head)) return undefined;
    return { path: fullKey, message: `${fullKey} has no namespace, so the program does not read it; did you mean ${meant}?` };
  }
  if (namespace === CONFIG_NAMESPACE || distance(namespace, CONFIG_NAMESPACE) > MISSPELLING_DISTANCE) return undefined;
  return { path: fullKey, message: `${fullKey} is in namespace "${namespace}", which the program does not read; did you mean ${meant}?` };
}

/** Validates a stack's config and computes its plan; throws {@link ConfigValidationError} listing every problem. */
export function loadStack(stack: string, allConfig: Readonly<Record<string, string>>, template: string = loadSiteConfigTemplate()): LoadedStack {
  const { raw, issues } = rawStackConfig(allConfig);
  const password = allConfig[`${CONFIG_NAMESPACE}:${ADMIN_PASSWORD_KEY}`];
  issues.push(...adminPasswordIssues(password));
  const webhook = allConfig[`${CONFIG_NAMESPACE}:${ALERT_WEBHOOK_URL_KEY}`];
  issues.push(...alertWebhookUrlIssues(webhook));
  issues.push(...azureLocationIssues(allConfig[AZURE_LOCATION_KEY]));
  const parsed = parseStackConfig(raw);
  if (!parsed.ok) issues.push(...parsed.issues);
  const heading = `Invalid configuration for stack "${stack}"`;
  if (issues.length > 0 || !parsed.ok) throw new ConfigValidationError(issues, heading);
  try {
    const plan = planFleet(stack, parsed.config, template, { webhookReceiver: webhook !== undefined });
    return { plan, adminPassword: password as string, ...(webhook === undefined ? {} : { alertWebhookUrl: webhook }) };
  } catch (err) {
    if (err instanceof ConfigValidationError) throw new ConfigValidationError(err.issues, heading);
    throw err;
  }
}
