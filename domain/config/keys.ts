/**
 * Names of the stack config keys and how a key is written in messages: `mailhost:tcp.maxUserPort`,
 * `mailhost:fleet.zones[1]`.
 */

/** The Pulumi config namespace (the project name). */
export const CONFIG_NAMESPACE = "mailhost";

/** The top-level secret key holding the alert webhook URL (secret per key, like `adminPassword`). */
export const ALERT_WEBHOOK_URL_KEY = "alertWebhookUrl";

/** The stack's region: the azure-native provider's default location, where the stack creates its resources. */
export const AZURE_LOCATION_KEY = "azure-native:location";

/** `/tcp/dynamicPortRange/start` → `mailhost:tcp.dynamicPortRange.start`; `/fleet/zones/1` → `mailhost:fleet.zones[1]`. */
export function configKeyPath(segments: readonly (string | number)[]): string {
  let out = CONFIG_NAMESPACE;
  segments.forEach((segment, i) => {
    if (typeof segment === "number" || /^\d+$/.test(String(segment))) out += `[${segment}]`;
    else out += i === 0 ? `:${segment}` : `.${segment}`;
  });
  return out;
}
