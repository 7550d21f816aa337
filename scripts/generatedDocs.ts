/**
 * Every section of the docs that `npm run docs` generates: which file holds it, its markers, and
 * what goes between them. scripts/docs.ts writes them; test/unit/docs/readme.test.ts checks each is
 * fresh, and that its markers appear once, in its own file only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, configReferenceTable, replaceBetweenMarkers } from "../domain/configDocs";
import {
  POLICY_NAMES_BEGIN,
  POLICY_NAMES_END,
  POLICY_OPTIONS_BEGIN,
  POLICY_OPTIONS_END,
  POLICY_TABLE_BEGIN,
  POLICY_TABLE_END,
  policyNameTable,
  policyOptionsTable,
  policyTable,
} from "./policyTable";
import { FLEET_SCALE_BEGIN, FLEET_SCALE_END, fleetScaleParagraph, readCheckBenchFigures } from "./fleetScale";

export const REPO_ROOT = path.join(__dirname, "..");

export interface GeneratedSection {
  /** The file that holds it, relative to the repository root. */
  readonly file: string;
  readonly begin: string;
  readonly end: string;
  /** The section with its markers, as it must read. */
  readonly content: () => string;
}

export const GENERATED_SECTIONS: readonly GeneratedSection[] = [
  { file: "docs/CONFIGURATION.md", begin: CONFIG_TABLE_BEGIN, end: CONFIG_TABLE_END, content: configReferenceTable },
  { file: "docs/POLICIES.md", begin: POLICY_TABLE_BEGIN, end: POLICY_TABLE_END, content: policyTable },
  { file: "docs/POLICIES.md", begin: POLICY_NAMES_BEGIN, end: POLICY_NAMES_END, content: policyNameTable },
  { file: "docs/POLICIES-LIBRARY.md", begin: POLICY_OPTIONS_BEGIN, end: POLICY_OPTIONS_END, content: policyOptionsTable },
  {
    file: "DEVELOPMENT.md",
    begin: FLEET_SCALE_BEGIN,
    end: FLEET_SCALE_END,
    content: () => fleetScaleParagraph(readCheckBenchFigures(fs.readFileSync(path.join(REPO_ROOT, "docs", "BENCHMARKS.md"), "utf8"))),
  },
];

/** The generated files with every section regenerated: file → new text. */
export function regenerated(root: string = REPO_ROOT): Map<string, { before: string; after: string }> {
  const out = new Map<string, { before: string; after: string }>();
  for (const section of GENERATED_SECTIONS) {
    const entry =
      out.get(section.file) ??
      (() => {
        const text = fs.readFileSync(path.join(root, section.file), "utf8");
        return { before: text, after: text };
      })();
    entry.after = replaceBetweenMarkers(entry.after, section.begin, section.end, section.content());
    out.set(section.file, entry);
  }
  return out;
}
