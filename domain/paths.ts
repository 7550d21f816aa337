/**
 * The project's root folder (the one holding Pulumi.yaml), whether this code runs from its
 * TypeScript sources or compiled into dist/: files like templates/ and guest/ are found from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`mailhost-iac: no Pulumi.yaml above ${start}`);
  }
}

let root: string | undefined;

/** A path inside the project. The root is looked up on first use, so importing never fails. */
export function projectPath(...segments: string[]): string {
  root ??= findProjectRoot(__dirname);
  return path.join(root, ...segments);
}
