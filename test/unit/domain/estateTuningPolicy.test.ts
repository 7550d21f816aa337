/**
 * The estate-wide policy definition: valid against Azure Policy's published definition schema,
 * shaped like the Microsoft-generated definitions it follows (fixtures in
 * test/fixtures/azure-policy/, sources in SOURCE.md), and selecting exactly the machines the
 * precedence rule says.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import {
  GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID,
  TUNING_PARAMETER,
  estatePolicyDefinition,
  parameterHashExpression,
  parameterHashOf,
  tuningParameterSchema,
  tuningParameterValue,
} from "../../../domain/estateTuningPolicy";
import {
  AUTO_REUSE_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  TCP_TIMED_WAIT_DELAY,
} from "../../../domain/limits";
import { TUNED_PROPERTIES, configurationParameterName, tunedPropertiesOf } from "../../../domain/machineConfiguration";
import { STACK_TAG } from "../../../domain/plan";
import { evaluate } from "../../support/policyRule";
import { minimalPlan } from "../../support/stackConfigs";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "azure-policy");
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));

const plan = minimalPlan("machineConfiguration");

const HASH = "A".repeat(64);
const URI = `https://stmail.blob.core.windows.net/machine-configuration/MailhostTcpTuning-${HASH}.zip?sv=2024-11-04&sr=b&sp=r&spr=https&se=2027-06-30T23%3A59%3A59Z&sig=x`;
const definition = () =>
  estatePolicyDefinition({ tagName: "workload", tagValue: "mail", tuning: plan.tuning, contentUri: URI, contentHash: HASH }).properties as Record<string, any>;

/** The published schema as ajv (draft-07) reads it: draft-04 `id` as `$id`; the dangling deployment reference resolved (SOURCE.md). */
function schemaValidator() {
  const draft07 = (doc: Record<string, unknown>): Record<string, unknown> => {
    const { id, $schema: _unused, ...rest } = doc;
    return { $id: id, ...rest };
  };
  const policy = JSON.parse(
    JSON.stringify(fixture("policyDefinition.2020-09-01.json")).replaceAll(
      "https://schema.management.azure.com/schemas/2018-05-01/Microsoft.Resources.Deployments.json#/definitions/DeploymentProperties",
      "https://schema.management.azure.com/schemas/2018-05-01/Microsoft.Resources.json#/definitions/DeploymentPropertiesOrDeploymentPropertiesExtended",
    ),
  );
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema(draft07(fixture("common-definitions.json")));
  ajv.addSchema(draft07(fixture("Microsoft.Resources.2018-05-01.json")));
  return ajv.compile(draft07(policy));
}

describe("the estate policy definition against Azure Policy's published schema", () => {
  const validate = schemaValidator();
  it("validates (policyRule against schemas/2020-09-01/policyDefinition.json)", () => {
    const ok = validate(definition().policyRule);
    assert.equal(ok, true, JSON.stringify(validate.errors, null, 1));
  });
  it("the schema is a real check: a misspelt effect and an unknown details key are refused", () => {
    const bad = definition().policyRule;
    bad.then.effect = "deployIfNotExist";
    assert.equal(validate(bad), false);
    const extra = definition().policyRule;
    extra.then.details.evaluationDelayy = "AfterProvisioning";
    assert.equal(validate(extra), false);
  });
});

