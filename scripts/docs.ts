/** Regenerates the generated parts of README.md (configuration reference, policies, fleet-scale figures): `npm run docs`. */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigReference } from "../domain/configDocs";
import { withPolicyTable } from "./policyTable";
import { withGeneratedLimits } from "../domain/argsDocs";
import { withFleetScale } from "./fleetScale";

const readmePath = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readmePath, "utf8");
const after = withFleetScale(withPolicyTable(withConfigReference(before)));
if (after !== before) fs.writeFileSync(readmePath, after);
console.log(after === before ? "README.md generated tables are up to date." : "README.md generated tables updated.");

// Ranges and defaults in the components' doc comments (domain/argsDocs.ts).
const componentsDir = path.join(__dirname, "..", "components");
for (const file of fs.readdirSync(componentsDir).filter((f) => f.endsWith(".ts"))) {
  const full = path.join(componentsDir, file);
  const text = fs.readFileSync(full, "utf8");
  const fresh = withGeneratedLimits(text);
  if (fresh !== text) {
    fs.writeFileSync(full, fresh);
    console.log(`components/${file}: generated ranges updated.`);
  }
}
