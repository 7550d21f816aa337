/** The `mailhost` command as users run it: a separate process, exit codes, formats. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RECOMMENDED } from "../../../domain/limits";
import { REPO_ROOT } from "../../support/stacks";

const BIN = path.join(REPO_ROOT, "bin", "mailhost.js");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function mailhost(args: string[], cwd = REPO_ROOT): Promise<Result> {
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

/** A temp project dir holding a copy of a committed stack file under a new stack name, edited. */
function stackCopy(from: string, to: string, edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-cli-"));
  fs.writeFileSync(path.join(dir, `Pulumi.${to}.yaml`), edit(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${from}.yaml`), "utf8")));
  return dir;
}

const lineOf = (dir: string, stack: string, needle: string) =>
  fs
    .readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")
    .split("\n")
    .findIndex((l) => l.includes(needle)) + 1;

describe("mailhost check", { concurrency: 3 }, () => {
  it("passes the committed stacks (exit 0) with a readable summary", async () => {
    const r = await mailhost(["check", "--stack", "all"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const stack of ["dev", "staging", "prod"])
      assert.match(r.stdout, new RegExp(`stack ${stack} \\(Pulumi.${stack}.yaml\\): passed — \\d+ resources, 0 mandatory, 0 advisory`));
    assert.match(r.stdout, /3 stacks checked offline: 3 passed, 0 rejected, 0 could not be checked/);
  });

  it("rejects tcpTimedWaitDelay: 301 (exit 1), naming file, setting, value and range; github points at the key's line", async () => {
    const dir = stackCopy("prod", "broken", (t) => t.replace("tcpTimedWaitDelay: 30", "tcpTimedWaitDelay: 301"));
    const line = lineOf(dir, "broken", "tcpTimedWaitDelay: 301");
    const text = await mailhost(["check", "--stack", "broken", "--cwd", dir]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /stack broken \(Pulumi.broken.yaml\): REJECTED/);
    assert.ok(text.stdout.includes(`mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds).  (Pulumi.broken.yaml:${line})`), text.stdout);
    const github = await mailhost(["check", "--stack", "broken", "--cwd", dir, "--format", "github"]);
    assert.equal(github.code, 1);
    assert.ok(
      github.stdout
        .split("\n")
        .includes(
          `::error file=Pulumi.broken.yaml,line=${line},title=mailhost config (broken)::mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds).`,
        ),
      github.stdout,
    );
  });

  it("rejects maxUserPort: 65535 (exit 1)", async () => {
    const dir = stackCopy("prod", "wide", (t) => t.replace("maxUserPort: 65534", "maxUserPort: 65535"));
    const r = await mailhost(["check", "--stack", "wide", "--cwd", dir, "--format", "json"]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.stacks[0].status, "rejected");
    assert.ok(
      report.stacks[0].configErrors.some(
        (e: any) =>
          e.message === "mailhost:tcp.maxUserPort = 65535 is outside 5000–65534 (port number)." && e.line === lineOf(dir, "wide", "maxUserPort: 65535"),
      ),
    );
  });

  it("rejects a mailboxCacheTtl under the floor (exit 1)", async () => {
    const dir = stackCopy("prod", "short", (t) => t.replace("mailboxCacheTtl: 900", "mailboxCacheTtl: 450"));
    const r = await mailhost(["check", "--stack", "short", "--cwd", dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /mailhost:siteConfig.mailboxCacheTtl = 450 is outside 600–86400 \(seconds\)/);
  });

  it("rejects through the policy pack what the stack config allows but the stack's policy config (levels) does not (json, github)", async () => {
    // The components accept a MaxUserPort below the recommendation; prod's policy config makes the recommendation mandatory.
    const low = RECOMMENDED.minimumMaxUserPort - 1;
    const dir = stackCopy("prod", "lenient", (t) => t.replace(/maxUserPort: \d+/, `maxUserPort: ${low}`).replace(/count: \d+/, `count: ${low - 10000 + 1}`));
    const config = path.join(REPO_ROOT, "policies", "config", "prod.json");
    const json = await mailhost(["check", "--stack", "lenient", "--cwd", dir, "--format", "json", "--policy-pack-config", config]);
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout);
    const [stack] = report.stacks;
    // Stack, the fleet component, site (resource group, NSG, VNet, subnet, storage account, container, package blob,
    // identity, role assignment), egress (component, NAT gateway, public IP) and per host:
    // component, NIC, VM, tuning component, extension, assignment; then monitoring: the component,
    // the fleet component, workspace, rule, action group, 6 log alert rules (the port-usage rule among
    // them) and the NAT gateway's 2 metric alerts, and per host the agent and the association.
    assert.equal(stack.resourceCount, 1 + 2 + 9 + 3 + 4 * 6 + 12 + 4 * 2);
    // The same violation on the four hosts: reported once, with the four resources.
    assert.equal(stack.violations.length, 1, JSON.stringify(stack.violations, null, 1));
    const [v] = stack.violations;
    assert.equal(v.policy, "mailhost-max-user-port-recommended");
    assert.equal(v.rule, "mailhost-max-user-port-recommended");
    assert.equal(v.level, "mandatory");
    assert.equal(v.urns.length, 4);
    for (const urn of v.urns) assert.match(urn, /GuestConfigurationAssignment::vm-mail-lenient-00\d-tuning-assignment$/);
    assert.match(v.message, new RegExp(`MaxUserPort = ${low} in .*; at least ${RECOMMENDED.minimumMaxUserPort} is recommended`));
    assert.ok(stack.timings.programMs > 0 && stack.timings.analysisMs > 0 && report.timings.totalMs > 0);
    const github = await mailhost(["check", "--stack", "lenient", "--cwd", dir, "--format", "github", "--policy-pack-config", config]);
    const line = lineOf(dir, "lenient", `maxUserPort: ${low}`);
    assert.equal(
      github.stdout
        .split("\n")
        .filter(
          (l) =>
            l.startsWith(`::error file=Pulumi.lenient.yaml,line=${line},title=mailhost-max-user-port-recommended (lenient)::`) &&
            l.includes("On 4 resources: vm-mail-lenient-001-tuning-assignment"),
        ).length,
      1,
      github.stdout,
    );
  });

  it("checks a stack whose secure value it cannot decrypt with a placeholder, and never prints it", async () => {
    const dir = stackCopy("dev", "sealed", (t) => `${t}  mailhost:adminPassword:\n    secure: v1:c2VhbGVkLXNlY3JldA==:AAAAAAAA\n`);
    const r = await mailhost(["check", "--stack", "sealed", "--cwd", dir, "--format", "json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes("c2VhbGVkLXNlY3JldA") && !r.stderr.includes("c2VhbGVkLXNlY3JldA"));
    assert.deepEqual(JSON.parse(r.stdout).stacks[0].placeholders, []);
  });

  it("rejects an admin password written in plain text in the stack file, never showing it (exit 1)", async () => {
    const dir = stackCopy("dev", "leaky", (t) => `${t}  mailhost:adminPassword: Plain-Text-Passw0rd!\n`);
    const r = await mailhost(["check", "--stack", "leaky", "--cwd", dir]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stdout.includes(
        `mailhost:adminPassword is written in plain text in Pulumi.leaky.yaml (value not shown); remove it and set it with \`pulumi config set --secret mailhost:adminPassword\`.  (Pulumi.leaky.yaml:${lineOf(dir, "leaky", "mailhost:adminPassword: Plain")})`,
      ),
      r.stdout,
    );
    assert.ok(!(r.stdout + r.stderr).includes("Plain-Text-Passw0rd"));
  });

  it("exits 2 for a missing stack file, saying so in a sentence", async () => {
    const r = await mailhost(["check", "--stack", "nowhere"]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /stack nowhere \(Pulumi.nowhere.yaml\): COULD NOT BE CHECKED/);
    assert.ok(r.stdout.includes("error: Stack file Pulumi.nowhere.yaml does not exist."), r.stdout);
    assert.ok(!r.stdout.includes("ENOENT"));
  });

  it("rejects unparsable YAML (exit 1) with the file, the line and YAML's excerpt", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-cli-"));
    fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  mailhost:fleet: [\n");
    const r = await mailhost(["check", "--stack", "bad", "--cwd", dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Stack file Pulumi.bad.yaml is not valid YAML: /);
    assert.match(r.stdout, /\(Pulumi.bad.yaml:\d+\)/);
    assert.ok(r.stdout.includes("mailhost:fleet: ["), `the excerpt is kept: ${r.stdout}`);
  });

  it("exits 2 with one clear line for an unknown flag or format, and never shows a stack trace", async () => {
    const flag = await mailhost(["check", "--stak", "prod"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^error: unknown option '--stak'/);
    const format = await mailhost(["check", "--format", "xml"]);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /option '-f, --format <format>' argument 'xml' is invalid. Allowed choices are text, json, github./);
    for (const r of [flag, format]) assert.ok(!/\n\s+at /.test(r.stderr), r.stderr);
  });

  it("documents every command with --help", async () => {
    for (const args of [["--help"], ["check", "--help"], ["plan", "--help"]]) {
      const r = await mailhost(args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Usage: mailhost/);
    }
  });
});

describe("mailhost check never leaves a plugin process behind", () => {
  it("when interrupted with SIGINT while analysing", async () => {
    const child = spawn(process.execPath, [BIN, "check", "--stack", "all"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // Wait until the pack is up (its process exists), then interrupt.
    const deadline = Date.now() + 30_000;
    let packPids: string[] = [];
    while (Date.now() < deadline) {
      packPids = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes("run-policy-pack") && l.trim().split(/\s+/)[1] === String(child.pid))
        .map((l) => l.trim().split(/\s+/)[0]);
      if (packPids.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(packPids.length > 0, `the pack started: ${stderr}`);
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", (c, signal) => resolve(c ?? (signal === "SIGINT" ? 130 : null))));
    assert.notEqual(code, 0);
    // Reaping may take a moment: give it up to 5 s.
    const gone = Date.now() + 5_000;
    let alive = packPids;
    while (Date.now() < gone && alive.length > 0) {
      alive = alive.filter((pid) => {
        try {
          process.kill(Number(pid), 0);
          return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2].startsWith("Z");
        } catch {
          return false;
        }
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(alive, []);
  });
});
