/**
 * Rules grouped into fewer policies (the SDK decodes a resource once per policy): the pack's
 * policy list, the levels every rule had as a policy of its own, and a group's violations being
 * exactly its rules' violations, with the same text, over the fixtures.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies, ruleOf } from "../../policies/all";
import { groupResourceRules, groupStackRules, rulesOf } from "../../policies/lib/group";
import { configKeyOf } from "../../cli/check";
import { maxUserPortRange } from "../../policies/rules/maxUserPortRange";
import { tcpTimedWaitDelayRange } from "../../policies/rules/tcpTimedWaitDelayRange";
import { tuningValuesReadable } from "../../policies/rules/tuningValuesReadable";
import { REPO_ROOT } from "../support/stacks";
import type { TestResource } from "./harness";
import { alertRule, ama, correctionAlertRule, dcr, dcra, natDropAlert, natGateway, dsc, gcAssignment, guestConfigurationOfCopy, nic, nsg, resource, runCommand, vm, withDscArgument, withParameter, withTtl } from "./fixtures";

/**
 * The level of every rule when it was a policy of its own, before grouping: the pack's default
 * and the committed policy configs (dev, staging, prod), as they were.
 */
const LEVELS_BEFORE: Record<string, readonly [string, string, string, string]> = {
  "mailhost-tcp-timed-wait-delay-range": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-max-user-port-range": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-dynamic-port-range-valid": ["mandatory", "mandatory", "mandatory", "mandatory"],
  // Added after the grouping, in the group of the other range rules: mandatory everywhere.
  "mailhost-auto-reuse-port-range-valid": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-script-tuning-range": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-guest-configuration-content-hash": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-guest-configuration-content-uri-https": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-nic-no-public-ip": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-nsg-no-remote-management-from-internet": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-secrets-only-in-protected-settings": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-mailbox-cache-ttl-floor": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-alert-rule-has-action-group": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-tuning-values-readable": ["advisory", "advisory", "advisory", "advisory"],
  "mailhost-max-user-port-recommended": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-tcp-timed-wait-delay-recommended": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-vm-has-one-tuning": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-capacity-sustains-load": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-vm-has-monitoring-agent": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-vm-has-data-collection-rule-association": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-subnet-explicit-outbound": ["mandatory", "advisory", "mandatory", "mandatory"],
  // Added after the grouping, in fleet readiness with the other monitoring rules.
  "mailhost-port-usage-alert": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-script-tuning-verifiable": ["advisory", "advisory", "advisory", "advisory"],
  "mailhost-guest-configuration-applies": ["advisory", "advisory", "mandatory", "mandatory"],
  // Added after grouping, as the group mailhost-monitoring-coverage: advisory except in prod.
  "mailhost-collects-tuning-corrections": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-tuning-correction-alert": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-nat-gateway-alerts": ["advisory", "advisory", "advisory", "mandatory"],
};
/** Config values the rules had before, by rule (the capacity load and the TTL floor). */
const CONFIG_BEFORE: Record<string, Record<string, Record<string, unknown>>> = {
  dev: { "mailhost-mailbox-cache-ttl-floor": { minimumMailboxCacheTtl: 300 }, "mailhost-capacity-sustains-load": { activeSessionsPerHost: 500, backendEndpoints: 1, utilization: 0.8 } },
  staging: { "mailhost-mailbox-cache-ttl-floor": { minimumMailboxCacheTtl: 300 }, "mailhost-capacity-sustains-load": { activeSessionsPerHost: 15000, backendEndpoints: 2, utilization: 0.8 } },
  prod: { "mailhost-mailbox-cache-ttl-floor": { minimumMailboxCacheTtl: 600 }, "mailhost-capacity-sustains-load": { activeSessionsPerHost: 40000, backendEndpoints: 4, utilization: 0.7 } },
};
const STACKS = ["dev", "staging", "prod"] as const;
const readConfig = (stack: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", `${stack}.json`), "utf8")) as Record<string, { enforcementLevel?: string } & Record<string, unknown>>;

type Rule = ResourceValidationPolicy | StackValidationPolicy;
/** A violation as the SDK turns a report into a diagnostic (its makeReportViolationFun). */
interface Diagnostic { policyName: string; description: string; message: string; urn?: string; enforcementLevel?: string }

function sdkReport(policy: Rule, out: Diagnostic[]) {
  return ((m: string | { message?: string; description?: string; urn?: string; enforcementLevel?: string }, urn?: string) => {
    const level = policy.enforcementLevel ?? "advisory";
    if (typeof m === "object") out.push({ policyName: policy.name, message: m.message ?? m.description ?? policy.description, description: m.description ?? policy.description, urn: m.urn, enforcementLevel: m.enforcementLevel ?? level });
    else out.push({ policyName: policy.name, message: m ? `${policy.description}\n${m}` : policy.description, description: policy.description, urn, enforcementLevel: level });
  }) as never;
}

/** The policy's config as the SDK gives it: schema defaults, then the given values. */
function configOf(policy: Rule, values: Record<string, unknown>): Record<string, unknown> {
  const props = policy.configSchema?.properties ?? {};
  const defaults = Object.fromEntries(Object.entries(props).filter(([, s]) => (s as { default?: unknown }).default !== undefined).map(([k, s]) => [k, (s as { default?: unknown }).default]));
  return { ...defaults, ...Object.fromEntries(Object.entries(values).filter(([k]) => k in props)) };
}

const urnOf = (r: TestResource) => `urn:pulumi:test::mailhost::${r.type}::${r.name}`;

async function runResource(policy: ResourceValidationPolicy, r: TestResource, values: Record<string, unknown>): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const validate = policy.validateResource;
  for (const v of validate === undefined ? [] : Array.isArray(validate) ? validate : [validate]) {
    await v({ type: r.type, name: r.name, urn: urnOf(r), props: structuredClone(r.props), opts: {} as never, stackTags: new Map(), isType: () => false, asType: () => undefined, getConfig: <T extends object>() => configOf(policy, values) as T, notApplicable: () => { throw new Error("not applicable"); } }, sdkReport(policy, out));
  }
  return out;
}

