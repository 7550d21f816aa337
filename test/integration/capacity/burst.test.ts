/**
 * The capacity model's burst case on the real Linux TCP stack (docs/CAPACITY.md): in a fresh private
 * network namespace with P = 64 ephemeral ports, P connections succeed and the next one fails with
 * EADDRNOTAVAIL. As root it uses a network namespace; as any other user an unprivileged user and
 * network namespace (`unshare --user --map-root-user --net`). Where neither can be created it fails
 * with one line that says what is missing. Same code as `npm run experiment:capacity` (experiments/capacity/).
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { burstInFreshNetns } from "../../../experiments/capacity/burst";
import { endpointsInFreshNetns } from "../../../experiments/capacity/endpoints";
import { predictedBurstSuccesses, type Sharing } from "../../../experiments/capacity/model";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { currentNetns, missingPrerequisites, readSysctls, unshareArgs } from "../../../experiments/capacity/netns";

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

describe("capacity model on a real TCP stack: two back-end endpoints", () => {
  const serverPorts = [1143, 1144];
  const B = serverPorts.length;
  // Expected counts come from the model (experiments/capacity/model.ts over domain/capacity.ts).
  const cases: Array<[Sharing, string, string]> = [
    [
      "bindFirst",
      "a socket bound to port 0 before connect() holds its port against every destination: one pool of P for the host (Windows' default)",
      "EADDRINUSE",
    ],
    ["plainConnect", "a plain connect() shares a port across destinations: P per endpoint (the auto-reuse behaviour)", "EADDRNOTAVAIL"],
  ];
  for (const [sharing, title, code] of cases) {
    it(`${sharing}: ${title}`, { timeout: 30_000 }, async () => {
      const missing = missingPrerequisites();
      if (missing.length > 0) assert.fail(`this test runs TCP in a private network namespace and needs: ${missing.join("; ")}`);
      const hostBefore = readSysctls();
      const expected = predictedBurstSuccesses(sharing, { ports: P, timeWaitSeconds: 60 }, B);
      const r = await endpointsInFreshNetns(
        { label: sharing, sharing, ports, serverPorts, sampleIntervalMs: 1000, connectTimeoutMs: 2_000 },
        { timeoutMs: 20_000 },
      );
      assert.equal(r.successes, expected, `${expected} connections succeed over ${B} endpoints`);
      assert.deepEqual(
        r.successesPerEndpoint,
        serverPorts.map(() => expected / B),
        "round-robin over the endpoints",
      );
      assert.equal(r.firstFailure?.attempt, expected + 1);
      assert.equal(r.firstFailure?.code, code);
      assert.equal(r.distinctLocalPorts, P, "every port of the range was used");
      assert.equal(
        r.portsSharedAcrossEndpoints,
        sharing === "bindFirst" ? 0 : P,
        sharing === "bindFirst" ? "no port served two endpoints" : "every port served both endpoints",
      );
      assert.ok(r.allLocalPortsInRange);
      assert.equal(r.samples[0]?.client, expected, "each success sits in TIME_WAIT on the client");
      assert.deepEqual(readSysctls(), hostBefore, "the host's sysctls are unchanged");
    });
  }
});

describe("capacity burst test: prerequisites", () => {
  it("needs root for nothing: another user gets an unprivileged user and network namespace", () => {
    assert.deepEqual(unshareArgs(0), ["--net"]);
    assert.deepEqual(unshareArgs(1000), ["--user", "--map-root-user", "--net"]);
  });
  it("names what is missing, each on one line, when the tools cannot be found", () => {
    const script = `require(${JSON.stringify(path.join(__dirname, "..", "..", "..", "experiments", "capacity", "netns.ts"))}).missingPrerequisites().forEach((m) => console.log(m))`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, PATH: "/nonexistent" },
      cwd: path.join(__dirname, "..", "..", ".."),
    });
    const lines = r.stdout.trim().split("\n");
    assert.ok(
      lines.some((l) => l.startsWith("the `unshare` command (Debian package util-linux)")),
      r.stdout + r.stderr,
    );
    assert.ok(
      lines.some((l) => l.startsWith("the `ip` command")),
      r.stdout,
    );
  });
});
