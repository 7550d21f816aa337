/**
 * Policy configuration as the Pulumi CLI reconciles it before Configure: each policy's defaults
 * from its schema, the pack's initial config, then the user's config, validated against the
 * schemas (Ajv). Throws {@link PolicyConfigError} listing every problem.
 */
import Ajv from "ajv";
import { type AnalyzerInfo, type EffectivePolicyConfig, type PolicyPackConfig, LEVELS } from "./analyzerProto";

export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid policy pack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "PolicyConfigError";
  }
}

/**
 * What the CLI sends in Configure: every policy at its declared level with its schema defaults, then the
 * pack's initial config, then `config` (`all` sets every level) — validated against each policy's schema.
 */
export function reconcilePolicyConfig(info: AnalyzerInfo, config: PolicyPackConfig = {}): Record<string, EffectivePolicyConfig> {
  const problems: string[] = [];
  const result: Record<string, EffectivePolicyConfig> = {};
  for (const p of info.policies) {
    const properties: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
      if ("default" in schema) properties[k] = schema["default"];
    }
    result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
  }
  const apply = (layer: Record<string, Partial<EffectivePolicyConfig>>): void => {
    const all = layer["all"]?.enforcementLevel;
    if (all) for (const c of Object.values(result)) c.enforcementLevel = all;
    for (const [name, given] of Object.entries(layer)) {
      const current = result[name] ?? { enforcementLevel: "advisory", properties: {} };
      result[name] = {
        enforcementLevel: given.enforcementLevel ?? current.enforcementLevel,
        properties: { ...current.properties, ...given.properties },
      };
    }
  };
  apply(info.initialConfig);
  const normalized: Record<string, Partial<EffectivePolicyConfig>> = {};
  for (const [name, value] of Object.entries(config)) {
    const { enforcementLevel, ...properties } = typeof value === "string" ? { enforcementLevel: value } : value;
    if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel)) {
      problems.push(`${name}: "${String(enforcementLevel)}" is not a valid enforcement level`);
    }
    normalized[name] = { enforcementLevel, properties };
  }
  if (problems.length) throw new PolicyConfigError(problems);
  apply(normalized);

  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const p of info.policies) {
    if (!p.configSchema) continue;
    const validate = ajv.compile({ type: "object", properties: p.configSchema.properties, required: p.configSchema.required });
    if (!validate(result[p.name]?.properties ?? {})) {
      for (const e of validate.errors ?? []) problems.push(`${p.name}: ${`${e.instancePath} ${e.message ?? ""}`.trim()}`);
    }
  }
  if (problems.length) throw new PolicyConfigError(problems);
  return result;
}
