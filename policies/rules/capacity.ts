import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { assessCapacity } from "../../domain/capacity";
import { ACTIVE_SESSIONS_PER_HOST, BACKEND_ENDPOINTS, DEFAULTS, TCP_TIMED_WAIT_DELAY, UTILIZATION, formatRange } from "../../domain/limits";
import { configNumber } from "../lib/policyConfig";
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
    return { timeWait, start, count, maxUserPort: number("MaxUserPort") ?? start + count - 1, ttl: ttl.value };
  });
  return read.ok ? read.value : undefined;
}

const round = (n: number) => (Math.round(n * 10) / 10).toLocaleString("en-US");

/** What the capacity check reports, once per stack, when its config states no load. */
export const NO_LOAD_MESSAGE = "capacity not checked: no load configured (set activeSessionsPerHost and backendEndpoints in this policy's config, equal to the stack's mailhost:capacity; `mailhost check` takes them from the stack file).";

/**
 * For each host, the settings sustain the planned load: S / (TTL * B) <= u * P / T (the capacity
 * model of docs/CAPACITY.md). The load comes from the policy config: `mailhost check` fills it from
 * the stack's own `mailhost:capacity`; under `pulumi preview --policy-pack` the policy config must
 * state it. With no load the policy reports one advisory violation instead of passing silently.
 */
export const capacity: StackValidationPolicy = {
  name: "mailhost-capacity-sustains-load",
  description: "Each mail host's port settings and MailboxCacheTTL must sustain the planned load: new connections per back-end endpoint, S / (TTL * B), at most u * Rmax where Rmax = P / T.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      activeSessionsPerHost: { type: "integer", minimum: ACTIVE_SESSIONS_PER_HOST.min, maximum: ACTIVE_SESSIONS_PER_HOST.max, description: "S: concurrently active mailbox sessions per host, equal to the stack's mailhost:capacity.activeSessionsPerHost (no default: without it the capacity is not checked)." },
      backendEndpoints: { type: "integer", minimum: BACKEND_ENDPOINTS.min, maximum: BACKEND_ENDPOINTS.max, description: "B: distinct back-end IMAP endpoints, equal to the stack's mailhost:capacity.backendEndpoints (no default: without it the capacity is not checked)." },
      utilization: { type: "number", exclusiveMinimum: UTILIZATION.exclusiveMin, maximum: UTILIZATION.max, default: DEFAULTS.utilization, description: "u: planned utilisation of the port space (headroom is 1 - u)." },
    },
  },
  validateStack: (args, report) => {
    const config = args.getConfig<Record<string, unknown>>();
    const hosts = tuningResources(args.resources);
    if (typeof config?.activeSessionsPerHost !== "number" || typeof config?.backendEndpoints !== "number") {
      // Never a silent pass: say that nothing was checked, as advisory whatever the policy's level.
      if (hosts.length > 0) (report as unknown as (violation: { message: string; enforcementLevel: "advisory" }) => void)({ message: NO_LOAD_MESSAGE, enforcementLevel: "advisory" });
      return;
    }
    const load = {
      activeSessions: configNumber(config, "activeSessionsPerHost", ACTIVE_SESSIONS_PER_HOST.min),
      backendEndpoints: configNumber(config, "backendEndpoints", BACKEND_ENDPOINTS.min),
      utilization: configNumber(config, "utilization", DEFAULTS.utilization),
    };
    if (load.activeSessions <= 0) return;
    for (const resource of hosts) {
      const s = settingsOf(resource);
      // Missing or unreadable values: the range and floor policies report those, and
      // mailhost-tuning-values-readable says that this check could not run.
      if (s === undefined) continue;
      const a = assessCapacity({ maxUserPort: s.maxUserPort, dynamicPortRangeStart: s.start, dynamicPortRangeCount: s.count }, s.timeWait, s.ttl, load);
      if (a.sustainable) continue;
      const timeWaitHint = a.maximumTimeWait >= TCP_TIMED_WAIT_DELAY.min
        ? `, or lower TcpTimedWaitDelay to at most ${Math.min(a.maximumTimeWait, TCP_TIMED_WAIT_DELAY.max)} s`
        : ` (no TcpTimedWaitDelay within ${formatRange(TCP_TIMED_WAIT_DELAY)} holds it at this TTL)`;
      report(
        `${label(resource.type, resource.name)}: with TcpTimedWaitDelay ${s.timeWait} s and ${a.usablePorts} ports, Rmax = ${round(a.rmax)} connections/s per back-end endpoint; `
        + `${load.activeSessions} sessions over ${load.backendEndpoints} endpoint(s) at MailboxCacheTTL ${s.ttl} s demand ${round(a.demand)}/s, above u × Rmax = ${round(a.plannedRate)}/s (u = ${load.utilization}). `
        + `Raise MailboxCacheTTL to at least ${a.minimumTtl} s${timeWaitHint}.`,
        resource.urn,
      );
    }
  },
};
