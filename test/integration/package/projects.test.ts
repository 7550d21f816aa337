/**
 * The TypeScript projects: the product's tsconfig.json reads nothing of bench/ or experiments/
 * (nor their tests); each of those has a project of its own, which `npm test` type-checks too.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { importSpecifiers } from "../../support/imports";
import { REPO_ROOT } from "../../support/stacks";

/** The files a project's include and exclude select (not following imports). */
function projectFiles(dir: string): string[] {
  const file = path.join(dir, "tsconfig.json");
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  assert.equal(error, undefined, `${file} reads`);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dir, undefined, file);
  assert.deepEqual(parsed.errors, [], `${file} parses`);
  return parsed.fileNames.map((f) => path.relative(REPO_ROOT, f).split(path.sep).join("/"));
}

const APART = [/^bench\//, /^experiments\//, /^test\/bench\//, /^test\/capacity\//];
const apart = (file: string) => APART.some((re) => re.test(file));

describe("TypeScript projects", () => {
  const product = projectFiles(REPO_ROOT);

  it("the product's project selects no file of bench/, experiments/ or their tests", () => {
    assert.ok(product.length > 100, `${product.length} files`);
    assert.ok(product.some((f) => f.startsWith("domain/")) && product.some((f) => f.startsWith("test/")));
    assert.deepEqual(product.filter(apart), []);
  });

  it("no file of the product's project imports one of them (so the check never reaches them)", () => {
    const reaching: string[] = [];
    for (const file of product) {
      for (const spec of importSpecifiers(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = path
          .relative(REPO_ROOT, path.resolve(REPO_ROOT, path.dirname(file), spec))
          .split(path.sep)
          .join("/");
        if (apart(target)) reaching.push(`${file} imports ${spec}`);
      }
    }
    assert.deepEqual(reaching, []);
  });

  it("bench/ and experiments/ have projects of their own that select all their files and tests, and npm test checks them", () => {
    const bench = projectFiles(path.join(REPO_ROOT, "bench"));
    const experiments = projectFiles(path.join(REPO_ROOT, "experiments"));
    for (const [project, files, folders] of [
      ["bench", bench, ["bench/", "test/unit/bench/"]],
      ["experiments", experiments, ["experiments/", "test/integration/capacity/"]],
    ] as const) {
      for (const folder of folders) {
        const onDisk = fs
          .readdirSync(path.join(REPO_ROOT, folder), { recursive: true, encoding: "utf8" })
          .filter((f) => f.endsWith(".ts"))
          .map((f) => `${folder}${f.split(path.sep).join("/")}`);
        assert.ok(onDisk.length > 0, folder);
        assert.deepEqual(
          onDisk.filter((f) => !files.includes(f)),
          [],
          `${project} selects every file of ${folder}`,
        );
      }
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    for (const project of [".", "bench", "experiments"]) {
      const script = pkg.scripts.typecheck;
      assert.ok(script.includes(`tsc --noEmit -p ${project} `) || script.endsWith(`tsc --noEmit -p ${project}`), `typecheck checks ${project}`);
    }
    assert.match(pkg.scripts.test, /(^| )npm run typecheck( |$)/, "npm test runs the typecheck of all three projects");
  });
});
