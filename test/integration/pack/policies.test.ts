/**
 * The resources the program registers under mocks for each committed stack pass the pack (over
 * the analyzer protocol) started for that stack (its config, so its load and floor) with its
 * policy config (levels); the same resources built from a prod
 * config with one limit broken are rejected by the matching policy. The broken values reach the
 * resources as the components would have written them had their own validation been bypassed,
 * so it is the policy that rejects them.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { type PolicyDiagnostic, type PolicyPackProcess } from "../../../engine/analyzer";
import { analyzeResources } from "../../../engine/policyCheck";
import type { OfflineRun, RecordedResource } from "../../../engine/offline";
import { requireStackConfig } from "../../../domain/config";
import { type TuningPlan, planFleet, sha256Hex, tuningArguments } from "../../../domain/plan";
import { renderSiteConfig } from "../../../domain/siteconfig";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { assignmentParameters } from "../../../domain/machineConfiguration";
import { STACKS, runStack, stackFileConfig } from "../../support/stacks";
import { MAX_USER_PORT, MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE, RECOMMENDED } from "../../../domain/limits";
import { ruleOf } from "../../../policies/all";
import { startStackPack } from "../../support/packs";

const mandatory = (ds: PolicyDiagnostic[]) => ds.filter((d) => d.enforcementLevel === "mandatory");

/** Rewrites the tuning values of every tuning resource, as a component without validation would. */
function withTuning(run: OfflineRun, mutate: (t: TuningPlan) => TuningPlan): RecordedResource[] {
  const raw = Object.fromEntries(
    Object.entries(stackFileConfig("prod"))
      .filter(([k]) => k.startsWith("mailhost:"))
      .map(([k, v]) => [k.slice(9), v]),
  );
  const plan = planFleet("prod", requireStackConfig(raw), loadSiteConfigTemplate());
  const broken = mutate(plan.tuning);
  const content = renderSiteConfig({
    template: loadSiteConfigTemplate(),
    settings: plan.config.siteConfig.settings,
    mailboxCacheTtl: broken.mailboxCacheTtl,
    ttlFloor: 0,
  });
  const tuning = { ...broken, siteConfigContent: content, siteConfigSha256: sha256Hex(content) };
  const args = tuningArguments(tuning);
  // Only the resources that carry the tuning: prod's guest configuration assignments, a DSC extension elsewhere.
  assert.ok(
    run.resources.some((r) => r.type === "azure-native:guestconfiguration:GuestConfigurationAssignment"),
    "prod tunes through Machine Configuration",
  );
  return run.resources.map((r) => {
    if (r.type === "azure-native:guestconfiguration:GuestConfigurationAssignment") {
      const inputs = structuredClone(r.inputs) as any;
      inputs.properties.guestConfiguration.configurationParameter = assignmentParameters(tuning);
      return { ...r, inputs };
    }
    if (r.type !== "azure-native:compute:VirtualMachineExtension" || r.inputs.publisher !== "Microsoft.Powershell") return r;
    const inputs = structuredClone(r.inputs) as any;
    inputs.settings.configurationArguments = args;
    return { ...r, inputs };
  });
}

