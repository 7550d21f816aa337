/**
 * The capacity model (docs/SETTINGS.md, "Capacity model") as pure functions.
 *
 *   P    usable ephemeral ports
 *   T    TIME_WAIT seconds (TcpTimedWaitDelay)
 *   S    concurrently active mailbox sessions on one host
 *   TTL  MailboxCacheTTL seconds: each session reconnects about once per TTL
 *   B    distinct back-end endpoints (server IP:port)
 *   u    planned utilisation of the port space
 *
 * Sustainable new connections per second from one address to one endpoint: Rmax = P / T.
 * Demand per endpoint: S / (TTL * B). The settings hold when S / (TTL * B) <= u * P / T,
 * that is TTL >= S * T / (u * P * B).
 */
import { HIGHEST_RESERVED_PORT, dynamicPortRangeEnd } from "./limits";

/** Port space of a host: the legacy cap and the dynamic port range of Server 2008 and later. */
export interface PortSpace {
  readonly maxUserPort: number;
  readonly dynamicPortRangeStart: number;
  readonly dynamicPortRangeCount: number;
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

/** `Rmax = P / T`: new connections per second one address sustains towards one endpoint. */
export function maxConnectionRate(ports: number, timeWaitSeconds: number): number {
  return ports / timeWaitSeconds;
}

/** Seconds until the port space is exhausted at `rate` new connections/s (Infinity at or below Rmax). */
export function secondsToExhaustion(ports: number, timeWaitSeconds: number, rate: number): number {
  return rate <= maxConnectionRate(ports, timeWaitSeconds) ? Number.POSITIVE_INFINITY : ports / rate;
}

/** Demand per endpoint: `S / (TTL * B)` new connections per second. */
export function connectionDemand(load: Load, mailboxCacheTtl: number): number {
  return load.activeSessions / (mailboxCacheTtl * load.backendEndpoints);
}

/**
 * Smallest whole-second `MailboxCacheTTL` that keeps demand within `u * Rmax`:
 * `ceil(S * T / (u * P * B))`. Zero when there is no load.
 */
export function minimumTtlForLoad(load: Load, ports: number, timeWaitSeconds: number): number {
  if (load.activeSessions <= 0) return 0;
  const exact = (load.activeSessions * timeWaitSeconds) / (load.utilization * ports * load.backendEndpoints);
  // Guard against floating-point noise just above an integer (e.g. 7.000000000000001).
  return Math.ceil(exact - 1e-9);
}

/**
 * Largest whole-second `TcpTimedWaitDelay` that sustains the load at a given TTL:
 * `floor(u * P * TTL * B / S)`. Infinity when there is no load.
 */
export function maximumTimeWaitForLoad(load: Load, ports: number, mailboxCacheTtl: number): number {
  if (load.activeSessions <= 0) return Number.POSITIVE_INFINITY;
  return Math.floor((load.utilization * ports * mailboxCacheTtl * load.backendEndpoints) / load.activeSessions + 1e-9);
}

/** The host's `MailboxCacheTTL` floor: the larger of the configured floor and the capacity-derived minimum. */
export function effectiveTtlFloor(configuredFloor: number, load: Load, ports: number, timeWaitSeconds: number): number {
  return Math.max(configuredFloor, minimumTtlForLoad(load, ports, timeWaitSeconds));
}

/** Everything the model says about one host's settings under a load. */
export interface CapacityAssessment {
  /** `P`. */
  readonly usablePorts: number;
  /** `Rmax = P / T`, connections/s per back-end endpoint. */
  readonly rmax: number;
  /** `u * Rmax`: the planned ceiling. */
  readonly plannedRate: number;
  /** `S / (TTL * B)`, connections/s per back-end endpoint. */
  readonly demand: number;
  /** `plannedRate - demand`: positive means room to spare. */
  readonly headroom: number;
  /** Smallest TTL that holds the load with these port settings. */
  readonly minimumTtl: number;
  /** Largest TcpTimedWaitDelay that holds the load at this TTL. */
  readonly maximumTimeWait: number;
  /** True when `demand <= u * Rmax`. */
  readonly sustainable: boolean;
}

/** Assesses a host's port settings and `MailboxCacheTTL` against its load. */
export function assessCapacity(space: PortSpace, timeWaitSeconds: number, mailboxCacheTtl: number, load: Load): CapacityAssessment {
  const ports = usablePorts(space);
  const rmax = maxConnectionRate(ports, timeWaitSeconds);
  const plannedRate = load.utilization * rmax;
  const demand = connectionDemand(load, mailboxCacheTtl);
  return {
    usablePorts: ports,
    rmax,
    plannedRate,
    demand,
    headroom: plannedRate - demand,
    minimumTtl: minimumTtlForLoad(load, ports, timeWaitSeconds),
    maximumTimeWait: maximumTimeWaitForLoad(load, ports, mailboxCacheTtl),
    // Compare in the multiplied form to avoid rounding: S * T <= u * P * TTL * B.
    sustainable: load.activeSessions * timeWaitSeconds <= load.utilization * ports * mailboxCacheTtl * load.backendEndpoints + 1e-9,
  };
}
