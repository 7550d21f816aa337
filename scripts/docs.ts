/**
 * Regenerates the generated parts of README.md (configuration reference, policies, fleet-scale
 * figures) and of docs/POLICIES-LIBRARY.md (the rule table): `npm run docs`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigReference } from "../domain/configDocs";
import { withLibraryTables, withPolicyTable } from "./policyTable";
import { withFleetScale } from "./fleetScale";

function regenerate(file: string, generate: (text: string) => string): void {
  const before = fs.readFileSync(file, "utf8");
  const after = generate(before);
  if (after !== before) fs.writeFileSync(file, after);
  console.log(`${path.relative(path.join(__dirname, ".."), file)}: ${after === before ? "generated tables are up to date." : "generated tables updated."}`);
}

regenerate(path.join(__dirname, "..", "README.md"), (readme) => withFleetScale(withPolicyTable(withConfigReference(readme))));
regenerate(path.join(__dirname, "..", "docs", "POLICIES-LIBRARY.md"), withLibraryTables);
