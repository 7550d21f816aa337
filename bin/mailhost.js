#!/usr/bin/env node
// Entry point of the `mailhost` command (package.json "bin"): runs cli/main.ts through tsx.
"use strict";
require("tsx/cjs");
require("../cli/main.ts")
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; });
