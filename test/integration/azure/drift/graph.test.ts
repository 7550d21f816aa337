/**
 * Drift from Azure Machine Configuration compliance in Azure Resource Graph: the verdict per host
 * from an assignment row (pure), and the Resource Graph client against the HTTPS ARM stand-in
 * (paging, throttling, quota headers).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { planOf } from "../../../../cli/plan";
import { runGraphDrift } from "../../../../cli/graphDrift";
import { hostPlans, STACK_TAG } from "../../../../domain/plan";
import { ArmCompute } from "../../../../azure/arm";
import { ResourceGraph, parseQuotaResetsAfter } from "../../../../azure/resourceGraph";
import {
  type AssignmentRow,
  DEFAULT_MAX_AGE_MINUTES,
  type ExpectedAssignment,
  INVALID_PACKAGE_RESOURCE_ID,
  REASON_CODE_PREFIX,
  assignmentQuery,
  judgeAssignment,
  parseReason,
  rowVmName,
  rowsByVm,
} from "../../../../domain/graphDrift";
import { kqlString } from "../../../../domain/kql";
import { MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS } from "../../../../domain/limits";
import { ArmStandIn, STAND_IN_TOKEN } from "../../../support/armStandIn";
import { assignmentRow } from "../../../support/graphRows";
import { REPO_ROOT } from "../../../support/stacks";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const plan = planOf(REPO_ROOT, "prod");
const RG = plan.names.resourceGroup;
const NOW = Date.parse("2026-11-29T12:00:00Z");
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();
const expected: ExpectedAssignment = {
  contentHash: "A".repeat(64),
  parameters: {
    "[MailhostTcpTuning]MailhostTcpTuning;MaxUserPort": String(plan.tuning.maxUserPort),
    "[MailhostTcpTuning]MailhostTcpTuning;TcpTimedWaitDelay": String(plan.tuning.tcpTimedWaitDelay),
  },
};
const row = (vm: string, change: Parameters<typeof assignmentRow>[5] = {}) => assignmentRow(SUBSCRIPTION, RG, vm, expected, minutesAgo(5), change);
const judge = (r: AssignmentRow | undefined, maxAgeMinutes?: number) => judgeAssignment(r, plan.tuning, expected, { now: NOW, maxAgeMinutes });
const reason = (setting: string, actual: string, desired: string) => ({
  code: `${REASON_CODE_PREFIX}${setting}`,
  phrase: `${setting} is not as desired. actual=${actual}; desired=${desired}`,
});

describe("the verdict on a host from its Machine Configuration assignment", () => {
  it("Compliant → in-sync", () => {
    assert.equal(judge(row("vm-a")).status, "in-sync");
  });

  it("NonCompliant → drifted, reasons mapped onto the per-setting table with actual and desired", () => {
    const v = judge(
      row("vm-a", {
        complianceStatus: "NonCompliant",
        reasons: [
          reason("TcpTimedWaitDelay", String(TCP_TIMED_WAIT_DELAY.max + 1), String(plan.tuning.tcpTimedWaitDelay)),
          reason("DynamicPortRangeIPv6", "49152+16384", "10000+55535"),
        ],
      }),
    );
    assert.equal(v.status, "drifted");
    const twd = v.settings.find((s) => s.setting === "TcpTimedWaitDelay")!;
    assert.equal(twd.actual, String(TCP_TIMED_WAIT_DELAY.max + 1));
    assert.equal(twd.desired, `${plan.tuning.tcpTimedWaitDelay} s`);
    assert.equal(twd.dangerous, true, "above the range is dangerous");
    const v6 = v.settings.find((s) => s.setting === "DynamicPortRange (IPv6)")!;
    assert.equal(v6.actual, "49152+16384");
    assert.equal(v6.dangerous, false);
  });

  it("a wrong-kind or absent TcpTimedWaitDelay is judged by the Windows default it leaves in effect", () => {
    const v = judge(row("vm-a", { complianceStatus: "NonCompliant", reasons: [reason("TcpTimedWaitDelay", 'REG_SZ "30", ignored', "30")] }));
    const twd = v.settings.find((s) => s.setting === "TcpTimedWaitDelay")!;
    assert.equal(
      twd.dangerous,
      !(WINDOWS_DEFAULTS.tcpTimedWaitDelay >= TCP_TIMED_WAIT_DELAY.min && WINDOWS_DEFAULTS.tcpTimedWaitDelay <= TCP_TIMED_WAIT_DELAY.max),
    );
    const mup = judge(
      row("vm-a", { complianceStatus: "NonCompliant", reasons: [reason("MaxUserPort", String(MAX_USER_PORT.max + 1), String(plan.tuning.maxUserPort))] }),
    );
    assert.equal(mup.settings[0].dangerous, true);
  });

  it("a pending reboot is shown as such", () => {
    const v = judge(row("vm-a", { complianceStatus: "NonCompliant", reasons: [reason("RebootPending", "written 2026-11-29T10:00:00Z", "in effect")] }));
    assert.equal(v.status, "drifted");
    assert.equal(v.rebootPending, true);
    assert.equal(v.settings[0].setting, "PendingReboot");
  });

  it("a reason our resource did not write makes the host unknown, never drifted, with the reason as Azure gave it", () => {
    const foreign = [
      { code: "Registry:Registry:Something", phrase: "Some other module says no." },
      { code: "DSC::RESOURCE::FAILURE", phrase: "The agent failed to compute compliance status for MailhostTcpTuning." },
      { code: `${REASON_CODE_PREFIX}NotOurSetting`, phrase: "Something. actual=1; desired=2" },
      { code: `${REASON_CODE_PREFIX}MaxUserPort`, phrase: "no values in our form" },
    ];
    for (const r of foreign) {
      const v = judge(row("vm-a", { complianceStatus: "NonCompliant", reasons: [r] }));
      assert.equal(v.status, "unknown", r.code);
      assert.ok((v.reason ?? "").includes(`${r.code}: ${r.phrase}`), v.reason);
    }
    // One measured drift beside one failure: still unknown (not everything could be measured).
    const mixed = judge(
      row("vm-a", { complianceStatus: "NonCompliant", reasons: [reason("MaxUserPort", "5000", String(plan.tuning.maxUserPort)), foreign[1]] }),
    );
    assert.equal(mixed.status, "unknown");
    assert.deepEqual(
      mixed.settings.map((s) => s.status),
      ["drifted", "unknown"],
    );
  });

  it("a value our resource could not read is unknown, not drifted", () => {
    const v = judge(
      row("vm-a", {
        complianceStatus: "NonCompliant",
        reasons: [{ code: `${REASON_CODE_PREFIX}TcpTimedWaitDelay`, phrase: "TcpTimedWaitDelay cannot be read: access denied. actual=unreadable; desired=30" }],
      }),
    );
    assert.equal(v.status, "unknown");
    assert.match(v.reason ?? "", /could not be read \(TcpTimedWaitDelay cannot be read: access denied\.\)/);
  });

  it("NonCompliant without a per-resource result or without any reason is unknown, saying what is missing", () => {
    const noResources = judge(row("vm-a", { complianceStatus: "NonCompliant", noResources: true }));
    assert.equal(noResources.status, "unknown");
    assert.match(noResources.reason ?? "", /no per-resource result/);
    const noReason = judge(row("vm-a", { complianceStatus: "NonCompliant" }));
    assert.equal(noReason.status, "unknown");
    assert.match(noReason.reason ?? "", /no reason reported/);
  });

  it("a missing or empty configurationParameter list is unknown when the plan sets parameters, naming them", () => {
    const names = Object.keys(expected.parameters);
    const missing = judge(row("vm-a", { noParameterList: true }));
    assert.equal(missing.status, "unknown");
    assert.match(missing.reason ?? "", /no configurationParameter list/);
    const empty = judge(row("vm-a", { parameters: {} }));
    assert.equal(empty.status, "unknown");
    assert.match(empty.reason ?? "", /an empty configurationParameter list/);
    for (const n of names) assert.ok((empty.reason ?? "").includes(n), n);
    // A plan without parameters has nothing to miss.
    const none = judgeAssignment(row("vm-a", { parameters: {} }), plan.tuning, { ...expected, parameters: {} }, { now: NOW });
    assert.equal(none.status, "in-sync");
  });

  it("no row, Pending, stale, another package, other parameters or an invalid package → unknown, each with its reason", () => {
    const cases: Array<[string, AssignmentRow | undefined, RegExp]> = [
      ["missing", undefined, /no MailhostTcpTuning guest configuration assignment/],
      ["pending", row("vm-a", { complianceStatus: "Pending", lastComplianceStatusChecked: null }), /Pending/],
      ["stale", row("vm-a", { lastComplianceStatusChecked: minutesAgo(DEFAULT_MAX_AGE_MINUTES + 1) }), new RegExp(`older than ${DEFAULT_MAX_AGE_MINUTES} min`)],
      ["wrong hash", row("vm-a", { contentHash: "B".repeat(64) }), /package BBBBBBBBBBBB…, the plan builds AAAAAAAAAAAA…/],
      [
        "parameters",
        row("vm-a", { parameters: { ...expected.parameters, "[MailhostTcpTuning]MailhostTcpTuning;MaxUserPort": "5000" } }),
        /parameters differ.*MaxUserPort/,
      ],
      ["invalid package", row("vm-a", { resourceId: INVALID_PACKAGE_RESOURCE_ID, complianceStatus: "NonCompliant" }), /invalid assignment package/],
    ];
    for (const [name, r, why] of cases) {
      const v = judge(r);
      assert.equal(v.status, "unknown", name);
      assert.match(v.reason ?? "", why, name);
    }
  });

  it("the age limit is the caller's: a report just inside it counts, just outside does not", () => {
    assert.equal(judge(row("vm-a", { lastComplianceStatusChecked: minutesAgo(29) }), 30).status, "in-sync");
    assert.equal(judge(row("vm-a", { lastComplianceStatusChecked: minutesAgo(31) }), 30).status, "unknown");
  });

  it("compares the content hash case-insensitively (Azure's Get-FileHash writes upper case)", () => {
    assert.equal(judge(row("vm-a", { contentHash: expected.contentHash.toLowerCase() })).status, "in-sync");
  });

  it("parses reasons of the documented form only", () => {
    assert.deepEqual(parseReason({ code: `${REASON_CODE_PREFIX}MaxUserPort`, phrase: "MaxUserPort is 5000. actual=5000; desired=65534" }), {
      setting: "MaxUserPort",
      sentence: "MaxUserPort is 5000.",
      actual: "5000",
      desired: "65534",
    });
    assert.equal(parseReason({ code: `${REASON_CODE_PREFIX}MaxUserPort`, phrase: "no values here" }), undefined);
    assert.equal(parseReason({ code: "Other:Other:MaxUserPort", phrase: "actual=1; desired=2" }), undefined);
  });

  it("finds the VM of a row from targetResourceId or from the assignment id", () => {
    const r = row("vm-mail-prod-007");
    assert.equal(rowVmName(r), "vm-mail-prod-007");
    assert.equal(rowVmName({ ...r, properties: { ...r.properties, targetResourceId: undefined } }), "vm-mail-prod-007");
    assert.equal(rowsByVm([r]).get("vm-mail-prod-007"), r);
  });
});

describe("the Resource Graph query", () => {
  it("filters with where and keeps the table's columns (no renames), scoped to subscription, group and assignment", () => {
    const q = assignmentQuery(SUBSCRIPTION, RG);
    assert.match(q, /^guestconfigurationresources\n/);
    assert.match(q, /where type =~ "microsoft.guestconfiguration\/guestconfigurationassignments"/);
    assert.match(q, new RegExp(`subscriptionId =~ "${SUBSCRIPTION}" and resourceGroup =~ "${RG}"`));
    assert.match(q, /where name =~ "MailhostTcpTuning"/);
    assert.doesNotMatch(q, /project[^\n]*=/, "project only drops columns");
    assert.match(q, /project id,/, "id kept for stable paging");
  });

  it("escapes KQL string literals", () => {
    assert.equal(kqlString("a\"b\\c'd\r\n"), '"a\\"b\\\\c\'d\\r\\n"');
  });
});

describe("the Resource Graph client against the stand-in", () => {
  const standIns: ArmStandIn[] = [];
  after(async () => {
    await Promise.all(standIns.map((s) => s.close()));
  });
  const credential = { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };

  it("follows $skipToken across a page boundary inside the fleet, resending the same query and scopes", async () => {
    const s = await ArmStandIn.start(SUBSCRIPTION, RG, []);
    standIns.push(s);
    s.graphRows = Array.from({ length: 7 }, (_, i) => row(`vm-${i + 1}`));
    const graph = new ResourceGraph({ endpoint: s.endpoint, tlsCa: s.ca, credential, pageSize: 3, retryDelayMs: 10, sleep: async () => {} });
    const result = await graph.queryAll<AssignmentRow>(assignmentQuery(SUBSCRIPTION, RG), [SUBSCRIPTION]);
    assert.equal(result.rows.length, 7);
    assert.equal(result.pages, 3);
    assert.deepEqual(
      result.rows.map((r) => rowVmName(r)),
      Array.from({ length: 7 }, (_, i) => `vm-${i + 1}`),
    );
    assert.equal(new Set(s.graphRequests.map((r) => r.query)).size, 1);
    assert.deepEqual(
      s.graphRequests.map((r) => r.skipToken === undefined),
      [true, false, false],
    );
    assert.deepEqual(s.graphRequests[0].subscriptions, [SUBSCRIPTION]);
  });

  it("waits out a 429 that carries only the quota headers, then succeeds", async () => {
    const s = await ArmStandIn.start(SUBSCRIPTION, RG, []);
    standIns.push(s);
    s.graphRows = [row("vm-1")];
    s.graphThrottle = 1;
    const lines: string[] = [];
    const graph = new ResourceGraph({ endpoint: s.endpoint, tlsCa: s.ca, credential, retryDelayMs: 10, progress: (l) => lines.push(l) });
    const started = Date.now();
    const result = await graph.queryAll<AssignmentRow>(assignmentQuery(SUBSCRIPTION, RG), [SUBSCRIPTION]);
    assert.equal(result.rows.length, 1);
    assert.equal(s.graphPosts, 2, "one throttled, one answered");
    assert.ok(Date.now() - started >= 900, "waited for the quota reset the stand-in named (1 s)");
    assert.ok(
      lines.some((l) => /throttled/.test(l)),
      lines.join("\n"),
    );
  });

  it("parses the quota reset header", () => {
    assert.equal(parseQuotaResetsAfter("00:00:05"), 5);
    assert.equal(parseQuotaResetsAfter("01:02:03"), 3723);
    assert.equal(parseQuotaResetsAfter("soon"), undefined);
  });
});

describe("mailhost drift --source graph over a 1,000-host stack", () => {
  const standIns: ArmStandIn[] = [];
  after(async () => {
    await Promise.all(standIns.map((s) => s.close()));
  });

  it("judges every host from one paged query, each case with its verdict, in at most 5 Resource Graph requests", async () => {
    const hosts = hostPlans(plan.stack, 1000, ["1", "2", "3"]);
    const fleet = { ...plan, hosts };
    const s = await ArmStandIn.start(
      SUBSCRIPTION,
      RG,
      hosts.map((h) => ({ name: h.name, tags: { [STACK_TAG]: plan.stack }, behaviour: {} })),
    );
    standIns.push(s);
    s.vmPageSize = 1000;
    s.graphPageSize = 400; // a page boundary inside the fleet
    s.graphThrottle = 1; // and one 429 on the way
    // Cases by position: the verdict each must get follows from the rule, case by case.
    const cases: Array<{ change?: Parameters<typeof assignmentRow>[5]; absent?: boolean; status: string }> = [
      { status: "in-sync" },
      { change: { complianceStatus: "NonCompliant", reasons: [reason("MaxUserPort", "5000", String(plan.tuning.maxUserPort))] }, status: "drifted" },
      { change: { complianceStatus: "Pending", lastComplianceStatusChecked: null }, status: "unknown" },
      { change: { lastComplianceStatusChecked: minutesAgo(DEFAULT_MAX_AGE_MINUTES * 2) }, status: "unknown" },
      { absent: true, status: "unknown" },
      { change: { contentHash: "C".repeat(64) }, status: "unknown" },
    ];
    s.graphRows = hosts.flatMap((h, i) => {
      const c = cases[i % cases.length];
      return c.absent ? [] : [assignmentRow(SUBSCRIPTION, RG, h.name, expected, minutesAgo(5), c.change)];
    });
    const arm = new ArmCompute({ subscriptionId: SUBSCRIPTION, endpoint: s.endpoint, tlsCa: s.ca, credential, retryDelayMs: 10 });
    const graph = new ResourceGraph({ endpoint: s.endpoint, tlsCa: s.ca, credential, retryDelayMs: 10 });
    const report = await runGraphDrift({ plan: fleet, arm, graph, subscription: SUBSCRIPTION, expected, now: NOW });
    assert.equal(report.error, undefined);
    assert.equal(report.hosts.length, 1000);
    assert.deepEqual(new Set(report.hosts.map((h) => h.name)), new Set(hosts.map((h) => h.name)));
    const byName = new Map(report.hosts.map((h) => [h.name, h]));
    hosts.forEach((h, i) => assert.equal(byName.get(h.name)!.status, cases[i % cases.length].status, h.name));
    assert.ok(s.graphPosts <= 5, `${s.graphPosts} Resource Graph requests`);
    assert.equal(report.graphRequests, Math.ceil(s.graphRows.length / 400));
    assert.equal(s.runCommandPosts.size, 0, "no Run Command at all");
  });

  const credential = { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
});
