/**
 * Burst case: with `P` ephemeral ports, `P` connections (each closed by the client straight away)
 * succeed, the next fails with EADDRNOTAVAIL; optionally the run then waits for the ports to come
 * back out of TIME_WAIT and measures when a connect succeeds again.
 *
 * `runBurst` runs inside the namespace (inner.ts); `burstInFreshNetns` is the host-side entry
 * used by the experiment runner and by test/integration/capacity/burst.test.ts.
 */
import { portCount, runInFreshNetns, type NamespaceReport, type PortRange, type RunOptions } from "./netns";
import { connectAndClose, now, sleep, startServer, timeWaitCensus, type TimeWaitCensus } from "./tcp";

export interface BurstRecoveryParams {
  /** Start probing this many seconds after the first connection closed. */
  readonly probeFromSeconds: number;
  /** Give up probing this many seconds after the first connection closed. */
  readonly probeUntilSeconds: number;
  /** Probe (and count TIME_WAIT) this often during the probe window. */
  readonly probeIntervalMs: number;
  /** Count TIME_WAIT this often before the probe window. */
  readonly sampleIntervalMs: number;
}

export interface BurstParams {
  readonly ports: PortRange;
  readonly serverPort: number;
  readonly connectTimeoutMs: number;
  readonly recovery?: BurstRecoveryParams;
}

export interface BurstTask extends BurstParams {
  readonly kind: "burst";
}

/** A TIME_WAIT census at `t` seconds after the first connection of the run started. */
export interface Sample extends TimeWaitCensus {
  readonly t: number;
}

export interface BurstRecovery {
  /** Seconds from the first connection's close (its entry into TIME_WAIT) to the first successful probe. */
  readonly recoveredAfterSeconds: number | null;
  /** Seconds from the last burst connection's close to the first successful probe. */
  readonly recoveredAfterLastCloseSeconds: number | null;
  /** Seconds from the first close until `ss` counted fewer than P client TIME_WAIT sockets. */
  readonly firstExpiryAfterSeconds: number | null;
  /** Seconds from the first close until every burst port had left TIME_WAIT. */
  readonly allExpiredAfterSeconds: number | null;
  readonly probes: number;
  readonly failedProbes: number;
  readonly failedProbeCodes: Record<string, number>;
}

export interface BurstResult {
  readonly namespace: NamespaceReport;
  /** `P`. */
  readonly ports: number;
  /** Connections that succeeded before the first failure. */
  readonly successes: number;
  /** The 1-based number of the first failed attempt and its error code. */
  readonly firstFailure: { readonly attempt: number; readonly code: string } | null;
  /** Distinct client ports the successes used, and whether all were inside the range. */
  readonly distinctLocalPorts: number;
  readonly allLocalPortsInRange: boolean;
  /** Seconds the P + 1 attempts took. */
  readonly burstSeconds: number;
  /** TIME_WAIT before the burst: a fresh namespace has none. */
  readonly timeWaitBefore: TimeWaitCensus;
  /** TIME_WAIT right after the burst: all P on the client side, none elsewhere. */
  readonly timeWaitAfterBurst: TimeWaitCensus;
  readonly recovery: BurstRecovery | null;
  /** TIME_WAIT population over time (seconds since the first attempt started). */
  readonly samples: readonly Sample[];
  /** Seconds between the first attempt's start and the first connection's close. */
  readonly firstCloseAtSeconds: number;
}

function tally(codes: Record<string, number>, code: string): void {
  codes[code] = (codes[code] ?? 0) + 1;
}

