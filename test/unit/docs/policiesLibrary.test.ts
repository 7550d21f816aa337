/**
 * docs/POLICIES-LIBRARY.md and the rule table of docs/POLICIES.md (freshness of both is checked
 * with every generated section, test/unit/docs/readme.test.ts): the tables name every rule and every
 * option, and the doc's example pack is the one test/integration/package/pack.test.ts installs and runs.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { MAILHOST_RULE_NAMES } from "../../../policies/library";
import { POLICY_OPTIONS_BEGIN, POLICY_OPTIONS_END, POLICY_TABLE_BEGIN, POLICY_TABLE_END } from "../../../scripts/policyTable";
import { REPO_ROOT } from "../../support/stacks";
import { examplePackFiles } from "../../support/policiesDoc";

const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "POLICIES-LIBRARY.md"), "utf8");
const policiesDoc = fs.readFileSync(path.join(REPO_ROOT, "docs", "POLICIES.md"), "utf8");
const between = (text: string, begin: string, end: string) => text.slice(text.indexOf(begin), text.indexOf(end));

describe("docs/POLICIES-LIBRARY.md", () => {
  it("lists every rule, and every option of MailhostPolicyOptions", () => {
    const rules = between(policiesDoc, POLICY_TABLE_BEGIN, POLICY_TABLE_END);
    for (const name of MAILHOST_RULE_NAMES) assert.ok(rules.includes(`| \`${name}\` |`), name);
    const source = fs.readFileSync(path.join(REPO_ROOT, "policies", "library.ts"), "utf8");
    const block = source.slice(source.indexOf("export interface MailhostPolicyOptions"), source.indexOf("/** An option the library refuses"));
    const options = [...block.matchAll(/^ {2}readonly (\w+)\?:/gm)].map((m) => m[1]);
    assert.ok(options.length >= 5, options.join(", "));
    const table = between(doc, POLICY_OPTIONS_BEGIN, POLICY_OPTIONS_END);
    for (const option of options) assert.ok(table.includes(`| \`${option}\` |`), option);
  });
  it("shows a complete pack: PulumiPolicy.yaml, package.json, tsconfig.json, index.ts on mailhost-iac/policies, a per-stack policy config by rule name", () => {
    const files = examplePackFiles(doc);
    assert.deepEqual(Object.keys(files).sort(), ["PulumiPolicy.yaml", "config/dev.json", "index.ts", "package.json", "tsconfig.json"]);
    assert.match(files["index.ts"], /from "mailhost-iac\/policies"/);
    for (const rule of Object.keys(JSON.parse(files["config/dev.json"]) as object).filter((k) => k.startsWith("mailhost-"))) {
      assert.ok((MAILHOST_RULE_NAMES as readonly string[]).includes(rule), rule);
    }
  });
});
