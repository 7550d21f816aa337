/**
 * The README's configuration reference, generated from the config schema (and so from the
 * limits module). `npm run docs` writes it into README.md; a test fails when they differ.
 */
import { ALERT_WEBHOOK_URL_KEY, configKeyPath, configSchema } from "./config";
import { ADMIN_PASSWORD, WEBHOOK_URL_MAX_LENGTH, formatRange, type IntRange } from "./limits";

export const CONFIG_TABLE_BEGIN = "<!-- BEGIN config-reference: generated from domain/config.ts by `npm run docs` -->";
export const CONFIG_TABLE_END = "<!-- END config-reference -->";

interface Node {
  type?: string | readonly string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: readonly string[];
  items?: Node;
  properties?: Record<string, Node>;
  required?: readonly string[];
  additionalProperties?: boolean | Node;
  "x-unit"?: string;
}

function typeText(node: Node): string {
  if (node.type === "array") return `list of ${node.items?.enum ? node.items.enum.map((e) => `"${e}"`).join(" \\| ") : typeText(node.items ?? {})}`;
  if (node.type === "object") return "map";
  if (Array.isArray(node.type)) return node.type.join(" \\| ");
  if (node.enum) return node.enum.map((e) => `\`${e}\``).join(" \\| ");
  return String(node.type ?? "");
}

function allowed(node: Node): string {
  if (node.minimum !== undefined && node.maximum !== undefined) {
    return formatRange({ min: node.minimum, max: node.maximum, unit: node["x-unit"] ?? "" } as IntRange).replace(" ()", "");
  }
  if (node.exclusiveMinimum !== undefined && node.maximum !== undefined) return `> ${node.exclusiveMinimum} and ≤ ${node.maximum}`;
  return "";
}

function defaultText(node: Node, required: boolean, optionalParent: string | undefined): string {
  if (required) return optionalParent === undefined ? "required" : `required when \`${optionalParent}\` is set`;
  if (node.default === undefined) return "—";
  return `\`${JSON.stringify(node.default).replace(/\\\\/g, "\\")}\``;
}

function rows(node: Node, path: (string | number)[], required: boolean, optionalParent: string | undefined, out: string[]): void {
  if (node.type === "object" && node.properties) {
    // Keys of an optional block are required only when the block is given.
    const parent = optionalParent ?? (required || path.length === 0 ? undefined : configKeyPath(path));
    for (const [key, child] of Object.entries(node.properties)) {
      rows(child, [...path, key], (node.required ?? []).includes(key), parent, out);
    }
    return;
  }
  const description = (node.description ?? "").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const cells = [`\`${configKeyPath(path)}\``, typeText(node), allowed(node), defaultText(node, required, optionalParent), description];
  out.push(`| ${cells.join(" | ")} |`);
}

/** The markdown table, between its markers. */
export function configReferenceTable(): string {
  const out: string[] = [];
  rows(configSchema as unknown as Node, [], true, undefined, out);
  const password = `${ADMIN_PASSWORD.minLength}–${ADMIN_PASSWORD.maxLength} characters, ${ADMIN_PASSWORD.characterClasses} of 4 character classes`;
  out.push(`| \`${configKeyPath(["adminPassword"])}\` | secret string | ${password} | required | Local administrator password; set with \`pulumi config set --secret\`. Never printed. |`);
  out.push(`| \`${configKeyPath([ALERT_WEBHOOK_URL_KEY])}\` | secret string | https:// URL, at most ${WEBHOOK_URL_MAX_LENGTH} characters | — | Webhook receiver of the alert action group (common alert schema); set with \`pulumi config set --secret\`. Never printed or exported. |`);
  return [
    CONFIG_TABLE_BEGIN,
    "| Key | Type | Allowed | Default | Description |",
    "|---|---|---|---|---|",
    ...out,
    CONFIG_TABLE_END,
  ].join("\n");
}

/** Replaces the text from `begin` to `end` (markers included) with `content`, which carries its own markers. */
export function replaceBetweenMarkers(text: string, begin: string, end: string, content: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`no "${begin}" ... "${end}" markers`);
  return text.slice(0, from) + content + text.slice(to + end.length);
}

/** Replaces the configuration reference of a README text. */
export function withConfigReference(readme: string): string {
  return replaceBetweenMarkers(readme, CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, configReferenceTable());
}
