/**
 * Private network namespaces for the capacity experiment.
 *
 * Host side: `runInFreshNetns` starts `unshare --net -- node --import tsx inner.ts` (as root) or
 * `unshare --user --map-root-user --net -- ...` (as any other user, where the kernel allows
 * unprivileged user namespaces) with a task,
 * in its own process group, bounded by a timeout, and returns the task's JSON result. The
 * namespace lives exactly as long as that process: when it ends (normally, by the timeout, or
 * because this process died and its stdin pipe closed) the kernel destroys the namespace with
 * everything in it. The host's sysctls are read before and after every run and must be unchanged.
 *
 * Namespace side: `prepareNamespace` proves it runs in a namespace of its own, brings up `lo`,
 * and sets `net.ipv4.ip_local_port_range` and `net.ipv4.tcp_tw_reuse` there, refusing to write a
 * sysctl that is not per-namespace on this kernel, and re-reading the host's values (through
 * descriptors opened in the host namespace and inherited as fd 3 and 4) right after writing.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readSync, readlinkSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** An inclusive range of ephemeral ports, as in `ip_local_port_range`. */
export interface PortRange {
  readonly low: number;
  readonly high: number;
}

/** `P` of a range. */
export function portCount(range: PortRange): number {
  return range.high - range.low + 1;
}

export const SYSCTL_PORT_RANGE = "/proc/sys/net/ipv4/ip_local_port_range";
export const SYSCTL_TW_REUSE = "/proc/sys/net/ipv4/tcp_tw_reuse";
/** Where the inner process finds the host's sysctls (descriptors opened in the host namespace). */
const HOST_FD_PORT_RANGE = 3;
const HOST_FD_TW_REUSE = 4;
const RESULT_PREFIX = "CAPACITY-RESULT ";

/** The two sysctls the experiment changes, whitespace-normalised. */
export interface Sysctls {
  readonly ipLocalPortRange: string;
  readonly tcpTwReuse: string;
}

const normalise = (text: string): string => text.trim().split(/\s+/).join(" ");

/** The sysctls as seen from this process's network namespace. */
export function readSysctls(): Sysctls {
  return {
    ipLocalPortRange: normalise(readFileSync(SYSCTL_PORT_RANGE, "utf8")),
    tcpTwReuse: normalise(readFileSync(SYSCTL_TW_REUSE, "utf8")),
  };
}

export function sameSysctls(a: Sysctls, b: Sysctls): boolean {
  return a.ipLocalPortRange === b.ipLocalPortRange && a.tcpTwReuse === b.tcpTwReuse;
}

/** This process's network namespace, e.g. `net:[4026531833]`. */
export function currentNetns(): string {
  return readlinkSync("/proc/self/ns/net");
}

const repoRoot = resolve(__dirname, "..", "..");
const innerScript = join(__dirname, "inner.ts");
const tsxLoader = pathToFileURL(require.resolve("tsx")).href;

function commandWorks(command: string, args: readonly string[]): boolean {
  const r = spawnSync(command, args, { stdio: "ignore", timeout: 5_000 });
  return r.error === undefined && r.status === 0;
}

/**
 * How to enter a fresh network namespace: as root a new network namespace alone; as any other
 * user a new user namespace that maps the user to root inside it, and a network namespace owned
 * by it, whose sysctls that root may set (util-linux unshare(1); user_namespaces(7)).
 */
export function unshareArgs(uid: number | undefined = process.getuid?.()): string[] {
  return uid === 0 ? ["--net"] : ["--user", "--map-root-user", "--net"];
}

