/**
 * The verdict of `mailhost check` depends on a stack's content, never on its name: the capacity
 * load is the stack's own `mailhost:capacity`, the policy config is the one given (or the pack's
 * defaults), and every output format says which applied.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CAPACITY_POLICY, policyConfigFor } from "../../cli/check";
import { assessCapacity } from "../../domain/capacity";
import { RECOMMENDED } from "../../domain/limits";
import { loadStack } from "../../stack/stackConfig";
import { readStackFile } from "../../stack/stackFile";
import { REPO_ROOT } from "../support/stacks";
import { lineIn, mailhost, project, stackText } from "./support";

/** A user's own small stack: 100 sessions on one back end, a narrow port range, slow TIME_WAIT. */
const load = { activeSessions: 100, backendEndpoints: 1, utilization: 0.8 };
const range = { start: 10000, count: 255 };
const timeWait = 300;
const ttl = 900;
const userStack = stackText("prod", (t) => t
  .replace(/maxUserPort: \d+/, `maxUserPort: ${range.start + range.count - 1}`)
  .replace(/tcpTimedWaitDelay: \d+/, `tcpTimedWaitDelay: ${timeWait}`)
  .replace(/start: \d+/, `start: ${range.start}`)
  .replace(/count: \d+/, `count: ${range.count}`)
  .replace(/mailboxCacheTtl: \d+/, `mailboxCacheTtl: ${ttl}`)
  .replace(/activeSessionsPerHost: \d+/, `activeSessionsPerHost: ${load.activeSessions}`)
  .replace(/backendEndpoints: \d+/, `backendEndpoints: ${load.backendEndpoints}`)
  .replace(/utilization: [\d.]+/, `utilization: ${load.utilization}`));
const space = { maxUserPort: range.start + range.count - 1, dynamicPortRangeStart: range.start, dynamicPortRangeCount: range.count };
const repoProdConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", "prod.json"), "utf8")) as Record<string, Record<string, number>>;

const verdict = (s: { status: string; violations: Array<{ policy: string; level: string }> }) => ({ status: s.status, violations: s.violations.map((v) => `${v.level} ${v.policy}`).sort() });

describe("mailhost check: verdict from content, not the stack's name", { concurrency: 2 }, () => {
  it("gives identical stack files named prod and production the same verdict, from their own load", async () => {
    // The repository's prod policy config states another load, under which this stack fails: a
    // check that picked the policy config by name would reject "prod" and pass "production".
    const repoLoad = repoProdConfig[CAPACITY_POLICY];
    assert.equal(assessCapacity(space, timeWait, ttl, { activeSessions: repoLoad.activeSessionsPerHost, backendEndpoints: repoLoad.backendEndpoints, utilization: repoLoad.utilization }).sustainable, false);
    const own = assessCapacity(space, timeWait, ttl, load);
    assert.ok(own.sustainable);
    const dir = project({ "Pulumi.prod.yaml": userStack, "Pulumi.production.yaml": userStack });
    const r = await mailhost(["check", "--stack", "all", "--format", "json", "--cwd", dir]);
    const report = JSON.parse(r.stdout);
    const [prod, production] = ["prod", "production"].map((name) => report.stacks.find((s: { stack: string }) => s.stack === name));
    assert.deepEqual(verdict(prod), verdict(production), r.stdout);
    // Own load sustainable: nothing mandatory; MaxUserPort below the recommendation is advisory by default.
    assert.equal(prod.status, "passed", r.stdout);
    assert.equal(r.code, 0);
    assert.equal(range.start + range.count - 1 < RECOMMENDED.minimumMaxUserPort, prod.violations.some((v: { policy: string; rule: string }) => v.policy === "mailhost-tuning-recommended" && v.rule === "mailhost-max-user-port-recommended"));
  });

  it("checks a stack with no policy config against its own mailhost:capacity", () => {
    const dir = project({ "Pulumi.mine.yaml": userStack });
    const file = readStackFile(dir, "mine");
    const { config, problems } = policyConfigFor(loadStack("mine", file.config), file, { dir, stacks: ["mine"] });
    assert.deepEqual(problems, []);
    assert.deepEqual(config[CAPACITY_POLICY], { activeSessionsPerHost: load.activeSessions, backendEndpoints: load.backendEndpoints, utilization: load.utilization });
  });

  it("rejects (exit 1) a policy config that states another load than the stack, naming both values and the line", async () => {
    const dir = project({ "Pulumi.prod.yaml": userStack });
    const configFile = path.join(REPO_ROOT, "policies", "config", "prod.json");
    const r = await mailhost(["check", "--stack", "prod", "--cwd", dir, "--policy-pack-config", configFile]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const stated = repoProdConfig[CAPACITY_POLICY].activeSessionsPerHost;
    const line = lineIn(userStack, "activeSessionsPerHost:");
    assert.ok(r.stdout.includes(`${CAPACITY_POLICY}.activeSessionsPerHost = ${stated}, but Pulumi.prod.yaml sets mailhost:capacity.activeSessionsPerHost = ${load.activeSessions}`), r.stdout);
    assert.ok(r.stdout.includes(`(Pulumi.prod.yaml:${line})`), r.stdout);
  });

  it("names the policy config per stack in text, json and github output, or says that defaults applied", async () => {
    const dir = project({ "Pulumi.a.yaml": userStack, "Pulumi.b.yaml": userStack, "levels.json": JSON.stringify({ "mailhost-tuning-recommended": { enforcementLevel: "mandatory" } }) });
    const json = JSON.parse((await mailhost(["check", "--format", "json", "--cwd", dir])).stdout);
    assert.deepEqual(json.stacks.map((s: { policyConfig: unknown }) => s.policyConfig), [{ source: "defaults", file: null }, { source: "defaults", file: null }]);
    const withFile = await mailhost(["check", "--format", "json", "-c", "levels.json"], dir);
    const report = JSON.parse(withFile.stdout);
    assert.deepEqual(report.stacks.map((s: { policyConfig: unknown }) => s.policyConfig), [{ source: "file", file: "levels.json" }, { source: "file", file: "levels.json" }]);
    // The file's levels applied: MaxUserPort below the recommendation is now mandatory.
    assert.deepEqual(report.stacks.map((s: { status: string }) => s.status), ["rejected", "rejected"]);
    const text = await mailhost(["check", "--cwd", dir]);
    assert.equal(text.stdout.split("\n").filter((l) => l.includes("no policy config: the pack's defaults applied")).length, 2, text.stdout);
    const github = await mailhost(["check", "--format", "github", "-c", "levels.json"], dir);
    for (const stack of ["a", "b"]) assert.ok(github.stdout.split("\n").some((l) => l.startsWith(`::notice file=Pulumi.${stack}.yaml,`) && l.includes("policy config levels.json")), github.stdout);
  });
});
