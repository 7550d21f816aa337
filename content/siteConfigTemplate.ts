/** The SiteConfig.cfg template that ships with the package (`templates/`), read from disk. */
import * as fs from "node:fs";
import { projectPath } from "./paths";

/** Reads the shipped template (or the file given). */
export function loadSiteConfigTemplate(file: string = projectPath("templates", "SiteConfig.cfg")): string {
  return fs.readFileSync(file, "utf8");
}
