#!/usr/bin/env node
// Entry point of the `mailhost` command (package.json "bin").
// Runs the compiled CLI in dist/ (built by `npm run build`, which `npm ci` runs through
// "prepare") when it is at least as new as every source file; otherwise the TypeScript sources
// through tsx, so an edit is never run stale.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const stamp = path.join(root, "dist", ".stamp");

function newestSource(dir) {
  let newest = 0;
  // An installed package holds no sources: only dist/ counts there.
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  if (!fs.existsSync(stamp)) return false;
  const built = fs.statSync(stamp).mtimeMs;
  const program = path.join(root, "index.ts");
  const sources = Math.max(
    fs.existsSync(program) ? fs.statSync(program).mtimeMs : 0,
    ...["cli", "domain", "components", "engine", "stack", "azure", "policies"].map((d) => newestSource(path.join(root, d))),
  );
  return sources <= built;
}

// Node's on-disk cache of compiled modules (https://nodejs.org/api/module.html#module-compile-cache):
// most of a check's start-up is compiling the Pulumi SDK, on the program thread and in the policy
// pack. Through the environment, the program thread and the pack use the same cache.
const nodeModule = require("node:module");
if (typeof nodeModule.enableCompileCache === "function") {
  const { directory } = nodeModule.enableCompileCache();
  if (directory && process.env.NODE_COMPILE_CACHE === undefined) process.env.NODE_COMPILE_CACHE = directory;
}

let cli;
if (compiledIsFresh()) {
  cli = require("../dist/cli/main.js");
} else {
  require("tsx/cjs");
  cli = require("../cli/main.ts");
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
