/**
 * Which program `mailhost check` and `mailhost preview` run: the project file of the folder, by
 * Pulumi's rules for a nodejs program (main, package.json, index.ts), its stack files (merged over
 * the project's config defaults, secure values never decrypted); a project in another language is
 * refused, naming its runtime.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ProjectError, readProject } from "../../../stack/project";
import { readProjectStackFile } from "../../../stack/projectStackFile";
import { PLACEHOLDER_SECRET } from "../../../stack/stackFile";
import { REPO_ROOT } from "../../support/stacks";
import { mailhost } from "./support";

/** A temp folder holding the given files (paths may have folders). */
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-project-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const program = (dir: string) => {
  const p = readProject(dir);
  assert.equal(p.kind, "program");
  return p as Extract<typeof p, { kind: "program" }>;
};

describe("the project a check runs", () => {
  it("this repository's own folder is this module's program; so is a folder of stack files without a project file", () => {
    assert.equal(readProject(REPO_ROOT).kind, "module");
    assert.equal(readProject(folder({ "Pulumi.dev.yaml": "config: {}\n" })).kind, "module");
    // A copy of this module's project file beside stack files, with no program of its own.
    assert.equal(readProject(folder({ "Pulumi.yaml": fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8") })).kind, "module");
  });

  it("takes main (a file, or a folder with index.ts) relative to the project folder", () => {
    const file = folder({ "Pulumi.yaml": "name: shop\nruntime: nodejs\nmain: bin/app.js\n", "bin/app.js": "", "index.ts": "" });
    assert.equal(program(file).entry, path.join(file, "bin", "app.js"));
    const dir = folder({ "Pulumi.yaml": "name: shop\nruntime:\n  name: nodejs\nmain: src/\n", "src/index.ts": "", "index.ts": "" });
    assert.equal(program(dir).entry, path.join(dir, "src", "index.ts"));
    assert.equal(program(dir).program, path.join(dir, "src"));
  });

  it("without main: package.json exports, then main, then index.js or (TypeScript) index.ts", () => {
    const exports = folder({
      "Pulumi.yaml": "name: a\nruntime: nodejs\n",
      "package.json": JSON.stringify({ exports: { ".": { require: "./lib/a.js" } }, main: "b.js" }),
      "lib/a.js": "",
      "b.js": "",
      "index.ts": "",
    });
    assert.equal(program(exports).entry, path.join(exports, "lib", "a.js"));
    const main = folder({ "Pulumi.yaml": "name: a\nruntime: nodejs\n", "package.json": JSON.stringify({ main: "b.js" }), "b.js": "", "index.ts": "" });
    assert.equal(program(main).entry, path.join(main, "b.js"));
    const index = folder({ "Pulumi.yaml": "name: a\nruntime: nodejs\n", "package.json": "{}", "index.ts": "" });
    assert.equal(program(index).entry, path.join(index, "index.ts"));
    assert.equal(program(index).program, index);
    // An entry package.json names that is missing falls back to the folder, as the CLI does.
    const missing = folder({ "Pulumi.yaml": "name: a\nruntime: nodejs\n", "package.json": JSON.stringify({ main: "gone.js" }), "index.js": "" });
    assert.equal(program(missing).entry, path.join(missing, "index.js"));
    // TypeScript off (runtime option typescript: false): index.ts is not a program.
    assert.throws(
      () => readProject(folder({ "Pulumi.yaml": "name: a\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n", "index.ts": "" })),
      ProjectError,
    );
  });

  it("reads Pulumi.yml, stackConfigDir and type: module", () => {
    const dir = folder({
      "Pulumi.yml": "name: a\nruntime: nodejs\nstackConfigDir: stacks\n",
      "package.json": JSON.stringify({ type: "module" }),
      "index.js": "",
      "stacks/Pulumi.dev.yml": "config:\n  a:x: 1\n",
    });
    const p = program(dir);
    assert.equal(p.stackDir, path.join(dir, "stacks"));
    assert.equal(p.esm, true);
    assert.deepEqual(readProjectStackFile(p, "dev").config, { "a:x": "1" });
  });

  it("refuses a project in another language, naming its runtime", () => {
    for (const runtime of ["python", "dotnet", "yaml", "go"]) {
      const dir = folder({ "Pulumi.yaml": `name: shop\nruntime:\n  name: ${runtime}\n`, "__main__.py": "" });
      assert.throws(
        () => readProject(dir),
        (err: Error) =>
          err instanceof ProjectError &&
          err.message.includes(`declares runtime "${runtime}"`) &&
          /run nodejs \(TypeScript or JavaScript\) programs only/.test(err.message),
      );
    }
  });

  it("says when the program is not there (and that Pulumi does not build it)", () => {
    const dir = folder({ "Pulumi.yaml": "name: shop\nruntime: nodejs\nmain: bin/index.js\n", "package.json": JSON.stringify({ scripts: { build: "tsc" } }) });
    assert.throws(
      () => readProject(dir),
      (err: Error) => err instanceof ProjectError && /the program \(main: bin\/index.js\) is not there/.test(err.message) && /npm run build/.test(err.message),
    );
  });

  it("stack config: secure values (nested too) become placeholders and secrets; project defaults apply under the stack's values; a declared secret gets a placeholder", () => {
    const dir = folder({
      "Pulumi.yaml":
        "name: shop\nruntime: nodejs\nconfig:\n  region:\n    default: westeurope\n  size: small\n  aws:region: eu-west-1\n  token:\n    type: string\n    secret: true\n",
      "index.js": "",
      "Pulumi.dev.yaml": "config:\n  shop:size: large\n  shop:db:\n    user: app\n    password:\n      secure: v1:abc\n  shop:apiKey:\n    secure: v1:def\n",
    });
    const file = readProjectStackFile(program(dir), "dev");
    assert.deepEqual(file.config, {
      "shop:region": "westeurope",
      "shop:size": "large",
      "aws:region": "eu-west-1",
      "shop:db": JSON.stringify({ user: "app", password: PLACEHOLDER_SECRET }),
      "shop:apiKey": PLACEHOLDER_SECRET,
      "shop:token": PLACEHOLDER_SECRET,
    });
    assert.deepEqual(file.secretKeys.sort(), ["shop:apiKey", "shop:db", "shop:token"]);
    assert.deepEqual(file.placeholders, ["shop:token"]);
  });
});

describe("mailhost check and preview on a project in another language", () => {
  it("refuse it (exit 2) with one line naming the runtime", async () => {
    const dir = folder({ "Pulumi.yaml": "name: shop\nruntime: python\n", "__main__.py": "import pulumi\n", "Pulumi.dev.yaml": "config: {}\n" });
    for (const args of [
      ["check", "--cwd", dir],
      ["check", "--cwd", dir, "--format", "json"],
      ["preview", "--stack", "dev", "--cwd", dir],
    ]) {
      const r = await mailhost(args);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /declares runtime "python": mailhost check and mailhost preview run nodejs \(TypeScript or JavaScript\) programs only/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });
});
