/**
 * Defaults of the stack config. Literal defaults are the schema's `default:`s, which ajv fills in
 * while it validates (`useDefaults`); this file adds the one default derived from another value,
 * the dynamic port range from MaxUserPort, and puts the keys in the schema's order.
 */
import { DEFAULTS, DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START } from "../limits";
import { type MailhostConfig, type SchemaFilledConfig, type SchemaNode, configSchema } from "./schema";

/** Default dynamic port range for a MaxUserPort: from the default start (or the lowest allowed start when that leaves too few ports) up to it. */
export function defaultDynamicPortRange(maxUserPort: number): { start: number; count: number } {
  const preferredCount = maxUserPort - DEFAULTS.dynamicPortRangeStart + 1;
  const start = preferredCount >= DYNAMIC_PORT_RANGE_COUNT.min ? DEFAULTS.dynamicPortRangeStart : DYNAMIC_PORT_RANGE_START.min;
  return { start, count: maxUserPort - start + 1 };
}

/**
 * A copy of `value` whose objects list their keys in the order of the schema's `properties`, so
 * that the resolved config has one shape whatever order the stack file wrote. Maps (tags,
 * SiteConfig settings) keep the order they were written in.
 */
function inSchemaOrder(value: unknown, node: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => inSchemaOrder(item, node?.items));
  if (value === null || typeof value !== "object") return value;
  const properties = node?.properties;
  if (properties === undefined) return { ...value };
  const entries = Object.entries(value as Record<string, unknown>);
  const order = Object.keys(properties);
  entries.sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  return Object.fromEntries(entries.map(([key, child]) => [key, inSchemaOrder(child, properties[key])]));
}

/** The resolved config of a schema-valid input whose literal defaults ajv has filled in. */
export function resolveDefaults(filled: SchemaFilledConfig): MailhostConfig {
  const { tcp } = filled;
  const resolved = { ...filled, tcp: { ...tcp, dynamicPortRange: tcp.dynamicPortRange ?? defaultDynamicPortRange(tcp.maxUserPort) } };
  return inSchemaOrder(resolved, configSchema as unknown as SchemaNode) as MailhostConfig;
}
