/**
 * `mailhost preview --json` on this repository's own project: the digest has the shape of
 * `pulumi preview --json` (a JSON schema written from the CLI's Go types), and for every committed
 * stack its resources are the offline run's (types, names, inputs), with every secret masked.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { main } from "../../../cli/main";
import type { PreviewDigest } from "../../../engine/previewDigest";
import { PLACEHOLDER_SECRET, PLACEHOLDER_WEBHOOK_URL } from "../../../stack/stackFile";
import { REPO_ROOT, STACKS, TEST_ADMIN_PASSWORD, runStack } from "../../support/stacks";
import { mailhost, project, stackText } from "./support";

const SCHEMA = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "preview", "preview-digest.schema.json"), "utf8")) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);

/** The CLI's marker of a secret, and the signature Pulumi wraps secrets, assets and archives in. */
const SECRET = "[secret]";
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

async function preview(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["preview", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** What the CLI writes for an input the program registered: secrets masked, assets and archives by signature and path. */
async function expectedInput(value: unknown): Promise<unknown> {
  value = await value;
  if (Array.isArray(value)) return Promise.all(value.map(expectedInput));
  if (value === null || typeof value !== "object") return value;
  const v = value as Record<string, unknown>;
  if (v[SIG] === SECRET_SIG) return SECRET;
  if (v["__pulumiAsset"] === true) return { [SIG]: "c44067f5952c0a294b673a41bacd8c17", path: await v["path"] };
  if (v["__pulumiArchive"] === true) return { [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7", path: await v["path"] };
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(v)) if (e !== undefined) out[k] = await expectedInput(e);
  return out;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const isDefaultProvider = (step: { newState?: { type: string }; urn: string }) =>
  step.newState!.type.startsWith("pulumi:providers:") && nameOf(step.urn).startsWith("default");

describe("mailhost preview --json (this repository's project)", { concurrency: 1 }, () => {
  for (const stack of STACKS) {
    it(`${stack}: parses as the preview digest, and its resources are the offline run's (types, names, inputs), secrets masked`, async () => {
      const r = await preview(["--stack", stack, "--json", "--cwd", REPO_ROOT]);
      assert.equal(r.code, 0, r.err);
      const digest = JSON.parse(r.out) as PreviewDigest;
      assert.ok(validate(digest), JSON.stringify(validate.errors?.slice(0, 5)));

      const run = await runStack(stack);
      const steps = digest.steps!.filter((s) => !isDefaultProvider(s));
      assert.deepEqual(
        steps.map((s) => [s.newState.type, nameOf(s.urn)]),
        run.resources.map((x) => [x.type, x.name]),
      );
      for (const [i, resource] of run.resources.entries()) {
        assert.deepEqual(steps[i].newState.inputs ?? {}, await expectedInput(resource.inputs), `${resource.type} ${resource.name}`);
      }
      // Every custom resource names its package's default provider, which is a step of its own before it.
      const seen = new Set<string>();
      for (const step of digest.steps!) {
        seen.add(step.urn);
        if (!step.newState.custom || step.newState.type.startsWith("pulumi:providers:")) continue;
        assert.match(step.provider!, /^urn:pulumi:.+::mailhost::pulumi:providers:azure-native::default_\d+_\d+_\d+::04da6b54-80e4-46f7-96ec-b56ff0331ba9$/);
        assert.ok(seen.has(step.provider!.slice(0, step.provider!.lastIndexOf("::"))), `${step.urn}: its provider is created before it`);
      }
      // Parents and dependencies are resources of the digest; the default providers are not counted.
      const urns = new Set(digest.steps!.map((s) => s.urn));
      for (const step of steps) {
        for (const urn of [step.newState.parent, ...(step.newState.dependencies ?? [])]) if (urn) assert.ok(urns.has(urn), `${step.urn} refers to ${urn}`);
      }
      assert.deepEqual(digest.changeSummary, { create: run.resources.length });
      // No secret in plain text: the config's secrets, the password the run used, nothing of it.
      assert.equal(digest.config!["mailhost:adminPassword"], SECRET);
      for (const plain of [PLACEHOLDER_SECRET, TEST_ADMIN_PASSWORD]) assert.ok(!r.out.includes(plain), `${plain} is in the output`);
      assert.ok(r.out.includes(`"osProfile": "${SECRET}"`), "the VM's osProfile (it holds the password) is masked");
    });
  }

  it("the implicit dependencies reach the digest: a VM depends on its network interface", async () => {
    const digest = JSON.parse((await preview(["--stack", "dev", "--json", "--cwd", REPO_ROOT])).out) as PreviewDigest;
    const vm = digest.steps!.find((s) => s.newState.type === "azure-native:compute:VirtualMachine")!;
    const nic = digest.steps!.find((s) => s.newState.type === "azure-native:network:NetworkInterface")!;
    assert.ok(vm.newState.dependencies!.includes(nic.urn), JSON.stringify(vm.newState.dependencies));
    assert.ok(vm.newState.propertyDependencies!["networkProfile"].includes(nic.urn));
    // URNs as the engine forms them: no stack type in the chain.
    assert.ok(!digest.steps!.some((s) => s.urn.includes("pulumi:pulumi:Stack$")));
  });

  it("never prints a secret the stack file holds, secure or (by mistake) in plain text", async () => {
    const webhook = "https://hooks.example.com/services/T000/B000/s3cr3t-webhook-token";
    const dir = project({
      "Pulumi.leaky.yaml": stackText(
        "dev",
        (t) => `${t.trimEnd()}\n  mailhost:alertWebhookUrl: ${webhook}\n  mailhost:adminPassword:\n    secure: v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0\n`,
      ),
    });
    const r = await preview(["--stack", "leaky", "--json", "--cwd", dir]);
    assert.equal(r.code, 0, r.err);
    const digest = JSON.parse(r.out) as PreviewDigest;
    assert.ok(validate(digest));
    for (const plain of ["s3cr3t-webhook-token", PLACEHOLDER_SECRET, PLACEHOLDER_WEBHOOK_URL, "bm90LWEtcmVhbC1jaXBoZXJ0ZXh0"])
      assert.ok(!r.out.includes(plain), `${plain} is in the output`);
    assert.equal(digest.config!["mailhost:alertWebhookUrl"], SECRET);
    assert.equal(digest.config!["mailhost:adminPassword"], SECRET);
  });

  it("as a command: text by default, JSON with --json; an invalid stack is rejected (exit 1) naming setting, value and range", async () => {
    const text = await mailhost(["preview", "--stack", "dev"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /\+ azure-native:compute:VirtualMachine {2}vm-mail-dev-001-vm/);
    assert.match(text.stdout, /Resources: \+ \d+ to create/);
    const dir = project({ "Pulumi.broken.yaml": stackText("dev", (t) => t.replace("tcpTimedWaitDelay: 120", "tcpTimedWaitDelay: 301")) });
    const broken = await mailhost(["preview", "--stack", "broken", "--json", "--cwd", dir]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /mailhost:tcp\.tcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)/);
  });
});
