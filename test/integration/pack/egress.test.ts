/**
 * mailhost-subnet-explicit-outbound: unit tests through the SDK's stack-policy interface, then the
 * acceptance cases over the analyzer protocol with the committed per-stack policy config.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type * as network from "@pulumi/azure-native/network";
import { type AnalyzedResource, type PolicyDiagnostic, type PolicyPackProcess, UNKNOWN } from "../../../engine/analyzer";
import { analyzeResources } from "../../../engine/policyCheck";
import { runStack } from "../../support/stacks";
import { readPolicyConfig as readConfig, startStackPack } from "../../support/packs";
import { subnetExplicitOutbound } from "../../../policies/rules/subnetExplicitOutbound";
import { stackViolations, type TestResource } from "../../unit/policies/harness";
import { nicArgs, vmArgs } from "../../unit/policies/fixtures";
import { ruleOf } from "../../../policies/all";

const POLICY = "mailhost-subnet-explicit-outbound";
const SUBNET_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Network/virtualNetworks/vnet-mailhost-unit/subnets/snet-mailhost";
const NAT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Network/natGateways/ng-mailhost-unit";
const HUB_ROUTE_TABLE_ID =
  "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-spokes-default";
const OWN_ROUTE_TABLE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Network/routeTables/rt-mailhost-unit";

const subnetArgs: network.SubnetArgs = {
  resourceGroupName: "rg-mailhost-unit",
  virtualNetworkName: "vnet-mailhost-unit",
  subnetName: "snet-mailhost",
  addressPrefix: "10.40.0.0/24",
  defaultOutboundAccess: false,
  natGateway: { id: NAT_ID },
};
/** The subnet without any outbound path. */
const { natGateway: _nat, ...bareSubnetArgs } = subnetArgs;
const hostNic: network.NetworkInterfaceArgs = {
  ...nicArgs,
  ipConfigurations: [{ name: "ipconfig1", subnet: { id: SUBNET_ID }, privateIPAllocationMethod: "Dynamic" }],
};
const routeTableArgs = (routes: network.RouteTableArgs["routes"]): network.RouteTableArgs => ({
  resourceGroupName: "rg-mailhost-unit",
  routeTableName: "rt-mailhost-unit",
  routes,
});

const resource = (type: string, name: string, props: object): TestResource => ({ type, name, props: props as Record<string, unknown> });
const subnet = (props: object) => resource("azure-native:network:Subnet", "mailhost-snet", props);
const nic = (props: object = hostNic) => resource("azure-native:network:NetworkInterface", "vm-mail-unit-001-nic", props);
const vm = () => resource("azure-native:compute:VirtualMachine", "vm-mail-unit-001-vm", vmArgs);

