/** `mailhost plan` says which capacity model applies to each host and why, with the floor's formula. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { formatPlan } from "../../../cli/plan";
import { ConfigValidationError } from "../../../domain/issues";
import { stackPlan } from "../../support/stackConfigs";

describe("mailhost plan: the capacity model per host", () => {
  it("without an auto-reuse range: one pool per host, the floor S × T / (u × P) (prod: 31 s against 900 s)", () => {
    const plan = stackPlan("prod");
    const text = formatPlan(plan);
    for (const host of plan.hosts) assert.match(text, new RegExp(`^${host.name} .*not set\\s+one pool per host\\s+900 s \\(600\\)`, "m"));
    assert.match(text, /capacity model \(every host\): one port pool per host: no auto-reuse port range is configured/);
    assert.match(text, /Floor: S × T \/ \(u × P\)\./);
    assert.equal(plan.tuning.capacityMinimumTtl, 31);
  });
  it("with an auto-reuse range: a pool per back end, the floor S × T / (u × R × B)", () => {
    const plan = stackPlan("prod", (raw) => {
      raw.tcp.autoReusePortRange = { start: 40000, count: 20000 };
    });
    const text = formatPlan(plan);
    for (const host of plan.hosts) assert.match(text, new RegExp(`^${host.name} .*40000–59999 \\(20000\\)\\s+pool per back end`, "m"));
    assert.match(text, /capacity model \(every host\): a pool per back end: the auto-reuse port range \(20000 ports\)/);
    assert.match(text, /Floor: S × T \/ \(u × R × B\)\./);
  });
  it("rejects a TTL under the corrected floor and says the back ends share the pool", () => {
    assert.throws(
      () =>
        stackPlan("prod", (raw) => {
          raw.capacity.backendEndpoints = 64;
          raw.tcp.dynamicPortRange = { start: 64000, count: 1535 };
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigValidationError);
        assert.match(err.message, /one port pool per host, no auto-reuse port range.*the 64 back-end endpoint\(s\) share the pool/);
        return true;
      },
    );
  });
});
