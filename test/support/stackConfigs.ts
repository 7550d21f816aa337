/** The `mailhost:*` config of the committed stack files, without the Pulumi program (light to import). */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { requireStackConfig, type MailhostConfig } from "../../domain/config";
import { type FleetPlan, planFleet } from "../../domain/plan";
import { loadSiteConfigTemplate } from "../../content/siteConfigTemplate";

/** The `mailhost:*` keys of `Pulumi.<stack>.yaml`, without the namespace (and without the secret). */
export function committedStack(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).filter(([k]) => k.startsWith("mailhost:") && k !== "mailhost:adminPassword").map(([k, v]) => [k.slice("mailhost:".length), v]));
}

/** A committed stack's config with `change` applied to a deep copy of its raw form, validated. */
export function stackConfig(stack: string, change: (raw: Record<string, any>) => void = () => {}): MailhostConfig {
  const raw = structuredClone(committedStack(stack)) as Record<string, any>;
  change(raw);
  return requireStackConfig(raw);
}

/** The plan of a committed stack, with `change` applied to its raw config. */
export function stackPlan(stack: string, change: (raw: Record<string, any>) => void = () => {}): FleetPlan {
  return planFleet(stack, stackConfig(stack, change), loadSiteConfigTemplate());
}
