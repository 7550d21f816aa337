import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig, requireStackConfig } from "../../../domain/config";
import { ALL_AVAILABILITY_ZONES, DEFAULT_EGRESS_KIND, ROUTE_TABLE_ID_PATTERN, describeEgress, planEgress } from "../../../domain/egress";
import { planFleet } from "../../../domain/plan";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { configReferenceTable } from "../../../domain/configDocs";
import { formatPlan } from "../../../cli/plan";

const base = {
  fleet: { hostCount: 3, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"], zones: ["2", "3", "1"] },
  tcp: { tuning: "dsc" },
  siteConfig: { mailboxCacheTtl: 600 },
  capacity: { activeSessionsPerHost: 100, backendEndpoints: 1 },
};
const ROUTE_TABLE_ID = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-spokes-default";

const messages = (raw: unknown) => {
  const r = parseStackConfig(raw);
  return r.ok ? [] : r.issues.map((i) => i.message);
};

describe("mailhost:egress in the stack config", () => {
  it("defaults to a NAT gateway when the section is absent", () => {
    assert.deepEqual(requireStackConfig(base).egress, { kind: DEFAULT_EGRESS_KIND });
    assert.equal(DEFAULT_EGRESS_KIND, "natGateway");
  });
  it("accepts kind routeTable with a route table id", () => {
    assert.deepEqual(requireStackConfig({ ...base, egress: { kind: "routeTable", routeTableId: ROUTE_TABLE_ID } }).egress, {
      kind: "routeTable",
      routeTableId: ROUTE_TABLE_ID,
    });
  });
  it("rejects an unknown kind, naming the key, the value and the allowed kinds", () => {
    assert.deepEqual(messages({ ...base, egress: { kind: "loadBalancer" } }), [
      'mailhost:egress.kind = "loadBalancer" is not allowed; allowed: natGateway, routeTable.',
    ]);
  });
  it("rejects kind routeTable without routeTableId", () => {
    const [m, ...rest] = messages({ ...base, egress: { kind: "routeTable" } });
    assert.deepEqual(rest, []);
    assert.match(m, /^mailhost:egress\.routeTableId is missing; it is required when mailhost:egress\.kind = "routeTable"/);
  });
  it("rejects a routeTableId with kind natGateway (nothing would use it)", () => {
    const [m] = messages({ ...base, egress: { routeTableId: ROUTE_TABLE_ID } });
    assert.match(m, /^mailhost:egress\.routeTableId = "\/subscriptions\/.*" is not allowed with mailhost:egress\.kind = "natGateway"/);
  });
  for (const bad of [
    "rt-spokes-default",
    "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt",
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg",
    `${ROUTE_TABLE_ID}; rm -rf /`,
  ]) {
    it(`rejects routeTableId ${JSON.stringify(bad)} that is not a route table's ARM id`, () => {
      const [m, ...rest] = messages({ ...base, egress: { kind: "routeTable", routeTableId: bad } });
      assert.deepEqual(rest, []);
      assert.ok(
        m.startsWith(
          `mailhost:egress.routeTableId = ${JSON.stringify(bad.length > 80 ? `${bad.slice(0, 77)}...` : bad)} is not valid; expected ARM id of an existing route table`,
        ),
        m,
      );
      assert.ok(!new RegExp(ROUTE_TABLE_ID_PATTERN).test(bad));
    });
  }
  it("accepts the ARM id in any case (ARM ids are case-insensitive)", () => {
    assert.ok(new RegExp(ROUTE_TABLE_ID_PATTERN).test(ROUTE_TABLE_ID.toLowerCase()));
  });
  it("rejects an unknown key in the section, listing the known ones", () => {
    assert.deepEqual(messages({ ...base, egress: { kind: "natGateway", zone: "1" } }), [
      "mailhost:egress.zone is not a known setting; known settings of mailhost:egress: kind, routeTableId.",
    ]);
  });
  it("is in the generated configuration reference", () => {
    const table = configReferenceTable();
    assert.match(table, /\| `mailhost:egress\.kind` \| `natGateway` \\\| `routeTable` \| {2}\| `"natGateway"` \|/);
    assert.match(table, /\| `mailhost:egress\.routeTableId` \| string \|/);
  });
});

describe("planEgress", () => {
  it("pins the NAT gateway to the fleet's lowest zone, with a zone-redundant public IP", () => {
    const plan = planFleet("prod", requireStackConfig(base), loadSiteConfigTemplate());
    assert.deepEqual(plan.egress, {
      kind: "natGateway",
      natGatewayName: plan.names.natGateway,
      publicIpName: plan.names.natGatewayPublicIp,
      zone: [...base.fleet.zones].sort()[0],
      publicIpZones: [...ALL_AVAILABILITY_ZONES],
    });
    assert.equal(plan.names.natGateway, "ng-mailhost-prod");
    assert.equal(plan.names.natGatewayPublicIp, "pip-ng-mailhost-prod");
  });
  it("creates the NAT gateway in the lowest zone of fleet.zones, whatever their order (the issue's example: reordering must not move it)", () => {
    for (const zones of [["1", "2", "3"], ["3", "1", "2"], ["2", "3"], ["3", "2"], ["2"]]) {
      const egress = planEgress({ kind: "natGateway" }, { natGateway: "ng", natGatewayPublicIp: "pip" }, zones);
      const lowest = Math.min(...zones.map(Number));
      assert.equal(egress.kind === "natGateway" ? egress.zone : "", String(lowest), JSON.stringify(zones));
    }
  });
  it("gives a stack without zones a NAT gateway and public IP without zones", () => {
    const egress = planEgress({ kind: "natGateway" }, { natGateway: "ng", natGatewayPublicIp: "pip" }, []);
    assert.deepEqual(egress, { kind: "natGateway", natGatewayName: "ng", publicIpName: "pip", zone: undefined, publicIpZones: [] });
    assert.match(describeEgress(egress), /^NAT gateway ng \(Standard, no zone \(Azure picks one\)\) with static public IP pip \(outbound only\)$/);
  });
  it("plans a route table egress with the given id and no NAT gateway", () => {
    const egress = planEgress({ kind: "routeTable", routeTableId: ROUTE_TABLE_ID }, { natGateway: "ng", natGatewayPublicIp: "pip" }, ["1"]);
    assert.deepEqual(egress, { kind: "routeTable", routeTableId: ROUTE_TABLE_ID });
  });
});

describe("mailhost plan shows each stack's egress", () => {
  it("names the NAT gateway, its zone and its public IP; or the route table", () => {
    const plan = planFleet("prod", requireStackConfig(base), loadSiteConfigTemplate());
    const lines = formatPlan(plan).split("\n");
    assert.equal(
      lines[1],
      `egress: NAT gateway ${plan.names.natGateway} (Standard, zone ${[...base.fleet.zones].sort()[0]}) with static public IP ${plan.names.natGatewayPublicIp} (outbound only)`,
    );
    const routed = planFleet("prod", requireStackConfig({ ...base, egress: { kind: "routeTable", routeTableId: ROUTE_TABLE_ID } }), loadSiteConfigTemplate());
    assert.match(formatPlan(routed).split("\n")[1], new RegExp(`^egress: route table ${ROUTE_TABLE_ID.replace(/[.()]/g, "\\$&")} \\(no NAT gateway`));
  });
});
