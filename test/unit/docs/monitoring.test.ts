import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CORRECTION_THRESHOLD, CORRECTION_WINDOW_MINUTES, MONITORING_DEFAULTS, MONITORING_SCHEDULE, formatRange } from "../../../domain/limits";
import { NAT_GATEWAY_METRICS, TCPIP_EVENT_XPATH, TCP_COUNTER_SPECIFIERS, estimateDailyBytesPerHost } from "../../../domain/monitoring";
import { CORRECTION_EVENT_IDS, CORRECTION_EVENT_SOURCE, CORRECTION_EVENT_XPATH } from "../../../domain/corrections";
import { REPO_ROOT } from "../../support/stacks";
import { planOf } from "../../../cli/plan";
import { isoMinutes } from "../../../domain/monitoring";

/** The monitoring page (once README's Monitoring section). */
const section = fs.readFileSync(path.join(REPO_ROOT, "docs", "MONITORING.md"), "utf8");

describe("docs/MONITORING.md", () => {
  it("has the section, with the XPath the rule deploys", () => {
    assert.ok(section.length > 1000);
    assert.ok(section.includes(TCPIP_EVENT_XPATH));
  });
  it("states the defaults and the cadence the code uses", () => {
    const d = MONITORING_DEFAULTS;
    assert.ok(section.includes(`\`alerts.timeWaitCollisionThreshold\` (${d.timeWaitCollisionThreshold})`));
    assert.ok(section.includes(`\`alerts.windowMinutes\` (${d.windowMinutes})`));
    assert.ok(section.includes(`\`alerts.connectionFailureThreshold\` (${d.connectionFailureThreshold})`));
    assert.ok(section.includes(`\`alerts.heartbeatSilenceMinutes\` (${d.heartbeatSilenceMinutes})`));
    assert.ok(section.includes(`evaluated every ${MONITORING_SCHEDULE.evaluationFrequencyMinutes} minutes`));
    assert.ok(section.includes(`\`samplingIntervalSeconds\` (default ${d.samplingIntervalSeconds})`));
  });
  it("gives the volume estimate the code computes for the default sampling", () => {
    const rows = TCP_COUNTER_SPECIFIERS.length * (24 * 60 * 60) / MONITORING_DEFAULTS.samplingIntervalSeconds;
    assert.ok(section.includes(`${TCP_COUNTER_SPECIFIERS.length} counters every ${MONITORING_DEFAULTS.samplingIntervalSeconds} s are ${rows.toLocaleString("en-US")} \`Perf\` rows`));
    const mb = Math.round(estimateDailyBytesPerHost(MONITORING_DEFAULTS.samplingIntervalSeconds) / 1e6);
    assert.ok(section.includes(`about ${mb} MB per host per day`), `about ${mb} MB per host per day`);
  });
  it("walks through the heartbeat query prod deploys, with its look-back, threshold and the three cases", () => {
    const prod = planOf(REPO_ROOT, "prod");
    const rule = prod.monitoring.alerts.find((a) => a.key === "heartbeat-missing")!;
    assert.ok(section.includes("```kusto\n" + rule.query + "\n```"), "the page shows the query prod deploys, verbatim");
    assert.ok(section.includes(`(\`windowSize\` ${isoMinutes(rule.windowMinutes)})`));
    assert.ok(section.includes(`ago(${prod.config.monitoring.alerts.heartbeatSilenceMinutes}m)`));
    for (const phrase of ["healthy", "silent for two days", "never seen", "is resolved", "stays open for as long as the host is silent"]) assert.ok(section.includes(phrase), phrase);
  });
  it("says where the data collection rule goes with an existing workspace, quoting Azure Monitor", () => {
    assert.ok(section.includes('"Create your DCR in the same region as your destination Log Analytics\n  workspace."'));
    assert.ok(section.includes("`mailhost:monitoring.workspaceLocation`"));
  });
});

describe("docs/ALERTS.md: the correction record, the NAT gateway alerts, remediation", () => {
  const alerts = fs.readFileSync(path.join(REPO_ROOT, "docs", "ALERTS.md"), "utf8");
  it("is linked from docs/MONITORING.md and shows the XPath the rule deploys", () => {
    assert.ok(section.includes("[ALERTS.md](ALERTS.md)"));
    assert.ok(section.includes(CORRECTION_EVENT_XPATH));
    assert.ok(alerts.includes(CORRECTION_EVENT_XPATH));
  });
  it("documents every correction event id with its setting, and the source", () => {
    assert.ok(alerts.includes(`**\`${CORRECTION_EVENT_SOURCE}\`**`));
    for (const [setting, id] of Object.entries(CORRECTION_EVENT_IDS)) {
      const row = alerts.split("\n").find((line) => line.startsWith(`| ${id} |`));
      assert.ok(row, `a row for ${id}`);
      assert.ok(row.includes(setting.replace(/DynamicPortRange(IPv[46])/, "$1 TCP dynamic port range").replace("SiteConfig", "SiteConfig.cfg")), `${id} names ${setting}: ${row}`);
    }
  });
  it("states the defaults the code uses and the NAT gateway metric names", () => {
    const d = MONITORING_DEFAULTS;
    assert.ok(alerts.includes(`\`alerts.correctionThreshold\`: ${formatRange(CORRECTION_THRESHOLD)}, default **${d.correctionThreshold}**`));
    assert.ok(alerts.includes(CORRECTION_WINDOW_MINUTES.join(", ").replace(/, (\d+)$/, " or $1")));
    assert.ok(alerts.includes(`default **${d.correctionWindowMinutes}**`));
    assert.ok(alerts.includes(`\`alerts.natSnatFailedConnectionThreshold\` (default **${d.natSnatFailedConnectionThreshold}**)`));
    assert.ok(alerts.includes(`\`alerts.natPacketDropThreshold\` (default **${d.natPacketDropThreshold}**)`));
    for (const metric of Object.values(NAT_GATEWAY_METRICS)) assert.ok(alerts.includes(`\`${metric}\``), metric);
  });
});
