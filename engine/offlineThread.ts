/**
 * {@link runOffline} on a worker thread, for `mailhost check` at fleet scale.
 *
 * Why a thread: on the main thread the Pulumi program (about 6 s of CPU for 1,000 hosts under the
 * mock runtime) and the analyzer client (one gRPC call per resource, about 2 s more) take turns on
 * one core. With the program on its own thread each resource goes to the policy pack as soon as it
 * is registered, the pack keeps up, and less is left to analyse when the program ends. Only each
 * resource's type, name, encoded inputs and links (URN, parent, dependencies) cross over; the
 * Pulumi SDK is loaded on the worker thread only, once for all the stacks of a check.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { RecordedResource } from "./offline";

/** A run, as the worker thread gets it (structured-cloned). */
export interface ThreadRequest {
  readonly id: number;
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  readonly dropAliases: boolean;
  /** `Error.stackTraceLimit` on the thread (the CLI uses 0: it never shows stack traces). */
  readonly stackTraceLimit?: number;
}

/** Messages from the worker thread, each about run `id`. */
export type ThreadMessage =
  | { readonly kind: "resource"; readonly id: number; readonly type: string; readonly name: string; readonly custom: boolean; readonly inputs: Uint8Array }
  | { readonly kind: "done"; readonly id: number; readonly links: ReadonlyArray<{ urn: string; parent?: string; dependencies: string[] }> }
  | { readonly kind: "failed"; readonly id: number; readonly message: string };

/** The program failed on the worker thread (the message is the program's own). */
export class OfflineThreadError extends Error {}

export interface ThreadRunOptions {
  readonly dropAliases?: boolean;
  readonly stackTraceLimit?: number;
  /** Called as each resource is registered (URN still empty; filled in when the run ends). */
  readonly onResource?: (resource: RecordedResource) => void;
}

/**
 * Worker entry next to this file: .js when compiled, .ts under tsx. A thread inherits the
 * process's Node options (`--import tsx` included); tsx registered from code (bin/mailhost.js on
 * a stale build) is not inherited and is added.
 */
function workerEntry(): { file: string; execArgv?: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `offlineWorker${ext}`);
  if (ext !== ".ts" || process.execArgv.some((a) => a.includes("tsx"))) return { file };
  return { file, execArgv: [...process.execArgv, "--require", require.resolve("tsx/cjs")] };
}

interface PendingRun {
  readonly resources: RecordedResource[];
  readonly options: ThreadRunOptions;
  readonly resolve: (resources: RecordedResource[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A worker thread that runs the mailhost program (`index.ts`) under the mock runtime, one stack
 * at a time. It starts loading the program at once; `close()` ends it (and frees its heap).
 */
export class OfflineThread {
  private readonly worker: Worker;
  private current?: { id: number } & PendingRun;
  private nextId = 1;
  private ended?: Error;

  constructor() {
    const { file, execArgv } = workerEntry();
    this.worker = new Worker(file, execArgv ? { execArgv } : {});
    this.worker.on("message", (m: ThreadMessage) => this.onMessage(m));
    this.worker.on("error", (err) => this.end(err));
    this.worker.on("exit", (code) => this.end(new Error(`the program thread stopped (exit code ${code})`)));
  }

  private end(error: Error): void {
    this.ended ??= error;
    const run = this.current;
    this.current = undefined;
    run?.reject(error);
  }

  private onMessage(m: ThreadMessage): void {
    const run = this.current;
    if (run === undefined || m.id !== run.id) return;
    if (m.kind === "resource") {
      const recorded: RecordedResource = { type: m.type, name: m.name, inputs: {}, encodedInputs: m.inputs, custom: m.custom, urn: "", dependencies: [] };
      run.resources.push(recorded);
      run.options.onResource?.(recorded);
      return;
    }
    this.current = undefined;
    if (m.kind === "failed") return run.reject(new OfflineThreadError(m.message));
    if (m.links.length !== run.resources.length)
      return run.reject(new Error(`internal: the program thread reported ${m.links.length} resources but sent ${run.resources.length}`));
    m.links.forEach((link, i) => Object.assign(run.resources[i], link));
    run.resolve(run.resources);
  }

  /**
   * Runs the program as stack `stack`; resolves with its resources, each with `encodedInputs`
   * (and empty `inputs`), URN, parent and dependencies. One run at a time.
   */
  run(
    stack: string,
    config: Readonly<Record<string, string>>,
    secretKeys: readonly string[] = [],
    options: ThreadRunOptions = {},
  ): Promise<RecordedResource[]> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.current) return Promise.reject(new Error("internal: one run at a time on the program thread"));
    const id = this.nextId++;
    const request: ThreadRequest = {
      id,
      stack,
      config: { ...config },
      secretKeys: [...secretKeys],
      dropAliases: options.dropAliases ?? false,
      stackTraceLimit: options.stackTraceLimit,
    };
    return new Promise<RecordedResource[]>((resolve, reject) => {
      this.current = { id, resources: [], options, resolve, reject };
      this.worker.postMessage(request);
    });
  }

  /** Stops the thread; idempotent. */
  async close(): Promise<void> {
    this.ended ??= new Error("the program thread has been closed");
    await this.worker.terminate();
  }
}
