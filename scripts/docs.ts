/**
 * Regenerates every generated section of the docs (scripts/generatedDocs.ts: the configuration
 * reference, the policy tables, the fleet-scale figures): `npm run docs`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, regenerated } from "./generatedDocs";

for (const [file, { before, after }] of regenerated()) {
  if (after !== before) fs.writeFileSync(path.join(REPO_ROOT, file), after);
  console.log(`${file}: ${after === before ? "generated sections up to date" : "generated sections updated"}.`);
}
