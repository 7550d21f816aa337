/**
 * The package's own folder (the one holding its package.json, named "mailhost-iac"), whether this
 * code runs from its TypeScript sources (under tsx), compiled into dist/, or installed in another
 * project's node_modules: files like templates/ and guest/ ship with the package and are found
 * from it. It is looked up from this file's location, never from the working directory or the
 * consumer's Pulumi project.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The `name` of this package's package.json. */
export const PACKAGE_NAME = "mailhost-iac";

/** The nearest folder at or above `start` whose package.json is this package's. */
export function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not this package's manifest: keep walking up.
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json named "${PACKAGE_NAME}" at or above ${start}`);
  }
}

let root: string | undefined;

/** A path inside the package. The root is looked up on first use, so importing never fails. */
export function projectPath(...segments: string[]): string {
  root ??= findPackageRoot(__dirname);
  return path.join(root, ...segments);
}
