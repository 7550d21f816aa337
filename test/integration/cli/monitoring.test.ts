/** `mailhost check` and `mailhost plan` with monitoring: the secret webhook key, the plan's monitoring lines. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/stacks";

const BIN = path.join(REPO_ROOT, "bin", "mailhost.js");

function mailhost(args: string[], cwd = REPO_ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
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

function stackCopy(from: string, to: string, append: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-monitoring-"));
  fs.writeFileSync(path.join(dir, `Pulumi.${to}.yaml`), fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${from}.yaml`), "utf8") + append);
  return dir;
}

describe("mailhost check with the alert webhook", { concurrency: 2 }, () => {
  it("checks a stack whose webhook is a secure value with a placeholder URL, never printing it (exit 0)", async () => {
    const dir = stackCopy("prod", "hooked", "  mailhost:alertWebhookUrl:\n    secure: v1:aG9va2VkLXNlY3JldA==:BBBBBBBB\n");
    const r = await mailhost(["check", "--stack", "hooked", "--cwd", dir, "--format", "json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes("aG9va2VkLXNlY3JldA"));
    assert.equal(JSON.parse(r.stdout).stacks[0].status, "passed");
  });
  it("rejects a webhook written in plain text, never showing it, in every format (exit 1)", async () => {
    const token = "pl41n-t3xt-hook-token";
    const dir = stackCopy("prod", "leaky", `  mailhost:alertWebhookUrl: https://hooks.example.com/${token}\n`);
    for (const format of ["text", "json", "github"]) {
      const r = await mailhost(["check", "--stack", "leaky", "--cwd", dir, "--format", format]);
      assert.equal(r.code, 1, format);
      assert.match(
        r.stdout,
        /mailhost:alertWebhookUrl is written in plain text in Pulumi\.leaky\.yaml \(value not shown\); remove it and set it with `pulumi config set --secret mailhost:alertWebhookUrl`\./,
      );
      assert.ok(!(r.stdout + r.stderr).includes(token) && !(r.stdout + r.stderr).includes("hooks.example.com"), format);
    }
  });
});

describe("mailhost plan", () => {
  it("shows each stack's monitoring: rule, workspace, alerts, receivers, volume", async () => {
    const r = await mailhost(["plan", "--stack", "all"]);
    assert.equal(r.code, 0, r.stderr);
    for (const stack of ["dev", "staging", "prod"]) {
      assert.match(
        r.stdout,
        new RegExp(
          `monitoring: Azure Monitor Agent \\+ data collection rule dcr-mailhost-${stack} on every host, to workspace log-mailhost-${stack} \\(created`,
        ),
      );
      assert.match(r.stdout, new RegExp(`alert sev 1 per host: any Tcpip 4231 or 4266 event .*\\(alert-mailhost-${stack}-port-space-exhausted\\)`));
    }
    assert.match(r.stdout, /action group ag-mailhost-prod: mail-oncall@example\.com, mail-platform@example\.com/);
  });
});
