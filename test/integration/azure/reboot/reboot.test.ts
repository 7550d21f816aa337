/**
 * `mailhost reboot` against the local ARM stand-in: the real SDK client (restart as a long-running
 * operation, instance view, Run Command for the collector), the real wave planning and checks.
 */
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ArmCompute } from "../../../../azure/arm";
import { type RebootReport, RESTART_PERMISSION, formatRebootText, rebootExitCode, runReboot } from "../../../../cli/reboot";
import { main } from "../../../../cli/main";
import { planOf } from "../../../../cli/plan";
import { runDrift } from "../../../../cli/drift";
import { formatDriftText } from "../../../../cli/driftFormat";
import { type CollectorReport } from "../../../../domain/drift";
import { type FleetPlan, STACK_TAG } from "../../../../domain/plan";
import { UNTIL_BOOT_REASON } from "../../../../domain/reboot";
import { ArmStandIn, STAND_IN_TOKEN, type VmBehaviour } from "../../../support/armStandIn";
import { inSyncReport } from "../../../support/collectorReports";
import { stackPlan } from "../../../support/stackConfigs";
import { REPO_ROOT } from "../../../support/stacks";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const standIns: ArmStandIn[] = [];
after(async () => {
  await Promise.all(standIns.map((s) => s.close()));
});

/** prod with six hosts over its three zones. */
const six: FleetPlan = stackPlan("prod", (raw) => {
  raw.fleet.hostCount = 6;
});
const zoneOf = new Map(six.hosts.map((h) => [h.name, h.zone]));

function collector(plan: FleetPlan, change: Partial<CollectorReport> = {}): string {
  return JSON.stringify(inSyncReport(plan, change));
}
/** Waits for a reboot until the first restart it comes back from; afterwards its values are in effect. */
const waiting = (extra: VmBehaviour = {}): VmBehaviour => ({
  stdout: (_s, _p, boots) => collector(six, boots === 0 ? { RebootPending: true, RebootPendingReasons: [UNTIL_BOOT_REASON] } : {}),
  ...extra,
});
const notWaiting = (): VmBehaviour => ({ stdout: collector(six) });

async function standIn(behaviours: Record<string, VmBehaviour>): Promise<ArmStandIn> {
  const s = await ArmStandIn.start(
    SUBSCRIPTION,
    six.names.resourceGroup,
    six.hosts.map((h) => ({
      name: h.name,
      tags: { [STACK_TAG]: six.stack },
      zones: h.zone ? [h.zone] : undefined,
      behaviour: behaviours[h.name] ?? waiting(),
    })),
  );
  standIns.push(s);
  return s;
}

