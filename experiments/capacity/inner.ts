/**
 * Entry point inside the private network namespace (started by `runInFreshNetns` in netns.ts as
 * `unshare --net -- node --import tsx inner.ts`). Reads the task from CAPACITY_TASK, prepares the
 * namespace, runs the task, prints the result and exits. It ends itself when its hard time limit
 * passes or when its parent goes away (stdin closes), so the namespace never outlives the run.
 */
import { runBurst, type BurstTask } from "./burst";
import { runEndpoints, type EndpointsTask } from "./endpoints";
import { emitResult, prepareNamespace } from "./netns";
import { runSustained, type SustainedTask } from "./sustained";

type Task = (BurstTask | SustainedTask | EndpointsTask) & { readonly hardTimeoutMs: number };

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<void> {
  const raw = process.env.CAPACITY_TASK;
  if (raw === undefined) throw new Error("CAPACITY_TASK is not set: inner.ts is started by netns.ts, not by hand");
  const task = JSON.parse(raw) as Task;
  // Own deadline, a little before the parent's, and death with the parent.
  setTimeout(
    () => {
      log(`inner: hard time limit of ${task.hardTimeoutMs} ms reached, exiting`);
      process.exit(3);
    },
    Math.max(1_000, task.hardTimeoutMs - 500),
  ).unref();
  process.stdin.on("end", () => process.exit(4));
  process.stdin.on("close", () => process.exit(4));
  process.stdin.resume();

  const namespace = prepareNamespace(task.ports);
  log(
    `inner: ${namespace.netns} (host ${namespace.hostNetns}); ip_local_port_range ${namespace.defaults.ipLocalPortRange} -> ${namespace.applied.ipLocalPortRange}, tcp_tw_reuse ${namespace.defaults.tcpTwReuse} -> ${namespace.applied.tcpTwReuse}; host unchanged (${namespace.hostAfter.ipLocalPortRange}, ${namespace.hostAfter.tcpTwReuse})`,
  );
  switch (task.kind) {
    case "burst":
      emitResult(await runBurst(task, namespace, log));
      break;
    case "sustained":
      emitResult(await runSustained(task, namespace, log));
      break;
    case "endpoints":
      emitResult(await runEndpoints(task, namespace, log));
      break;
    default:
      throw new Error(`unknown task ${JSON.stringify(task)}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`inner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
