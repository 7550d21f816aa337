import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { type RecordedResource, runOffline } from "../../engine/offline";
import { Monitoring } from "../../components/Monitoring";
import { requireStackConfig } from "../../domain/config";
import { CONNECTION_FAILURE_THRESHOLD, PERF_SAMPLING_INTERVAL, formatRange } from "../../domain/limits";
import { type MonitoringPlan } from "../../domain/monitoring";
import { planFleet } from "../../domain/plan";
import { loadSiteConfigTemplate } from "../../domain/siteconfig";

const plan = planFleet("unit", requireStackConfig({
  fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"] },
  tcp: { tuning: "dsc" },
  siteConfig: { mailboxCacheTtl: 600 },
  capacity: { activeSessionsPerHost: 100, backendEndpoints: 1 },
  monitoring: { emailReceivers: ["ops@example.com"] },
}), loadSiteConfigTemplate(), { webhookReceiver: true });

/** Builds a Monitoring component under mocks; returns the error (if any) and every resource registered. */
async function build(monitoring: MonitoringPlan, webhook?: string): Promise<{ error?: string; registered: RecordedResource[] }> {
  const registered: RecordedResource[] = [];
  try {
    await runOffline(async () => {
      new Monitoring("mon", { resourceGroupName: "rg-unit", location: "westeurope", plan: monitoring, alertWebhookUrl: webhook === undefined ? undefined : pulumi.secret(webhook) });
    }, "unit", {}, [], { onResource: (r) => registered.push(r) });
    return { registered: registered.filter((r) => r.type !== "pulumi:pulumi:Stack") };
  } catch (err) {
    return { error: (err as Error).message, registered: registered.filter((r) => r.type !== "pulumi:pulumi:Stack") };
  }
}

describe("Monitoring validates its inputs before any child exists", () => {
  it("registers the workspace, rule, action group and one alert rule per alert of the plan (five with the port-usage rule)", async () => {
    const { error, registered } = await build(plan.monitoring, "https://hooks.example.com/x");
    assert.equal(error, undefined);
    assert.deepEqual(registered.map((r) => r.type).sort(), [
      "azure-native:monitor:ActionGroup", "azure-native:monitor:DataCollectionRule",
      ...plan.monitoring.alerts.map(() => "azure-native:monitor:ScheduledQueryRule"),
      "azure-native:operationalinsights:Workspace", "mailhost:azure:Monitoring",
    ]);
    assert.equal(plan.monitoring.alerts.length, 5);
  });
  it("rejects a threshold and a sampling interval out of range, naming each, and registers nothing", async () => {
    const broken: MonitoringPlan = {
      ...plan.monitoring,
      samplingIntervalSeconds: PERF_SAMPLING_INTERVAL.max + 1,
      alerts: plan.monitoring.alerts.map((a) => a.key === "connection-failures" ? { ...a, threshold: CONNECTION_FAILURE_THRESHOLD.min - 1 } : a),
    };
    const { error, registered } = await build(broken, "https://hooks.example.com/x");
    assert.ok(error?.startsWith('mailhost:azure:Monitoring "mon" has invalid inputs: '), error);
    assert.ok(String(error).includes(`samplingIntervalSeconds = ${PERF_SAMPLING_INTERVAL.max + 1} is outside ${formatRange(PERF_SAMPLING_INTERVAL)}`));
    assert.ok(String(error).includes(`alert connection-failures: threshold = ${CONNECTION_FAILURE_THRESHOLD.min - 1} is outside ${formatRange(CONNECTION_FAILURE_THRESHOLD)}`));
    assert.deepEqual(registered.map((r) => r.type), []);
  });
  it("rejects a plan with a webhook receiver but no URL, and a disabled plan", async () => {
    assert.match((await build(plan.monitoring)).error ?? "", /alertWebhookUrl is required when plan\.webhookReceiver is true/);
    assert.match((await build({ ...plan.monitoring, enabled: false }, "https://hooks.example.com/x")).error ?? "", /plan\.enabled = false/);
  });
});
