/**
 * Values crossing Run Command survive a Windows command line: a `runCommand` copy of prod with a
 * SiteConfig path with spaces and a setting value with `%`, `&` and `^`, run through the program,
 * the command-line stand-in, `mailhost check`, and the policy pack over the analyzer protocol.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as fc from "fast-check";
import { stringify } from "yaml";
import { runCheck } from "../../../cli/check";
import { COMMAND_LINE_SAFE_PATTERN, fromBase64Url, toBase64Url } from "../../../domain/guestEncoding";
import {
  type TuningPlan,
  AUTO_REUSE_PARAMETER_NAMES,
  SITE_CONFIG_CONTENT_PARAMETER,
  TUNING_PARAMETER_NAMES,
  runCommandTuningParameters,
  sha256Hex,
} from "../../../domain/plan";
import { readMailboxCacheTtl } from "../../../domain/siteconfig";
import { type RecordedResource, runtimeConfig } from "../../../engine/offline";
import { PolicyPackProcess, type PolicyDiagnostic } from "../../../engine/analyzer";
import { POLICY_PACK_DIR, stackConfigurationOf } from "../../../engine/policyCheck";
import { readGuestScript, RUN_COMMAND_SCRIPT } from "../../../components/guestScripts";
import { runStack, stackConfigWithSecret, stackFileConfig, withValue } from "../../support/stacks";
import { bindThroughCommandLine, damagedParameters } from "../../support/windowsCommandLine";
import { ruleOf } from "../../../policies/all";

/** A diagnostic of the MailboxCacheTTL floor rule. */
const isFloor = (d: PolicyDiagnostic) => d.policyName === "mailhost-mailbox-cache-ttl-floor" && ruleOf(d) === "mailhost-mailbox-cache-ttl-floor";

const ODD_PATH = "C:\\Program Files\\Mail Front End\\SiteConfig.cfg";
const ODD_VALUE = "100% & more ^_^";
const RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine";
/** Letters, digits, `-`, `_`; `.` and `:` only inside plain numbers or hashes. */
const ALLOWED = new RegExp(`${COMMAND_LINE_SAFE_PATTERN}|^[0-9]+([.:][0-9]+)*$|^[0-9a-f]+$`);

/** The prod stack file's config, switched to Run Command, with the path and the setting value above. */
function oddConfig(withSecret: boolean): Record<string, unknown> {
  let config = withSecret ? stackConfigWithSecret("prod") : structuredClone(stackFileConfig("prod"));
  config = withValue(config, "mailhost:tcp", "tuning", "runCommand");
  config = withValue(config, "mailhost:siteConfig", "path", ODD_PATH);
  return withValue(config, "mailhost:siteConfig", "settings.Service.Banner", ODD_VALUE);
}

const parametersOf = (r: RecordedResource) => r.inputs.parameters as Array<{ name: string; value: string }>;

/** The parameters the tuning sent before values were encoded: raw path and INI text. */
function rawParameters(tuning: TuningPlan): Array<{ name: string; value: string }> {
  return [
    { name: "MaxUserPort", value: String(tuning.maxUserPort) },
    { name: "SiteConfigPath", value: tuning.siteConfigPath },
    { name: "SiteConfigContent", value: tuning.siteConfigContent },
    { name: "SiteConfigSha256", value: tuning.siteConfigSha256 },
  ];
}

