import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig, requireStackConfig, alertWebhookUrlIssues, type StackConfigInput } from "../../../domain/config";
import {
  ACTION_GROUP_EMAIL_RECEIVERS_MAX,
  ALERT_WINDOW_MINUTES,
  BILLED_BYTES_PER_ROW,
  CONNECTION_FAILURE_THRESHOLD,
  CORRECTION_THRESHOLD,
  CORRECTION_WINDOW_MINUTES,
  HEARTBEAT_SILENCE_MINUTES,
  NAT_GATEWAY_ALERT_SCHEDULE,
  NAT_PACKET_DROP_THRESHOLD,
  NAT_SNAT_FAILED_CONNECTION_THRESHOLD,
  LOG_ANALYTICS_RETENTION_DAYS,
  MONITORING_DEFAULTS,
  PERF_SAMPLING_INTERVAL,
  TIME_WAIT_COLLISION_THRESHOLD,
  WEBHOOK_URL_MAX_LENGTH,
  formatRange,
  type IntRange,
} from "../../../domain/limits";
import {
  HOST_DIMENSION,
  LOG_ALERT_RULE_LIMITS,
  LOG_TABLE_SCHEMAS,
  NAT_GATEWAY_METRICS,
  NAT_GATEWAY_METRIC_NAMESPACE,
  TCPIP_EVENTS,
  TCP_COUNTER_SPECIFIERS,
  TCPIP_EVENT_XPATH,
  alertRulePlans,
  alertRuleTextBytes,
  estimateDailyBytesPerHost,
  isoMinutes,
  natGatewayAlertPlans,
} from "../../../domain/monitoring";
import { kqlString } from "../../../domain/kql";
import { CORRECTION_EVENT_IDS, CORRECTION_EVENT_XPATH } from "../../../domain/corrections";
import { hostPlans, planFleet } from "../../../domain/plan";
import { HOST_COUNT } from "../../../domain/limits";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { analyzeKql } from "../../support/kusto";
import { STACKS, stackFileConfig } from "../../support/stacks";

