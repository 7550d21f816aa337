/**
 * The explicit outbound path of a stack's mail-host subnet (`mailhost:egress`): what the stack
 * builds for it and what `mailhost plan` shows. Pure data, no Pulumi.
 *
 * Why an explicit path: Azure's "default outbound access" (an implicit, Microsoft-owned public IP)
 * is documented as not for production and is off for subnets created with network API version
 * 2025-07-01 and later ("private subnets"). See
 * https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access.
 */

/** Kinds of egress a stack can have. */
export const EGRESS_KINDS = ["natGateway", "routeTable"] as const;
export type EgressKind = (typeof EGRESS_KINDS)[number];

/** The default kind: a NAT gateway owned by the stack. */
export const DEFAULT_EGRESS_KIND: EgressKind = "natGateway";

/**
 * ARM id of a route table: `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Network/routeTables/<name>`.
 * Resource group names are 1–90 characters of letters, digits, `_ - . ( )`; route table names
 * 1–80 of letters, digits, `_ - .` (Azure naming rules for Microsoft.Network). ARM ids are
 * case-insensitive, so the fixed segments accept either case.
 */
export const ROUTE_TABLE_ID_PATTERN =
  "^/[Ss][Uu][Bb][Ss][Cc][Rr][Ii][Pp][Tt][Ii][Oo][Nn][Ss]/[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}" +
  "/[Rr][Ee][Ss][Oo][Uu][Rr][Cc][Ee][Gg][Rr][Oo][Uu][Pp][Ss]/[-A-Za-z0-9_.()]{1,90}" +
  "/[Pp][Rr][Oo][Vv][Ii][Dd][Ee][Rr][Ss]/[Mm][Ii][Cc][Rr][Oo][Ss][Oo][Ff][Tt]\\.[Nn][Ee][Tt][Ww][Oo][Rr][Kk]" +
  "/[Rr][Oo][Uu][Tt][Ee][Tt][Aa][Bb][Ll][Ee][Ss]/[A-Za-z0-9_.-]{1,80}$";

/** The Availability Zones Azure has in a region with zones (a zone-redundant public IP spans all three). */
export const ALL_AVAILABILITY_ZONES = ["1", "2", "3"] as const;

/**
 * The zones of `mailhost:fleet.zones` in one canonical order ("1", "2", "3"), so that reordering
 * the list changes nothing Azure fixes at creation (the zone of a host, of the NAT gateway).
 */
export function canonicalZones(zones: readonly string[]): string[] {
  return [...new Set(zones)].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** A Standard NAT gateway with one static Standard public IP, attached to the mail-host subnet. */
export interface NatGatewayEgressPlan {
  readonly kind: "natGateway";
  /** Azure name of the NAT gateway (CAF abbreviation `ng`), e.g. `ng-mailhost-prod`. */
  readonly natGatewayName: string;
  /** Azure name of its public IP (CAF abbreviation `pip`), e.g. `pip-ng-mailhost-prod`. */
  readonly publicIpName: string;
  /**
   * The zone the NAT gateway is created in: the lowest zone of `mailhost:fleet.zones` (so reordering
   * the list changes nothing), or undefined ("no zone": Azure picks a zone and does not show which)
   * when the stack pins no zone. A Standard NAT gateway is a zonal resource either way; its zone
   * cannot change after creation, and the component pins it (`ignoreChanges: ["zones"]`, as the
   * public IP's zones): a later edit of `zones` never replaces the gateway or its address.
   */
  readonly zone?: string;
  /**
   * Zones of the public IP: all three (zone-redundant) when the NAT gateway is zonal, none
   * otherwise. A zonal NAT gateway accepts a public IP of its own zone or a zone-redundant one
   * (https://learn.microsoft.com/azure/nat-gateway/nat-availability-zones); zone-redundant keeps
   * the address when the NAT gateway is ever rebuilt in another zone.
   */
  readonly publicIpZones: readonly string[];
}

/** An existing route table (owned elsewhere, e.g. a hub team) whose default route leads to their firewall or NVA. */
export interface RouteTableEgressPlan {
  readonly kind: "routeTable";
  /** ARM id of the route table associated with the subnet. */
  readonly routeTableId: string;
}

export type EgressPlan = NatGatewayEgressPlan | RouteTableEgressPlan;

/** Resolved `mailhost:egress` settings. */
export interface EgressSettings {
  readonly kind: EgressKind;
  readonly routeTableId?: string;
}

/** Names of the egress resources of a stack whose resource-name slug is `slug` (as in `rg-mailhost-<slug>`). */
export function egressNames(slug: string): { natGateway: string; natGatewayPublicIp: string } {
  return { natGateway: `ng-mailhost-${slug}`, natGatewayPublicIp: `pip-ng-mailhost-${slug}` };
}

/**
 * The egress of a stack from its validated settings. `fleetZones` are `mailhost:fleet.zones`.
 * Throws an Error when `kind` is routeTable without `routeTableId` (config validation reports that
 * first, naming the key; this guards direct callers).
 */
export function planEgress(settings: EgressSettings, names: { natGateway: string; natGatewayPublicIp: string }, fleetZones: readonly string[]): EgressPlan {
  if (settings.kind === "routeTable") {
    if (settings.routeTableId === undefined) throw new Error("egress kind routeTable needs a routeTableId");
    return { kind: "routeTable", routeTableId: settings.routeTableId };
  }
  // The lowest zone, not the first listed: reordering `zones` must not move (replace) the gateway.
  const zone = canonicalZones(fleetZones)[0];
  return {
    kind: "natGateway",
    natGatewayName: names.natGateway,
    publicIpName: names.natGatewayPublicIp,
    zone,
    publicIpZones: zone === undefined ? [] : [...ALL_AVAILABILITY_ZONES],
  };
}

/** One line describing an egress, for `mailhost plan`. */
export function describeEgress(egress: EgressPlan): string {
  if (egress.kind === "routeTable") return `route table ${egress.routeTableId} (no NAT gateway; the route table's default route decides the way out)`;
  const zone = egress.zone === undefined ? "no zone (Azure picks one)" : `zone ${egress.zone}`;
  return `NAT gateway ${egress.natGatewayName} (Standard, ${zone}) with static public IP ${egress.publicIpName} (outbound only)`;
}
