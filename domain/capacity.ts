/**
 * The capacity model (docs/CAPACITY.md, docs/SETTINGS.md "Capacity model") as pure functions.
 *
 *   P    usable ephemeral ports (the dynamic port range, cut at MaxUserPort)
 *   R    ports of the auto-reuse port range (`tcp.autoReusePortRange`), when one is configured
 *   T    TIME_WAIT seconds (TcpTimedWaitDelay)
 *   S    concurrently active mailbox sessions on one host
 *   TTL  MailboxCacheTTL seconds: each session reconnects about once per TTL
 *   B    distinct back-end endpoints (server IP:port)
 *   u    planned utilisation of the port space
 *
 * Which pool a connection's local port comes from decides the budget (sources in docs/CAPACITY.md):
 *
 * - Default (no auto-reuse range, Windows' out-of-the-box state): every outbound connection of the
 *   host takes its port from the one dynamic range, whatever the destination. The host sustains
 *   `u * P / T` new connections per second in total, demand is `S / TTL`, so the settings hold
 *   when `TTL >= S * T / (u * P)`. `B` does not multiply anything.
 * - With an auto-reuse range of `R` ports: a connection that calls connect() without bind() (or
 *   sets SO_REUSE_UNICASTPORT) takes its port from that range, and a port is shared across
 *   destinations, so each (local address, back end) pair sustains `R / T`. Demand per back end is
 *   `S / (TTL * B)`; the settings hold when `TTL >= S * T / (u * R * B)`.
 */
import { HIGHEST_RESERVED_PORT, dynamicPortRangeEnd } from "./limits";

/** Port space of a host: the legacy cap and the dynamic port range of Server 2008 and later. */
export interface PortSpace {
  readonly maxUserPort: number;
  readonly dynamicPortRangeStart: number;
  readonly dynamicPortRangeCount: number;
}

/** The auto-reuse port range (`Set-NetTCPSetting -AutoReusePortRangeStartPort/-NumberOfPorts`). */
export interface AutoReusePortRange {
  readonly start: number;
  readonly count: number;
}

/** Load on one host. */
export interface Load {
  /** `S`: concurrently active mailbox sessions. */
  readonly activeSessions: number;
  /** `B`: distinct back-end endpoints. */
  readonly backendEndpoints: number;
  /** `u`: planned utilisation of the port space, in (0, 1]. */
  readonly utilization: number;
}

/**
 * The pool the mail service's connections draw their local ports from:
 * - `hostPool`: the whole dynamic range, shared by every destination (Windows' default);
 * - `perBackend`: the auto-reuse range, one copy of it per (local address, back end) pair.
 */
export type CapacityPool = { readonly model: "hostPool"; readonly ports: number } | { readonly model: "perBackend"; readonly ports: number };

/** Usable ports on the legacy path (Windows 2003 and earlier): the ports above the reserved ones, up to MaxUserPort. */
export function legacyUsablePorts(maxUserPort: number): number {
  return Math.max(0, maxUserPort - HIGHEST_RESERVED_PORT);
}

/**
 * Usable ports on Server 2008 and later: the dynamic range, cut at `MaxUserPort` where that is
 * lower than the range end (the project keeps them equal, so this is the range's count).
 */
export function usablePorts(space: PortSpace): number {
  const end = Math.min(dynamicPortRangeEnd(space.dynamicPortRangeStart, space.dynamicPortRangeCount), space.maxUserPort);
  return Math.max(0, end - space.dynamicPortRangeStart + 1);
}

/** The pool that applies: the auto-reuse range when one is configured, else the host's dynamic range. */
export function capacityPool(space: PortSpace, autoReuse?: AutoReusePortRange): CapacityPool {
  if (autoReuse !== undefined && autoReuse.count > 0) return { model: "perBackend", ports: autoReuse.count };
  return { model: "hostPool", ports: usablePorts(space) };
}

/**
 * How many back ends share one pool's budget independently: 1 for the host pool (every
 * destination draws from the same ports), `B` with the auto-reuse range (each back end has its own).
 */
function poolCopies(pool: CapacityPool, load: Load): number {
  return pool.model === "perBackend" ? load.backendEndpoints : 1;
}

/** `P / T` (or `R / T`): new connections per second one pool sustains. */
export function maxConnectionRate(ports: number, timeWaitSeconds: number): number {
  return ports / timeWaitSeconds;
}

/** Seconds until a pool of `ports` is exhausted at `rate` new connections/s drawn from it (Infinity at or below its rate). */
export function secondsToExhaustion(ports: number, timeWaitSeconds: number, rate: number): number {
  return rate <= maxConnectionRate(ports, timeWaitSeconds) ? Number.POSITIVE_INFINITY : ports / rate;
}

