/**
 * Drift of the auto-reuse port range: read back by the collector (Get-NetTCPSetting) and by
 * Machine Configuration's reasons, compared with the plan; it waits for a reboot like the Tcpip values.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { compareHost, hostStatus, parseCollectorOutput } from "../../../domain/drift";
import { REASON_CODE_PREFIX, reasonToSetting } from "../../../domain/graphDrift";
import { UNTIL_BOOT_REASON, notInEffect } from "../../../domain/reboot";
import { inSyncReport } from "../../support/collectorReports";
import { stackPlan } from "../../support/stackConfigs";

const managed = stackPlan("prod", (raw) => {
  raw.tcp.autoReusePortRange = { start: 40000, count: 20000 };
});
const leftAlone = stackPlan("prod");
const autoReuseOf = (settings: ReturnType<typeof compareHost>) => settings.filter((s) => s.setting === "AutoReusePortRange");

describe("drift: the auto-reuse port range", () => {
  it("is in sync when the configured range equals the plan", () => {
    const settings = compareHost(managed.tuning, inSyncReport(managed));
    assert.deepEqual(
      autoReuseOf(settings).map((s) => [s.status, s.actual, s.desired]),
      [["in-sync", "40000+20000", "40000+20000"]],
    );
    assert.equal(hostStatus(settings), "in-sync");
  });
  it("is dangerous drift when the host has it off while the plan's floor counts on it", () => {
    const [s] = autoReuseOf(compareHost(managed.tuning, inSyncReport(managed, { AutoReusePortRangeStartPort: 0, AutoReusePortRangeNumberOfPorts: 0 })));
    assert.equal(s.status, "drifted");
    assert.equal(s.dangerous, true);
    assert.equal(s.actual, "0+0 (off)");
    assert.equal(s.configKey, "mailhost:tcp.autoReusePortRange");
  });
  it("is drift, not dangerous, when another valid range is set", () => {
    const [s] = autoReuseOf(compareHost(managed.tuning, inSyncReport(managed, { AutoReusePortRangeStartPort: 41000, AutoReusePortRangeNumberOfPorts: 20000 })));
    assert.deepEqual([s.status, s.dangerous], ["drifted", false]);
  });
  it("is unknown when the collector could not read it, with its error", () => {
    const report = inSyncReport(managed, {
      AutoReusePortRangeStartPort: null,
      AutoReusePortRangeNumberOfPorts: null,
      Errors: ["AutoReusePortRange: templates differ: Internet=0+0,InternetCustom=40000+20000"],
    });
    const [s] = autoReuseOf(compareHost(managed.tuning, report));
    assert.equal(s.status, "unknown");
    assert.match(s.actual, /templates differ/);
  });
  it("shows a configured range as waiting for the reboot the marker announces, and the reboot check waits for it", () => {
    const report = inSyncReport(managed, { RebootPending: true, RebootPendingReasons: [UNTIL_BOOT_REASON] });
    const settings = compareHost(managed.tuning, report);
    assert.match(autoReuseOf(settings)[0].actual, /in effect after the pending reboot/);
    assert.ok(settings.some((s) => s.setting === "PendingReboot" && /auto-reuse port range/.test(s.desired)));
    assert.match(notInEffect(report, settings) ?? "", new RegExp(UNTIL_BOOT_REASON));
    const after = inSyncReport(managed, { AutoReusePortRangeStartPort: 0, AutoReusePortRangeNumberOfPorts: 0 });
    assert.match(notInEffect(after, compareHost(managed.tuning, after)) ?? "", /AutoReusePortRange is 0\+0 \(off\), desired 40000\+20000/);
  });
  it("says nothing when the stack leaves the range alone and the host has it off", () => {
    assert.deepEqual(autoReuseOf(compareHost(leftAlone.tuning, inSyncReport(leftAlone))), []);
  });
  it("flags a range the host has although the stack leaves it alone: the model then counts one pool per host", () => {
    const [s] = autoReuseOf(
      compareHost(leftAlone.tuning, inSyncReport(leftAlone, { AutoReusePortRangeStartPort: 60000, AutoReusePortRangeNumberOfPorts: 300 })),
    );
    assert.equal(s.status, "drifted");
    assert.match(s.desired, /not set .* one port pool per host/);
  });
  it("accepts a report from an older collector without the fields, and reads the fields from a newer one", () => {
    const { AutoReusePortRangeStartPort: _a, AutoReusePortRangeNumberOfPorts: _b, ...older } = inSyncReport(leftAlone);
    assert.deepEqual(autoReuseOf(compareHost(leftAlone.tuning, older)), []);
    const parsed = parseCollectorOutput(JSON.stringify(inSyncReport(managed)));
    assert.ok(parsed.ok);
    assert.equal(parsed.report.AutoReusePortRangeNumberOfPorts, 20000);
  });
  it("maps Machine Configuration's AutoReusePortRange reason onto the same setting", () => {
    const s = reasonToSetting(
      {
        code: `${REASON_CODE_PREFIX}AutoReusePortRange`,
        phrase: "The auto-reuse port range is off (0 ports), so every connection draws from the dynamic port range. actual=0+0; desired=40000+20000",
      },
      managed.tuning,
    );
    assert.deepEqual(
      [s.setting, s.configKey, s.actual, s.desired, s.dangerous],
      ["AutoReusePortRange", "mailhost:tcp.autoReusePortRange", "0+0", "40000+20000", true],
    );
  });
});
