/**
 * The policy pack's process: started the way the Pulumi CLI starts a nodejs analyzer plugin, its
 * port read from stdout, its logs kept, and its whole process group killed on close or when this
 * process exits or gets SIGINT/SIGTERM/SIGHUP: no pack outlives its parent. The analyzer protocol
 * over the port is engine/analyzer.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import type * as emptyPbModule from "google-protobuf/google/protobuf/empty_pb";
import { parse as parseYaml } from "yaml";
import { Empty, type PackLogEntry, PolicyPackError, type StartOptions, isPlainObject } from "./analyzerProto";

// ---- process tracking: no pack outlives its parent -------------------------------------------------

const livePacks = new Set<PackProcess>();
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let handlersInstalled = false;

function killAllNow(): void {
  for (const p of livePacks) p.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  const othersListen = process.listenerCount(signal) > 1;
  uninstallHandlers();
  // Don't swallow the signal: if nobody else handles it, re-raise it for the default action (exit 128+n).
  if (!othersListen) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off("exit", killAllNow);
  for (const s of SIGNALS) process.off(s, onSignal);
}

// ---- fake Engine service -----------------------------------------------------------------------------

const ENGINE_SEVERITY: Record<number, PackLogEntry["severity"]> = {
  [enginePb.LogSeverity.DEBUG]: "debug",
  [enginePb.LogSeverity.INFO]: "info",
  [enginePb.LogSeverity.WARNING]: "warning",
  [enginePb.LogSeverity.ERROR]: "error",
};

async function startFakeEngine(onLog: (entry: PackLogEntry) => void): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  const ok =
    <T>(make: () => T) =>
    (_call: unknown, cb: grpc.sendUnaryData<T>) =>
      cb(null, make());
  const implementation: grpc.UntypedServiceImplementation = {
    log: (call: grpc.ServerUnaryCall<enginePb.LogRequest, emptyPbModule.Empty>, cb: grpc.sendUnaryData<emptyPbModule.Empty>) => {
      onLog({ source: "engine", severity: ENGINE_SEVERITY[call.request.getSeverity()] ?? "info", message: call.request.getMessage() });
      cb(null, new Empty());
    },
    getRootResource: ok(() => new enginePb.GetRootResourceResponse()),
    setRootResource: ok(() => new enginePb.SetRootResourceResponse()),
    startDebugging: ok(() => new Empty()),
    requirePulumiVersion: ok(() => new enginePb.RequirePulumiVersionResponse()),
  };
  server.addService(engineGrpc.EngineService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

// ---- the pack process ------------------------------------------------------------------------------

// eslint-disable-next-line no-control-regex -- ANSI colour sequences start with ESC
const ANSI = /\u001b\[[0-9;]*m/g;

function readRuntime(packDir: string): string {
  const file = path.join(packDir, "PulumiPolicy.yaml");
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PolicyPackError(`failed to load Pulumi policy project located at "${packDir}": ${(err as Error).message}`);
  }
  const runtime = isPlainObject(doc) ? doc["runtime"] : undefined;
  const name = isPlainObject(runtime) ? runtime["name"] : runtime;
  if (typeof name !== "string") throw new PolicyPackError(`${file} has no runtime`);
  return name;
}

export class PackProcess {
  private readonly entries: PackLogEntry[] = [];
  private readonly stderrTail: string[] = [];
  private readonly waiters = new Set<() => void>();
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;
  /** Resolves once the process has exited and its stdout/stderr are drained. */
  readonly drained: Promise<void>;
  private closing?: Promise<void>;
  /** Port of the pack's analyzer server, once known. */
  port?: number;

  private constructor(
    readonly packDir: string,
    private readonly child: ChildProcess,
    private readonly engine: grpc.Server,
    /** Address of the fake Engine service passed to the pack. */
    readonly engineAddress: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        this.killGroup(); // whatever the pack left behind in its group
        resolve();
      });
    });
    this.drained = new Promise((resolve) => child.once("close", () => resolve()));
  }

  /** Starts the pack in `packDir` as the CLI does and waits for the port of its analyzer server. */
  static async spawn(packDir: string, options: StartOptions = {}): Promise<PackProcess> {
    const dir = path.resolve(packDir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new PolicyPackError(`policy pack directory not found: ${dir}`);
    const runtime = readRuntime(dir);
    if (runtime !== "nodejs") throw new PolicyPackError(`policy pack ${dir} has runtime "${runtime}"; only nodejs is supported`);
    let runPolicyPack: string;
    try {
      runPolicyPack = path.dirname(require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] }));
    } catch {
      throw new PolicyPackError(`it looks like the policy pack's dependencies are not installed; try running npm install in "${dir}"`);
    }

    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    const stack = options.stack;
    if (stack) {
      const set = (k: string, v: string | undefined) => {
        if (v) env[k] = v;
      };
      // As the CLI's constructEnv (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go): the
      // stack's decrypted config as JSON, and its names in both the Node.js and the general form.
      if (stack.config && Object.keys(stack.config).length > 0) set("PULUMI_CONFIG", JSON.stringify(stack.config));
      set("PULUMI_NODEJS_ORGANIZATION", stack.organization);
      set("PULUMI_NODEJS_PROJECT", stack.project);
      set("PULUMI_NODEJS_STACK", stack.stack);
      set("PULUMI_NODEJS_DRY_RUN", String(stack.dryRun ?? false));
      set("PULUMI_ORGANIZATION", stack.organization);
      set("PULUMI_PROJECT", stack.project);
      set("PULUMI_STACK", stack.stack);
      set("PULUMI_DRY_RUN", String(stack.dryRun ?? false));
    }

    let pack: PackProcess | undefined;
    const pending: PackLogEntry[] = [];
    const record = (e: PackLogEntry) => (pack ? pack.record(e) : pending.push(e));
    const engine = await startFakeEngine(record);
    if (options.routeLogsToEngine) env["PULUMI_NODEJS_ENGINE"] = engine.address;

    // Handlers go in before the spawn: a signal that arrives while the child is being created is
    // then queued for our handler (which kills the pack) instead of ending this process by default
    // and leaving the detached pack behind.
    installHandlers();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(options.nodeArgs ?? []), runPolicyPack, engine.address, "."], {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // own process group, so close() can take ts-node & co. down with it
      });
    } catch (err) {
      engine.server.forceShutdown();
      if (livePacks.size === 0) uninstallHandlers();
      throw new PolicyPackError(`could not start the policy pack: ${(err as Error).message}`);
    }
    pack = new PackProcess(dir, child, engine.server, engine.address);
    for (const e of pending) pack.record(e);
    livePacks.add(pack);
    options.onSpawned?.();

    try {
      pack.port = await pack.awaitPort(options.startTimeoutMs ?? 60_000, options.strictStdout ?? false);
      return pack;
    } catch (err) {
      await pack.close();
      throw err;
    }
  }

  private record(e: PackLogEntry): void {
    this.entries.push(e);
    for (const w of this.waiters) w();
  }

  private awaitPort(timeoutMs: number, strict: boolean): Promise<number> {
    const child = this.child;
    return new Promise<number>((resolve, reject) => {
      let port: number | undefined;
      const fail = (why: string) => {
        cleanup();
        reject(this.failure(why));
      };
      const timer = setTimeout(() => fail(`the policy pack printed no port within ${timeoutMs} ms`), timeoutMs);
      const onClose = () => fail("the policy pack exited before printing its port");
      const onError = (err: Error) => fail(`could not run the policy pack: ${err.message}`);
      const cleanup = () => {
        clearTimeout(timer);
        child.off("close", onClose);
        child.off("error", onError);
      };
      child.once("close", onClose); // after stderr is drained, so the error can show it
      child.once("error", onError);

      readline.createInterface({ input: child.stdout! }).on("line", (raw) => {
        const line = raw.replace(ANSI, "");
        if (port !== undefined) return this.record({ source: "stdout", message: line });
        const trimmed = line.trim();
        if (/^\d+$/.test(trimmed)) {
          port = Number(trimmed);
          cleanup();
          return resolve(port);
        }
        this.record({ source: "stdout", message: line, beforePort: true });
        if (strict) fail(`the policy pack wrote a non-numeric port to stdout ('${trimmed}')`);
      });
      readline.createInterface({ input: child.stderr! }).on("line", (raw) => {
        const line = raw.replace(ANSI, "");
        this.stderrTail.push(line);
        if (this.stderrTail.length > 200) this.stderrTail.shift();
        this.record({ source: "stderr", message: line });
      });
    });
  }

  /** A {@link PolicyPackError} that says why, with the exit and the last stderr lines. */
  failure(why: string, grpcCode?: grpc.status): PolicyPackError {
    const stderr = this.stderrTail.join("\n");
    const exit = this.exit ? ` (exit code ${this.exit.code ?? "none"}${this.exit.signal ? `, signal ${this.exit.signal}` : ""})` : "";
    const before = this.entries.filter((e) => e.beforePort).map((e) => e.message);
    let message = `${why}${exit} [${this.packDir}]`;
    if (before.length) message += `\nstdout before the port:\n${before.join("\n")}`;
    if (stderr) message += `\nstderr:\n${stderr}`;
    return new PolicyPackError(message, { stderr, exitCode: this.exit?.code, signal: this.exit?.signal, pid: this.child.pid, grpcCode });
  }

  /** The pack's process id (leader of its own process group). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the pack logged, in order: engine Log calls, stdout lines (after the port) and stderr lines. */
  logs(): string[] {
    return this.entries.map((e) => e.message);
  }

  logEntries(): PackLogEntry[] {
    return [...this.entries];
  }

  /** Resolves with the first log line matching `match` (logs are asynchronous to the RPC answers). */
  waitForLog(match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const find = () => this.logs().find((l) => (typeof match === "string" ? l.includes(match) : match.test(l)));
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (hit === undefined) return;
        done();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms; logs:\n${this.logs().join("\n")}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Synchronously SIGKILLs the pack's process group unless it already exited (used on parent exit/signals). */
  killNow(): void {
    if (!this.exit) this.killGroup();
  }

  private killGroup(signal: NodeJS.Signals = "SIGKILL"): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * CPU time (user + system, ms) the pack's process has used so far: the cost of policy analysis.
   * Read from /proc on Linux; undefined elsewhere or once the process is gone.
   */
  cpuTimeMs(): number | undefined {
    try {
      const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
    } catch {
      return undefined;
    }
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Kills the pack's process group (SIGTERM, then SIGKILL after 3 s) and stops the fake engine; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const pid = this.child.pid;
      if (pid !== undefined && !this.exit) {
        this.killGroup("SIGTERM");
        const timer = new Promise<void>((r) => setTimeout(r, 3_000).unref());
        await Promise.race([this.exited, timer]);
        this.killNow(); // a leader that ignored SIGTERM
        await this.exited; // the exit handler also SIGKILLs what is left in the group
      }
      this.engine.forceShutdown();
      livePacks.delete(this);
      if (livePacks.size === 0) uninstallHandlers();
    })();
    return this.closing;
  }
}
