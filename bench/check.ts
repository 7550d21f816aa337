/**
 * `npm run bench`: `mailhost check` against naive mock execution on synthetic stacks of 1, 10,
 * 100 and 1,000 hosts (copies of prod), and, when a base commit is named, against the check of
 * that commit, the runs interleaved (check, base check, naive, check, ...) so that all see the
 * same machine load. Prints, per size, the median wall time, CPU time (user + system, the policy
 * pack included) and peak RSS of each (from /usr/bin/time), their ratios, and the share of the
 * check's wall time the policy pack spent on CPU; writes the results to docs/BENCHMARKS.md between
 * the markers `<!-- check-bench:begin -->` and `<!-- check-bench:end -->` (the rest of the file is
 * left as it is). A benchmark, not a test.
 *
 * Environment:
 *   BENCH_RUNS   runs per size and program (default 5)
 *   BENCH_SIZES  host counts (default "1,10,100,1000")
 *   BENCH_BASE   a git commit (sha, tag, branch) to compare with: its tree is exported to a
 *                temporary directory (`git archive`), installed with `npm ci` (which builds it)
 *                and kept in the temporary directory for the next run with the same commit
 *   BENCH_NO_DOC set to 1 to leave docs/BENCHMARKS.md alone
 * `--base <commit>` on the command line does the same as BENCH_BASE.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { BEGIN, END, GOAL } from "../scripts/checkBenchDoc";

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? "1,10,100,1000").split(",").map(Number);
const TIME = "/usr/bin/time";
const DOC = path.join(ROOT, "docs", "BENCHMARKS.md");

interface Sample {
  wallS: number;
  cpuS: number;
  rssMb: number;
  packCpuMs?: number;
  resources?: number;
  afterProgramMs?: number;
}

/** Acceptance at 1,000 hosts against the base commit and naive execution (CPU, user + system). */
const TARGET = { cpuBelowBase: 0.35, naiveOverCheck: 5 };

