import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../../policies/all";
import { MAILHOST_RULE_LEVELS, MAILHOST_RULE_NAMES } from "../../../policies/library";
import { REPO_ROOT, STACKS } from "../../support/stacks";

const readConfig = (stack: string) =>
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", `${stack}.json`), "utf8")) as Record<string, unknown>;

describe("per-stack policy config", () => {
  for (const stack of STACKS) {
    it(`${stack}.json sets levels only, each for a rule of the pack by its name`, () => {
      for (const [name, entry] of Object.entries(readConfig(stack))) {
        assert.ok((MAILHOST_RULE_NAMES as readonly string[]).includes(name), `${name} is a rule of the pack`);
        // A level, nothing else: the values rules need (load, floor) are the stack's own config.
        assert.equal(typeof entry, "string", `${stack}/${name}: a level, not ${JSON.stringify(entry)}`);
        assert.ok((MAILHOST_RULE_LEVELS as readonly unknown[]).includes(entry), `${stack}/${name}: ${String(entry)}`);
      }
    });
  }
  it("is advisory where a team wants warnings (dev) and mandatory in prod", () => {
    assert.equal(readConfig("dev")["mailhost-capacity-sustains-load"], "advisory");
    for (const entry of Object.values(readConfig("prod"))) assert.equal(entry, "mandatory");
  });
  it("names every policy in lower-kebab case with a full-sentence description, and no policy takes config values", () => {
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
    for (const p of policies) {
      assert.match(p.name, /^mailhost(-[a-z0-9]+)+$/);
      assert.match(p.description, /^[A-Z].*\.$/);
      // A value in the policy config would be a second copy of the stack's (or the options').
      assert.equal(p.configSchema, undefined, p.name);
    }
  });
});
