/** What a TypeScript source imports, read from its text (tests of the layering and the package manifest). */

/** Every module specifier of a source: static, type-only, side-effect and dynamic imports, re-exports and requires. */
export function importSpecifiers(text: string): string[] {
  return [
    ...text.matchAll(/^\s*(?:import|export)\s(?:[^"';]*?\sfrom\s)?["']([^"']+)["']/gm),
    ...text.matchAll(/\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]);
}
