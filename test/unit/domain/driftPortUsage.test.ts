import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { type DriftReport } from "../../../cli/drift";
import { formatDriftText } from "../../../cli/driftFormat";
import { parseCollectorOutput, portUsageReadingText } from "../../../domain/drift";

const base = {
  MaxUserPort: 65534,
  TcpTimedWaitDelay: 60,
  DynamicPortRangeStartPort: 10000,
  DynamicPortRangeNumberOfPorts: 55535,
  MailboxCacheTTL: 600,
  SiteConfigSha256: "a".repeat(64),
  RebootPending: false,
  LcmConfigurationMode: null,
  CollectedAt: "2026-12-06T02:00:00Z",
};
const reading = { Model: "hostPool", Ports: 1234, TimeWait: 800, Budget: 55535, BusiestEndpoint: "10.30.0.10:993", BusiestEndpointPorts: 400 } as const;

describe("mailhost drift: the port-usage reading", () => {
  it("the collector's document carries a reading, or null, and rejects a malformed one", () => {
    const parsed = parseCollectorOutput(JSON.stringify({ ...base, PortUsage: reading }));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.report.PortUsage, reading);
    assert.ok(parseCollectorOutput(JSON.stringify({ ...base, PortUsage: null })).ok);
    assert.ok(parseCollectorOutput(JSON.stringify(base)).ok, "older collectors omit it");
    assert.equal(parseCollectorOutput(JSON.stringify({ ...base, PortUsage: { ...reading, Ports: -1 } })).ok, false);
    assert.equal(parseCollectorOutput(JSON.stringify({ ...base, PortUsage: { ...reading, Model: "other" } })).ok, false);
  });

  it("shows each host's latest reading from the collector, and says Resource Graph has none", () => {
    const host = { name: "vm-mail-dev-01", status: "in-sync" as const, settings: [], portUsage: reading, timings: { ms: 1 } };
    const report: DriftReport = {
      stack: "dev",
      resourceGroup: "rg",
      subscription: "s",
      mechanism: "dsc",
      source: "run-command",
      hosts: [host],
      timings: { totalMs: 1 },
    };
    const text = formatDriftText(report);
    assert.ok(text.includes(portUsageReadingText(reading)));
    assert.match(portUsageReadingText(reading), /^1234\/55535 ports .*\(800 in TIME_WAIT\); busiest back end 10\.30\.0\.10:993: 400$/);
    const graph = formatDriftText({ ...report, source: "graph", hosts: [{ ...host, portUsage: undefined }] });
    assert.match(graph, /Resource Graph holds compliance, not readings/);
    assert.doesNotMatch(formatDriftText(report), /Resource Graph holds/);
  });
});
