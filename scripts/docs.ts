/**
 * Regenerates the generated parts of README.md (configuration reference, policies, fleet-scale
 * figures) and the numbers in the components' doc comments (scripts/limitsInComments.ts): `npm run docs`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigReference } from "../domain/configDocs";
import { withPolicyTable } from "./policyTable";
import { withFleetScale } from "./fleetScale";
import { limitCommentFiles, withLimitsInComments } from "./limitsInComments";

const readmePath = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readmePath, "utf8");
const after = withFleetScale(withPolicyTable(withConfigReference(before)));
if (after !== before) fs.writeFileSync(readmePath, after);
console.log(after === before ? "README.md generated tables are up to date." : "README.md generated tables updated.");

for (const file of limitCommentFiles(path.join(__dirname, ".."))) {
  const text = fs.readFileSync(file, "utf8");
  const updated = withLimitsInComments(text, path.relative(path.join(__dirname, ".."), file));
  if (updated !== text) {
    fs.writeFileSync(file, updated);
    console.log(`${path.relative(path.join(__dirname, ".."), file)}: numbers in doc comments updated.`);
  }
}
