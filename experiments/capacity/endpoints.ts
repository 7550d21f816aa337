/**
 * Two back-end endpoints, two ways of taking a local port (docs/CAPACITY.md, "One pool per host or
 * a pool per back end"):
 *
 * - `bindFirst`: the socket is bound to 127.0.0.1, port 0, before connect(). Linux then picks a
 *   port that is free for every destination (a port in TIME_WAIT towards one endpoint is not
 *   handed out again, whatever the next destination): one pool of P ports for the whole host,
 *   Windows' behaviour when no auto-reuse port range is configured.
 * - `plainConnect`: connect() without bind(). Linux picks a port whose 4-tuple is unique, so the
 *   same port serves both endpoints: a pool of P ports per endpoint, the behaviour Windows gives
 *   connections that use its auto-reuse port range.
 *
 * Attempts alternate between the two endpoints (127.0.0.1:1143 and 127.0.0.1:1144). The burst
 * connects until the first failure; the sustained run attempts at a constant total rate.
 *
 * `runEndpoints` runs inside the namespace (inner.ts); `endpointsInFreshNetns` is the host side.
 */
import type { Sample } from "./burst";
import { portCount, runInFreshNetns, type NamespaceReport, type PortRange, type RunOptions } from "./netns";
import { connectAndClose, now, sleep, startServer, timeWaitCensus, type Attempt, type EchoFreeServer, type TimeWaitCensus } from "./tcp";

export type PortSharing = "bindFirst" | "plainConnect";

export interface EndpointsParams {
  readonly label: string;
  readonly sharing: PortSharing;
  readonly ports: PortRange;
  /** The back-end endpoints: one server per port on 127.0.0.1. */
  readonly serverPorts: readonly number[];
  /**
   * Total attempts per second, spread round-robin over the endpoints; undefined for a burst
   * (connect as fast as possible until the first failure).
   */
  readonly rate?: number;
  /** Seconds of attempts (sustained runs only). */
  readonly durationSeconds?: number;
  readonly sampleIntervalMs: number;
  readonly connectTimeoutMs: number;
}

export interface EndpointsTask extends EndpointsParams {
  readonly kind: "endpoints";
}

export interface EndpointsResult {
  readonly namespace: NamespaceReport;
  readonly label: string;
  readonly sharing: PortSharing;
  /** `P`. */
  readonly ports: number;
  readonly endpoints: number;
  readonly rate: number | null;
  readonly durationSeconds: number | null;
  readonly attempts: number;
  readonly successes: number;
  /** Successes per endpoint (index as in `serverPorts`). */
  readonly successesPerEndpoint: readonly number[];
  readonly failures: number;
  readonly failureCodes: Record<string, number>;
  /** First failed attempt: 1-based number, start in seconds since attempt 1 was due, endpoint index. */
  readonly firstFailure: { readonly attempt: number; readonly atSeconds: number; readonly code: string; readonly endpoint: number } | null;
  readonly successesBeforeFirstFailure: number;
  readonly distinctLocalPorts: number;
  /** Local ports that served more than one endpoint: 0 for one pool per host. */
  readonly portsSharedAcrossEndpoints: number;
  readonly allLocalPortsInRange: boolean;
  readonly timeWaitBefore: TimeWaitCensus;
  /** Largest number of TIME_WAIT sockets not on the client side seen in any sample (expected 0). */
  readonly maxOtherTimeWait: number;
  readonly maxScheduleLagMs: number;
  readonly samples: readonly Sample[];
}

async function startServers(ports: readonly number[]): Promise<EchoFreeServer[]> {
  const servers: EchoFreeServer[] = [];
  for (const port of ports) servers.push(await startServer(port));
  return servers;
}

