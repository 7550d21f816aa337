import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { type OfflineRun, type RecordedResource, runOffline } from "../../../engine/offline";
import { MailSite } from "../../../components/MailSite";
import { NatGatewayEgress } from "../../../components/NatGatewayEgress";
import { siteNames } from "../../../domain/plan";
import { nicNoPublicIp } from "../../../policies/rules/nicNoPublicIp";
import { violations } from "../policies/harness";
import { runStack, stackConfigWithSecret } from "../../support/stacks";

const ROUTE_TABLE_ID = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-spokes-default";
const byType = (run: OfflineRun, type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);
const one = (run: OfflineRun, type: string): RecordedResource => {
  const found = byType(run, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0];
};
/** The id the mocks give a resource (engine/offline.ts). */
const mockId = (run: OfflineRun, r: RecordedResource, kind: string, name: string) => {
  const sub = "00000000-0000-0000-0000-000000000000";
  return `/subscriptions/${sub}/resourceGroups/${r.inputs.resourceGroupName}/providers/Microsoft.Network/${kind}/${name}`;
};

describe("egress of the prod stack under mocks (kind natGateway, the default)", () => {
  let run: OfflineRun;
  before(async () => {
    run = await runStack("prod");
  });

  it("registers one Standard NAT gateway with one static Standard public IP, attached to the mail-host subnet", () => {
    const ip = one(run, "azure-native:network:PublicIPAddress");
    const gateway = one(run, "azure-native:network:NatGateway");
    const subnet = one(run, "azure-native:network:Subnet");
    assert.deepEqual(ip.inputs.sku, { name: "Standard", tier: "Regional" });
    assert.equal(ip.inputs.publicIPAllocationMethod, "Static");
    assert.equal(ip.inputs.publicIpAddressName, "pip-ng-mailhost-prod");
    assert.deepEqual(gateway.inputs.sku, { name: "Standard" });
    assert.equal(gateway.inputs.natGatewayName, "ng-mailhost-prod");
    assert.deepEqual(gateway.inputs.publicIpAddresses, [{ id: mockId(run, ip, "PublicIPAddress", "pip-ng-mailhost-prod") }]);
    assert.deepEqual(subnet.inputs.natGateway, { id: mockId(run, gateway, "NatGateway", "ng-mailhost-prod") });
    assert.equal(subnet.inputs.routeTable, undefined);
  });
  it("pins the NAT gateway to the lowest zone of the fleet; its public IP is zone-redundant; both keep the zones they were created with", () => {
    const zones = (stackConfigWithSecret("prod")["mailhost:fleet"] as { zones: string[] }).zones;
    assert.deepEqual(one(run, "azure-native:network:NatGateway").inputs.zones, [[...zones].sort()[0]]);
    assert.deepEqual(one(run, "azure-native:network:NatGateway").ignoreChanges, ["zones"]);
    assert.deepEqual(one(run, "azure-native:network:PublicIPAddress").ignoreChanges, ["zones"]);
    assert.deepEqual(one(run, "azure-native:network:PublicIPAddress").inputs.zones, ["1", "2", "3"]);
  });
  it("creates the subnet private (defaultOutboundAccess false) and never replaces an existing one over it", () => {
    const subnet = one(run, "azure-native:network:Subnet");
    assert.equal(subnet.inputs.defaultOutboundAccess, false);
    assert.deepEqual(subnet.ignoreChanges, ["defaultOutboundAccess"]);
  });
  it("puts the NAT gateway and its public IP under the site, in a NatGatewayEgress component", () => {
    const component = one(run, NatGatewayEgress.typeToken);
    const site = one(run, MailSite.typeToken);
    assert.equal(component.parent, site.urn);
    assert.equal(one(run, "azure-native:network:NatGateway").parent, component.urn);
    assert.equal(one(run, "azure-native:network:PublicIPAddress").parent, component.urn);
  });
  it("does not trip mailhost-nic-no-public-ip: the public IP is on the NAT gateway, on no NIC", async () => {
    const network = run.resources.filter((x) => x.type.startsWith("azure-native:network:"));
    assert.ok(
      network.some((r) => r.type === "azure-native:network:PublicIPAddress") && network.some((r) => r.type === "azure-native:network:NetworkInterface"),
    );
    for (const r of network) {
      assert.deepEqual(await violations(nicNoPublicIp, { type: r.type, name: r.name, props: JSON.parse(JSON.stringify(r.inputs)) }), [], r.name);
    }
  });
});

describe("egress of a stack with kind routeTable under mocks", () => {
  let run: OfflineRun;
  before(async () => {
    run = await runStack("prod", { ...stackConfigWithSecret("prod"), "mailhost:egress": { kind: "routeTable", routeTableId: ROUTE_TABLE_ID } });
  });
  it("registers no NAT gateway and no public IP", () => {
    assert.deepEqual(byType(run, "azure-native:network:NatGateway"), []);
    assert.deepEqual(byType(run, "azure-native:network:PublicIPAddress"), []);
    assert.deepEqual(byType(run, NatGatewayEgress.typeToken), []);
  });
  it("associates the given route table with the mail-host subnet, still private", () => {
    const subnet = one(run, "azure-native:network:Subnet");
    assert.deepEqual(subnet.inputs.routeTable, { id: ROUTE_TABLE_ID });
    assert.equal(subnet.inputs.natGateway, undefined);
    assert.equal(subnet.inputs.defaultOutboundAccess, false);
    assert.deepEqual(subnet.ignoreChanges, ["defaultOutboundAccess"]);
  });
});

describe("egress inputs are validated before anything exists", () => {
  async function register(build: () => void): Promise<{ error?: string; types: string[] }> {
    try {
      const r = await runOffline(
        async () => {
          build();
        },
        "unit",
        {},
      );
      return { types: r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").map((x) => x.type) };
    } catch (err) {
      return { error: (err as Error).message, types: [] };
    }
  }
  it("rejects a MailSite whose route table id is not a route table's ARM id, registering nothing", async () => {
    const { error, types } = await register(() => {
      new MailSite("s", { names: siteNames("unit"), addressPrefix: "10.0.0.0/24", egress: { kind: "routeTable", routeTableId: "rt-hub" } });
    });
    assert.match(error ?? "", /mailhost:azure:MailSite "s" has invalid inputs: egress\.routeTableId = "rt-hub" is not a route table's ARM id/);
    assert.deepEqual(types, []);
  });
  it("rejects a zonal NAT gateway with a public IP of another zone (Azure refuses it)", async () => {
    const { error, types } = await register(() => {
      new NatGatewayEgress("e", { resourceGroupName: "rg", natGatewayName: "ng", publicIpName: "pip", zone: "1", publicIpZones: ["2"] });
    });
    assert.match(error ?? "", /publicIpZones = \["2"\] does not fit a NAT gateway in zone 1/);
    assert.deepEqual(types, []);
  });
  it("rejects a NAT gateway without zone with a zonal public IP", async () => {
    const { error } = await register(() => {
      new NatGatewayEgress("e", { resourceGroupName: "rg", natGatewayName: "ng", publicIpName: "pip", publicIpZones: ["1"] });
    });
    assert.match(error ?? "", /does not fit a NAT gateway without a zone/);
  });
  it("a MailSite without an egress argument gets a NAT gateway (the secure default: an explicit way out)", async () => {
    const { types } = await register(() => {
      new MailSite("s", { names: siteNames("unit"), addressPrefix: "10.0.0.0/24" });
    });
    assert.ok(types.includes("azure-native:network:NatGateway"));
  });
});
