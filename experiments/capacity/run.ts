/**
 * The capacity experiment (docs/CAPACITY.md): proves `Rmax = P / T` and the exhaustion time `P / R` of
 * domain/capacity.ts on the Linux TCP stack, and writes docs/CAPACITY.md, docs/capacity-timewait.svg
 * and docs/capacity-timewait.csv.
 *
 *   npx tsx experiments/capacity/run.ts [--under-seconds 180] [--over-seconds 150] [--endpoint-over-seconds N]
 *     [--endpoint-hold-seconds N] [--out docs] [--no-recovery]   (defaults: 5/3 T and 2 T)
 *
 * Runs one after the other, each in a fresh private network namespace (so no run waits for the
 * previous one's TIME_WAIT to drain). One endpoint: the burst (P connections, the next fails, ports
 * come back after T), 0.8 × Rmax for 3 T (no failure allowed) and 1.5 × Rmax (failures from about
 * P / R on). Two endpoints (endpoints.ts): a burst in each port-sharing mode, the same total rate
 * (1.5 × P / T) with a socket bound before connect() (one pool per host: fails) and with a plain
 * connect() (a pool per endpoint: holds), and plain connect() at 1.5 × P / T per endpoint (fails).
 * Needs root. Every run is bounded by its own timeout and the whole experiment by a global one;
 * on SIGINT/SIGTERM or a timeout every namespace process is killed. Takes about 13 minutes.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { arch, availableParallelism, cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { burstInFreshNetns } from "./burst";
import { percentError, predictedOnset, rmax } from "./model";
import { currentNetns, killAllNamespaceChildren, missingPrerequisites, portCount, readSysctls, sameSysctls, type PortRange } from "./netns";
import { endpointsInFreshNetns } from "./endpoints";
import {
  endpointsChecks,
  renderCsv,
  renderEndpointsCsv,
  renderEndpointsSvg,
  renderMarkdown,
  renderSvg,
  type Check,
  type EndpointsReport,
  type ExperimentParameters,
  type ExperimentReport,
} from "./report";
import { sustainedInFreshNetns } from "./sustained";

const RANGE: PortRange = { low: 40000, high: 40199 };
/** Linux's TIME_WAIT length, `TCP_TIMEWAIT_LEN` (include/net/tcp.h): 60 s, not tunable. */
const LINUX_TIME_WAIT_SECONDS = 60;
const SERVER_PORT = 1143;
/** The two back-end endpoints of the two-endpoint runs. */
const ENDPOINT_PORTS = [1143, 1144] as const;

