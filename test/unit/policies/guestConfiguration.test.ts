/** Guest configuration assignments are held to the same rules as the other tuning mechanisms. */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { toBase64Url } from "../../../domain/guestEncoding";
import { MAX_USER_PORT, TCP_TIMED_WAIT_DELAY } from "../../../domain/limits";
import { dynamicPortRange } from "../../../policies/rules/dynamicPortRange";
import {
  guestConfigurationApplies,
  guestConfigurationContentHash,
  guestConfigurationContentUriHttps,
} from "../../../policies/rules/guestConfigurationAssignment";
import { mailboxCacheTtlFloor } from "../../../policies/rules/mailboxCacheTtlFloor";
import { maxUserPortRange } from "../../../policies/rules/maxUserPortRange";
import { oneTuningPerVm } from "../../../policies/rules/oneTuningPerVm";
import { secretsOnlyProtected } from "../../../policies/rules/secretsOnlyProtected";
import { tcpTimedWaitDelayRange } from "../../../policies/rules/tcpTimedWaitDelayRange";
import { policies } from "../../../policies/all";
import { stackViolations, violations } from "./harness";
import { dsc, gcAssignment, guestConfigurationOfCopy, plan, vm, withAssignmentParameter } from "./fixtures";

const WHERE = "properties.guestConfiguration.configurationParameter[[MailhostTcpTuning]MailhostTcpTuning;";

