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
import { FLEET_SCALE_BEGIN, FLEET_SCALE_END, fleetScaleParagraph, readCheckBenchFigures } from "../../scripts/fleetScale";
import { BEGIN as CHECK_BENCH_BEGIN, END as CHECK_BENCH_END, GOAL } from "../../scripts/checkBenchDoc";

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
  it("carries the fleet-scale figures exactly as generated from docs/BENCHMARKS.md (run `npm run docs`)", () => {
    const benchmarks = fs.readFileSync(path.join(REPO_ROOT, "docs", "BENCHMARKS.md"), "utf8");
    const begin = readme.indexOf(FLEET_SCALE_BEGIN);
    const end = readme.indexOf(FLEET_SCALE_END);
    assert.ok(begin >= 0 && end > begin, "README has the fleet-scale markers");
    assert.equal(readme.slice(begin, end + FLEET_SCALE_END.length), fleetScaleParagraph(readCheckBenchFigures(benchmarks)));
    assert.equal(readme.split(FLEET_SCALE_BEGIN).length, 2, "one fleet-scale paragraph");
  });
  it("the fleet-scale figures follow the benchmark's table: another row gives another paragraph", () => {
    const doc = [
      "# Benchmarks", "", CHECK_BENCH_BEGIN, "Machine: 4 cores (x), 8 GiB. Date: 2027-01-02.", "",
      "| hosts | resources | check: wall | check: CPU | check: peak RSS | pack CPU (share of wall) | after the program | naive: wall | naive: CPU | naive: peak RSS | naive / check: time | naive / check: CPU | naive / check: RSS |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      "| 100 | 812 | 2.00 s | 3.0 s | 300 MB | 1 s (50%) | 0.1 s | 5 s | 6 s | 400 MB | 2.5× | 2.0× | 1.3× |",
      `| ${GOAL.hosts.toLocaleString("en-US")} | 8100 | 12.34 s | 20.5 s | 1100 MB | 5 s (40%) | 1 s | 50 s | 60 s | 1600 MB | 4.1× | 2.9× | 1.5× |`,
      "", CHECK_BENCH_END, "",
    ].join("\n");
    const f = readCheckBenchFigures(doc);
    assert.deepEqual(f, { hosts: GOAL.hosts, resources: 8100, wallS: 12.34, cpuS: 20.5, rssMb: 1100, naiveOverCheckWall: 4.1, date: "2027-01-02", cores: 4 });
    const text = fleetScaleParagraph(f).replace(/\s+/g, " ");
    assert.match(text, /\(8,100 resources\)/);
    assert.match(text, /in 12\.34 s/);
    assert.match(text, /time not met, memory not met/, "12.34 s > 10 s and 1,100 MB > 1,024 MB");
    assert.throws(() => readCheckBenchFigures("# Benchmarks\n"), /no <!-- check-bench:begin -->/);
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
