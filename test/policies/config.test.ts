import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { policies } from "../../policies/all";
import { requireStackConfig } from "../../domain/config";
import { REPO_ROOT, STACKS, stackFileConfig } from "../support/stacks";

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];
const readConfig = (stack: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", `${stack}.json`), "utf8")) as Record<string, any>;

describe("per-stack policy config", () => {
  for (const stack of STACKS) {
    it(`${stack}.json names only policies of the pack, with valid levels and values`, () => {
      const ajv = new Ajv({ strict: false });
      for (const [name, entry] of Object.entries(readConfig(stack))) {
        const policy = policies.find((p) => p.name === name);
        assert.ok(policy, `${name} is a policy of the pack`);
        const { enforcementLevel, ...values } = typeof entry === "string" ? { enforcementLevel: entry } : entry;
        if (enforcementLevel !== undefined) assert.ok(LEVELS.includes(enforcementLevel), `${name}: ${enforcementLevel}`);
        const schema = { type: "object", additionalProperties: false, properties: policy.configSchema?.properties ?? {} };
        assert.ok(ajv.validate(schema, values), `${stack}/${name}: ${ajv.errorsText()}`);
      }
    });
    it(`${stack}.json checks the load and floor that Pulumi.${stack}.yaml plans for`, () => {
      const raw = Object.fromEntries(Object.entries(stackFileConfig(stack)).filter(([k]) => k.startsWith("mailhost:")).map(([k, v]) => [k.slice(9), v]));
      const config = requireStackConfig(raw);
      const policyConfig = readConfig(stack);
      assert.deepEqual(
        { ...policyConfig["mailhost-fleet-readiness"], enforcementLevel: undefined },
        { enforcementLevel: undefined, activeSessionsPerHost: config.capacity.activeSessionsPerHost, backendEndpoints: config.capacity.backendEndpoints, utilization: config.capacity.utilization },
      );
      assert.equal(policyConfig["mailhost-service-readiness"].minimumMailboxCacheTtl, config.siteConfig.minimumMailboxCacheTtl);
    });
  }
  it("is advisory where a team wants warnings (dev) and mandatory in prod", () => {
    assert.equal(readConfig("dev")["mailhost-fleet-readiness"].enforcementLevel, "advisory");
    for (const entry of Object.values(readConfig("prod"))) assert.equal(typeof entry === "string" ? entry : entry.enforcementLevel, "mandatory");
  });
  it("gives every configurable policy a JSON Schema with defaults, except the capacity load (the stack's own)", () => {
    const noDefault = new Set(["mailhost-fleet-readiness.activeSessionsPerHost", "mailhost-fleet-readiness.backendEndpoints"]);
    for (const policy of policies.filter((p) => p.configSchema)) {
      for (const [key, schema] of Object.entries(policy.configSchema!.properties)) {
        const s = schema as { default?: unknown; description?: string };
        if (noDefault.has(`${policy.name}.${key}`)) {
          assert.equal(s.default, undefined, `${policy.name}.${key} has no default: a made-up load would check nothing`);
          assert.match(s.description ?? "", /no default/);
        } else assert.notEqual(s.default, undefined, `${policy.name}.${key}`);
      }
    }
  });
  it("names every policy in lower-kebab case with a full-sentence description", () => {
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
    for (const p of policies) {
      assert.match(p.name, /^mailhost(-[a-z0-9]+)+$/);
      assert.match(p.description, /^[A-Z].*\.$/);
    }
  });
});
