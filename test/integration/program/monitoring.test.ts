/**
 * Azure Monitor under mocks: what each committed stack registers for monitoring, and what the
 * pack says about it over the analyzer protocol.
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { type OfflineRun, type RecordedResource, runOffline, runtimeConfig } from "../../../engine/offline";
import { type PolicyDiagnostic, type PolicyPackProcess } from "../../../engine/analyzer";
import { analyzeResources } from "../../../engine/policyCheck";
import { readPolicyConfig, startStackPack } from "../../support/packs";
import { requireStackConfig } from "../../../domain/config";
import { HOST_DIMENSION, TCPIP_EVENTS } from "../../../domain/monitoring";
import { planFleet } from "../../../domain/plan";
import { PORT_USAGE_EVENT_SOURCE, PORT_USAGE_EVENT_XPATH } from "../../../domain/portUsage";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { CORRECTION_EVENT_IDS, CORRECTION_EVENT_SOURCE } from "../../../domain/corrections";
import { RESOURCE_ID_COLUMN } from "../../../components/Monitoring";
import { formatPlan, planOf } from "../../../cli/plan";
import { REPO_ROOT, STACKS, runStack, stackConfigWithSecret, stackFileConfig, withValue } from "../../support/stacks";
import program = require("../../../index");
import { ruleOf } from "../../../policies/all";

/** A diagnostic of rule `rule` (each rule is a policy of its own, named by the rule). */
const isRule = (d: PolicyDiagnostic, rule: string) => d.policyName === rule && ruleOf(d) === rule;

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const WEBHOOK = "https://hooks.example.com/services/T0001/B0002/s3cr3t-webhook-token";
const WEBHOOK_TOKEN = "s3cr3t-webhook-token";
const byType = (run: OfflineRun, type: string) => run.resources.filter((r) => r.type === type);
const agents = (run: OfflineRun) => byType(run, "azure-native:compute:VirtualMachineExtension").filter((r) => r.inputs.publisher === "Microsoft.Azure.Monitor");
const idOf = (type: string, name: string, rg: string) => {
  const [, module, kind] = type.split(":");
  const provider = {
    compute: "Microsoft.Compute",
    monitor: "Microsoft.Insights",
    operationalinsights: "Microsoft.OperationalInsights",
    network: "Microsoft.Network",
  }[module];
  return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${rg}/providers/${provider}/${kind}/${name}`;
};

function configOf(stack: string) {
  const raw = Object.fromEntries(
    Object.entries(stackFileConfig(stack))
      .filter(([k]) => k.startsWith("mailhost:"))
      .map(([k, v]) => [k.slice(9), v]),
  );
  return requireStackConfig(raw);
}

/** Runs a stack with the webhook URL set as a secret, as `pulumi config set --secret` would. */
function runWithWebhook(stack: string, config: Record<string, unknown> = stackConfigWithSecret(stack)): Promise<OfflineRun> {
  return runOffline(program, stack, runtimeConfig({ ...config, "mailhost:alertWebhookUrl": WEBHOOK }), ["mailhost:adminPassword", "mailhost:alertWebhookUrl"]);
}

for (const stack of STACKS) {
  describe(`monitoring of stack ${stack} under mocks`, () => {
    let run: OfflineRun;
    const config = configOf(stack);
    const rg = `rg-mailhost-${stack}`;
    before(async () => {
      run = await runStack(stack);
    });

    it("gives every host one Azure Monitor Agent extension with automatic upgrade, after its tuning", () => {
      const vms = byType(run, "azure-native:compute:VirtualMachine");
      const extensions = agents(run);
      assert.equal(extensions.length, config.fleet.hostCount);
      assert.deepEqual(extensions.map((e) => e.inputs.vmName).sort(), vms.map((v) => v.inputs.vmName).sort());
      for (const agent of extensions) {
        assert.equal(agent.inputs.type, "AzureMonitorWindowsAgent");
        assert.equal(agent.inputs.enableAutomaticUpgrade, true);
        assert.equal(agent.inputs.autoUpgradeMinorVersion, true);
        assert.equal(agent.inputs.settings, undefined, "the system-assigned identity needs no settings");
        const tuning = run.resources.find(
          (r) => r.type.startsWith("mailhost:azure:") && r.type.endsWith("Tuning") && r.name === `${agent.inputs.vmName}-tuning`,
        )!;
        // After the host's tuning, and after the last extension before it (one extension operation per VM at a time).
        const previous = run.resources.filter(
          (r) =>
            r.parent === tuning.urn &&
            (r.type === "azure-native:compute:VirtualMachineExtension" || r.type === "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"),
        );
        assert.equal(previous.length, 1);
        assert.deepEqual(agent.dependencies, [tuning.urn, previous[0].urn], "installed after the host's tuning and its extension");
        if (config.tcp.tuning === "dsc") assert.deepEqual(agent.inputs.provisionAfterExtensions, ["Microsoft.Powershell.DSC"]);
      }
      // The agent authenticates with the system-assigned identity (Machine Configuration hosts also carry a user-assigned one).
      for (const vm of vms) assert.match((vm.inputs.identity as { type: string }).type, /^SystemAssigned(, UserAssigned)?$/);
    });

    it("associates every host, by its ARM id, with the stack's one data collection rule", () => {
      const [dcr, ...more] = byType(run, "azure-native:monitor:DataCollectionRule");
      assert.deepEqual(more, []);
      const associations = byType(run, "azure-native:monitor:DataCollectionRuleAssociation");
      assert.equal(associations.length, config.fleet.hostCount);
      const dcrId = idOf(dcr.type, String(dcr.inputs.dataCollectionRuleName), rg);
      const vmIds = byType(run, "azure-native:compute:VirtualMachine")
        .map((vm) => idOf(vm.type, String(vm.inputs.vmName), rg))
        .sort();
      assert.deepEqual(associations.map((a) => a.inputs.resourceUri).sort(), vmIds);
      for (const a of associations) assert.equal(a.inputs.dataCollectionRuleId, dcrId);
    });

    it("collects Tcpip 4227/4231/4266 from the System log and the \\TCPv4\\ and \\TCPv6\\ counters into the workspace", () => {
      const [dcr] = byType(run, "azure-native:monitor:DataCollectionRule");
      const inputs = dcr.inputs as any;
      const [events] = inputs.dataSources.windowsEventLogs;
      assert.deepEqual(events.streams, ["Microsoft-Event"]);
      const xpath = events.xPathQueries.join(" ");
      for (const id of [TCPIP_EVENTS.timeWaitCollision, TCPIP_EVENTS.tcpPortSpaceExhausted]) assert.ok(xpath.includes(String(id)), `XPath names ${id}`);
      assert.match(xpath, /^System!/);
      const [counters] = inputs.dataSources.performanceCounters;
      assert.deepEqual(counters.streams, ["Microsoft-Perf"]);
      assert.equal(counters.samplingFrequencyInSeconds, config.monitoring.samplingIntervalSeconds);
      assert.ok(counters.counterSpecifiers.some((c: string) => c.startsWith("\\TCPv4\\")));
      assert.ok(counters.counterSpecifiers.includes("\\TCPv4\\Connection Failures"));
      const [destination] = inputs.destinations.logAnalytics;
      const [workspace] = byType(run, "azure-native:operationalinsights:Workspace");
      assert.equal(destination.workspaceResourceId, idOf(workspace.type, String(workspace.inputs.workspaceName), rg));
      assert.deepEqual(inputs.dataFlows, [{ streams: ["Microsoft-Event", "Microsoft-Perf"], destinations: [destination.name] }]);
      assert.equal(workspace.inputs.retentionInDays, config.monitoring.retentionInDays);
    });

    it("creates an action group with exactly the configured receivers", () => {
      const [group, ...more] = byType(run, "azure-native:monitor:ActionGroup");
      assert.deepEqual(more, []);
      assert.equal(group.inputs.enabled, true);
      assert.ok(String(group.inputs.groupShortName).length <= 12);
      assert.deepEqual(
        (group.inputs.emailReceivers as Array<{ emailAddress: string }>).map((r) => r.emailAddress),
        config.monitoring.emailReceivers,
      );
      assert.deepEqual(group.inputs.webhookReceivers, [], "no webhook unless the secret key is set");
    });

    it("collects the tuning's correction events (Application log, provider MailhostTcpTuning, every correction id) into the same workspace", () => {
      const [dcr] = byType(run, "azure-native:monitor:DataCollectionRule");
      const inputs = dcr.inputs as any;
      const corrections = inputs.dataSources.windowsEventLogs.filter((s: any) =>
        s.xPathQueries.some((q: string) => q.includes(`Provider[@Name='${CORRECTION_EVENT_SOURCE}']`)),
      );
      assert.equal(corrections.length, 1);
      assert.deepEqual(corrections[0].streams, ["Microsoft-Event"]);
      const [xpath] = corrections[0].xPathQueries;
      assert.match(xpath, /^Application!/);
      for (const id of Object.values(CORRECTION_EVENT_IDS)) assert.ok(xpath.includes(`EventID=${id}`), `XPath names ${id}`);
      assert.ok(
        inputs.dataFlows.some((f: any) => f.streams.includes("Microsoft-Event")),
        "the Event stream flows to the workspace",
      );
    });

    it("alerts, per host, when one setting is corrected more than the configured number of times in the configured window", () => {
      const rules = byType(run, "azure-native:monitor:ScheduledQueryRule").filter((r) =>
        ((r.inputs.criteria as any).allOf[0].query as string).includes(`"${CORRECTION_EVENT_SOURCE}"`),
      );
      assert.equal(rules.length, 1);
      const [rule] = rules;
      const [condition] = (rule.inputs.criteria as any).allOf;
      assert.equal(condition.threshold, config.monitoring.alerts.correctionThreshold);
      assert.equal(condition.metricMeasureColumn, "Corrections");
      assert.equal(condition.resourceIdColumn, RESOURCE_ID_COLUMN);
      assert.equal(
        rule.inputs.windowSize,
        config.monitoring.alerts.correctionWindowMinutes % 1440 === 0
          ? `P${config.monitoring.alerts.correctionWindowMinutes / 1440}D`
          : `PT${config.monitoring.alerts.correctionWindowMinutes / 60}H`,
      );
      assert.match(String(rule.inputs.description), /gpresult/);
      assert.match(String(rule.inputs.description), /Process Monitor/);
    });

    it("puts metric alerts on the stack's NAT gateway: failed SNAT connections and dropped packets, notifying the same action group", () => {
      const [gateway, ...moreGateways] = byType(run, "azure-native:network:NatGateway");
      assert.deepEqual(moreGateways, []);
      const gatewayId = idOf(gateway.type, String(gateway.inputs.natGatewayName), rg);
      const [group] = byType(run, "azure-native:monitor:ActionGroup");
      const groupId = idOf(group.type, String(group.inputs.actionGroupName), rg);
      const alerts = byType(run, "azure-native:monitor:MetricAlert");
      assert.equal(alerts.length, 2);
      const byMetric = (metric: string) => alerts.filter((a) => (a.inputs.criteria as any).allOf[0].metricName === metric);
      const [snat] = byMetric("SNATConnectionCount");
      const [drops] = byMetric("PacketDropCount");
      assert.deepEqual((snat.inputs.criteria as any).allOf[0].dimensions, [{ name: "ConnectionState", operator: "Include", values: ["Failed"] }]);
      assert.equal((snat.inputs.criteria as any).allOf[0].threshold, config.monitoring.alerts.natSnatFailedConnectionThreshold);
      assert.equal((drops.inputs.criteria as any).allOf[0].threshold, config.monitoring.alerts.natPacketDropThreshold);
      for (const alert of [snat, drops]) {
        const [criterion] = (alert.inputs.criteria as any).allOf;
        assert.equal(criterion.metricNamespace, "Microsoft.Network/natGateways");
        assert.equal(criterion.timeAggregation, "Total");
        assert.equal(criterion.operator, "GreaterThan");
        assert.deepEqual(alert.inputs.scopes, [gatewayId]);
        assert.deepEqual(alert.inputs.actions, [{ actionGroupId: groupId }]);
        assert.equal(alert.inputs.windowSize, "PT5M");
        assert.equal(alert.inputs.evaluationFrequency, "PT1M");
      }
    });

    it("creates alert rules split per host whose queries mention 4231 and 4227, each notifying the action group", () => {
      const rules = byType(run, "azure-native:monitor:ScheduledQueryRule");
      assert.equal(rules.length, planOf(REPO_ROOT, stack).monitoring.alerts.length);
      const [group] = byType(run, "azure-native:monitor:ActionGroup");
      const groupId = idOf(group.type, String(group.inputs.actionGroupName), rg);
      const [workspace] = byType(run, "azure-native:operationalinsights:Workspace");
      const queries = rules.map((r) => (r.inputs.criteria as any).allOf[0].query as string);
      assert.ok(queries.some((q) => q.includes(String(TCPIP_EVENTS.tcpPortSpaceExhausted))));
      assert.ok(queries.some((q) => q.includes(String(TCPIP_EVENTS.timeWaitCollision))));
      for (const rule of rules) {
        const inputs = rule.inputs as any;
        const [condition] = inputs.criteria.allOf;
        if (String(inputs.ruleName).endsWith("-heartbeat-missing")) {
          // Silent hosts may have no Heartbeat row, so no _ResourceId: one alert per expected host name.
          assert.equal(condition.resourceIdColumn, undefined);
          assert.deepEqual(
            condition.dimensions.map((d: { name: string }) => d.name),
            [HOST_DIMENSION],
          );
          assert.equal(inputs.autoMitigate, true, "resolves once the host reports again or leaves the stack");
        } else {
          assert.equal(condition.resourceIdColumn, RESOURCE_ID_COLUMN);
        }
        assert.equal(condition.operator, "GreaterThan", "the API's spelling, not the SDK enum's \"gt\"");
        assert.deepEqual(inputs.actions.actionGroups, [groupId]);
        assert.deepEqual(inputs.scopes, [idOf(workspace.type, String(workspace.inputs.workspaceName), rg)]);
        assert.match(inputs.description, /mailhost drift/);
        assert.match(inputs.description, /mailhost reboot/);
        assert.ok([1, 2, 3].includes(inputs.severity));
        assert.match(inputs.windowSize, /^P(T\d+[MH]|\d+D)$/);
      }
      const severity = (n: number) => rules.filter((r) => r.inputs.severity === n).map((r) => (r.inputs.criteria as any).allOf[0]);
      assert.ok(
        severity(1).some((c) => c.query.includes("4231") && c.threshold === 0),
        "any 4231: severity 1",
      );
      assert.ok(
        severity(2).some((c) => c.query.includes("4227") && c.threshold === config.monitoring.alerts.timeWaitCollisionThreshold),
        "4227 above the threshold: severity 2",
      );
      assert.ok(
        severity(3).some((c) => c.query.includes("Connection Failures") && c.threshold === config.monitoring.alerts.connectionFailureThreshold),
        "connection failures: severity 3",
      );
      assert.ok(
        severity(2).some((c) => c.query.startsWith("Heartbeat") && c.query.includes(`ago(${config.monitoring.alerts.heartbeatSilenceMinutes}m)`)),
        "silent host",
      );
      // The port-usage warning, held to the capacity model's threshold for this stack.
      const usage = planFleet(stack, config, loadSiteConfigTemplate()).monitoring.portUsage!;
      const usageRule = rules.find((r) => String(r.inputs.ruleName).endsWith("-port-usage-high"));
      assert.ok(usageRule, "the port-usage alert exists");
      const usageCondition = (usageRule.inputs.criteria as any).allOf[0];
      assert.equal(usageCondition.threshold, usage.thresholdPorts);
      assert.equal(usageCondition.metricMeasureColumn, "Lowest");
      assert.ok(usageCondition.query.includes(PORT_USAGE_EVENT_SOURCE));
      assert.deepEqual(
        usageCondition.dimensions.map((d: { name: string }) => d.name),
        usage.model === "hostPool" ? ["Computer"] : ["Computer", "Remote"],
      );
    });

    it("collects the port-usage sampler's readings from the Application log", () => {
      const [dcr] = byType(run, "azure-native:monitor:DataCollectionRule");
      const inputs = dcr.inputs as any;
      const [events] = inputs.dataSources.windowsEventLogs;
      assert.ok(events.xPathQueries.includes(PORT_USAGE_EVENT_XPATH));
      assert.deepEqual(inputs.dataFlows[0].streams.includes("Microsoft-Event"), true);
    });

    it("exports the monitoring without a secret", () => {
      const monitoring = (run.outputs as any).monitoring;
      assert.equal(monitoring.enabled, true);
      assert.deepEqual(monitoring.emailReceivers, config.monitoring.emailReceivers);
      assert.equal(monitoring.alertRules.length, planOf(REPO_ROOT, stack).monitoring.alerts.length);
      assert.equal(monitoring.metricAlerts.length, 2);
    });
  });
}

describe("monitoring options under mocks", () => {
  it("puts the webhook URL only into the action group, as a secret, and never into outputs", async () => {
    const run = await runWithWebhook("prod");
    const [group] = byType(run, "azure-native:monitor:ActionGroup");
    const receivers = group.inputs.webhookReceivers as any;
    assert.equal(receivers[SECRET_SIG] !== undefined || receivers[0]?.serviceUri?.[SECRET_SIG] !== undefined, true, "the webhook receiver is a secret");
    assert.ok(JSON.stringify(receivers).includes(WEBHOOK_TOKEN), "the action group does get the URL");
    for (const r of run.resources.filter((x) => x !== group))
      assert.ok(!JSON.stringify(r.inputs).includes(WEBHOOK_TOKEN), `${r.type} ${r.name} carries no webhook`);
    const outputs = JSON.stringify(run.outputs);
    assert.ok(!outputs.includes(WEBHOOK_TOKEN) && !outputs.includes("hooks.example.com"));
    assert.equal((run.outputs as any).monitoring.webhookReceiver, true);
  });

  it("uses an existing workspace by ARM id: no workspace is created, rule and alerts point at it, the rule sits in the workspace's region", async () => {
    const id = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ops-neu";
    const stackRegion = stackConfigWithSecret("prod")["azure-native:location"];
    const workspaceRegion = stackRegion === "northeurope" ? "swedencentral" : "northeurope";
    let config = withValue(stackConfigWithSecret("prod"), "mailhost:monitoring", "workspaceResourceId", id);
    config = withValue(config, "mailhost:monitoring", "workspaceLocation", workspaceRegion);
    const run = await runStack("prod", config);
    assert.deepEqual(byType(run, "azure-native:operationalinsights:Workspace"), []);
    const [dcr] = byType(run, "azure-native:monitor:DataCollectionRule");
    assert.equal((dcr.inputs as any).destinations.logAnalytics[0].workspaceResourceId, id);
    assert.equal(dcr.inputs.location, workspaceRegion, "Azure Monitor: the rule goes in its destination workspace's region");
    for (const rule of byType(run, "azure-native:monitor:ScheduledQueryRule")) assert.deepEqual(rule.inputs.scopes, [id]);
    // The associations are extension resources on the VMs: they name the rule, wherever it is.
    const associations = byType(run, "azure-native:monitor:DataCollectionRuleAssociation");
    assert.ok(associations.length > 0);
  });

  it("refuses an existing workspace without its region before registering anything, naming the key", async () => {
    const id = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ops-weu";
    let message = "";
    const registered: RecordedResource[] = [];
    try {
      const run = await runStack("prod", withValue(stackConfigWithSecret("prod"), "mailhost:monitoring", "workspaceResourceId", id));
      registered.push(...run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack"));
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /mailhost:monitoring\.workspaceLocation is missing/);
    assert.deepEqual(registered, []);
  });

  it("refuses a stack without azure-native:location before registering anything, naming the key", async () => {
    const config = { ...stackConfigWithSecret("prod") } as Record<string, unknown>;
    delete config["azure-native:location"];
    let message = "";
    const registered: RecordedResource[] = [];
    try {
      const run = await runStack("prod", config as ReturnType<typeof stackConfigWithSecret>);
      registered.push(...run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack"));
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /azure-native:location is missing/);
    assert.deepEqual(registered, []);
  });

  it("enabled: false registers no agent, association, rule, alert or action group", async () => {
    const run = await runStack("dev", withValue(stackConfigWithSecret("dev"), "mailhost:monitoring", "enabled", false));
    const monitoringTypes = run.resources.filter((r) => /:monitor:|:operationalinsights:|mailhost:azure:Monitoring/.test(r.type));
    assert.deepEqual(
      monitoringTypes.map((r) => r.type),
      [],
    );
    assert.deepEqual(agents(run), []);
    assert.deepEqual((run.outputs as any).monitoring, { enabled: false });
  });

  it("rejects a threshold out of range before registering anything, naming key, value and range", async () => {
    let message = "";
    const registered: RecordedResource[] = [];
    try {
      const run = await runStack("prod", withValue(stackConfigWithSecret("prod"), "mailhost:monitoring", "alerts.timeWaitCollisionThreshold", -1));
      registered.push(...run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack"));
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /mailhost:monitoring\.alerts\.timeWaitCollisionThreshold = -1 is outside 0–100000 \(events per window\)\./);
    assert.deepEqual(registered, []);
  });

  it("rejects a plain-http webhook without showing it", async () => {
    let message = "";
    try {
      await runOffline(
        program,
        "prod",
        runtimeConfig({ ...stackConfigWithSecret("prod"), "mailhost:alertWebhookUrl": "http://hooks.example.com/s3cr3t-webhook-token" }),
        ["mailhost:adminPassword", "mailhost:alertWebhookUrl"],
      );
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /mailhost:alertWebhookUrl \(secret, value not shown\) must be an https:\/\/ URL/);
    assert.ok(!message.includes(WEBHOOK_TOKEN));
  });
});

describe("mailhost plan shows the monitoring of each stack", () => {
  for (const stack of STACKS) {
    it(`${stack}: workspace, collected data, every alert with its threshold, receivers and a volume estimate`, () => {
      const plan = planOf(REPO_ROOT, stack);
      const text = formatPlan(plan);
      assert.match(text, new RegExp(`monitoring: Azure Monitor Agent \\+ data collection rule dcr-mailhost-${stack} on every host`));
      assert.ok(text.includes("EventID=4231"));
      for (const alert of plan.monitoring.alerts) assert.ok(text.includes(alert.ruleName) && text.includes(alert.condition), alert.key);
      for (const email of plan.monitoring.emailReceivers) assert.ok(text.includes(email));
      assert.match(text, /estimated data: about [\d.]+ MB per host per day/);
    });
  }
});

describe("the pack over the analyzer protocol, on what the program registers", () => {
  let pack: PolicyPackProcess;
  let prod: OfflineRun;
  const mandatory = (ds: PolicyDiagnostic[]) => ds.filter((d) => d.enforcementLevel === "mandatory");
  before(async () => {
    prod = await runWithWebhook("prod");
    pack = await startStackPack("prod");
  });
  after(async () => {
    await pack?.close();
  });

  it("rejects a prod stack whose hosts lack the data collection rule association, once per host", async () => {
    await pack.configure(readPolicyConfig("prod"));
    const without = prod.resources.filter((r) => r.type !== "azure-native:monitor:DataCollectionRuleAssociation");
    const ds = mandatory(await analyzeResources(pack, without));
    const hits = ds.filter((d) => isRule(d, "mailhost-vm-has-data-collection-rule-association"));
    const vms = byType(prod, "azure-native:compute:VirtualMachine");
    assert.equal(hits.length, vms.length, ds.map((d) => d.message).join("\n"));
    assert.deepEqual(hits.map((d) => d.urn).sort(), vms.map((v) => v.urn).sort());
    for (const d of hits) assert.match(d.message, /VirtualMachine "vm-mail-prod-\d{3}" has no data collection rule association/);
    assert.deepEqual(
      ds.filter((d) => !isRule(d, "mailhost-vm-has-data-collection-rule-association")),
      [],
    );
  });
  it("rejects prod hosts without the agent, and only warns in dev", async () => {
    const without = prod.resources.filter(
      (r) => !(r.type === "azure-native:compute:VirtualMachineExtension" && r.inputs.publisher === "Microsoft.Azure.Monitor"),
    );
    await pack.configure(readPolicyConfig("prod"));
    const inProd = (await analyzeResources(pack, without)).filter((d) => isRule(d, "mailhost-vm-has-monitoring-agent"));
    assert.deepEqual([...new Set(inProd.map((d) => d.enforcementLevel))], ["mandatory"]);
    assert.equal(inProd.length, 4);
    await pack.configure(readPolicyConfig("dev"));
    const inDev = await analyzeResources(pack, without);
    assert.deepEqual(mandatory(inDev), []);
    assert.equal(inDev.filter((d) => isRule(d, "mailhost-vm-has-monitoring-agent") && d.enforcementLevel === "advisory").length, 4);
  });
  it("rejects a prod stack without the port-usage alert, or whose data collection rule drops the sampler's events", async () => {
    await pack.configure(readPolicyConfig("prod"));
    const withoutAlert = prod.resources.filter(
      (r) => !(r.type === "azure-native:monitor:ScheduledQueryRule" && String(r.inputs.ruleName).endsWith("-port-usage-high")),
    );
    const noAlert = mandatory(await analyzeResources(pack, withoutAlert)).filter((d) => isRule(d, "mailhost-port-usage-alert"));
    assert.equal(noAlert.length, 1);
    assert.match(noAlert[0].message, /No log search alert rule reads the port-usage readings/);
    const withoutEvents = prod.resources.map((r) =>
      r.type === "azure-native:monitor:DataCollectionRule"
        ? {
            ...r,
            inputs: {
              ...r.inputs,
              dataSources: {
                ...(r.inputs.dataSources as any),
                windowsEventLogs: (r.inputs.dataSources as any).windowsEventLogs.map((w: any) => ({
                  ...w,
                  xPathQueries: w.xPathQueries.filter((q: string) => q !== PORT_USAGE_EVENT_XPATH),
                })),
              },
            },
          }
        : r,
    );
    const noEvents = mandatory(await analyzeResources(pack, withoutEvents)).filter((d) => isRule(d, "mailhost-port-usage-alert"));
    assert.equal(noEvents.length, 1);
    assert.match(noEvents[0].message, /No data collection rule collects the port-usage readings/);
    assert.deepEqual(
      mandatory(await analyzeResources(pack, prod.resources)).filter((d) => isRule(d, "mailhost-port-usage-alert")),
      [],
    );
  });
  it("rejects an alert rule that names no action group", async () => {
    await pack.configure(readPolicyConfig("prod"));
    const broken = prod.resources.map((r) =>
      r.type === "azure-native:monitor:ScheduledQueryRule" ? { ...r, inputs: { ...r.inputs, actions: { actionGroups: [] } } } : r,
    );
    const hits = mandatory(await analyzeResources(pack, broken)).filter((d) => isRule(d, "mailhost-alert-rule-has-action-group"));
    assert.equal(hits.length, byType(prod, "azure-native:monitor:ScheduledQueryRule").length);
    assert.match(hits[0].message, /ScheduledQueryRule "mailhost-monitoring-[a-z-]+" names no action group in actions\.actionGroups/);
  });
  it("never shows the webhook URL in a diagnostic or the pack's log, even when everything is reported", async () => {
    await pack.configure(readPolicyConfig("prod"));
    const stripped = prod.resources.filter(
      (r) =>
        r.type !== "azure-native:monitor:DataCollectionRuleAssociation" &&
        !(r.type === "azure-native:compute:VirtualMachineExtension" && r.inputs.publisher === "Microsoft.Azure.Monitor"),
    );
    const ds = await analyzeResources(pack, stripped);
    assert.ok(ds.length >= 8);
    const text = JSON.stringify(ds) + pack.logs().join("\n");
    assert.ok(!text.includes(WEBHOOK_TOKEN) && !text.includes("hooks.example.com"));
  });
  it("requires, in prod, the collection of the correction events, the correction alert and the NAT gateway alerts; only warns in dev", async () => {
    const coverage = (d: PolicyDiagnostic) =>
      ["mailhost-collects-tuning-corrections", "mailhost-tuning-correction-alert", "mailhost-nat-gateway-alerts"].includes(d.policyName);
    const stripped = prod.resources
      .filter((r) => r.type !== "azure-native:monitor:MetricAlert")
      .filter((r) => !(r.type === "azure-native:monitor:ScheduledQueryRule" && JSON.stringify(r.inputs).includes(CORRECTION_EVENT_SOURCE)))
      .map((r) =>
        r.type === "azure-native:monitor:DataCollectionRule"
          ? {
              ...r,
              inputs: {
                ...r.inputs,
                dataSources: {
                  ...(r.inputs as any).dataSources,
                  windowsEventLogs: (r.inputs as any).dataSources.windowsEventLogs.filter((s: any) => !JSON.stringify(s).includes(CORRECTION_EVENT_SOURCE)),
                },
              },
            }
          : r,
      );
    await pack.configure(readPolicyConfig("prod"));
    const inProd = (await analyzeResources(pack, stripped)).filter(coverage);
    assert.deepEqual(inProd.map((d) => ruleOf(d)).sort(), [
      "mailhost-collects-tuning-corrections",
      "mailhost-nat-gateway-alerts",
      "mailhost-nat-gateway-alerts",
      "mailhost-tuning-correction-alert",
    ]);
    assert.deepEqual([...new Set(inProd.map((d) => d.enforcementLevel))], ["mandatory"]);
    await pack.configure(readPolicyConfig("dev"));
    const inDev = (await analyzeResources(pack, stripped)).filter(coverage);
    assert.equal(inDev.length, 4);
    assert.deepEqual([...new Set(inDev.map((d) => d.enforcementLevel))], ["advisory"]);
  });
  it("passes the complete prod stack with the webhook set without a single diagnostic", async () => {
    await pack.configure(readPolicyConfig("prod"));
    assert.deepEqual(await analyzeResources(pack, prod.resources), []);
  });
});
