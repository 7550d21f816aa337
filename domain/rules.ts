/**
 * Checks of individual tuning values, shared by the components (before any child resource
 * exists), the policy pack (on whatever resource carries the value) and the drift check.
 * Each returns `undefined` when the value is fine, else the tail of a sentence that starts with
 * the subject, e.g. `TcpTimedWaitDelay = <value> is outside <min>–<max> (seconds)`.
 */
import { showValue } from "./issues";
import {
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  HIGHEST_PORT,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  SHORTEST_INBOUND_SOURCE_PREFIX,
  TCP_TIMED_WAIT_DELAY,
  type IntRange,
  dynamicPortRangeEnd,
  formatRange,
  inRange,
} from "./limits";

function rangeProblem(name: string, value: unknown, range: IntRange): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return `${name} = ${showValue(value)} is not an integer; allowed ${formatRange(range)}`;
  }
  return inRange(value, range) ? undefined : `${name} = ${value} is outside ${formatRange(range)}`;
}

export function tcpTimedWaitDelayProblem(value: unknown, name = "TcpTimedWaitDelay"): string | undefined {
  return rangeProblem(name, value, TCP_TIMED_WAIT_DELAY);
}

export function maxUserPortProblem(value: unknown, name = "MaxUserPort"): string | undefined {
  return rangeProblem(name, value, MAX_USER_PORT);
}

/**
 * The dynamic port range must be valid on its own (start, count, end <= HIGHEST_PORT) and, when a
 * MaxUserPort is given, end exactly there (the project keeps range end = MaxUserPort).
 */
export function dynamicPortRangeProblems(start: unknown, count: unknown, maxUserPort?: unknown): string[] {
  const problems = [
    rangeProblem("DynamicPortRangeStartPort", start, DYNAMIC_PORT_RANGE_START),
    rangeProblem("DynamicPortRangeNumberOfPorts", count, DYNAMIC_PORT_RANGE_COUNT),
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0 || typeof start !== "number" || typeof count !== "number") return problems;
  const end = dynamicPortRangeEnd(start, count);
  if (end > HIGHEST_PORT) {
    return [`the dynamic port range ${start}–${end} (start ${start}, ${count} ports) ends above port ${HIGHEST_PORT}`];
  }
  if (typeof maxUserPort === "number" && Number.isInteger(maxUserPort) && end !== maxUserPort) {
    return [
      `the dynamic port range ${start}–${end} (start ${start}, ${count} ports) does not end at MaxUserPort = ${maxUserPort}; set the number of ports to ${maxUserPort - start + 1}`,
    ];
  }
  return [];
}

/**
 * The auto-reuse port range must be valid on its own (start, count, end <= HIGHEST_PORT) and, when
 * the dynamic port range is given, lie strictly inside it with at least
 * MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE of its ports left outside for connections that cannot use it.
 */
export function autoReusePortRangeProblems(start: unknown, count: unknown, dynamicStart?: unknown, dynamicCount?: unknown): string[] {
  const problems = [
    rangeProblem("AutoReusePortRangeStartPort", start, AUTO_REUSE_PORT_RANGE_START),
    rangeProblem("AutoReusePortRangeNumberOfPorts", count, AUTO_REUSE_PORT_RANGE_COUNT),
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0 || typeof start !== "number" || typeof count !== "number") return problems;
  const end = dynamicPortRangeEnd(start, count);
  if (end > HIGHEST_PORT) {
    return [`the auto-reuse port range ${start}–${end} (start ${start}, ${count} ports) ends above port ${HIGHEST_PORT}`];
  }
  if (typeof dynamicStart !== "number" || typeof dynamicCount !== "number" || !Number.isInteger(dynamicStart) || !Number.isInteger(dynamicCount)) return [];
  const dynamicEnd = dynamicPortRangeEnd(dynamicStart, dynamicCount);
  if (start < dynamicStart || end > dynamicEnd) {
    return [
      `the auto-reuse port range ${start}–${end} (start ${start}, ${count} ports) is not inside the dynamic port range ${dynamicStart}–${dynamicEnd}; Windows needs it strictly inside`,
    ];
  }
  const outside = dynamicCount - count;
  if (outside < MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE) {
    return [
      `the auto-reuse port range ${start}–${end} (${count} ports) leaves ${outside} ports of the dynamic port range ${dynamicStart}–${dynamicEnd} outside it, fewer than the ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} that connections unable to use it need; use at most ${dynamicCount - MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} ports`,
    ];
  }
  return [];
}

/** MailboxCacheTTL must be a whole number at or above the floor. */
export function mailboxCacheTtlProblem(value: unknown, floor: number, name = "MailboxCacheTTL"): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value)) return `${name} = ${showValue(value)} is not a whole number of seconds; the floor is ${floor}`;
  return value >= floor ? undefined : `${name} = ${value} is below its floor of ${floor} seconds`;
}

/** Sources that mean "anyone on the Internet" in an NSG rule. */
const INTERNET_SOURCES = new Set(["*", "internet", "0.0.0.0/0", "0.0.0.0", "any", "::/0"]);

/**
 * True when an inbound source covers the Internet or a large share of it: "*", "Internet", or a
 * prefix shorter than {@link SHORTEST_INBOUND_SOURCE_PREFIX} (0.0.0.0/0, 0.0.0.0/1, ...).
 */
export function isInternetWideSource(source: string): boolean {
  const s = source.trim().toLowerCase();
  if (INTERNET_SOURCES.has(s)) return true;
  const m = /^[\d.]+\/(\d{1,2})$/.exec(s);
  return m !== null && Number(m[1]) < SHORTEST_INBOUND_SOURCE_PREFIX;
}

/** The problem with an inbound source CIDR, as the tail of a sentence; undefined when it is fine. */
export function inboundSourceProblem(cidr: string, name: string): string | undefined {
  if (!isInternetWideSource(cidr)) return undefined;
  return `${name} = ${showValue(cidr)} opens the port to the whole Internet or a large share of it (no prefix shorter than /${SHORTEST_INBOUND_SOURCE_PREFIX} from anywhere); name the client networks instead`;
}
