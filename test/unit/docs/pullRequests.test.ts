/**
 * docs/PULL-REQUESTS.md and the workflow it offers stay true to the command: the workflow is valid
 * YAML for GitHub Actions, and every `mailhost` command and option it or the doc's reference uses
 * is one the command has.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { main } from "../../../cli/main";
import { REPO_ROOT } from "../../support/stacks";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

/** The options `mailhost <command> --help` lists. */
async function optionsOf(command: string): Promise<Set<string>> {
  const lines: string[] = [];
  assert.equal(await main([command, "--help"], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
  return new Set([...lines.join("\n").matchAll(/(?:^|[\s,])(--?[a-z][a-z-]*)/gm)].map((m) => m[1]));
}

interface Step { run?: string; uses?: string; with?: Record<string, unknown> }

describe("docs/PULL-REQUESTS.md and its workflow", () => {
  const workflow = parse(read("docs/workflows/pull-request.yml")) as { on: unknown; jobs: Record<string, { "runs-on": string; steps: Step[] }> };

  it("the workflow is a GitHub Actions workflow that runs mailhost check and mailhost preview on pull requests", () => {
    assert.ok(workflow.on && typeof workflow.on === "object" && "pull_request" in workflow.on);
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    assert.ok(steps.every((s) => (s.run === undefined) !== (s.uses === undefined)), "each step runs or uses, not both");
    const runs = steps.map((s) => s.run ?? "").join("\n");
    assert.match(runs, /mailhost\.js" check --stack all --format github/);
    assert.match(runs, /mailhost\.js" preview --stack "\$stack" --json/);
  });

  it("every mailhost option the workflow and the doc's command reference use exists", async () => {
    const used: Array<[string, string]> = [];
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps).map((s) => s.run ?? "").join("\n");
    for (const m of runs.matchAll(/mailhost\.js" (check|preview)([^\n]*)/g)) for (const o of m[2].matchAll(/(--[a-z-]+)/g)) used.push([m[1], o[1]]);
    // Options the workflow adds through a variable.
    for (const o of runs.matchAll(/packs\+=\((--[a-z-]+)/g)) used.push(["check", o[1]]);
    const doc = read("docs/PULL-REQUESTS.md");
    const reference = doc.slice(doc.indexOf("## Command reference"));
    let command = "check";
    for (const row of reference.split("\n").filter((l) => l.startsWith("| `"))) {
      const cell = row.split("|")[1];
      const named = /`mailhost (check|preview)/.exec(cell);
      if (named) command = named[1];
      for (const o of cell.matchAll(/(--?[a-z][a-z-]*)/g)) used.push([command, o[1]]);
    }
    assert.ok(used.length >= 10, `${used.length} uses found`);
    const known = { check: await optionsOf("check"), preview: await optionsOf("preview") };
    assert.deepEqual(used.filter(([c, o]) => !known[c as "check" | "preview"].has(o)), []);
  });

  it("the doc links the workflow and the README links the doc", () => {
    assert.match(read("docs/PULL-REQUESTS.md"), /\]\(workflows\/pull-request\.yml\)/);
    assert.match(read("README.md"), /\]\(docs\/PULL-REQUESTS\.md\)/);
  });
});