const log = (line: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** CONFIG_HZ from /proc/config.gz or /boot/config-<release>, when either is there. */
function kernelHz(): number | null {
  const configs: (() => string)[] = [
    () => gunzipSync(readFileSync("/proc/config.gz")).toString("utf8"),
    () => readFileSync(`/boot/config-${release()}`, "utf8"),
  ];
  for (const read of configs) {
    try {
      const m = /^CONFIG_HZ=(\d+)$/m.exec(read());
      if (m) return Number(m[1]);
    } catch {
      // Not there on this kernel: try the next.
    }
  }
  return null;
}

/** Processes still running this experiment's inner script, found through /proc. */
function strayInnerProcesses(): number[] {
  const inner = join(__dirname, "inner.ts");
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(inner)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "under-seconds": { type: "string", default: String(3 * LINUX_TIME_WAIT_SECONDS) },
      "over-seconds": { type: "string", default: String(2.5 * LINUX_TIME_WAIT_SECONDS) },
      out: { type: "string", default: resolve(__dirname, "..", "..", "docs") },
      "no-recovery": { type: "boolean", default: false },
      "endpoint-over-seconds": { type: "string", default: String((5 / 3) * LINUX_TIME_WAIT_SECONDS) },
      "endpoint-hold-seconds": { type: "string", default: String(2 * LINUX_TIME_WAIT_SECONDS) },
    },
  });
  const T = LINUX_TIME_WAIT_SECONDS;
  const params: ExperimentParameters = {
    ports: portCount(RANGE),
    timeWaitSeconds: T,
    range: RANGE,
    serverPort: SERVER_PORT,
    underFactor: 0.8,
    overFactor: 1.5,
    underSeconds: Number(values["under-seconds"]),
    overSeconds: Number(values["over-seconds"]),
    sampleIntervalMs: 1000,
  };
  if (!(params.underSeconds > 0 && params.underSeconds <= 600 && params.overSeconds > 0 && params.overSeconds <= 600)) {
    throw new Error("--under-seconds and --over-seconds must be in (0, 600]");
  }
  const outDir = resolve(values.out ?? "docs");
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    log(`cannot run the capacity experiment; missing: ${missing.join("; ")}`);
    return 2;
  }

  const started = Date.now();
  const hostBefore = readSysctls();
  const hostNetns = currentNetns();
  const rm = rmax(params);
  const underRate = params.underFactor * rm;
  const overRate = params.overFactor * rm;
  log(`host ${hostNetns}: ip_local_port_range ${hostBefore.ipLocalPortRange}, tcp_tw_reuse ${hostBefore.tcpTwReuse} (must stay so)`);
  log(
    `P = ${params.ports}, T = ${T} s, Rmax = ${rm.toFixed(3)}/s; under ${underRate.toFixed(3)}/s for ${params.underSeconds} s, over ${overRate.toFixed(3)}/s for ${params.overSeconds} s (predicted onset ${predictedOnset(params, overRate).toFixed(2)} s)`,
  );
  const common = { ports: RANGE, serverPort: SERVER_PORT, connectTimeoutMs: 5_000 };

  const burst = await burstInFreshNetns(
    {
      ...common,
      recovery: values["no-recovery"]
        ? undefined
        : { probeFromSeconds: T - 10, probeUntilSeconds: T + 30, probeIntervalMs: 100, sampleIntervalMs: params.sampleIntervalMs },
    },
    { timeoutMs: (T + 60) * 1000, onProgress: log },
  );
  const under = await sustainedInFreshNetns(
    { ...common, label: "under-rate", rate: underRate, durationSeconds: params.underSeconds, tailSeconds: 0, sampleIntervalMs: params.sampleIntervalMs },
    { timeoutMs: (params.underSeconds + 60) * 1000, onProgress: log },
  );
  const over = await sustainedInFreshNetns(
    { ...common, label: "over-rate", rate: overRate, durationSeconds: params.overSeconds, tailSeconds: 0, sampleIntervalMs: params.sampleIntervalMs },
    { timeoutMs: (params.overSeconds + 60) * 1000, onProgress: log },
  );

  // Two endpoints: both bursts, then the same total rate (1.5 × one pool's P / T) in both modes,
  // and plain connect() above its own budget (1.5 × P / T per endpoint).
  const endpointCommon = { ports: RANGE, serverPorts: ENDPOINT_PORTS, connectTimeoutMs: 5_000, sampleIntervalMs: params.sampleIntervalMs };
  const overSeconds = Number(values["endpoint-over-seconds"]);
  const holdSeconds = Number(values["endpoint-hold-seconds"]);
  const sameRate = 1.5 * rm;
  const overPerEndpoint = 1.5;
  const endpointRun = (label: string, sharing: "bindFirst" | "plainConnect", rate?: number, durationSeconds?: number) =>
    endpointsInFreshNetns(
      { ...endpointCommon, label, sharing, ...(rate === undefined ? {} : { rate, durationSeconds }) },
      { timeoutMs: ((durationSeconds ?? 0) + 60) * 1000, onProgress: log },
    );
  const endpoints: EndpointsReport = {
    serverPorts: ENDPOINT_PORTS,
    overSeconds,
    holdSeconds,
    sameRateFactor: 1.5,
    overPerEndpointFactor: overPerEndpoint,
    burstBindFirst: await endpointRun("two endpoints, bindFirst burst", "bindFirst"),
    burstPlainConnect: await endpointRun("two endpoints, plainConnect burst", "plainConnect"),
    bindFirstSameRate: await endpointRun("two endpoints, bindFirst", "bindFirst", sameRate, overSeconds),
    plainConnectSameRate: await endpointRun("two endpoints, plainConnect", "plainConnect", sameRate, holdSeconds),
    plainConnectOver: await endpointRun("two endpoints, plainConnect over", "plainConnect", overPerEndpoint * rm * ENDPOINT_PORTS.length, overSeconds),
  };

  const hostAfter = readSysctls();
  const stray = strayInnerProcesses();
  const P = params.ports;
  const onsetPredicted = predictedOnset(params, overRate);
  const onsetError = over.firstFailure ? percentError(over.firstFailure.atSeconds, onsetPredicted) : Number.NaN;
  const recovered = burst.recovery?.recoveredAfterSeconds ?? null;
  const endpointRuns = [
    endpoints.burstBindFirst,
    endpoints.burstPlainConnect,
    endpoints.bindFirstSameRate,
    endpoints.plainConnectSameRate,
    endpoints.plainConnectOver,
  ];
  const netnss = [burst, under, over, ...endpointRuns].map((x) => x.namespace.netns);
  const checks: Check[] = [
    {
      name: "host sysctls unchanged",
      ok: sameSysctls(hostBefore, hostAfter),
      detail: `before ${hostBefore.ipLocalPortRange} / ${hostBefore.tcpTwReuse}, after ${hostAfter.ipLocalPortRange} / ${hostAfter.tcpTwReuse}`,
    },
    {
      name: "each run in a fresh private namespace",
      ok: netnss.every((n) => n !== hostNetns) && [burst, under, over, ...endpointRuns].every((x) => x.timeWaitBefore.total === 0),
      detail: `host ${hostNetns}; runs ${netnss.join(", ")} (the kernel reuses a freed namespace's inode number); TIME_WAIT before each run: ${[burst, under, over, ...endpointRuns].map((x) => x.timeWaitBefore.total).join(", ")}`,
    },
    { name: "no namespace process left", ok: stray.length === 0, detail: stray.length === 0 ? "none found in /proc" : `still running: ${stray.join(", ")}` },
    {
      name: "burst: P succeed, P + 1 fails with EADDRNOTAVAIL",
      ok: burst.successes === P && burst.firstFailure?.attempt === P + 1 && burst.firstFailure.code === "EADDRNOTAVAIL",
      detail: `${burst.successes} succeeded; ${burst.firstFailure ? `attempt ${burst.firstFailure.attempt}: ${burst.firstFailure.code}` : "no failure"}`,
    },
    {
      name: "burst: TIME_WAIT held by the client",
      ok: burst.timeWaitAfterBurst.client === P && burst.timeWaitAfterBurst.other === 0,
      detail: `client ${burst.timeWaitAfterBurst.client}, other ${burst.timeWaitAfterBurst.other}`,
    },
  ];
  if (!values["no-recovery"]) {
    checks.push({
      name: "burst: connect succeeds again after T (not before)",
      ok: recovered !== null && recovered >= 0.98 * T && recovered <= T + 10,
      detail: recovered === null ? "no success in the probe window" : `${recovered.toFixed(2)} s after the first close (T = ${T} s)`,
    });
  }
  checks.push(
    {
      name: `under-rate (${params.underFactor} × Rmax) for ≥ 3 T: zero failures`,
      ok: under.failures === 0 && under.attempts > 0 && params.underSeconds >= 3 * T,
      detail: `${under.failures} of ${under.attempts} failed over ${params.underSeconds} s`,
    },
    {
      name: `over-rate (${params.overFactor} × Rmax): onset within 10 % of P / R`,
      ok: Number.isFinite(onsetError) && Math.abs(onsetError) <= 10 && over.firstFailure?.code === "EADDRNOTAVAIL",
      detail: over.firstFailure
        ? `${over.firstFailure.atSeconds.toFixed(2)} s vs ${onsetPredicted.toFixed(2)} s (${onsetError.toFixed(2)} %), ${over.firstFailure.code}`
        : "no failure",
    },
    {
      name: "no TIME_WAIT outside the client side",
      ok: burst.timeWaitAfterBurst.other === 0 && under.maxOtherTimeWait === 0 && over.maxOtherTimeWait === 0,
      detail: `max other: burst ${burst.timeWaitAfterBurst.other}, under ${under.maxOtherTimeWait}, over ${over.maxOtherTimeWait}`,
    },
    ...endpointsChecks(params, endpoints),
  );

  const cpuList = cpus();
  const report: ExperimentReport = {
    date: new Date().toISOString(),
    wallSeconds: (Date.now() - started) / 1000,
    machine: { kernel: release(), nproc: availableParallelism(), node: process.version, arch: arch(), cpu: cpuList[0]?.model ?? "unknown", hz: kernelHz() },
    params,
    hostBefore,
    hostAfter,
    burst,
    under,
    over,
    endpoints,
    checks,
  };
  mkdirSync(outDir, { recursive: true });
  const files = { svg: "capacity-timewait.svg", csv: "capacity-timewait.csv" };
  const endpointFiles = { svg: "capacity-endpoints.svg", csv: "capacity-endpoints.csv" };
  writeFileSync(join(outDir, files.csv), renderCsv(report));
  writeFileSync(join(outDir, files.svg), renderSvg(report));
  writeFileSync(join(outDir, endpointFiles.csv), renderEndpointsCsv(report));
  writeFileSync(join(outDir, endpointFiles.svg), renderEndpointsSvg(report));
  writeFileSync(join(outDir, "CAPACITY.md"), renderMarkdown(report, files, endpointFiles));
  for (const c of checks) log(`${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`);
  log(
    `wrote ${join(outDir, "CAPACITY.md")}, ${files.svg}, ${files.csv}, ${endpointFiles.svg}, ${endpointFiles.csv} (${(report.wallSeconds / 60).toFixed(1)} min)`,
  );
  return checks.every((c) => c.ok) ? 0 : 1;
}

// A global bound on everything, and cleanup on signals: namespace processes are their own
// process groups, so a Ctrl-C on the terminal does not reach them by itself.
const GLOBAL_TIMEOUT_MS = 25 * 60 * 1000;
const globalTimer = setTimeout(() => {
  log(`global timeout of ${GLOBAL_TIMEOUT_MS / 60000} min reached: killing every namespace process`);
  killAllNamespaceChildren();
  process.exit(124);
}, GLOBAL_TIMEOUT_MS);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    log(`${signal}: killing every namespace process`);
    killAllNamespaceChildren();
    process.exit(130);
  });
}

main().then(
  (code) => {
    clearTimeout(globalTimer);
    process.exit(code);
  },
  (error: unknown) => {
    log(`capacity experiment failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killAllNamespaceChildren();
    process.exit(1);
  },
);
