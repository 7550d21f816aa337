/**
 * The module's config loader for a team's own program: the mail-host settings read from the
 * stack's config (`Pulumi.<stack>.yaml`) under the keys this repository's program uses (`fleet`,
 * `tcp`, `siteConfig`, `capacity`, `egress`, `monitoring`, and the secrets `adminPassword` and
 * `alertWebhookUrl`), in the project's config namespace or another one.
 *
 * The settings are handed to the components as they are; the components validate them. What the
 * loader adds is where each value came from: a component that rejects a setting the loader read
 * names it by its real key (`myproject:tcp.tcpTimedWaitDelay = <value> is outside <range>`),
 * and `mailhost check` points at that key's line in the stack file.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../domain/config";
import { type ConfigIssue, ConfigValidationError } from "../domain/issues";
import { withRejection } from "../domain/rejection";
import type { CapacitySettings, EgressSettings, FleetSettings, MonitoringSettings, SiteConfigSettings, TcpSettings } from "./settings";

/** The settings a stack file can carry for the components, as {@link stackSettings} reads them. */
export interface StackSettings {
  readonly fleet?: FleetSettings;
  readonly tcp?: TcpSettings;
  readonly siteConfig?: SiteConfigSettings;
  readonly capacity?: CapacitySettings;
  readonly egress?: EgressSettings;
  readonly monitoring?: MonitoringSettings;
  /** `adminPassword`, read as a secret. */
  readonly adminPassword?: pulumi.Output<string>;
  /** `alertWebhookUrl`, read as a secret. */
  readonly alertWebhookUrl?: pulumi.Output<string>;
}

/** Names of the structured settings (the stack config keys, without namespace). */
export type StackSettingName = "fleet" | "tcp" | "siteConfig" | "capacity" | "egress" | "monitoring";

const SETTING_NAMES: readonly StackSettingName[] = ["fleet", "tcp", "siteConfig", "capacity", "egress", "monitoring"];

export interface StackSettingsOptions {
  /** Config namespace of the keys. Defaults to the project's name (as `new pulumi.Config()`). */
  readonly namespace?: string;
}

/** Settings objects the loader returned, each with the full config key it was read from. */
const sources = new WeakMap<object, string>();

/**
 * Reads the mail-host settings present in the stack's config. A key that is not set is absent
 * from the result; a value is passed on as written (the components validate it, and name it by
 * its key when they reject it).
 *
 * ```ts
 * const settings = stackSettings();
 * new ExistingVmTuning("mail-vm-1", { vmId, tcp: settings.tcp ?? { tuning: "runCommand" }, siteConfig, capacity });
 * ```
 */
export function stackSettings(options: StackSettingsOptions = {}): StackSettings {
  const config = new pulumi.Config(options.namespace);
  const out: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const text = config.get(name);
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // A plain value where an object belongs: the components say what it should have been.
      value = text;
    }
    if (value !== null && typeof value === "object") sources.set(value, `${config.name}:${name}`);
    out[name] = value;
  }
  const adminPassword = config.getSecret("adminPassword");
  if (adminPassword !== undefined) out["adminPassword"] = adminPassword;
  const alertWebhookUrl = config.getSecret("alertWebhookUrl");
  if (alertWebhookUrl !== undefined) out["alertWebhookUrl"] = alertWebhookUrl;
  return out as StackSettings;
}

/**
 * {@link stackSettings}, failing (as `pulumi.Config.require` does) when one of `names` is not set.
 */
export function requireStackSettings<K extends StackSettingName>(
  names: readonly K[],
  options: StackSettingsOptions = {},
): StackSettings & { readonly [P in K]-?: NonNullable<StackSettings[P]> } {
  const settings = stackSettings(options);
  const namespace = new pulumi.Config(options.namespace).name;
  const missing = names.filter((n) => settings[n] === undefined);
  if (missing.length > 0) {
    throw new pulumi.RunError(
      `Missing required configuration ${missing.length === 1 ? "variable" : "variables"} ${missing.map((n) => `'${namespace}:${n}'`).join(", ")}: set ${missing.length === 1 ? "it" : "them"} in Pulumi.${pulumi.getStack()}.yaml (or with \`pulumi config set --path\`).`,
    );
  }
  return settings as StackSettings & { readonly [P in K]-?: NonNullable<StackSettings[P]> };
}

/**
 * Config issues of settings as the stack names them: an issue about a setting the loader read
 * (`mailhost:tcp.tcpTimedWaitDelay`, from a `tcp` object read as `shop:tcp`) gets the key it was
 * read from, in its path and its message, and `stackConfigKey`.
 */
export function issuesAtStackKeys(
  issues: readonly ConfigIssue[],
  input: Readonly<Partial<Record<StackSettingName, unknown>>>,
): Array<ConfigIssue & { stackConfigKey?: string }> {
  return issues.map((issue) => {
    const m = new RegExp(`^${CONFIG_NAMESPACE}:(${SETTING_NAMES.join("|")})(?=$|[.\\[])`).exec(issue.path);
    const value = m ? input[m[1] as StackSettingName] : undefined;
    const source = value !== null && typeof value === "object" ? sources.get(value) : undefined;
    if (m === null || source === undefined) return issue;
    const path = `${source}${issue.path.slice(m[0].length)}`;
    return { path, message: issue.message.split(issue.path).join(path), stackConfigKey: path };
  });
}

/** The error a component throws for settings that fail validation: the config validation's message, with its rejection attached (domain/rejection.ts). */
export function rejectedSettings(
  typeToken: string,
  name: string,
  heading: string,
  issues: ReadonlyArray<ConfigIssue & { stackConfigKey?: string }>,
  opts?: pulumi.ResourceOptions,
): pulumi.ResourceError {
  const error = new pulumi.ResourceError(new ConfigValidationError(issues, heading).message, opts?.parent, true);
  return withRejection(error, {
    component: typeToken,
    name,
    problems: issues.map((i) => ({ message: i.message, ...(i.stackConfigKey === undefined ? {} : { stackConfigKey: i.stackConfigKey }) })),
  });
}
