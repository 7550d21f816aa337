/**
 * The numbers in the doc comments of the components and of the policies library, generated from `domain/limits.ts`: a range or
 * default is written as its value followed by the constant it comes from, in parentheses and
 * backticks, e.g. "Range: <min>–<max> (<unit>; `TCP_TIMED_WAIT_DELAY`)" or "Defaults to <value>
 * (`DEFAULTS.maxUserPort`)". `npm run docs` rewrites each value from its constant (an `IntRange`
 * also rewrites its unit); a test fails when a comment is stale or names no constant.
 *
 * The numbers are written out, not `{@link}`-ed, because the comments are also the descriptions
 * other languages see in the component plugin's schema (docs/LANGUAGES.md), where a link does not
 * resolve.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as limits from "../domain/limits";
import { TEXT_DEFAULTS } from "../domain/config";
import { DEFAULT_EGRESS_KIND } from "../domain/egress";

/** The folders whose `.ts` files carry generated numbers in their doc comments (the policies: their library's options). */
export const LIMIT_COMMENT_FOLDERS = ["components", "policies"] as const;

/** A value, then the constant in parentheses: "<value> (<unit>; `NAME.path`)" or "<value> (`NAME.path`)". */
const REFERENCE = /(\S+) \((?:([^;()`\n]*); )?`([A-Z][A-Z0-9_]*(?:\.[A-Za-z0-9_]+)*)`\)/g;

/** What the comments may name: every export of the limits module, and the text defaults of the config schema. */
const NAMESPACE: Record<string, unknown> = { ...limits, TEXT_DEFAULTS, DEFAULT_EGRESS_KIND };

/** The value a reference names, or undefined when it names nothing. */
export function resolveReference(reference: string): unknown {
  const [head, ...rest] = reference.split(".");
  let value: unknown = Object.prototype.hasOwnProperty.call(NAMESPACE, head) ? NAMESPACE[head] : undefined;
  for (const key of rest)
    value =
      value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** The value text and the unit text a constant gives, or an error naming what is wrong. */
function render(reference: string, unit: string | undefined): { value: string; unit: string | undefined } {
  const value = resolveReference(reference);
  if (value === undefined) throw new Error(`\`${reference}\` names nothing in domain/limits.ts, TEXT_DEFAULTS or DEFAULT_EGRESS_KIND`);
  if (typeof value === "number") return { value: String(value), unit };
  if (typeof value === "string") {
    if (/\s|`/.test(value)) throw new Error(`\`${reference}\` = ${JSON.stringify(value)} cannot be written as one word`);
    return { value: `\`${value}\``, unit };
  }
  if (value !== null && typeof value === "object") {
    const range = value as { min?: number; exclusiveMin?: number; max?: number; unit?: string };
    if (typeof range.max === "number" && typeof range.unit === "string") {
      if (typeof range.min === "number") return { value: `${range.min}–${range.max}`, unit: range.unit };
      if (typeof range.exclusiveMin === "number") return { value: `${range.exclusiveMin}–${range.max}`, unit: `${range.unit}, ${range.exclusiveMin} excluded` };
    }
  }
  throw new Error(`\`${reference}\` is neither a number, a one-word text nor a range`);
}

/** Every constant the text names in the reference form. */
export function referencesIn(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => m[3]);
}

/** The text with every referenced value (and a range's unit) rewritten from its constant. Throws on a reference to nothing. */
export function withLimitsInComments(text: string, file = "text"): string {
  return text.replace(REFERENCE, (_whole, _old: string, unit: string | undefined, reference: string) => {
    let rendered;
    try {
      rendered = render(reference, unit);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
    return `${rendered.value} (${rendered.unit === undefined ? "" : `${rendered.unit}; `}\`${reference}\`)`;
  });
}

/** The text without the generated values (their constants' names stay), for checks that look for copied numbers. */
export function withoutGeneratedNumbers(text: string): string {
  return text.replace(REFERENCE, (whole: string, value: string) => whole.slice(value.length + 1));
}

/** The files whose comments carry generated numbers. */
export function limitCommentFiles(root: string): string[] {
  return LIMIT_COMMENT_FOLDERS.flatMap((folder) =>
    fs
      .readdirSync(path.join(root, folder))
      .filter((f) => f.endsWith(".ts"))
      .sort()
      .map((f) => path.join(root, folder, f)),
  );
}
