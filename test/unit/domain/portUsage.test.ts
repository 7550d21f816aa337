import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { type Load, type PortSpace, capacityPool } from "../../../domain/capacity";
import { requireStackConfig, type StackConfigInput } from "../../../domain/config";
import { PORT_USAGE_SAMPLING } from "../../../domain/limits";
import { LOG_TABLE_SCHEMAS } from "../../../domain/monitoring";
import { planFleet } from "../../../domain/plan";
import {
  PORT_USAGE_EVENT_SOURCE,
  PORT_USAGE_EVENT_XPATH,
  PORT_USAGE_EVENTS,
  minimumSamplesInWindow,
  portUsageQuery,
  portUsageThreshold,
} from "../../../domain/portUsage";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { formatMonitoring } from "../../../cli/plan";
import { analyzeKql } from "../../support/kusto";
import { stackConfig } from "../../support/stackConfigs";
import { STACKS } from "../../support/stacks";

const space: PortSpace = { maxUserPort: 65534, dynamicPortRangeStart: 10000, dynamicPortRangeCount: 55535 };
const load: Load = { activeSessions: 20000, backendEndpoints: 4, utilization: 0.7 };

describe("port usage: the threshold follows the capacity model", () => {
  it("host pool: u * P, rounded down, and it moves with the planned utilisation", () => {
    for (const utilization of [0.5, 0.7, 0.8, 1]) {
      const t = portUsageThreshold(space, 60, 600, { ...load, utilization });
      assert.equal(t.model, "hostPool");
      assert.equal(t.budgetPorts, 55535);
      assert.equal(t.thresholdPorts, Math.floor(utilization * 55535 + 1e-9));
    }
    assert.ok(
      portUsageThreshold(space, 60, 600, { ...load, utilization: 0.5 }).thresholdPorts <
        portUsageThreshold(space, 60, 600, { ...load, utilization: 0.8 }).thresholdPorts,
    );
  });

  it("the expected count follows the load: S * T / TTL on the host pool", () => {
    for (const activeSessions of [1000, 20000, 40000]) {
      const t = portUsageThreshold(space, 60, 600, { ...load, activeSessions });
      assert.equal(t.expectedPorts, Math.ceil((activeSessions * 60) / 600));
    }
    const light = portUsageThreshold(space, 60, 600, { ...load, activeSessions: 1000 });
    const heavy = portUsageThreshold(space, 60, 600, { ...load, activeSessions: 40000 });
    assert.ok(heavy.expectedPorts > light.expectedPorts);
    assert.equal(heavy.thresholdPorts, light.thresholdPorts, "the threshold is the plan's ceiling, not the load");
  });

  it("with an auto-reuse range: u * R per back end, and the expected count per back end divides by B", () => {
    const autoReuse = { start: 20000, count: 10000 };
    for (const backendEndpoints of [1, 4, 8]) {
      const t = portUsageThreshold(space, 60, 600, { ...load, backendEndpoints }, autoReuse);
      assert.equal(t.model, "perBackend");
      assert.equal(t.budgetPorts, capacityPool(space, autoReuse).ports);
      assert.equal(t.thresholdPorts, Math.floor(0.7 * 10000 + 1e-9));
      assert.equal(t.expectedPorts, Math.ceil((load.activeSessions * 60) / (600 * backendEndpoints)));
    }
  });

  it("a smaller dynamic range lowers the threshold", () => {
    const small = portUsageThreshold({ ...space, dynamicPortRangeCount: 16384, maxUserPort: 10000 + 16384 - 1 }, 60, 600, load);
    assert.equal(small.thresholdPorts, Math.floor(0.7 * 16384));
  });
});