async function runStack(policy: StackValidationPolicy, resources: TestResource[], values: Record<string, unknown>): Promise<Diagnostic[]> {
  const cache = new Map<TestResource, PolicyResource>();
  const convert = (r: TestResource): PolicyResource => {
    const existing = cache.get(r);
    if (existing) return existing;
    const out = { type: r.type, name: r.name, urn: urnOf(r), props: structuredClone(r.props), opts: {} as never, dependencies: [], propertyDependencies: {} } as unknown as PolicyResource;
    cache.set(r, out);
    out.dependencies = (r.dependencies ?? []).map(convert);
    return out;
  };
  const out: Diagnostic[] = [];
  await policy.validateStack({ resources: resources.map(convert), stackTags: new Map(), getConfig: <T extends object>() => configOf(policy, values) as T, notApplicable: () => { throw new Error("not applicable"); } }, sdkReport(policy, out));
  return out;
}

/** Resources that break each resource rule once or more, and compliant ones. */
function resourceCases(): TestResource[] {
  const SAS = "?sv=2024-11-04&sr=b&sp=r&sig=c2VjcmV0LXNpZ25hdHVyZQ";
  const secret = dsc(); (secret.props.settings as Record<string, unknown>).configurationUrlSasToken = SAS;
  const publicNic = nic(); (publicNic.props.ipConfigurations as Array<Record<string, unknown>>)[0].publicIPAddress = { id: "/subscriptions/x/publicIPAddresses/pip" };
  const noHash = gcAssignment(); delete guestConfigurationOfCopy(noHash).contentHash;
  const http = gcAssignment(); guestConfigurationOfCopy(http).contentUri = "http://st.blob.core.windows.net/p/pkg.zip";
  const silentAlert = alertRule(); silentAlert.props.actions = { actionGroups: [] };
  const script = resource("azure-native:compute:VirtualMachineExtension", "cse", { resourceGroupName: "rg", vmName: "vm-mail-unit-001", publisher: "Microsoft.Compute", type: "CustomScriptExtension", typeHandlerVersion: "1.10", settings: { commandToExecute: "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 500 /f" } });
  return [
    dsc(), runCommand(), vm(), nic(), ama(), dcra(), alertRule(), nsg(), gcAssignment(),
    withDscArgument(dsc(), "TcpTimedWaitDelay", 301), withDscArgument(dsc(), "TcpTimedWaitDelay", 200), withDscArgument(dsc(), "MaxUserPort", 65535), withDscArgument(dsc(), "MaxUserPort", 20000),
    withParameter(runCommand(), "DynamicPortRangeNumberOfPorts", "254"), withParameter(runCommand(), "TcpTimedWaitDelay", "29"), withParameter(runCommand(), "SiteConfigContentBase64Url", undefined),
    withDscArgument(withDscArgument(dsc(), "AutoReusePortRangeStartPort", 9999), "AutoReusePortRangeNumberOfPorts", 1000),
    withTtl(dsc(), 10), withTtl(runCommand(), 400), secret, publicNic, noHash, http, silentAlert, script,
    resource("azure-native:network:SecurityRule", "rdp", { securityRuleName: "rdp", direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: "Internet", destinationPortRange: "3389" }),
  ];
}