describe("the estate policy definition follows the shape Microsoft generates", () => {
  const builtIn = fixture("SetWindowsTimeZone_DINE.json").properties;
  const actionSet = fixture("GuestConfiguration-4-Action-Set.json");
  const metadata = fixture("GuestConfiguration-1-Metadata.json");
  const ours = definition();
  const keys = (o: object) => Object.keys(o).sort();

  it("mode, policy type and metadata as New-GuestConfigurationPolicy's 1-Metadata.json", () => {
    assert.equal(ours.mode, metadata.mode);
    assert.equal(ours.policyType, metadata.policyType);
    assert.equal(ours.metadata.category, metadata.metadata.category);
    assert.deepEqual(ours.metadata.requiredProviders, metadata.metadata.requiredProviders);
    for (const key of keys(metadata.metadata.guestConfiguration)) assert.ok(key in ours.metadata.guestConfiguration, `metadata.guestConfiguration.${key}`);
    assert.equal(ours.metadata.guestConfiguration.contentType, metadata.metadata.guestConfiguration.contentType);
    // The built-in's map from policy parameter to MOF reference, one entry per tuned property.
    assert.deepEqual(
      ours.metadata.guestConfiguration.configurationParameter,
      Object.fromEntries(TUNED_PROPERTIES.map((p) => [p, configurationParameterName(p)])),
    );
  });
  it("selects Windows Azure VMs and Arc machines with the built-in's own conditions", () => {
    const [machines] = ours.policyRule.if.allOf;
    const [vm, arc] = machines.anyOf;
    const builtInVm = builtIn.policyRule.if.anyOf[0].allOf;
    const builtInArc = builtIn.policyRule.if.anyOf[1].allOf[1].anyOf[0];
    assert.deepEqual(vm.allOf[0], builtInVm[0]);
    assert.deepEqual(vm.allOf[1], builtInVm[1].anyOf.at(-1).allOf[0], "the OS-field branch of the built-in's image list");
    assert.deepEqual(arc, builtInArc);
  });
  it("then: effect, details keys (less evaluationDelay), type, role and existence condition fields", () => {
    const a = ours.policyRule.then,
      b = builtIn.policyRule.then;
    assert.equal(a.effect, b.effect);
    assert.deepEqual(
      keys(a.details),
      keys(b.details).filter((k) => k !== "evaluationDelay"),
    );
    assert.equal(a.details.type, b.details.type);
    assert.equal(a.details.name, "MailhostTcpTuning");
    const lowered = (ids: string[]) => ids.map((id) => id.toLowerCase());
    assert.deepEqual(lowered(a.details.roleDefinitionIds), lowered(b.details.roleDefinitionIds));
    assert.deepEqual(lowered(a.details.roleDefinitionIds), lowered(actionSet.details.roleDefinitionIds));
    assert.ok(a.details.roleDefinitionIds[0].endsWith(GUEST_CONFIGURATION_RESOURCE_CONTRIBUTOR_ROLE_ID));
    const fields = (c: { allOf: Array<{ field: string }> }) => c.allOf.map((x) => x.field).sort();
    assert.deepEqual(fields(a.details.existenceCondition), fields(b.details.existenceCondition));
    assert.equal(a.details.existenceCondition.allOf[0].equals, "Compliant");
  });
  it("the parameter hash has the generated form: base64(concat('<ref>', '=', <value>, ',', ...)) in configurationParameter order", () => {
    const b = builtIn.policyRule.then.details.existenceCondition.allOf.find((c: { field: string }) => c.field.endsWith("parameterHash")).equals;
    assert.match(b, /^\[base64\(concat\('\[[^\]]+\][^;]+;[^']+', '=', parameters\('[^']+'\)\)\)\]$/);
    const ours = parameterHashExpression();
    const pairs = TUNED_PROPERTIES.map((p) => `'${configurationParameterName(p)}', '=', string(parameters('${TUNING_PARAMETER}').${p})`);
    assert.equal(ours, `[base64(concat(${pairs.join(", ',', ")}))]`);
    // What the service compares it with: base64 of name=value pairs joined by commas.
    const decoded = Buffer.from(parameterHashOf(plan.tuning), "base64").toString("utf8");
    assert.equal(decoded.split(",").length, TUNED_PROPERTIES.length);
    assert.ok(decoded.startsWith(`${configurationParameterName("MaxUserPort")}=${plan.tuning.maxUserPort},`));
  });
  it("deployment: mode, parameters and template header as the built-in", () => {
    const a = ours.policyRule.then.details.deployment.properties,
      b = builtIn.policyRule.then.details.deployment.properties;
    assert.deepEqual(keys(a), keys(b));
    assert.equal(a.mode.toLowerCase(), b.mode.toLowerCase());
    for (const p of ["vmName", "location", "type"]) assert.deepEqual(a.parameters[p], b.parameters[p]);
    assert.deepEqual(
      keys(a.parameters),
      keys(b.parameters)
        .map((k) => (k === "TimeZone" ? TUNING_PARAMETER : k))
        .sort(),
    );
    assert.equal(a.template.$schema, b.template.$schema);
    assert.equal(a.template.contentVersion, b.template.contentVersion);
    for (const p of ["vmName", "location", "type", "configurationName"]) assert.deepEqual(a.template.parameters[p], b.template.parameters[p]);
  });
  it("template resources: the Compute and HybridCompute assignments, as the built-in and 4-Action-Set.json write them", () => {
    const a = ours.policyRule.then.details.deployment.properties.template.resources;
    const b = builtIn.policyRule.then.details.deployment.properties.template.resources;
    assert.equal(a.length, b.length);
    for (const resource of a) {
      const match = b.find((r: { type: string }) => r.type === resource.type);
      assert.ok(match, resource.type);
      assert.deepEqual(keys(resource), keys(match));
      assert.equal(resource.condition.toLowerCase(), match.condition.toLowerCase());
      assert.equal(resource.name, match.name);
      assert.equal(resource.location, match.location);
      const generated = actionSet.details.deployment.properties.template.resources.find((r: { type: string }) => r.type === resource.type);
      assert.equal(resource.apiVersion, generated.apiVersion);
      const gc = resource.properties.guestConfiguration;
      assert.deepEqual(keys(gc), [...keys(generated.properties.guestConfiguration), "configurationParameter"].sort());
      assert.equal(gc.assignmentType, match.properties.guestConfiguration.assignmentType);
      assert.equal(gc.contentType, "Custom");
      assert.equal(gc.contentHash, HASH);
      assert.deepEqual(
        gc.configurationParameter.map((p: { name: string }) => p.name),
        TUNED_PROPERTIES.map(configurationParameterName),
      );
    }
  });
});

