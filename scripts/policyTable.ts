/**
 * The table of policies in docs/POLICIES.md, generated from the pack's policy list and the
 * per-stack policy config files, and the table of former policy names. `npm run docs` writes
 * them; a test fails when docs/POLICIES.md differs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../policies/all";
import { rulesOf } from "../policies/lib/group";

export const POLICY_TABLE_BEGIN = "<!-- BEGIN policy-table: generated from policies/ by `npm run docs` -->";
export const POLICY_TABLE_END = "<!-- END policy-table -->";
const CONFIG_DIR = path.join(__dirname, "..", "policies", "config");

/** Stacks that have a policy config file. */
export function policyConfigStacks(): string[] {
  const order = ["dev", "staging", "prod"];
  const rank = (s: string) => (order.includes(s) ? order.indexOf(s) : order.length);
  return fs.readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, ""))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function levelIn(stack: string, policy: string, fallback: string): string {
  const config = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stack}.json`), "utf8")) as Record<string, unknown>;
  const entry = config[policy];
  if (typeof entry === "string") return entry;
  if (entry !== null && typeof entry === "object" && typeof (entry as { enforcementLevel?: unknown }).enforcementLevel === "string") return (entry as { enforcementLevel: string }).enforcementLevel;
  return fallback;
}

export function policyTable(): string {
  const stacks = policyConfigStacks();
  const rows = policies.map((p) => {
    const level = p.enforcementLevel ?? "advisory";
    const kind = "validateStack" in p ? "stack" : "resource";
    const config = p.configSchema ? Object.keys(p.configSchema.properties).map((k) => `\`${k}\``).join(", ") : "—";
    const rules = rulesOf(p);
    // A policy made of rules: each rule by its own name (the policy's name before grouping) and what it enforces.
    const rule = rules.length === 1 && rules[0] === p ? p.description : rules.map((r) => `\`${r.name}\`: ${r.description}`).join("<br>");
    return `| \`${p.name}\` | ${kind} | ${level} | ${stacks.map((s) => levelIn(s, p.name, level)).join(" | ")} | ${config} | ${rule.replace(/\|/g, "\\|")} |`;
  });
  return [
    POLICY_TABLE_BEGIN,
    `| Policy | Checks | Default level | ${stacks.map((s) => `\`${s}\``).join(" | ")} | Config | Rule |`,
    `|---|---|---|${stacks.map(() => "---").join("|")}|---|---|`,
    ...rows,
    POLICY_TABLE_END,
  ].join("\n");
}

export const POLICY_NAMES_BEGIN = "<!-- BEGIN policy-names: generated from policies/ by `npm run docs` -->";
export const POLICY_NAMES_END = "<!-- END policy-names -->";

/** The table from each former policy name (now a rule's name) to the policy that holds it. */
export function policyNameTable(): string {
  const rows = policies.flatMap((p) => rulesOf(p).map((r) => `| \`${r.name}\` | \`${p.name}\` |`));
  return [POLICY_NAMES_BEGIN, "| Old name | New name |", "|---|---|", ...rows, POLICY_NAMES_END].join("\n");
}
