/**
 * Every mechanism carries the auto-reuse port range when the stack sets it (DSC configuration
 * arguments, Run Command parameters, Machine Configuration assignment parameters and MOF), and
 * none carries it when the stack leaves it out; the program rejects a range outside the dynamic one.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { RecordedResource } from "../../../engine/offline";
import { parseConfigurationParameterName } from "../../../domain/machineConfiguration";
import { tuningMof } from "../../../domain/mof";
import { runStack, stackConfigWithSecret, withValue } from "../../support/stacks";
import { stackPlan } from "../../support/stackConfigs";

const RANGE = { start: 40000, count: 20000 };
const TYPES = {
  dsc: "azure-native:compute:VirtualMachineExtension",
  runCommand: "azure-native:compute:VirtualMachineRunCommandByVirtualMachine",
  machineConfiguration: "azure-native:guestconfiguration:GuestConfigurationAssignment",
} as const;

/** The value a tuning resource carries under `name`, as it travels. */
function carried(r: RecordedResource, name: string): unknown {
  if (r.type === TYPES.machineConfiguration) {
    const parameters = (r.inputs as any).properties.guestConfiguration.configurationParameter as Array<{ name: string; value: string }>;
    return parameters.find((p) => parseConfigurationParameterName(p.name)?.property === name)?.value;
  }
  if (r.type === TYPES.dsc) return ((r.inputs.settings as any).configurationArguments as Record<string, unknown>)[name];
  return (r.inputs.parameters as Array<{ name: string; value: string }>).find((p) => p.name === name)?.value;
}

const tuningsOf = (resources: readonly RecordedResource[], type: string) =>
  resources.filter((r) => r.type === type && (type !== TYPES.dsc || r.inputs.publisher === "Microsoft.Powershell"));

describe("the auto-reuse port range in every mechanism", () => {
  for (const mechanism of ["dsc", "runCommand", "machineConfiguration"] as const) {
    it(`${mechanism}: carries both values when set, neither when left out`, async () => {
      const config = withValue(stackConfigWithSecret("prod"), "mailhost:tcp", "tuning", mechanism);
      const without = tuningsOf((await runStack("prod", config)).resources, TYPES[mechanism]);
      assert.ok(without.length > 0);
      for (const r of without)
        for (const name of ["AutoReusePortRangeStartPort", "AutoReusePortRangeNumberOfPorts"]) assert.equal(carried(r, name), undefined, `${r.name} ${name}`);
      const withRange = tuningsOf((await runStack("prod", withValue(config, "mailhost:tcp", "autoReusePortRange", RANGE))).resources, TYPES[mechanism]);
      assert.equal(withRange.length, without.length);
      for (const r of withRange) {
        assert.equal(String(carried(r, "AutoReusePortRangeStartPort")), String(RANGE.start), r.name);
        assert.equal(String(carried(r, "AutoReusePortRangeNumberOfPorts")), String(RANGE.count), r.name);
      }
    });
  }

  it("the Machine Configuration MOF sets both properties when the range is set, and neither when it is not", () => {
    const withRange = tuningMof(
      stackPlan("prod", (raw) => {
        raw.tcp.autoReusePortRange = RANGE;
      }).tuning,
    );
    assert.match(withRange, new RegExp(`AutoReusePortRangeStartPort = "${RANGE.start}";`));
    assert.match(withRange, new RegExp(`AutoReusePortRangeNumberOfPorts = "${RANGE.count}";`));
    assert.doesNotMatch(tuningMof(stackPlan("prod").tuning), /AutoReusePortRange/);
  });

  it("rejects a range that is not strictly inside the dynamic range before any resource exists", async () => {
    const config = withValue(stackConfigWithSecret("prod"), "mailhost:tcp", "autoReusePortRange", { start: 9000, count: 1000 });
    await assert.rejects(runStack("prod", config), /mailhost:tcp\.autoReusePortRange = start 9000, count 1000: .*not inside the dynamic port range/);
  });
});
