/**
 * Azure errors reach the user and nothing waits in silence: ARM's code and message with what to
 * do, no credential explained, a no-response limit per request, refused ports failing fast, and a
 * progress line for every retry. Against the ARM stand-in, through the real SDK pipeline.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ArmCompute, CREDENTIAL_HINT, DEFAULT_REQUEST_TIMEOUT_SECONDS } from "../../../../azure/arm";
import { type DriftReport, runDrift } from "../../../../cli/drift";
import { planOf } from "../../../../cli/plan";
import { STACK_TAG } from "../../../../domain/plan";
import { ARM_ERRORS, ArmStandIn, STAND_IN_TOKEN, refusedEndpoint, silentEndpoint } from "../../../support/armStandIn";
import { REPO_ROOT } from "../../../support/stacks";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const plan = planOf(REPO_ROOT, "dev");
const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

async function standIn(): Promise<ArmStandIn> {
  const vms = plan.hosts.map((h) => ({ name: h.name, tags: { [STACK_TAG]: plan.stack }, behaviour: { stdout: "{}" } }));
  const s = await ArmStandIn.start(SUBSCRIPTION, plan.names.resourceGroup, vms);
  cleanup.push(() => s.close());
  return s;
}

const token = (t: string) => ({ getToken: async () => ({ token: t, expiresOnTimestamp: Date.now() + 3_600_000 }) });

async function drift(
  endpoint: string,
  arm: Partial<ConstructorParameters<typeof ArmCompute>[0]> = {},
  resourceGroup?: string,
): Promise<{ report: DriftReport; progress: string[]; ms: number }> {
  const progress: string[] = [];
  const client = new ArmCompute({
    subscriptionId: SUBSCRIPTION,
    endpoint,
    pollIntervalMs: 10,
    retryDelayMs: 10,
    maxRetries: 3,
    credential: token(STAND_IN_TOKEN),
    progress: (l) => progress.push(l),
    ...arm,
  });
  const started = Date.now();
  const report = await runDrift({ plan, arm: client, subscription: SUBSCRIPTION, resourceGroup, timeoutSeconds: 600, progress: (l) => progress.push(l) });
  return { report, progress, ms: Date.now() - started };
}

describe("drift: Azure errors in words, no silent waits", { concurrency: 4 }, () => {
  it("shows ARM's 403 AuthorizationFailed with the missing action and what to do", async () => {
    const s = await standIn();
    const action = "Microsoft.Compute/virtualMachines/read";
    s.deniedActions.add(action);
    const { report } = await drift(s.endpoint, { tlsCa: s.ca });
    assert.match(report.error ?? "", /ARM answered 403 AuthorizationFailed: /);
    assert.ok(report.error!.includes(`perform action '${action}'`), report.error);
    assert.ok(report.error!.includes(`lacks the permission for ${action}`), report.error);
    assert.match(report.error!, /Virtual Machine Contributor/);
    assert.doesNotMatch(report.error!, /Pagination failed/);
  });

  it("shows ARM's 401 InvalidAuthenticationToken and how to sign in", async () => {
    const s = await standIn();
    const { report } = await drift(s.endpoint, { tlsCa: s.ca, credential: token("expired") });
    assert.ok(report.error!.includes(`ARM answered 401 ${ARM_ERRORS.invalidToken.code}: ${ARM_ERRORS.invalidToken.message}`), report.error);
    assert.match(report.error!, /az login/);
    assert.match(report.error!, /AZURE_ACCESS_TOKEN/);
  });

  it("shows ARM's 404 ResourceGroupNotFound and which flags to check", async () => {
    const s = await standIn();
    const { report } = await drift(s.endpoint, { tlsCa: s.ca }, "rg-nowhere");
    assert.ok(report.error!.includes(`ARM answered 404 ResourceGroupNotFound: ${ARM_ERRORS.resourceGroupNotFound("rg-nowhere").message}`), report.error);
    assert.match(report.error!, /--resource-group/);
  });

  it("says how to provide a credential when there is none", async () => {
    const s = await standIn();
    const none = {
      getToken: async () => {
        const e = new Error("EnvironmentCredential is unavailable.");
        e.name = "CredentialUnavailableError";
        throw e;
      },
    };
    const { report } = await drift(s.endpoint, { tlsCa: s.ca, credential: none });
    assert.ok(report.error!.includes(CREDENTIAL_HINT), report.error);
    for (const way of ["az login", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_ACCESS_TOKEN"]) assert.ok(CREDENTIAL_HINT.includes(way), way);
  });

  it("ends within the no-response limit against an endpoint that accepts and never answers", async () => {
    const silent = await silentEndpoint();
    cleanup.push(silent.close);
    const limit = 2;
    const { report, ms } = await drift(silent.endpoint, { requestTimeoutSeconds: limit });
    assert.equal(silent.connections(), 1, "one connection: a request with no response is not retried");
    assert.match(report.error ?? "", new RegExp(`no response from 127\\.0\\.0\\.1:\\d+ within ${limit} s`));
    // Ends at the limit, not at the old 180 s listing limit nor after retries (one connection
    // above); the slack covers a loaded machine running the whole suite.
    assert.ok(ms >= limit * 1000 - 50 && ms < limit * 1000 + 8_000, `took ${ms} ms`);
    assert.ok(DEFAULT_REQUEST_TIMEOUT_SECONDS <= 60);
  });

  it("fails fast with a sentence against a refused port (no silent retries)", async () => {
    const endpoint = await refusedEndpoint();
    const retryDelayMs = 10_000;
    const { report, ms, progress } = await drift(endpoint, { retryDelayMs });
    assert.match(report.error ?? "", /refused the connection \(nothing listens there\); check --arm-endpoint/);
    // Not retried: a single retry would already wait retryDelayMs.
    assert.ok(ms < retryDelayMs, `took ${ms} ms`);
    assert.deepEqual(
      progress.filter((l) => /retrying/.test(l)),
      [],
    );
  });

  it("prints progress on stderr for every retry, with the status and Retry-After", async () => {
    const s = await standIn();
    s.vms.get(plan.hosts[0].name)!.behaviour.throttle = 2;
    const { progress } = await drift(s.endpoint, { tlsCa: s.ca });
    const retries = progress.filter((l) => /runCommand: ARM answered 429 .*\(Retry-After: 1 s\); retrying \(attempt \d of 4\)/.test(l));
    assert.equal(retries.length, 2, progress.join("\n"));
  });

  it("documents --request-timeout (default at most 60 s), separate from --timeout, and prints retries on stderr", async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(REPO_ROOT, "bin", "mailhost.js"),
          "drift",
          "--stack",
          "dev",
          "--subscription",
          SUBSCRIPTION,
          "--arm-endpoint",
          "https://127.0.0.1:1",
          "--retry-delay",
          "1",
        ],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, AZURE_ACCESS_TOKEN: STAND_IN_TOKEN },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 2);
    assert.match(r.stdout, /refused the connection/);
    const help = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "mailhost.js"), "drift", "--help"], { cwd: REPO_ROOT });
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.on("close", () => resolve(out));
    });
    assert.match(help.replace(/\s+/g, " "), new RegExp(`--request-timeout <s> no-response limit .* \\(default: ${DEFAULT_REQUEST_TIMEOUT_SECONDS}\\)`));
  });
});