/** Stacks that break each stack rule, and a compliant one. */
function stackCases(): TestResource[][] {
  const SUBNET_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Network/virtualNetworks/vnet-mailhost-unit/subnets/snet-mailhost";
  const host = (...more: TestResource[]) => { const machine = vm(); return [machine, ...more.map((t) => ({ ...t, dependencies: [machine] }))]; };
  const subnet = resource("azure-native:network:Subnet", "mailhost-snet", { resourceGroupName: "rg-mailhost-unit", virtualNetworkName: "vnet-mailhost-unit", subnetName: "snet-mailhost", addressPrefix: "10.40.0.0/24", defaultOutboundAccess: false });
  const hostNic = nic(); hostNic.props.ipConfigurations = [{ name: "ipconfig1", subnet: { id: SUBNET_ID }, privateIPAllocationMethod: "Dynamic" }];
  return [
    host(dsc(), ama(), dcra()),
    host(dsc()),
    host(withTtl(dsc(), 30), ama()),
    [...host(dsc(), ama(), dcra()), subnet, hostNic],
    host(dsc(), runCommand(), gcAssignment()),
    [...host(dsc(), ama(), dcra(), dcr(), correctionAlertRule()), natGateway(), natDropAlert()],
    // Monitoring declared without the port-usage readings: an alert rule on Tcpip events only.
    [...host(dsc(), ama(), dcra()), alertRule()],
  ];
}

const groups = policies.filter((p) => rulesOf(p).length > 1 || rulesOf(p)[0] !== p);

describe("the pack's policies", () => {
  it("are exactly the nine policies, four resource and five stack", () => {
    assert.deepEqual(policies.map((p) => p.name), [
      "mailhost-resource-guardrails", "mailhost-service-readiness", "mailhost-tuning-values-readable", "mailhost-tuning-recommended",
      "mailhost-vm-has-one-tuning", "mailhost-fleet-readiness", "mailhost-script-tuning-verifiable", "mailhost-guest-configuration-applies",
      "mailhost-monitoring-coverage",
    ]);
    assert.deepEqual(policies.map((p) => ("validateStack" in p ? "stack" : "resource")), ["resource", "resource", "resource", "resource", "stack", "stack", "stack", "stack", "stack"]);
  });
  it("hold every rule of before exactly once", () => {
    assert.deepEqual(policies.flatMap((p) => rulesOf(p).map((r) => r.name)).sort(), Object.keys(LEVELS_BEFORE).sort());
  });
  it("give every rule the level it had as a policy of its own, in the default and in every stack (no group mixes levels)", () => {
    const configs = STACKS.map(readConfig);
    for (const policy of policies) {
      const levels = [policy.enforcementLevel ?? "advisory", ...configs.map((c) => c[policy.name]?.enforcementLevel ?? policy.enforcementLevel ?? "advisory")];
      for (const rule of rulesOf(policy)) assert.deepEqual(levels, [...LEVELS_BEFORE[rule.name]], `${rule.name} in ${policy.name}`);
    }
  });
  it("carry in each stack's config the values each rule had before, under the policy that holds it", () => {
    for (const stack of STACKS) {
      const config = readConfig(stack);
      for (const [rule, values] of Object.entries(CONFIG_BEFORE[stack])) {
        const holder = policies.find((p) => rulesOf(p).some((r) => r.name === rule))!;
        for (const [key, value] of Object.entries(values)) assert.equal(config[holder.name]?.[key], value, `${stack}: ${holder.name}.${key} (was ${rule}.${key})`);
      }
    }
  });
  it("describe each group's config as the union of its rules' config", () => {
    for (const group of groups) {
      const union = Object.assign({}, ...rulesOf(group).map((r) => r.configSchema?.properties ?? {}));
      assert.deepEqual(group.configSchema?.properties ?? {}, union, group.name);
    }
  });
});

