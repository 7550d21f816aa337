/**
 * `mailhost check` and `mailhost preview` on teams' own Pulumi projects (test/fixtures/consumers),
 * which install the module from its packed tarball and import it as consumers do, each project
 * with its own program and the consumers' own `@pulumi/pulumi`:
 *   - fleet-config: settings read from stack config by the module's loader into MailhostFleet; a
 *     stack whose tcpTimedWaitDelay is 301 is rejected with the component's message at the stack
 *     file's line; a value written in the program is rejected without a line;
 *   - plain: no mail host at all, passes cleanly; with the team's own pack (team-pack, plain
 *     @pulumi/policy) beside this module's, that pack's violation is reported;
 *   - own-tuning: a hand-written Run Command that writes TcpTimedWaitDelay 500 is rejected by this
 *     module's pack;
 *   - `mailhost preview --json` of a consumer stack has the preview digest's shape, secrets masked.
 * The command is this repository's (bin/mailhost.js, compiled by `npm pack`): the installed
 * package does not ship the policy pack (policies/ runs from the repository).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import type { PreviewDigest } from "../../../engine/previewDigest";
import { PLACEHOLDER_SECRET } from "../../../stack/stackFile";
import { REPO_ROOT } from "../../support/stacks";
import { mailhost } from "../cli/support";
import { installConsumer, packedModule, pinned } from "./installed";

const FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "consumers");
const validate = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "preview", "preview-digest.schema.json"), "utf8")) as object,
);

/** 1-based line of the first line of a file containing `needle`. */
const lineOf = (file: string, needle: string) =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(needle)) + 1;

interface CheckJson {
  exitCode: number;
  project: { name: string; program: string | null };
  policyPacks: string[];
  stacks: Array<{
    stack: string;
    status: string;
    resourceCount: number;
    configErrors: Array<{ path: string; message: string; line?: number }>;
    violations: Array<{ policy: string; rule: string; level: string; message: string; urn: string | null }>;
    error: string | null;
  }>;
}

