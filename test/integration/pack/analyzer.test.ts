import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PolicyConfigError,
  PolicyPackError,
  PolicyPackProcess,
  reconcilePolicyConfig,
  secret,
  UNKNOWN,
  type AnalyzedResource,
  type PolicyDiagnostic,
} from "../../../engine/analyzer";

const FIXTURE = path.join(__dirname, "..", "..", "fixtures", "policy-pack");
const REPO_NODE_MODULES = path.join(__dirname, "..", "..", "..", "node_modules");

const VALUE_MAX = "A resource's value must not exceed 10.";
const THRESHOLD = "A resource's value must not exceed the configured threshold.";
const STACK_TOTAL = "The values of all resources in a stack must add up to at most 20; children need a parent.";

const thing = (name: string, properties: Record<string, unknown>): AnalyzedResource => ({ type: "fixture:index:Thing", name, properties });
const summary = (ds: PolicyDiagnostic[]) => ds.map((d) => `${d.policyName} ${d.enforcementLevel}`).sort();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, "ESRCH");
    return false;
  }
}

/** `ps` lines of run-policy-pack processes in `pid`'s process group or talking to `engineAddress`. */
function ourPackProcesses(pid: number, engineAddress: string): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter((l) => l.includes("run-policy-pack"))
    .filter((l) => l.trim().split(/\s+/)[1] === String(pid) || l.includes(engineAddress));
}

/** A throwaway pack in the temp dir that resolves its dependencies from the repo's node_modules. */
function tempPack(indexTs: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-pack-"));
  fs.symlinkSync(REPO_NODE_MODULES, path.join(dir, "node_modules"), "dir");
  for (const f of ["PulumiPolicy.yaml", "package.json", "tsconfig.json"]) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, "index.ts"), indexTs);
  return dir;
}

