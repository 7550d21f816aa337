import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { type RecordedResource, runOffline } from "../../../engine/offline";
import { Monitoring } from "../../../components/Monitoring";
import { CONNECTION_FAILURE_THRESHOLD, PERF_SAMPLING_INTERVAL, formatRange } from "../../../domain/limits";
import { type MonitoringPlan } from "../../../domain/monitoring";
import { minimalPlan } from "../../support/stackConfigs";

const plan = minimalPlan(
  "dsc",
  (raw) => {
    raw.monitoring = { emailReceivers: ["ops@example.com"] };
  },
  { webhookReceiver: true },
);

const NAT_GATEWAY_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-unit/providers/Microsoft.Network/natGateways/ng-mailhost-unit";

/** Builds a Monitoring component under mocks; returns the error (if any) and every resource registered. */
async function build(
  monitoring: MonitoringPlan,
  webhook?: string,
  natGatewayId: string | null = NAT_GATEWAY_ID,
): Promise<{ error?: string; registered: RecordedResource[] }> {
  const registered: RecordedResource[] = [];
  try {
    await runOffline(
      async () => {
        new Monitoring("mon", {
          resourceGroupName: "rg-unit",
          location: "westeurope",
          plan: monitoring,
          natGatewayId: natGatewayId ?? undefined,
          alertWebhookUrl: webhook === undefined ? undefined : pulumi.secret(webhook),
        });
      },
      "unit",
      {},
      [],
      { onResource: (r) => registered.push(r) },
    );
    return { registered: registered.filter((r) => r.type !== "pulumi:pulumi:Stack") };
  } catch (err) {
    return { error: (err as Error).message, registered: registered.filter((r) => r.type !== "pulumi:pulumi:Stack") };
  }
}

describe("Monitoring validates its inputs before any child exists", () => {
  it("registers the workspace, rule, action group, one log alert rule per planned alert and the NAT gateway's metric alerts for a valid plan", async () => {
    const { error, registered } = await build(plan.monitoring, "https://hooks.example.com/x");
    assert.equal(error, undefined);
    assert.equal(plan.monitoring.alerts.length, 6, "five of the Tcpip, counter, heartbeat and correction rules, and the port-usage rule");
    assert.equal(plan.monitoring.metricAlerts.length, 2);
    assert.deepEqual(registered.map((r) => r.type).sort(), [
      "azure-native:monitor:ActionGroup",
      "azure-native:monitor:DataCollectionRule",
      ...plan.monitoring.metricAlerts.map(() => "azure-native:monitor:MetricAlert"),
      ...plan.monitoring.alerts.map(() => "azure-native:monitor:ScheduledQueryRule"),
      "azure-native:operationalinsights:Workspace",
      "mailhost:azure:Monitoring",
    ]);
    const metric = registered.filter((r) => r.type === "azure-native:monitor:MetricAlert");
    for (const alert of metric) {
      assert.deepEqual(alert.inputs.scopes, [NAT_GATEWAY_ID]);
      assert.equal(alert.inputs.location, "global");
      assert.equal((alert.inputs.actions as unknown[]).length, 1);
    }
  });
  it("rejects a plan with NAT gateway alerts but no NAT gateway id, and registers nothing", async () => {
    const { error, registered } = await build(plan.monitoring, "https://hooks.example.com/x", null);
    assert.match(error ?? "", /natGatewayId is required when plan\.metricAlerts is not empty/);
    assert.deepEqual(
      registered.map((r) => r.type),
      [],
    );
  });
  it("rejects a correction threshold out of range and a correction window not allowed, naming each", async () => {
    const broken: MonitoringPlan = {
      ...plan.monitoring,
      alerts: plan.monitoring.alerts.map((a) => (a.key === "tuning-corrections" ? { ...a, threshold: 0, windowMinutes: 7 } : a)),
    };
    const { error, registered } = await build(broken, "https://hooks.example.com/x");
    assert.match(error ?? "", /alert tuning-corrections: threshold = 0 is outside 1–1000/);
    assert.match(error ?? "", /alert tuning-corrections: window = 7 min is not one of 60, /);
    assert.deepEqual(
      registered.map((r) => r.type),
      [],
    );
  });
  it("rejects a threshold and a sampling interval out of range, naming each, and registers nothing", async () => {
    const broken: MonitoringPlan = {
      ...plan.monitoring,
      samplingIntervalSeconds: PERF_SAMPLING_INTERVAL.max + 1,
      alerts: plan.monitoring.alerts.map((a) => (a.key === "connection-failures" ? { ...a, threshold: CONNECTION_FAILURE_THRESHOLD.min - 1 } : a)),
    };
    const { error, registered } = await build(broken, "https://hooks.example.com/x");
    assert.ok(error?.startsWith('mailhost:azure:Monitoring "mon" has invalid inputs: '), error);
    assert.ok(String(error).includes(`samplingIntervalSeconds = ${PERF_SAMPLING_INTERVAL.max + 1} is outside ${formatRange(PERF_SAMPLING_INTERVAL)}`));
    assert.ok(
      String(error).includes(
        `alert connection-failures: threshold = ${CONNECTION_FAILURE_THRESHOLD.min - 1} is outside ${formatRange(CONNECTION_FAILURE_THRESHOLD)}`,
      ),
    );
    assert.deepEqual(
      registered.map((r) => r.type),
      [],
    );
  });
  it("rejects a plan with a webhook receiver but no URL, and a disabled plan", async () => {
    assert.match((await build(plan.monitoring)).error ?? "", /alertWebhookUrl is required when plan\.webhookReceiver is true/);
    assert.match((await build({ ...plan.monitoring, enabled: false }, "https://hooks.example.com/x")).error ?? "", /plan\.enabled = false/);
  });
});
