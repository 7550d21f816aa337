/**
 * Subnets, the network interfaces in them and their outbound path, for the egress stack policy.
 * Links go through ARM ids (case-insensitive, subscription ignored: it is the same stack) and,
 * where an id is not known yet during preview, through property dependencies.
 */
import type { PolicyResource } from "@pulumi/policy";
import { NETWORK_INTERFACE_TYPE, VIRTUAL_MACHINE_TYPE } from "./resources";
import { known } from "./unknown";

export const SUBNET_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:Subnet$/;
export const VIRTUAL_NETWORK_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:VirtualNetwork$/;
export const ROUTE_TABLE_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:RouteTable$/;
export const ROUTE_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:Route$/;

/** The IPv4 default route's prefix. */
export const DEFAULT_ROUTE_PREFIX = "0.0.0.0/0";

const SUBNET_ID = /\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/virtualnetworks\/([^/]+)\/subnets\/([^/]+)\/?$/i;
const ROUTE_TABLE_ID = /\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/routetables\/([^/]+)\/?$/i;

/** `<group>/<vnet>/<subnet>` (lower case) of a subnet ARM id, or undefined. */
export function subnetKeyOfId(id: unknown): string | undefined {
  const m = typeof id === "string" ? SUBNET_ID.exec(id) : null;
  return m ? `${m[1]}/${m[2]}/${m[3]}`.toLowerCase() : undefined;
}

/** `<group>/<route table>` (lower case) of a route table ARM id, or undefined. */
export function routeTableKeyOfId(id: unknown): string | undefined {
  const m = typeof id === "string" ? ROUTE_TABLE_ID.exec(id) : null;
  return m ? `${m[1]}/${m[2]}`.toLowerCase() : undefined;
}

function text(read: () => unknown): string | undefined {
  const r = known(read);
  return r.ok && typeof r.value === "string" ? r.value : undefined;
}

function list(read: () => unknown): unknown[] {
  const r = known(read);
  return r.ok && Array.isArray(r.value) ? r.value : [];
}

/** A subnet of the stack: a Subnet resource, or one written inline in a VirtualNetwork's `subnets`. */
export interface StackSubnet {
  /** The resource that declares it (the VirtualNetwork for an inline subnet). */
  readonly resource: PolicyResource;
  /** Azure name, when known. */
  readonly name: string;
  /** `<group>/<vnet>/<subnet>`, when known. */
  readonly key?: string;
  /** Reads its `natGateway` / `routeTable` properties. */
  readonly read: (property: "natGateway" | "routeTable") => unknown;
}

/** Every subnet the stack declares. */
export function stackSubnets(resources: readonly PolicyResource[]): StackSubnet[] {
  const out: StackSubnet[] = [];
  for (const r of resources) {
    if (SUBNET_TYPE.test(r.type)) {
      const name = text(() => r.props.subnetName ?? r.props.name) ?? r.name;
      const group = text(() => r.props.resourceGroupName);
      const vnet = text(() => r.props.virtualNetworkName);
      const key = subnetKeyOfId(text(() => r.props.id)) ?? (group && vnet ? `${group}/${vnet}/${name}`.toLowerCase() : undefined);
      out.push({ resource: r, name, key, read: (p) => r.props[p] });
    } else if (VIRTUAL_NETWORK_TYPE.test(r.type)) {
      const group = text(() => r.props.resourceGroupName);
      const vnet = text(() => r.props.virtualNetworkName ?? r.props.name);
      list(() => r.props.subnets).forEach((s, i) => {
        const subnet = (s ?? {}) as Record<string, unknown>;
        const name = text(() => subnet.name) ?? `subnets[${i}]`;
        const key = subnetKeyOfId(text(() => subnet.id)) ?? (group && vnet ? `${group}/${vnet}/${name}`.toLowerCase() : undefined);
        out.push({ resource: r, name, key, read: (p) => subnet[p] });
      });
    }
  }
  return out;
}

/** A network interface of a mail host and the subnets its IP configurations name. */
export interface HostInterface {
  /** The NIC, or the VM whose network profile declares the interface inline. */
  readonly resource: PolicyResource;
  /** Subnet keys named by ARM id. */
  readonly subnetKeys: readonly string[];
  /** URNs of resources its IP configurations depend on (the subnet when its id is not known yet). */
  readonly dependencyUrns: readonly string[];
}