describe("committed stacks pass the pack started for them, with their own policy config", () => {
  let pack: PolicyPackProcess;
  const runs = new Map<string, OfflineRun>();
  before(async () => {
    for (const stack of STACKS) runs.set(stack, await runStack(stack));
    pack = await startStackPack("prod");
  });
  after(async () => {
    await pack?.close();
  });

  for (const stack of STACKS) {
    it(`${stack}: every resource and the stack pass without a single diagnostic`, async () => {
      const own = stack === "prod" ? pack : await startStackPack(stack);
      try {
        const run = runs.get(stack)!;
        assert.ok(run.resources.length > 8);
        assert.deepEqual(await analyzeResources(own, run.resources), []);
      } finally {
        if (own !== pack) await own.close();
      }
    });
  }

  describe("prod with one limit broken is rejected by the matching policy", () => {
    const cases: Array<[string, (t: TuningPlan) => TuningPlan, string, RegExp]> = [
      [
        "TcpTimedWaitDelay 29",
        (t) => ({ ...t, tcpTimedWaitDelay: 29 }),
        "mailhost-tcp-timed-wait-delay-range",
        /TcpTimedWaitDelay = 29 is outside 30–300 \(seconds\)/,
      ],
      [
        "TcpTimedWaitDelay 301",
        (t) => ({ ...t, tcpTimedWaitDelay: 301 }),
        "mailhost-tcp-timed-wait-delay-range",
        /TcpTimedWaitDelay = 301 is outside 30–300 \(seconds\)/,
      ],
      [
        "MaxUserPort 4999",
        (t) => ({ ...t, maxUserPort: 4999, dynamicPortRangeStart: 1025, dynamicPortRangeCount: 3975 }),
        "mailhost-max-user-port-range",
        /MaxUserPort = 4999 is outside 5000–65534/,
      ],
      [
        "MaxUserPort 65535",
        (t) => ({ ...t, maxUserPort: 65535, dynamicPortRangeCount: 55536 }),
        "mailhost-max-user-port-range",
        /MaxUserPort = 65535 is outside 5000–65534/,
      ],
      [
        "a dynamic range of 254 ports",
        (t) => ({ ...t, dynamicPortRangeStart: 65281, dynamicPortRangeCount: 254 }),
        "mailhost-dynamic-port-range-valid",
        /DynamicPortRangeNumberOfPorts = 254 is outside 255–64511/,
      ],
      [
        "a dynamic range ending at 65536",
        (t) => ({ ...t, dynamicPortRangeStart: 10001, dynamicPortRangeCount: 55536 }),
        "mailhost-dynamic-port-range-valid",
        /ends above port 65535/,
      ],
      [
        "a dynamic range not ending at MaxUserPort",
        (t) => ({ ...t, dynamicPortRangeCount: 50000 }),
        "mailhost-dynamic-port-range-valid",
        /does not end at MaxUserPort = 65534/,
      ],
      [
        "MailboxCacheTTL 599 under prod's floor of 600",
        (t) => ({ ...t, mailboxCacheTtl: 599 }),
        "mailhost-mailbox-cache-ttl-floor",
        /MailboxCacheTTL = 599 is below its floor of 600 seconds/,
      ],
      [
        "255 ports that cannot carry prod's load",
        (t) => ({ ...t, dynamicPortRangeStart: 65280, dynamicPortRangeCount: 255 }),
        "mailhost-capacity-sustains-load",
        /one port pool per host .*Rmax = 8\.5 connections\/s for the whole host/,
      ],
      [
        "an auto-reuse range below the dynamic range",
        (t) => ({ ...t, autoReusePortRange: { start: t.dynamicPortRangeStart - 1, count: 1000 } }),
        "mailhost-auto-reuse-port-range-valid",
        /is not inside the dynamic port range/,
      ],
    ];
    for (const [what, mutate, policy, message] of cases) {
      it(`${what} → ${policy}`, async () => {
        const ds = mandatory(await analyzeResources(pack, withTuning(runs.get("prod")!, mutate)));
        const hits = ds.filter((d) => d.policyName === policy && ruleOf(d) === policy);
        assert.equal(hits.length, 4, `one per prod host:\n${ds.map((d) => `${d.policyName}: ${d.message}`).join("\n")}`);
        for (const d of hits) assert.match(d.message, message);
      });
    }
  });
  describe("the corrected capacity model (one port pool per host by default), built from the formulas", () => {
    // Prod's own load (Pulumi.prod.yaml, mailhost:capacity): S, B, u. Everything else follows from the formulas below.
    const prodConfig = () =>
      requireStackConfig(
        Object.fromEntries(
          Object.entries(stackFileConfig("prod"))
            .filter(([k]) => k.startsWith("mailhost:"))
            .map(([k, v]) => [k.slice(9), v]),
        ),
      );
    const load = () => prodConfig().capacity;
    const capacityHits = (ds: PolicyDiagnostic[]) => mandatory(ds).filter((d) => ruleOf(d) === "mailhost-capacity-sustains-load");

    it("rejects a stack that held under the old model (floor S·T/(u·P·B)) and fails under the corrected one (S·T/(u·P))", async () => {
      const { activeSessionsPerHost: S, backendEndpoints: B, utilization: u } = load();
      const run = runs.get("prod")!;
      let T = 0;
      let ttl = 0;
      const rejected = withTuning(run, (t) => {
        T = t.tcpTimedWaitDelay;
        ttl = t.mailboxCacheTtl;
        // The smallest dynamic range the old model accepted at this TTL.
        const P = Math.ceil((S * T) / (u * ttl * B));
        return { ...t, dynamicPortRangeStart: t.maxUserPort - P + 1, dynamicPortRangeCount: P };
      });
      const P = Math.ceil((S * T) / (u * ttl * B));
      assert.ok(S * T <= u * P * ttl * B, "held under the old model");
      assert.ok(S * T > u * P * ttl, "fails under the corrected model");
      const hits = capacityHits(await analyzeResources(pack, rejected));
      assert.equal(hits.length, 4, "one per prod host");
      const floor = Math.ceil((S * T) / (u * P) - 1e-9);
      for (const d of hits) assert.match(d.message, new RegExp(`one port pool per host .*${P} ports.*Raise MailboxCacheTTL to at least ${floor} s`));
    });

    it("accepts a stack whose load holds only thanks to an auto-reuse port range, and rejects the same stack without it", async () => {
      const { activeSessionsPerHost: S, backendEndpoints: B, utilization: u } = load();
      const ttl = prodConfig().siteConfig.minimumMailboxCacheTtl;
      const T = RECOMMENDED.maximumTcpTimedWaitDelay;
      // R: the smallest auto-reuse range that holds S * T <= u * R * TTL * B; the dynamic range
      // holds it and the minimum outside it, and is too small to hold the load as one pool.
      const R = Math.ceil((S * T) / (u * ttl * B));
      const P = R + MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE;
      assert.ok(S * T <= u * R * ttl * B, "holds per back end");
      assert.ok(S * T > u * P * ttl, "does not hold as one pool per host");
      const end = MAX_USER_PORT.max;
      const tuned = (t: TuningPlan, autoReuse: boolean): TuningPlan => ({
        ...t,
        tcpTimedWaitDelay: T,
        mailboxCacheTtl: ttl,
        maxUserPort: end,
        dynamicPortRangeStart: end - P + 1,
        dynamicPortRangeCount: P,
        ...(autoReuse ? { autoReusePortRange: { start: end - R + 1, count: R } } : {}),
      });
      const run = runs.get("prod")!;
      assert.deepEqual(
        mandatory(
          await analyzeResources(
            pack,
            withTuning(run, (t) => tuned(t, true)),
          ),
        ),
        [],
      );
      const without = capacityHits(
        await analyzeResources(
          pack,
          withTuning(run, (t) => tuned(t, false)),
        ),
      );
      assert.equal(without.length, 4, "the same stack without the auto-reuse range fails on every host");
    });
  });
});