/** A valid raw config without a monitoring section; each test adds one. */
function valid(monitoring?: unknown): StackConfigInput {
  return {
    fleet: { hostCount: 2, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.20.0.0/16"] },
    tcp: { tuning: "dsc", maxUserPort: 65534, tcpTimedWaitDelay: 60, dynamicPortRange: { start: 10000, count: 55535 } },
    siteConfig: { mailboxCacheTtl: 600 },
    capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
    ...(monitoring === undefined ? {} : { monitoring }),
  } as StackConfigInput;
}

const messages = (monitoring: unknown): string[] => {
  const result = parseStackConfig(valid(monitoring));
  return result.ok ? [] : result.issues.map((i) => i.message);
};

describe("mailhost:monitoring: defaults", () => {
  it("an absent section means enabled, with every default from the limits module", () => {
    const config = requireStackConfig(valid());
    assert.deepEqual(config.monitoring, {
      enabled: true,
      retentionInDays: MONITORING_DEFAULTS.retentionInDays,
      samplingIntervalSeconds: MONITORING_DEFAULTS.samplingIntervalSeconds,
      emailReceivers: [],
      alerts: {
        windowMinutes: MONITORING_DEFAULTS.windowMinutes,
        timeWaitCollisionThreshold: MONITORING_DEFAULTS.timeWaitCollisionThreshold,
        connectionFailureThreshold: MONITORING_DEFAULTS.connectionFailureThreshold,
        heartbeatSilenceMinutes: MONITORING_DEFAULTS.heartbeatSilenceMinutes,
        correctionThreshold: MONITORING_DEFAULTS.correctionThreshold,
        correctionWindowMinutes: MONITORING_DEFAULTS.correctionWindowMinutes,
        natSnatFailedConnectionThreshold: MONITORING_DEFAULTS.natSnatFailedConnectionThreshold,
        natPacketDropThreshold: MONITORING_DEFAULTS.natPacketDropThreshold,
      },
    });
  });
  it("every committed stack enables monitoring", () => {
    for (const stack of STACKS) {
      const raw = stackFileConfig(stack)["mailhost:monitoring"] as { enabled?: boolean } | undefined;
      assert.ok(raw, `Pulumi.${stack}.yaml has mailhost:monitoring`);
      assert.equal(raw.enabled, true, stack);
    }
  });
});

/** Boundary cases of one integer key: min and max accepted, one outside either end rejected with key, value and range. */
function boundaries(key: string, range: IntRange, place: (value: number) => unknown): void {
  const path = `mailhost:monitoring.${key}`;
  it(`rejects ${key} = ${range.min - 1} with key, value and range`, () => {
    assert.deepEqual(messages(place(range.min - 1)), [`${path} = ${range.min - 1} is outside ${formatRange(range)}.`]);
  });
  it(`accepts ${key} = ${range.min} and ${range.max}`, () => {
    assert.deepEqual(messages(place(range.min)), []);
    assert.deepEqual(messages(place(range.max)), []);
  });
  it(`rejects ${key} = ${range.max + 1} with key, value and range`, () => {
    assert.deepEqual(messages(place(range.max + 1)), [`${path} = ${range.max + 1} is outside ${formatRange(range)}.`]);
  });
  it(`rejects a non-integer ${key}`, () => {
    assert.deepEqual(messages(place(range.min + 0.5)), [`${path} = ${range.min + 0.5} is not an integer; allowed ${formatRange(range)}.`]);
  });
}

describe("mailhost:monitoring: boundaries of every numeric key", () => {
  // The longest window, so that any sampling interval leaves two samples in it.
  const longest = Math.max(...ALERT_WINDOW_MINUTES);
  boundaries("alerts.timeWaitCollisionThreshold", TIME_WAIT_COLLISION_THRESHOLD, (v) => ({ alerts: { timeWaitCollisionThreshold: v } }));
  boundaries("alerts.connectionFailureThreshold", CONNECTION_FAILURE_THRESHOLD, (v) => ({ alerts: { connectionFailureThreshold: v } }));
  boundaries("alerts.heartbeatSilenceMinutes", HEARTBEAT_SILENCE_MINUTES, (v) => ({ alerts: { heartbeatSilenceMinutes: v } }));
  boundaries("alerts.correctionThreshold", CORRECTION_THRESHOLD, (v) => ({ alerts: { correctionThreshold: v } }));
  boundaries("alerts.natSnatFailedConnectionThreshold", NAT_SNAT_FAILED_CONNECTION_THRESHOLD, (v) => ({ alerts: { natSnatFailedConnectionThreshold: v } }));
  boundaries("alerts.natPacketDropThreshold", NAT_PACKET_DROP_THRESHOLD, (v) => ({ alerts: { natPacketDropThreshold: v } }));
  boundaries("samplingIntervalSeconds", PERF_SAMPLING_INTERVAL, (v) => ({ samplingIntervalSeconds: v, alerts: { windowMinutes: longest } }));
  boundaries("retentionInDays", LOG_ANALYTICS_RETENTION_DAYS, (v) => ({ retentionInDays: v }));

  it("accepts every allowed window and rejects one in between, listing the allowed values", () => {
    for (const w of ALERT_WINDOW_MINUTES)
      assert.deepEqual(messages({ alerts: { windowMinutes: w }, samplingIntervalSeconds: PERF_SAMPLING_INTERVAL.min }), [], String(w));
    const between = ALERT_WINDOW_MINUTES[0] + 1;
    assert.deepEqual(messages({ alerts: { windowMinutes: between } }), [
      `mailhost:monitoring.alerts.windowMinutes = ${between} is not allowed; allowed: ${ALERT_WINDOW_MINUTES.join(", ")}.`,
    ]);
  });
  it("accepts every allowed correction window and rejects one in between, listing the allowed values", () => {
    for (const w of CORRECTION_WINDOW_MINUTES) assert.deepEqual(messages({ alerts: { correctionWindowMinutes: w } }), [], String(w));
    const between = CORRECTION_WINDOW_MINUTES[0] + 1;
    assert.deepEqual(messages({ alerts: { correctionWindowMinutes: between } }), [
      `mailhost:monitoring.alerts.correctionWindowMinutes = ${between} is not allowed; allowed: ${CORRECTION_WINDOW_MINUTES.join(", ")}.`,
    ]);
  });
  it("rejects a sampling interval that leaves fewer than two samples in the window, and says what would", () => {
    const window = ALERT_WINDOW_MINUTES[0];
    const most = (window * 60) / 2;
    assert.deepEqual(messages({ alerts: { windowMinutes: window }, samplingIntervalSeconds: Math.min(most, PERF_SAMPLING_INTERVAL.max) }), []);
    assert.ok(most + 1 <= PERF_SAMPLING_INTERVAL.max, "the rule can be reached within the range");
    assert.deepEqual(messages({ alerts: { windowMinutes: window }, samplingIntervalSeconds: most + 1 }), [
      `mailhost:monitoring.samplingIntervalSeconds = ${most + 1} leaves fewer than two counter samples in mailhost:monitoring.alerts.windowMinutes = ${window} minutes; use at most ${most} seconds or a longer window.`,
    ]);
  });
  it("rejects a string where a number belongs, an unknown key and a non-boolean enabled", () => {
    assert.deepEqual(messages({ alerts: { timeWaitCollisionThreshold: "10" } }), [
      `mailhost:monitoring.alerts.timeWaitCollisionThreshold = "10" is not an integer; allowed ${formatRange(TIME_WAIT_COLLISION_THRESHOLD)}.`,
    ]);
    assert.match(
      messages({ alerts: { threshold: 3 } })[0],
      /^mailhost:monitoring\.alerts\.threshold is not a known setting; known settings of mailhost:monitoring\.alerts: windowMinutes, /,
    );
    assert.deepEqual(messages({ enabled: "yes" }), [
      'mailhost:monitoring.enabled = "yes" is not true or false; allowed Deploy the Azure Monitor Agent, the data collection rule, the alert rules and the action group.',
    ]);
  });
});

describe("mailhost:monitoring: receivers and workspace", () => {
  it("accepts e-mail addresses and rejects a malformed one by its index", () => {
    assert.deepEqual(messages({ emailReceivers: ["mail-ops@example.com", "oncall.team@mail.example.org"] }), []);
    assert.deepEqual(messages({ emailReceivers: ["mail-ops@example.com", "not an address"] }), [
      'mailhost:monitoring.emailReceivers[1] = "not an address" is not valid; expected an e-mail address such as mail-ops@example.com.',
    ]);
  });
  it("rejects the same address twice and more receivers than an action group holds", () => {
    assert.match(messages({ emailReceivers: ["a@example.com", "a@example.com"] })[0], /^mailhost:monitoring\.emailReceivers = .* lists an item twice\.$/);
    const many = Array.from({ length: ACTION_GROUP_EMAIL_RECEIVERS_MAX + 1 }, (_, i) => `ops${i}@example.com`);
    assert.match(messages({ emailReceivers: many })[0], /^mailhost:monitoring\.emailReceivers = .* is too long/);
    assert.deepEqual(messages({ emailReceivers: many.slice(0, ACTION_GROUP_EMAIL_RECEIVERS_MAX) }), []);
  });
  it("accepts an existing workspace by ARM id (any case) and rejects another resource's id", () => {
    const id = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ops-weu";
    assert.deepEqual(messages({ workspaceResourceId: id, workspaceLocation: "westeurope" }), []);
    assert.deepEqual(messages({ workspaceResourceId: id.toLowerCase(), workspaceLocation: "westeurope" }), []);
    const vm = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-ops/providers/Microsoft.Compute/virtualMachines/vm1";
    const [message, ...rest] = messages({ workspaceResourceId: vm, workspaceLocation: "westeurope" });
    assert.deepEqual(rest, []);
    assert.ok(message.startsWith(`mailhost:monitoring.workspaceResourceId = ${JSON.stringify(vm).slice(0, 78)}`), message);
    assert.match(message, /is not valid; expected ARM id of an existing Log Analytics workspace/);
  });
  it("an existing workspace needs its region, as a region name, and the region needs the workspace", () => {
    const id = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ops-weu";
    const [missing, ...more] = messages({ workspaceResourceId: id });
    assert.deepEqual(more, []);
    assert.match(
      missing,
      /^mailhost:monitoring\.workspaceLocation is missing: with mailhost:monitoring\.workspaceResourceId set, state the workspace's Azure region/,
    );
    for (const bad of ["West Europe", "west-europe", "WestEurope", ""]) {
      const [m] = messages({ workspaceResourceId: id, workspaceLocation: bad });
      assert.ok(m?.startsWith(`mailhost:monitoring.workspaceLocation = ${JSON.stringify(bad)}`), `${bad}: ${m}`);
    }
    for (const good of ["westeurope", "eastus2", "germanywestcentral"])
      assert.deepEqual(messages({ workspaceResourceId: id, workspaceLocation: good }), [], good);
    assert.deepEqual(messages({ workspaceLocation: "westeurope" }), [
      'mailhost:monitoring.workspaceLocation = "westeurope" is set without mailhost:monitoring.workspaceResourceId: the stack creates its own workspace in the stack\'s region; remove mailhost:monitoring.workspaceLocation or set mailhost:monitoring.workspaceResourceId.',
    ]);
  });

  it("checks the secret webhook URL without ever showing it", () => {
    assert.deepEqual(alertWebhookUrlIssues(undefined), []);
    assert.deepEqual(alertWebhookUrlIssues("https://hooks.example.com/services/T000/B000/XXXX"), []);
    const expected = `mailhost:alertWebhookUrl (secret, value not shown) must be an https:// URL of at most ${WEBHOOK_URL_MAX_LENGTH} characters; set it with \`pulumi config set --secret mailhost:alertWebhookUrl\`.`;
    for (const bad of [
      "http://hooks.example.com/secret-token-123",
      "hooks.example.com/secret-token-123",
      `https://hooks.example.com/${"x".repeat(WEBHOOK_URL_MAX_LENGTH)}`,
    ]) {
      const issues = alertWebhookUrlIssues(bad);
      assert.deepEqual(
        issues.map((i) => i.message),
        [expected],
      );
      assert.ok(!JSON.stringify(issues).includes("secret-token-123") && !JSON.stringify(issues).includes("hooks.example.com"));
    }
  });
});

describe("data collection rule contents", () => {
  it("the event XPath names the System log, the Tcpip provider and 4227, 4231 and 4266", () => {
    assert.match(TCPIP_EVENT_XPATH, /^System!\*\[System\[Provider\[@Name='Tcpip'\] and \(.*\)\]\]$/);
    for (const id of Object.values(TCPIP_EVENTS)) assert.ok(TCPIP_EVENT_XPATH.includes(`EventID=${id}`), String(id));
    assert.ok(!/contains|starts-with/.test(TCPIP_EVENT_XPATH), "XPath 1.0 subset only");
  });
  it("the correction XPath names the Application log, the MailhostTcpTuning provider and each correction id", () => {
    assert.match(CORRECTION_EVENT_XPATH, /^Application!\*\[System\[Provider\[@Name='MailhostTcpTuning'\] and \(.*\)\]\]$/);
    for (const id of Object.values(CORRECTION_EVENT_IDS)) assert.ok(CORRECTION_EVENT_XPATH.includes(`EventID=${id}`), String(id));
    assert.equal(new Set(Object.values(CORRECTION_EVENT_IDS)).size, Object.keys(CORRECTION_EVENT_IDS).length, "one id per setting");
    assert.ok(!/contains|starts-with/.test(CORRECTION_EVENT_XPATH), "XPath 1.0 subset only");
  });
  it("samples the six TCP counters of both IP versions, without an instance part", () => {
    assert.equal(TCP_COUNTER_SPECIFIERS.length, 12);
    assert.ok(TCP_COUNTER_SPECIFIERS.includes("\\TCPv4\\Connection Failures"));
    assert.ok(TCP_COUNTER_SPECIFIERS.includes("\\TCPv6\\Connection Failures"));
    for (const c of TCP_COUNTER_SPECIFIERS) assert.match(c, /^\\TCPv[46]\\[^\\()]+$/);
  });
  it("estimates the data volume from the sampling interval and the billed row sizes", () => {
    const perDay = 24 * 60 * 60;
    const expected = TCP_COUNTER_SPECIFIERS.length * (perDay / 60) * BILLED_BYTES_PER_ROW.perf + (perDay / 60) * BILLED_BYTES_PER_ROW.heartbeat;
    assert.equal(estimateDailyBytesPerHost(60), expected);
    assert.ok(estimateDailyBytesPerHost(30) > estimateDailyBytesPerHost(60));
    assert.equal(estimateDailyBytesPerHost(60, 100) - estimateDailyBytesPerHost(60), 100 * BILLED_BYTES_PER_ROW.event);
  });
  it("writes durations the way alert rules take them", () => {
    assert.equal(isoMinutes(5), "PT5M");
    assert.equal(isoMinutes(45), "PT45M");
    assert.equal(isoMinutes(120), "PT2H");
    assert.equal(isoMinutes(24 * 60), "P1D");
    assert.throws(() => isoMinutes(0), RangeError);
  });
  it("escapes values placed in KQL string literals", () => {
    assert.equal(kqlString('a"b\\c'), '"a\\"b\\\\c"');
  });
});

/** Every alert query a committed stack deploys, plus one with every threshold at its extreme. */
function deployedQueries(): Array<{ where: string; query: string }> {
  const out: Array<{ where: string; query: string }> = [];
  for (const stack of STACKS) {
    const raw = Object.fromEntries(
      Object.entries(stackFileConfig(stack))
        .filter(([k]) => k.startsWith("mailhost:"))
        .map(([k, v]) => [k.slice(9), v]),
    );
    const plan = planFleet(stack, requireStackConfig(raw), loadSiteConfigTemplate());
    for (const alert of plan.monitoring.alerts) out.push({ where: `${stack}/${alert.key}`, query: alert.query });
  }
  const extreme = requireStackConfig(
    valid({
      alerts: {
        heartbeatSilenceMinutes: HEARTBEAT_SILENCE_MINUTES.max,
        windowMinutes: Math.max(...ALERT_WINDOW_MINUTES),
        correctionThreshold: CORRECTION_THRESHOLD.max,
        correctionWindowMinutes: Math.max(...CORRECTION_WINDOW_MINUTES),
      },
    }),
  ).monitoring;
  const fleet = hostPlans("o-brien", HOST_COUNT.max, ["1", "2", "3"]).map((h) => h.name);
  for (const alert of alertRulePlans("o-brien", "rg-mailhost-o-brien", "vm-mail-o-brien-", extreme, fleet))
    out.push({ where: `extreme/${alert.key}`, query: alert.query });
  return out;
}

describe("KQL of the alert rules, analysed offline by the Kusto language service against the declared table schemas", () => {
  const queries = deployedQueries();

  it("covers all six rules of every committed stack (the port-usage rule among them) and the five of the extreme stack, reading only declared tables", () => {
    assert.equal(queries.length, 6 * STACKS.length + 5);
    for (const { where, query } of queries) {
      const table = query.split("\n")[0].trim();
      assert.ok(table in LOG_TABLE_SCHEMAS, `${where} reads ${table}`);
    }
  });
  for (const { where, query } of queries) {
    it(`${where}: zero diagnostics`, () => {
      assert.deepEqual(analyzeKql(query, LOG_TABLE_SCHEMAS), [], query);
    });
  }
  it("the rules that must fire on 4231 and 4227 mention them; every event and counter rule returns _ResourceId per host, the heartbeat rule the host's name", () => {
    const prod = queries.filter((q) => q.where.startsWith("prod/"));
    assert.ok(prod.some((q) => q.query.includes(String(TCPIP_EVENTS.tcpPortSpaceExhausted))));
    assert.ok(prod.some((q) => q.query.includes(String(TCPIP_EVENTS.timeWaitCollision))));
    for (const q of prod.filter((x) => !x.where.endsWith("/heartbeat-missing"))) assert.match(q.query, /by Computer, _ResourceId/);
    assert.match(queries.find((q) => q.where === "prod/heartbeat-missing")!.query, new RegExp(`project ${HOST_DIMENSION} = `));
  });
  it("catches a misspelled column (EventID written EventId)", () => {
    const query = queries.find((q) => q.where === "prod/time-wait-collisions")!.query;
    const misspelled = query.replace("EventID ==", "EventId ==");
    assert.notEqual(misspelled, query);
    const diagnostics = analyzeKql(misspelled, LOG_TABLE_SCHEMAS);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].text, "EventId");
    assert.match(diagnostics[0].message, /does not refer to any known column/);
  });
  it("the correction rule reads the MailhostTcpTuning events of the Application log and counts the most-corrected setting per host", () => {
    for (const q of queries.filter((x) => x.where.endsWith("/tuning-corrections"))) {
      assert.match(q.query, /EventLog == "Application" and Source =~ "MailhostTcpTuning"/);
      for (const id of Object.values(CORRECTION_EVENT_IDS)) assert.ok(q.query.includes(String(id)), `${q.where} names ${id}`);
      assert.match(q.query, /summarize Corrections = max\(Corrections\).* by Computer, _ResourceId$/m);
    }
  });
  it("catches a misspelled column in the correction rule (Source written Sourec)", () => {
    const query = queries.find((q) => q.where === "prod/tuning-corrections")!.query;
    const misspelled = query.replace("Source =~", "Sourec =~");
    assert.notEqual(misspelled, query);
    const diagnostics = analyzeKql(misspelled, LOG_TABLE_SCHEMAS);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].text, "Sourec");
  });
  it("catches a misspelled counter column in the delta query and a table that was not declared", () => {
    const query = queries.find((q) => q.where === "prod/connection-failures")!.query;
    assert.ok(analyzeKql(query.replace("CounterValue - prev", "CounterValu - prev"), LOG_TABLE_SCHEMAS).some((d) => d.text === "CounterValu"));
    const { Heartbeat: _omitted, ...withoutHeartbeat } = LOG_TABLE_SCHEMAS;
    const heartbeat = queries.find((q) => q.where === "prod/heartbeat-missing")!.query;
    assert.ok(analyzeKql(heartbeat, withoutHeartbeat).some((d) => d.text === "Heartbeat"));
  });
});