describe("guest configuration assignments under the range, floor and one-tuning policies", () => {
  for (const policy of policies) {
    if (!("validateResource" in policy)) continue;
    it(`${policy.name} accepts the compliant assignment`, async () => assert.deepEqual(await violations(policy, gcAssignment()), []));
  }
  it("rejects MaxUserPort one above its range in configurationParameter, naming where", async () => {
    const above = MAX_USER_PORT.max + 1;
    const found = await violations(maxUserPortRange, withAssignmentParameter(gcAssignment(), "MaxUserPort", String(above)));
    assert.deepEqual(found, [
      `GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment": MaxUserPort = ${above} is outside ${MAX_USER_PORT.min}–${MAX_USER_PORT.max} (${MAX_USER_PORT.unit}), in ${WHERE}MaxUserPort].`,
    ]);
    assert.deepEqual(await violations(maxUserPortRange, withAssignmentParameter(gcAssignment(), "MaxUserPort", String(MAX_USER_PORT.max))), []);
  });
  it("rejects TcpTimedWaitDelay above its range in configurationProtectedParameter without echoing it", async () => {
    const secretValue = String(TCP_TIMED_WAIT_DELAY.max + 1);
    const found = await violations(
      tcpTimedWaitDelayRange,
      withAssignmentParameter(gcAssignment(), "TcpTimedWaitDelay", secretValue, "configurationProtectedParameter"),
    );
    assert.equal(found.length, 1);
    assert.match(found[0], /TcpTimedWaitDelay \(protected value\) is outside/);
    assert.match(found[0], /configurationProtectedParameter\[\[MailhostTcpTuning\]MailhostTcpTuning;TcpTimedWaitDelay\]/);
    assert.ok(!found[0].includes(`= ${secretValue}`));
  });
  it("rejects a dynamic port range that does not end at MaxUserPort", async () => {
    const r = withAssignmentParameter(gcAssignment(), "DynamicPortRangeNumberOfPorts", String(plan.tuning.dynamicPortRangeCount - 1));
    const found = await violations(dynamicPortRange, r);
    assert.equal(found.length, 1);
    assert.match(found[0], /does not end at MaxUserPort/);
  });
  it("reads MailboxCacheTTL from the decoded SiteConfig parameter and rejects one below the floor", async () => {
    const low = plan.tuning.siteConfigContent.replace(/MailboxCacheTTL = \d+/, "MailboxCacheTTL = 120");
    const found = await violations(mailboxCacheTtlFloor, withAssignmentParameter(gcAssignment(), "SiteConfigContentBase64Url", toBase64Url(low)), {
      minimumMailboxCacheTtl: 300,
    });
    assert.deepEqual(found, [
      `GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment": the SiteConfig.cfg it writes (${WHERE}SiteConfigContentBase64Url]) sets MailboxCacheTTL = 120 is below its floor of 300 seconds.`,
    ]);
  });
  it("rejects a SiteConfig parameter that is not base64url, and one without MailboxCacheTTL", async () => {
    const bad = await violations(mailboxCacheTtlFloor, withAssignmentParameter(gcAssignment(), "SiteConfigContentBase64Url", "not base64!"));
    assert.equal(bad.length, 1);
    assert.match(bad[0], /the value cannot be decoded \(not base64url: character " " is outside/);
    const missing = await violations(
      mailboxCacheTtlFloor,
      withAssignmentParameter(gcAssignment(), "SiteConfigContentBase64Url", toBase64Url("[Cache]\r\nOther = 1\r\n")),
    );
    assert.equal(missing.length, 1);
  });
  it("counts an assignment as the VM's tuning: none besides it passes, a DSC extension beside it is a second", async () => {
    const host = vm();
    assert.deepEqual(await stackViolations(oneTuningPerVm, [host, gcAssignment()]), []);
    const two = await stackViolations(oneTuningPerVm, [host, gcAssignment(), dsc()]);
    assert.equal(two.length, 1);
    assert.match(two[0].message, /has 2 tuning resources \(GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment", VirtualMachineExtension/);
  });
});

describe("mailhost-guest-configuration-content-hash", () => {
  it("rejects a hash of 63 characters and a missing one, accepts 64 hex in either case", async () => {
    const short = gcAssignment();
    guestConfigurationOfCopy(short).contentHash = "A".repeat(63);
    assert.deepEqual(await violations(guestConfigurationContentHash, short), [
      'GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment": properties.guestConfiguration.contentHash is "' +
        "A".repeat(63) +
        "\" (63 characters); it must be the package's SHA-256 as 64 hex characters.",
    ]);
    const none = gcAssignment();
    delete guestConfigurationOfCopy(none).contentHash;
    assert.equal((await violations(guestConfigurationContentHash, none)).length, 1);
    const notHex = gcAssignment();
    guestConfigurationOfCopy(notHex).contentHash = "G".repeat(64);
    assert.equal((await violations(guestConfigurationContentHash, notHex)).length, 1);
    const lower = gcAssignment();
    guestConfigurationOfCopy(lower).contentHash = "a".repeat(64);
    assert.deepEqual(await violations(guestConfigurationContentHash, lower), []);
  });
});

describe("mailhost-guest-configuration-content-uri-https", () => {
  it("rejects an http contentUri, showing only its scheme", async () => {
    const r = gcAssignment();
    guestConfigurationOfCopy(r).contentUri = "http://st.blob.core.windows.net/c/p.zip?sig=abc";
    const found = await violations(guestConfigurationContentUriHttps, r);
    assert.deepEqual(found, [
      'GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment": properties.guestConfiguration.contentUri uses http; the package must be fetched over https.',
    ]);
  });
  it("reports a SAS in contentUri as a credential (value not shown)", async () => {
    const r = gcAssignment();
    guestConfigurationOfCopy(r).contentUri = "https://st.blob.core.windows.net/c/p.zip?sp=r&sig=c2VjcmV0";
    const found = await violations(secretsOnlyProtected, r);
    assert.equal(found.length, 1);
    assert.match(
      found[0],
      /carries a credential in properties\.guestConfiguration\.contentUri \(value not shown\); move it to a managed identity instead of a SAS URL/,
    );
    assert.ok(!found[0].includes("c2VjcmV0"));
  });
});

describe("mailhost-guest-configuration-applies", () => {
  const withType = (type: string | undefined) => {
    const r = gcAssignment();
    const gc = guestConfigurationOfCopy(r);
    if (type === undefined) delete gc.assignmentType;
    else gc.assignmentType = type;
    return r;
  };
  it("reports an Audit assignment on a mail host, and one without assignmentType", async () => {
    const found = await stackViolations(guestConfigurationApplies, [vm(), withType("Audit")]);
    assert.equal(found.length, 1);
    assert.match(
      found[0].message,
      /GuestConfigurationAssignment "vm-mail-unit-001-tuning-assignment" on VirtualMachine "vm-mail-unit-001" has assignmentType "Audit": it only audits/,
    );
    assert.equal((await stackViolations(guestConfigurationApplies, [vm(), withType(undefined)])).length, 1);
  });
  it("accepts ApplyAndAutoCorrect and ApplyAndMonitor, and ignores an Audit assignment on a machine outside the stack", async () => {
    assert.deepEqual(await stackViolations(guestConfigurationApplies, [vm(), withType("ApplyAndAutoCorrect")]), []);
    assert.deepEqual(await stackViolations(guestConfigurationApplies, [vm(), withType("ApplyAndMonitor")]), []);
    assert.deepEqual(await stackViolations(guestConfigurationApplies, [withType("Audit")]), []);
  });
  it("is case-sensitive like the API: 'applyandautocorrect' is not an apply mode", async () => {
    assert.equal((await stackViolations(guestConfigurationApplies, [vm(), withType("applyandautocorrect")])).length, 1);
  });
});