describe("port usage: the alert query", () => {
  for (const model of ["hostPool", "perBackend"] as const) {
    it(`passes the Kusto language service against the declared Event schema (${model})`, () => {
      const query = portUsageQuery(`_ResourceId contains "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-"`, model, 15);
      const errors = analyzeKql(query, LOG_TABLE_SCHEMAS).filter((d) => d.severity === "Error");
      assert.deepEqual(errors, []);
      assert.match(query, /summarize Lowest = min\(Ports\)/);
      assert.match(query, model === "hostPool" ? /by Computer, _ResourceId$/m : /by Computer, _ResourceId, Remote$/m);
    });
  }
  it("needs half a window of readings, at least two", () => {
    assert.equal(minimumSamplesInWindow(5), Math.max(2, Math.floor((5 * 60) / PORT_USAGE_SAMPLING.intervalSeconds / 2)));
    assert.equal(minimumSamplesInWindow(60), Math.floor(3600 / PORT_USAGE_SAMPLING.intervalSeconds / 2));
    assert.ok(minimumSamplesInWindow(5) >= 2);
  });
  it("the DCR filter names the sampler's own source and ids in the Application log", () => {
    assert.equal(
      PORT_USAGE_EVENT_XPATH,
      `Application!*[System[Provider[@Name='${PORT_USAGE_EVENT_SOURCE}'] and (EventID=${PORT_USAGE_EVENTS.reading} or EventID=${PORT_USAGE_EVENTS.failed})]]`,
    );
  });
});

describe("port usage: every committed stack's plan", () => {
  for (const stack of STACKS) {
    it(`${stack}: collects the readings and holds each host to the capacity model's threshold`, () => {
      const config = stackConfig(stack);
      const plan = planFleet(stack, config, loadSiteConfigTemplate());
      const autoReuse = config.tcp.autoReusePortRange;
      const expected = portUsageThreshold(
        {
          maxUserPort: config.tcp.maxUserPort,
          dynamicPortRangeStart: config.tcp.dynamicPortRange.start,
          dynamicPortRangeCount: config.tcp.dynamicPortRange.count,
        },
        config.tcp.tcpTimedWaitDelay,
        config.siteConfig.mailboxCacheTtl,
        { activeSessions: config.capacity.activeSessionsPerHost, backendEndpoints: config.capacity.backendEndpoints, utilization: config.capacity.utilization },
        autoReuse,
      );
      assert.deepEqual(plan.monitoring.portUsage, expected);
      assert.ok(plan.monitoring.eventXPathQueries.includes(PORT_USAGE_EVENT_XPATH));
      const alert = plan.monitoring.alerts.find((a) => a.key === "port-usage-high");
      assert.ok(alert);
      assert.equal(alert.threshold, expected.thresholdPorts);
    });
  }
  it("changing the stack's planned utilisation moves the alert's threshold", () => {
    const raw: StackConfigInput = {
      fleet: { hostCount: 2, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.20.0.0/16"] },
      tcp: { tuning: "dsc", maxUserPort: 65534, tcpTimedWaitDelay: 60, dynamicPortRange: { start: 10000, count: 55535 } },
      siteConfig: { mailboxCacheTtl: 600 },
      capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2, utilization: 0.6 },
    } as StackConfigInput;
    const at = (utilization: number) =>
      planFleet(
        "dev",
        requireStackConfig({ ...raw, capacity: { ...raw.capacity, utilization } } as StackConfigInput),
        loadSiteConfigTemplate(),
      ).monitoring.alerts.find((a) => a.key === "port-usage-high")!.threshold;
    assert.equal(at(0.6), Math.floor(0.6 * 55535));
    assert.equal(at(0.9), Math.floor(0.9 * 55535));
  });
});

describe("port usage: mailhost plan", () => {
  it("shows the threshold each host will be held to", () => {
    for (const stack of STACKS) {
      const plan = planFleet(stack, stackConfig(stack), loadSiteConfigTemplate());
      const lines = formatMonitoring(plan.monitoring, plan.hosts.length).join("\n");
      assert.match(lines, new RegExp(`held to ${plan.monitoring.portUsage!.thresholdPorts} used local ports`));
    }
  });
});
