/**
 * Drift benchmark: `mailhost drift` of a 1,000-host stack against the local HTTPS ARM stand-in,
 * reading Machine Configuration compliance from Azure Resource Graph (`--source graph`) against
 * running the collector on every host through Run Command (`--source run-command`). Prints wall
 * time and requests of each and their ratio, and writes the table to docs/BENCHMARKS.md.
 *
 * A Run Command takes at least about 20 s on Azure; the stand-in answers each one after
 * RUN_COMMAND_DELAY_MS (default 100 ms), so the run-command figure is also shown scaled by
 * 20 s / delay. A benchmark, not a test. Environment: BENCH_RUNS (default 3), BENCH_HOSTS
 * (default 1000), BENCH_RUN_COMMAND_DELAY_MS (default 100).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runGraphDrift } from "../cli/graphDrift";
import { DEFAULT_CONCURRENCY, runDrift } from "../cli/drift";
import { planOf } from "../cli/plan";
import { ResourceGraph } from "../azure/resourceGraph";
import { type ExpectedAssignment } from "../domain/graphDrift";
import { type FleetPlan, STACK_TAG, hostPlans } from "../domain/plan";
import { ArmCompute } from "../azure/arm";
import { ArmStandIn, STAND_IN_TOKEN } from "../test/support/armStandIn";
import { assignmentRow } from "../test/support/graphRows";
import { inSyncReport } from "../test/support/collectorReports";

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const DELAY_MS = Number(process.env.BENCH_RUN_COMMAND_DELAY_MS ?? 100);
/** What a Run Command takes on Azure at least (Azure docs: "Run scripts in your Windows VM by using action Run Commands"). */
const AZURE_RUN_COMMAND_S = 20;
const SUBSCRIPTION = "00000000-0000-0000-0000-00000000bench";
const credential = { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const base = planOf(ROOT, "prod");
  const plan: FleetPlan = { ...base, hosts: hostPlans(base.stack, HOSTS, base.config.fleet.zones) };
  const rg = plan.names.resourceGroup;
  const expected: ExpectedAssignment = { contentHash: "B".repeat(64), parameters: {} };
  const stdout = JSON.stringify({ ...inSyncReport(plan), CollectedAt: new Date().toISOString() });
  const standIn = await ArmStandIn.start(
    SUBSCRIPTION,
    rg,
    plan.hosts.map((h) => ({ name: h.name, tags: { [STACK_TAG]: plan.stack }, behaviour: { stdout } })),
  );
  standIn.vmPageSize = 1000;
  standIn.graphRows = plan.hosts.map((h) => assignmentRow(SUBSCRIPTION, rg, h.name, expected, new Date().toISOString()));
  const arm = new ArmCompute({
    subscriptionId: SUBSCRIPTION,
    endpoint: standIn.endpoint,
    tlsCa: standIn.ca,
    credential,
    pollIntervalMs: Math.max(10, DELAY_MS / 2),
    retryDelayMs: 10,
  });
  const graph = new ResourceGraph({ endpoint: standIn.endpoint, tlsCa: standIn.ca, credential });
  try {
    const graphWall: number[] = [];
    let graphRequests = 0;
    let graphPages = 0;
    for (let i = 0; i < RUNS; i++) {
      const before = standIn.graphPosts;
      const t0 = performance.now();
      const report = await runGraphDrift({ plan, arm, graph, subscription: SUBSCRIPTION, expected });
      graphWall.push((performance.now() - t0) / 1000);
      if (report.hosts.filter((h) => h.status === "in-sync").length !== HOSTS)
        throw new Error(`graph: not every host in sync: ${JSON.stringify(report.hosts.find((h) => h.status !== "in-sync"))}`);
      graphRequests = standIn.graphPosts - before;
      graphPages = report.graphRequests;
    }
    standIn.runCommandDelayMs = DELAY_MS;
    const requestsBefore = standIn.requests;
    const t0 = performance.now();
    const rc = await runDrift({ plan, arm, subscription: SUBSCRIPTION, timeoutSeconds: 600 });
    const rcWall = (performance.now() - t0) / 1000;
    const rcRequests = standIn.requests - requestsBefore;
    if (rc.hosts.filter((h) => h.status === "in-sync").length !== HOSTS)
      throw new Error(`run-command: not every host in sync: ${JSON.stringify(rc.hosts.find((h) => h.status !== "in-sync"))}`);
    const scale = (AZURE_RUN_COMMAND_S * 1000) / DELAY_MS;
    const rcScaledMin = (rcWall * scale) / 60;
    const g = median(graphWall);
    const lines = [
      `| source | hosts | wall (median of ${RUNS}) | requests | notes |`,
      "|---|---:|---:|---:|---|",
      `| graph | ${HOSTS} | ${g.toFixed(2)} s | ${graphRequests} Resource Graph (${graphPages} page(s)) + 1 VM list | runs ${graphWall.map((w) => w.toFixed(2)).join(", ")} s |`,
      `| run-command | ${HOSTS} | ${rcWall.toFixed(1)} s (stand-in: ${DELAY_MS} ms a Run Command) → about ${rcScaledMin.toFixed(0)} min on Azure at ${AZURE_RUN_COMMAND_S} s a Run Command | ${rcRequests} ARM | ${DEFAULT_CONCURRENCY} hosts in flight; one run |`,
      "",
      `Graph is ${(rcWall / g).toFixed(0)}× faster than run-command against the stand-in, and about ${((rcWall * scale) / g).toFixed(0)}× at Azure's Run Command duration; it sends ${(rcRequests / (graphRequests + 1)).toFixed(0)}× fewer requests.`,
    ];
    console.log(lines.join("\n"));
    const doc = path.join(ROOT, "docs", "BENCHMARKS.md");
    const begin = "<!-- drift-bench:begin -->";
    const end = "<!-- drift-bench:end -->";
    const text = fs.readFileSync(doc, "utf8");
    const block = `${begin}\n${lines.join("\n")}\n${end}`;
    fs.writeFileSync(
      doc,
      text.includes(begin)
        ? text.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block)
        : `${text.trimEnd()}\n\n## Drift: Resource Graph vs Run Command\n\n\`npm run bench:drift\` (bench/drift.ts), from one run on this machine:\n\n${block}\n`,
    );
  } finally {
    await standIn.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