describe("a group of rules", () => {
  for (const group of groups.filter((g): g is ResourceValidationPolicy => "validateResource" in g)) {
    it(`${group.name}: exactly the union of its rules' violations, with the same messages and descriptions, for every fixture and stack config`, async () => {
      const fired = new Set<string>();
      for (const values of [{}, ...STACKS.map((s) => ({ ...readConfig(s)[group.name] }))]) {
        for (const r of resourceCases()) {
          const expected = (await Promise.all(rulesOf(group).map((rule) => runResource(rule as ResourceValidationPolicy, r, values)))).flat();
          const got = await runResource(group, r, values);
          assert.deepEqual(got.map((d) => ({ ...d, policyName: undefined })), expected.map((d) => ({ ...d, policyName: undefined })), `${group.name} on ${r.name}`);
          assert.deepEqual(got.map((d) => ruleOf({ ...d, policyName: group.name })), expected.map((d) => d.policyName), "each violation names its rule");
          for (const d of expected) fired.add(d.policyName);
        }
      }
      // The fixtures break every rule of the group, so the union is not vacuous.
      assert.deepEqual([...fired].sort(), rulesOf(group).map((r) => r.name).sort());
    });
  }
  for (const group of groups.filter((g): g is StackValidationPolicy => "validateStack" in g)) {
    it(`${group.name}: exactly the union of its rules' stack violations, with the same messages, for every fixture stack and stack config`, async () => {
      const fired = new Set<string>();
      for (const values of [{}, ...STACKS.map((s) => ({ ...readConfig(s)[group.name] }))]) {
        for (const resources of stackCases()) {
          const expected = (await Promise.all(rulesOf(group).map((rule) => runStack(rule as StackValidationPolicy, resources, values)))).flat();
          const got = await runStack(group, resources, values);
          assert.deepEqual(got.map((d) => ({ ...d, policyName: undefined })), expected.map((d) => ({ ...d, policyName: undefined })));
          assert.deepEqual(got.map((d) => ruleOf({ ...d, policyName: group.name })), expected.map((d) => d.policyName));
          for (const d of expected) fired.add(d.policyName);
        }
      }
      assert.deepEqual([...fired].sort(), rulesOf(group).map((r) => r.name).sort());
    });
  }
  it("refuses rules of different levels, and a config key in two rules", () => {
    assert.throws(() => groupResourceRules({ name: "mailhost-x", description: "X." }, [maxUserPortRange, tuningValuesReadable]), /mailhost-max-user-port-range = mandatory, mailhost-tuning-values-readable = advisory/);
    const clash = { ...tcpTimedWaitDelayRange, configSchema: { properties: { k: { type: "integer" as const, default: 1 } } } };
    assert.throws(() => groupResourceRules({ name: "mailhost-x", description: "X." }, [{ ...maxUserPortRange, configSchema: clash.configSchema }, clash]), /config key k/);
    assert.throws(() => groupStackRules({ name: "mailhost-x", description: "X." }, []), /at least one rule/);
  });
  it("runs the other rules when one reads a value unknown during preview, then lets the SDK report the unknown", async () => {
    class UnknownValueError extends Error {}
    const reads: StackValidationPolicy = { name: "mailhost-a", description: "A.", enforcementLevel: "mandatory", validateStack: () => { throw new UnknownValueError("unknown"); } };
    const reports: StackValidationPolicy = { name: "mailhost-b", description: "B.", enforcementLevel: "mandatory", validateStack: (_args, report) => report("found") };
    const out: Diagnostic[] = [];
    const group = groupStackRules({ name: "mailhost-ab", description: "AB." }, [reads, reports]);
    await assert.rejects(async () => group.validateStack({ resources: [], stackTags: new Map(), getConfig: () => ({}) as never, notApplicable: () => { throw new Error(); } }, sdkReport(group, out)), UnknownValueError);
    assert.deepEqual(out, [{ policyName: "mailhost-ab", message: "B.\nfound", description: "B.", urn: undefined, enforcementLevel: "mandatory" }]);
  });
});

describe("mailhost check's stack-file key for a grouped rule", () => {
  it("follows the rule that produced the diagnostic, not the group", () => {
    const group = policies.find((p) => p.name === "mailhost-resource-guardrails")!;
    const ofRule = (name: string) => rulesOf(group).find((r) => r.name === name)!.description;
    assert.equal(configKeyOf({ policyName: group.name, description: ofRule("mailhost-max-user-port-range") }), "mailhost:tcp.maxUserPort");
    assert.equal(configKeyOf({ policyName: group.name, description: ofRule("mailhost-tcp-timed-wait-delay-range") }), "mailhost:tcp.tcpTimedWaitDelay");
    assert.equal(configKeyOf({ policyName: group.name, description: ofRule("mailhost-nsg-no-remote-management-from-internet") }), "mailhost:fleet.allowedImapCidrs");
    assert.equal(configKeyOf({ policyName: "mailhost-fleet-readiness", description: rulesOf(policies.find((p) => p.name === "mailhost-fleet-readiness")!)[0].description }), "mailhost:siteConfig.mailboxCacheTtl");
    assert.equal(configKeyOf({ policyName: "mailhost-vm-has-one-tuning", description: "anything" }), "mailhost:tcp.tuning");
    // The SDK's own note for a group (its description) names no rule.
    assert.equal(configKeyOf({ policyName: group.name, description: group.description }), undefined);
  });
});