function measure(args: string[], cwd: string): Sample {
  const r = spawnSync(TIME, ["-f", "TIME %e %U %S %M", process.execPath, ...args], { cwd, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${args.join(" ")}:\n${r.stderr.slice(-2000)}`);
  // CPU: user + system of the process and of the children it waited for (the policy pack).
  const sample: Sample = { wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 2 ** 10 };
  try {
    const json = JSON.parse(r.stdout);
    if (json.stacks) {
      if (json.stacks[0].status !== "passed") throw new Error(`check did not pass: ${r.stdout.slice(0, 2000)}`);
      sample.packCpuMs = json.timings.packCpuMs ?? undefined;
      sample.afterProgramMs = json.stacks[0].timings.analysisMs;
      sample.resources = json.stacks[0].resourceCount;
    } else sample.resources = json.resources;
  } catch (err) {
    throw new Error(`${args.join(" ")}: ${(err as Error).message}\n${r.stdout.slice(0, 500)}${r.stderr.slice(-1000)}`, { cause: err });
  }
  return sample;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A checkout of `commit` (exported with `git archive`, installed and built with `npm ci`), reused when present. */
function prepareBase(commit: string): { dir: string; sha: string } {
  const sha = execFileSync("git", ["rev-parse", "--verify", `${commit}^{commit}`], { cwd: ROOT, encoding: "utf8" }).trim();
  const dir = path.join(os.tmpdir(), `mailhost-bench-base-${sha.slice(0, 12)}`);
  if (fs.existsSync(path.join(dir, "dist", ".stamp"))) return { dir, sha };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`base ${sha.slice(0, 12)}: exporting to ${dir} and running npm ci (builds it)`);
  const tar = spawnSync("git", ["archive", "--format=tar", sha], { cwd: ROOT, maxBuffer: 2 ** 30 });
  if (tar.status !== 0) throw new Error(`git archive ${sha} failed: ${tar.stderr.toString()}`);
  execFileSync("tar", ["-x", "-C", dir], { input: tar.stdout });
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
  if (!fs.existsSync(path.join(dir, "dist", ".stamp"))) execFileSync("npm", ["run", "build", "--silent"], { cwd: dir, stdio: "inherit" });
  return { dir, sha };
}

function checkArgs(root: string, dir: string, stack: string): string[] {
  return [
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
}

/** Replaces the text between the markers (adding them at the end when missing); the rest is kept. */
export function replaceSection(doc: string, section: string): string {
  const block = `${BEGIN}\n${section.trimEnd()}\n${END}`;
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  if (b >= 0 && e > b) return doc.slice(0, b) + block + doc.slice(e + END.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

interface Stats {
  wall: number;
  cpu: number;
  rss: number;
  pack: number;
  after: number;
}

function stats(samples: Sample[]): Stats {
  return {
    wall: median(samples.map((s) => s.wallS)),
    cpu: median(samples.map((s) => s.cpuS)),
    rss: median(samples.map((s) => s.rssMb)),
    pack: median(samples.map((s) => (s.packCpuMs ?? 0) / 1000)),
    after: median(samples.map((s) => (s.afterProgramMs ?? 0) / 1000)),
  };
}

const pct = (x: number) => `${Math.round(100 * x)}%`;

function main(): void {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is needed (Debian package "time")`);
  const { values } = parseArgs({ options: { base: { type: "string" } } });
  const baseCommit = values.base ?? process.env.BENCH_BASE;
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  const base = baseCommit ? prepareBase(baseCommit) : undefined;
  const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
  const headName = `${head}${dirty ? " with uncommitted changes" : ""}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-bench-"));
  const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
  // One unmeasured run of each check first: the first start of a pack compiles its TypeScript
  // (ts-node keeps the result in its cache), which later runs do not pay.
  {
    const stack = "benchwarmup";
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), prod.replace(/hostCount: \d+/, "hostCount: 1"));
    measure(checkArgs(ROOT, dir, stack), ROOT);
    if (base) measure(checkArgs(base.dir, dir, stack), base.dir);
  }
  const rows: string[] = [];
  const baseRows: string[] = [];
  const summary: string[] = [];
  for (const hosts of SIZES) {
    const stack = `bench${hosts}`;
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), prod.replace(/hostCount: \d+/, `hostCount: ${hosts}`));
    const check: Sample[] = [];
    const before: Sample[] = [];
    const naive: Sample[] = [];
    // Interleaved, so that a change in the machine's load touches all three alike.
    for (let i = 0; i < RUNS; i++) {
      check.push(measure(checkArgs(ROOT, dir, stack), ROOT));
      if (base) before.push(measure(checkArgs(base.dir, dir, stack), base.dir));
      naive.push(measure(["--import", "tsx", path.join(ROOT, "bench", "naive.ts"), dir, stack], ROOT));
      console.log(
        `  ${hosts} hosts, run ${i + 1}/${RUNS}: check ${check[i].wallS.toFixed(2)} s wall, ${check[i].cpuS.toFixed(1)} s CPU${base ? `; base ${before[i].wallS.toFixed(2)} s wall, ${before[i].cpuS.toFixed(1)} s CPU` : ""}; naive ${naive[i].wallS.toFixed(2)} s wall, ${naive[i].cpuS.toFixed(1)} s CPU`,
      );
    }
    const c = stats(check);
    const n = stats(naive);
    const row = `| ${hosts.toLocaleString("en-US")} | ${check[0].resources} | ${c.wall.toFixed(2)} s | ${c.cpu.toFixed(1)} s | ${Math.round(c.rss)} MB | ${c.pack.toFixed(2)} s (${Math.round((100 * c.pack) / c.wall)}%) | ${c.after.toFixed(2)} s | ${n.wall.toFixed(2)} s | ${n.cpu.toFixed(1)} s | ${Math.round(n.rss)} MB | ${(n.wall / c.wall).toFixed(1)}× | ${(n.cpu / c.cpu).toFixed(1)}× | ${(n.rss / c.rss).toFixed(1)}× |`;
    rows.push(row);
    console.log(row);
    let b: Stats | undefined;
    if (base) {
      b = stats(before);
      const baseRow = `| ${hosts.toLocaleString("en-US")} | ${c.wall.toFixed(2)} s | ${b.wall.toFixed(2)} s | ${(b.wall / c.wall).toFixed(2)}× | ${c.cpu.toFixed(1)} s | ${b.cpu.toFixed(1)} s | ${pct(1 - c.cpu / b.cpu)} | ${Math.round(c.rss)} MB | ${Math.round(b.rss)} MB |`;
      baseRows.push(baseRow);
      console.log(baseRow);
    }
    if (hosts === GOAL.hosts) {
      const time =
        c.wall <= GOAL.wallS ? "met" : `**not met**: ${(c.wall - GOAL.wallS).toFixed(1)} s (${Math.round((100 * (c.wall - GOAL.wallS)) / GOAL.wallS)}%) over`;
      const memory = c.rss <= GOAL.rssMb ? "met" : "**not met**";
      const runs = check.map((s) => `${s.wallS.toFixed(2)} s`).join(", ");
      summary.push(
        `Against the goal at ${GOAL.hosts.toLocaleString("en-US")} hosts: time ${c.wall.toFixed(2)} s against ${GOAL.wallS} s, ${time} (the ${RUNS} runs: ${runs}); memory ${Math.round(c.rss)} MB against 1 GB, ${memory}. The check used ${c.cpu.toFixed(1)} s of CPU in all (its process, its threads and the pack): on ${os.cpus().length} cores no schedule finishes in less than ${(c.cpu / os.cpus().length).toFixed(1)} s.`,
      );
      const naiveCpu = n.cpu / c.cpu >= TARGET.naiveOverCheck ? "met" : "**not met**";
      summary.push(
        `Against naive mock execution of the same program (no policy analysis): ${(n.cpu / c.cpu).toFixed(1)}× the check's CPU (${n.cpu.toFixed(1)} s against ${c.cpu.toFixed(1)} s; target at least ${TARGET.naiveOverCheck}×: ${naiveCpu}), ${(n.wall / c.wall).toFixed(1)}× its wall time and ${(n.rss / c.rss).toFixed(1)}× its memory.`,
      );
      if (b && base) {
        const lower = 1 - c.cpu / b.cpu;
        const met = lower >= TARGET.cpuBelowBase ? "met" : "**not met**";
        summary.push(
          `Against the base commit ${base.sha.slice(0, 12)}: CPU ${c.cpu.toFixed(1)} s against ${b.cpu.toFixed(1)} s, ${pct(lower)} lower (target at least ${pct(TARGET.cpuBelowBase)}: ${met}); wall ${c.wall.toFixed(2)} s against ${b.wall.toFixed(2)} s (base / check ${(b.wall / c.wall).toFixed(2)}×); peak RSS ${Math.round(c.rss)} MB against ${Math.round(b.rss)} MB (target under 1 GB: ${c.rss < GOAL.rssMb ? "met" : "**not met**"}). Base runs, CPU: ${before.map((s) => `${s.cpuS.toFixed(1)} s`).join(", ")}; check runs, CPU: ${check.map((s) => `${s.cpuS.toFixed(1)} s`).join(", ")}.`,
        );
      }
      for (const line of summary) console.log(line);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.+)/)?.[1] ?? os.cpus()[0]?.model ?? "unknown CPU";
  const baseTable = base
    ? `

The same runs against the check of the base commit ${base.sha.slice(0, 12)} (built from its own tree, with its own pack and policy config for prod):

| hosts | check: wall | base: wall | base / check: wall | check: CPU | base: CPU | CPU lower than base | check: peak RSS | base: peak RSS |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${baseRows.join("\n")}`
    : "";
  const section = `\`npm run bench\` (bench/check.ts): \`mailhost check\` (validate, run the program offline under
Pulumi's mock runtime, analyse every resource and the stack with the policy pack over the analyzer
protocol) against naive mock execution of the same program (tsx, azure-native aliases kept, no
policy analysis: bench/naive.ts)${base ? " and against the check of a base commit (`BENCH_BASE`)" : ""}, on copies of the prod stack with 1 to 1,000 hosts
(about eight resources a host: NIC, VM, tuning, agent, rule association and their components). Median of ${RUNS} runs each, the programs' runs interleaved, from one run of
the benchmark, at ${headName}; wall time, CPU time and peak RSS from \`/usr/bin/time\`. "CPU" is user +
system time of the process, its threads and the children it waited for (the check's policy pack);
the RSS is the CLI's process (the pack runs in its own, much smaller one). "Pack CPU" is what the
pack's process used (start-up and analysis) and its share of the check's wall time. "After the
program" is the time from the program's last registration to the verdict: the Analyze calls still
in flight, then AnalyzeStack.

Machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.
The machine is shared and noisy: the same command varies by 10–30% from one minute to the next.
Goal: a 1,000-host stack checked, policy analysis included, in at most 10 s and 1 GB per process.

| hosts | resources | check: wall | check: CPU | check: peak RSS | pack CPU (share of wall) | after the program | naive: wall | naive: CPU | naive: peak RSS | naive / check: time | naive / check: CPU | naive / check: RSS |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}${baseTable}

${summary.join("\n\n")}
`;
  if (process.env.BENCH_NO_DOC === "1") return;
  const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "# Benchmarks\n";
  fs.writeFileSync(DOC, replaceSection(doc, section));
  console.log(`wrote docs/BENCHMARKS.md (between ${BEGIN} and ${END})`);
}

if (require.main === module) main();
