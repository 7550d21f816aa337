/** The monitoring-coverage rules: correction events collected and alerted on, NAT gateway metric alerts. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { collectsTuningCorrections, natGatewayAlerts, tuningCorrectionAlert } from "../../../policies/rules/monitoringCoverage";
import { stackViolations } from "./harness";
import { alertRule, correctionAlertRule, dcr, natDropAlert, natGateway, natSnatAlert, vm } from "./fixtures";

const NAT_URN = "urn:pulumi:test::mailhost::azure-native:network:NatGateway::mailhost-egress-ng";

describe("mailhost-collects-tuning-corrections", () => {
  it("accepts a stack whose data collection rule has the Application-log MailhostTcpTuning query", async () => {
    assert.deepEqual(await stackViolations(collectsTuningCorrections, [vm(), dcr()]), []);
  });
  it("rejects a rule that collects only the Tcpip events", async () => {
    const only = dcr();
    (only.props.dataSources as any).windowsEventLogs = [(only.props.dataSources as any).windowsEventLogs[0]];
    const found = await stackViolations(collectsTuningCorrections, [vm(), only]);
    assert.equal(found.length, 1);
    assert.match(
      found[0].message,
      /^The tuning's correction events are not collected: no data collection rule \(DataCollectionRule "mailhost-monitoring-dcr"\) has an XPath query on Application! with Provider\[@Name='MailhostTcpTuning'\]/,
    );
  });
  it("rejects a stack with hosts but no data collection rule, and says nothing for a stack without hosts", async () => {
    assert.match((await stackViolations(collectsTuningCorrections, [vm()]))[0].message, /the stack has no data collection rule/);
    assert.deepEqual(await stackViolations(collectsTuningCorrections, [dcr()]), []);
  });
});

describe("mailhost-tuning-correction-alert", () => {
  it("accepts a stack with a log search alert rule over the MailhostTcpTuning events", async () => {
    assert.deepEqual(await stackViolations(tuningCorrectionAlert, [vm(), alertRule(), correctionAlertRule()]), []);
  });
  it("rejects a stack whose alert rules read only the Tcpip events", async () => {
    const found = await stackViolations(tuningCorrectionAlert, [vm(), alertRule()]);
    assert.deepEqual(
      found.map((f) => f.message),
      [
        'No log search alert rule reads the tuning\'s correction events (Source "MailhostTcpTuning"): a host whose settings something keeps changing back alerts nobody; enable mailhost:monitoring.',
      ],
    );
  });
});

describe("mailhost-nat-gateway-alerts", () => {
  it("accepts a NAT gateway with both metric alerts, each naming an action group", async () => {
    assert.deepEqual(await stackViolations(natGatewayAlerts, [natGateway(), natSnatAlert(), natDropAlert()]), []);
  });
  it("rejects a NAT gateway without the failed-SNAT alert, with the gateway's URN", async () => {
    assert.deepEqual(await stackViolations(natGatewayAlerts, [natGateway(), natDropAlert()]), [
      {
        message:
          'NatGateway "mailhost-egress-ng" has no metric alert on failed SNAT connections (SNATConnectionCount with ConnectionState = Failed) that names an action group: the mail hosts\' way out could fail unnoticed; enable mailhost:monitoring.',
        urn: NAT_URN,
      },
    ]);
  });
  it("does not take a SNAT alert without the Failed filter, or one without an action group", async () => {
    const unfiltered = natSnatAlert();
    (unfiltered.props.criteria as any).allOf[0].dimensions = [];
    assert.equal((await stackViolations(natGatewayAlerts, [natGateway(), unfiltered, natDropAlert()])).length, 1);
    const silent = natDropAlert();
    silent.props.actions = [];
    assert.match((await stackViolations(natGatewayAlerts, [natGateway(), natSnatAlert(), silent]))[0].message, /dropped packets \(PacketDropCount\)/);
  });
  it("does not take an alert scoped to another NAT gateway", async () => {
    const elsewhere = natDropAlert();
    elsewhere.props.scopes = [String((natDropAlert().props.scopes as string[])[0]).replace("ng-mailhost-unit", "ng-other")];
    assert.equal((await stackViolations(natGatewayAlerts, [natGateway(), natSnatAlert(), elsewhere])).length, 1);
  });
});
