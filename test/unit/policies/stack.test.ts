import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { NO_LOAD_MESSAGE, capacity, noLoadMessage } from "../../../policies/rules/capacity";
import { oneTuningPerVm } from "../../../policies/rules/oneTuningPerVm";
import { stackViolations, type TestResource } from "./harness";
import { dsc, runCommand, vm, withDscArgument, withParameter, withTtl } from "./fixtures";

/** A VM and the tuning resources that name it. */
function host(...tunings: TestResource[]): TestResource[] {
  const machine = vm();
  return [machine, ...tunings.map((t) => ({ ...t, dependencies: [machine] }))];
}

describe("mailhost-vm-has-one-tuning", () => {
  it("accepts a VM with exactly one tuning resource (DSC or run command)", async () => {
    assert.deepEqual(await stackViolations(oneTuningPerVm, host(dsc())), []);
    assert.deepEqual(await stackViolations(oneTuningPerVm, host(runCommand())), []);
  });
  it("rejects a VM with no tuning resource", async () => {
    const resources = host();
    assert.deepEqual(await stackViolations(oneTuningPerVm, resources), [
      {
        message:
          'VirtualMachine "vm-mail-unit-001" has no tuning resource: nothing sets its MaxUserPort, TcpTimedWaitDelay and dynamic port range, so it keeps Windows\' defaults.',
        urn: "urn:pulumi:test::mailhost::azure-native:compute:VirtualMachine::vm-mail-unit-001-vm",
      },
    ]);
  });
  it("rejects a VM with two tuning resources", async () => {
    const [violation] = await stackViolations(oneTuningPerVm, host(dsc(), runCommand()));
    assert.equal(
      violation.message,
      'VirtualMachine "vm-mail-unit-001" has 2 tuning resources (VirtualMachineExtension "vm-mail-unit-001-tuning-dsc", VirtualMachineRunCommandByVirtualMachine "vm-mail-unit-001-tuning-runcmd"); exactly one may set its port tuning.',
    );
  });
  it("links a tuning resource by its vmName when there is no dependency", async () => {
    assert.deepEqual(await stackViolations(oneTuningPerVm, [vm(), dsc()]), []);
  });
  it("links through the vmName property dependency when the name is not known yet", async () => {
    const machine = vm();
    const tuning = { ...dsc(), props: { ...dsc().props, vmName: undefined }, propertyDependencies: { vmName: [machine] } };
    assert.deepEqual(await stackViolations(oneTuningPerVm, [machine, tuning]), []);
  });
  it("does not count an unrelated extension (no tuning values) as tuning", async () => {
    const monitoring = {
      type: "azure-native:compute:VirtualMachineExtension",
      name: "ama",
      props: { vmName: "vm-mail-unit-001", publisher: "Microsoft.Azure.Monitor", type: "AzureMonitorWindowsAgent", settings: {} },
    };
    assert.deepEqual(await stackViolations(oneTuningPerVm, [...host(dsc()), monitoring]), []);
  });
});

