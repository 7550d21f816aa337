/**
 * `mailhost plan --azure`: a host keeps the zone it was created in (the VM pins it), so after an
 * edit of `fleet.zones` only Azure knows where each host is. The plan reads each VM's zone from the
 * ARM listing (the local stand-in here) and shows it beside the zone a host created now would get.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ArmCompute } from "../../../azure/arm";
import { formatPlan, formatPlanJson, readAzureZones } from "../../../cli/plan";
import { main } from "../../../cli/main";
import { requireStackConfig } from "../../../domain/config";
import { STACK_TAG, planFleet } from "../../../domain/plan";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { ArmStandIn, STAND_IN_TOKEN } from "../../support/armStandIn";
import { REPO_ROOT, stackFileConfig } from "../../support/stacks";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const standIns: ArmStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

const raw = Object.fromEntries(
  Object.entries(stackFileConfig("prod"))
    .filter(([k]) => k.startsWith("mailhost:"))
    .map(([k, v]) => [k.slice(9), v]),
) as any;
/** prod after zone "3" was added and hostCount raised: the first hosts were created over zones 1 and 2 only. */
const plan = planFleet("prod", requireStackConfig({ ...raw, fleet: { ...raw.fleet, hostCount: 5, zones: ["3", "1", "2"] } }), loadSiteConfigTemplate());

describe("mailhost plan --azure", () => {
  it("shows each VM's zone as Azure lists it beside the zone a new host would get; a host not created yet, and a VM without a zone, say so", async () => {
    // What Azure has: created under zones ["1", "2"] (round-robin), the fourth host without a zone, the fifth not created.
    const inAzure: Record<string, string[] | undefined> = {
      [plan.hosts[0].name]: ["1"],
      [plan.hosts[1].name]: ["2"],
      [plan.hosts[2].name]: ["1"],
      [plan.hosts[3].name]: undefined,
    };
    const s = await ArmStandIn.start(SUBSCRIPTION, plan.names.resourceGroup, [
      ...Object.entries(inAzure).map(([name, zones]) => ({ name, tags: { [STACK_TAG]: plan.stack }, zones, behaviour: {} })),
      { name: "vm-other-stack", tags: { [STACK_TAG]: "staging" }, zones: ["3"], behaviour: {} },
    ]);
    standIns.push(s);
    const arm = new ArmCompute({
      subscriptionId: SUBSCRIPTION,
      endpoint: s.endpoint,
      tlsCa: s.ca,
      pollIntervalMs: 10,
      retryDelayMs: 10,
      maxRetries: 2,
      credential: { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    });
    const zones = await readAzureZones(arm, plan);
    assert.deepEqual([...zones.keys()].sort(), Object.keys(inAzure).sort(), "only the stack's own VMs");

    const lines = formatPlan(plan, zones).split("\n");
    const header = lines.findIndex((l) => l.startsWith("host "));
    assert.match(lines[header], /zone \(if created now\)\s+zone in Azure/);
    for (const [i, host] of plan.hosts.entries()) {
      const row = lines[header + 2 + i].split(/\s{2,}/);
      assert.equal(row[0], host.name);
      assert.equal(row[1], host.zone);
      // The rule: Azure's zone of the VM, "none" without one, "not created" when there is no VM.
      const expected = !(host.name in inAzure) ? "not created" : (inAzure[host.name]?.[0] ?? "none");
      assert.equal(row[2], expected, host.name);
    }
    assert.ok(
      plan.hosts.some((h, i) => h.zone !== inAzure[h.name]?.[0] && i < 3),
      "the test needs a host whose Azure zone differs from the plan's",
    );

    const json = JSON.parse(formatPlanJson([plan], new Map([[plan.stack, zones]])));
    assert.deepEqual(
      json.stacks[0].hosts.map((h: { azureZone?: string | null }) => h.azureZone),
      [...plan.hosts.map((h) => (!(h.name in inAzure) ? undefined : (inAzure[h.name]?.[0] ?? null)))],
    );
  });

  it("without --azure says that its zones are those of hosts created now; --subscription alone is a usage error", async () => {
    const lines: string[] = [];
    assert.equal(await main(["plan", "--stack", "prod", "--cwd", REPO_ROOT], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
    assert.match(lines.join("\n"), /zone \(if created now\)/);
    assert.match(lines.join("\n"), /keeps the zone it was created in .*mailhost plan --azure/);
    const errors: string[] = [];
    assert.equal(
      await main(["plan", "--stack", "prod", "--subscription", SUBSCRIPTION, "--cwd", REPO_ROOT], { out: () => undefined, err: (l) => errors.push(l) }),
      2,
    );
    assert.match(errors.join("\n"), /--subscription and --resource-group need --azure/);
  });
});
