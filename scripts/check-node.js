/**
 * Runs before `npm test` (the "pretest" script): stops with one line naming the Node.js version
 * found and the one needed (package.json "engines"), instead of a confusing error from a test
 * runner too old for the project. Plain CommonJS, so that old Node versions can run it.
 */
"use strict";
const fs = require("fs");
const path = require("path");

/** The lowest version in an `engines.node` range of the form ">=22.12" or ">=22.12.0". */
function minimumOf(range) {
  const m = /^\s*>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range || "");
  if (!m) throw new Error('package.json engines.node must read ">=<major>.<minor>", not ' + JSON.stringify(range));
  return [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)];
}

/** Undefined when `version` (e.g. "v20.11.1") satisfies `range`, else the one-line message. */
function nodeVersionProblem(version, range) {
  const found = version.replace(/^v/, "").split(".").map(Number);
  const needed = minimumOf(range);
  for (let i = 0; i < 3; i++) {
    if ((found[i] || 0) > needed[i]) return undefined;
    if ((found[i] || 0) < needed[i]) {
      return (
        "mailhost-iac needs Node.js " +
        needed.join(".") +
        " or newer (package.json engines: " +
        range +
        "), but this is Node.js " +
        version +
        ": install Node.js 22 or newer (DEVELOPMENT.md, Set-up: nvm install 24, or nodejs.org) and run npm test again."
      );
    }
  }
  return undefined;
}

module.exports = { minimumOf, nodeVersionProblem };

if (require.main === module) {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  const problem = nodeVersionProblem(process.version, pkg.engines && pkg.engines.node);
  if (problem) {
    process.stderr.write(problem + "\n");
    process.exit(1);
  }
}