describe("the tuning parameter carries the limits Azure Policy can enforce", () => {
  it("its schema holds the ranges of domain/limits.ts and its default satisfies it", () => {
    const schema = tuningParameterSchema() as { properties: Record<string, { minimum?: number; maximum?: number }> };
    assert.deepEqual([schema.properties.MaxUserPort.minimum, schema.properties.MaxUserPort.maximum], [MAX_USER_PORT.min, MAX_USER_PORT.max]);
    assert.deepEqual(
      [schema.properties.TcpTimedWaitDelay.minimum, schema.properties.TcpTimedWaitDelay.maximum],
      [TCP_TIMED_WAIT_DELAY.min, TCP_TIMED_WAIT_DELAY.max],
    );
    assert.deepEqual(
      [schema.properties.DynamicPortRangeStartPort.minimum, schema.properties.DynamicPortRangeStartPort.maximum],
      [DYNAMIC_PORT_RANGE_START.min, DYNAMIC_PORT_RANGE_START.max],
    );
    assert.deepEqual(
      [schema.properties.DynamicPortRangeNumberOfPorts.minimum, schema.properties.DynamicPortRangeNumberOfPorts.maximum],
      [DYNAMIC_PORT_RANGE_COUNT.min, DYNAMIC_PORT_RANGE_COUNT.max],
    );
    const validate = new Ajv({ strict: false }).compile(tuningParameterSchema());
    assert.equal(validate(tuningParameterValue(plan.tuning)), true);
  });
  it("an assignment value out of range, as a string, or with an unknown key fails the schema", () => {
    const validate = new Ajv({ strict: false }).compile(tuningParameterSchema());
    const value = tuningParameterValue(plan.tuning);
    assert.equal(validate({ ...value, TcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY.max + 1 }), false);
    assert.equal(validate({ ...value, MaxUserPort: String(value.MaxUserPort) }), false);
    assert.equal(validate({ ...value, AutoReusePortRange: 0 }), false);
  });
});