/** Runs the burst case. Call only inside a prepared private namespace. */
export async function runBurst(params: BurstParams, namespace: NamespaceReport, log: (line: string) => void): Promise<BurstResult> {
  const p = portCount(params.ports);
  const server = await startServer(params.serverPort);
  try {
    const t0 = now();
    const seconds = (t: number): number => (t - t0) / 1000;
    const samples: Sample[] = [];
    const census = async (): Promise<TimeWaitCensus> => {
      const at = now();
      const c = await timeWaitCensus(params.ports, params.serverPort);
      samples.push({ t: seconds(at), ...c });
      return c;
    };
    const before = await timeWaitCensus(params.ports, params.serverPort);
    let successes = 0;
    let firstFailure: BurstResult["firstFailure"] = null;
    let firstCloseAt = Number.NaN;
    let lastCloseAt = Number.NaN;
    const localPorts = new Set<number>();
    // Bounded: P + 1 attempts are enough to see the failure; one spare for a miscounted range.
    for (let attempt = 1; attempt <= p + 2 && firstFailure === null; attempt++) {
      const a = await connectAndClose(params.serverPort, params.connectTimeoutMs);
      if (a.ok) {
        successes++;
        if (a.localPort !== undefined) localPorts.add(a.localPort);
        if (Number.isNaN(firstCloseAt)) firstCloseAt = a.closedAt;
        lastCloseAt = a.closedAt;
      } else {
        firstFailure = { attempt, code: a.code ?? "UNKNOWN" };
      }
    }
    const burstSeconds = seconds(now());
    const afterBurst = await census();
    log(
      `burst: P=${p}, ${successes} connections succeeded, then ${firstFailure ? `attempt ${firstFailure.attempt} failed with ${firstFailure.code}` : "no failure"} (${burstSeconds.toFixed(2)} s); TIME_WAIT client=${afterBurst.client} other=${afterBurst.other}`,
    );
    const portsInRange = [...localPorts].every((port) => port >= params.ports.low && port <= params.ports.high);

    let recovery: BurstRecovery | null = null;
    if (params.recovery !== undefined && successes > 0) {
      const r = params.recovery;
      const since = (t: number): number => (t - firstCloseAt) / 1000;
      let recoveredAt: number | null = null;
      let firstExpiry: number | null = null;
      let allExpired: number | null = null;
      let probes = 0;
      let failedProbes = 0;
      const failedProbeCodes: Record<string, number> = {};
      let nextSample = now();
      const maxTicks = Math.ceil((r.probeUntilSeconds * 1000) / r.probeIntervalMs) + 10;
      for (let tick = 0; tick < maxTicks && since(now()) < r.probeUntilSeconds; tick++) {
        const inWindow = since(now()) >= r.probeFromSeconds;
        if (inWindow || now() >= nextSample) {
          const c = await census();
          nextSample += r.sampleIntervalMs;
          if (firstExpiry === null && c.client < successes) firstExpiry = since(now());
          if (c.client <= (recoveredAt === null ? 0 : 1)) {
            allExpired ??= since(now());
          }
        }
        if (inWindow && recoveredAt === null) {
          const a = await connectAndClose(params.serverPort, params.connectTimeoutMs);
          probes++;
          if (a.ok) {
            recoveredAt = a.startedAt;
            log(`burst: a connect succeeded again ${since(recoveredAt).toFixed(2)} s after the first close`);
          } else {
            failedProbes++;
            tally(failedProbeCodes, a.code ?? "UNKNOWN");
          }
        }
        if (recoveredAt !== null && allExpired !== null) break;
        await sleep(inWindow ? r.probeIntervalMs : Math.min(r.probeIntervalMs * 10, nextSample - now()));
      }
      recovery = {
        recoveredAfterSeconds: recoveredAt === null ? null : since(recoveredAt),
        recoveredAfterLastCloseSeconds: recoveredAt === null ? null : (recoveredAt - lastCloseAt) / 1000,
        firstExpiryAfterSeconds: firstExpiry,
        allExpiredAfterSeconds: allExpired,
        probes,
        failedProbes,
        failedProbeCodes,
      };
    }
    return {
      namespace,
      ports: p,
      successes,
      firstFailure,
      distinctLocalPorts: localPorts.size,
      allLocalPortsInRange: portsInRange,
      burstSeconds,
      timeWaitBefore: before,
      timeWaitAfterBurst: afterBurst,
      recovery,
      samples,
      firstCloseAtSeconds: Number.isNaN(firstCloseAt) ? 0 : seconds(firstCloseAt),
    };
  } finally {
    await server.close();
  }
}

/** Runs the burst case in a fresh private network namespace (host side). */
export function burstInFreshNetns(params: BurstParams, options: RunOptions): Promise<BurstResult> {
  const task: BurstTask = { kind: "burst", ...params };
  return runInFreshNetns<BurstResult>(task, options);
}