describe("NAT gateway metric alerts, compared with Azure Monitor Baseline Alerts", () => {
  const defaults = requireStackConfig(valid()).monitoring;
  const [snat, drops] = natGatewayAlertPlans("prod", "ng-mailhost-prod", defaults);
  it("failed SNAT connections: SNATConnectionCount filtered to ConnectionState = Failed, Total over the window, AMBA's threshold 0", () => {
    assert.equal(snat.metricNamespace, NAT_GATEWAY_METRIC_NAMESPACE);
    assert.equal(snat.metricName, NAT_GATEWAY_METRICS.snatConnectionCount);
    assert.equal(snat.metricName, "SNATConnectionCount");
    assert.deepEqual(snat.dimensions, [{ name: "ConnectionState", values: ["Failed"] }]);
    assert.equal(snat.timeAggregation, "Total");
    assert.equal(snat.threshold, MONITORING_DEFAULTS.natSnatFailedConnectionThreshold);
    assert.equal(snat.threshold, 0);
  });
  it("dropped packets: PacketDropCount without dimensions, Total over the window, AMBA's threshold 5", () => {
    assert.equal(drops.metricName, "PacketDropCount");
    assert.deepEqual(drops.dimensions, []);
    assert.equal(drops.threshold, MONITORING_DEFAULTS.natPacketDropThreshold);
    assert.equal(drops.threshold, 5);
  });
  it("both use AMBA's cadence (PT1M over PT5M) and follow the configured thresholds", () => {
    for (const alert of [snat, drops]) {
      assert.equal(alert.windowMinutes, NAT_GATEWAY_ALERT_SCHEDULE.windowMinutes);
      assert.equal(isoMinutes(alert.windowMinutes), "PT5M");
      assert.equal(isoMinutes(alert.evaluationFrequencyMinutes), "PT1M");
      assert.match(alert.description, /ng-mailhost-prod/);
    }
    const configured = requireStackConfig(valid({ alerts: { natSnatFailedConnectionThreshold: 7, natPacketDropThreshold: 900 } })).monitoring;
    assert.deepEqual(
      natGatewayAlertPlans("prod", "ng-mailhost-prod", configured).map((a) => a.threshold),
      [7, 900],
    );
  });
  it("a stack whose egress is a route table gets no NAT gateway alerts", () => {
    const config = requireStackConfig({
      ...valid(),
      egress: {
        kind: "routeTable",
        routeTableId: "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-egress",
      },
    } as StackConfigInput);
    assert.deepEqual(planFleet("prod", config, loadSiteConfigTemplate()).monitoring.metricAlerts, []);
    assert.equal(planFleet("prod", requireStackConfig(valid()), loadSiteConfigTemplate()).monitoring.metricAlerts.length, 2);
  });
});

