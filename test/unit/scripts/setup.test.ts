/** The test command works for a developer: a clear Node.js version check first, install scripts settled. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/stacks";

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  scripts: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const guard = path.join(REPO_ROOT, "scripts", "check-node.js");
const { minimumOf, nodeVersionProblem } = require(guard) as {
  minimumOf: (r: string) => number[];
  nodeVersionProblem: (v: string, r: string) => string | undefined;
};

/** Runs the guard as `npm test` would, in a Node.js that reports `version`. */
function runGuardAs(version: string): { status: number | null; stderr: string } {
  const preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-node-")), "version.cjs");
  fs.writeFileSync(preload, `Object.defineProperty(process, "version", { value: ${JSON.stringify(version)} });\n`);
  const r = spawnSync(process.execPath, ["--require", preload, guard], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

describe("npm test: Node.js version first", () => {
  it("runs the version guard before anything else", () => {
    assert.equal(pkg.scripts.pretest, "node scripts/check-node.js");
  });
  it("fails on an older Node.js with one line naming the version found and the version needed", () => {
    const [major, minor] = minimumOf(pkg.engines.node);
    const old = `v${major - 2}.11.1`;
    const r = runGuardAs(old);
    assert.equal(r.status, 1);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(old) && lines[0].includes(`${major}.${minor}.0`), lines[0]);
    assert.ok(runGuardAs(`v${major}.${Math.max(0, minor - 1)}.0`).status === (minor > 0 ? 1 : 0));
  });
  it("passes on this Node.js and on the minimum itself", () => {
    assert.equal(runGuardAs(process.version).status, 0);
    assert.equal(nodeVersionProblem(`v${minimumOf(pkg.engines.node).join(".")}`, pkg.engines.node), undefined);
  });
});

describe("npm ci: install scripts settled", () => {
  it("gives every dependency with an install script an allowScripts decision", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([key]) => key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length));
    assert.ok(withScripts.length > 0);
    for (const name of withScripts) assert.equal(typeof pkg.allowScripts?.[name], "boolean", `${name} has an install script but no allowScripts entry`);
  });
});
