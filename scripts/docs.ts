/** Regenerates the configuration reference in README.md from the schema: `npm run docs`. */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigReference } from "../domain/configDocs";

const readmePath = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readmePath, "utf8");
const after = withConfigReference(before);
if (after !== before) fs.writeFileSync(readmePath, after);
console.log(after === before ? "README.md configuration reference is up to date." : "README.md configuration reference updated.");
