/**
 * The configuration reference of docs/CONFIGURATION.md, generated from the config schema (and so
 * from the limits module): per top-level key, where its keys nest in `Pulumi.<stack>.yaml` (a YAML
 * outline of the block) and a table of its keys by their full path (the form error messages and
 * `pulumi config set --path` use). `npm run docs` writes it; a test fails when they differ.
 */
import { stringify } from "yaml";
import { ALERT_WEBHOOK_URL_KEY, AZURE_LOCATION_KEY, CONFIG_NAMESPACE, configKeyPath, configSchema } from "./config";
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

/** What a leaf of the outline shows: its default, or a placeholder naming what it takes. */
function outlineValue(node: Node): string {
  if (node.default !== undefined) return stringify(node.default, { collectionStyle: "flow" }).trimEnd();
  if (node.enum) return `<${node.enum.join(" | ")}>`;
  if (node.type === "array") return `[<${node.items?.description ?? typeText(node.items ?? {})}>]`;
  const range = allowed(node);
  return `<${typeText(node)}${range === "" ? "" : ` ${range}`}>`;
}

/**
 * YAML lines of one block, nested as the stack file nests them. Each line's note says whether the
 * key is required; a leaf without a note shows its default.
 */
function outlineLines(node: Node, key: string, depth: number, note: string, present: boolean, out: [string, string][]): void {
  const indent = "  ".repeat(depth);
  if (node.type === "object" && node.properties) {
    out.push([`${indent}${key}:`, note]);
    for (const [child, childNode] of Object.entries(node.properties)) {
      const required = (node.required ?? []).includes(child);
      // A key required inside an optional block is required only when the block is given.
      const childNote = required ? (present ? "required" : `required when ${key} is given`) : childNode.default === undefined ? "optional" : "";
      outlineLines(childNode, child, depth + 1, childNote, present && required, out);
    }
    return;
  }
  out.push([`${indent}${key}: ${outlineValue(node)}`, note]);
}

function yamlBlock(lines: [string, string][]): string[] {
  const width = Math.max(...lines.map(([text]) => text.length)) + 2;
  return ["```yaml", "config:", ...lines.map(([text, note]) => (note === "" ? text : `${text.padEnd(width)}# ${note}`)), "```"];
}

function tableLines(rowsOut: string[]): string[] {
  return ["| Key | Type | Allowed | Default | Description |", "|---|---|---|---|---|", ...rowsOut];
}

/** The reference between its markers: the region, each `mailhost:` block, the secrets. */
export function configReferenceTable(): string {
  const schema = configSchema as unknown as Node;
  const out: string[] = [];
  out.push(`### \`${AZURE_LOCATION_KEY}\``, "");
  out.push(...yamlBlock([[`  ${AZURE_LOCATION_KEY}: <region name>`, "required"]]), "");
  out.push(
    ...tableLines([
      `| \`${AZURE_LOCATION_KEY}\` | string | an Azure region's programmatic name: lower-case letters and digits | required | The stack's region (the azure-native provider's default location): every resource of the stack is created there. |`,
    ]),
    "",
  );
  for (const [key, block] of Object.entries(schema.properties ?? {})) {
    const required = (schema.required ?? []).includes(key);
    const lines: [string, string][] = [];
    outlineLines(block, `${CONFIG_NAMESPACE}:${key}`, 1, required ? "required" : "optional", required, lines);
    const blockRows: string[] = [];
    rows(block, [key], required, undefined, blockRows);
    out.push(
      `### \`${configKeyPath([key])}\``,
      "",
      `${block.description ?? ""}${required ? "" : " Optional: every key has a default or may be left out."}`,
      "",
    );
    out.push(...yamlBlock(lines), "", ...tableLines(blockRows), "");
  }
  const password = `${ADMIN_PASSWORD.minLength}–${ADMIN_PASSWORD.maxLength} characters, ${ADMIN_PASSWORD.characterClasses} of 4 character classes`;
  out.push("### Secrets", "", "Set with `pulumi config set --secret <key>`, which writes the encrypted value into the stack file:", "");
  out.push(
    ...yamlBlock([
      [`  ${configKeyPath(["adminPassword"])}:`, "required"],
      ["    secure: <ciphertext>", ""],
      [`  ${configKeyPath([ALERT_WEBHOOK_URL_KEY])}:`, "optional"],
      ["    secure: <ciphertext>", ""],
    ]),
    "",
  );
  out.push(
    ...tableLines([
      `| \`${configKeyPath(["adminPassword"])}\` | secret string | ${password} | required | Local administrator password; set with \`pulumi config set --secret\`. Never printed. |`,
      `| \`${configKeyPath([ALERT_WEBHOOK_URL_KEY])}\` | secret string | https:// URL, at most ${WEBHOOK_URL_MAX_LENGTH} characters | — | Webhook receiver of the alert action group (common alert schema); set with \`pulumi config set --secret\`. Never printed or exported. |`,
    ]),
  );
  return [CONFIG_TABLE_BEGIN, "", ...out, CONFIG_TABLE_END].join("\n");
}

/** Replaces the text from `begin` to `end` (markers included) with `content`, which carries its own markers. */
export function replaceBetweenMarkers(text: string, begin: string, end: string, content: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`no "${begin}" ... "${end}" markers`);
  return text.slice(0, from) + content + text.slice(to + end.length);
}