describe("PolicyPackProcess drives the fixture pack over the analyzer protocol", () => {
  let pack: PolicyPackProcess;

  before(async () => {
    const t0 = performance.now();
    pack = await PolicyPackProcess.start(FIXTURE, { stack: { project: "fixture", stack: "test", dryRun: true, tags: { owner: "tests" } } });
    console.log(`# fixture pack started in ${Math.round(performance.now() - t0)} ms`);
  });
  after(() => pack?.close());

  it("prints only its port on stdout before serving", () => {
    assert.ok(pack.port && pack.port > 0);
    assert.deepEqual(
      pack.logEntries().filter((e) => e.beforePort),
      [],
    );
  });

  it("GetAnalyzerInfo lists the policies with their levels, types and config schema", async () => {
    const info = await pack.getAnalyzerInfo();
    assert.equal(info.name, "fixture-pack");
    assert.equal(info.version, "0.0.1");
    assert.equal(info.supportsConfig, true);
    assert.deepEqual(
      info.policies.map((p) => [p.name, p.enforcementLevel, p.type]),
      [
        ["value-max", "mandatory", "resource"],
        ["no-debug", "advisory", "resource"],
        ["value-threshold", "advisory", "resource"],
        ["stack-total-value", "mandatory", "stack"],
      ],
    );
    assert.equal(info.policies[0]?.description, VALUE_MAX);
    assert.deepEqual(info.policies.find((p) => p.name === "value-threshold")?.configSchema, {
      properties: { threshold: { type: "number", default: 100, description: "Largest allowed value." } },
      required: [],
    });
    assert.equal(info.policies.find((p) => p.name === "value-max")?.configSchema, undefined);
  });

  it("Configure sends the CLI's reconciled config: levels and schema defaults", async () => {
    assert.deepEqual(await pack.configure(), {
      "value-max": { enforcementLevel: "mandatory", properties: {} },
      "no-debug": { enforcementLevel: "advisory", properties: {} },
      "value-threshold": { enforcementLevel: "advisory", properties: { threshold: 100 } },
      "stack-total-value": { enforcementLevel: "mandatory", properties: {} },
    });
  });

  it("a compliant resource gets no diagnostic", async () => {
    assert.deepEqual(await pack.analyze(thing("ok", { value: 5, debug: false })), []);
  });

  it("a violating resource gets the policy's name, level and message", async () => {
    const ds = await pack.analyze(thing("big", { value: 42 }));
    assert.deepEqual(ds, [
      {
        policyName: "value-max",
        policyPackName: "fixture-pack",
        policyPackVersion: "0.0.1",
        description: VALUE_MAX,
        message: `${VALUE_MAX}\nvalue is above the maximum of 10`,
        enforcementLevel: "mandatory",
      },
    ]);
    // Above the default threshold (100) too: the config default reached the policy.
    assert.deepEqual(summary(await pack.analyze(thing("huge", { value: 150, debug: true }))), [
      "no-debug advisory",
      "value-max mandatory",
      "value-threshold advisory",
    ]);
  });

  it("Configure changes a threshold and enforcement levels, and diagnostics follow", async () => {
    await pack.configure({ "value-threshold": { threshold: 20, enforcementLevel: "mandatory" }, "value-max": "advisory" });
    const ds = await pack.analyze(thing("big", { value: 42 }));
    assert.deepEqual(summary(ds), ["value-max advisory", "value-threshold mandatory"]);
    assert.equal(ds.find((d) => d.policyName === "value-threshold")?.message, `${THRESHOLD}\nvalue is above the configured threshold of 20`);

    // Each Configure replaces the whole configuration (the threshold is back to its default of 100).
    await pack.configure({ all: "advisory", "value-max": "disabled" });
    assert.deepEqual(summary(await pack.analyze(thing("big", { value: 42, debug: true }))), ["no-debug advisory"]);

    await pack.configure();
    assert.deepEqual(summary(await pack.analyze(thing("big", { value: 42 }))), ["value-max mandatory"]);
  });

  it("invalid config is rejected before it reaches the pack, as the CLI does", async () => {
    await assert.rejects(pack.configure({ "value-threshold": { threshold: "lots" } }), (err: Error) => {
      assert.ok(err instanceof PolicyConfigError);
      assert.match(err.message, /value-threshold: \/threshold must be number/);
      return true;
    });
    await assert.rejects(pack.configure({ "value-max": "fatal" as "mandatory" }), /"fatal" is not a valid enforcement level/);
    // The pack kept its previous (default) configuration.
    assert.deepEqual(summary(await pack.analyze(thing("big", { value: 42 }))), ["value-max mandatory"]);
  });

  it("secret-wrapped properties are unwrapped by the pack, and the secret never shows up", async () => {
    const ds = await pack.analyze(thing("secretive", { value: secret(4242), debug: secret(true), password: secret("hunter2-s3cr3t") }));
    assert.deepEqual(summary(ds), ["no-debug advisory", "value-max mandatory", "value-threshold advisory"]);
    await pack.waitForLog("debug flag seen on secretive");
    const text = JSON.stringify(ds) + pack.logs().join("\n");
    assert.ok(!text.includes("4242"), text);
    assert.ok(!text.includes("hunter2"), text);
  });

  it("an unknown value does not crash the pack and raises no false violation", async () => {
    const ds = await pack.analyze(thing("preview", { value: UNKNOWN, debug: false }));
    // The SDK turns the policies that read the unknown into advisory "can't run during preview" notes.
    assert.deepEqual(summary(ds), ["value-max advisory", "value-threshold advisory"]);
    for (const d of ds) {
      assert.equal(
        d.message,
        `can't run policy '${d.policyName}' from policy pack 'fixture-pack@v0.0.1' during preview: string value at .value can't be known during preview`,
      );
    }
    // An unknown the policies don't read changes nothing; the pack still answers.
    assert.deepEqual(await pack.analyze(thing("preview", { value: 3, name: UNKNOWN })), []);
  });

  it("AnalyzeStack runs the stack policy over all resources with parents and URNs", async () => {
    const a = { ...thing("a", { value: 15 }), urn: "urn:pulumi:test::fixture::fixture:index:Thing::a" };
    const b = thing("b", { value: 10, debug: true });
    const child = { type: "fixture:index:Child", name: "c", properties: {}, parent: a.urn, dependencies: [a.urn] };
    const orphan = { type: "fixture:index:Child", name: "orphan", properties: {} };
    const ds = await pack.analyzeStack([a, b, child, orphan]);
    assert.deepEqual(
      ds.map((d) => [d.policyName, d.enforcementLevel, d.message, d.urn]),
      [
        ["stack-total-value", "mandatory", `${STACK_TOTAL}\na Child must have a Thing as its parent`, "urn:pulumi:test::fixture::fixture:index:Child::orphan"],
        ["stack-total-value", "mandatory", `${STACK_TOTAL}\ntotal value is above 20`, undefined],
      ],
    );
    assert.deepEqual(await pack.analyzeStack([thing("a", { value: 5 }), child]), []);
  });

  it("logs() has the pack's stderr and its pulumi.log output", async () => {
    const logs = pack.logs();
    assert.ok(logs.includes("fixture-pack: loading"), logs.join("\n"));
    // run-policy-pack drops the engine address, so pulumi.log falls back to the console (as under the CLI).
    await pack.analyze(thing("dbg", { value: 1, debug: true }));
    assert.equal(await pack.waitForLog("debug flag seen on dbg"), "info: [runtime] fixture-pack: debug flag seen on dbg");
  });

  it("close() kills the pack's process group and is idempotent", async () => {
    const pid = pack.pid!;
    assert.ok(isAlive(pid));
    assert.notDeepEqual(ourPackProcesses(pid, pack.engineAddress), []);
    await Promise.all([pack.close(), pack.close()]);
    await pack.close();
    assert.equal(isAlive(pid), false);
    assert.deepEqual(ourPackProcesses(pid, pack.engineAddress), []);
    await assert.rejects(pack.analyze(thing("late", { value: 1 })), /has been closed/);
  });
});

