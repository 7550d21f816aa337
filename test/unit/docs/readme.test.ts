/**
 * The docs stay true: README short, with an example stack file that validates and a library quick
 * start that type-checks; every generated section fresh and in its own file; every relative link
 * and anchor in README.md, DEVELOPMENT.md and docs/*.md leading somewhere; long source files
 * explained in DEVELOPMENT.md.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { parse } from "yaml";
import { CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, configReferenceTable } from "../../../domain/configDocs";
import { AZURE_LOCATION_KEY, configSchema } from "../../../domain/config";
import { SECRET_KEYS, loadStack } from "../../../stack/stackConfig";
import { readStackFile } from "../../../stack/stackFile";
import { REPO_ROOT } from "../../support/stacks";
import { brokenLinks, fencedBlocks, headingAnchors } from "../../support/markdown";
import { GENERATED_SECTIONS, regenerated } from "../../../scripts/generatedDocs";
import { fleetScaleParagraph, readCheckBenchFigures } from "../../../scripts/fleetScale";
import { BEGIN as CHECK_BENCH_BEGIN, END as CHECK_BENCH_END, GOAL } from "../../../scripts/checkBenchDoc";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
const readme = read("README.md");

/** README.md, DEVELOPMENT.md and every docs/*.md, relative to the repository root. */
function docFiles(): string[] {
  return ["README.md", "DEVELOPMENT.md", ...fs.readdirSync(path.join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
}

interface SchemaNode { type?: unknown; properties?: Record<string, SchemaNode>; required?: readonly string[] }

/** Dotted paths of every leaf of the schema (`fleet.hostCount`, `tcp.dynamicPortRange.start`). */
function leafPaths(node: SchemaNode, prefix: string[] = []): string[] {
  if (node.type === "object" && node.properties) return Object.entries(node.properties).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  return [prefix.join(".")];
}

/** Dotted paths of every key a stack must set: required keys of required blocks, down to the leaves. */
function requiredPaths(node: SchemaNode, prefix: string[] = []): string[] {
  return (node.required ?? []).flatMap((k) => {
    const child = node.properties![k];
    return child.type === "object" && child.properties ? requiredPaths(child, [...prefix, k]) : [[...prefix, k].join(".")];
  });
}

/** `{ "mailhost:tcp": { dynamicPortRange: { start } } }` → `tcp.dynamicPortRange.start`, for `mailhost:` keys. */
function yamlPaths(config: Record<string, unknown>): string[] {
  const walk = (value: unknown, prefix: string[]): string[] =>
    value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0
      ? Object.entries(value).flatMap(([k, v]) => walk(v, [...prefix, k]))
      : [prefix.join(".")];
  return Object.entries(config).filter(([k]) => k.startsWith("mailhost:")).flatMap(([k, v]) => walk(v, [k.slice("mailhost:".length)]));
}

describe("generated sections (run `npm run docs`)", () => {
  for (const section of GENERATED_SECTIONS) {
    it(`${section.file} carries ${section.begin.replace(/^<!-- (BEGIN )?/, "").split(/[: ]/)[0]} exactly as generated, once, and no other doc carries it`, () => {
      const text = read(section.file);
      const begin = text.indexOf(section.begin);
      const end = text.indexOf(section.end);
      assert.ok(begin >= 0 && end > begin, `${section.file} has the markers`);
      assert.equal(text.slice(begin, end + section.end.length), section.content());
      assert.equal(text.split(section.begin).length, 2, "one such section");
      for (const other of docFiles().filter((f) => f !== section.file)) assert.ok(!read(other).includes(section.begin), `${other} carries no copy`);
    });
  }
  it("npm run docs would change nothing", () => {
    for (const [file, { before, after }] of regenerated()) assert.equal(after, before, file);
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
});

describe("docs/CONFIGURATION.md: the configuration reference", () => {
  const reference = configReferenceTable();
  it("lists every leaf key of the schema in a table, by its full name", () => {
    const leaves = leafPaths(configSchema as SchemaNode).map((p) => {
      const [head, ...rest] = p.split(".");
      return `mailhost:${head}${rest.length > 0 ? "." + rest.join(".") : ""}`;
    });
    assert.ok(leaves.length >= 15);
    for (const leaf of leaves) assert.ok(reference.includes(`| \`${leaf}\` |`), leaf);
    for (const key of [AZURE_LOCATION_KEY, ...SECRET_KEYS.map((k) => `mailhost:${k}`)]) assert.ok(reference.includes(`| \`${key}\` |`), key);
  });
  it("writes every key nested as the stack file must: its YAML outlines, read together, hold exactly the schema's keys", () => {
    const blocks = fencedBlocks(reference).filter((b) => b.info === "yaml");
    assert.ok(blocks.length >= Object.keys(configSchema.properties).length);
    const config = Object.assign({}, ...blocks.map((b) => (parse(b.content) as { config: Record<string, unknown> }).config)) as Record<string, unknown>;
    // Each outline is YAML in the file's shape: `config:`, then the namespaced block, then its keys.
    const objectLeaves = new Set(leafPaths(configSchema as SchemaNode));
    const found = yamlPaths(config).filter((p) => !SECRET_KEYS.includes(p.split(".")[0]));
    assert.deepEqual([...new Set(found)].sort(), [...objectLeaves].sort());
    assert.ok(AZURE_LOCATION_KEY in config);
    for (const key of SECRET_KEYS) assert.ok(`mailhost:${key}` in config, key);
  });
  it("sits between its markers in docs/CONFIGURATION.md, under the Reference heading", () => {
    const text = read("docs/CONFIGURATION.md");
    assert.ok(text.indexOf("## Reference") < text.indexOf(CONFIG_TABLE_BEGIN) && text.indexOf(CONFIG_TABLE_END) > 0);
  });
});

describe("README", () => {
  it("is at most 200 lines", () => {
    assert.ok(readme.split("\n").length <= 200, `${readme.split("\n").length} lines`);
  });
  it("names the test command .ci/run runs, which package.json defines", () => {
    const pkg = JSON.parse(read("package.json"));
    assert.match(readme, /npm ci && npm test/);
    assert.ok(pkg.scripts.typecheck.includes("tsc --noEmit"));
    for (const part of ["lint", "typecheck", "test:unit", "test:integration", "test:guest"]) assert.ok(pkg.scripts.test.includes(`npm run ${part}`), `npm test runs ${part}`);
    assert.match(read(".ci/run"), /^npm test$/m);
  });

  const stackFile = fencedBlocks(readme).find((b) => b.info === "yaml" && b.heading === "A stack file");
  it("has an example stack file with every required key and the region, nested as Pulumi.<stack>.yaml nests them, that the stack loader accepts", () => {
    assert.ok(stackFile, "a yaml block under \"A stack file\"");
    const doc = parse(stackFile.content) as { config: Record<string, unknown> };
    const present = yamlPaths(doc.config);
    for (const required of requiredPaths(configSchema as SchemaNode)) assert.ok(present.includes(required) || present.some((p) => p.startsWith(`${required}.`)), `mailhost:${required}`);
    assert.match(String(doc.config[AZURE_LOCATION_KEY]), /^[a-z][a-z0-9]+$/);
    // The secret is set with `pulumi config set --secret`, which writes it into the file; the example says where.
    assert.match(stackFile.content, /pulumi config set --secret mailhost:adminPassword/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-stack-"));
    try {
      fs.writeFileSync(path.join(dir, "Pulumi.readme.yaml"), stackFile.content);
      const loaded = loadStack("readme", readStackFile(dir, "readme").config);
      assert.equal(loaded.plan.hosts.length, (doc.config["mailhost:fleet"] as { hostCount: number }).hostCount);
      // The same loader refuses the example without its region: this test can fail.
      fs.writeFileSync(path.join(dir, "Pulumi.noregion.yaml"), stackFile.content.replace(/^\s*azure-native:location:.*\n/m, ""));
      assert.throws(() => loadStack("noregion", readStackFile(dir, "noregion").config), /azure-native:location is missing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a library quick start that type-checks against the package's entry point (and a broken copy does not)", () => {
    const quickStart = fencedBlocks(readme).find((b) => b.info === "ts" && b.heading === "Use as a library");
    assert.ok(quickStart, "a ts block under \"Use as a library\"");
    assert.match(quickStart.content, /from "mailhost-iac"/);
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(REPO_ROOT, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")) });
    assert.ok(parsed);
    const good = path.join(REPO_ROOT, "README.quickstart.ts");
    const broken = path.join(REPO_ROOT, "README.quickstart-broken.ts");
    const brokenText = quickStart.content.replace(/hostCount: \d+/, 'hostCount: "two"');
    assert.notEqual(brokenText, quickStart.content);
    const sources = new Map([[good, quickStart.content], [broken, brokenText]]);
    const host = ts.createCompilerHost(parsed.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language, ...rest) => (sources.has(file) ? ts.createSourceFile(file, sources.get(file)!, language) : getSourceFile(file, language, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => sources.has(file) || fileExists(file);
    const program = ts.createProgram([good, broken], parsed.options, host);
    const errors = (file: string) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepEqual(errors(good), []);
    assert.ok(errors(broken).length > 0, "a wrong argument type is reported");
  });
});

describe("links", () => {
  it("every relative link and #anchor in README.md, DEVELOPMENT.md and docs/*.md leads somewhere", () => {
    const broken = docFiles().flatMap((f) => brokenLinks(REPO_ROOT, path.join(REPO_ROOT, f)));
    assert.deepEqual(broken, []);
  });
  it("the check finds a missing file, a missing anchor and an anchor that is not GitHub's slug", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doc-links-"));
    try {
      fs.writeFileSync(path.join(dir, "B.md"), "# What an existing stack sees on its next `pulumi up`\n\n## Notes\n\n## Notes\n");
      fs.writeFileSync(path.join(dir, "A.md"), [
        "# A", "",
        "[fine](B.md#what-an-existing-stack-sees-on-its-next-pulumi-up) [second](B.md#notes-1) [self](#a) [web](https://example.com/x.md#y)",
        "[gone](C.md) [no anchor](B.md#nowhere) [not the slug](B.md#What-an-existing-stack) ![img](missing.svg)",
        "", "```md", "[in code](nowhere.md)", "```", "",
      ].join("\n"));
      const found = brokenLinks(dir, path.join(dir, "A.md")).map((b) => b.split(": ")[1]);
      assert.deepEqual(found, ["C.md", "B.md#nowhere", "B.md#What-an-existing-stack", "missing.svg"]);
      assert.deepEqual(headingAnchors(fs.readFileSync(path.join(dir, "B.md"), "utf8")), ["what-an-existing-stack-sees-on-its-next-pulumi-up", "notes", "notes-1"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("DEVELOPMENT.md: files above about 400 lines", () => {
  const LIMIT = 400;
  const FOLDERS = ["domain", "components", "engine", "policies", "cli", "stack", "azure", "guest"];
  const files = (dir: string): string[] => fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.name === "node_modules" ? [] : e.isDirectory() ? files(`${dir}/${e.name}`) : [`${dir}/${e.name}`]);
  it(`lists every file of ${FOLDERS.join(", ")} above ${LIMIT} lines with a reason, and no other`, () => {
    const text = read("DEVELOPMENT.md");
    const section = text.slice(text.indexOf("## Files above about 400 lines"));
    assert.ok(section.length > 0);
    const listed = [...section.matchAll(/^- `([^`]+)`: \S/gm)].map((m) => m[1]).sort();
    const long = FOLDERS.flatMap(files).filter((f) => (read(f).match(/\n/g) ?? []).length > LIMIT).sort();
    assert.deepEqual(listed, long, "DEVELOPMENT.md lists exactly the files above 400 lines (add a sentence why, or remove a file that was split)");
  });
});

describe("docs/POLICIES.md", () => {
  it("shows how to run the pack with the Pulumi CLI and a stack's policy config", () => {
    assert.match(read("docs/POLICIES.md"), /pulumi preview -s prod --policy-pack policies --policy-pack-config policies\/config\/prod.json/);
  });
});

describe("Pulumi.yaml", () => {
  it("declares every project key of the schema, with a type and a description", () => {
    const project = parse(read("Pulumi.yaml"));
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
    const project = parse(read("Pulumi.yaml"));
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