describe("mailhost-capacity-sustains-load", () => {
  // The fixture: T = 60, P = 55535, TTL = 600; Rmax ≈ 925.6/s.
  it('reports "capacity not checked: no load configured" as advisory, once, when neither the stack nor the options give a load', async () => {
    const found = await stackViolations(capacity, [...host(dsc()), ...host(runCommand())]);
    assert.deepEqual(found, [{ message: NO_LOAD_MESSAGE, urn: undefined, enforcementLevel: "advisory" }]);
    assert.match(NO_LOAD_MESSAGE, /^capacity not checked: no load configured \(set <project>:capacity in the stack's config/);
    // With the key the library looked at.
    assert.deepEqual(await stackViolations(capacity, host(dsc()), { key: "shop:capacity" }), [
      { message: noLoadMessage("shop:capacity"), urn: undefined, enforcementLevel: "advisory" },
    ]);
    assert.match(noLoadMessage("shop:capacity"), /\(set shop:capacity in the stack's config/);
  });
  it("reports, once and at its own level, a stack load the schema refuses, and checks nothing", async () => {
    const problem = "mailhost:capacity.backendEndpoints = 0 is outside 1–10,000 (endpoints).";
    assert.deepEqual(await stackViolations(capacity, host(dsc()), { problem }), [{ message: `capacity not checked: ${problem}`, urn: undefined }]);
  });
  it("names where the load came from", async () => {
    const [violation] = await stackViolations(capacity, host(dsc()), {
      load: { activeSessionsPerHost: 1_000_000, backendEndpoints: 1, utilization: 0.8 },
      source: "the stack's mailhost:capacity",
    });
    assert.match(violation.message, /Raise MailboxCacheTTL to at least 1351 s.*\. \(Load from the stack's mailhost:capacity\.\)$/);
  });
  it("says nothing about the load when the stack has no mail host", async () => assert.deepEqual(await stackViolations(capacity, []), []));
  it("accepts a load the settings sustain", async () => {
    assert.deepEqual(await stackViolations(capacity, host(dsc()), { load: { activeSessionsPerHost: 100_000, backendEndpoints: 2, utilization: 0.8 } }), []);
  });
  it("rejects a load the settings cannot sustain and says what would hold it", async () => {
    const [violation, ...rest] = await stackViolations(capacity, host(dsc()), {
      load: { activeSessionsPerHost: 1_000_000, backendEndpoints: 1, utilization: 0.8 },
    });
    assert.deepEqual(rest, []);
    assert.equal(
      violation.message,
      'VirtualMachineExtension "vm-mail-unit-001-tuning-dsc": one port pool per host (no auto-reuse port range): with TcpTimedWaitDelay 60 s and 55535 ports, Rmax = 925.6 connections/s for the whole host, whatever the back end; ' +
        "1000000 sessions at MailboxCacheTTL 600 s demand 1,666.7/s (1 back-end endpoint(s) share the pool), above u × Rmax = 740.5/s (u = 0.8). " +
        "Raise MailboxCacheTTL to at least 1351 s (no TcpTimedWaitDelay within 30–300 (seconds) holds it at this TTL), or set an auto-reuse port range (tcp.autoReusePortRange) so that each back end gets its own ports.",
    );
    assert.equal(violation.urn, "urn:pulumi:test::mailhost::azure-native:compute:VirtualMachineExtension::vm-mail-unit-001-tuning-dsc");
  });
  it("suggests a TcpTimedWaitDelay when one in range would hold", async () => {
    const [violation] = await stackViolations(capacity, host(dsc()), { load: { activeSessionsPerHost: 500_000, backendEndpoints: 1, utilization: 0.8 } });
    assert.match(violation.message, /Raise MailboxCacheTTL to at least 676 s, or lower TcpTimedWaitDelay to at most 53 s, or set an auto-reuse port range/);
  });
  it("sits exactly on the edge: the minimum TTL passes, one second less fails", async () => {
    const load = { activeSessionsPerHost: 1_000_000, backendEndpoints: 1, utilization: 0.8 };
    assert.deepEqual(await stackViolations(capacity, host(withTtl(dsc(), 1351)), { load }), []);
    assert.equal((await stackViolations(capacity, host(withTtl(dsc(), 1350)), { load })).length, 1);
  });
  it("reads MailboxCacheTTL from a run command's encoded SiteConfig.cfg as well", async () => {
    const load = { activeSessionsPerHost: 1_000_000, backendEndpoints: 1, utilization: 0.8 };
    assert.deepEqual(await stackViolations(capacity, host(withTtl(runCommand(), 1351)), { load }), []);
    assert.equal((await stackViolations(capacity, host(withTtl(runCommand(), 1350)), { load })).length, 1);
  });
});

describe("mailhost-capacity-sustains-load: which pool applies", () => {
  // The fixture: T = 60, P = 55535, TTL = 600. Floors from the corrected formulas, computed here.
  const T = 60,
    P = 55535,
    TTL = 600,
    u = 0.8;
  const hostFloor = (s: number) => Math.ceil((s * T) / (u * P) - 1e-9);
  const perBackendFloor = (s: number, r: number, b: number) => Math.ceil((s * T) / (u * r * b) - 1e-9);
  const withAutoReuse = (r: TestResource, start: number, count: number) =>
    withDscArgument(withDscArgument(r, "AutoReusePortRangeStartPort", start), "AutoReusePortRangeNumberOfPorts", count);

  it("without an auto-reuse range, back ends do not add capacity: a load that held over B back ends under the old model fails", async () => {
    const b = 8;
    // The most sessions the old model (S * T / (u * P * B) <= TTL) allowed at this TTL; the corrected floor is B times higher.
    const sessions = Math.floor((TTL * u * P * b) / T);
    assert.ok(hostFloor(sessions) > TTL && perBackendFloor(sessions, P, b) <= TTL);
    const [violation, ...rest] = await stackViolations(capacity, host(dsc()), {
      load: { activeSessionsPerHost: sessions, backendEndpoints: b, utilization: u },
    });
    assert.deepEqual(rest, []);
    assert.match(violation.message, new RegExp(`one port pool per host .*Raise MailboxCacheTTL to at least ${hostFloor(sessions)} s`));
  });

  it("with an auto-reuse range carried beside the tuning (DSC argument or run-command parameter), each back end gets its R ports", async () => {
    const b = 8,
      r = 40000,
      start = 20000;
    const sessions = Math.floor((TTL * u * r * b) / T);
    assert.ok(perBackendFloor(sessions, r, b) <= TTL && hostFloor(sessions) > TTL);
    const load = { activeSessionsPerHost: sessions, backendEndpoints: b, utilization: u };
    assert.deepEqual(await stackViolations(capacity, host(withAutoReuse(dsc(), start, r)), { load }), []);
    const rc = withParameter(withParameter(runCommand(), "AutoReusePortRangeStartPort", String(start)), "AutoReusePortRangeNumberOfPorts", String(r));
    assert.deepEqual(await stackViolations(capacity, host(rc), { load }), []);
    // One session more per back end's worth of ports than R carries: the per-back-end floor rises above TTL.
    const over = { ...load, activeSessionsPerHost: sessions + Math.ceil((u * r * b) / T) };
    const [violation] = await stackViolations(capacity, host(withAutoReuse(dsc(), start, r)), { load: over });
    assert.match(
      violation.message,
      new RegExp(`auto-reuse port range of ${r} ports per back end.*Raise MailboxCacheTTL to at least ${perBackendFloor(over.activeSessionsPerHost, r, b)} s`),
    );
  });

  it("does not count an auto-reuse range that is not valid inside the dynamic range (one pool per host then)", async () => {
    const b = 8,
      r = 55535 - 100;
    const sessions = Math.floor((TTL * u * r * b) / T);
    const [violation] = await stackViolations(capacity, host(withAutoReuse(dsc(), 10000, r)), {
      load: { activeSessionsPerHost: sessions, backendEndpoints: b, utilization: u },
    });
    assert.match(violation.message, /one port pool per host/);
  });
});