describe("the auto-reuse port range reaches the estate policy exactly when the plan sets it", () => {
  // The package's MOF carries the range only when the plan sets it (tunedPropertiesOf), so the
  // definition's parameter, its configurationParameter list and its parameter hash follow the plan.
  const start = DYNAMIC_PORT_RANGE_START.min + MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE;
  const withRange = { ...plan.tuning, autoReusePortRange: { start, count: AUTO_REUSE_PORT_RANGE_COUNT.min } };
  const build = (tuning: typeof plan.tuning) =>
    estatePolicyDefinition({ tagName: "workload", tagValue: "mail", tuning, contentUri: URI, contentHash: HASH }).properties as Record<string, any>;
  const names = (tuning: typeof plan.tuning) => tunedPropertiesOf(tuning).map(configurationParameterName);
  it("with the range: the parameter requires both numbers within their limits, the assignment and the hash name them", () => {
    const def = build(withRange);
    const schema = def.parameters[TUNING_PARAMETER].schema;
    assert.deepEqual(schema.required, [...tunedPropertiesOf(withRange)]);
    assert.deepEqual(
      [schema.properties.AutoReusePortRangeNumberOfPorts.minimum, schema.properties.AutoReusePortRangeNumberOfPorts.maximum],
      [AUTO_REUSE_PORT_RANGE_COUNT.min, AUTO_REUSE_PORT_RANGE_COUNT.max],
    );
    const validate = new Ajv({ strict: false }).compile(schema);
    assert.equal(validate(def.parameters[TUNING_PARAMETER].defaultValue), true);
    assert.equal(validate({ ...def.parameters[TUNING_PARAMETER].defaultValue, AutoReusePortRangeNumberOfPorts: AUTO_REUSE_PORT_RANGE_COUNT.max + 1 }), false);
    const resources = def.policyRule.then.details.deployment.properties.template.resources;
    for (const r of resources)
      assert.deepEqual(
        r.properties.guestConfiguration.configurationParameter.map((p: { name: string }) => p.name),
        names(withRange),
      );
    assert.equal(Buffer.from(parameterHashOf(withRange), "base64").toString("utf8").split(",").length, tunedPropertiesOf(withRange).length);
  });
  it("without it: the parameter refuses the range's keys, as the package would ignore them", () => {
    const def = build(plan.tuning);
    const validate = new Ajv({ strict: false }).compile(def.parameters[TUNING_PARAMETER].schema);
    assert.equal(
      validate({
        ...def.parameters[TUNING_PARAMETER].defaultValue,
        AutoReusePortRangeStartPort: start,
        AutoReusePortRangeNumberOfPorts: AUTO_REUSE_PORT_RANGE_COUNT.min,
      }),
      false,
    );
    assert.deepEqual(
      def.metadata.guestConfiguration.configurationParameter,
      Object.fromEntries(TUNED_PROPERTIES.map((p) => [p, configurationParameterName(p)])),
    );
  });
});

describe("one tuning assignment per host: which machines the policy selects", () => {
  const rule = definition().policyRule;
  const parameters = { tagName: "workload", tagValue: "mail" };
  const windowsVm = { type: "Microsoft.Compute/virtualMachines", aliases: { "Microsoft.Compute/virtualMachines/storageProfile.osDisk.osType": "Windows" } };
  const selected = (target: Parameters<typeof evaluate>[1]) => evaluate(rule.if, target, parameters);
  it("a tagged Windows VM of no stack", () => assert.equal(selected({ ...windowsVm, tags: { workload: "mail" } }), true));
  it("a tagged Arc-enabled Windows server", () =>
    assert.equal(
      selected({ type: "Microsoft.HybridCompute/machines", tags: { Workload: "Mail" }, aliases: { "Microsoft.HybridCompute/imageOffer": "windowsserver" } }),
      true,
    ));
  it("not a stack's host, even when it carries the tag: its stack's assignment wins", () => {
    assert.equal(selected({ ...windowsVm, tags: { workload: "mail", [STACK_TAG]: "prod" } }), false);
  });
  it("not an untagged Windows VM, nor one with another tag value (never every Windows machine)", () => {
    assert.equal(selected(windowsVm), false);
    assert.equal(selected({ ...windowsVm, tags: { workload: "web" } }), false);
  });
  it("not a Linux VM or a Linux Arc machine, nor a scale set", () => {
    assert.equal(
      selected({
        type: "Microsoft.Compute/virtualMachines",
        tags: { workload: "mail" },
        aliases: { "Microsoft.Compute/virtualMachines/storageProfile.osDisk.osType": "Linux" },
      }),
      false,
    );
    assert.equal(
      selected({ type: "Microsoft.HybridCompute/machines", tags: { workload: "mail" }, aliases: { "Microsoft.HybridCompute/imageOffer": "ubuntuserver" } }),
      false,
    );
    assert.equal(selected({ type: "Microsoft.Compute/virtualMachineScaleSets", tags: { workload: "mail" } }), false);
  });
  it("both use one assignment name, so a host can never hold two MailhostTcpTuning assignments", () => {
    assert.equal(rule.then.details.name, "MailhostTcpTuning");
    assert.equal(rule.then.details.deployment.properties.parameters.configurationName.value, "MailhostTcpTuning");
  });
});
