import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import {
  assessCapacity,
  capacityPool,
  connectionDemand,
  effectiveTtlFloor,
  legacyUsablePorts,
  maxConnectionRate,
  maximumTimeWaitForLoad,
  minimumTtlForLoad,
  secondsToExhaustion,
  usablePorts,
} from "../../../domain/capacity";
import { requireStackConfig } from "../../../domain/config";
import { DEFAULTS } from "../../../domain/limits";
import { committedStack } from "../../support/stackConfigs";

/** The corrected formulas, written out here from docs/CAPACITY.md, independently of domain/capacity.ts. */
const floorHostPool = (s: number, t: number, u: number, p: number) => Math.ceil((s * t) / (u * p) - 1e-9);
const floorPerBackend = (s: number, t: number, u: number, r: number, b: number) => Math.ceil((s * t) / (u * r * b) - 1e-9);

describe("capacity model", () => {
  it("reproduces the article's worked example: P = 3976, T = 240 gives Rmax ≈ 16.6/s", () => {
    assert.equal(legacyUsablePorts(5000), 3976);
    assert.equal(maxConnectionRate(3976, 240).toFixed(1), "16.6");
  });
  it("gives about 2150/s for MaxUserPort 65534 and T = 30: the most a Windows host sustains by default, over all destinations", () => {
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
  it("uses one pool per host without an auto-reuse range, and the auto-reuse range per back end with one", () => {
    const space = { maxUserPort: 65534, dynamicPortRangeStart: 10000, dynamicPortRangeCount: 55535 };
    assert.deepEqual(capacityPool(space), { model: "hostPool", ports: 55535 });
    assert.deepEqual(capacityPool(space, { start: 40000, count: 20000 }), { model: "perBackend", ports: 20000 });
  });
  it("host pool: the floor is S * T / (u * P), whatever B", () => {
    // 100000 sessions, T = 240, u = 0.8, P = 3976 → 7545.27 s, for 1 and for 8 back ends alike.
    for (const b of [1, 8]) {
      const load = { activeSessions: 100000, backendEndpoints: b, utilization: 0.8 };
      assert.equal(minimumTtlForLoad(load, { model: "hostPool", ports: 3976 }, 240), floorHostPool(100000, 240, 0.8, 3976));
      assert.equal(connectionDemand(load, 600, { model: "hostPool", ports: 3976 }), 100000 / 600);
    }
    assert.equal(minimumTtlForLoad({ activeSessions: 0, backendEndpoints: 1, utilization: 0.8 }, { model: "hostPool", ports: 3976 }, 240), 0);
  });
  it("auto-reuse range: the floor is S * T / (u * R * B)", () => {
    const load = { activeSessions: 100000, backendEndpoints: 4, utilization: 0.8 };
    const pool = { model: "perBackend", ports: 20000 } as const;
    assert.equal(minimumTtlForLoad(load, pool, 240), floorPerBackend(100000, 240, 0.8, 20000, 4));
    assert.equal(connectionDemand(load, 600, pool), 100000 / (600 * 4));
  });
  it("takes the larger of configured floor and capacity minimum", () => {
    const load = { activeSessions: 100000, backendEndpoints: 1, utilization: 0.8 };
    const pool = { model: "hostPool", ports: 3976 } as const;
    assert.equal(effectiveTtlFloor(300, load, pool, 240), floorHostPool(100000, 240, 0.8, 3976));
    assert.equal(effectiveTtlFloor(300, { ...load, activeSessions: 10 }, pool, 240), 300);
  });
  it("the committed prod stack still holds: its floor becomes 31 s against a TTL of 900 s", () => {
    const config = requireStackConfig(committedStack("prod"));
    const c = config.capacity;
    const expected = floorHostPool(c.activeSessionsPerHost, config.tcp.tcpTimedWaitDelay, c.utilization, config.tcp.dynamicPortRange.count);
    assert.equal(expected, 31);
    const a = assessCapacity(
      {
        maxUserPort: config.tcp.maxUserPort,
        dynamicPortRangeStart: config.tcp.dynamicPortRange.start,
        dynamicPortRangeCount: config.tcp.dynamicPortRange.count,
      },
      config.tcp.tcpTimedWaitDelay,
      config.siteConfig.mailboxCacheTtl,
      { activeSessions: c.activeSessionsPerHost, backendEndpoints: c.backendEndpoints, utilization: c.utilization },
    );
    assert.equal(a.model, "hostPool");
    assert.equal(a.minimumTtl, expected);
    assert.ok(a.sustainable);
  });
  it("in both modes the floor equals the formula and the minimum TTL and maximum TIME_WAIT sit exactly on the sustainable edge", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 4231, max: 64511 }),
        fc.integer({ min: 30, max: 300 }),
        fc.option(fc.integer({ min: 255, max: 4000 }), { nil: undefined }),
        (sessions, endpoints, utilization, ports, timeWait, autoReuseCount) => {
          const load = { activeSessions: sessions, backendEndpoints: endpoints, utilization };
          const space = { maxUserPort: 1025 + ports - 1, dynamicPortRangeStart: 1025, dynamicPortRangeCount: ports };
          const autoReuse = autoReuseCount === undefined ? undefined : { start: 1025, count: autoReuseCount };
          const pool = capacityPool(space, autoReuse);
          const expected =
            autoReuse === undefined
              ? floorHostPool(sessions, timeWait, utilization, ports)
              : floorPerBackend(sessions, timeWait, utilization, autoReuse.count, endpoints);
          assert.equal(minimumTtlForLoad(load, pool, timeWait), expected);
          const ttl = Math.max(1, expected);
          assert.equal(assessCapacity(space, timeWait, ttl, load, autoReuse).sustainable, true);
          if (ttl > 1) assert.equal(assessCapacity(space, timeWait, ttl - 1, load, autoReuse).sustainable, false);
          assert.ok(maximumTimeWaitForLoad(load, pool, ttl) >= timeWait);
        },
      ),
    );
  });
  it("without an auto-reuse range, more back ends never lower the floor (B no longer multiplies capacity)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 255, max: 64511 }),
        fc.integer({ min: 30, max: 300 }),
        (s, b, p, t) => {
          const pool = { model: "hostPool", ports: p } as const;
          const u = DEFAULTS.utilization;
          assert.equal(
            minimumTtlForLoad({ activeSessions: s, backendEndpoints: b, utilization: u }, pool, t),
            minimumTtlForLoad({ activeSessions: s, backendEndpoints: 1, utilization: u }, pool, t),
          );
        },
      ),
    );
  });
});