/**
 * Network interfaces of the stack's mail hosts: every NIC, and every interface a VM declares
 * inline (every VM of a mail host stack is a mail host).
 */
export function hostInterfaces(resources: readonly PolicyResource[]): HostInterface[] {
  const out: HostInterface[] = [];
  const subnetIds = (configs: unknown[]) =>
    configs.map((c) => subnetKeyOfId(text(() => (c as { subnet?: { id?: unknown } } | null)?.subnet?.id))).filter((k): k is string => k !== undefined);
  for (const r of resources) {
    if (NETWORK_INTERFACE_TYPE.test(r.type)) {
      out.push({
        resource: r,
        subnetKeys: subnetIds(list(() => r.props.ipConfigurations)),
        dependencyUrns: (r.propertyDependencies?.ipConfigurations ?? []).map((d) => d.urn),
      });
    } else if (VIRTUAL_MACHINE_TYPE.test(r.type)) {
      const configs = list(() => r.props.networkProfile?.networkInterfaceConfigurations).flatMap((nic) =>
        list(() => (nic as { ipConfigurations?: unknown } | null)?.ipConfigurations),
      );
      if (configs.length > 0)
        out.push({ resource: r, subnetKeys: subnetIds(configs), dependencyUrns: (r.propertyDependencies?.networkProfile ?? []).map((d) => d.urn) });
    }
  }
  return out;
}

/** The outbound path a subnet declares. */
export type OutboundPath =
  | { readonly kind: "natGateway" }
  | { readonly kind: "routeTable"; readonly key?: string }
  | { readonly kind: "none" }
  /** A property that is not known yet (preview): no verdict. */
  | { readonly kind: "unknown" };

const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** What a subnet's `natGateway` and `routeTable` say. */
export function outboundPathOf(subnet: StackSubnet): OutboundPath {
  const nat = known(() => subnet.read("natGateway"));
  if (nat.ok && present(nat.value)) return { kind: "natGateway" };
  const table = known(() => subnet.read("routeTable"));
  if (table.ok && present(table.value)) return { kind: "routeTable", key: routeTableKeyOfId(text(() => (table.value as { id?: unknown }).id)) };
  if (!nat.ok || !table.ok) return { kind: "unknown" };
  return { kind: "none" };
}

/** A route table of the stack and whether it holds a usable default route. */
export interface StackRouteTable {
  readonly resource: PolicyResource;
  readonly key?: string;
  /** True when a route for 0.0.0.0/0 leads somewhere (next hop other than `None`); undefined when not known yet. */
  readonly hasDefaultRoute: boolean | undefined;
}

function isDefaultRoute(route: unknown): boolean | undefined {
  const r = known(() => {
    const x = (route ?? {}) as { addressPrefix?: unknown; nextHopType?: unknown };
    return { prefix: x.addressPrefix, hop: x.nextHopType };
  });
  if (!r.ok) return undefined;
  return r.value.prefix === DEFAULT_ROUTE_PREFIX && r.value.hop !== "None";
}

/** Route tables declared in the stack, with their inline routes and separate Route resources. */
export function stackRouteTables(resources: readonly PolicyResource[]): StackRouteTable[] {
  const tables = resources.filter((r) => ROUTE_TABLE_TYPE.test(r.type));
  const routes = resources.filter((r) => ROUTE_TYPE.test(r.type));
  return tables.map((t) => {
    const group = text(() => t.props.resourceGroupName);
    const name = text(() => t.props.routeTableName ?? t.props.name);
    const key = routeTableKeyOfId(text(() => t.props.id)) ?? (group && name ? `${group}/${name}`.toLowerCase() : undefined);
    const inline = known(() => t.props.routes);
    const separate = routes.filter((r) => {
      if ((r.propertyDependencies?.routeTableName ?? []).some((d) => d.urn === t.urn)) return true;
      const g = text(() => r.props.resourceGroupName);
      const n = text(() => r.props.routeTableName);
      return key !== undefined && g !== undefined && n !== undefined && `${g}/${n}`.toLowerCase() === key;
    });
    const verdicts = [...(inline.ok && Array.isArray(inline.value) ? inline.value : []), ...separate.map((r) => r.props)].map(isDefaultRoute);
    const hasDefaultRoute = verdicts.includes(true) ? true : !inline.ok || verdicts.includes(undefined) ? undefined : false;
    return { resource: t, key, hasDefaultRoute };
  });
}