describe("PolicyPackProcess start failures are clear and fast", () => {
  it("a missing pack directory", async () => {
    await assert.rejects(PolicyPackProcess.start(path.join(FIXTURE, "does-not-exist")), (err: Error) => {
      assert.ok(err instanceof PolicyPackError);
      assert.match(err.message, /^policy pack directory not found: .*does-not-exist$/);
      return true;
    });
  });

  it("a directory that is not a policy pack", async () => {
    await assert.rejects(PolicyPackProcess.start(path.join(FIXTURE, "..")), /failed to load Pulumi policy project/);
  });

  it("a pack without its dependencies", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-pack-"));
    try {
      fs.copyFileSync(path.join(FIXTURE, "PulumiPolicy.yaml"), path.join(dir, "PulumiPolicy.yaml"));
      await assert.rejects(PolicyPackProcess.start(dir), /dependencies are not installed; try running npm install/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a pack whose index.ts does not compile exits with the TypeScript error", async () => {
    const dir = tempPack(`import { PolicyPack } from "@pulumi/policy";\nconst n: number = "not a number";\nnew PolicyPack("broken", { policies: [] });\n`);
    try {
      await assert.rejects(PolicyPackProcess.start(dir), (err: Error) => {
        assert.ok(err instanceof PolicyPackError);
        assert.match(err.message, /^the policy pack exited before printing its port \(exit code 32\)/);
        assert.match(err.message, /TS2322: Type 'string' is not assignable to type 'number'/);
        assert.equal(isAlive(err.details.pid!), false);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a pack that prints to stdout before its port: rejected in strict mode, killed on timeout", async () => {
    const dir = tempPack(`console.log("not a port");\nconsole.error("hanging on purpose");\nsetInterval(() => {}, 1000);\n`);
    try {
      await assert.rejects(PolicyPackProcess.start(dir, { strictStdout: true }), (err: Error) => {
        assert.ok(err instanceof PolicyPackError);
        assert.match(err.message, /^the policy pack wrote a non-numeric port to stdout \('not a port'\)/);
        assert.match(err.message, /stdout before the port:\nnot a port/);
        assert.equal(isAlive(err.details.pid!), false);
        return true;
      });
      await assert.rejects(PolicyPackProcess.start(dir, { startTimeoutMs: 1_000 }), (err: Error) => {
        assert.ok(err instanceof PolicyPackError);
        assert.match(err.message, /^the policy pack printed no port within 1000 ms/);
        assert.equal(isAlive(err.details.pid!), false);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("reconcilePolicyConfig mirrors the CLI's config reconciliation", () => {
  const info = {
    name: "p",
    version: "1.0.0",
    supportsConfig: true,
    initialConfig: { b: { enforcementLevel: "disabled" as const, properties: { limit: 7 } } },
    policies: [
      { name: "a", description: "", enforcementLevel: "mandatory" as const, type: "resource" as const, tags: [] },
      {
        name: "b",
        description: "",
        enforcementLevel: "advisory" as const,
        type: "resource" as const,
        tags: [],
        configSchema: { properties: { limit: { type: "integer", default: 3 }, mode: { type: "string", default: "strict" } }, required: ["limit"] },
      },
    ],
  };

  it("levels and schema defaults, then the pack's initial config, then the given config", () => {
    assert.deepEqual(reconcilePolicyConfig(info), {
      a: { enforcementLevel: "mandatory", properties: {} },
      b: { enforcementLevel: "disabled", properties: { limit: 7, mode: "strict" } },
    });
    assert.deepEqual(reconcilePolicyConfig(info, { all: "advisory", a: { enforcementLevel: "remediate" }, b: { mode: "lax" } }), {
      all: { enforcementLevel: "advisory", properties: {} },
      a: { enforcementLevel: "remediate", properties: {} },
      b: { enforcementLevel: "advisory", properties: { limit: 7, mode: "lax" } },
    });
  });

  it("reports every schema violation", () => {
    assert.throws(
      () => reconcilePolicyConfig(info, { b: { limit: 1.5, mode: 2 } }),
      (err: Error) => {
        assert.ok(err instanceof PolicyConfigError);
        assert.deepEqual(err.problems, ["b: /limit must be integer", "b: /mode must be string"]);
        return true;
      },
    );
  });
});
