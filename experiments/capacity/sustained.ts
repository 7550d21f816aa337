/**
 * Sustained case: connections attempted at a constant rate R for a fixed time, each closed by the
 * client at once, while `ss` counts the TIME_WAIT population about once a second. Below
 * Rmax = P / T nothing may fail; above it the first failure comes after about P / R seconds.
 *
 * `runSustained` runs inside the namespace (inner.ts); `sustainedInFreshNetns` is the host side.
 */
import type { Sample } from "./burst";
import { portCount, runInFreshNetns, type NamespaceReport, type PortRange, type RunOptions } from "./netns";
import { connectAndClose, now, sleep, startServer, timeWaitCensus, type Attempt, type TimeWaitCensus } from "./tcp";

export interface SustainedParams {
  readonly label: string;
  readonly ports: PortRange;
  readonly serverPort: number;
  /** Attempts per second. */
  readonly rate: number;
  /** Seconds during which attempts are made (attempt k starts at k / rate). */
  readonly durationSeconds: number;
  /** Keep counting TIME_WAIT this long after the last attempt. */
  readonly tailSeconds: number;
  readonly sampleIntervalMs: number;
  readonly connectTimeoutMs: number;
}

export interface SustainedTask extends SustainedParams {
  readonly kind: "sustained";
}

/** Attempts and their outcome in one whole second of the run. */
export interface SecondBucket {
  readonly second: number;
  readonly ok: number;
  readonly failed: number;
}

export interface SustainedResult {
  readonly namespace: NamespaceReport;
  readonly label: string;
  readonly ports: number;
  readonly rate: number;
  readonly durationSeconds: number;
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  readonly failureCodes: Record<string, number>;
  /** First failed attempt: its 0-based index and its start, in seconds since attempt 0 was due. */
  readonly firstFailure: { readonly index: number; readonly atSeconds: number; readonly code: string } | null;
  /** Successes before the first failure. */
  readonly successesBeforeFirstFailure: number;
  /** Worst lateness of an attempt against its schedule, ms (timer and event-loop noise). */
  readonly maxScheduleLagMs: number;
  readonly distinctLocalPorts: number;
  readonly allLocalPortsInRange: boolean;
  /** Largest number of TIME_WAIT sockets not on the client side seen in any sample (expected 0). */
  readonly maxOtherTimeWait: number;
  /** TIME_WAIT before the first attempt: a fresh namespace has none. */
  readonly timeWaitBefore: TimeWaitCensus;
  readonly samples: readonly Sample[];
  readonly perSecond: readonly SecondBucket[];
}

/** Runs the constant-rate case. Call only inside a prepared private namespace. */
export async function runSustained(params: SustainedParams, namespace: NamespaceReport, log: (line: string) => void): Promise<SustainedResult> {
  const p = portCount(params.ports);
  const server = await startServer(params.serverPort);
  try {
    const timeWaitBefore = await timeWaitCensus(params.ports, params.serverPort);
    const count = Math.floor(params.durationSeconds * params.rate);
    const intervalMs = 1000 / params.rate;
    const t0 = now() + 50;
    const seconds = (t: number): number => (t - t0) / 1000;
    const results: { index: number; attempt: Attempt }[] = [];
    const pending: Promise<void>[] = [];
    const samples: Sample[] = [];
    let maxLag = 0;

    // The sampler: bounded by the number of samples the run can hold.
    const sampleCount = Math.floor(((params.durationSeconds + params.tailSeconds) * 1000) / params.sampleIntervalMs) + 1;
    const sampler = (async () => {
      for (let k = 0; k < sampleCount; k++) {
        await sleep(t0 + k * params.sampleIntervalMs - now());
        const at = now();
        const c = await timeWaitCensus(params.ports, params.serverPort);
        samples.push({ t: seconds(at), ...c });
        if (k % 10 === 0) {
          const failed = results.filter((r) => !r.attempt.ok).length;
          log(
            `${params.label}: t=${Math.max(0, seconds(at)).toFixed(0)} s, TIME_WAIT ${c.client} (other ${c.other}), attempts ${results.length}, failed ${failed}`,
          );
        }
      }
    })();

    for (let index = 0; index < count; index++) {
      const due = t0 + index * intervalMs;
      await sleep(due - now());
      maxLag = Math.max(maxLag, now() - due);
      pending.push(
        connectAndClose(params.serverPort, params.connectTimeoutMs).then((attempt) => {
          results.push({ index, attempt });
        }),
      );
    }
    await Promise.all(pending);
    await sampler;

    results.sort((a, b) => a.index - b.index);
    const failureCodes: Record<string, number> = {};
    let firstFailure: SustainedResult["firstFailure"] = null;
    let successesBeforeFirstFailure = 0;
    const localPorts = new Set<number>();
    const buckets = new Map<number, { ok: number; failed: number }>();
    for (const { index, attempt } of results) {
      const second = Math.floor(seconds(attempt.startedAt));
      const bucket = buckets.get(second) ?? { ok: 0, failed: 0 };
      buckets.set(second, bucket);
      if (attempt.ok) {
        bucket.ok++;
        if (attempt.localPort !== undefined) localPorts.add(attempt.localPort);
        if (firstFailure === null) successesBeforeFirstFailure++;
      } else {
        bucket.failed++;
        const code = attempt.code ?? "UNKNOWN";
        failureCodes[code] = (failureCodes[code] ?? 0) + 1;
        firstFailure ??= { index, atSeconds: seconds(attempt.startedAt), code };
      }
    }
    const failures = results.filter((r) => !r.attempt.ok).length;
    const perSecond = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([second, b]) => ({ second, ...b }));
    log(
      `${params.label}: done, ${results.length} attempts, ${failures} failed${firstFailure ? `, first failure at ${firstFailure.atSeconds.toFixed(2)} s (${firstFailure.code})` : ""}`,
    );
    return {
      namespace,
      label: params.label,
      ports: p,
      rate: params.rate,
      durationSeconds: params.durationSeconds,
      attempts: results.length,
      successes: results.length - failures,
      failures,
      failureCodes,
      firstFailure,
      successesBeforeFirstFailure,
      maxScheduleLagMs: maxLag,
      distinctLocalPorts: localPorts.size,
      allLocalPortsInRange: [...localPorts].every((port) => port >= params.ports.low && port <= params.ports.high),
      maxOtherTimeWait: Math.max(0, ...samples.map((s) => s.other)),
      timeWaitBefore,
      samples,
      perSecond,
    };
  } finally {
    await server.close();
  }
}

/** Runs the constant-rate case in a fresh private network namespace (host side). */
export function sustainedInFreshNetns(params: SustainedParams, options: RunOptions): Promise<SustainedResult> {
  const task: SustainedTask = { kind: "sustained", ...params };
  return runInFreshNetns<SustainedResult>(task, options);
}
