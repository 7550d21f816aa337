import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { assessCapacity, effectiveTtlFloor, legacyUsablePorts, maxConnectionRate, maximumTimeWaitForLoad, minimumTtlForLoad, secondsToExhaustion, usablePorts } from "../../domain/capacity";

describe("capacity model", () => {
  it("reproduces the article's worked example: P = 3976, T = 240 gives Rmax ≈ 16.6/s", () => {
    assert.equal(legacyUsablePorts(5000), 3976);
    assert.equal(maxConnectionRate(3976, 240).toFixed(1), "16.6");
  });
  it("gives about 2150/s for MaxUserPort 65534 and T = 30", () => {
    assert.equal(legacyUsablePorts(65534), 64510);
    assert.ok(Math.abs(maxConnectionRate(64510, 30) - 2150.33) < 0.01);
  });
  it("counts the dynamic range, cut at MaxUserPort", () => {
    assert.equal(usablePorts({ maxUserPort: 65534, dynamicPortRangeStart: 10000, dynamicPortRangeCount: 55535 }), 55535);
    assert.equal(usablePorts({ maxUserPort: 60000, dynamicPortRangeStart: 49152, dynamicPortRangeCount: 16384 }), 10849);
  });
  it("exhausts the ports after P / R seconds only above Rmax", () => {
    assert.equal(secondsToExhaustion(200, 60, 5), 40);
    assert.equal(secondsToExhaustion(200, 60, 3), Number.POSITIVE_INFINITY);
  });
  it("derives the minimum TTL: S * T / (u * P * B), rounded up", () => {
    // 100000 sessions, T = 240, u = 0.8, P = 3976, B = 1 → 7545.27 s
    assert.equal(minimumTtlForLoad({ activeSessions: 100000, backendEndpoints: 1, utilization: 0.8 }, 3976, 240), 7546);
    assert.equal(minimumTtlForLoad({ activeSessions: 0, backendEndpoints: 1, utilization: 0.8 }, 3976, 240), 0);
  });
  it("takes the larger of configured floor and capacity minimum", () => {
    const load = { activeSessions: 100000, backendEndpoints: 1, utilization: 0.8 };
    assert.equal(effectiveTtlFloor(300, load, 3976, 240), 7546);
    assert.equal(effectiveTtlFloor(300, { ...load, activeSessions: 10 }, 3976, 240), 300);
  });
  it("the minimum TTL and the maximum TIME_WAIT sit exactly on the sustainable edge", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 64 }), fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.integer({ min: 255, max: 64511 }), fc.integer({ min: 30, max: 300 }),
      (sessions, endpoints, utilization, ports, timeWait) => {
        const load = { activeSessions: sessions, backendEndpoints: endpoints, utilization };
        const space = { maxUserPort: 1025 + ports - 1, dynamicPortRangeStart: 1025, dynamicPortRangeCount: ports };
        const ttl = Math.max(1, minimumTtlForLoad(load, ports, timeWait));
        assert.equal(assessCapacity(space, timeWait, ttl, load).sustainable, true);
        if (ttl > 1) assert.equal(assessCapacity(space, timeWait, ttl - 1, load).sustainable, false);
        const maxT = maximumTimeWaitForLoad(load, ports, ttl);
        assert.ok(maxT >= timeWait);
      }));
  });
});
