/**
 * The repository stands on its own: docs and comments cite public sources and the repository's
 * own docs/, never files a user does not have (a DOMAIN.md, ../shared/...) nor tracker numbers.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/stacks";

/** Citations of things outside the repository. "#444" (a colour) is not one; "see #12" is. */
export const OUTSIDE_CITATION = /DOMAIN\.md|\.\.\/shared\b|\bissues? #?\d+\b|(^|[\s([,])#\d+\b/im;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".git", "dist"].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full));
    else if (/\.(ts|js|ps1|psm1|psd1|md|ya?ml)$/.test(entry.name)) out.push(full);
  }
  return out;
}

describe("the repository stands on its own", () => {
  it("the pattern finds the citations it is meant to find, and not colours", () => {
    for (const cited of ["see DOMAIN.md", "Sources are in ../shared/DOMAIN.md", "(issue 6)", "Issue 6.", "fixes #12", "see issues 3"]) assert.match(cited, OUTSIDE_CITATION, cited);
    for (const fine of ['stroke="#444"', 'const grey = "#7f7f7f";', "attempt 201", "docs/SETTINGS.md", "KB 319502"]) assert.doesNotMatch(fine, OUTSIDE_CITATION, fine);
  });

  it("no doc, comment or workflow cites DOMAIN.md, ../shared or an issue number", () => {
    const self = path.join(REPO_ROOT, "test", "unit", "docs", "standalone.test.ts");
    const found: string[] = [];
    for (const file of files(REPO_ROOT).filter((f) => f !== self)) {
      fs.readFileSync(file, "utf8").split("\n").forEach((line, i) => {
        if (OUTSIDE_CITATION.test(line)) found.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it("docs/SETTINGS.md explains the settings and the capacity model with public sources", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "docs", "SETTINGS.md"), "utf8");
    for (const needed of ["MaxUserPort", "TcpTimedWaitDelay", "MailboxCacheTTL", "dynamic port range", "## Capacity model", "KB 319502", "Microsoft Learn"]) assert.ok(text.includes(needed), needed);
  });
});
