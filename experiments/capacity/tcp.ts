/**
 * The TCP side of the experiment, run inside the private namespace: a server on 127.0.0.1 that
 * only waits for its client's FIN, a client that connects and closes first (so TIME_WAIT sits on
 * the client's ephemeral port), and a TIME_WAIT census from `ss`.
 */
import { execFile } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { PortRange } from "./netns";

/** The only address the experiment uses. */
export const LOOPBACK = "127.0.0.1";

/** Milliseconds on a monotonic clock. */
export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** One connection attempt. Times are monotonic milliseconds. */
export interface Attempt {
  readonly ok: boolean;
  /** Error code of a failed attempt (`EADDRNOTAVAIL` when the ports are exhausted). */
  readonly code?: string;
  readonly localPort?: number;
  readonly startedAt: number;
  /** When the socket was fully closed: for a success, the moment the client entered TIME_WAIT. */
  readonly closedAt: number;
}

/**
 * Connects to 127.0.0.1:`port` (binding to port 0 first when `bindFirst`) and performs the active close: `end()` as soon as the connection
 * is up, so the client sends the first FIN; the server answers with its own FIN (see
 * `startServer`) and the client's socket goes to TIME_WAIT. Never rejects.
 */
export function connectAndClose(port: number, timeoutMs: number, bindFirst = false): Promise<Attempt> {
  const startedAt = now();
  return new Promise((resolve) => {
    let localPort: number | undefined;
    let code: string | undefined;
    let connected = false;
    // bindFirst: `localAddress` makes Node (libuv) bind the socket to 127.0.0.1, port 0, before
    // connect(); the kernel then picks a port free for every destination, as Windows does by default.
    // Otherwise a plain connect() lets the kernel pick a port unique per destination (4-tuple).
    const socket: Socket = connect(bindFirst ? { host: LOOPBACK, port, localAddress: LOOPBACK } : { host: LOOPBACK, port });
    const timer = setTimeout(() => {
      code ??= "TIMEOUT";
      socket.destroy();
    }, timeoutMs);
    socket.on("connect", () => {
      connected = true;
      localPort = socket.localPort;
      socket.end();
    });
    socket.on("data", () => undefined);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      code ??= error.code ?? error.message;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const ok = connected && code === undefined;
      resolve({ ok, code: ok ? undefined : (code ?? "CLOSED"), localPort, startedAt, closedAt: now() });
    });
  });
}

/** A server on 127.0.0.1 that reads until its client's FIN and then closes its side. */
export interface EchoFreeServer {
  readonly accepted: () => number;
  readonly close: () => Promise<void>;
}

export async function startServer(port: number): Promise<EchoFreeServer> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  // allowHalfOpen false (the default): when the client's FIN arrives ('end'), Node ends this side
  // too. The server never closes first.
  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port, backlog: 511 }, () => resolve());
  });
  return {
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** TIME_WAIT sockets in the namespace, split by which side holds them. */
export interface TimeWaitCensus {
  /** All TIME_WAIT sockets (`ss -tan state time-wait`, one line each). */
  readonly total: number;
  /** Held by the client: local port in the ephemeral range, peer 127.0.0.1:serverPort. */
  readonly client: number;
  /** Anything else (server side, other addresses): the experiment expects none. */
  readonly other: number;
}

/** Counts TIME_WAIT sockets with `ss -Htan state time-wait` (run inside the namespace); the client side is any of `serverPort`'s. */
export function timeWaitCensus(range: PortRange, serverPort: number | readonly number[]): Promise<TimeWaitCensus> {
  const peers = new Set((typeof serverPort === "number" ? [serverPort] : serverPort).map((p) => `${LOOPBACK}:${p}`));
  return new Promise((resolve, reject) => {
    execFile("ss", ["-Htan", "state", "time-wait"], { timeout: 5_000, maxBuffer: 16 << 20 }, (error, stdout) => {
      if (error) {
        reject(error);
        return;
      }
      let total = 0;
      let client = 0;
      for (const line of stdout.split("\n")) {
        const endpoints = line
          .trim()
          .split(/\s+/)
          .filter((field) => field.includes(":"));
        if (endpoints.length < 2) continue;
        total++;
        const [local, peer] = endpoints as [string, string];
        const localPort = Number(local.slice(local.lastIndexOf(":") + 1));
        if (local.startsWith(`${LOOPBACK}:`) && peers.has(peer) && localPort >= range.low && localPort <= range.high) client++;
      }
      resolve({ total, client, other: total - client });
    });
  });
}
