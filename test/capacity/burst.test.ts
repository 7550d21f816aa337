/**
 * The capacity model's burst case on the real Linux TCP stack (docs/CAPACITY.md): in a fresh private
 * network namespace with P = 64 ephemeral ports, P connections succeed and the next one fails with
 * EADDRNOTAVAIL. Needs root and the right to create a network namespace; without them it fails
 * and says what is missing. Same code as `npm run experiment:capacity` (experiments/capacity/).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { burstInFreshNetns } from "../../experiments/capacity/burst";
import { currentNetns, missingPrerequisites, readSysctls } from "../../experiments/capacity/netns";

const ports = { low: 40000, high: 40063 };
const P = ports.high - ports.low + 1;

describe("capacity model on a real TCP stack: burst", () => {
  it(`P = ${P} connections succeed, the next fails with EADDRNOTAVAIL`, { timeout: 30_000 }, async () => {
    const missing = missingPrerequisites();
    if (missing.length > 0) {
      assert.fail(`this test runs TCP in a private network namespace and needs: ${missing.join("; ")}`);
    }
    const hostBefore = readSysctls();
    const hostNetns = currentNetns();
    const result = await burstInFreshNetns({ ports, serverPort: 1143, connectTimeoutMs: 2_000 }, { timeoutMs: 20_000 });

    assert.notEqual(result.namespace.netns, hostNetns, "ran in a namespace of its own");
    assert.equal(result.namespace.applied.ipLocalPortRange, `${ports.low} ${ports.high}`);
    assert.equal(result.namespace.applied.tcpTwReuse, "0");
    assert.equal(result.ports, P);
    assert.equal(result.successes, P, `${P} connections succeed`);
    assert.deepEqual(result.firstFailure, { attempt: P + 1, code: "EADDRNOTAVAIL" });
    assert.equal(result.distinctLocalPorts, P, "each success took its own ephemeral port");
    assert.ok(result.allLocalPortsInRange, "all client ports come from ip_local_port_range");
    assert.equal(result.timeWaitAfterBurst.client, P, "all P ports sit in TIME_WAIT on the client (active close)");
    assert.equal(result.timeWaitAfterBurst.other, 0, "no TIME_WAIT on the server side");
    assert.deepEqual(readSysctls(), hostBefore, "the host's sysctls are unchanged");
  });
});
