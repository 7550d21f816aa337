/**
 * Host names, computer names and zones are fixed by Azure when a VM is created, so the plan
 * derives them only from what routine edits leave alone. Expected values come from that rule:
 * the hosts that exist before an edit keep every one of these fields after it.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { HOST_COUNT, WINDOWS_COMPUTER_NAME_MAX_LENGTH } from "../../../domain/limits";
import { hostPlans } from "../../../domain/plan";

const stackName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const zoneSet = fc.subarray(["1", "2", "3"]);
const counts = fc
  .tuple(fc.integer({ min: HOST_COUNT.min, max: HOST_COUNT.max }), fc.integer({ min: HOST_COUNT.min, max: HOST_COUNT.max }))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);

describe("hostPlans: what Azure fixes at creation stays put under routine edits", () => {
  it("raising hostCount keeps every existing host's name and computer name (the issue's kind: 999 -> 1000 used to rename all)", () => {
    fc.assert(
      fc.property(stackName, zoneSet, counts, (stack, zones, [n, m]) => {
        const before = hostPlans(stack, n, zones);
        const after = hostPlans(stack, m, zones);
        for (const host of before) {
          const same = after[host.index - 1];
          assert.equal(same.name, host.name);
          assert.equal(same.computerName, host.computerName);
          assert.equal(same.zone, host.zone);
        }
      }),
      { numRuns: 200 },
    );
    const before = hostPlans("prod", 999, ["1", "2", "3"]);
    const after = hostPlans("prod", 1000, ["1", "2", "3"]);
    assert.deepEqual(after.slice(0, 999), before);
    assert.equal(after[999].name, "vm-mail-prod-1000");
  });

  it("reordering zones changes no host's zone", () => {
    fc.assert(
      fc.property(
        stackName,
        zoneSet.chain((z) => fc.tuple(fc.constant(z), fc.shuffledSubarray(z, { minLength: z.length, maxLength: z.length }))),
        fc.integer({ min: 1, max: 60 }),
        (stack, [zones, reordered], n) => {
          assert.deepEqual(
            hostPlans(stack, n, reordered).map((h) => h.zone),
            hostPlans(stack, n, zones).map((h) => h.zone),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("names and computer names are unique and computer names fit Windows' 15 characters, at any count", () => {
    fc.assert(
      fc.property(stackName, fc.integer({ min: 1, max: HOST_COUNT.max }), (stack, n) => {
        const hosts = hostPlans(stack, n, []);
        assert.equal(new Set(hosts.map((h) => h.name)).size, n);
        assert.equal(new Set(hosts.map((h) => h.computerName.toLowerCase())).size, n);
        for (const h of hosts) assert.ok(h.computerName.length <= WINDOWS_COMPUTER_NAME_MAX_LENGTH, h.computerName);
      }),
      { numRuns: 50 },
    );
  });

  it("spreads hosts over every configured zone, round-robin in zone order", () => {
    const hosts = hostPlans("prod", 7, ["3", "1", "2"]);
    assert.deepEqual(
      hosts.map((h) => h.zone),
      ["1", "2", "3", "1", "2", "3", "1"],
    );
    assert.deepEqual(
      hostPlans("dev", 2, []).map((h) => h.zone),
      [undefined, undefined],
    );
  });
});
