import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { assessCapacity } from "../../domain/capacity";
import { TCP_TIMED_WAIT_DELAY, formatRange } from "../../domain/limits";
import { autoReusePortRangeProblems } from "../../domain/rules";
import { tuningResources } from "../lib/hosts";
import { asNumber, firstValue, label } from "../lib/resources";
import { carriedTtls } from "../lib/siteConfig";
import { known } from "../lib/unknown";

interface HostSettings {
  readonly timeWait: number;
  readonly start: number;
  readonly count: number;
  readonly maxUserPort: number;
  readonly ttl: number;
  /** The auto-reuse port range the resource sets, when it sets a valid one; else one pool per host. */
  readonly autoReuse?: { readonly start: number; readonly count: number };
}

/** The settings a tuning resource applies, when all are present, known and numeric. */
function settingsOf(resource: PolicyResource): HostSettings | undefined {
  const read = known(() => {
    const number = (name: Parameters<typeof firstValue>[2]) => {
      const v = asNumber(firstValue(resource.type, resource.props, name)?.value);
      return typeof v === "number" && Number.isInteger(v) ? v : undefined;
    };
    const ttl = carriedTtls(resource.type, resource.props)[0]?.ttl;
    const timeWait = number("TcpTimedWaitDelay");
    const start = number("DynamicPortRangeStartPort");
    const count = number("DynamicPortRangeNumberOfPorts");
    if (timeWait === undefined || start === undefined || count === undefined || ttl === undefined || !ttl.ok || timeWait <= 0) return undefined;
    // An auto-reuse range counts only when it is valid inside this dynamic range (the range policy
    // reports any other); without one, every connection shares the host's dynamic range.
    const autoStart = number("AutoReusePortRangeStartPort");
    const autoCount = number("AutoReusePortRangeNumberOfPorts");
    const autoReuse =
      autoStart !== undefined && autoCount !== undefined && autoReusePortRangeProblems(autoStart, autoCount, start, count).length === 0
        ? { start: autoStart, count: autoCount }
        : undefined;
    return {
      timeWait,
      start,
      count,
      maxUserPort: number("MaxUserPort") ?? start + count - 1,
      ttl: ttl.value,
      ...(autoReuse === undefined ? {} : { autoReuse }),
    };
  });
  return read.ok ? read.value : undefined;
}

const round = (n: number) => (Math.round(n * 10) / 10).toLocaleString("en-US");

/** What the capacity check reports, once per stack, when no load is known at `key` (the stack-config key looked at). */
export const noLoadMessage = (key = "<project>:capacity") =>
  `capacity not checked: no load configured (set ${key} in the stack's config, { activeSessionsPerHost, backendEndpoints }, where the module's config loader reads it; or give capacity to mailhostPolicies()).`;

/** The message with the key unknown. */
export const NO_LOAD_MESSAGE = noLoadMessage();

/** The load the capacity rule checks against, and where it came from (or why there is none). */
export interface CapacityConfig {
  readonly load?: { readonly activeSessionsPerHost: number; readonly backendEndpoints: number; readonly utilization: number };
  /** Where `load` came from, for messages: "the stack's mailhost:capacity" or "the pack's options". */
  readonly source?: string;
  /** The stack's `<namespace>:capacity` is there but invalid: the sentences saying why. */
  readonly problem?: string;
  /** The stack-config key the load was looked for at, for the "no load" notice. */
  readonly key?: string;
}

/**
 * For each host, the settings sustain the planned load (the capacity model of docs/CAPACITY.md):
 * without an auto-reuse port range the host's dynamic range is one pool for all back ends,
 * S / TTL <= u * P / T; with one set on the same resource, each back end gets the range,
 * S / (TTL * B) <= u * R / T. The load is the stack's own `mailhost:capacity` (or the one given to
 * `mailhostPolicies()`), read through `args.getConfig()` as a {@link CapacityConfig}. With no load
 * the rule reports one advisory violation instead of passing silently; with an invalid one, one
 * violation at its own level naming the problem.
 */
export const capacity: StackValidationPolicy = {
  name: "mailhost-capacity-sustains-load",
  description:
    "Each mail host's port settings and MailboxCacheTTL must sustain the planned load: by default one pool per host, S / TTL at most u * P / T; with an auto-reuse port range of R ports, S / (TTL * B) per back-end endpoint at most u * R / T.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const config = args.getConfig<CapacityConfig>();
    const hosts = tuningResources(args.resources);
    if (hosts.length === 0) return;
    if (config.problem !== undefined) {
      report(`capacity not checked: ${config.problem}`);
      return;
    }
    if (config.load === undefined) {
      // Never a silent pass: say that nothing was checked, as advisory whatever the policy's level.
      (report as unknown as (violation: { message: string; enforcementLevel: "advisory" }) => void)({
        message: noLoadMessage(config.key),
        enforcementLevel: "advisory",
      });
      return;
    }
    const load = { activeSessions: config.load.activeSessionsPerHost, backendEndpoints: config.load.backendEndpoints, utilization: config.load.utilization };
    if (load.activeSessions <= 0) return;
    for (const resource of hosts) {
      const s = settingsOf(resource);
      // Missing or unreadable values: the range and floor policies report those, and
      // mailhost-tuning-values-readable says that this check could not run.
      if (s === undefined) continue;
      const a = assessCapacity(
        { maxUserPort: s.maxUserPort, dynamicPortRangeStart: s.start, dynamicPortRangeCount: s.count },
        s.timeWait,
        s.ttl,
        load,
        s.autoReuse,
      );
      if (a.sustainable) continue;
      const timeWaitHint =
        a.maximumTimeWait >= TCP_TIMED_WAIT_DELAY.min
          ? `, or lower TcpTimedWaitDelay to at most ${Math.min(a.maximumTimeWait, TCP_TIMED_WAIT_DELAY.max)} s`
          : ` (no TcpTimedWaitDelay within ${formatRange(TCP_TIMED_WAIT_DELAY)} holds it at this TTL)`;
      const autoReuseHint = a.model === "hostPool" ? ", or set an auto-reuse port range (tcp.autoReusePortRange) so that each back end gets its own ports" : "";
      const source = config.source === undefined ? "" : ` (Load from ${config.source}.)`;
      report(
        a.model === "hostPool"
          ? `${label(resource.type, resource.name)}: one port pool per host (no auto-reuse port range): with TcpTimedWaitDelay ${s.timeWait} s and ${a.usablePorts} ports, Rmax = ${round(a.rmax)} connections/s for the whole host, whatever the back end; ` +
              `${load.activeSessions} sessions at MailboxCacheTTL ${s.ttl} s demand ${round(a.demand)}/s (${load.backendEndpoints} back-end endpoint(s) share the pool), above u × Rmax = ${round(a.plannedRate)}/s (u = ${load.utilization}). ` +
              `Raise MailboxCacheTTL to at least ${a.minimumTtl} s${timeWaitHint}${autoReuseHint}.${source}`
          : `${label(resource.type, resource.name)}: auto-reuse port range of ${a.poolPorts} ports per back end: with TcpTimedWaitDelay ${s.timeWait} s, Rmax = ${round(a.rmax)} connections/s per back-end endpoint; ` +
              `${load.activeSessions} sessions over ${load.backendEndpoints} endpoint(s) at MailboxCacheTTL ${s.ttl} s demand ${round(a.demand)}/s per endpoint, above u × Rmax = ${round(a.plannedRate)}/s (u = ${load.utilization}). ` +
              `Raise MailboxCacheTTL to at least ${a.minimumTtl} s${timeWaitHint}.${source}`,
        resource.urn,
      );
    }
  },
};
