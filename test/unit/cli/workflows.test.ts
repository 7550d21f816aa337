/** The GitHub workflows parse, and everything they run exists in this repository. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { main } from "../../../cli/main";
import { REPO_ROOT } from "../../support/stacks";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  steps: Step[];
  strategy?: { matrix?: { stack?: string[] } };
  needs?: string | string[];
}

function load(name: string): { jobs: Record<string, Job> } & Record<string, unknown> {
  return parse(fs.readFileSync(path.join(WORKFLOWS, name), "utf8"));
}

async function mailhostCommands(): Promise<string[]> {
  let help = "";
  await main(["--help"], {
    out: (s) => {
      help += s;
    },
    err: () => undefined,
  });
  return [...help.matchAll(/^\s{2}(\w+)\b/gm)].map((m) => m[1]).filter((c) => c !== "help");
}

describe("GitHub workflows", () => {
  const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
  it("are pr.yml and drift.yml", () => assert.deepEqual(files.sort(), ["drift.yml", "pr.yml"]));

  for (const file of files) {
    it(`${file}: parses, pins every action and runs only scripts, commands and paths that exist`, async () => {
      const wf = load(file);
      assert.ok(wf.on, "has triggers");
      const commands = await mailhostCommands();
      for (const [name, job] of Object.entries(wf.jobs)) {
        for (const need of [job.needs ?? []].flat()) assert.ok(need in wf.jobs, `${name} needs ${need}`);
        const stacks = job.strategy?.matrix?.stack ?? [];
        for (const step of job.steps) {
          if (step.uses) assert.match(step.uses, /^[\w-]+\/[\w-]+@v\d+$/, `${name}: ${step.uses} is pinned to a major version`);
          for (const m of (step.run ?? "").matchAll(/npm (?:run ([\w:-]+)|(test)\b)/g)) {
            const script = m[1] ?? m[2];
            assert.ok(pkg.scripts[script], `${name}: npm script "${script}" exists`);
          }
          for (const m of (step.run ?? "").matchAll(/npx mailhost (\w+)/g)) assert.ok(commands.includes(m[1]), `${name}: mailhost ${m[1]} exists`);
          const w = step.with ?? {};
          if (w.policyPacks)
            assert.ok(fs.existsSync(path.join(REPO_ROOT, String(w.policyPacks), "PulumiPolicy.yaml")), `${name}: policy pack ${w.policyPacks}`);
          for (const stack of stacks) {
            if (w.policyPackConfigs)
              assert.ok(
                fs.existsSync(path.join(REPO_ROOT, String(w.policyPackConfigs).replace("${{ matrix.stack }}", stack))),
                `${name}: policy config for ${stack}`,
              );
            if (w["stack-name"]) assert.ok(fs.existsSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`)), `${name}: Pulumi.${stack}.yaml`);
          }
        }
      }
    });
  }

  it("pr.yml runs npm ci, README's test command and the offline check; preview only with credentials", () => {
    const wf = load("pr.yml");
    const runs = wf.jobs.test.steps.map((s) => s.run).filter(Boolean);
    assert.deepEqual(runs.slice(0, 3), ["npm ci", "npm test", "npx mailhost check --stack all --format github"]);
    // The committed stacks are also checked with their own policy configs (levels, floors).
    assert.match(runs[3] ?? "", /--policy-pack-config "policies\/config\/\$s.json"/);
    assert.match(fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"), /npm ci && npm test/);
    const preview = wf.jobs.preview as Job & { if?: string };
    assert.equal(preview.if, "needs.credentials.outputs.available == 'true'");
    const action = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(action?.with?.command, "preview");
  });

  it("drift.yml runs nightly and on demand, fails on cloud drift and opens an issue", () => {
    const wf = load("drift.yml") as any;
    assert.ok(wf.on.schedule?.[0]?.cron && "workflow_dispatch" in wf.on);
    const cloud = wf.jobs.drift.steps.find((s: Step) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(cloud.with.refresh, true);
    assert.equal(cloud.with["expect-no-changes"], true);
    assert.ok(wf.jobs.drift.steps.some((s: Step & { if?: string }) => s.if === "failure()" && s.uses?.startsWith("actions/github-script@")));
    const guest = wf.jobs.drift.steps.find((s: Step) => s.run?.startsWith("npx mailhost drift"));
    assert.equal(guest.run, "npx mailhost drift --stack ${{ matrix.stack }} --format github");
    assert.ok(wf.jobs.drift.steps.indexOf(guest) > wf.jobs.drift.steps.indexOf(cloud), "after the cloud-level check");
  });
});