/** Demand on one pool: `S / TTL` for the host pool, `S / (TTL * B)` per back end with the auto-reuse range. */
export function connectionDemand(load: Load, mailboxCacheTtl: number, pool: CapacityPool): number {
  return load.activeSessions / (mailboxCacheTtl * poolCopies(pool, load));
}

/**
 * Smallest whole-second `MailboxCacheTTL` that keeps demand within `u` of the pool's rate:
 * `ceil(S * T / (u * P))` for the host pool, `ceil(S * T / (u * R * B))` with the auto-reuse
 * range. Zero when there is no load.
 */
export function minimumTtlForLoad(load: Load, pool: CapacityPool, timeWaitSeconds: number): number {
  if (load.activeSessions <= 0) return 0;
  const exact = (load.activeSessions * timeWaitSeconds) / (load.utilization * pool.ports * poolCopies(pool, load));
  // Guard against floating-point noise just above an integer (e.g. 7.000000000000001).
  return Math.ceil(exact - 1e-9);
}

/**
 * Largest whole-second `TcpTimedWaitDelay` that sustains the load at a given TTL:
 * `floor(u * P * TTL / S)` (host pool) or `floor(u * R * TTL * B / S)` (auto-reuse range).
 * Infinity when there is no load.
 */
export function maximumTimeWaitForLoad(load: Load, pool: CapacityPool, mailboxCacheTtl: number): number {
  if (load.activeSessions <= 0) return Number.POSITIVE_INFINITY;
  return Math.floor((load.utilization * pool.ports * mailboxCacheTtl * poolCopies(pool, load)) / load.activeSessions + 1e-9);
}

/** The host's `MailboxCacheTTL` floor: the larger of the configured floor and the capacity-derived minimum. */
export function effectiveTtlFloor(configuredFloor: number, load: Load, pool: CapacityPool, timeWaitSeconds: number): number {
  return Math.max(configuredFloor, minimumTtlForLoad(load, pool, timeWaitSeconds));
}

/** Everything the model says about one host's settings under a load. */
export interface CapacityAssessment {
  /** Which pool applies: the host's dynamic range, or the auto-reuse range per back end. */
  readonly model: CapacityPool["model"];
  /** `P`: the dynamic range's usable ports. */
  readonly usablePorts: number;
  /** Ports of the pool that applies: `P` (host pool) or `R` (auto-reuse range). */
  readonly poolPorts: number;
  /** Pool rate: `P / T` for the whole host, or `R / T` per back-end endpoint. */
  readonly rmax: number;
  /** `u * rmax`: the planned ceiling. */
  readonly plannedRate: number;
  /** `S / TTL` for the whole host, or `S / (TTL * B)` per back-end endpoint. */
  readonly demand: number;
  /** `plannedRate - demand`: positive means room to spare. */
  readonly headroom: number;
  /** Smallest TTL that holds the load with these port settings. */
  readonly minimumTtl: number;
  /** Largest TcpTimedWaitDelay that holds the load at this TTL. */
  readonly maximumTimeWait: number;
  /** True when `demand <= u * rmax`. */
  readonly sustainable: boolean;
}

/** Assesses a host's port settings and `MailboxCacheTTL` against its load. */
export function assessCapacity(
  space: PortSpace,
  timeWaitSeconds: number,
  mailboxCacheTtl: number,
  load: Load,
  autoReuse?: AutoReusePortRange,
): CapacityAssessment {
  const pool = capacityPool(space, autoReuse);
  const rmax = maxConnectionRate(pool.ports, timeWaitSeconds);
  const plannedRate = load.utilization * rmax;
  const demand = connectionDemand(load, mailboxCacheTtl, pool);
  return {
    model: pool.model,
    usablePorts: usablePorts(space),
    poolPorts: pool.ports,
    rmax,
    plannedRate,
    demand,
    headroom: plannedRate - demand,
    minimumTtl: minimumTtlForLoad(load, pool, timeWaitSeconds),
    maximumTimeWait: maximumTimeWaitForLoad(load, pool, mailboxCacheTtl),
    // Compare in the multiplied form to avoid rounding: S * T <= u * ports * TTL * copies.
    sustainable: load.activeSessions * timeWaitSeconds <= load.utilization * pool.ports * mailboxCacheTtl * poolCopies(pool, load) + 1e-9,
  };
}

/** One sentence saying which model applies to a host and why, for `mailhost plan` and messages. */
export function capacityModelText(pool: CapacityPool, load: Load): string {
  if (pool.model === "hostPool") {
    return `one port pool per host: no auto-reuse port range is configured, so every outbound connection takes its local port from the dynamic range (${pool.ports} ports) whatever the back end; the ${load.backendEndpoints} back-end endpoint(s) share it`;
  }
  return `a pool per back end: the auto-reuse port range (${pool.ports} ports) gives each (local address, back-end endpoint) pair its own ${pool.ports} ports for connections made without bind() (or with SO_REUSE_UNICASTPORT), over ${load.backendEndpoints} back-end endpoint(s)`;
}
