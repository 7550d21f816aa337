/**
 * Regenerates every generated section of the docs (scripts/generatedDocs.ts: the configuration
 * reference, the policy tables, the fleet-scale figures) and the numbers in the components' doc
 * comments (scripts/limitsInComments.ts): `npm run docs`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, regenerated } from "./generatedDocs";
import { limitCommentFiles, withLimitsInComments } from "./limitsInComments";

for (const [file, { before, after }] of regenerated()) {
  if (after !== before) fs.writeFileSync(path.join(REPO_ROOT, file), after);
  console.log(`${file}: ${after === before ? "generated sections up to date" : "generated sections updated"}.`);
}

let stale = 0;
for (const file of limitCommentFiles(REPO_ROOT)) {
  const text = fs.readFileSync(file, "utf8");
  const updated = withLimitsInComments(text, path.relative(REPO_ROOT, file));
  if (updated === text) continue;
  fs.writeFileSync(file, updated);
  console.log(`${path.relative(REPO_ROOT, file)}: numbers in doc comments updated.`);
  stale++;
}
if (stale === 0) console.log("components/*.ts: numbers in doc comments up to date.");
