/**
 * Ranges and defaults in the components' doc comments, generated from the limits module: in a
 * comment, `[<text>] from {@link NAME}` holds `formatRange(NAME)` and `[<text>] from {@link NAME}.key`
 * holds `String(NAME.key)`. `npm run docs` rewrites the text in brackets; a test checks it is fresh.
 */
import * as limits from "./limits";

const MARKER = /\[([^\]\n]*)\] from \{@link ([A-Z][A-Z0-9_]*)\}(?:\.([A-Za-z][A-Za-z0-9]*))?/g;

/** The text a marker must hold, or an error naming an unknown limit. */
function generated(name: string, key: string | undefined): string {
  const value = (limits as Record<string, unknown>)[name];
  if (value === undefined || value === null || typeof value !== "object") throw new Error(`doc comment refers to ${name}, which domain/limits.ts does not export as an object`);
  if (key !== undefined) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) throw new Error(`doc comment refers to ${name}.${key}, which does not exist`);
    return String(member);
  }
  return limits.formatRange(value as limits.IntRange);
}

/** A source text with every marker's bracketed text regenerated. */
export function withGeneratedLimits(source: string): string {
  return source.replace(MARKER, (_all, _old: string, name: string, key: string | undefined) => `[${generated(name, key)}] from {@link ${name}}${key === undefined ? "" : `.${key}`}`);
}

/** Number of markers in a source text. */
export function limitMarkerCount(source: string): number {
  return [...source.matchAll(MARKER)].length;
}