/**
 * What this machine lacks for the experiment, in words, or an empty list. Checks the tools
 * (`unshare` from util-linux, `ip` and `ss` from iproute2), the sysctls, and that a namespace
 * can actually be created: as root a network namespace, as another user an unprivileged user and
 * network namespace.
 */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  const uid = process.getuid?.();
  const haveUnshare = commandWorks("unshare", ["--version"]);
  if (!haveUnshare) missing.push("the `unshare` command (Debian package util-linux) is not installed or not on PATH");
  if (!commandWorks("ip", ["-V"])) missing.push("the `ip` command (Debian package iproute2: apt-get install -y iproute2) is not installed or not on PATH");
  if (!commandWorks("ss", ["-V"])) missing.push("the `ss` command (Debian package iproute2: apt-get install -y iproute2) is not installed or not on PATH");
  for (const path of [SYSCTL_PORT_RANGE, SYSCTL_TW_REUSE]) {
    if (!existsSync(path)) missing.push(`the sysctl file ${path} (is /proc mounted? is this Linux with IPv4?)`);
  }
  if (haveUnshare) {
    const args = unshareArgs(uid);
    const r = spawnSync("unshare", [...args, "--", process.execPath, "-e", "0"], { encoding: "utf8", timeout: 10_000 });
    if (r.error !== undefined || r.status !== 0) {
      const why = (r.error?.message ?? (r.stderr.trim() || `exit status ${r.status}, signal ${r.signal}`)).split("\n")[0];
      missing.push(
        uid === 0
          ? `the ability to create a network namespace: \`unshare --net -- node -e 0\` failed: ${why} (it needs CAP_SYS_ADMIN; inside a container, run it privileged or with --cap-add SYS_ADMIN and an unconfined seccomp profile)`
          : `unprivileged user namespaces: \`unshare ${args.join(" ")} -- node -e 0\` failed as uid ${uid ?? "unknown"}: ${why} (the kernel or a security policy forbids them: sysctl user.max_user_namespaces must be above 0, kernel.unprivileged_userns_clone 1 where it exists, kernel.apparmor_restrict_unprivileged_userns 0 where it exists; or run the test as root)`,
      );
    }
  }
  return missing;
}

/** Children currently running in namespaces of their own, for cleanup on exit or signal. */
const running = new Set<ChildProcess>();

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is gone already.
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every namespace process started by this process (each is its own process group). */
export function killAllNamespaceChildren(): void {
  for (const child of running) killGroup(child.pid);
}

export interface RunOptions {
  /** Hard limit for the whole run in the namespace; the process group is killed after it. */
  readonly timeoutMs: number;
  /** Called with every line the inner process writes to stderr (its progress). */
  readonly onProgress?: (line: string) => void;
}

/** A task for the inner process; `kind` selects what it runs. */
export interface NamespaceTask {
  readonly kind: string;
}

/**
 * Runs `task` inside a fresh private network namespace and returns its result. Throws when the
 * task fails, times out, or when the host's sysctls changed (they are then put back and the error
 * says so loudly).
 */
