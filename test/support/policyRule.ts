/**
 * A small evaluator of Azure Policy `if` conditions, for tests: the logical operators (allOf,
 * anyOf, not) and the conditions equals, notEquals, like, notLike, in, notIn, exists over `field`
 * or `value`, with the expressions this project's definitions use (`[parameters('x')]` and
 * `[concat('tags[', parameters('x'), ']')]`). Semantics from Microsoft Learn, "Azure Policy
 * definition structure policy rule" / "conditions": string comparisons are case-insensitive, `like`
 * takes one `*` wildcard, `exists` compares with "true"/"false", a missing field is not equal to
 * anything. Fields: `type`, `name`, `location`, `tags['n']` / `tags[n]`, and aliases given as a map.
 */
export interface PolicyTarget {
  readonly type: string;
  readonly name?: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  /** Alias values, e.g. `Microsoft.HybridCompute/imageOffer`. */
  readonly aliases?: Record<string, unknown>;
}

type Condition = Record<string, unknown>;

function resolve(expr: unknown, parameters: Record<string, unknown>): unknown {
  if (typeof expr !== "string" || !expr.startsWith("[") || expr.startsWith("[[")) return expr;
  const param = /^\[parameters\('([^']+)'\)\]$/.exec(expr);
  if (param) return parameters[param[1]];
  const tag = /^\[concat\('tags\[', parameters\('([^']+)'\), '\]'\)\]$/.exec(expr);
  if (tag) return `tags[${String(parameters[tag[1]])}]`;
  throw new Error(`expression not supported by the test evaluator: ${expr}`);
}

function fieldValue(field: string, target: PolicyTarget): unknown {
  const tag = /^tags\[(?:'([^']*)'|([^\]]*))\]$/.exec(field);
  if (tag) {
    const name = (tag[1] ?? tag[2]).toLowerCase();
    const key = Object.keys(target.tags ?? {}).find((k) => k.toLowerCase() === name);
    return key === undefined ? undefined : target.tags![key];
  }
  if (field === "type") return target.type;
  if (field === "name") return target.name;
  if (field === "location") return target.location;
  return target.aliases?.[field];
}

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
function like(value: unknown, pattern: string): boolean {
  if (typeof value !== "string") return false;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return re.test(value);
}

export function evaluate(condition: Condition, target: PolicyTarget, parameters: Record<string, unknown> = {}): boolean {
  if (Array.isArray(condition.allOf)) return condition.allOf.every((c) => evaluate(c as Condition, target, parameters));
  if (Array.isArray(condition.anyOf)) return condition.anyOf.some((c) => evaluate(c as Condition, target, parameters));
  if (condition.not !== undefined) return !evaluate(condition.not as Condition, target, parameters);
  const subject = "field" in condition ? fieldValue(String(resolve(condition.field, parameters)), target) : resolve(condition.value, parameters);
  if ("exists" in condition) return String(condition.exists).toLowerCase() === "true" ? subject !== undefined : subject === undefined;
  if ("equals" in condition) return subject !== undefined && lower(subject) === lower(resolve(condition.equals, parameters));
  if ("notEquals" in condition) return subject === undefined || lower(subject) !== lower(resolve(condition.notEquals, parameters));
  if ("like" in condition) return like(subject, String(resolve(condition.like, parameters)));
  if ("notLike" in condition) return !like(subject, String(resolve(condition.notLike, parameters)));
  if ("in" in condition) return (resolve(condition.in, parameters) as unknown[]).some((v) => lower(v) === lower(subject));
  if ("notIn" in condition) return !(resolve(condition.notIn, parameters) as unknown[]).some((v) => lower(v) === lower(subject));
  throw new Error(`condition not supported by the test evaluator: ${JSON.stringify(condition)}`);
}