/** The VM names the heartbeat query expects: the string literals of its `datatable`. */
function expectedHostsOf(query: string): string[] {
  const table = /datatable\(VmName:string\) \[(.*?)\]\)/s.exec(query);
  assert.ok(table, query.slice(0, 400));
  return [...table[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
}

describe("the heartbeat rule knows the stack's hosts", () => {
  const planOfStack = (stack: string, edit: (raw: Record<string, any>) => void = () => {}) => {
    const raw: Record<string, any> = Object.fromEntries(
      Object.entries(stackFileConfig(stack))
        .filter(([k]) => k.startsWith("mailhost:"))
        .map(([k, v]) => [k.slice(9), structuredClone(v)]),
    );
    edit(raw);
    return planFleet(stack, requireStackConfig(raw), loadSiteConfigTemplate());
  };

  for (const stack of STACKS) {
    it(`${stack}: the query names every expected host of the stack, and nothing else`, () => {
      const plan = planOfStack(stack);
      const rule = plan.monitoring.alerts.find((a) => a.key === "heartbeat-missing")!;
      assert.deepEqual(expectedHostsOf(rule.query).sort(), plan.hosts.map((h) => h.name.toLowerCase()).sort());
      assert.equal(rule.split, "hostDimension");
      // A host absent from Heartbeat is kept by the right outer join and alerts; so does a stale one.
      assert.match(rule.query, /join kind=rightouter/);
      assert.match(
        rule.query,
        new RegExp(`where isnull\\(LastHeartbeat\\) or LastHeartbeat < ago\\(${plan.config.monitoring.alerts.heartbeatSilenceMinutes}m\\)`),
      );
    });
  }

  it("a host removed from the stack leaves the list (it stops alerting at that deployment)", () => {
    const before = planOfStack("prod");
    const after = planOfStack("prod", (raw) => {
      raw.fleet.hostCount = before.hosts.length - 1;
    });
    const removed = before.hosts[before.hosts.length - 1].name.toLowerCase();
    const heartbeat = (p: typeof before) => expectedHostsOf(p.monitoring.alerts.find((a) => a.key === "heartbeat-missing")!.query);
    assert.ok(heartbeat(before).includes(removed));
    assert.ok(!heartbeat(after).includes(removed));
    assert.equal(heartbeat(after).length, before.hosts.length - 1);
  });

  it(`at ${HOST_COUNT.max} hosts every rule stays within Azure's ${LOG_ALERT_RULE_LIMITS.propertiesMaxBytes} bytes of rule properties`, () => {
    const plan = planOfStack("prod", (raw) => {
      raw.fleet.hostCount = HOST_COUNT.max;
      raw.fleet.addressPrefix = "10.42.0.0/20";
    });
    assert.equal(plan.hosts.length, HOST_COUNT.max);
    const rule = plan.monitoring.alerts.find((a) => a.key === "heartbeat-missing")!;
    assert.equal(expectedHostsOf(rule.query).length, HOST_COUNT.max);
    for (const alert of plan.monitoring.alerts)
      assert.ok(alertRuleTextBytes(alert) <= LOG_ALERT_RULE_LIMITS.propertiesMaxBytes, `${alert.key}: ${alertRuleTextBytes(alert)} bytes`);
  });
});
