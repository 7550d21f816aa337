/**
 * The pack as the Pulumi CLI runs it: `node run-policy-pack <engine> .` in policies/, with the
 * stack's names and config in its environment, driven over the analyzer gRPC protocol. Started
 * once for the file, for the prod stack (a second one for dev where a test says so).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { type PolicyPackProcess, secret, UNKNOWN, type AnalyzedResource, type PolicyDiagnostic } from "../../../engine/analyzer";
import { policies, ruleOf } from "../../../policies/all";
import { readPolicyConfig as readConfig, startStackPack } from "../../support/packs";
import { fromBase64Url, toBase64Url } from "../../../domain/guestEncoding";
import {
  amaExtensionArgs,
  dcraArgs,
  dscExtensionArgs,
  estateAssignment,
  estateDefinition,
  gcAssignment,
  plan,
  runCommandArgs,
  vmArgs,
  withAssignmentParameter,
} from "../../unit/policies/fixtures";
import { DEFAULTS, MAX_USER_PORT } from "../../../domain/limits";
import { stackFileConfig } from "../../support/stacks";
import { tuningParameterValue } from "../../../domain/estateTuningPolicy";

/** A hand-written DSC extension, as someone might write it without our components. */
function handWrittenDsc(configurationArguments: Record<string, unknown>, extra: Record<string, unknown> = {}): AnalyzedResource {
  return {
    type: "azure-native:compute:VirtualMachineExtension",
    name: "hand-written-dsc",
    properties: {
      resourceGroupName: "rg-mail",
      vmName: "vm-legacy-01",
      publisher: "Microsoft.Powershell",
      type: "DSC",
      typeHandlerVersion: "2.83",
      settings: { configuration: { url: "https://st.blob.core.windows.net/dsc/tune.zip", script: "tune.ps1", function: "Tune" }, configurationArguments },
      ...extra,
    },
  };
}

const mandatory = (ds: PolicyDiagnostic[]) => ds.filter((d) => d.enforcementLevel === "mandatory");
const byPolicy = (ds: PolicyDiagnostic[], name: string) => ds.filter((d) => d.policyName === name);
/** A rule's diagnostics: each rule is a policy of its own, named by the rule. */
const byRule = (ds: PolicyDiagnostic[], rule: string) => ds.filter((d) => d.policyName === rule && ruleOf(d) === rule);