describe("the Windows command-line stand-in", () => {
  it("splits, strips and cuts values the way cmd does", () => {
    const { bound, stray } = bindThroughCommandLine([
      { name: "A", value: "two words" },
      { name: "B", value: "x=1;y,2" },
      { name: "C", value: "100% ^_^" },
      { name: "D", value: "before & after" },
    ]);
    assert.deepEqual(bound, { A: "two", B: "x", C: "100", D: "before" });
    assert.deepEqual(stray, ["words", "1", "y", "2", "_"]);
    assert.deepEqual(
      bindThroughCommandLine([
        { name: "E", value: "line1\r\nline2" },
        { name: "F", value: "f" },
      ]).bound,
      { E: "line1" },
    );
    assert.deepEqual(bindThroughCommandLine([{ name: "G", value: "-looks-like-a-name" }]).bound, {});
  });

  it("lets any base64url of UTF-8 text through unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 300 }), (text) => {
        const value = toBase64Url(text);
        assert.deepEqual(damagedParameters([{ name: "SiteConfigContentBase64Url", value }]), []);
        assert.equal(fromBase64Url(value), text);
      }),
      { numRuns: 300 },
    );
  });
});

describe("a runCommand copy of prod with a path with spaces and a value with % & ^", () => {
  let resources: RecordedResource[];
  before(async () => {
    resources = (await runStack("prod", oddConfig(true))).resources.filter((r) => r.type === RUN_COMMAND);
  });

  it("gives every host a run command whose parameter values are letters, digits, - and _ only", () => {
    assert.ok(resources.length > 0);
    for (const r of resources) {
      const parameters = parametersOf(r);
      // prod sets no auto-reuse port range: its two parameters do not travel (the guest leaves the range alone).
      const sent = TUNING_PARAMETER_NAMES.filter((name) => !(AUTO_REUSE_PARAMETER_NAMES as readonly string[]).includes(name));
      assert.deepEqual(parameters.map((p) => p.name).sort(), [...sent, "SiteConfigSha256", "ContentHash"].sort());
      for (const p of parameters) assert.match(p.value, ALLOWED, `${r.name} ${p.name} = ${p.value}`);
    }
  });

  it("delivers every value unchanged through the command line, and the decoded file is the rendered one", () => {
    for (const r of resources) {
      const parameters = parametersOf(r);
      assert.deepEqual(damagedParameters(parameters), []);
      const { bound, stray } = bindThroughCommandLine(parameters);
      assert.deepEqual(stray, []);
      assert.equal(fromBase64Url(bound.SiteConfigPathBase64Url), ODD_PATH);
      const content = fromBase64Url(bound[SITE_CONFIG_CONTENT_PARAMETER]);
      assert.match(content, new RegExp(`^Banner = ${ODD_VALUE.replace(/[\^]/g, "\\^")}\r$`, "m"), "the INI library writes the value verbatim");
      assert.equal(bound.SiteConfigSha256, sha256Hex(content), "the guest's SHA-256 check passes");
      assert.ok(content.includes("\r\n"));
    }
  });

  it("would have broken with the raw values sent before (so the check above can fail)", () => {
    const script = readGuestScript(RUN_COMMAND_SCRIPT.file);
    const content = fromBase64Url(parametersOf(resources[0]).find((p) => p.name === SITE_CONFIG_CONTENT_PARAMETER)!.value);
    const tuning = { siteConfigPath: ODD_PATH, siteConfigContent: content, siteConfigSha256: sha256Hex(content), maxUserPort: 65534 } as TuningPlan;
    const damaged = damagedParameters(rawParameters(tuning));
    assert.ok(damaged.includes("SiteConfigPath"), damaged.join());
    assert.ok(damaged.includes("SiteConfigContent"), damaged.join());
    // The encoded parameters of the same plan pass.
    assert.deepEqual(
      damagedParameters(
        runCommandTuningParameters({ ...tuning, tcpTimedWaitDelay: 30, dynamicPortRangeStart: 10000, dynamicPortRangeCount: 55535 } as TuningPlan, script),
      ),
      [],
    );
  });

  it("passes mailhost check (no mandatory and no advisory finding)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-guest-boundary-"));
    try {
      fs.writeFileSync(path.join(dir, "Pulumi.prodrc.yaml"), stringify({ config: oddConfig(false) }));
      const report = await runCheck({ dir, stacks: ["prodrc"], policyPackConfig: path.join(POLICY_PACK_DIR, "config", "prod.json") });
      const [stack] = report.stacks;
      assert.equal(stack.status, "passed", JSON.stringify({ error: stack.error, problems: stack.configProblems, violations: stack.violations }, null, 1));
      assert.deepEqual(stack.violations, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the pack rejects a hand-written run command whose encoded SiteConfig.cfg is below the floor", () => {
  let pack: PolicyPackProcess;
  let resources: RecordedResource[];
  const prodLevels = JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "config", "prod.json"), "utf8"));
  // The floor is the stack's own (prod's, kept in this copy), which the pack reads from the stack config it is started with.
  const floor: number = (oddConfig(false)["mailhost:siteConfig"] as { minimumMailboxCacheTtl: number }).minimumMailboxCacheTtl;
  before(async () => {
    resources = (await runStack("prod", oddConfig(true))).resources.filter((r) => r.type === RUN_COMMAND);
    pack = await PolicyPackProcess.start(POLICY_PACK_DIR, {
      stack: stackConfigurationOf("prodrc", runtimeConfig(oddConfig(true)), ["mailhost:adminPassword"]),
    });
    await pack.configure(prodLevels);
  });
  after(async () => {
    await pack?.close();
  });

  it(`rejects MailboxCacheTTL one second below prod's floor, read from the decoded parameter`, async () => {
    const ours = parametersOf(resources[0]);
    const content = fromBase64Url(ours.find((p) => p.name === SITE_CONFIG_CONTENT_PARAMETER)!.value).replace(
      /MailboxCacheTTL = \d+/,
      `MailboxCacheTTL = ${floor - 1}`,
    );
    assert.deepEqual(readMailboxCacheTtl(content), { ok: true, value: floor - 1 });
    const parameters = ours.map((p) => {
      if (p.name === SITE_CONFIG_CONTENT_PARAMETER) return { name: p.name, value: toBase64Url(content) };
      if (p.name === "SiteConfigSha256") return { name: p.name, value: sha256Hex(content) };
      return p;
    });
    const handWritten = {
      type: RUN_COMMAND,
      name: "hand-written-runcmd",
      properties: { resourceGroupName: "rg-mail", vmName: "vm-legacy-01", runCommandName: "tune", source: { script: "param()" }, parameters },
    };
    const diagnostics: PolicyDiagnostic[] = await pack.analyze(handWritten);
    const floorFindings = diagnostics.filter((d) => isFloor(d));
    assert.deepEqual(
      floorFindings.map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    assert.match(
      floorFindings[0].message,
      new RegExp(`parameters\\[${SITE_CONFIG_CONTENT_PARAMETER}\\]\\) sets MailboxCacheTTL = ${floor - 1} is below its floor of ${floor} seconds`),
    );
    // At the floor it passes.
    const atFloor = parameters.map((p) =>
      p.name === SITE_CONFIG_CONTENT_PARAMETER ? { name: p.name, value: toBase64Url(content.replace(`= ${floor - 1}`, `= ${floor}`)) } : p,
    );
    const ok = await pack.analyze({ ...handWritten, properties: { ...handWritten.properties, parameters: atFloor } });
    assert.deepEqual(
      ok.filter((d) => isFloor(d)),
      [],
    );
  });

  it("says so (advisory) when a hand-written run command carries no SiteConfig.cfg to read", async () => {
    const parameters = parametersOf(resources[0]).filter((p) => p.name !== SITE_CONFIG_CONTENT_PARAMETER);
    const diagnostics = await pack.analyze({
      type: RUN_COMMAND,
      name: "no-site-config",
      properties: { resourceGroupName: "rg-mail", vmName: "vm-legacy-01", runCommandName: "tune", source: { script: "param()" }, parameters },
    });
    const readable = diagnostics.filter((d) => d.policyName === "mailhost-tuning-values-readable");
    assert.deepEqual(
      readable.map((d) => d.enforcementLevel),
      ["advisory"],
    );
    assert.match(readable[0].message, /carries no readable SiteConfigContentBase64Url/);
  });
});