function reboot(s: ArmStandIn, options: Partial<Parameters<typeof runReboot>[0]> = {}): Promise<RebootReport> {
  const arm = new ArmCompute({
    subscriptionId: SUBSCRIPTION,
    endpoint: s.endpoint,
    tlsCa: s.ca,
    pollIntervalMs: 10,
    retryDelayMs: 10,
    maxRetries: 2,
    credential: { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
  });
  return runReboot({ plan: six, arm, selection: { kind: "waiting" }, maxUnavailable: 2, yes: true, timeoutSeconds: 20, checkIntervalMs: 10, ...options });
}

describe("mailhost reboot against the ARM stand-in", { concurrency: 3 }, () => {
  it("6 hosts over 3 zones, all waiting, --max-unavailable 2: no wave mixes zones or holds more than 2; every host ends running with its values in effect", async () => {
    const late = six.hosts[1].name;
    const s = await standIn({ [late]: waiting({ agentReadyAfterReads: 3 }) });
    const r = await reboot(s);
    assert.equal(rebootExitCode(r), 0, JSON.stringify(r, null, 1));
    assert.equal(r.waves.length, 3);
    for (const wave of r.waves) {
      assert.ok(wave.hosts.length <= 2);
      assert.equal(new Set(wave.hosts.map((h) => zoneOf.get(h))).size, 1, `wave ${wave.number} holds one zone`);
    }
    // What Azure saw: each host restarted once, and when a restart arrived, every host not fully back was of its own wave.
    assert.deepEqual(s.restartPosts.map((p) => p.vm).sort(), six.hosts.map((h) => h.name).sort());
    const waveOf = new Map(r.hosts.map((h) => [h.name, h.wave]));
    for (const post of s.restartPosts) {
      for (const down of post.downAtPost)
        assert.equal(waveOf.get(down), waveOf.get(post.vm), `${down} was still down when ${post.vm} (another wave) was restarted`);
      assert.ok(post.downAtPost.filter((d) => d !== post.vm).length <= 1);
    }
    for (const h of six.hosts) {
      assert.deepEqual(s.restartState(h.name), { power: "running", boots: 1 });
      assert.deepEqual(s.powerHistory.get(h.name), ["running", "stopping", "starting", "running"]);
    }
    // The late agent was seen not ready, and waited for.
    assert.equal(s.agentNotReadyAnswers.get(late), 3);
    assert.deepEqual(
      r.hosts.map((h) => h.outcome),
      six.hosts.map(() => "restarted"),
    );
  });

  it("a host that never comes back stops the run with exit 2; hosts of later waves get no restart POST", async () => {
    const broken = six.hosts[1].name; // zone 2: the second wave
    const s = await standIn({ [broken]: waiting({ neverComesBack: true }) });
    const r = await reboot(s, { timeoutSeconds: 2 });
    assert.equal(rebootExitCode(r), 2);
    const waveOfBroken = r.hosts.find((h) => h.name === broken)!.wave;
    assert.equal(r.hosts.find((h) => h.name === broken)!.outcome, "did not come back");
    assert.match(r.hosts.find((h) => h.name === broken)!.detail ?? "", /not back within 2 s \(last seen: power state starting\)/);
    const later = r.hosts.filter((h) => h.wave > waveOfBroken).map((h) => h.name);
    assert.ok(later.length > 0);
    for (const name of later) {
      assert.ok(!s.restartPosts.some((p) => p.vm === name), `${name} of a later wave was restarted`);
      assert.equal(r.hosts.find((h) => h.name === name)!.outcome, "not restarted");
    }
    for (const h of r.hosts.filter((x) => x.wave < waveOfBroken)) assert.equal(h.outcome, "restarted");
  });

  it("--dry-run sends no POST at all (no restart, no Run Command) and prints the waves", async () => {
    const s = await standIn({});
    const r = await reboot(s, { dryRun: true });
    assert.equal(rebootExitCode(r), 0);
    assert.deepEqual(s.restartPosts, []);
    assert.equal(s.runCommandPosts.size, 0, "waiting is not read in a dry run: the collector is a Run Command");
    assert.equal(r.waitingNotRead, true);
    assert.match(formatRebootText(r), /not read in a dry run/);
    assert.equal(r.waves.length, 3);
    assert.ok(r.hosts.every((h) => h.outcome === "planned"));
    // With --all nothing needs reading: no POST of any kind.
    const all = await reboot(s, { dryRun: true, selection: { kind: "all" } });
    assert.equal(all.hosts.length, 6);
    assert.deepEqual(s.restartPosts, []);
  });

  it("waves follow the zones Azure reports for each VM, not the plan's: after fleet.zones was edited, and for a VM Azure lists without a zone", async () => {
    // The hosts were created under another zone list: each VM kept its zone (the component pins
    // it), so Azure's zones differ from what the plan would give a host created now.
    const azureZones = new Map<string, string | undefined>(six.hosts.map((h, i) => [h.name, i === 5 ? undefined : ["3", "1"][i % 2]]));
    assert.ok(
      six.hosts.some((h) => h.zone !== azureZones.get(h.name)),
      "the test needs zones that differ from the plan",
    );
    const s = await ArmStandIn.start(
      SUBSCRIPTION,
      six.names.resourceGroup,
      six.hosts.map((h) => {
        const zone = azureZones.get(h.name);
        return { name: h.name, tags: { [STACK_TAG]: six.stack }, zones: zone === undefined ? undefined : [zone], behaviour: waiting() };
      }),
    );
    standIns.push(s);
    // A real run (a dry run plans from the stack file alone and asks Azure nothing).
    const r = await reboot(s, { selection: { kind: "all" }, maxUnavailable: 3 });
    assert.equal(rebootExitCode(r), 0, JSON.stringify(r, null, 1));
    // The rule: one zone a wave, the zone Azure has for every host of it.
    for (const wave of r.waves)
      for (const h of wave.hosts) assert.equal(wave.zone, azureZones.get(h), `${h} is in zone ${azureZones.get(h) ?? "none"} in Azure`);
    const expectedZones = [...new Set(azureZones.values())];
    assert.deepEqual(new Set(r.waves.map((w) => w.zone)), new Set(expectedZones));
  });

  it("a host not waiting for a reboot is not restarted without --all; with --all it is", async () => {
    const calm = six.hosts[0].name;
    const s = await standIn({ [calm]: notWaiting() });
    const r = await reboot(s);
    assert.equal(rebootExitCode(r), 0, JSON.stringify(r, null, 1));
    assert.deepEqual(r.notWaiting, [calm]);
    assert.ok(!s.restartPosts.some((p) => p.vm === calm));
    assert.equal(s.restartPosts.length, 5);
    const all = await reboot(s, { selection: { kind: "all" } });
    assert.equal(rebootExitCode(all), 0, JSON.stringify(all, null, 1));
    assert.ok(s.restartPosts.some((p) => p.vm === calm));
  });

  it("restarts nothing when not confirmed (exit 2)", async () => {
    const s = await standIn({});
    const r = await reboot(s, { yes: false, confirm: async () => false });
    assert.equal(rebootExitCode(r), 2);
    assert.deepEqual(s.restartPosts, []);
  });
});

describe("mailhost reboot on the command line", () => {
  it("--help names the permission it needs and every option", async () => {
    const lines: string[] = [];
    const code = await main(["reboot", "--help"], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    assert.equal(code, 0);
    const help = lines.join("\n");
    assert.ok(help.includes(RESTART_PERMISSION));
    for (const flag of ["--stack", "--host", "--all", "--max-unavailable", "--dry-run", "--yes", "--format", "--timeout", "--arm-endpoint"])
      assert.ok(help.includes(flag), flag);
  });
  it("rejects a bad --max-unavailable with exit 2, naming it", async () => {
    const errors: string[] = [];
    const code = await main(["reboot", "--stack", "prod", "--subscription", SUBSCRIPTION, "--max-unavailable", "0%", "--cwd", REPO_ROOT], {
      out: () => undefined,
      err: (l) => errors.push(l),
    });
    assert.equal(code, 2);
    assert.match(errors.join("\n"), /--max-unavailable = "0%" is not allowed/);
  });
  it("--dry-run plans from the stack file alone: no subscription, no credentials, no request; waves on stdout (json), progress on stderr", async () => {
    const s = await standIn({});
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AZURE_")));
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(REPO_ROOT, "bin", "mailhost.js"),
          "reboot",
          "--stack",
          "prod",
          "--arm-endpoint",
          s.endpoint,
          "--format",
          "json",
          "--dry-run",
          "--all",
          "--max-unavailable",
          "50%",
        ],
        { cwd: REPO_ROOT, env },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const prod = planOf(REPO_ROOT, "prod");
    // The committed prod stack's hosts, at most 2 (50% of them) a wave, one zone a wave, each zone as the stack file sets it.
    assert.equal(report.maxUnavailable, Math.max(1, Math.floor(prod.hosts.length / 2)));
    assert.deepEqual(report.hosts.map((h: { name: string }) => h.name).sort(), prod.hosts.map((h) => h.name).sort());
    for (const h of report.hosts as Array<{ name: string; zone?: string }>) assert.equal(h.zone, prod.hosts.find((p) => p.name === h.name)!.zone);
    assert.ok(report.waves.every((w: { hosts: string[] }) => w.hosts.length <= report.maxUnavailable));
    assert.equal(report.fromStackFile, true);
    assert.match(r.stderr, /as its stack file declares them/);
    assert.equal(s.requests, 0, "Azure is not asked at all");
  });
  it("without --dry-run it still needs a subscription (exit 2, naming it)", async () => {
    const errors: string[] = [];
    const saved = process.env.AZURE_SUBSCRIPTION_ID;
    delete process.env.AZURE_SUBSCRIPTION_ID;
    try {
      const code = await main(["reboot", "--stack", "prod", "--cwd", REPO_ROOT], { out: () => undefined, err: (l) => errors.push(l) });
      assert.equal(code, 2);
    } finally {
      if (saved !== undefined) process.env.AZURE_SUBSCRIPTION_ID = saved;
    }
    assert.match(errors.join("\n"), /no subscription: pass --subscription <id> or set AZURE_SUBSCRIPTION_ID/);
  });
});

describe("mailhost drift shows the hosts waiting for a reboot", () => {
  it("marks them, and its summary names them and the command that finishes the change", async () => {
    const calm = six.hosts[0].name;
    const s = await standIn({ [calm]: notWaiting() });
    const arm = new ArmCompute({
      subscriptionId: SUBSCRIPTION,
      endpoint: s.endpoint,
      tlsCa: s.ca,
      pollIntervalMs: 10,
      retryDelayMs: 10,
      maxRetries: 2,
      credential: { getToken: async () => ({ token: STAND_IN_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    });
    const r = await runDrift({ plan: six, arm, subscription: SUBSCRIPTION, timeoutSeconds: 20 });
    const waitingHosts = six.hosts.map((h) => h.name).filter((n) => n !== calm);
    assert.deepEqual(
      r.hosts.filter((h) => h.waitingForReboot).map((h) => h.name),
      waitingHosts,
    );
    const text = formatDriftText(r);
    assert.ok(
      text.includes(
        `${waitingHosts.length} host(s) waiting for a reboot to put their Tcpip values in effect: ${waitingHosts.join(", ")}. Finish with \`mailhost reboot --stack prod\``,
      ),
      text,
    );
    assert.deepEqual(s.restartPosts, []);
  });
});
