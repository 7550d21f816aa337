import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, configReferenceTable } from "../../domain/configDocs";
import { configSchema } from "../../domain/config";
import { POLICY_TABLE_BEGIN, POLICY_TABLE_END, policyTable } from "../../scripts/policyTable";
import { SECRET_KEYS } from "../../stack/stackConfig";
import { REPO_ROOT } from "../support/stacks";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

describe("README", () => {
  it("carries the configuration reference exactly as generated from the schema (run `npm run docs`)", () => {
    const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
    const end = readme.indexOf(CONFIG_TABLE_END);
    assert.ok(begin >= 0 && end > begin, "README has the config-reference markers");
    assert.equal(readme.slice(begin, end + CONFIG_TABLE_END.length), configReferenceTable());
  });
  it("carries the policy table exactly as generated from the pack and its per-stack config (run `npm run docs`)", () => {
    const begin = readme.indexOf(POLICY_TABLE_BEGIN);
    const end = readme.indexOf(POLICY_TABLE_END);
    assert.ok(begin >= 0 && end > begin, "README has the policy-table markers");
    assert.equal(readme.slice(begin, end + POLICY_TABLE_END.length), policyTable());
    assert.match(readme, /pulumi preview -s prod --policy-pack policies --policy-pack-config policies\/config\/prod.json/);
  });
  it("lists every leaf key of the schema in the table", () => {
    const table = configReferenceTable();
    const leaves: string[] = [];
    const walk = (node: any, p: string[]) => {
      if (node.type === "object" && node.properties) for (const [k, v] of Object.entries(node.properties)) walk(v, [...p, k]);
      else leaves.push(`mailhost:${p[0]}${p.length > 1 ? "." + p.slice(1).join(".") : ""}`);
    };
    walk(configSchema, []);
    assert.ok(leaves.length >= 15);
    for (const leaf of leaves) assert.ok(table.includes(`\`${leaf}\``), leaf);
  });
  it("names a test command that package.json defines, and .ci/run runs it", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    assert.match(readme, /npm ci && npm test/);
    assert.ok(pkg.scripts.test.includes("tsc --noEmit"));
    assert.match(fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8"), /^npm test$/m);
  });
});

describe("Pulumi.yaml", () => {
  it("declares every project key of the schema, with a type and a description", () => {
    const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    const declared = Object.keys(project.config).sort();
    assert.deepEqual(declared, [...Object.keys(configSchema.properties), ...SECRET_KEYS].sort());
    for (const [key, spec] of Object.entries<any>(project.config)) {
      assert.ok(spec.description, `${key} has a description`);
      assert.equal(spec.type, SECRET_KEYS.includes(key) ? "string" : "object");
    }
    for (const key of SECRET_KEYS) assert.equal(project.config[key].secret, true, `${key} is a secret`);
    assert.equal(project.runtime.name, "nodejs");
  });
  it("describes each object key with every property of its schema and every allowed value of its enums (tcp lists machineConfiguration)", () => {
    const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    const missing: string[] = [];
    for (const [key, section] of Object.entries<any>(configSchema.properties)) {
      const description: string = project.config[key].description;
      for (const [name, property] of Object.entries<any>(section.properties ?? {})) {
        if (!new RegExp(`\\b${name}\\b`).test(description)) missing.push(`${key}: ${name}`);
        for (const value of property.enum ?? []) if (typeof value === "string" && !new RegExp(`\\b${value}\\b`).test(description)) missing.push(`${key}.${name}: ${value}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
