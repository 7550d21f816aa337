/**
 * CPU cost of reading script text: `mailhost check` on a runCommand copy of prod (so every host's
 * run command carries script text) at BENCH_HOSTS hosts (default 1,000), run alternately from this
 * checkout and from a baseline checkout (BENCH_BASELINE: a built copy of the commit before the
 * change, with node_modules), BENCH_RUNS times each (default 5). Prints each run and the medians of
 * CPU time (user + system of the check and the policy pack it waited for, from /usr/bin/time) and
 * wall time. BENCH_CHANGE: a built copy of the change (default: this checkout; a frozen copy keeps
 * edits made meanwhile out of the figures). A benchmark, not a test.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = process.env.BENCH_CHANGE ?? path.join(__dirname, "..");
const BASELINE = process.env.BENCH_BASELINE;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);

interface Sample {
  wallS: number;
  cpuS: number;
  packCpuS?: number;
}

function measure(root: string, dir: string, stack: string): Sample {
  const args = [
    path.join(root, "bin", "mailhost.js"),
    "check",
    "--stack",
    stack,
    "--cwd",
    dir,
    "--format",
    "json",
    "--policy-pack-config",
    path.join(root, "policies", "config", "prod.json"),
  ];
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", process.execPath, ...args], { cwd: root, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${root}:\n${r.stderr.slice(-2000)}`);
  const json = JSON.parse(r.stdout);
  if (json.stacks?.[0]?.status !== "passed") throw new Error(`check did not pass in ${root}: ${r.stdout.slice(0, 2000)}`);
  return {
    wallS: Number(m[1]),
    cpuS: Number(m[2]) + Number(m[3]),
    packCpuS: json.timings?.packCpuMs === undefined ? undefined : json.timings.packCpuMs / 1000,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(): void {
  if (BASELINE === undefined) throw new Error("set BENCH_BASELINE to a built checkout of the commit before the change");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-bench-script-"));
  const stack = `runcmd${HOSTS}`;
  const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), prod.replace(/hostCount: \d+/, `hostCount: ${HOSTS}`).replace(/tuning: dsc/, "tuning: runCommand"));
  const samples: Record<"baseline" | "change", Sample[]> = { baseline: [], change: [] };
  // Warm-up of each side (ts-node's compile cache, the file cache), then alternate.
  measure(BASELINE, dir, stack);
  measure(ROOT, dir, stack);
  for (let i = 0; i < RUNS; i++) {
    for (const [side, root] of (i % 2 === 0
      ? [
          ["baseline", BASELINE],
          ["change", ROOT],
        ]
      : [
          ["change", ROOT],
          ["baseline", BASELINE],
        ]) as Array<["baseline" | "change", string]>) {
      const s = measure(root, dir, stack);
      samples[side].push(s);
      console.log(`${side} run ${i + 1}: CPU ${s.cpuS.toFixed(2)} s, wall ${s.wallS.toFixed(2)} s, pack CPU ${s.packCpuS?.toFixed(2) ?? "?"} s`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const b = {
    cpu: median(samples.baseline.map((s) => s.cpuS)),
    wall: median(samples.baseline.map((s) => s.wallS)),
    pack: median(samples.baseline.map((s) => s.packCpuS ?? 0)),
  };
  const c = {
    cpu: median(samples.change.map((s) => s.cpuS)),
    wall: median(samples.change.map((s) => s.wallS)),
    pack: median(samples.change.map((s) => s.packCpuS ?? 0)),
  };
  console.log(
    `median of ${RUNS} runs each at ${HOSTS} hosts: CPU ${b.cpu.toFixed(2)} s → ${c.cpu.toFixed(2)} s (${((100 * (c.cpu - b.cpu)) / b.cpu).toFixed(1)}%); wall ${b.wall.toFixed(2)} s → ${c.wall.toFixed(2)} s; pack CPU ${b.pack.toFixed(2)} s → ${c.pack.toFixed(2)} s`,
  );
}

main();
