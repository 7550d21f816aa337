/**
 * When drift cannot list the VMs, the output says so and nothing else: no table header, no
 * "0 in sync, 0 drifted, 0 unknown" under the error (text), no summary line (github), exit 2.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { refusedEndpoint, STAND_IN_TOKEN } from "../../../support/armStandIn";
import { REPO_ROOT } from "../../../support/stacks";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";

function drift(endpoint: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
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
        endpoint,
        "--retry-delay",
        "1",
        ...args,
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
}

describe("mailhost drift when the VM list fails", () => {
  for (const source of ["run-command", "graph"]) {
    it(`--source ${source}, text: the error, no table and no counts; exit 2`, async () => {
      const endpoint = await refusedEndpoint();
      const r = await drift(endpoint, ["--source", source, "--stack", source === "graph" ? "prod" : "dev"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stdout, /error: could not list the VMs of resource group/);
      assert.doesNotMatch(r.stdout, /host\s+status\s+setting/, "no table header");
      assert.doesNotMatch(r.stdout, /in sync, .* drifted, .* unknown/, "no summary");
    });
  }
  it("github: the error annotation, no summary line", async () => {
    const endpoint = await refusedEndpoint();
    const r = await drift(endpoint, ["--format", "github", "--source", "run-command"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /^::error .*could not list the VMs/m);
    assert.doesNotMatch(r.stdout, /in sync, .* drifted, .* unknown/);
  });
});
