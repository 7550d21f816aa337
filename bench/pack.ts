/**
 * `npm run bench:pack`: the policy pack alone. Records the requests `mailhost check` sends the pack
 * for a copy of the prod stack with N hosts (bench/stream.ts), then replays them against the pack
 * started as the check starts it (engine/analyzer.ts `PolicyPackProcess`, prod's policy config),
 * a fresh pack per run, and prints the pack process's CPU time (user + system, from /proc): start-up
 * (until configured), the Analyze calls, the AnalyzeStack call; median of the runs.
 *
 * Usage: tsx bench/pack.ts [--hosts 1000] [--runs 5] [--stream FILE] [--record] [--cpu-prof] [--in-flight 4096] [--pack DIR]
 *   --stream  the recording (default: <tmp>/mailhost-bench/stream-<hosts>.bin, recorded when missing)
 *   --record  record again even if the file exists
 *   --cpu-prof  one more run under `node --cpu-prof`, summarized by component and function
 *   --in-flight  Analyze calls sent before their answers are awaited (default: the check's)
 *   --pack  another pack directory to replay against (default: the repository's pack, policies/);
 *           bench/packs/merged is the library's rules merged into one policy per kind and level
 * Pack changes are measured by replaying the same recording before and after.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { type PolicyPackConfig, PolicyPackProcess } from "../engine/analyzer";
import { DEFAULT_MAX_IN_FLIGHT, POLICY_PACK_DIR, stackConfigurationOf } from "../engine/policyCheck";
import { readStackFile } from "../stack/stackFile";
import { printProfile, profilesIn, summarizeProfile } from "./cpuProfile";
import { readStream, recordStream, type RecordedStream, writeBenchStack, writeStream } from "./stream";

const ROOT = path.join(__dirname, "..");

export interface PackSample {
  /** Pack CPU, ms: start-up until configured, the Analyze calls, the AnalyzeStack call. */
  readonly startMs: number;
  readonly analyzeMs: number;
  readonly analyzeStackMs: number;
  readonly wallMs: number;
  readonly diagnostics: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function call(
  client: analyzerGrpc.AnalyzerClient,
  method: { path: string; responseDeserialize: (b: Buffer) => analyzerPb.AnalyzeResponse },
  body: Buffer,
): Promise<analyzerPb.AnalyzeResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      (b: Buffer) => b,
      method.responseDeserialize,
      body,
      new grpc.Metadata(),
      { deadline: Date.now() + 120_000 },
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  });
}

/** One replay against a fresh pack; `nodeArgs` go to the pack's node (e.g. --cpu-prof). */
export async function replay(
  stream: RecordedStream,
  config: PolicyPackConfig,
  nodeArgs: string[] = [],
  maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  packDir = POLICY_PACK_DIR,
): Promise<PackSample> {
  const t0 = performance.now();
  // The stack as the check starts the pack for it: prod's config (its load and floor) under the recorded stack's name.
  const file = readStackFile(ROOT, "prod");
  const pack = await PolicyPackProcess.start(packDir, { nodeArgs, stack: stackConfigurationOf(stream.header.stack, file.config, file.secretKeys) });
  try {
    await pack.configure(config);
    const cpu = () => pack.cpuTimeMs() ?? NaN;
    const started = cpu();
    const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 2 ** 20,
      "grpc.max_send_message_length": 400 * 2 ** 20,
    });
    let diagnostics = 0;
    // As the check sends them: at most `maxInFlight` (the check's DEFAULT_MAX_IN_FLIGHT) at once.
    let next = 0;
    const worker = async () => {
      while (next < stream.analyze.length) {
        const res = await call(client, analyzerGrpc.AnalyzerService.analyze, stream.analyze[next++]);
        diagnostics += res.getDiagnosticsList().length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxInFlight, stream.analyze.length) }, worker));
    const analyzed = cpu();
    const res = await call(client, analyzerGrpc.AnalyzerService.analyzeStack, stream.analyzeStack);
    diagnostics += res.getDiagnosticsList().length;
    const stacked = cpu();
    client.close();
    return { startMs: started, analyzeMs: analyzed - started, analyzeStackMs: stacked - analyzed, wallMs: performance.now() - t0, diagnostics };
  } finally {
    await pack.close();
  }
}

async function main(): Promise<void> {
  // As bin/mailhost.js does: the pack reads Node's compile cache through the environment.
  const { directory } = (require("node:module") as { enableCompileCache: () => { directory?: string } }).enableCompileCache();
  if (directory && process.env.NODE_COMPILE_CACHE === undefined) process.env.NODE_COMPILE_CACHE = directory;
  const { values } = parseArgs({
    options: {
      hosts: { type: "string", default: "1000" },
      runs: { type: "string", default: "5" },
      stream: { type: "string" },
      record: { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
      "in-flight": { type: "string", default: String(DEFAULT_MAX_IN_FLIGHT) },
      pack: { type: "string", default: POLICY_PACK_DIR },
    },
  });
  const inFlight = Number(values["in-flight"]);
  const packDir = path.resolve(values.pack);
  const hosts = Number(values.hosts);
  const runs = Number(values.runs);
  const file = values.stream ?? path.join(os.tmpdir(), "mailhost-bench", `stream-${hosts}.bin`);
  if (values.record || !fs.existsSync(file)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-bench-"));
    try {
      const stack = writeBenchStack(ROOT, dir, hosts);
      const stream = await recordStream(dir, stack, hosts);
      writeStream(file, stream);
      console.log(`recorded ${stream.header.resources} Analyze requests and one AnalyzeStack request to ${file}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const stream = readStream(file);
  const config = JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "config", "prod.json"), "utf8")) as PolicyPackConfig;
  console.log(
    `replaying ${file}: ${stream.header.resources} resources (${stream.header.hosts} hosts) against ${path.relative(ROOT, packDir)}, ${runs} runs, a fresh pack each`,
  );
  const samples: PackSample[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await replay(stream, config, [], inFlight, packDir);
    samples.push(s);
    console.log(
      `  run ${i + 1}: start ${(s.startMs / 1000).toFixed(2)} s, Analyze ${(s.analyzeMs / 1000).toFixed(2)} s, AnalyzeStack ${(s.analyzeStackMs / 1000).toFixed(2)} s, total ${((s.startMs + s.analyzeMs + s.analyzeStackMs) / 1000).toFixed(2)} s CPU; ${(s.wallMs / 1000).toFixed(2)} s wall; ${s.diagnostics} diagnostics`,
    );
  }
  const m = (f: (s: PackSample) => number) => (median(samples.map(f)) / 1000).toFixed(2);
  console.log(
    `pack CPU, median of ${runs}: start ${m((s) => s.startMs)} s, Analyze ${m((s) => s.analyzeMs)} s, AnalyzeStack ${m((s) => s.analyzeStackMs)} s, total ${m((s) => s.startMs + s.analyzeMs + s.analyzeStackMs)} s (wall ${m((s) => s.wallMs)} s)`,
  );
  if (values["cpu-prof"]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-pack-prof-"));
    await replay(stream, config, ["--cpu-prof", "--cpu-prof-dir", dir, "--require", path.join(__dirname, "exitOnSigterm.cjs")], inFlight, packDir);
    for (const f of profilesIn(dir)) printProfile(`pack profile (${f})`, summarizeProfile(f));
  }
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
