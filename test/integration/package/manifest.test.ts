/**
 * The package manifest: every module the shipped code imports is declared, the two Pulumi SDKs are
 * peers (one copy shared with the consumer), guest content is found from the package's own folder,
 * and the ranges in the components' doc comments are the limits module's.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as limits from "../../../domain/limits";
import { PACKAGE_NAME, findPackageRoot } from "../../../content/paths";
import { referencesIn, withLimitsInComments } from "../../../scripts/limitsInComments";
import { importSpecifiers } from "../../support/imports";
import { REPO_ROOT } from "../../support/stacks";

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  name: string;
  private?: boolean;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
  types: string;
  files: string[];
};
/** Folders whose code ships compiled in dist/ (the build's include, plus the policy pack the CLI imports). */
const SHIPPED = ["index.ts", "components", "domain", "content", "engine", "stack", "azure", "cli", "policies"];

function sources(entry: string): string[] {
  const full = path.join(REPO_ROOT, entry);
  if (fs.statSync(full).isFile()) return [full];
  return fs
    .readdirSync(full, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(full, f));
}

/** Bare module specifiers of a TypeScript source: static, type-only, dynamic imports and requires. */
function specifiers(text: string): string[] {
  return importSpecifiers(text).filter((s) => !s.startsWith(".") && !s.startsWith("node:"));
}

const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

describe("package manifest", () => {
  it("declares every module the shipped code imports (types included), as a dependency or a peer", () => {
    const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const missing: string[] = [];
    let files = 0;
    for (const file of SHIPPED.flatMap(sources)) {
      files++;
      for (const spec of specifiers(fs.readFileSync(file, "utf8"))) {
        const name = packageOf(spec);
        if (builtinModules.includes(name)) continue;
        if (!declared.has(name)) missing.push(`${path.relative(REPO_ROOT, file)}: ${spec}`);
      }
    }
    assert.ok(files > 50, `scanned ${files} files`);
    assert.deepEqual(missing, []);
  });

  it("finds imports of every form (so the check above can fail)", () => {
    assert.deepEqual(specifiers('import * as a from "x";\nimport type * as b from "@s/y/z";\nexport { c } from "w";\nconst d = require("v");\nimport "u";'), [
      "x",
      "@s/y/z",
      "w",
      "u",
      "v",
    ]);
  });

  it("is publishable, with typed entry points for the components, the limits and the policies", () => {
    assert.equal(manifest.private, undefined);
    assert.equal(manifest.name, PACKAGE_NAME);
    assert.deepEqual(Object.keys(manifest.exports).sort(), [".", "./limits", "./package.json", "./policies"]);
    assert.equal(manifest.exports["."].types, "./dist/components/index.d.ts");
    assert.equal(manifest.exports["./limits"].default, "./dist/domain/limits.js");
    assert.deepEqual(manifest.exports["./policies"], { types: "./dist/policies/library.d.ts", default: "./dist/policies/library.js" });
    assert.equal(`./${manifest.types}`, manifest.exports["."].types);
  });

  it("shares the consumer's Pulumi SDKs: @pulumi/pulumi and @pulumi/azure-native are peers, not dependencies", () => {
    for (const sdk of ["@pulumi/pulumi", "@pulumi/azure-native"]) {
      assert.ok(manifest.peerDependencies[sdk] !== undefined, `${sdk} is a peer`);
      assert.equal(manifest.dependencies[sdk], undefined, `${sdk} is not a dependency`);
      assert.equal(manifest.devDependencies[sdk], manifest.peerDependencies[sdk], `${sdk}: the repository develops against the peer range`);
    }
  });

  it("finds its guest content from its own folder, not from the consumer's Pulumi project above it", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-iac-root-"));
    try {
      fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: consumer\n");
      fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "consumer" }));
      const installed = path.join(root, "node_modules", PACKAGE_NAME);
      fs.mkdirSync(path.join(installed, "dist", "content"), { recursive: true });
      fs.writeFileSync(path.join(installed, "package.json"), JSON.stringify({ name: PACKAGE_NAME }));
      // A package.json of another name in between (a nested dist/ manifest, say) is skipped too.
      fs.writeFileSync(path.join(installed, "dist", "package.json"), JSON.stringify({ type: "commonjs" }));
      assert.equal(findPackageRoot(path.join(installed, "dist", "content")), installed);
      assert.throws(() => findPackageRoot(root), /no package.json named "mailhost-iac"/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    assert.equal(findPackageRoot(path.join(REPO_ROOT, "content")), REPO_ROOT);
  });

  it("the policy options' doc comments name the limit of every range and default, each number generated from it", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "policies", "library.ts"), "utf8");
    const options = text.slice(text.indexOf("export interface CapacityLoad"), text.indexOf("/** An option the library refuses"));
    const named = referencesIn(options).map((r) => r.split(".")[0]);
    for (const name of named) assert.ok(name in limits, `${name} is a limit`);
    for (const range of [
      "MAILBOX_CACHE_TTL",
      "ACTIVE_SESSIONS_PER_HOST",
      "BACKEND_ENDPOINTS",
      "UTILIZATION",
      "MAX_USER_PORT",
      "TCP_TIMED_WAIT_DELAY",
      "DEFAULTS",
      "RECOMMENDED",
    ])
      assert.ok(named.includes(range), `${range} is named`);
    assert.equal(withLimitsInComments(text), text, "every number is the one its limit holds (npm run docs)");
  });

  it("the settings' doc comments name the limit of every range and default, each number generated from it", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "components", "settings.ts"), "utf8");
    const named = referencesIn(text).map((r) => r.split(".")[0]);
    for (const name of named) assert.ok(name in limits || name === "TEXT_DEFAULTS" || name === "DEFAULT_EGRESS_KIND", `${name} is a limit`);
    for (const range of [
      "TCP_TIMED_WAIT_DELAY",
      "MAX_USER_PORT",
      "DYNAMIC_PORT_RANGE_START",
      "DYNAMIC_PORT_RANGE_COUNT",
      "MAILBOX_CACHE_TTL",
      "ACTIVE_SESSIONS_PER_HOST",
      "BACKEND_ENDPOINTS",
      "DEFAULTS",
    ])
      assert.ok(named.includes(range), `${range} is named`);
    assert.equal(withLimitsInComments(text), text, "every number is the one its limit holds (npm run docs)");
  });
});
