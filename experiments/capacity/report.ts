/**
 * Turns the experiment's results into docs: the TIME_WAIT data as CSV, the plot as a hand-made
 * SVG (no plotting library), and docs/CAPACITY.md. Pure functions of the results.
 */
import { legacyUsablePorts, maxConnectionRate } from "../../domain/capacity";
import { formatRange, HIGHEST_RESERVED_PORT, MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS } from "../../domain/limits";
import type { BurstResult, Sample } from "./burst";
import type { EndpointsResult } from "./endpoints";
import {
  modelBurstPopulation,
  modelEndpointsPopulation,
  modelTimeWaitPopulation,
  percentError,
  predictedBurstSuccesses,
  predictedOnset,
  predictedOnsetFor,
  rmax,
  sustainableTotalRate,
  type CapacityParameters,
  type Sharing,
} from "./model";
import type { PortRange, Sysctls } from "./netns";
import type { SustainedResult } from "./sustained";

export interface Machine {
  readonly kernel: string;
  readonly nproc: number;
  readonly node: string;
  readonly arch: string;
  readonly cpu: string;
  /** CONFIG_HZ of the kernel when /boot/config-<release> tells it. */
  readonly hz: number | null;
}

/**
 * How late the kernel's timer wheel may fire a timer of `seconds` at `hz` (it never fires early):
 * a timeout of J jiffies lands on wheel level n, whose slots are 8^n jiffies wide
 * (kernel/time/timer.c: LVL_CLK_SHIFT 3, 64 slots a level).
 */
export function timerWheelGranularitySeconds(seconds: number, hz: number): number {
  const jiffies = seconds * hz;
  let level = 0;
  while (level < 8 && jiffies >= 63 * 8 ** level) level++;
  return 8 ** level / hz;
}

export interface ExperimentParameters extends CapacityParameters {
  readonly range: PortRange;
  readonly serverPort: number;
  readonly underFactor: number;
  readonly overFactor: number;
  readonly underSeconds: number;
  readonly overSeconds: number;
  readonly sampleIntervalMs: number;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The two-endpoint runs: each sharing mode's burst and constant-rate runs. */
export interface EndpointsReport {
  readonly serverPorts: readonly number[];
  /** Seconds of a run expected to exhaust its pool, and of the run expected to hold. */
  readonly overSeconds: number;
  readonly holdSeconds: number;
  /** Attempt rates as multiples of the host pool's P / T. */
  readonly sameRateFactor: number;
  readonly overPerEndpointFactor: number;
  readonly burstBindFirst: EndpointsResult;
  readonly burstPlainConnect: EndpointsResult;
  /** bindFirst at sameRateFactor × P / T in total: above the host pool, below a pool per endpoint. */
  readonly bindFirstSameRate: EndpointsResult;
  /** plainConnect at the same total rate: a pool per endpoint holds it. */
  readonly plainConnectSameRate: EndpointsResult;
  /** plainConnect above its own budget (overPerEndpointFactor × P / T per endpoint). */
  readonly plainConnectOver: EndpointsResult;
}

export interface ExperimentReport {
  readonly endpoints?: EndpointsReport;
  readonly date: string;
  readonly wallSeconds: number;
  readonly machine: Machine;
  readonly params: ExperimentParameters;
  readonly hostBefore: Sysctls;
  readonly hostAfter: Sysctls;
  readonly burst: BurstResult;
  readonly under: SustainedResult;
  readonly over: SustainedResult;
  readonly checks: readonly Check[];
}

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);
const pct = (x: number, digits = 1): string => `${x >= 0 ? "+" : ""}${x.toFixed(digits)} %`;

/** Burst samples on the time axis of the model: seconds since the first connection entered TIME_WAIT. */
function burstSamples(b: BurstResult): Sample[] {
  return b.samples.map((s) => ({ ...s, t: s.t - b.firstCloseAtSeconds }));
}

// ---------------------------------------------------------------------------------------------
// CSV