export async function runInFreshNetns<R>(task: NamespaceTask, options: RunOptions): Promise<R> {
  const hostBefore = readSysctls();
  const hostNetns = currentNetns();
  const fds = [openSync(SYSCTL_PORT_RANGE, "r"), openSync(SYSCTL_TW_REUSE, "r")];
  let child: ChildProcess | undefined;
  try {
    const spawned = spawn("unshare", [...unshareArgs(), "--", process.execPath, "--import", tsxLoader, innerScript], {
      cwd: repoRoot,
      detached: true,
      stdio: ["pipe", "pipe", "pipe", fds[0], fds[1]],
      env: {
        ...process.env,
        CAPACITY_TASK: JSON.stringify({ ...task, hardTimeoutMs: options.timeoutMs }),
        CAPACITY_HOST_NETNS: hostNetns,
      },
    });
    child = spawned;
    running.add(spawned);
    return await new Promise<R>((resolveRun, rejectRun) => {
      let stdout = "";
      let stderrTail: string[] = [];
      let stderrPartial = "";
      let settled = false;
      const finish = (error: Error | undefined, value?: R): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) rejectRun(error);
        else resolveRun(value as R);
      };
      const timer = setTimeout(() => {
        killGroup(spawned.pid);
        finish(new Error(`namespace task "${task.kind}" timed out after ${options.timeoutMs} ms and was killed; last output:\n${stderrTail.join("\n")}`));
      }, options.timeoutMs);
      spawned.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
      });
      spawned.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        const lines = (stderrPartial + chunk).split("\n");
        stderrPartial = lines.pop() ?? "";
        for (const line of lines) {
          options.onProgress?.(line);
          stderrTail = [...stderrTail.slice(-40), line];
        }
      });
      spawned.stdin?.on("error", () => undefined);
      spawned.on("error", (error) => finish(new Error(`cannot start \`unshare ${unshareArgs().join(" ")}\`: ${error.message}`)));
      spawned.on("close", (code, signal) => {
        if (stderrPartial) stderrTail = [...stderrTail, stderrPartial];
        const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
        if (code !== 0 || line === undefined) {
          finish(new Error(`namespace task "${task.kind}" failed (exit ${code}, signal ${signal}):\n${stderrTail.join("\n")}`));
          return;
        }
        try {
          finish(undefined, JSON.parse(line.slice(RESULT_PREFIX.length)) as R);
        } catch (error) {
          finish(new Error(`namespace task "${task.kind}" printed an unreadable result: ${String(error)}`));
        }
      });
    });
  } finally {
    if (child !== undefined) {
      child.stdin?.destroy();
      if (groupAlive(child.pid)) killGroup(child.pid);
      running.delete(child);
    }
    for (const fd of fds) closeSync(fd);
    const hostAfter = readSysctls();
    if (!sameSysctls(hostBefore, hostAfter)) {
      writeFileSync(SYSCTL_PORT_RANGE, hostBefore.ipLocalPortRange);
      writeFileSync(SYSCTL_TW_REUSE, hostBefore.tcpTwReuse);
      // eslint-disable-next-line no-unsafe-finally -- a changed host sysctl must fail the run, whatever the task did
      throw new Error(
        `HOST SYSCTLS CHANGED during namespace task "${task.kind}": before ${JSON.stringify(hostBefore)}, after ${JSON.stringify(hostAfter)}; the old values were written back`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Namespace side (runs inside the private namespace, in inner.ts).

/** What `prepareNamespace` found and did. */
export interface NamespaceReport {
  readonly netns: string;
  readonly hostNetns: string;
  /** Values inside the namespace before the experiment set them (the kernel's per-netns defaults). */
  readonly defaults: Sysctls;
  /** Values inside the namespace after setting them. */
  readonly applied: Sysctls;
  /** The host's values read through host-namespace descriptors before and right after the writes. */
  readonly hostBefore: Sysctls;
  readonly hostAfter: Sysctls;
}

function readHostFd(fd: number): string {
  const buffer = Buffer.alloc(256);
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  return normalise(buffer.toString("utf8", 0, n));
}

function readHostSysctlsThroughFds(): Sysctls {
  return { ipLocalPortRange: readHostFd(HOST_FD_PORT_RANGE), tcpTwReuse: readHostFd(HOST_FD_TW_REUSE) };
}

/**
 * Makes the namespace ready: checks it is private, brings `lo` up, sets the port range and
 * `tcp_tw_reuse = 0`. Throws (changing nothing) when the process is not in a namespace of its own
 * or a sysctl is not per-namespace on this kernel.
 */
export function prepareNamespace(range: PortRange): NamespaceReport {
  const hostNetns = process.env.CAPACITY_HOST_NETNS ?? "";
  const netns = currentNetns();
  if (hostNetns === "" || netns === hostNetns) {
    throw new Error(`refusing to touch sysctls: this process is not in a private network namespace (own ${netns}, host ${hostNetns || "unknown"})`);
  }
  // A net.* sysctl that is global (registered for the initial namespace only) does not appear at
  // all under /proc/sys/net in another namespace; one that is per-namespace does.
  for (const path of [SYSCTL_PORT_RANGE, SYSCTL_TW_REUSE]) {
    if (!existsSync(path)) {
      throw new Error(
        `ABORT: ${path} is not visible in a private network namespace, so it is not per-namespace on kernel ${release()}; refusing to change it (it would change the host)`,
      );
    }
  }
  const hostBefore = readHostSysctlsThroughFds();
  const defaults = readSysctls();
  execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe", timeout: 5_000 });
  const lo = execFileSync("ip", ["-o", "-4", "addr", "show", "dev", "lo"], { encoding: "utf8", timeout: 5_000 });
  if (!lo.includes("127.0.0.1/8")) throw new Error(`lo has no 127.0.0.1/8 after \`ip link set lo up\`: ${lo}`);
  const wanted: Sysctls = { ipLocalPortRange: `${range.low} ${range.high}`, tcpTwReuse: "0" };
  writeFileSync(SYSCTL_PORT_RANGE, wanted.ipLocalPortRange);
  writeFileSync(SYSCTL_TW_REUSE, wanted.tcpTwReuse);
  const hostAfter = readHostSysctlsThroughFds();
  if (!sameSysctls(hostBefore, hostAfter)) {
    throw new Error(
      `ABORT: writing the namespace's sysctls changed the HOST's (before ${JSON.stringify(hostBefore)}, after ${JSON.stringify(hostAfter)}): they are not per-namespace on kernel ${release()}`,
    );
  }
  const applied = readSysctls();
  if (!sameSysctls(applied, wanted)) throw new Error(`the namespace's sysctls read back as ${JSON.stringify(applied)}, wanted ${JSON.stringify(wanted)}`);
  return { netns, hostNetns, defaults, applied, hostBefore, hostAfter };
}

/** Prints the inner process's result in the form `runInFreshNetns` reads. */
export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
