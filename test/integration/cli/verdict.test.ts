/**
 * The verdict of `mailhost check` depends on a stack's content, never on its name: the capacity
 * load is the stack's own `mailhost:capacity` (the pack reads it from the stack config it is
 * started with, as under `pulumi preview --policy-pack`), the policy config is the one given (or
 * the pack's defaults) and sets levels only, and every output format says which applied.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { assessCapacity } from "../../../domain/capacity";
import { RECOMMENDED } from "../../../domain/limits";
import { stackFileConfig } from "../../support/stacks";
import { lineIn, mailhost, project, stackText } from "./support";

/** A user's own small stack: 100 sessions on one back end, a narrow port range, slow TIME_WAIT. */
const load = { activeSessions: 100, backendEndpoints: 1, utilization: 0.8 };
const range = { start: 10000, count: 255 };
const timeWait = 300;
const ttl = 900;
const userStack = stackText("prod", (t) =>
  t
    .replace(/maxUserPort: \d+/, `maxUserPort: ${range.start + range.count - 1}`)
    .replace(/tcpTimedWaitDelay: \d+/, `tcpTimedWaitDelay: ${timeWait}`)
    .replace(/start: \d+/, `start: ${range.start}`)
    .replace(/count: \d+/, `count: ${range.count}`)
    .replace(/mailboxCacheTtl: \d+/, `mailboxCacheTtl: ${ttl}`)
    .replace(/activeSessionsPerHost: \d+/, `activeSessionsPerHost: ${load.activeSessions}`)
    .replace(/backendEndpoints: \d+/, `backendEndpoints: ${load.backendEndpoints}`)
    .replace(/utilization: [\d.]+/, `utilization: ${load.utilization}`),
);
const space = { maxUserPort: range.start + range.count - 1, dynamicPortRangeStart: range.start, dynamicPortRangeCount: range.count };
/** The repository's prod load (Pulumi.prod.yaml). */
const repoLoad = stackFileConfig("prod")["mailhost:capacity"] as { activeSessionsPerHost: number; backendEndpoints: number; utilization: number };

const verdict = (s: { status: string; violations: Array<{ policy: string; level: string }> }) => ({
  status: s.status,
  violations: s.violations.map((v) => `${v.level} ${v.policy}`).sort(),
});

describe("mailhost check: verdict from content, not the stack's name", { concurrency: 2 }, () => {
  it("gives identical stack files named prod and production the same verdict, from their own load", async () => {
    // The repository's prod stack has another load, under which this stack fails: a check that
    // picked a load or a policy config by name would reject "prod" and pass "production".
    assert.equal(
      assessCapacity(space, timeWait, ttl, {
        activeSessions: repoLoad.activeSessionsPerHost,
        backendEndpoints: repoLoad.backendEndpoints,
        utilization: repoLoad.utilization,
      }).sustainable,
      false,
    );
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
    assert.equal(
      range.start + range.count - 1 < RECOMMENDED.minimumMaxUserPort,
      prod.violations.some(
        (v: { policy: string; rule: string }) => v.policy === "mailhost-max-user-port-recommended" && v.rule === "mailhost-max-user-port-recommended",
      ),
    );
  });

  it('hands each stack\'s own mailhost:capacity to the pack, with no policy config: the capacity rule checks it (no "capacity not checked")', async () => {
    const dir = project({ "Pulumi.mine.yaml": userStack });
    const r = await mailhost(["check", "--stack", "mine", "--format", "json", "--cwd", dir]);
    const [mine] = JSON.parse(r.stdout).stacks;
    assert.equal(mine.status, "passed", r.stdout);
    // Without the stack's load the pack would say, as advisory, that it checked nothing.
    assert.deepEqual(
      mine.violations.filter((v: { rule: string }) => v.rule === "mailhost-capacity-sustains-load"),
      [],
      r.stdout,
    );
    assert.ok(!r.stdout.includes("capacity not checked"), r.stdout);
  });

  it("rejects (exit 1) a policy config written for the former groups: a group name, and a load it states, each with what to write instead", async () => {
    const dir = project({
      "Pulumi.prod.yaml": userStack,
      "old.json": JSON.stringify({
        "mailhost-fleet-readiness": { enforcementLevel: "mandatory", activeSessionsPerHost: 40000, backendEndpoints: 4, utilization: 0.7 },
      }),
    });
    const r = await mailhost(["check", "--stack", "prod", "--cwd", dir, "--policy-pack-config", path.join(dir, "old.json")]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(
      r.stdout.includes(
        "names mailhost-fleet-readiness, which is no policy any more: each rule is a policy of its own; set the level of mailhost-capacity-sustains-load, mailhost-vm-has-monitoring-agent",
      ),
      r.stdout,
    );
    const line = lineIn(userStack, "activeSessionsPerHost:");
    assert.ok(
      r.stdout.includes(
        "sets mailhost-fleet-readiness.activeSessionsPerHost, which the pack no longer reads: the value comes from the stack's own mailhost:capacity.activeSessionsPerHost (in Pulumi.prod.yaml)",
      ),
      r.stdout,
    );
    assert.ok(r.stdout.includes(`(Pulumi.prod.yaml:${line})`), r.stdout);
  });

  it("names the policy config per stack in text, json and github output, or says that defaults applied", async () => {
    const dir = project({
      "Pulumi.a.yaml": userStack,
      "Pulumi.b.yaml": userStack,
      "levels.json": JSON.stringify({ "mailhost-max-user-port-recommended": { enforcementLevel: "mandatory" } }),
    });
    const json = JSON.parse((await mailhost(["check", "--format", "json", "--cwd", dir])).stdout);
    assert.deepEqual(
      json.stacks.map((s: { policyConfig: unknown }) => s.policyConfig),
      [
        { source: "defaults", file: null },
        { source: "defaults", file: null },
      ],
    );
    const withFile = await mailhost(["check", "--format", "json", "-c", "levels.json"], dir);
    const report = JSON.parse(withFile.stdout);
    assert.deepEqual(
      report.stacks.map((s: { policyConfig: unknown }) => s.policyConfig),
      [
        { source: "file", file: "levels.json" },
        { source: "file", file: "levels.json" },
      ],
    );
    // The file's levels applied: MaxUserPort below the recommendation is now mandatory.
    assert.deepEqual(
      report.stacks.map((s: { status: string }) => s.status),
      ["rejected", "rejected"],
    );
    const text = await mailhost(["check", "--cwd", dir]);
    assert.equal(text.stdout.split("\n").filter((l) => l.includes("no policy config: the pack's defaults applied")).length, 2, text.stdout);
    const github = await mailhost(["check", "--format", "github", "-c", "levels.json"], dir);
    for (const stack of ["a", "b"])
      assert.ok(
        github.stdout.split("\n").some((l) => l.startsWith(`::notice file=Pulumi.${stack}.yaml,`) && l.includes("policy config levels.json")),
        github.stdout,
      );
  });
});
