// Child of bench/program.ts: runs the compiled mailhost program (dist/, built by `npm run build`)
// on this thread under the mock runtime, exactly as the check's program thread does
// (dist/engine/offlineWorker.js: aliases dropped, Error.stackTraceLimit = 0, each resource's
// inputs encoded once as Struct bytes), but with no pack and no analyzer client. Plain
// JavaScript, so that nothing but the compiled program is loaded and measured.
// Usage: node bench/programRun.cjs <project dir> <stack>; prints one JSON line.
"use strict";
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist");
const [dir, stack] = process.argv.slice(2);

async function main() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { runOffline } = require(path.join(dist, "engine", "offline.js"));
  const { encodeStruct } = require(path.join(dist, "engine", "wire.js"));
  const { readStackFile } = require(path.join(dist, "stack", "stackFile.js"));
  const program = require(path.join(dist, "index.js"));
  const loadCpu = process.cpuUsage(cpu0);
  const t1 = performance.now();
  const file = readStackFile(dir, stack);
  Error.stackTraceLimit = 0;
  let bytes = 0;
  const result = await runOffline(program, stack, file.config, file.secretKeys, {
    dropAliases: true,
    onResource: (r) => {
      bytes += encodeStruct(r.inputs).length;
    },
  });
  const runCpu = process.cpuUsage(loadCpu);
  const ms = (u) => (u.user + u.system) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      resources: result.resources.length,
      inputBytes: bytes,
      loadCpuMs: ms(loadCpu),
      loadWallMs: t1 - t0,
      runCpuMs: ms(process.cpuUsage(cpu0)) - ms(loadCpu),
      runWallMs: performance.now() - t1,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
  void runCpu;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
