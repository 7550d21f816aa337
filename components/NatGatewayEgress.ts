import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import { ALL_AVAILABILITY_ZONES } from "../domain/egress";
import { rejectInvalid } from "./validation";

export interface NatGatewayEgressArgs {
  /** Resource group of the NAT gateway and its public IP. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region. Defaults to the provider's location. */
  readonly location?: pulumi.Input<string>;
  /** Azure name of the NAT gateway, e.g. `ng-mailhost-prod`. */
  readonly natGatewayName: string;
  /** Azure name of its public IP, e.g. `pip-ng-mailhost-prod`. */
  readonly publicIpName: string;
  /**
   * Availability zone the NAT gateway is created in ("1", "2" or "3"). Defaults to none: Azure
   * places the gateway in a zone of its choosing and does not show which. Applies at creation only:
   * the gateway and its public IP ignore later changes to their zones (Azure cannot change them).
   */
  readonly zone?: string;
  /** Zones of the public IP: none, the NAT gateway's own zone, or all three (zone-redundant). Defaults to none. */
  readonly publicIpZones?: readonly string[];
  /** Azure tags. Defaults to none. */
  readonly tags?: Record<string, string>;
}

/**
 * The stack's way out to the Internet: a Standard NAT gateway with one static Standard public IP.
 * The subnet refers to `natGateway.id`. The public IP is outbound only: a NAT gateway answers only
 * replies to connections its subnet opened, so nothing listens on it, and it sits on no NIC.
 *
 * Azure rules checked before anything is created (https://learn.microsoft.com/azure/nat-gateway/nat-availability-zones):
 * a zonal NAT gateway takes a public IP of its own zone or a zone-redundant one; a NAT gateway
 * without a zone takes a public IP without a zone.
 */
export class NatGatewayEgress extends pulumi.ComponentResource {
  static readonly typeToken = "mailhost:azure:NatGatewayEgress";

  public readonly publicIp: network.PublicIPAddress;
  public readonly natGateway: network.NatGateway;

  constructor(name: string, args: NatGatewayEgressArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems: string[] = [];
    const zones: readonly string[] = ALL_AVAILABILITY_ZONES;
    const ipZones = [...(args.publicIpZones ?? [])].sort();
    if (args.zone !== undefined && !zones.includes(args.zone)) problems.push(`zone = ${JSON.stringify(args.zone)} is not one of ${zones.join(", ")}`);
    for (const z of ipZones) if (!zones.includes(z)) problems.push(`publicIpZones contains ${JSON.stringify(z)}, not one of ${zones.join(", ")}`);
    const zoneRedundant = ipZones.join(",") === [...zones].join(",");
    if (args.zone === undefined && ipZones.length > 0) {
      problems.push(`publicIpZones = ${JSON.stringify(ipZones)} does not fit a NAT gateway without a zone, which takes a public IP without a zone`);
    } else if (args.zone !== undefined && !zoneRedundant && !(ipZones.length === 1 && ipZones[0] === args.zone)) {
      problems.push(
        `publicIpZones = ${JSON.stringify(ipZones)} does not fit a NAT gateway in zone ${args.zone}; use ["${args.zone}"] or all of ${JSON.stringify(zones)} (zone-redundant)`,
      );
    }
    rejectInvalid(NatGatewayEgress.typeToken, name, problems, opts);
    super(NatGatewayEgress.typeToken, name, {}, opts);

    const tags = args.tags ?? {};
    this.publicIp = new network.PublicIPAddress(
      `${name}-pip`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        publicIpAddressName: args.publicIpName,
        // A NAT gateway takes Standard public IPs only, and Standard public IPs are always static.
        sku: { name: network.PublicIPAddressSkuName.Standard, tier: network.PublicIPAddressSkuTier.Regional },
        publicIPAllocationMethod: network.IPAllocationMethod.Static,
        publicIPAddressVersion: network.IPVersion.IPv4,
        zones: ipZones.length > 0 ? ipZones : undefined,
        tags,
      },
      {
        parent: this,
        // Zones are fixed at creation: a change would replace the address every peer allow-lists.
        // The public IP keeps the zones it was created with, whatever `fleet.zones` says later.
        ignoreChanges: ["zones"],
      },
    );

    this.natGateway = new network.NatGateway(
      `${name}-ng`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        natGatewayName: args.natGatewayName,
        sku: { name: network.NatGatewaySkuName.Standard },
        publicIpAddresses: [{ id: this.publicIp.id }],
        zones: args.zone === undefined ? undefined : [args.zone],
        tags,
      },
      {
        parent: this,
        // Fixed at creation, like its public IP's zones (with which it was validated): kept as created.
        ignoreChanges: ["zones"],
      },
    );

    this.registerOutputs({ publicIp: this.publicIp, natGateway: this.natGateway });
  }
}