describe("mailhost check and preview on a team's own projects that installed the module", { timeout: 900_000, concurrency: 2 }, () => {
  let root: string;
  const at = (name: string) => path.join(root, name);
  const check = async (project: string, args: string[]) => {
    const r = await mailhost(["check", "--format", "json", ...args], at(project));
    return { ...r, json: JSON.parse(r.stdout) as CheckJson };
  };

  before(() => {
    const { tarball } = packedModule();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-consumers-"));
    // One install at the root, the projects in folders below it (a monorepo's layout): each
    // project's @pulumi/pulumi is the root's node_modules one, not this repository's.
    installConsumer(
      root,
      Object.fromEntries([
        ["mailhost-iac", `file:${tarball}`],
        ...["@pulumi/pulumi", "@pulumi/azure-native", "@pulumi/policy", "typescript", "@types/node"].map((n) => [n, pinned(n)]),
      ]),
    );
    fs.cpSync(FIXTURES, root, { recursive: true });
  });

  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("rejects a stack whose config carries tcpTimedWaitDelay 301 into the fleet component (exit 1): the component's message at the stack file's line", async () => {
    const r = await check("fleet-config", ["--stack", "bad"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [stack] = r.json.stacks;
    assert.equal(stack.status, "rejected");
    assert.deepEqual(stack.configErrors, [
      {
        path: "shop-fleet:tcp.tcpTimedWaitDelay",
        message: 'mailhost:azure:MailhostFleet "mail" rejects its inputs: shop-fleet:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds).',
        line: lineOf(at("fleet-config/Pulumi.bad.yaml"), "tcpTimedWaitDelay: 301"),
      },
    ]);
    assert.equal(r.json.project.name, "shop-fleet");
    assert.equal(fs.realpathSync(r.json.project.program!), fs.realpathSync(at("fleet-config/src/index.ts")));
    // The same in text and as a GitHub annotation on the line.
    const text = await mailhost(["check", "--stack", "bad"], at("fleet-config"));
    assert.equal(text.code, 1);
    assert.ok(
      text.stdout.includes(`shop-fleet:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds).  (Pulumi.bad.yaml:${stack.configErrors[0].line})`),
      text.stdout,
    );
    const github = await mailhost(["check", "--stack", "bad", "--format", "github"], at("fleet-config"));
    assert.match(github.stdout, new RegExp(`::error file=[^,]*Pulumi\\.bad\\.yaml,line=${stack.configErrors[0].line},`));
  });

  it("rejects a value the program writes itself with the component's message, and no line to point at", async () => {
    const r = await check("fleet-config", ["--stack", "literal"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(
      r.json.stacks[0].configErrors.map((e) => [e.message, e.line ?? null]),
      [['mailhost:azure:MailhostFleet "mail" rejects its inputs: mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds).', null]],
    );
  });

  it("passes the team's valid fleet stack: its program ran with its own @pulumi/pulumi and every resource went to the pack", async () => {
    const r = await check("fleet-config", ["--stack", "dev"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [stack] = r.json.stacks;
    assert.equal(stack.status, "passed");
    assert.ok(stack.resourceCount > 10, `${stack.resourceCount} resources`);
    assert.deepEqual(
      stack.violations.filter((v) => v.level === "mandatory"),
      [],
    );
  });

  it("passes a project without any mail host cleanly (exit 0, nothing reported)", async () => {
    const r = await check("plain", []);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      r.json.stacks.map((s) => [s.stack, s.status, s.resourceCount, s.violations.length, s.configErrors.length]),
      [["dev", "passed", 3, 0, 0]],
    );
    assert.equal(r.json.policyPacks.length, 1);
  });

  it("runs the team's own policy pack beside this module's and reports its violation (exit 1)", async () => {
    const r = await check("plain", ["--policy-pack", "../team-pack"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(
      r.json.policyPacks.map((p) => path.basename(p)),
      ["policies", "team-pack"],
    );
    assert.deepEqual(
      r.json.stacks[0].violations.map((v) => [v.policy, v.level, v.message]),
      [["shop-resource-group-has-owner", "mandatory", "resource group web has no owner tag"]],
    );
    assert.match(r.json.stacks[0].violations[0].urn!, /^urn:pulumi:dev::shop-web::(.*\$)?azure-native:resources:ResourceGroup::web$/);
    // Its config pairs by position, this module's pack first: the team pack's level turned advisory.
    fs.writeFileSync(at("levels.json"), JSON.stringify({ "shop-resource-group-has-owner": "advisory" }));
    fs.writeFileSync(at("none.json"), "{}");
    const paired = await check("plain", ["--policy-pack", "../team-pack", "--policy-pack-config", "../none.json", "--policy-pack-config", "../levels.json"]);
    assert.equal(paired.code, 0, paired.stdout + paired.stderr);
    assert.deepEqual(
      paired.json.stacks[0].violations.map((v) => [v.policy, v.level]),
      [["shop-resource-group-has-owner", "advisory"]],
    );
  });

  it("rejects a hand-written Run Command that writes TcpTimedWaitDelay 500, with this module's pack's message (exit 1)", async () => {
    const r = await check("own-tuning", []);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const mandatory = r.json.stacks[0].violations.filter((v) => v.level === "mandatory");
    assert.deepEqual(
      mandatory.map((v) => [v.policy, v.rule]),
      [["mailhost-script-tuning-range", "mailhost-script-tuning-range"]],
    );
    assert.match(mandatory[0].urn!, /^urn:pulumi:dev::shop-tuning::(.*\$)?azure-native:compute:VirtualMachineRunCommandByVirtualMachine::tcp-tuning$/);
    assert.match(mandatory[0].message, /TcpTimedWaitDelay = 500 is outside 30–300 \(seconds\)/);
  });

  it("previews a consumer stack in the shape of pulumi preview --json, with its own project's URNs and every secret masked", async () => {
    const r = await mailhost(["preview", "--stack", "dev", "--json"], at("fleet-config"));
    assert.equal(r.code, 0, r.stderr);
    const digest = JSON.parse(r.stdout) as PreviewDigest;
    assert.ok(validate(digest), JSON.stringify(validate.errors?.slice(0, 5)));
    assert.ok(digest.steps!.every((s) => s.urn.startsWith("urn:pulumi:dev::shop-fleet::")));
    assert.ok(digest.steps!.some((s) => s.newState.type === "mailhost:azure:MailhostFleet"));
    assert.equal(digest.config!["shop-fleet:adminPassword"], "[secret]");
    assert.equal(digest.config!["shop-fleet:vmSizeNote"], "Standard_D2s_v5 is the smallest size the team uses", "the project file's config default");
    const vm = digest.steps!.find((s) => s.newState.type === "azure-native:compute:VirtualMachine")!;
    assert.equal(vm.newState.inputs!["osProfile"], "[secret]");
    for (const plain of [PLACEHOLDER_SECRET, "bm90LWEtcmVhbC1jaXBoZXJ0ZXh0"]) assert.ok(!r.stdout.includes(plain), `${plain} is in the output`);
    assert.equal(digest.changeSummary!["create"], digest.steps!.filter((s) => !s.urn.includes("::pulumi:providers:")).length);
  });

  it("a consumer stack the components reject fails preview too (exit 1), the error a diagnostic of the digest", async () => {
    const r = await mailhost(["preview", "--stack", "bad", "--json"], at("fleet-config"));
    assert.equal(r.code, 1, r.stderr);
    const digest = JSON.parse(r.stdout) as PreviewDigest;
    assert.ok(validate(digest));
    assert.deepEqual(
      digest.diagnostics!.map((d) => d.severity),
      ["error"],
    );
    assert.match(digest.diagnostics![0].message, /shop-fleet:tcp\.tcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)\. {2}\(Pulumi\.bad\.yaml:\d+\)/);
  });
});
