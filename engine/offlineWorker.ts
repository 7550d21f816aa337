/**
 * Worker-thread entry of {@link OfflineThread} (engine/offlineThread.ts): runs the mailhost
 * program under the mock runtime on this thread, once per `run` message, and posts every
 * registered resource to the parent as it is registered, its inputs encoded once as protobuf
 * Struct bytes (transferred, not copied). Not imported by anything: the parent starts it by file name.
 */
import { parentPort } from "node:worker_threads";
import { runOffline } from "./offline";
import type { ThreadMessage, ThreadRequest } from "./offlineThread";
import { encodeStruct } from "./wire";

const port = parentPort;
if (port === null) throw new Error("engine/offlineWorker runs only as a worker thread");

const post = (message: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// Loaded when the thread starts (most of a second: the Pulumi SDK), while the parent goes on.
const program = require("../index") as () => Promise<unknown>;
// A thread that is terminated does not write Node's compile cache (when enabled): write it now.
(require("node:module") as { flushCompileCache?: () => void }).flushCompileCache?.();

async function run(request: ThreadRequest): Promise<void> {
  if (request.stackTraceLimit !== undefined) Error.stackTraceLimit = request.stackTraceLimit;
  const result = await runOffline(program, request.stack, request.config, request.secretKeys, {
    dropAliases: request.dropAliases,
    onResource: (r) => {
      // A copy of exactly the encoded bytes, in a buffer of its own, so that it can be transferred.
      const inputs = new Uint8Array(encodeStruct(r.inputs));
      post({ kind: "resource", id: request.id, type: r.type, name: r.name, custom: r.custom, inputs }, [inputs.buffer as ArrayBuffer]);
    },
  });
  post({ kind: "done", id: request.id, links: result.resources.map((r) => ({ urn: r.urn, parent: r.parent, dependencies: r.dependencies })) });
}

// Runs come one at a time (the Pulumi runtime's state is per thread); the parent waits for each.
port.on("message", (request: ThreadRequest) => {
  run(request).catch((error: unknown) => {
    post({ kind: "failed", id: request.id, message: error instanceof Error ? error.message : String(error) });
  });
});
