/**
 * The tables of the policies, generated: the rules (one policy each) with their levels from the
 * library and the per-stack policy config files, and the former groups (docs/POLICIES.md); the
 * options of `mailhostPolicies()` with their ranges from domain/limits.ts
 * (docs/POLICIES-LIBRARY.md). scripts/generatedDocs.ts lists them; `npm run docs` writes them; a
 * test fails when a file differs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as limits from "../domain/limits";
import {
  ACTIVE_SESSIONS_PER_HOST,
  BACKEND_ENDPOINTS,
  DEFAULTS,
  type IntRange,
  MAILBOX_CACHE_TTL,
  MAX_USER_PORT,
  RECOMMENDED,
  TCP_TIMED_WAIT_DELAY,
  UTILIZATION,
  formatRange,
} from "../domain/limits";
import { MAILHOST_RULE_LEVELS, MAILHOST_RULE_NAMES, RULE_VALUES, defaultLevelOf, descriptionOf, kindOf } from "../policies/library";
import { capacityKey, siteConfigKey } from "../policies/lib/stackConfig";
import { FORMER_GROUPS } from "../policies/lib/formerGroups";

export const POLICY_TABLE_BEGIN = "<!-- BEGIN policy-table: generated from policies/ by `npm run docs` -->";
export const POLICY_TABLE_END = "<!-- END policy-table -->";
const CONFIG_DIR = path.join(__dirname, "..", "policies", "config");

/** Stacks that have a policy config file. */
export function policyConfigStacks(): string[] {
  const order = ["dev", "staging", "prod"];
  const rank = (s: string) => (order.includes(s) ? order.indexOf(s) : order.length);
  return fs
    .readdirSync(CONFIG_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The level a stack's policy config gives a rule (a level, or `{ enforcementLevel }`), else `fallback`. */
export function levelIn(stack: string, rule: string, fallback: string): string {
  const config = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stack}.json`), "utf8")) as Record<string, unknown>;
  const entry = config[rule];
  if (typeof entry === "string") return entry;
  if (entry !== null && typeof entry === "object" && typeof (entry as { enforcementLevel?: unknown }).enforcementLevel === "string")
    return (entry as { enforcementLevel: string }).enforcementLevel;
  return fallback;
}

export function policyTable(): string {
  const stacks = policyConfigStacks();
  const rows = MAILHOST_RULE_NAMES.map((name) => {
    const level = defaultLevelOf(name);
    const values = (RULE_VALUES[name] ?? []).map((v) => `\`${v.option}\`${v.stackConfig ? ` (else the stack's \`${v.stackConfig}\`)` : ""}`).join(", ") || "—";
    return `| \`${name}\` | ${kindOf(name)} | ${level} | ${stacks.map((s) => levelIn(s, name, level)).join(" | ")} | ${values} | ${descriptionOf(name).replace(/\|/g, "\\|")} |`;
  });
  return [
    POLICY_TABLE_BEGIN,
    `| Rule (policy name) | Checks | Default level | ${stacks.map((s) => `\`${s}\``).join(" | ")} | Values (option, default source) | What it enforces |`,
    `|---|---|---|${stacks.map(() => "---").join("|")}|---|---|`,
    ...rows,
    POLICY_TABLE_END,
  ].join("\n");
}

export const POLICY_NAMES_BEGIN = "<!-- BEGIN policy-names: generated from policies/ by `npm run docs` -->";
export const POLICY_NAMES_END = "<!-- END policy-names -->";

/** From each policy that held several rules until this release to the rules a policy config names instead. */
export function policyNameTable(): string {
  const rows = Object.entries(FORMER_GROUPS).map(([group, rules]) => `| \`${group}\` | ${rules.map((r) => `\`${r}\``).join(", ")} |`);
  return [POLICY_NAMES_BEGIN, "| Former policy (several rules) | Set these rules instead |", "|---|---|", ...rows, POLICY_NAMES_END].join("\n");
}

export const POLICY_OPTIONS_BEGIN = "<!-- BEGIN policy-options: generated from policies/library.ts and domain/limits.ts by `npm run docs` -->";
export const POLICY_OPTIONS_END = "<!-- END policy-options -->";

/** The options of `mailhostPolicies()`, with their ranges and defaults read from domain/limits.ts. */
export function policyOptionsTable(): string {
  const range = (r: IntRange) => `\`${limitName(r)}\`, ${formatRange(r)}`;
  const rows = [
    [
      "`enforcementLevels`",
      `\`{ <rule name>: ${MAILHOST_RULE_LEVELS.map((l) => `"${l}"`).join(" \\| ")} }\``,
      "each rule's default level (docs/POLICIES.md)",
      "the level of each named rule; an unknown name (with the closest rule name) or level throws",
    ],
    [
      "`configNamespace`",
      "a config namespace (a project name)",
      "the project's name, as the module's config loader `stackSettings()` reads it",
      "where the values below are read from the stack's config: `<namespace>:capacity`, `<namespace>:siteConfig`",
    ],
    [
      "`minimumMailboxCacheTtl`",
      range(MAILBOX_CACHE_TTL),
      `the stack's \`${siteConfigKey("<project>")}.minimumMailboxCacheTtl\` (\`<project>\`: \`configNamespace\`, by default the project's name), else \`DEFAULTS.minimumMailboxCacheTtl\` (${DEFAULTS.minimumMailboxCacheTtl})`,
      "the floor of `mailhost-mailbox-cache-ttl-floor`",
    ],
    [
      "`capacity`",
      `\`{ activeSessionsPerHost\` (${range(ACTIVE_SESSIONS_PER_HOST)}), \`backendEndpoints\` (${range(BACKEND_ENDPOINTS)}), \`utilization?\` (\`UTILIZATION\`, above ${UTILIZATION.exclusiveMin} and at most ${UTILIZATION.max}; default \`DEFAULTS.utilization\`, ${DEFAULTS.utilization}) \`}\``,
      `the stack's \`${capacityKey("<project>")}\`; with neither, one advisory "capacity not checked"`,
      "the load of `mailhost-capacity-sustains-load`",
    ],
    [
      "`recommendedMinimumMaxUserPort`",
      range(MAX_USER_PORT),
      `\`RECOMMENDED.minimumMaxUserPort\` (${RECOMMENDED.minimumMaxUserPort})`,
      "the threshold of `mailhost-max-user-port-recommended`",
    ],
    [
      "`recommendedMaximumTcpTimedWaitDelay`",
      range(TCP_TIMED_WAIT_DELAY),
      `\`RECOMMENDED.maximumTcpTimedWaitDelay\` (${RECOMMENDED.maximumTcpTimedWaitDelay} s)`,
      "the threshold of `mailhost-tcp-timed-wait-delay-recommended`",
    ],
  ];
  return [
    POLICY_OPTIONS_BEGIN,
    "| option | range (constant of `mailhost-iac/limits`) | default | what it sets |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    POLICY_OPTIONS_END,
  ].join("\n");
}

const LIMITS_BY_OBJECT = new Map<object, string>(
  Object.entries(limits)
    .filter(([, v]) => typeof v === "object" && v !== null)
    .map(([k, v]) => [v as object, k]),
);
const limitName = (r: IntRange) => LIMITS_BY_OBJECT.get(r) ?? "?";
