/**
 * Runs the Pulumi program on committed stacks under the mock runtime (no CLI, no cloud) and
 * prints what `pulumi up` would create: `npm run preview:offline [-- <stack> ...]`.
 */
import * as path from "node:path";
import { ConfigValidationError } from "../domain/issues";
import { runOffline } from "../program/offline";
import { listStacks, readStackFile } from "../program/stackFile";
import program = require("../index");

async function main(): Promise<number> {
  const root = path.join(__dirname, "..");
  const stacks = process.argv.slice(2).length > 0 ? process.argv.slice(2) : listStacks(root);
  let failed = 0;
  for (const stack of stacks) {
    const file = readStackFile(root, stack);
    try {
      const run = await runOffline(program, stack, file.config, file.secretKeys);
      const counts = new Map<string, number>();
      for (const r of run.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
      console.log(`\nstack ${stack}: ${run.resources.length} resources${file.placeholders.length ? ` (placeholder for ${file.placeholders.join(", ")})` : ""}`);
      for (const [type, n] of [...counts].sort()) console.log(`  ${String(n).padStart(4)}  ${type}`);
      const hosts = (run.outputs as { hosts?: Array<Record<string, any>> } | undefined)?.hosts ?? [];
      for (const h of hosts) {
        console.log(`  host ${h.name} zone ${h.zone ?? "-"} ${h.tuning.mechanism}: MaxUserPort ${h.tuning.maxUserPort}, TcpTimedWaitDelay ${h.tuning.tcpTimedWaitDelay} s, ports ${h.tuning.dynamicPortRange.start}+${h.tuning.dynamicPortRange.count}, MailboxCacheTTL ${h.tuning.mailboxCacheTtl} s (floor ${h.effectiveTtlFloor}), Rmax ${h.rmax}/s`);
      }
    } catch (err) {
      failed++;
      console.error(`\nstack ${stack}: ${err instanceof ConfigValidationError || (err as Error).name === "RunError" ? (err as Error).message : (err as Error).stack}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err) => { console.error(err); process.exitCode = 2; });
