import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type * as monitor from "@pulumi/azure-native/monitor";
import { TCPIP_EVENT_XPATH } from "../../../domain/monitoring";
import { alertRuleHasActionGroup, portUsageAlert, vmHasDataCollectionRuleAssociation, vmHasMonitoringAgent } from "../../../policies/rules/monitoring";
import { stackViolations, violations } from "./harness";
import { VM_ID, alertRule, ama, dcra, dsc, plan, resource, scheduledQueryRuleArgs, vm } from "./fixtures";

const VM_URN = "urn:pulumi:test::mailhost::azure-native:compute:VirtualMachine::vm-mail-unit-001-vm";

describe("mailhost-vm-has-monitoring-agent", () => {
  it("accepts a VM with the Azure Monitor Agent extension (linked by vmName)", async () => {
    assert.deepEqual(await stackViolations(vmHasMonitoringAgent, [vm(), dsc(), ama(), dcra()]), []);
  });
  it("rejects a VM without it, with the VM's URN", async () => {
    assert.deepEqual(await stackViolations(vmHasMonitoringAgent, [vm(), dsc(), dcra()]), [
      {
        message:
          'VirtualMachine "vm-mail-unit-001" has no Azure Monitor Agent extension (Microsoft.Azure.Monitor/AzureMonitorWindowsAgent): port exhaustion on it would go unnoticed; enable mailhost:monitoring.',
        urn: VM_URN,
      },
    ]);
  });
  it("does not take another extension (the DSC tuning) for the agent", async () => {
    assert.equal((await stackViolations(vmHasMonitoringAgent, [vm(), dsc()])).length, 1);
    const linux = { ...ama(), props: { ...ama().props, type: "AzureMonitorLinuxAgent" } };
    assert.equal((await stackViolations(vmHasMonitoringAgent, [vm(), linux])).length, 1);
  });
  it("links through the vmName property dependency when the name is not known yet", async () => {
    const machine = vm();
    const agent = { ...ama(), props: { ...ama().props, vmName: undefined }, propertyDependencies: { vmName: [machine] } };
    assert.deepEqual(await stackViolations(vmHasMonitoringAgent, [machine, agent]), []);
  });
});

describe("mailhost-vm-has-data-collection-rule-association", () => {
  it("accepts a VM associated by its ARM id (any case)", async () => {
    assert.deepEqual(await stackViolations(vmHasDataCollectionRuleAssociation, [vm(), dcra()]), []);
    const lower = { ...dcra(), props: { ...dcra().props, resourceUri: VM_ID.toLowerCase() } };
    assert.deepEqual(await stackViolations(vmHasDataCollectionRuleAssociation, [vm(), lower]), []);
  });
  it("rejects a VM without an association, with the VM's URN", async () => {
    assert.deepEqual(await stackViolations(vmHasDataCollectionRuleAssociation, [vm(), ama()]), [
      {
        message:
          'VirtualMachine "vm-mail-unit-001" has no data collection rule association: its Azure Monitor Agent (if any) sends no Tcpip events or TCP counters; enable mailhost:monitoring.',
        urn: VM_URN,
      },
    ]);
  });
  it("does not count an association with another VM, or one that names no rule", async () => {
    const other = { ...dcra(), props: { ...dcra().props, resourceUri: VM_ID.replace("vm-mail-unit-001", "vm-other") } };
    assert.equal((await stackViolations(vmHasDataCollectionRuleAssociation, [vm(), other])).length, 1);
    const empty = { ...dcra(), props: { ...dcra().props, dataCollectionRuleId: "" } };
    assert.equal((await stackViolations(vmHasDataCollectionRuleAssociation, [vm(), empty])).length, 1);
  });
  it("links through the resourceUri property dependency when the VM id is not known yet", async () => {
    const machine = vm();
    const association = { ...dcra(), props: { ...dcra().props, resourceUri: undefined }, propertyDependencies: { resourceUri: [machine] } };
    assert.deepEqual(await stackViolations(vmHasDataCollectionRuleAssociation, [machine, association]), []);
  });
});

describe("mailhost-alert-rule-has-action-group", () => {
  it("accepts an alert rule with an action group and ignores other resources", async () => {
    assert.deepEqual(await violations(alertRuleHasActionGroup, alertRule()), []);
    assert.deepEqual(await violations(alertRuleHasActionGroup, ama()), []);
  });
  it("rejects an alert rule with no action group, or no actions at all", async () => {
    const expected = [
      'ScheduledQueryRule "mailhost-monitoring-port-space-exhausted" names no action group in actions.actionGroups: it would fire without notifying anyone.',
    ];
    assert.deepEqual(await violations(alertRuleHasActionGroup, { ...alertRule(), props: { ...alertRule().props, actions: { actionGroups: [] } } }), expected);
    assert.deepEqual(await violations(alertRuleHasActionGroup, { ...alertRule(), props: { ...alertRule().props, actions: undefined } }), expected);
  });
  it("checks a versioned or v2-named type too", async () => {
    const v2 = { ...alertRule(), type: "azure-native:insights/v20231201:ScheduledQueryRule", props: { ...alertRule().props, actions: {} } };
    assert.equal((await violations(alertRuleHasActionGroup, v2)).length, 1);
  });
});

describe("mailhost-port-usage-alert", () => {
  const usage = plan.monitoring.alerts.find((a) => a.key === "port-usage-high")!;
  const dcrArgs: monitor.DataCollectionRuleArgs = {
    resourceGroupName: "rg-mailhost-unit",
    dataCollectionRuleName: plan.monitoring.names.dataCollectionRule,
    dataSources: { windowsEventLogs: [{ name: "events", streams: ["Microsoft-Event"], xPathQueries: [...plan.monitoring.eventXPathQueries] }] },
  };
  const dcr = () => resource("azure-native:monitor:DataCollectionRule", "mailhost-monitoring-dcr", dcrArgs);
  const usageRule = () =>
    resource("azure-native:monitor:ScheduledQueryRule", "mailhost-monitoring-port-usage-high", {
      ...scheduledQueryRuleArgs,
      criteria: {
        allOf: [{ query: usage.query, timeAggregation: "Total", metricMeasureColumn: "Lowest", operator: "GreaterThan", threshold: usage.threshold }],
      },
    });
  it("accepts a stack that collects the readings and alerts on them", async () => {
    assert.deepEqual(await stackViolations(portUsageAlert, [vm(), dcr(), usageRule(), alertRule()]), []);
  });
  it("rejects a stack whose data collection rule lacks the sampler's filter", async () => {
    const without = dcr();
    (without.props.dataSources as any).windowsEventLogs[0].xPathQueries = [TCPIP_EVENT_XPATH];
    const found = await stackViolations(portUsageAlert, [vm(), without, usageRule()]);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /No data collection rule collects the port-usage readings/);
  });
  it("rejects a stack without an alert rule on the readings", async () => {
    const found = await stackViolations(portUsageAlert, [vm(), dcr(), alertRule()]);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /No log search alert rule reads the port-usage readings/);
  });
  it("leaves a stack that declares no monitoring resources to the agent and association rules", async () => {
    assert.deepEqual(await stackViolations(portUsageAlert, [vm(), ama(), dcra()]), []);
  });
  it("says nothing about a stack without VMs", async () => {
    assert.deepEqual(await stackViolations(portUsageAlert, [alertRule()]), []);
  });
});
