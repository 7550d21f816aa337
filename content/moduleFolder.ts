/**
 * Reads a PowerShell module folder from disk as the files `buildMachineConfigurationPackage`
 * (domain/machineConfigurationPackage.ts) packs: the disk side of the package, kept out of domain/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type ModuleFile } from "../domain/machineConfigurationPackage";

/**
 * Every file under `folder` (recursively), sorted by path, with `/`-separated relative paths.
 * Throws when the folder is missing or empty.
 */
export function readModuleFolder(folder: string): ModuleFile[] {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new Error(`module folder ${folder} does not exist`);
  const files: ModuleFile[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), relative);
      else if (entry.isFile()) files.push({ path: relative, bytes: fs.readFileSync(path.join(dir, entry.name)) });
    }
  };
  walk(folder, "");
  if (files.length === 0) throw new Error(`module folder ${folder} holds no files`);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
