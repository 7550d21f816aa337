/**
 * ajv's errors as config issues: each names the setting as a config key path, the value given and
 * what the schema allows there (`mailhost:tcp.tcpTimedWaitDelay = <value> is outside <min>–<max> (seconds).`),
 * one issue per setting.
 *
 * Our own rather than a library's: `@apideck/better-ajv-errors` writes "property 'x' must be <= <max>"
 * (no value, no unit, a dotted `{base}` path), `better-ajv-errors` prints code frames for a
 * terminal, and `ajv-errors` takes a hand-written message per keyword in the schema (templates can
 * show the value, but not a range and unit read from the node, nor our key paths). None names the
 * setting, the value and the allowed range as the project's rule asks.
 */
import type { ErrorObject } from "ajv";
import { type ConfigIssue, showValue } from "../issues";
import { configKeyPath } from "./keys";
import { type SchemaNode } from "./schema";

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let current: unknown = data;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** What a schema node allows, as words: "<min>–<max> (seconds)", "one of dsc, runCommand". */
export function allowedText(node: SchemaNode): string {
  if (node.minimum !== undefined && node.maximum !== undefined) {
    return `${node.minimum}–${node.maximum}${node["x-unit"] ? ` (${node["x-unit"]})` : ""}`;
  }
  if (node.exclusiveMinimum !== undefined && node.maximum !== undefined) {
    return `above ${node.exclusiveMinimum} up to ${node.maximum}${node["x-unit"] ? ` (${node["x-unit"]})` : ""}`;
  }
  if (node.enum) return `one of ${node.enum.join(", ")}`;
  if (node.description) return node.description.replace(/\.$/, "");
  return typeWord(node.type);
}

function typeWord(type: string | readonly string[] | undefined): string {
  if (type === undefined) return "a value";
  const words: Record<string, string> = {
    integer: "an integer",
    number: "a number",
    string: "a string",
    object: "a map",
    array: "a list",
    boolean: "true or false",
  };
  if (Array.isArray(type)) return type.map((t) => words[t] ?? t).join(" or ");
  return words[String(type)] ?? String(type);
}

/**
 * When a string holds control characters, it was most likely a double-quoted Windows path: YAML
 * turns `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, `\a`, `\e` and `\0` inside double quotes into them.
 */
function escapeHint(value: unknown): string {
  // eslint-disable-next-line no-control-regex -- the hint is about control characters in a value
  if (typeof value !== "string" || !/[\u0000-\u001f]/.test(value)) return "";
  return " It holds control characters: in double quotes YAML reads backslash sequences such as \\t and \\n as escapes; write Windows paths in single quotes ('C:\\temp\\new.cfg') or unquoted.";
}

function formatAjvError(error: ErrorObject, data: unknown): ConfigIssue {
  const segments = pointerSegments(error.instancePath);
  const node = (error.parentSchema ?? {}) as SchemaNode;
  const value = valueAt(data, segments);
  switch (error.keyword) {
    case "required": {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const path = configKeyPath([...segments, missing]);
      const child = node.properties?.[missing];
      return { path, message: `${path} is missing; it is required${child ? ` (${allowedText(child)})` : ""}.` };
    }
    case "additionalProperties": {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const path = configKeyPath([...segments, extra]);
      const known = Object.keys(node.properties ?? {}).join(", ");
      return { path, message: `${path} is not a known setting${known ? `; known settings of ${configKeyPath(segments)}: ${known}` : ""}.` };
    }
    case "propertyNames": {
      const name = (error.params as { propertyName: string }).propertyName;
      const path = configKeyPath([...segments, name]);
      const rule = node.propertyNames ? `; use ${allowedText(node.propertyNames)}` : "";
      return { path, message: `${path}: the name ${showValue(name)} is not allowed here${rule}.` };
    }
    case "type": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not ${typeWord(node.type)}; allowed ${allowedText(node)}.` };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is outside ${allowedText(node)}.` };
    }
    case "enum": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not allowed; allowed: ${(node.enum ?? []).join(", ")}.` };
    }
    case "pattern": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not valid; expected ${allowedText(node)}.${escapeHint(value)}` };
    }
    case "uniqueItems": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} lists an item twice.` };
    }
    case "maxItems":
    case "maxLength": {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is too long (${error.message ?? ""}).` };
    }
    default: {
      const path = configKeyPath(segments);
      return { path, message: `${path} = ${showValue(value)} is not valid: ${error.message ?? error.keyword}.` };
    }
  }
}

/** ajv's errors for `data` as issues: every problem, deduplicated, in document order. */
export function issuesFromAjvErrors(errors: readonly ErrorObject[], data: unknown): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    // A bad property name is reported once, by its "propertyNames" error, not by the inner rule.
    if (error.propertyName !== undefined) continue;
    const issue = formatAjvError(error, data);
    // One problem per setting: a non-integer below the minimum gets the type message only.
    const key = error.keyword === "required" || error.keyword === "additionalProperties" || error.keyword === "propertyNames" ? issue.message : issue.path;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}