describe("mailhost-guardrails over the analyzer protocol", () => {
  let pack: PolicyPackProcess;
  before(async () => {
    pack = await startStackPack("prod", {});
  });
  after(async () => {
    await pack?.close();
  });

  it("starts under run-policy-pack and describes every rule as a policy of its own, with its level and no config values", async () => {
    const info = await pack.getAnalyzerInfo();
    assert.equal(info.name, "mailhost-guardrails");
    assert.deepEqual(
      info.policies.map((p) => [p.name, p.enforcementLevel]),
      policies.map((p) => [p.name, p.enforcementLevel]),
    );
    for (const p of info.policies) assert.equal(p.configSchema, undefined, p.name);
    assert.equal(info.policies.find((p) => p.name === "mailhost-capacity-sustains-load")?.type, "stack");
    assert.equal(info.policies.find((p) => p.name === "mailhost-mailbox-cache-ttl-floor")?.type, "resource");
  });

  it("rejects a hand-written DSC extension with TcpTimedWaitDelay = 301 as mandatory", async () => {
    const ds = await pack.analyze(handWrittenDsc({ TcpTimedWaitDelay: 301 }));
    const [d, ...rest] = byRule(ds, "mailhost-tcp-timed-wait-delay-range");
    assert.deepEqual(rest, []);
    assert.equal(d.enforcementLevel, "mandatory");
    assert.match(
      d.message,
      /VirtualMachineExtension "hand-written-dsc": TcpTimedWaitDelay = 301 is outside 30–300 \(seconds\), in settings.configurationArguments.TcpTimedWaitDelay\.$/,
    );
  });
  it("accepts TcpTimedWaitDelay = 300 on it (no mandatory diagnostic)", async () => {
    assert.deepEqual(mandatory(await pack.analyze(handWrittenDsc({ TcpTimedWaitDelay: 300 }))), []);
  });
  it("rejects MaxUserPort = 65535 as mandatory and accepts 65534", async () => {
    const rejected = byRule(await pack.analyze(handWrittenDsc({ MaxUserPort: 65535 })), "mailhost-max-user-port-range");
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].enforcementLevel, "mandatory");
    assert.match(rejected[0].message, /MaxUserPort = 65535 is outside 5000–65534 \(port number\)/);
    assert.deepEqual(mandatory(await pack.analyze(handWrittenDsc({ MaxUserPort: 65534 }))), []);
  });
  it('rejects TcpTimedWaitDelay = "301" in a run command\'s string parameters', async () => {
    const ds = await pack.analyze({
      type: "azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
      name: "rc",
      properties: { ...runCommandArgs, parameters: [{ name: "TcpTimedWaitDelay", value: "301" }] },
    });
    assert.equal(mandatory(byRule(ds, "mailhost-tcp-timed-wait-delay-range")).length, 1);
  });
  it("accepts our own DSC extension fixture with no diagnostic at all", async () => {
    assert.deepEqual(await pack.analyze({ type: "azure-native:compute:VirtualMachineExtension", name: "ours", properties: { ...dscExtensionArgs } }), []);
  });

  it("sees through secret-wrapped properties: the violation stands", async () => {
    const ds = await pack.analyze(handWrittenDsc({ TcpTimedWaitDelay: secret(301) }));
    assert.equal(mandatory(byRule(ds, "mailhost-tcp-timed-wait-delay-range")).length, 1);
  });
  it("never echoes a secret-wrapped SAS token found in plain settings", async () => {
    const token = "?sv=2024-11-04&sr=b&sp=r&sig=VGhpc0lzQVNlY3JldFNpZ25hdHVyZQ";
    const resource = handWrittenDsc({ TcpTimedWaitDelay: 60 });
    (resource.properties.settings as Record<string, unknown>).configurationUrlSasToken = secret(token);
    const ds = await pack.analyze(resource);
    const [d] = byRule(ds, "mailhost-secrets-only-in-protected-settings");
    assert.equal(d.enforcementLevel, "mandatory");
    assert.match(d.message, /settings.configurationUrlSasToken \(value not shown\)/);
    for (const diagnostic of ds) assert.ok(!JSON.stringify(diagnostic).includes("VGhpc0lzQVNlY3JldFNpZ25hdHVyZQ"));
    assert.ok(!pack.logs().join("\n").includes("VGhpc0lzQVNlY3JldFNpZ25hdHVyZQ"));
  });
  it("does not crash or report a false violation on values unknown during preview", async () => {
    const ds = await pack.analyze(handWrittenDsc({ TcpTimedWaitDelay: UNKNOWN, MaxUserPort: UNKNOWN }, { vmName: UNKNOWN }));
    assert.deepEqual(mandatory(ds), []);
    const stack = await pack.analyzeStack([
      {
        type: "azure-native:compute:VirtualMachine",
        name: "vm",
        urn: "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm",
        properties: { ...vmArgs, vmName: UNKNOWN },
      },
      {
        ...handWrittenDsc({ TcpTimedWaitDelay: 60 }, { vmName: UNKNOWN }),
        urn: "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachineExtension::dsc",
        propertyDependencies: { vmName: ["urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm"] },
      },
      // The monitoring of a host being created: the VM's name and id are unknown too.
      {
        type: "azure-native:compute:VirtualMachineExtension",
        name: "ama",
        urn: "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachineExtension::ama",
        properties: { ...amaExtensionArgs, vmName: UNKNOWN },
        propertyDependencies: { vmName: ["urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm"] },
      },
      {
        type: "azure-native:monitor:DataCollectionRuleAssociation",
        name: "dcra",
        urn: "urn:pulumi:prod::mailhost::azure-native:monitor:DataCollectionRuleAssociation::dcra",
        properties: { ...dcraArgs, resourceUri: UNKNOWN, dataCollectionRuleId: UNKNOWN },
        propertyDependencies: { resourceUri: ["urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm"] },
      },
    ]);
    assert.deepEqual(mandatory(stack), []);
    // Still answering afterwards.
    assert.equal(mandatory(byRule(await pack.analyze(handWrittenDsc({ TcpTimedWaitDelay: 301 })), "mailhost-tcp-timed-wait-delay-range")).length, 1);
  });

  it("reports a VM without tuning in AnalyzeStack, with its URN", async () => {
    const urn = "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm-lonely";
    const ds = await pack.analyzeStack([
      { type: "azure-native:compute:VirtualMachine", name: "vm-lonely", urn, properties: { ...vmArgs, vmName: "vm-lonely" } },
    ]);
    const [d] = byPolicy(ds, "mailhost-vm-has-one-tuning");
    assert.equal(d.enforcementLevel, "mandatory");
    assert.equal(d.urn, urn);
    assert.match(d.message, /VirtualMachine "vm-lonely" has no tuning resource/);
  });

  it("holds each stack to its own floor at its own level: prod's 600 (Pulumi.prod.yaml) mandatory, dev's default 300 advisory", async () => {
    const content = fromBase64Url(String((dscExtensionArgs.settings as any).configurationArguments.SiteConfigContentBase64Url)).replace(
      /MailboxCacheTTL = \d+/,
      "MailboxCacheTTL = 599",
    );
    const resource = handWrittenDsc({ SiteConfigContentBase64Url: toBase64Url(content) });
    const prodFloor = stackFileConfig("prod")["mailhost:siteConfig"] as { minimumMailboxCacheTtl: number };
    assert.equal(prodFloor.minimumMailboxCacheTtl, 600);
    await pack.configure(readConfig("prod"));
    const prod = byRule(await pack.analyze(resource), "mailhost-mailbox-cache-ttl-floor");
    assert.deepEqual(
      prod.map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    assert.match(
      prod[0].message,
      /MailboxCacheTTL = 599 is below its floor of 600 seconds \(floor from the stack's mailhost:siteConfig.minimumMailboxCacheTtl\)/,
    );
    await pack.configure({});
    // Dev's stack file sets no floor: the components' default applies, and dev's levels make it advisory.
    assert.equal((stackFileConfig("dev")["mailhost:siteConfig"] as { minimumMailboxCacheTtl?: number }).minimumMailboxCacheTtl, undefined);
    const dev = await startStackPack("dev");
    try {
      assert.deepEqual(byRule(await dev.analyze(resource), "mailhost-mailbox-cache-ttl-floor"), []); // 599 >= the default 300
      const low = handWrittenDsc({ SiteConfigContentBase64Url: toBase64Url(content.replace("599", String(DEFAULTS.minimumMailboxCacheTtl - 1))) });
      const found = byRule(await dev.analyze(low), "mailhost-mailbox-cache-ttl-floor");
      assert.deepEqual(
        found.map((d) => d.enforcementLevel),
        ["advisory"],
      );
      assert.match(found[0].message, new RegExp(`below its floor of ${DEFAULTS.minimumMailboxCacheTtl} seconds \\(floor from the default\\)`));
    } finally {
      await dev.close();
    }
  });
  it("rejects a guest configuration assignment with MaxUserPort one above its range in configurationParameter as mandatory in prod, and accepts the maximum", async () => {
    await pack.configure(readConfig("prod"));
    const assignment = (value: string) => {
      const r = withAssignmentParameter(gcAssignment(), "MaxUserPort", value);
      return { type: r.type, name: r.name, properties: r.props } as AnalyzedResource;
    };
    const rejected = byRule(await pack.analyze(assignment(String(MAX_USER_PORT.max + 1))), "mailhost-max-user-port-range");
    assert.deepEqual(
      rejected.map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    assert.match(
      rejected[0].message,
      new RegExp(`MaxUserPort = ${MAX_USER_PORT.max + 1} is outside .*configurationParameter\\[\\[MailhostTcpTuning\\]MailhostTcpTuning;MaxUserPort\\]`),
    );
    assert.deepEqual(mandatory(await pack.analyze(assignment(String(MAX_USER_PORT.max)))), []);
    await pack.configure({});
  });

  it("rejects a policy definition and an assignment with out-of-range tuning parameters as mandatory in prod, with the carriers' messages", async () => {
    await pack.configure(readConfig("prod"));
    const def = estateDefinition();
    (def.props.parameters as any).tuning.defaultValue.MaxUserPort = MAX_USER_PORT.max + 1;
    const rejected = byRule(await pack.analyze({ type: def.type, name: def.name, properties: def.props }), "mailhost-max-user-port-range");
    assert.deepEqual(
      rejected.map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    assert.match(
      rejected[0].message,
      new RegExp(
        `PolicyDefinition "estate-definition": MaxUserPort = ${MAX_USER_PORT.max + 1} is outside .* in parameters\\.tuning\\.defaultValue\\.MaxUserPort\\.`,
      ),
    );
    const low = estateAssignment({ ...tuningParameterValue(plan.tuning), TcpTimedWaitDelay: 29 });
    const lowTimeWait = byRule(await pack.analyze({ type: low.type, name: low.name, properties: low.props }), "mailhost-tcp-timed-wait-delay-range");
    assert.deepEqual(
      lowTimeWait.map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    assert.match(
      lowTimeWait[0].message,
      /PolicyAssignment "estate-assignment": TcpTimedWaitDelay = 29 is outside 30–300 \(seconds\), in parameters\.tuning\.value\.TcpTimedWaitDelay\./,
    );
    const ok = estateDefinition();
    assert.deepEqual(mandatory(await pack.analyze({ type: ok.type, name: ok.name, properties: ok.props })), []);
    await pack.configure({});
  });

  it("reports an Audit-only assignment on a mail host: mandatory with prod's config, advisory with dev's", async () => {
    const vmUrn = "urn:pulumi:prod::mailhost::azure-native:compute:VirtualMachine::vm-mail-unit-001-vm";
    const audit = gcAssignment();
    (audit.props.properties as any).guestConfiguration.assignmentType = "Audit";
    const resources: AnalyzedResource[] = [
      { type: "azure-native:compute:VirtualMachine", name: "vm-mail-unit-001-vm", urn: vmUrn, properties: { ...vmArgs } },
      {
        type: audit.type,
        name: audit.name,
        urn: "urn:pulumi:prod::mailhost::azure-native:guestconfiguration:GuestConfigurationAssignment::a",
        properties: audit.props,
      },
    ];
    await pack.configure(readConfig("prod"));
    assert.deepEqual(
      byPolicy(await pack.analyzeStack(resources), "mailhost-guest-configuration-applies").map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    await pack.configure(readConfig("dev"));
    assert.deepEqual(
      byPolicy(await pack.analyzeStack(resources), "mailhost-guest-configuration-applies").map((d) => d.enforcementLevel),
      ["advisory"],
    );
    await pack.configure({});
  });
});
