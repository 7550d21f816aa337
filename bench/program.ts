/**
 * `npm run bench:program`: the program thread alone. Runs the compiled mailhost program under the
 * mock runtime for a copy of the prod stack with N hosts, as `mailhost check`'s program thread
 * does but without the policy pack and the analyzer client (bench/programRun.cjs), in a fresh
 * process per run, and prints the CPU time (user + system, all of the process's threads) of
 * loading the SDK and the program, and of the run; median of the runs. `--cpu-prof` adds one run
 * under `node --cpu-prof`, summarized by component and function.
 *
 * Usage: tsx bench/program.ts [--hosts 1000] [--runs 5] [--cpu-prof] [--no-build]
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { printProfile, profilesIn, summarizeProfile } from "./cpuProfile";
import { writeBenchStack } from "./stream";

const ROOT = path.join(__dirname, "..");

interface ProgramSample {
  resources: number;
  loadCpuMs: number;
  loadWallMs: number;
  runCpuMs: number;
  runWallMs: number;
  peakRssMb: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function runOnce(dir: string, stack: string, nodeArgs: string[] = []): ProgramSample {
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(__dirname, "programRun.cjs"), dir, stack], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`bench/programRun.cjs failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ProgramSample;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      hosts: { type: "string", default: "1000" },
      runs: { type: "string", default: "5" },
      "cpu-prof": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
    },
  });
  if (!values["no-build"]) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  const hosts = Number(values.hosts);
  const runs = Number(values.runs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-bench-"));
  try {
    const stack = writeBenchStack(ROOT, dir, hosts);
    const samples: ProgramSample[] = [];
    for (let i = 0; i < runs; i++) {
      const s = runOnce(dir, stack);
      samples.push(s);
      console.log(
        `  run ${i + 1}: ${s.resources} resources; load ${(s.loadCpuMs / 1000).toFixed(2)} s CPU; run ${(s.runCpuMs / 1000).toFixed(2)} s CPU, ${(s.runWallMs / 1000).toFixed(2)} s wall; peak RSS ${Math.round(s.peakRssMb)} MB`,
      );
    }
    const m = (f: (s: ProgramSample) => number) => median(samples.map(f));
    console.log(
      `program thread alone, ${hosts} hosts, median of ${runs}: load ${(m((s) => s.loadCpuMs) / 1000).toFixed(2)} s CPU, run ${(m((s) => s.runCpuMs) / 1000).toFixed(2)} s CPU (${(m((s) => s.runWallMs) / 1000).toFixed(2)} s wall), peak RSS ${Math.round(m((s) => s.peakRssMb))} MB`,
    );
    if (values["cpu-prof"]) {
      const profDir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-program-prof-"));
      runOnce(dir, stack, ["--cpu-prof", "--cpu-prof-dir", profDir]);
      for (const f of profilesIn(profDir)) printProfile(`program profile (${f})`, summarizeProfile(f), 30);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
