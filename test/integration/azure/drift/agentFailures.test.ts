/**
 * "Could not measure" is never "drifted": Machine Configuration results that our resource did not
 * write (an agent error, a package the agent rejected, a report with no per-resource result, a
 * missing parameter list) run through the Resource Graph stand-in and `mailhost drift` end to end.
 * Each such host is `unknown` with Azure's reason, the run exits 2, and `--remediate` sends nothing
 * to it (a drifted host gets its assignment re-sent, and no Run Command).
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { planOf } from "../../../../cli/plan";
import { STACK_TAG } from "../../../../domain/plan";
import { INVALID_PACKAGE_RESOURCE_ID, REASON_CODE_PREFIX, expectedAssignment } from "../../../../domain/graphDrift";
import { readModuleFolder } from "../../../../content/moduleFolder";
import { GUEST_MODULE } from "../../../../components/guestScripts";
import { ArmStandIn, STAND_IN_TOKEN } from "../../../support/armStandIn";
import { type RowChange, assignmentRow } from "../../../support/graphRows";
import { REPO_ROOT } from "../../../support/stacks";
import { inSyncReport } from "../../../support/collectorReports";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const prod = planOf(REPO_ROOT, "prod");
const standIns: ArmStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

const AGENT_ERROR = { code: "DSC::RESOURCE::FAILURE", phrase: "The agent failed to compute compliance status: the configuration could not be run." };
/** What our resource writes for a value that differs (guest module, New-MailhostReason). */
const measured = {
  code: `${REASON_CODE_PREFIX}TcpTimedWaitDelay`,
  phrase: `TcpTimedWaitDelay is 240, not the desired value. actual=240; desired=${prod.tuning.tcpTimedWaitDelay}`,
};

interface Case {
  change: RowChange;
  status: "unknown" | "drifted" | "in-sync";
  reason?: RegExp;
}

async function driftRun(
  cases: Case[],
  args: string[],
): Promise<{
  code: number | null;
  report: { exitCode: number; hosts: Array<{ name: string; status: string; reason?: string; remediation?: unknown }> };
  s: ArmStandIn;
  stderr: string;
}> {
  assert.ok(cases.length <= prod.hosts.length);
  const s = await ArmStandIn.start(
    SUBSCRIPTION,
    prod.names.resourceGroup,
    prod.hosts.map((h) => ({ name: h.name, tags: { [STACK_TAG]: prod.stack }, behaviour: { stdout: JSON.stringify(inSyncReport(prod)) } })),
  );
  standIns.push(s);
  const expected = expectedAssignment(prod.tuning, readModuleFolder(GUEST_MODULE.dir));
  const now = new Date().toISOString();
  s.graphRows = prod.hosts.map((h, i) => assignmentRow(SUBSCRIPTION, prod.names.resourceGroup, h.name, expected, now, cases[i]?.change ?? {}));
  // The assignments as ARM holds them, for --remediate, which re-sends a drifted host's assignment.
  for (const h of prod.hosts) {
    s.setAssignment(h.name, {
      name: "MailhostTcpTuning",
      location: "westeurope",
      properties: {
        context: "mailhost-iac",
        complianceStatus: "NonCompliant",
        guestConfiguration: {
          name: "MailhostTcpTuning",
          version: "1.0.0",
          contentHash: expected.contentHash,
          assignmentType: "ApplyAndAutoCorrect",
          contentUri: `https://stmailhostprod.blob.core.windows.net/guest-configuration/MailhostTcpTuning-${expected.contentHash}.zip`,
          configurationParameter: Object.entries(expected.parameters).map(([name, value]) => ({ name, value })),
        },
      },
    });
  }
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin", "mailhost.js"),
        "drift",
        "--stack",
        "prod",
        "--subscription",
        SUBSCRIPTION,
        "--arm-endpoint",
        s.endpoint,
        "--format",
        "json",
        "--retry-delay",
        "10",
        "--poll-interval",
        "10",
        ...args,
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, AZURE_ACCESS_TOKEN: STAND_IN_TOKEN, NODE_EXTRA_CA_CERTS: s.caFile },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, report: JSON.parse(stdout || "{}"), s, stderr }));
  });
}

describe("mailhost drift --source graph: agent failures are unknown, never drifted", { concurrency: 2 }, () => {
  const unknownCases: Case[] = [
    {
      change: { complianceStatus: "NonCompliant", reasons: [AGENT_ERROR] },
      status: "unknown",
      reason: /DSC::RESOURCE::FAILURE: The agent failed to compute compliance status/,
    },
    {
      change: {
        complianceStatus: "NonCompliant",
        resourceId: INVALID_PACKAGE_RESOURCE_ID,
        reasons: [{ code: "GuestConfiguration:Package", phrase: "The package was rejected." }],
      },
      status: "unknown",
      reason: /invalid assignment package/,
    },
    { change: { complianceStatus: "NonCompliant", noResources: true }, status: "unknown", reason: /no per-resource result/ },
    { change: { complianceStatus: "NonCompliant", parameters: {} }, status: "unknown", reason: /empty configurationParameter list/ },
  ];

  it("with --remediate --yes: exit 2, each host unknown with its reason, nothing sent", async () => {
    const { code, report, s, stderr } = await driftRun(unknownCases, ["--remediate", "--yes"]);
    assert.equal(code, 2, stderr);
    assert.equal(report.exitCode, 2);
    prod.hosts.forEach((h, i) => {
      const got = report.hosts.find((x) => x.name === h.name)!;
      assert.equal(got.status, unknownCases[i].status, h.name);
      assert.match(got.reason ?? "", unknownCases[i].reason!, h.name);
      assert.equal(got.remediation, undefined, h.name);
    });
    assert.equal(s.runCommandPosts.size, 0, "nothing sent for unknown hosts");
    assert.equal(s.assignmentPuts.size, 0, "no assignment re-sent for unknown hosts");
    assert.equal(s.extensionUpdates.size, 0);
  });

  it("beside an agent failure, a host whose own reason shows a value read and differing is drifted, and only it is remediated", async () => {
    const cases: Case[] = [unknownCases[0], { change: { complianceStatus: "NonCompliant", reasons: [measured] }, status: "drifted" }];
    const { code, report, s, stderr } = await driftRun(cases, ["--remediate", "--yes"]);
    assert.equal(code, 2, stderr); // an unknown host makes the run incomplete
    const [a, b, ...rest] = prod.hosts;
    const status = (name: string) => report.hosts.find((x) => x.name === name)!.status;
    assert.equal(status(a.name), "unknown");
    assert.equal(status(b.name), "drifted");
    for (const h of rest) assert.equal(status(h.name), "in-sync");
    assert.deepEqual([...s.assignmentPuts.keys()], [b.name], "remediation (the assignment re-sent) only on the measured drift");
    assert.equal(s.assignmentPuts.get(b.name)!.length, 1);
    assert.equal(s.runCommandPosts.size, 0, "no Run Command on Machine Configuration hosts");
  });

  it("the same measured drift alone exits 1", async () => {
    const { code, report, stderr } = await driftRun([{ change: { complianceStatus: "NonCompliant", reasons: [measured] }, status: "drifted" }], []);
    assert.equal(code, 1, stderr);
    assert.equal(report.exitCode, 1);
  });
});