describe(POLICY, () => {
  it("accepts a subnet with a NAT gateway", async () => {
    assert.deepEqual(await stackViolations(subnetExplicitOutbound, [subnet(subnetArgs), nic(), vm()]), []);
  });
  it("accepts a subnet associated with a route table outside the stack (a hub team's; its routes cannot be seen)", async () => {
    assert.deepEqual(await stackViolations(subnetExplicitOutbound, [subnet({ ...bareSubnetArgs, routeTable: { id: HUB_ROUTE_TABLE_ID } }), nic(), vm()]), []);
  });
  it("rejects a subnet holding a mail host's NIC with neither a NAT gateway nor a route table", async () => {
    const [v, ...rest] = await stackViolations(subnetExplicitOutbound, [subnet(bareSubnetArgs), nic(), vm()]);
    assert.deepEqual(rest, []);
    assert.equal(v.urn, "urn:pulumi:test::mailhost::azure-native:network:Subnet::mailhost-snet");
    assert.match(
      v.message,
      /^Subnet "snet-mailhost" \(Subnet "mailhost-snet"\) holds the network interfaces of mail hosts \(vm-mail-unit-001-nic\) but has no explicit outbound path: no NAT gateway \(natGateway\) and no route table \(routeTable\)\./,
    );
  });
  it("ignores a subnet without mail-host NICs", async () => {
    assert.deepEqual(await stackViolations(subnetExplicitOutbound, [subnet(bareSubnetArgs)]), []);
  });
  it("accepts a route table of the stack with a default route to an NVA", async () => {
    const table = resource(
      "azure-native:network:RouteTable",
      "rt",
      routeTableArgs([{ name: "default", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.0.0.4" }]),
    );
    assert.deepEqual(await stackViolations(subnetExplicitOutbound, [table, subnet({ ...bareSubnetArgs, routeTable: { id: OWN_ROUTE_TABLE_ID } }), nic()]), []);
  });
  it("accepts a default route written as a separate Route resource", async () => {
    const table = resource("azure-native:network:RouteTable", "rt", routeTableArgs(undefined));
    const route = resource("azure-native:network:Route", "rt-default", {
      resourceGroupName: "rg-mailhost-unit",
      routeTableName: "rt-mailhost-unit",
      addressPrefix: "0.0.0.0/0",
      nextHopType: "VirtualAppliance",
      nextHopIpAddress: "10.0.0.4",
    });
    assert.deepEqual(
      await stackViolations(subnetExplicitOutbound, [table, route, subnet({ ...bareSubnetArgs, routeTable: { id: OWN_ROUTE_TABLE_ID } }), nic()]),
      [],
    );
  });
  it("rejects a route table of the stack without a default route, or whose default route drops traffic (next hop None)", async () => {
    for (const routes of [
      [{ name: "onprem", addressPrefix: "192.168.0.0/16", nextHopType: "VirtualNetworkGateway" }],
      [{ name: "blackhole", addressPrefix: "0.0.0.0/0", nextHopType: "None" }],
    ]) {
      const table = resource("azure-native:network:RouteTable", "rt", routeTableArgs(routes));
      const [v, ...rest] = await stackViolations(subnetExplicitOutbound, [table, subnet({ ...bareSubnetArgs, routeTable: { id: OWN_ROUTE_TABLE_ID } }), nic()]);
      assert.deepEqual(rest, []);
      assert.match(v.message, /is associated with RouteTable "rt", which has no default route \(0\.0\.0\.0\/0 with a next hop other than None\)/);
    }
  });
  it("finds the subnet through the NIC's property dependency when its id is not known yet", async () => {
    const s = subnet(bareSubnetArgs);
    const n: TestResource = { ...nic({ ...hostNic, ipConfigurations: [{ name: "ipconfig1", subnet: {} }] }), propertyDependencies: { ipConfigurations: [s] } };
    assert.equal((await stackViolations(subnetExplicitOutbound, [s, n])).length, 1);
  });
  it("checks a subnet written inline in a VirtualNetwork and a VM's inline network interface", async () => {
    const vnet = resource("azure-native:network:VirtualNetwork", "vnet", {
      resourceGroupName: "rg-mailhost-unit",
      virtualNetworkName: "vnet-mailhost-unit",
      subnets: [{ name: "snet-mailhost", addressPrefix: "10.40.0.0/24" }],
    });
    const inlineVm = resource("azure-native:compute:VirtualMachine", "vm", {
      ...vmArgs,
      networkProfile: { networkInterfaceConfigurations: [{ name: "nic", ipConfigurations: [{ name: "ip", subnet: { id: SUBNET_ID } }] }] },
    });
    const [v] = await stackViolations(subnetExplicitOutbound, [vnet, inlineVm]);
    assert.match(v?.message ?? "", /^Subnet "snet-mailhost" \(VirtualNetwork "vnet"\) holds the network interfaces of mail hosts \(vm\)/);
  });
});

const urn = (type: string, name: string) => `urn:pulumi:prod::mailhost::${type}::${name}`;

/** A subnet holding a mail host's NIC (and the VM), as the engine sends them to AnalyzeStack. */
function stack(subnetProps: Record<string, unknown>, extra: AnalyzedResource[] = []): AnalyzedResource[] {
  const subnetUrn = urn("azure-native:network:Subnet", "mailhost-snet");
  return [
    { type: "azure-native:network:Subnet", name: "mailhost-snet", urn: subnetUrn, properties: subnetProps },
    {
      type: "azure-native:network:NetworkInterface",
      name: "vm-mail-prod-001-nic",
      urn: urn("azure-native:network:NetworkInterface", "vm-mail-prod-001-nic"),
      properties: { ...hostNic },
      propertyDependencies: { ipConfigurations: [subnetUrn] },
    },
    {
      type: "azure-native:compute:VirtualMachine",
      name: "vm-mail-prod-001-vm",
      urn: urn("azure-native:compute:VirtualMachine", "vm-mail-prod-001-vm"),
      properties: { ...vmArgs },
    },
    ...extra,
  ];
}
const ours = (ds: PolicyDiagnostic[]) => ds.filter((d) => d.policyName === POLICY && ruleOf(d) === POLICY);

describe(`${POLICY} over the analyzer protocol`, () => {
  let pack: PolicyPackProcess;
  before(async () => {
    pack = await startStackPack("prod", {});
  });
  after(async () => {
    await pack?.close();
  });

  it("prod: rejects a subnet with mail-host NICs and neither a NAT gateway nor a default route (mandatory)", async () => {
    await pack.configure(readConfig("prod"));
    const ds = ours(await pack.analyzeStack(stack({ ...bareSubnetArgs })));
    assert.deepEqual(
      ds.map((d) => [d.enforcementLevel, d.urn]),
      [["mandatory", urn("azure-native:network:Subnet", "mailhost-snet")]],
    );
    assert.match(ds[0].message, /has no explicit outbound path/);
  });
  it("prod: accepts it with a NAT gateway", async () => {
    await pack.configure(readConfig("prod"));
    assert.deepEqual(ours(await pack.analyzeStack(stack({ ...subnetArgs }))), []);
  });
  it("prod: accepts it with a route table whose default route leads to an NVA", async () => {
    await pack.configure(readConfig("prod"));
    const table: AnalyzedResource = {
      type: "azure-native:network:RouteTable",
      name: "rt",
      urn: urn("azure-native:network:RouteTable", "rt"),
      properties: { ...routeTableArgs([{ name: "default", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.0.0.4" }]) },
    };
    assert.deepEqual(ours(await pack.analyzeStack(stack({ ...bareSubnetArgs, routeTable: { id: OWN_ROUTE_TABLE_ID } }, [table]))), []);
    assert.deepEqual(ours(await pack.analyzeStack(stack({ ...bareSubnetArgs, routeTable: { id: HUB_ROUTE_TABLE_ID } }))), []);
  });
  it("prod: does not judge a NAT gateway whose id is not known yet (preview of a new stack)", async () => {
    await pack.configure(readConfig("prod"));
    assert.deepEqual(ours(await pack.analyzeStack(stack({ ...bareSubnetArgs, natGateway: { id: UNKNOWN } }))), []);
  });
  it("dev: the same subnet is only advisory", async () => {
    await pack.configure(readConfig("dev"));
    assert.deepEqual(
      ours(await pack.analyzeStack(stack({ ...bareSubnetArgs }))).map((d) => d.enforcementLevel),
      ["advisory"],
    );
  });
  it("prod as the program builds it: passes; with the subnet's NAT gateway taken away, it is rejected", async () => {
    await pack.configure(readConfig("prod"));
    const run = await runStack("prod");
    assert.deepEqual(ours(await analyzeResources(pack, run.resources)), []);
    const stripped = run.resources.map((r) => {
      if (r.type !== "azure-native:network:Subnet") return r;
      const { natGateway: _gone, ...inputs } = r.inputs;
      return { ...r, inputs };
    });
    const ds = ours(await analyzeResources(pack, stripped));
    assert.deepEqual(
      ds.map((d) => d.enforcementLevel),
      ["mandatory"],
    );
    assert.match(
      ds[0].message,
      /\nSubnet "snet-mailhost" \(Subnet "mailhost-snet"\) holds the network interfaces of mail hosts \(vm-mail-prod-001-nic, vm-mail-prod-002-nic, vm-mail-prod-003-nic and 1 more\)/,
    );
  });
});