export function renderCsv(r: ExperimentReport): string {
  const lines = ["run,rate_per_s,t_seconds,timewait_client,timewait_other,model_population"];
  for (const s of burstSamples(r.burst)) {
    lines.push(`burst,,${s.t.toFixed(3)},${s.client},${s.other},${modelBurstPopulation(r.params, s.t)}`);
  }
  for (const run of [r.under, r.over]) {
    for (const s of run.samples) {
      lines.push(`${run.label},${run.rate.toFixed(4)},${s.t.toFixed(3)},${s.client},${s.other},${modelTimeWaitPopulation(r.params, run.rate, s.t).toFixed(2)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// SVG

interface Line {
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  readonly width: number;
  readonly dash?: string;
  readonly label: string;
}

interface Marker {
  readonly x: number;
  readonly color: string;
  readonly label: string;
}

interface Panel {
  readonly title: string;
  readonly xMax: number;
  readonly yMax: number;
  readonly lines: readonly Line[];
  readonly markers: readonly Marker[];
  /** Failed attempts per whole second, drawn as bars on a right-hand axis up to `barMax`. */
  readonly bars?: readonly { readonly second: number; readonly value: number }[];
  readonly barMax?: number;
}

const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const candidates = [1, 2, 2.5, 5, 10].map((c) => c * magnitude);
  return candidates.find((c) => c >= raw) ?? 10 * magnitude;
}

function renderPanel(panel: Panel, top: number, width: number, height: number): string {
  const left = 64;
  const right = panel.bars ? 64 : 24;
  const plotTop = top + 28;
  const plotHeight = height - 28 - 62;
  const plotWidth = width - left - right;
  const x = (v: number): number => left + (Math.max(0, Math.min(v, panel.xMax)) / panel.xMax) * plotWidth;
  const y = (v: number): number => plotTop + plotHeight - (Math.max(0, Math.min(v, panel.yMax)) / panel.yMax) * plotHeight;
  const out: string[] = [];
  out.push(`<text x="${left}" y="${top + 18}" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`);
  // Grid and axes.
  const xStep = niceStep(panel.xMax, 10);
  for (let v = 0, i = 0; v <= panel.xMax + 1e-9 && i < 100; v += xStep, i++) {
    out.push(`<line x1="${f1(x(v))}" y1="${plotTop}" x2="${f1(x(v))}" y2="${plotTop + plotHeight}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${f1(x(v))}" y="${plotTop + plotHeight + 16}" font-size="11" text-anchor="middle">${v}</text>`);
  }
  const yStep = niceStep(panel.yMax, 5);
  for (let v = 0, i = 0; v <= panel.yMax + 1e-9 && i < 100; v += yStep, i++) {
    out.push(`<line x1="${left}" y1="${f1(y(v))}" x2="${left + plotWidth}" y2="${f1(y(v))}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${left - 6}" y="${f1(y(v) + 4)}" font-size="11" text-anchor="end">${v}</text>`);
  }
  out.push(`<rect x="${left}" y="${plotTop}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${left + plotWidth / 2}" y="${plotTop + plotHeight + 32}" font-size="12" text-anchor="middle">seconds</text>`);
  out.push(`<text transform="translate(${left - 44},${plotTop + plotHeight / 2}) rotate(-90)" font-size="12" text-anchor="middle">TIME_WAIT sockets</text>`);
  // Failure bars on the right-hand axis.
  if (panel.bars && panel.barMax) {
    const barMax = panel.barMax;
    const yb = (v: number): number => plotTop + plotHeight - (Math.min(v, barMax) / barMax) * plotHeight * 0.3;
    const barWidth = Math.max(1, plotWidth / panel.xMax - 1);
    for (const b of panel.bars) {
      if (b.value <= 0) continue;
      out.push(
        `<rect x="${f1(x(b.second))}" y="${f1(yb(b.value))}" width="${f1(barWidth)}" height="${f1(plotTop + plotHeight - yb(b.value))}" fill="#d62728" fill-opacity="0.35"/>`,
      );
    }
    for (let v = 0; v <= barMax; v++) {
      out.push(`<text x="${left + plotWidth + 6}" y="${f1(yb(v) + 4)}" font-size="10" fill="#d62728">${v}</text>`);
    }
    out.push(
      `<text transform="translate(${left + plotWidth + 40},${plotTop + plotHeight - plotHeight * 0.15}) rotate(-90)" font-size="11" text-anchor="middle" fill="#d62728">failed/s</text>`,
    );
  }
  // Markers.
  panel.markers
    .filter((m) => m.x >= 0 && m.x <= panel.xMax)
    .forEach((m, i) => {
      out.push(`<line x1="${f1(x(m.x))}" y1="${plotTop}" x2="${f1(x(m.x))}" y2="${plotTop + plotHeight}" stroke="${m.color}" stroke-dasharray="2,3"/>`);
      // Labels in the right quarter go left of their line, so they stay inside the plot.
      const leftOfLine = x(m.x) > left + plotWidth * 0.75;
      const ly = plotTop + plotHeight * 0.42 + i * 14;
      out.push(
        `<text x="${f1(x(m.x) + (leftOfLine ? -4 : 4))}" y="${f1(ly)}" font-size="11" fill="${m.color}"${leftOfLine ? ' text-anchor="end"' : ""}>${escapeXml(m.label)}</text>`,
      );
    });
  // Lines.
  for (const line of panel.lines) {
    if (line.points.length === 0) continue;
    const d = line.points.map(([px, py], i) => `${i === 0 ? "M" : "L"}${f1(x(px))},${f1(y(py))}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="${line.width}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ""}/>`);
  }
  // Legend: one row under the x axis; an item is as wide as its label (about 6 px a character).
  const items: { readonly swatch: string; readonly label: string }[] = panel.lines.map((line) => ({
    swatch: `<line x1="0" y1="-4" x2="26" y2="-4" stroke="${line.color}" stroke-width="${line.width}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ""}/>`,
    label: line.label,
  }));
  if (panel.bars)
    items.push({ swatch: `<rect x="0" y="-10" width="26" height="10" fill="#d62728" fill-opacity="0.35"/>`, label: "failed connects/s (right axis)" });
  let lx = left;
  for (const item of items) {
    out.push(
      `<g transform="translate(${f1(lx)},${plotTop + plotHeight + 52})">${item.swatch}<text x="32" y="0" font-size="11">${escapeXml(item.label)}</text></g>`,
    );
    lx += 32 + item.label.length * 6.2 + 24;
  }
  return out.join("\n");
}

function sampled(fn: (t: number) => number, from: number, to: number, step: number): [number, number][] {
  const points: [number, number][] = [];
  const n = Math.ceil((to - from) / step);
  for (let i = 0; i <= n; i++) {
    const t = Math.min(to, from + i * step);
    points.push([t, fn(t)]);
  }
  return points;
}

export function renderSvg(r: ExperimentReport): string {
  const { params } = r;
  const P = params.ports;
  const T = params.timeWaitSeconds;
  const yMax = Math.ceil((P * 1.15) / 10) * 10;
  const width = 960;
  const panelHeight = 280;
  const measured = "#1f77b4";
  const model = "#ff7f0e";
  const grey = "#7f7f7f";

  const bs = burstSamples(r.burst);
  const burstEnd = Math.max(T + 10, ...bs.map((s) => s.t));
  const recovered = r.burst.recovery?.recoveredAfterSeconds ?? null;
  const burstPanel: Panel = {
    title: `Burst: ${P} connections at once, then nothing (P = ${P}, T = ${T} s)`,
    xMax: Math.ceil(burstEnd / 5) * 5,
    yMax,
    lines: [
      {
        points: [
          [0, P],
          [burstEnd, P],
        ],
        color: grey,
        width: 1,
        dash: "6,4",
        label: `P = ${P} ports`,
      },
      { points: sampled((t) => modelBurstPopulation(params, t), 0, burstEnd, 0.05), color: model, width: 2, dash: "7,4", label: "model: P for t < T, then 0" },
      { points: bs.map((s) => [s.t, s.client] as const), color: measured, width: 2, label: "measured (ss -tan state time-wait)" },
    ],
    markers: [
      { x: T, color: model, label: `T = ${T} s` },
      ...(recovered === null ? [] : [{ x: recovered, color: measured, label: `connect succeeds again: ${f2(recovered)} s` }]),
    ],
  };

  const sustainedPanel = (run: SustainedResult, title: string): Panel => {
    const onset = predictedOnset(params, run.rate);
    const markers: Marker[] = [{ x: T, color: grey, label: `T = ${T} s` }];
    if (Number.isFinite(onset)) markers.push({ x: onset, color: model, label: `predicted onset P/R = ${f1(onset)} s` });
    if (run.firstFailure) markers.push({ x: run.firstFailure.atSeconds, color: "#d62728", label: `first failure ${f2(run.firstFailure.atSeconds)} s` });
    return {
      title,
      xMax: run.durationSeconds,
      yMax,
      lines: [
        {
          points: [
            [0, P],
            [run.durationSeconds, P],
          ],
          color: grey,
          width: 1,
          dash: "6,4",
          label: `P = ${P} ports`,
        },
        {
          points: sampled((t) => modelTimeWaitPopulation(params, run.rate, t), 0, run.durationSeconds, 0.25),
          color: model,
          width: 2,
          dash: "7,4",
          label: "model: min(R·min(t, T), P)",
        },
        { points: run.samples.map((s) => [s.t, s.client] as const), color: measured, width: 2, label: "measured (ss -tan state time-wait)" },
      ],
      markers,
      bars: run.perSecond.map((b) => ({ second: b.second, value: b.failed })),
      barMax: Math.ceil(run.rate),
    };
  };
  const rm = rmax(params);
  const panels: Panel[] = [
    burstPanel,
    sustainedPanel(
      r.under,
      `${r.under.label}: R = ${f2(r.under.rate)}/s = ${params.underFactor} × Rmax (Rmax = P/T = ${f2(rm)}/s), ${r.under.failures} failed`,
    ),
    sustainedPanel(
      r.over,
      `${r.over.label}: R = ${f2(r.over.rate)}/s = ${params.overFactor} × Rmax, ${r.over.failures} of ${r.over.attempts} failed (red bars: failed/s)`,
    ),
  ];
  const height = panels.length * panelHeight + 40;
  const body = panels.map((p, i) => renderPanel(p, 30 + i * panelHeight, width, panelHeight)).join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" font-size="16" text-anchor="middle">TIME_WAIT population vs the capacity model — Linux ${escapeXml(r.machine.kernel)}, ${r.date.slice(0, 10)}</text>`,
    body,
    "</svg>",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Markdown

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean measured TIME_WAIT population over the samples with `from <= t <= to`. */
export function plateau(run: SustainedResult, from: number, to: number): number {
  return mean(run.samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.client));
}

/** Successes in the window [from, to) of a sustained run. */
export function successesBetween(run: SustainedResult, from: number, to: number): number {
  return run.perSecond.filter((b) => b.second >= from && b.second < to).reduce((a, b) => a + b.ok, 0);
}

function observations(r: ExperimentReport): string {
  const T = r.params.timeWaitSeconds;
  const rec = r.burst.recovery;
  const notes: string[] = [];
  if (rec?.recoveredAfterSeconds != null) {
    const late = rec.recoveredAfterSeconds - T;
    const gran = r.machine.hz === null ? null : timerWheelGranularitySeconds(T, r.machine.hz);
    notes.push(
      `- TIME_WAIT lasts a little longer than T in practice: the first port came back ${f2(rec.recoveredAfterSeconds)} s after the first close, ${f2(late)} s late` +
        (rec.allExpiredAfterSeconds == null ? "" : `, and the last of the burst's ports left TIME_WAIT ${f2(rec.allExpiredAfterSeconds)} s after it`) +
        `. Linux arms a ${T} s timer per TIME_WAIT socket on the kernel's timer wheel, which rounds a timeout up to its slot and never fires early` +
        (gran === null
          ? "."
          : `: at HZ = ${r.machine.hz} a ${T} s timer sits on a level whose slots are ${f2(gran)} s wide, so a port returns between ${T} and ${f2(T + gran)} s after its close.`) +
        " The model's T is therefore a lower bound of the real blocking time: measured TIME_WAIT populations sit slightly above R·T, and a planned utilisation u < 1 absorbs it.",
    );
  }
  notes.push(
    `- The over-rate onset is not a timing accident: the first failure was attempt ${r.over.firstFailure ? r.over.firstFailure.index + 1 : "—"}, i.e. exactly the first attempt after P = ${r.params.ports} successes, and it comes at P / R because no port leaves TIME_WAIT before T > P / R.`,
  );
  return notes.join("\n");
}

export function renderMarkdown(
  r: ExperimentReport,
  files: { readonly svg: string; readonly csv: string },
  endpointFiles: { readonly svg: string; readonly csv: string } = { svg: "capacity-endpoints.svg", csv: "capacity-endpoints.csv" },
): string {
  const { params, burst, under, over, machine } = r;
  const P = params.ports;
  const T = params.timeWaitSeconds;
  const rm = rmax(params);
  const onsetPredicted = predictedOnset(params, over.rate);
  const onsetMeasured = over.firstFailure?.atSeconds ?? Number.NaN;
  const rec = burst.recovery;
  const underPlateau = plateau(under, T + 5, under.durationSeconds);
  const satFrom = Math.ceil(onsetPredicted);
  const satWindowOk = successesBetween(over, satFrom, satFrom + T);
  const allOk = r.checks.every((c) => c.ok);
  const codes = (c: Record<string, number>): string =>
    Object.entries(c)
      .map(([k, v]) => `${k} × ${v}`)
      .join(", ") || "none";

  return `# Capacity model on a real TCP stack

Generated by \`npm run experiment:capacity\` (\`experiments/capacity/run.ts\`) on ${r.date}; do not edit
by hand, re-run the experiment. Raw TIME_WAIT samples: [\`${files.csv}\`](${files.csv}).

**Verdict: ${allOk ? "the model holds" : "CHECKS FAILED"}** (${r.checks.filter((c) => c.ok).length} of ${r.checks.length} checks pass; whole run ${f1(r.wallSeconds / 60)} min).

The model ([SETTINGS.md](SETTINGS.md#capacity-model); \`domain/capacity.ts\`): a pool of \`P\` ephemeral
ports sustains \`Rmax = P / T\` new connections per second, and at a rate \`R > Rmax\` drawn from it
the pool is exhausted after \`P / R\` seconds. Which connections share a pool decides the budget: by
default Windows gives the whole host one pool, whatever the destination; with an auto-reuse port
range each back-end endpoint gets its own. The first runs below use one endpoint, where the two
agree; [the two-endpoint runs](#two-back-end-endpoints-one-pool-per-host-or-a-pool-per-back-end)
tell them apart.

## Machine

| | |
|---|---|
| kernel (\`uname -r\`) | \`${machine.kernel}\` (${machine.arch}) |
| CPUs (\`nproc\`) | ${machine.nproc} (${machine.cpu}) |
| kernel HZ | ${machine.hz ?? "unknown"} |
| Node | ${machine.node} |
| date | ${r.date} |

## Set-up

Each run below gets a fresh private network namespace (\`unshare --net\`), which
dies with the run's process. Inside it: \`ip link set lo up\`, \`net.ipv4.ip_local_port_range =
${params.range.low} ${params.range.high}\`, \`net.ipv4.tcp_tw_reuse = 0\` (no early reuse of TIME_WAIT ports, as the model
assumes; the kernel's default, 2, lets connections over loopback reuse a TIME_WAIT port after about
a second and would hide the exhaustion on 127.0.0.1 altogether). Both sysctls are per network namespace: the run refuses to write one that is not
visible inside a private namespace (global \`net.*\` sysctls are not), re-reads the host's values
through descriptors opened in the host namespace right after writing, and the runner compares the
host's values before and after every run. Host before: \`${r.hostBefore.ipLocalPortRange}\` /
\`tcp_tw_reuse ${r.hostBefore.tcpTwReuse}\`; after: \`${r.hostAfter.ipLocalPortRange}\` / \`tcp_tw_reuse ${r.hostAfter.tcpTwReuse}\`.

Only 127.0.0.1 is used: a server listens on 127.0.0.1:${params.serverPort} (outside the ephemeral range) and
never closes first: it waits for its client's FIN and then closes its side. The client connects
and calls \`end()\` at once, so it performs the active close and the TIME_WAIT socket holds the
client's ephemeral port; \`ss -tan state time-wait\` confirms it (local port in the range, peer
127.0.0.1:${params.serverPort}; TIME_WAIT sockets elsewhere: ${burst.timeWaitAfterBurst.other} after the burst, at most ${under.maxOtherTimeWait} and ${over.maxOtherTimeWait} in the
sustained runs). The population is counted with that command about every ${params.sampleIntervalMs / 1000} s.

## Parameters

| symbol | value | |
|---|---|---|
| P | ${P} | ports ${params.range.low}–${params.range.high} |
| T | ${T} s | Linux's TIME_WAIT, \`TCP_TIMEWAIT_LEN\`: a compile-time constant, not a sysctl |
| Rmax = P / T | ${f2(rm)} /s | \`maxConnectionRate(${P}, ${T})\` |
| under-rate R | ${f2(under.rate)} /s | ${params.underFactor} × Rmax, for ${under.durationSeconds} s (${f1(under.durationSeconds / T)} × T), ${under.attempts} attempts |
| over-rate R | ${f2(over.rate)} /s | ${params.overFactor} × Rmax, for ${over.durationSeconds} s, ${over.attempts} attempts |
| predicted onset P / R | ${f2(onsetPredicted)} s | \`secondsToExhaustion(${P}, ${T}, ${f2(over.rate)})\` |

## Results

| run | predicted | measured | error |
|---|---|---|---|
| burst: connections before the first failure | ${P} | ${burst.successes}, then attempt ${burst.firstFailure?.attempt ?? "—"} fails with \`${burst.firstFailure?.code ?? "nothing"}\` | ${burst.successes === P ? "exact" : `${burst.successes - P}`} |
| burst: a connect succeeds again after | T = ${T} s | ${rec == null ? "not measured in this run" : rec.recoveredAfterSeconds == null ? "never (within the probe window)" : `${f2(rec.recoveredAfterSeconds)} s after the first close`} | ${rec?.recoveredAfterSeconds == null ? "—" : pct(percentError(rec.recoveredAfterSeconds, T))} |
| under-rate ${params.underFactor} × Rmax: failed connects | 0 | **${under.failures}** of ${under.attempts} | ${under.failures === 0 ? "exact" : "—"} |
${Number.isFinite(underPlateau) ? `| under-rate: TIME_WAIT plateau (mean over T + 5 s ≤ t ≤ ${under.durationSeconds} s) | R·T = ${f1(under.rate * T)} | ${f1(underPlateau)} | ${pct(percentError(underPlateau, under.rate * T))} |` : "| under-rate: TIME_WAIT plateau | R·T | (run shorter than T + 5 s) | — |"}
| over-rate ${params.overFactor} × Rmax: onset of failures | ${f2(onsetPredicted)} s | **${Number.isFinite(onsetMeasured) ? `${f2(onsetMeasured)} s` : "no failure"}** (attempt ${over.firstFailure ? over.firstFailure.index + 1 : "—"}, \`${over.firstFailure?.code ?? "—"}\`) | **${Number.isFinite(onsetMeasured) ? pct(percentError(onsetMeasured, onsetPredicted), 2) : "—"}** |
| over-rate: successes before the first failure | P = ${P} | ${over.successesBeforeFirstFailure} | ${over.successesBeforeFirstFailure === P ? "exact" : `${over.successesBeforeFirstFailure - P}`} |
${over.durationSeconds >= satFrom + T ? `| over-rate: successes in one T after saturation [${satFrom} s, ${satFrom + T} s) | P = ${P} (goodput Rmax) | ${satWindowOk} | ${pct(percentError(satWindowOk, P))} |` : "| over-rate: successes in one T after saturation | P | (run shorter than P / R + T) | — |"}

Burst details: the ${burst.successes} successful connections took ${f2(burst.burstSeconds)} s and ${burst.distinctLocalPorts} distinct
client ports, ${burst.allLocalPortsInRange ? "all" : "NOT all"} inside the range; right after them \`ss\` counted ${burst.timeWaitAfterBurst.client} client TIME_WAIT sockets.
${
  rec
    ? `Probing every 100 ms from ${f1(T - 10)} s on: ${rec.failedProbes} probes failed (${codes(rec.failedProbeCodes)}) before the
first success ${rec.recoveredAfterSeconds == null ? "(none)" : `${f2(rec.recoveredAfterSeconds)} s after the first connection closed (${f2(rec.recoveredAfterLastCloseSeconds ?? Number.NaN)} s after the last)`}.
\`ss\` (counting every 100 ms in that window) first saw fewer than P TIME_WAIT sockets ${rec.firstExpiryAfterSeconds == null ? "never" : `${f2(rec.firstExpiryAfterSeconds)} s after the first close`}, and the last of the burst's ports left TIME_WAIT ${rec.allExpiredAfterSeconds == null ? "never (within the window)" : `${f2(rec.allExpiredAfterSeconds)} s after it`}.`
    : "The recovery after T was not measured in this run."
}

Failures by error code: under-rate ${codes(under.failureCodes)}; over-rate ${codes(over.failureCodes)}.
Worst lateness of an attempt against its schedule: ${f1(under.maxScheduleLagMs)} ms (under-rate), ${f1(over.maxScheduleLagMs)} ms (over-rate).

### Observations

${observations(r)}

### Checks

| check | result | detail |
|---|---|---|
${r.checks.map((c) => `| ${c.name} | ${c.ok ? "pass" : "**FAIL**"} | ${c.detail} |`).join("\n")}

## Plot

![TIME_WAIT population over time, measured with ss against the model](${files.svg})

Blue: TIME_WAIT sockets held by the client, counted with \`ss -tan state time-wait\`. Orange,
dashed: the model. Red bars: failed connects per second. In saturation (over-rate, after T) the
kernel hands ports back in batches, one timer-wheel slot at a time, and the next attempts take them
again, so the measured population saws a few sockets below P between batches; a connect fails
whenever it comes when the batch just returned is used up.

### The model curve

Connections are attempted at a constant rate R from t = 0 and each successful one holds its port
for T seconds after its close, so the TIME_WAIT population at t is the number of successes in
(t − T, t]. As long as nothing has failed every attempt succeeds, giving \`N(t) = R · min(t, T)\`.
At or below Rmax that never exceeds P (R·T ≤ P), so it is the whole curve: a ramp to R·T at t = T,
then flat. Above Rmax the ramp hits P at \`t = P / R\` (< T), the first failure; from then on every
port that leaves TIME_WAIT is taken again at once (attempts arrive faster than ports return), so
\`N(t) = P\`. In one formula: **\`N(t) = min(R · min(t, T), P)\`**. In saturation the successes come
in bursts of P / R seconds once every T seconds, P per T window: the goodput is exactly
Rmax = P / T, whatever the attempt rate. For the burst (R → ∞, attempts only at t = 0) the curve is
P for t < T and 0 after.

${endpointsMarkdown(r, endpointFiles)}## Reproduce

As root on Linux with iproute2 (\`ip\`, \`ss\`) and util-linux (\`unshare\`):
\`npm run experiment:capacity\` (about ${Math.round(r.wallSeconds / 60)} minutes; rewrites this page, the plot and the CSV).
The burst case alone, with P = 64, and the two-endpoint burst in both modes run in a few seconds as part of \`npm test\`
(\`test/integration/capacity/burst.test.ts\`, same code in \`experiments/capacity/\`).

## Linux ↔ Windows

The experiment runs the same mechanism the article describes for Windows, with Linux's names. A
connect that finds no free ephemeral port towards the endpoint fails on Linux with
\`EADDRNOTAVAIL\` ("Cannot assign requested address"); on Windows with \`WSAEADDRINUSE\` (10048),
the error KB 319502 reports. The port pool \`net.ipv4.ip_local_port_range\` (here ${params.range.low}–${params.range.high},
P = ${P}) is Windows' dynamic port range (\`netsh int ipv4 set dynamicport tcp start=N num=M\`,
P = num, ${WINDOWS_DEFAULTS.dynamicPortRangeCount} by default on Server 2008 and later), or on Windows 2003 and earlier
${HIGHEST_RESERVED_PORT + 1}..\`MaxUserPort\` (P = MaxUserPort − ${HIGHEST_RESERVED_PORT}, ${legacyUsablePorts(MAX_USER_PORT.min)} with the legacy default). The TIME_WAIT time is a fixed
60 s on Linux (\`TCP_TIMEWAIT_LEN\`; \`tcp_fin_timeout\` is FIN_WAIT_2's, not TIME_WAIT's) and
\`TcpTimedWaitDelay\` on Windows (${formatRange(TCP_TIMED_WAIT_DELAY)} as this project enforces, ${WINDOWS_DEFAULTS.tcpTimedWaitDelay} s when absent on Server 2003
and later, 240 s on Windows 2000). \`tcp_tw_reuse = 0\` switches off Linux's timestamp-based early
reuse of TIME_WAIT ports for new outgoing connections, so a port stays blocked for the full T as in
the model. With those substitutions Rmax = P / T and the exhaustion time P / R carry over
unchanged: the article's P = ${legacyUsablePorts(MAX_USER_PORT.min)} and T = 240 s give Rmax ≈ ${f1(maxConnectionRate(legacyUsablePorts(MAX_USER_PORT.min), 240))} connections/s for the whole host,
all back ends together (Windows' default). A socket bound before \`connect()\` is Linux's way to
get Windows' default; a plain \`connect()\` is Linux's way to get what Windows' auto-reuse port
range gives (\`Set-NetTCPSetting -AutoReusePortRange...\`, for connections made without \`bind()\`).

## Assumptions of the model

- Each host opens its IMAP connections from its own private address, straight to the back ends
  inside the virtual network (or a peered one): nothing translates the source address on the way,
  so every host has its own \`P\` ports (one pool for all its back ends by default, or \`R\` per back
  end with an auto-reuse port range). The stack's NAT gateway
  (\`mailhost:egress\`) does not change that: Azure NAT gateway translates only traffic to
  destinations outside the virtual network, so it carries just the hosts' own outbound traffic
  (Windows activation, the VM agent and its extensions, Azure Monitor, updates). Were the back ends
  reached at public addresses through a NAT gateway, the whole subnet would share the gateway's SNAT
  ports (64,512 per public IP, at most 50,000 concurrent connections to one destination IP and port
  per public IP, with a reuse cool-down after a connection closes; see
  https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource): the budget would be the
  gateway's addresses for the whole fleet, not \`P\` per host, and the port exhaustion would move
  there instead of going away. The model does not cover that case.
- The client closes first, so its side holds TIME_WAIT for \`T\`; the load spreads evenly over the
  \`B\` back-end endpoints.
`;
}

// ---------------------------------------------------------------------------------------------
// Two back-end endpoints: one pool per host (bind before connect) or a pool per endpoint (plain connect)

const SHARING_TEXT: Record<Sharing, string> = {
  bindFirst: "bound to port 0 before connect() (Windows' default: one pool per host)",
  plainConnect: "plain connect() (the auto-reuse behaviour: a pool per endpoint)",
};

/** The model's predictions for one two-endpoint run, in the mode it ran. */
export function endpointsPrediction(params: CapacityParameters, run: EndpointsResult): { burst: number; onset: number; sustainable: number } {
  return {
    burst: predictedBurstSuccesses(run.sharing, params, run.endpoints),
    onset: run.rate === null ? Number.NaN : predictedOnsetFor(run.sharing, params, run.endpoints, run.rate),
    sustainable: sustainableTotalRate(run.sharing, params, run.endpoints),
  };
}

/** Tolerance the report states for a predicted onset of failures, in percent. */
export const ONSET_TOLERANCE_PERCENT = 10;

/** The checks of the two-endpoint runs: exact burst counts, onsets within the tolerance, no failure where the model says it holds. */
export function endpointsChecks(params: CapacityParameters, e: EndpointsReport): Check[] {
  const checks: Check[] = [];
  for (const run of [e.burstBindFirst, e.burstPlainConnect]) {
    const want = endpointsPrediction(params, run).burst;
    checks.push({
      name: `two endpoints, ${run.sharing} burst: ${want} succeed, then a failure`,
      ok:
        run.successes === want &&
        run.firstFailure?.attempt === want + 1 &&
        run.portsSharedAcrossEndpoints === (run.sharing === "bindFirst" ? 0 : run.distinctLocalPorts),
      detail: `${run.successes} succeeded (${run.successesPerEndpoint.join(" + ")}); attempt ${run.firstFailure?.attempt ?? "—"}: ${run.firstFailure?.code ?? "no failure"}; ports serving both endpoints: ${run.portsSharedAcrossEndpoints} of ${run.distinctLocalPorts}`,
    });
  }
  for (const run of [e.bindFirstSameRate, e.plainConnectOver]) {
    const onset = endpointsPrediction(params, run).onset;
    const error = run.firstFailure ? percentError(run.firstFailure.atSeconds, onset) : Number.NaN;
    checks.push({
      name: `two endpoints, ${run.sharing} at ${f2(run.rate ?? 0)}/s: onset within ${ONSET_TOLERANCE_PERCENT} % of the prediction`,
      ok: Number.isFinite(error) && Math.abs(error) <= ONSET_TOLERANCE_PERCENT,
      detail: run.firstFailure ? `${f2(run.firstFailure.atSeconds)} s vs ${f2(onset)} s (${f2(error)} %), ${run.firstFailure.code}` : "no failure",
    });
  }
  const hold = e.plainConnectSameRate;
  checks.push({
    name: `two endpoints, plainConnect at ${f2(hold.rate ?? 0)}/s (above one pool's P / T) for ≥ 2 T: zero failures`,
    ok: hold.failures === 0 && hold.attempts > 0 && (hold.durationSeconds ?? 0) >= 2 * params.timeWaitSeconds,
    detail: `${hold.failures} of ${hold.attempts} failed over ${hold.durationSeconds} s`,
  });
  checks.push({
    name: "two endpoints: no TIME_WAIT outside the client side",
    ok: [e.burstBindFirst, e.burstPlainConnect, e.bindFirstSameRate, e.plainConnectSameRate, e.plainConnectOver].every((run) => run.maxOtherTimeWait === 0),
    detail: `max other: ${[e.burstBindFirst, e.burstPlainConnect, e.bindFirstSameRate, e.plainConnectSameRate, e.plainConnectOver].map((run) => run.maxOtherTimeWait).join(", ")}`,
  });
  return checks;
}

export function renderEndpointsCsv(r: ExperimentReport): string {
  const lines = ["run,sharing,rate_per_s,t_seconds,timewait_client,timewait_other,model_population"];
  const e = r.endpoints;
  if (e !== undefined) {
    const runs: Array<[string, EndpointsResult]> = [
      ["bindFirst-same-rate", e.bindFirstSameRate],
      ["plainConnect-same-rate", e.plainConnectSameRate],
      ["plainConnect-over", e.plainConnectOver],
    ];
    for (const [key, run] of runs) {
      for (const s of run.samples) {
        lines.push(
          `${key},${run.sharing},${(run.rate ?? 0).toFixed(4)},${s.t.toFixed(3)},${s.client},${s.other},${modelEndpointsPopulation(run.sharing, r.params, run.endpoints, run.rate ?? 0, s.t).toFixed(2)}`,
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

export function renderEndpointsSvg(r: ExperimentReport): string {
  const e = r.endpoints;
  if (e === undefined) return "";
  const { params } = r;
  const P = params.ports;
  const T = params.timeWaitSeconds;
  const B = e.serverPorts.length;
  const yMax = Math.ceil((B * P * 1.15) / 10) * 10;
  const width = 960;
  const panelHeight = 280;
  const measured = "#1f77b4";
  const model = "#ff7f0e";
  const other = "#2ca02c";
  const grey = "#7f7f7f";
  const otherMode = (s: Sharing): Sharing => (s === "bindFirst" ? "plainConnect" : "bindFirst");
  const panel = (run: EndpointsResult): Panel => {
    const rate = run.rate ?? 0;
    const duration = run.durationSeconds ?? 0;
    const onset = predictedOnsetFor(run.sharing, params, B, rate);
    const markers: Marker[] = [{ x: T, color: grey, label: `T = ${T} s` }];
    if (Number.isFinite(onset)) markers.push({ x: onset, color: model, label: `predicted onset ${f1(onset)} s` });
    if (run.firstFailure) markers.push({ x: run.firstFailure.atSeconds, color: "#d62728", label: `first failure ${f2(run.firstFailure.atSeconds)} s` });
    return {
      title: `${run.sharing}, ${B} endpoints, R = ${f2(rate)}/s in total: ${run.failures} of ${run.attempts} failed`,
      xMax: duration,
      yMax,
      lines: [
        {
          points: [
            [0, P],
            [duration, P],
          ],
          color: grey,
          width: 1,
          dash: "6,4",
          label: `P = ${P}`,
        },
        {
          points: [
            [0, B * P],
            [duration, B * P],
          ],
          color: grey,
          width: 1,
          dash: "2,4",
          label: `B·P = ${B * P}`,
        },
        {
          points: sampled((t) => modelEndpointsPopulation(otherMode(run.sharing), params, B, rate, t), 0, duration, 0.25),
          color: other,
          width: 1,
          dash: "3,3",
          label: `the other model (${otherMode(run.sharing)})`,
        },
        {
          points: sampled((t) => modelEndpointsPopulation(run.sharing, params, B, rate, t), 0, duration, 0.25),
          color: model,
          width: 2,
          dash: "7,4",
          label: `model for ${run.sharing}`,
        },
        { points: run.samples.map((s) => [s.t, s.client] as const), color: measured, width: 2, label: "measured (ss, both endpoints)" },
      ],
      markers,
    };
  };
  const panels = [panel(e.bindFirstSameRate), panel(e.plainConnectSameRate), panel(e.plainConnectOver)];
  const height = panels.length * panelHeight + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" font-size="16" text-anchor="middle">Two back-end endpoints: one pool per host or a pool per endpoint — Linux ${escapeXml(r.machine.kernel)}, ${r.date.slice(0, 10)}</text>`,
    panels.map((p, i) => renderPanel(p, 30 + i * panelHeight, width, panelHeight)).join("\n"),
    "</svg>",
    "",
  ].join("\n");
}

/** The markdown section of the two-endpoint runs. */
export function endpointsMarkdown(r: ExperimentReport, files: { readonly svg: string; readonly csv: string }): string {
  const e = r.endpoints;
  if (e === undefined) return "";
  const { params } = r;
  const P = params.ports;
  const B = e.serverPorts.length;
  const hostRate = sustainableTotalRate("bindFirst", params, B);
  const row = (run: EndpointsResult): string => {
    const want = endpointsPrediction(params, run);
    if (run.rate === null) {
      return `| ${run.sharing} burst | ${want.burst} succeed, then a failure | ${run.successes} (${run.successesPerEndpoint.join(" + ")}), attempt ${run.firstFailure?.attempt ?? "—"} fails with \`${run.firstFailure?.code ?? "—"}\`; ${run.portsSharedAcrossEndpoints} of ${run.distinctLocalPorts} ports served both endpoints | ${run.successes === want.burst ? "exact" : `${run.successes - want.burst}`} |`;
    }
    const onset = Number.isFinite(want.onset) ? `failures from ${f2(want.onset)} s` : "no failure";
    const measured = run.firstFailure
      ? `first failure **${f2(run.firstFailure.atSeconds)} s** (\`${run.firstFailure.code}\`), ${run.failures} of ${run.attempts} failed`
      : `**${run.failures}** of ${run.attempts} failed`;
    const error =
      run.firstFailure && Number.isFinite(want.onset)
        ? `**${pct(percentError(run.firstFailure.atSeconds, want.onset), 2)}**`
        : run.failures === 0 && !Number.isFinite(want.onset)
          ? "exact"
          : "—";
    return `| ${run.sharing} at ${f2(run.rate)}/s in total (${f2(run.rate / B)}/s per endpoint), ${run.durationSeconds} s | sustainable up to ${f2(want.sustainable)}/s in total: ${onset} | ${measured} | ${error} |`;
  };
  return `## Two back-end endpoints: one pool per host or a pool per back end

The runs above use one endpoint, where both readings of the model predict the same. These runs use
two, 127.0.0.1:${e.serverPorts.join(" and 127.0.0.1:")}, with attempts alternating between them, in the two
ways a client can take its local port:

- **${SHARING_TEXT.bindFirst}**: Node binds the socket to 127.0.0.1, port 0, before
  \`connect()\` (\`localAddress\`). Linux then picks a port free for every destination, so a port in
  TIME_WAIT towards one endpoint is not handed out for the other: one pool of P ports for the host.
  That is Windows' default: without an auto-reuse port range every outbound connection draws from
  the dynamic range, whatever the destination.
- **${SHARING_TEXT.plainConnect}**: Linux picks a port whose 4-tuple is unique, so one port serves
  both endpoints: P ports per endpoint. That is what Windows does for connections that use its
  auto-reuse port range (\`tcp.autoReusePortRange\`).

The corrected model (\`domain/capacity.ts\`, via \`experiments/capacity/model.ts\`) predicts: one pool
sustains P / T = ${f2(hostRate)}/s for the host and runs out after P / R at a total rate R above it;
a pool per endpoint sustains ${B} × P / T = ${f2(sustainableTotalRate("plainConnect", params, B))}/s and runs out after P / (R / ${B}). Tolerance: burst
counts exact, onsets within ${ONSET_TOLERANCE_PERCENT} % (as above), zero failures where the model says the rate holds.
The same total rate, ${e.sameRateFactor} × P / T, separates the two: above one pool's budget, below the
budget of a pool per endpoint.

| run | predicted | measured | error |
|---|---|---|---|
${[e.burstBindFirst, e.burstPlainConnect, e.bindFirstSameRate, e.plainConnectSameRate, e.plainConnectOver].map(row).join("\n")}

A bound socket that finds no free port fails in \`bind()\` with \`EADDRINUSE\` (Windows' error for
the same case is WSAEADDRINUSE, 10048); a plain \`connect()\` fails with \`EADDRNOTAVAIL\`.

![TIME_WAIT population over both endpoints, measured with ss against the model of each mode](${files.svg})

Blue: TIME_WAIT sockets held by the client towards either endpoint. Orange, dashed: the model of
the mode that ran. Green, dotted: the other mode's model, for contrast. Raw samples:
[\`${files.csv}\`](${files.csv}). With one pool the population stops at P = ${P} whatever the
number of endpoints; with a pool per endpoint it reaches up to ${B} × P = ${B * P}.

`;
}
