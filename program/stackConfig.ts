/**
 * Reads the `mailhost:*` keys of a stack's config (as the Pulumi runtime holds them: strings, with
 * objects as JSON) and turns them into a validated {@link FleetPlan}. Nothing here creates a
 * resource, so a rejected stack registers none.
 */
import { ALERT_WEBHOOK_URL_KEY, CONFIG_NAMESPACE, adminPasswordIssues, alertWebhookUrlIssues, configKeyPath, configSchema, parseStackConfig } from "../domain/config";
import { type ConfigIssue, ConfigValidationError } from "../domain/issues";
import { type FleetPlan, planFleet } from "../domain/plan";
import { loadSiteConfigTemplate } from "../domain/siteconfig";

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
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (SECRET_KEYS.includes(key)) continue;
    if (!KNOWN_KEYS.includes(key)) {
      issues.push({ path: fullKey, message: `${fullKey} is not a known setting; known settings: ${KNOWN_KEYS.map((k) => configKeyPath([k])).join(", ")}.` });
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

/** Validates a stack's config and computes its plan; throws {@link ConfigValidationError} listing every problem. */
export function loadStack(stack: string, allConfig: Readonly<Record<string, string>>, template: string = loadSiteConfigTemplate()): LoadedStack {
  const { raw, issues } = rawStackConfig(allConfig);
  const password = allConfig[`${CONFIG_NAMESPACE}:${ADMIN_PASSWORD_KEY}`];
  issues.push(...adminPasswordIssues(password));
  const webhook = allConfig[`${CONFIG_NAMESPACE}:${ALERT_WEBHOOK_URL_KEY}`];
  issues.push(...alertWebhookUrlIssues(webhook));
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
