import type { ResourceValidationPolicy } from "@pulumi/policy";
import { MANAGEMENT_PORTS, SHORTEST_INBOUND_SOURCE_PREFIX } from "../../domain/limits";
import { isInternetWideSource } from "../../domain/rules";
import { NETWORK_SECURITY_GROUP_TYPE, SECURITY_RULE_TYPE, label } from "../lib/resources";

/** RDP also listens on UDP; WinRM is TCP only. */
const RDP_PORT = MANAGEMENT_PORTS[0];

function portRanges(rule: Record<string, unknown>): string[] {
  const list = [rule.destinationPortRange, ...(Array.isArray(rule.destinationPortRanges) ? rule.destinationPortRanges : [])];
  return list.filter((p): p is string | number => typeof p === "string" || typeof p === "number").map(String);
}

function covers(range: string, port: number): boolean {
  const text = range.trim();
  if (text === "*") return true;
  const m = /^(\d+)\s*(?:-\s*(\d+))?$/.exec(text);
  if (!m) return false;
  const low = Number(m[1]);
  const high = m[2] === undefined ? low : Number(m[2]);
  return port >= low && port <= high;
}

/** Names the management ports an inbound Allow rule opens to the Internet; empty when none. */
export function exposedManagementPorts(rule: Record<string, unknown>): number[] {
  const direction = String(rule.direction ?? "").toLowerCase();
  const access = String(rule.access ?? "").toLowerCase();
  const protocol = String(rule.protocol ?? "*").toLowerCase();
  if (direction !== "inbound" || access !== "allow" || !["*", "tcp", "udp"].includes(protocol)) return [];
  const sources = [rule.sourceAddressPrefix, ...(Array.isArray(rule.sourceAddressPrefixes) ? rule.sourceAddressPrefixes : [])].filter(
    (s): s is string => typeof s === "string",
  );
  if (!sources.some(isInternetWideSource)) return [];
  const ranges = portRanges(rule);
  const ports = protocol === "udp" ? [RDP_PORT] : [...MANAGEMENT_PORTS];
  return ports.filter((port) => ranges.some((r) => covers(r, port)));
}

/** No NSG rule lets RDP or WinRM in from the Internet. */
export const nsgNoRemoteManagementFromInternet: ResourceValidationPolicy = {
  name: "mailhost-nsg-no-remote-management-from-internet",
  description: `No network security group rule may allow RDP or WinRM (ports ${MANAGEMENT_PORTS.join(", ")}; RDP also over UDP) in from "*", "Internet", 0.0.0.0/0 or any prefix shorter than /${SHORTEST_INBOUND_SOURCE_PREFIX}.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const rules: Array<Record<string, unknown>> = NETWORK_SECURITY_GROUP_TYPE.test(args.type)
      ? Array.isArray(args.props.securityRules)
        ? args.props.securityRules
        : []
      : SECURITY_RULE_TYPE.test(args.type)
        ? [args.props]
        : [];
    for (const rule of rules) {
      const ports = exposedManagementPorts(rule);
      if (ports.length > 0) {
        report(
          `${label(args.type, args.name)}: rule "${String(rule.name ?? rule.securityRuleName ?? args.name)}" allows port${ports.length > 1 ? "s" : ""} ${ports.join(", ")} in from the Internet; remote management must never be reachable from "*", "Internet" or 0.0.0.0/0.`,
        );
      }
    }
  },
};
