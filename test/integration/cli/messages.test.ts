/** Messages that teach: each common mistake gets its fix and its line; Node's error codes never reach the user. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { groupViolations, type Violation } from "../../../cli/check";
import { planOf } from "../../../cli/plan";
import { RECOMMENDED } from "../../../domain/limits";
import { loadStack } from "../../../stack/stackConfig";
import { runtimeConfig } from "../../../engine/offline";
import { REPO_ROOT, stackConfigWithSecret, withValue } from "../../support/stacks";
import { lineIn, mailhost, project, stackText } from "./support";

interface JsonStack {
  stack: string;
  status: string;
  configErrors: Array<{ path: string; message: string; line: number | null }>;
  violations: Array<{ policy: string; rule: string; resources?: string[]; urn: string | null }>;
}

const mistakes = stackText("dev", (t) =>
  t
    .replace(
      "  mailhost:capacity:",
      [
        "  mailhost:tcp.maxUserPort: 60000",
        "  mailhots:capacity:",
        "    activeSessionsPerHost: 10",
        "  fleet:",
        "    hostCount: 1",
        "  mailhost:capacty:",
        "    backendEndpoints: 1",
        "  mailhost:capacity:",
      ].join("\n"),
    )
    .replace("  mailhost:siteConfig:\n", '  mailhost:siteConfig:\n    path: "C:\\temp\\new.cfg"\n'),
);

describe("messages that teach", { concurrency: 3 }, () => {
  it("names the fix and the line of flat keys, misspelt namespaces and keys, keys without a namespace, and escaped paths", async () => {
    const dir = project({ "Pulumi.mistakes.yaml": mistakes });
    const r = await mailhost(["check", "--stack", "mistakes", "--format", "json", "--cwd", dir]);
    assert.equal(r.code, 1, r.stderr);
    const [stack] = (JSON.parse(r.stdout) as { stacks: JsonStack[] }).stacks;
    const error = (pathOf: string) => {
      const found = stack.configErrors.filter((e) => e.path === pathOf);
      assert.equal(found.length, 1, `one message for ${pathOf}: ${JSON.stringify(stack.configErrors, null, 1)}`);
      return found[0];
    };
    const flat = error("mailhost:tcp.maxUserPort");
    assert.match(flat.message, /nest it under mailhost:tcp .*or use `pulumi config set --path/);
    assert.equal(flat.line, lineIn(mistakes, "mailhost:tcp.maxUserPort:"));
    const namespace = error("mailhots:capacity");
    assert.match(namespace.message, /did you mean mailhost:capacity\?/);
    assert.equal(namespace.line, lineIn(mistakes, "mailhots:capacity:"));
    const bare = error("fleet");
    assert.match(bare.message, /has no namespace.*did you mean mailhost:fleet\?/);
    assert.equal(bare.line, lineIn(mistakes, "  fleet:"));
    const key = error("mailhost:capacty");
    assert.match(key.message, /Did you mean mailhost:capacity\?/);
    assert.equal(key.line, lineIn(mistakes, "mailhost:capacty:"));
    const escaped = error("mailhost:siteConfig.path");
    assert.match(escaped.message, /single quotes/);
    assert.match(escaped.message, /drive letter.*ending in \.cfg/, "the rule is stated");
    assert.equal(escaped.line, lineIn(mistakes, 'path: "C:'));
  });

  it("accepts numbers where strings are expected: windowsVersion: 2025, zones: [1, 2]", () => {
    let config = withValue(stackConfigWithSecret("dev"), "mailhost:fleet", "windowsVersion", 2025);
    config = withValue(config, "mailhost:fleet", "zones", [1, 2]);
    const { plan } = loadStack("dev", runtimeConfig(config));
    assert.equal(plan.config.fleet.windowsVersion, "2025");
    assert.deepEqual(plan.config.fleet.zones, ["1", "2"]);
    assert.deepEqual(
      plan.hosts
        .map((h) => h.zone)
        .filter(Boolean)
        .slice(0, 2),
      ["1", "2"].slice(0, Math.min(2, plan.hosts.length)),
    );
  });

  it("reports the same violation on many hosts once, with the host list", async () => {
    const low = RECOMMENDED.minimumMaxUserPort - 1;
    const text = stackText("prod", (t) => t.replace(/maxUserPort: \d+/, `maxUserPort: ${low}`).replace(/count: \d+/, `count: ${low - 10000 + 1}`));
    const dir = project({ "Pulumi.many.yaml": text });
    const hosts = planOf(dir, "many").hosts;
    assert.ok(hosts.length > 1);
    const r = await mailhost(["check", "--stack", "many", "--format", "json", "--cwd", dir]);
    const [stack] = (JSON.parse(r.stdout) as { stacks: JsonStack[] }).stacks;
    const found = stack.violations.filter((v) => v.policy === "mailhost-max-user-port-recommended" && v.rule === "mailhost-max-user-port-recommended");
    assert.equal(found.length, 1, JSON.stringify(stack.violations, null, 1));
    assert.equal(found[0].resources?.length, hosts.length);
    for (const h of hosts)
      assert.ok(
        found[0].resources!.some((name) => name.startsWith(h.name)),
        h.name,
      );
  });

  it("groups violations that differ only by the resource name, and keeps different ones apart", () => {
    const v = (name: string, message: string): Violation => ({
      policy: "p",
      level: "advisory",
      urn: `urn:pulumi:s::mailhost::t::${name}`,
      message: message.replace("NAME", name),
      description: "",
    });
    const grouped = groupViolations([
      v("a-1", 'X "NAME": MaxUserPort 40000'),
      v("a-2", 'X "NAME": MaxUserPort 40000'),
      v("a-3", 'X "NAME": MaxUserPort 30000'),
    ]);
    assert.equal(grouped.length, 2);
    assert.deepEqual(grouped[0].resources, ["a-1", "a-2"]);
    assert.equal(grouped[0].message, "X (2 resources): MaxUserPort 40000");
    assert.equal(grouped[1].urn, "urn:pulumi:s::mailhost::t::a-3");
  });

  it("gives annotation paths relative to the repository root", async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-repo-"));
    fs.mkdirSync(path.join(repo, ".git"));
    const dir = path.join(repo, "infra", "mail");
    fs.mkdirSync(dir, { recursive: true });
    const broken = stackText("dev", (t) => t.replace(/tcpTimedWaitDelay: \d+/, "tcpTimedWaitDelay: 9999"));
    fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), broken);
    const r = await mailhost(["check", "--stack", "broken", "--format", "github", "--cwd", dir]);
    assert.ok(
      r.stdout.split("\n").some((l) => l.startsWith(`::error file=infra/mail/Pulumi.broken.yaml,line=${lineIn(broken, "tcpTimedWaitDelay")},`)),
      r.stdout,
    );
  });

  it("prints --version and plan --format json", async () => {
    const version = await mailhost(["--version"]);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version);
    const plan = await mailhost(["plan", "--stack", "dev", "--format", "json"]);
    assert.equal(plan.code, 0, plan.stderr);
    const json = JSON.parse(plan.stdout);
    const expected = planOf(REPO_ROOT, "dev");
    assert.equal(json.stacks[0].stack, "dev");
    assert.equal(json.stacks[0].tuning.maxUserPort, expected.tuning.maxUserPort);
    assert.deepEqual(
      json.stacks[0].hosts.map((h: { name: string }) => h.name),
      expected.hosts.map((h) => h.name),
    );
  });

  it("turns ENOENT and EISDIR into sentences", async () => {
    const missing = path.join(os.tmpdir(), "mailhost-no-such-dir");
    const cwd = await mailhost(["check", "--cwd", missing]);
    assert.equal(cwd.code, 2);
    assert.equal(cwd.stderr.trim(), `mailhost: ${missing} does not exist.`);
    const dir = project({ "Pulumi.dev.yaml": stackText("dev") });
    const config = await mailhost(["check", "--stack", "dev", "--cwd", dir, "--policy-pack-config", dir]);
    assert.equal(config.stderr.trim(), `mailhost: Policy pack config ${dir} is a directory, not a file.`);
    fs.mkdirSync(path.join(dir, "Pulumi.folder.yaml"));
    const folder = await mailhost(["check", "--stack", "folder", "--cwd", dir]);
    assert.match(folder.stdout, /Pulumi.folder.yaml is a directory, not a file\./);
    for (const r of [cwd, config, folder]) assert.doesNotMatch(r.stdout + r.stderr, /ENOENT|EISDIR|errno/);
  });
});
