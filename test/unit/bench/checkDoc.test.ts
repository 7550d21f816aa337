import assert from "node:assert/strict";
import { test } from "node:test";
import { replaceSection } from "../../../bench/check";
import { BEGIN, END } from "../../../scripts/checkBenchDoc";

const other = "## Cost of reading script text\n\nA table another benchmark wrote.\n";

test("npm run bench replaces only its own section of docs/BENCHMARKS.md", () => {
  const doc = `# Benchmarks\n\n${BEGIN}\nold table\n${END}\n\nHand-written notes.\n\n${other}`;
  const out = replaceSection(doc, "new table\n");
  assert.equal(out, `# Benchmarks\n\n${BEGIN}\nnew table\n${END}\n\nHand-written notes.\n\n${other}`);
  assert.equal(replaceSection(out, "new table"), out, "a second run with the same figures changes nothing");
});

test("without markers, the section is added at the end and the file's text is kept", () => {
  const doc = `# Benchmarks\n\n${other}`;
  const out = replaceSection(doc, "table");
  assert.ok(out.startsWith(doc.trimEnd()));
  assert.ok(out.endsWith(`${BEGIN}\ntable\n${END}\n`));
});
