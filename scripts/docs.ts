/** Regenerates the generated parts of README.md (configuration reference, policies, fleet-scale figures): `npm run docs`. */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigReference } from "../domain/configDocs";
import { withPolicyTable } from "./policyTable";
import { withFleetScale } from "./fleetScale";

const readmePath = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readmePath, "utf8");
const after = withFleetScale(withPolicyTable(withConfigReference(before)));
if (after !== before) fs.writeFileSync(readmePath, after);
console.log(after === before ? "README.md generated tables are up to date." : "README.md generated tables updated.");

