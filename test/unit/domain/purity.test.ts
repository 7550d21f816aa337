/**
 * domain/ is pure: it reads no disk, starts no process, opens no connection and reads no
 * environment, and imports nothing of the project outside domain/ (the arrows point one way).
 * Reading files is the job of content/ (the package's own files) and stack/ (stack files).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { importSpecifiers } from "../../support/imports";

const DOMAIN = path.join(__dirname, "..", "..", "..", "domain");

/** The built-in modules domain code may use: computation only (hashes, compression, bytes, text). */
const PURE_BUILTINS = new Set(["crypto", "zlib", "buffer", "util", "url", "string_decoder"]);

/** Other ways to reach the machine than an import. */
const IMPURE_GLOBALS = /\bprocess\.(env|cwd|argv|chdir|exit|stdout|stderr|stdin)\b|\b__dirname\b|\b__filename\b|\bimport\.meta\b/;

/** What is wrong with one domain file's text; `file` is its path relative to domain/. */
function problems(file: string, text: string): string[] {
  const found: string[] = [];
  for (const spec of importSpecifiers(text)) {
    const name = spec.replace(/^node:/, "").split("/")[0];
    if ((spec.startsWith("node:") || builtinModules.includes(name)) && !PURE_BUILTINS.has(name)) found.push(`${file} imports ${spec}`);
    if (spec.startsWith(".")) {
      const target = path.normalize(path.join(path.dirname(file), spec));
      if (target.startsWith("..")) found.push(`${file} imports ${spec}, outside domain/`);
    }
  }
  const global = IMPURE_GLOBALS.exec(text.replace(/^\s*(\/\/|\*).*$/gm, ""));
  if (global) found.push(`${file} uses ${global[0]}`);
  return found;
}

function domainFiles(): string[] {
  return fs
    .readdirSync(DOMAIN, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .sort();
}

describe("domain/ is pure", () => {
  it("no domain file touches the disk, processes, the network or the environment, or imports from outside domain/", () => {
    const files = domainFiles();
    assert.ok(files.length > 20, `read ${files.length} files`);
    assert.ok(
      files.some((f) => f.includes(path.sep)),
      "files in subfolders are read too",
    );
    assert.deepEqual(
      files.flatMap((f) => problems(f, fs.readFileSync(path.join(DOMAIN, f), "utf8"))),
      [],
    );
  });

  it("catches every kind of impurity (so the check above can fail)", () => {
    const cases: Array<[string, string]> = [
      ['import * as fs from "node:fs";', "imports node:fs"],
      ['import { readFileSync } from "fs";', "imports fs"],
      ['import { readFile } from "node:fs/promises";', "imports node:fs/promises"],
      ['import type { Stats } from "fs";', "imports fs"],
      ['import { execFileSync } from "node:child_process";', "imports node:child_process"],
      ['const cp = require("child_process");', "imports child_process"],
      ['const net = await import("node:net");', "imports node:net"],
      ['import * as os from "node:os";', "imports node:os"],
      ['export { request } from "node:https";', "imports node:https"],
      ['import { projectPath } from "../content/paths";', "outside domain/"],
      ["const home = process.env.HOME;", "uses process.env"],
      ["const here = __dirname;", "uses __dirname"],
    ];
    for (const [text, expected] of cases) {
      const found = problems("x.ts", text);
      assert.equal(found.length, 1, `${text}: ${found.join("; ")}`);
      assert.ok(found[0].includes(expected), `${text}: ${found[0]}`);
    }
    assert.deepEqual(
      problems("config/schema.ts", 'import { HOST_COUNT } from "../limits";\nimport { createHash } from "node:crypto";\n// process.env is not read here'),
      [],
    );
  });
});
