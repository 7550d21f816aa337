import type { StackValidationPolicy } from "@pulumi/policy";
import { label } from "../lib/resources";
import { DEFAULT_ROUTE_PREFIX, type StackRouteTable, hostInterfaces, outboundPathOf, stackRouteTables, stackSubnets } from "../lib/network";

const shown = (names: readonly string[]) => (names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`);

/**
 * A subnet that holds mail-host network interfaces has an explicit outbound path: a NAT gateway,
 * or a route table with a default route. Without one the hosts rely on Azure's default outbound
 * access, which Microsoft documents as not for production and which private subnets
 * (`defaultOutboundAccess: false`, the default from network API 2025-07-01) do not have
 * (https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access).
 * A route table that is not in the stack (owned by a hub team) is taken as given: its routes
 * cannot be seen here.
 */
export const subnetExplicitOutbound: StackValidationPolicy = {
  name: "mailhost-subnet-explicit-outbound",
  description:
    "A subnet that holds mail-host network interfaces must have an explicit outbound path: a NAT gateway, or a route table with a default route (0.0.0.0/0) to a firewall or NVA. Default outbound access is not for production and private subnets have none, so Windows activation, VM extensions and Azure Monitor would fail.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const subnets = stackSubnets(args.resources);
    const tables = stackRouteTables(args.resources);
    const interfaces = hostInterfaces(args.resources);
    for (const subnet of subnets) {
      const held = interfaces.filter(
        (i) =>
          (subnet.key !== undefined && i.subnetKeys.includes(subnet.key)) ||
          (subnet.resource.type.endsWith(":Subnet") && i.dependencyUrns.includes(subnet.resource.urn)),
      );
      if (held.length === 0) continue;
      const who = `Subnet "${subnet.name}" (${label(subnet.resource.type, subnet.resource.name)}) holds the network interfaces of mail hosts (${shown(held.map((i) => i.resource.name))})`;
      const path = outboundPathOf(subnet);
      if (path.kind === "natGateway" || path.kind === "unknown") continue;
      if (path.kind === "none") {
        report(
          `${who} but has no explicit outbound path: no NAT gateway (natGateway) and no route table (routeTable). Its hosts would depend on Azure's default outbound access, which is not for production and which a private subnet does not have. Give it a NAT gateway (mailhost:egress kind natGateway, the default) or a route table whose default route leads to a firewall or NVA (kind routeTable).`,
          subnet.resource.urn,
        );
        continue;
      }
      const viaDependency = (subnet.resource.propertyDependencies?.routeTable ?? []).map((d) => d.urn);
      const table: StackRouteTable | undefined = tables.find((t) => (path.key !== undefined && t.key === path.key) || viaDependency.includes(t.resource.urn));
      if (table !== undefined && table.hasDefaultRoute === false) {
        report(
          `${who} and is associated with ${label(table.resource.type, table.resource.name)}, which has no default route (${DEFAULT_ROUTE_PREFIX} with a next hop other than None): its hosts have no way out. Add a default route to a firewall or NVA, or use a NAT gateway (mailhost:egress kind natGateway).`,
          subnet.resource.urn,
        );
      }
    }
  },
};