/** Runs a two-endpoint burst or sustained case. Call only inside a prepared private namespace. */
export async function runEndpoints(params: EndpointsParams, namespace: NamespaceReport, log: (line: string) => void): Promise<EndpointsResult> {
  const p = portCount(params.ports);
  const b = params.serverPorts.length;
  const bindFirst = params.sharing === "bindFirst";
  const servers = await startServers(params.serverPorts);
  try {
    const timeWaitBefore = await timeWaitCensus(params.ports, params.serverPorts);
    const results: { attempt: number; endpoint: number; a: Attempt }[] = [];
    const samples: Sample[] = [];
    let maxLag = 0;
    let t0 = now();
    const seconds = (t: number): number => (t - t0) / 1000;

    if (params.rate === undefined) {
      // Burst: bounded by B * P + 2 attempts, more than either model lets succeed.
      let failed = false;
      for (let attempt = 1; attempt <= b * p + 2 && !failed; attempt++) {
        const endpoint = (attempt - 1) % b;
        const a = await connectAndClose(params.serverPorts[endpoint]!, params.connectTimeoutMs, bindFirst);
        results.push({ attempt, endpoint, a });
        failed = !a.ok;
      }
      const c = await timeWaitCensus(params.ports, params.serverPorts);
      samples.push({ t: seconds(now()), ...c });
    } else {
      const duration = params.durationSeconds ?? 0;
      const count = Math.floor(duration * params.rate);
      const intervalMs = 1000 / params.rate;
      t0 = now() + 50;
      const pending: Promise<void>[] = [];
      const sampleCount = Math.floor((duration * 1000) / params.sampleIntervalMs) + 1;
      const sampler = (async () => {
        for (let k = 0; k < sampleCount; k++) {
          await sleep(t0 + k * params.sampleIntervalMs - now());
          const at = now();
          const c = await timeWaitCensus(params.ports, params.serverPorts);
          samples.push({ t: seconds(at), ...c });
          if (k % 10 === 0)
            log(
              `${params.label}: t=${Math.max(0, seconds(at)).toFixed(0)} s, TIME_WAIT ${c.client} (other ${c.other}), attempts ${results.length}, failed ${results.filter((r) => !r.a.ok).length}`,
            );
        }
      })();
      for (let index = 0; index < count; index++) {
        const due = t0 + index * intervalMs;
        await sleep(due - now());
        maxLag = Math.max(maxLag, now() - due);
        const endpoint = index % b;
        pending.push(
          connectAndClose(params.serverPorts[endpoint]!, params.connectTimeoutMs, bindFirst).then((a) => {
            results.push({ attempt: index + 1, endpoint, a });
          }),
        );
      }
      await Promise.all(pending);
      await sampler;
    }

    results.sort((x, y) => x.attempt - y.attempt);
    const failureCodes: Record<string, number> = {};
    const successesPerEndpoint = params.serverPorts.map(() => 0);
    const endpointsOfPort = new Map<number, Set<number>>();
    let firstFailure: EndpointsResult["firstFailure"] = null;
    let successesBeforeFirstFailure = 0;
    for (const { attempt, endpoint, a } of results) {
      if (a.ok) {
        successesPerEndpoint[endpoint]!++;
        if (firstFailure === null) successesBeforeFirstFailure++;
        if (a.localPort !== undefined) {
          const set = endpointsOfPort.get(a.localPort) ?? new Set<number>();
          set.add(endpoint);
          endpointsOfPort.set(a.localPort, set);
        }
      } else {
        const code = a.code ?? "UNKNOWN";
        failureCodes[code] = (failureCodes[code] ?? 0) + 1;
        firstFailure ??= { attempt, atSeconds: seconds(a.startedAt), code, endpoint };
      }
    }
    const failures = results.filter((r) => !r.a.ok).length;
    const localPorts = [...endpointsOfPort.keys()];
    log(
      `${params.label}: ${results.length} attempts, ${results.length - failures} succeeded (${successesPerEndpoint.join(" + ")}), ${failures} failed${firstFailure ? `, first failure: attempt ${firstFailure.attempt} at ${firstFailure.atSeconds.toFixed(2)} s (${firstFailure.code})` : ""}`,
    );
    return {
      namespace,
      label: params.label,
      sharing: params.sharing,
      ports: p,
      endpoints: b,
      rate: params.rate ?? null,
      durationSeconds: params.durationSeconds ?? null,
      attempts: results.length,
      successes: results.length - failures,
      successesPerEndpoint,
      failures,
      failureCodes,
      firstFailure,
      successesBeforeFirstFailure,
      distinctLocalPorts: localPorts.length,
      portsSharedAcrossEndpoints: [...endpointsOfPort.values()].filter((s) => s.size > 1).length,
      allLocalPortsInRange: localPorts.every((port) => port >= params.ports.low && port <= params.ports.high),
      timeWaitBefore,
      maxOtherTimeWait: Math.max(0, ...samples.map((s) => s.other)),
      maxScheduleLagMs: maxLag,
      samples,
    };
  } finally {
    for (const server of servers) await server.close();
  }
}

/** Runs a two-endpoint case in a fresh private network namespace (host side). */
export function endpointsInFreshNetns(params: EndpointsParams, options: RunOptions): Promise<EndpointsResult> {
  const task: EndpointsTask = { kind: "endpoints", ...params };
  return runInFreshNetns<EndpointsResult>(task, options);
}
