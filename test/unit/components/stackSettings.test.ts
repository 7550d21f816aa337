/**
 * The module's config loader (`stackSettings`): the settings of a team's stack config reach the
 * components as written; a setting the components reject is named by the key it was read from,
 * and the rejection carries that key for `mailhost check`; a value written in the program is named
 * by its stack-config setting, with no key to point at.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runOffline, runtimeConfig } from "../../../engine/offline";
import { rejectionOf } from "../../../domain/rejection";
import { ExistingVmTuning, requireStackSettings, stackSettings } from "../../../components";
import { existingVmId } from "../../support/examples";

const SITE_CONFIG = { mailboxCacheTtl: 900 };
const CAPACITY = { activeSessionsPerHost: 1500, backendEndpoints: 2 };

/** Runs `program` as project `shop` with the stack config `config`; resolves with what it threw. */
async function thrown(program: () => void, config: Record<string, unknown>): Promise<Error & Record<string, unknown>> {
  let caught: unknown;
  await runOffline(
    async () => {
      program();
    },
    "dev",
    runtimeConfig(config),
    [],
    { project: "shop" },
  ).catch((err: unknown) => {
    caught = err;
  });
  assert.ok(caught instanceof Error, "the program was rejected");
  return caught as Error & Record<string, unknown>;
}

describe("stackSettings (the module's config loader)", () => {
  it("hands the stack's settings to the components as written, in the project's namespace or another", async () => {
    let read: ReturnType<typeof stackSettings> | undefined;
    let other: ReturnType<typeof stackSettings> | undefined;
    const run = await runOffline(
      async () => {
        read = stackSettings();
        other = stackSettings({ namespace: "mail" });
        new ExistingVmTuning("vm", { vmId: existingVmId("mailfe01"), tcp: read.tcp!, siteConfig: read.siteConfig!, capacity: CAPACITY });
      },
      "dev",
      runtimeConfig({ "shop:tcp": { tuning: "runCommand", tcpTimedWaitDelay: 45 }, "shop:siteConfig": SITE_CONFIG, "mail:capacity": CAPACITY }),
      [],
      { project: "shop" },
    );
    assert.deepEqual(read!.tcp, { tuning: "runCommand", tcpTimedWaitDelay: 45 });
    assert.equal(read!.capacity, undefined);
    assert.deepEqual(other!.capacity, CAPACITY);
    const command = run.resources.find((r) => r.type === "azure-native:compute:VirtualMachineRunCommandByVirtualMachine")!;
    const parameters = command.inputs.parameters as Array<{ name: string; value: string }>;
    assert.equal(parameters.find((p) => p.name === "TcpTimedWaitDelay")?.value, "45", JSON.stringify(parameters.map((p) => p.name)));
  });

  it("a rejected setting it read is named by its own key (shop:tcp...), with the key in the rejection", async () => {
    const err = await thrown(
      () => {
        const s = stackSettings();
        new ExistingVmTuning("vm", { vmId: existingVmId("mailfe01"), tcp: s.tcp!, siteConfig: SITE_CONFIG, capacity: CAPACITY });
      },
      { "shop:tcp": { tuning: "runCommand", tcpTimedWaitDelay: 301 } },
    );
    assert.match(
      err.message,
      /mailhost:azure:ExistingVmTuning "vm" has invalid settings \(1 problem\):\n {2}- shop:tcp\.tcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)\./,
    );
    const rejection = rejectionOf(err)!;
    assert.deepEqual(rejection, {
      component: "mailhost:azure:ExistingVmTuning",
      name: "vm",
      problems: [{ message: "shop:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds).", stackConfigKey: "shop:tcp.tcpTimedWaitDelay" }],
    });
  });

  it("a value written in the program is named by its setting, with no stack key", async () => {
    const err = await thrown(() => {
      new ExistingVmTuning("vm", {
        vmId: existingVmId("mailfe01"),
        tcp: { tuning: "runCommand", tcpTimedWaitDelay: 301 },
        siteConfig: SITE_CONFIG,
        capacity: CAPACITY,
      });
    }, {});
    assert.match(err.message, /- mailhost:tcp\.tcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)\./);
    assert.deepEqual(rejectionOf(err)!.problems, [{ message: "mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds)." }]);
  });

  it("a component's own input checks carry their rejection too", async () => {
    const err = await thrown(() => {
      new ExistingVmTuning("vm", { vmId: "not-an-arm-id", tcp: { tuning: "runCommand" }, siteConfig: SITE_CONFIG, capacity: CAPACITY });
    }, {});
    const rejection = rejectionOf(err)!;
    assert.equal(rejection.component, "mailhost:azure:ExistingVmTuning");
    assert.match(rejection.problems[0].message, /^vmId = "not-an-arm-id" is not a virtual machine's ARM id/);
    assert.equal(rejection.problems[0].stackConfigKey, undefined);
  });

  it("requireStackSettings fails like Config.require, naming every missing key", async () => {
    const err = await thrown(
      () => {
        requireStackSettings(["tcp", "siteConfig", "capacity"]);
      },
      { "shop:tcp": { tuning: "runCommand" } },
    );
    assert.match(err.message, /Missing required configuration variables 'shop:siteConfig', 'shop:capacity'/);
  });
});
