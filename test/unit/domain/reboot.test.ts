import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { UNTIL_BOOT_REASON, maxUnavailable, planWaves, waitsForReboot, notInEffect } from "../../../domain/reboot";
import { compareHost, type CollectorReport } from "../../../domain/drift";
import { inSyncReport } from "../../support/collectorReports";
import { minimalPlan } from "../../support/stackConfigs";

describe("maxUnavailable", () => {
  it("takes a whole number of hosts", () => assert.equal(maxUnavailable("2", 6), 2));
  it("takes a percentage of the stack, rounded down, at least 1", () => {
    assert.equal(maxUnavailable("50%", 6), 3);
    assert.equal(maxUnavailable("25%", 6), 1);
    assert.equal(maxUnavailable("10%", 6), 1);
    assert.equal(maxUnavailable("100%", 6), 6);
  });
  for (const bad of ["0", "-1", "1.5", "two", "0%", "101%", ""]) {
    it(`rejects ${JSON.stringify(bad)}, naming the option and what is allowed`, () => {
      assert.throws(
        () => maxUnavailable(bad, 6),
        (err: Error) => err.message.startsWith(`--max-unavailable = ${JSON.stringify(bad)} is not allowed`),
      );
    });
  }
});

describe("planWaves", () => {
  const six = ["1", "2", "3", "1", "2", "3"].map((zone, i) => ({ name: `vm-${i + 1}`, zone }));
  it("rolls zone by zone, at most maxUnavailable a wave", () => {
    assert.deepEqual(
      planWaves(six, 2).map((w) => [w.number, w.zone, w.hosts]),
      [
        [1, "1", ["vm-1", "vm-4"]],
        [2, "2", ["vm-2", "vm-5"]],
        [3, "3", ["vm-3", "vm-6"]],
      ],
    );
    assert.deepEqual(
      planWaves(six, 1).map((w) => w.hosts),
      [["vm-1"], ["vm-4"], ["vm-2"], ["vm-5"], ["vm-3"], ["vm-6"]],
    );
  });
  it("puts hosts without a zone in waves of their own, last", () => {
    assert.deepEqual(
      planWaves([{ name: "b" }, { name: "a", zone: "2" }, { name: "c" }], 5).map((w) => [w.zone, w.hosts]),
      [
        ["2", ["a"]],
        [undefined, ["b", "c"]],
      ],
    );
  });
  it("never mixes zones, never exceeds the bound, and restarts every target exactly once (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), zone: fc.option(fc.constantFrom("1", "2", "3"), { nil: undefined }) }), {
          selector: (t) => t.name,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 10 }),
        (targets, max) => {
          const waves = planWaves(targets, max);
          const zoneOf = new Map(targets.map((t) => [t.name, t.zone]));
          for (const w of waves) {
            assert.ok(w.hosts.length >= 1 && w.hosts.length <= max);
            for (const h of w.hosts) assert.equal(zoneOf.get(h), w.zone);
          }
          assert.deepEqual(waves.flatMap((w) => w.hosts).sort(), targets.map((t) => t.name).sort());
          assert.deepEqual(
            waves.map((w) => w.number),
            waves.map((_, i) => i + 1),
          );
        },
      ),
    );
  });
  it("rejects a bound below 1", () => assert.throws(() => planWaves(six, 0), /at least 1/));
});

describe("waiting for a reboot and values in effect", () => {
  const plan = minimalPlan("runCommand");
  const report = (change: Partial<CollectorReport> = {}): CollectorReport => inSyncReport(plan, change);
  it("a host waits when the collector reports the volatile marker, and only then", () => {
    assert.equal(waitsForReboot(report({ RebootPending: true, RebootPendingReasons: [UNTIL_BOOT_REASON] })), true);
    assert.equal(waitsForReboot(report({ RebootPending: true, RebootPendingReasons: ["WindowsUpdate"] })), false);
    assert.equal(waitsForReboot(report()), false);
  });
  it("values are in effect when no marker is left and the Tcpip values equal the plan", () => {
    const r = report();
    assert.equal(notInEffect(r, compareHost(plan.tuning, r)), undefined);
    const marked = report({ RebootPendingReasons: [UNTIL_BOOT_REASON] });
    assert.match(notInEffect(marked, compareHost(plan.tuning, marked)) ?? "", /MailhostIacUntilBoot/);
    const reset = report({ TcpTimedWaitDelay: plan.tuning.tcpTimedWaitDelay + 1 });
    assert.match(notInEffect(reset, compareHost(plan.tuning, reset)) ?? "", /^TcpTimedWaitDelay is \d+ s, desired \d+ s$/);
  });
});
