/**
 * Stack configs for tests, without the Pulumi program (light to import): the committed stack files
 * and the smallest valid config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { requireStackConfig, type MailhostConfig, type TuningMechanism } from "../../domain/config";
import { type FleetPlan, type PlanOptions, planFleet } from "../../domain/plan";
import { loadSiteConfigTemplate } from "../../content/siteConfigTemplate";

/** The `mailhost:*` keys of `Pulumi.<stack>.yaml`, without the namespace (and without the secret). */
export function committedStack(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(doc.config)
      .filter(([k]) => k.startsWith("mailhost:") && k !== "mailhost:adminPassword")
      .map(([k, v]) => [k.slice("mailhost:".length), v]),
  );
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

/** The smallest valid raw stack config: one host, one back end, the given tuning mechanism, every other key at its default. */
export function minimalRawConfig(tuning: TuningMechanism): Record<string, any> {
  return {
    fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"] },
    tcp: { tuning },
    siteConfig: { mailboxCacheTtl: 600 },
    capacity: { activeSessionsPerHost: 100, backendEndpoints: 1 },
  };
}

/** The plan of stack "unit" from {@link minimalRawConfig}, with `change` applied to the raw config first. */
export function minimalPlan(tuning: TuningMechanism, change: (raw: Record<string, any>) => void = () => {}, options: PlanOptions = {}): FleetPlan {
  const raw = minimalRawConfig(tuning);
  change(raw);
  return planFleet("unit", requireStackConfig(raw), loadSiteConfigTemplate(), options);
}
