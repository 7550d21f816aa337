/**
 * Azure Policy definitions and assignments that carry the tuning are held to the same range,
 * floor and secret rules as every other carrier, with the same messages.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { toBase64Url } from "../../../domain/guestEncoding";
import { tuningParameterValue } from "../../../domain/estateTuningPolicy";
import { MAX_USER_PORT, PACKAGE_SAS_LIFETIME_DAYS, TCP_TIMED_WAIT_DELAY } from "../../../domain/limits";
import { configurationParameterName } from "../../../domain/machineConfiguration";
import { dynamicPortRange } from "../../../policies/rules/dynamicPortRange";
import { mailboxCacheTtlFloor } from "../../../policies/rules/mailboxCacheTtlFloor";
import { maxUserPortRange } from "../../../policies/rules/maxUserPortRange";
import { secretsOnlyProtected } from "../../../policies/rules/secretsOnlyProtected";
import { tcpTimedWaitDelayRange } from "../../../policies/rules/tcpTimedWaitDelayRange";
import { tuningValuesReadable } from "../../../policies/rules/tuningValuesReadable";
import { policies } from "../../../policies/all";
import { type TestResource, violations } from "./harness";
import { ESTATE_PACKAGE_HASH, estateAssignment, estateDefinition, estatePackageSasUri, plan } from "./fixtures";

const HASH = ESTATE_PACKAGE_HASH;
const DAY = 86_400_000;
const definition = estateDefinition;
const assignment = estateAssignment;
const sasUri = estatePackageSasUri;
const withDefault = (r: TestResource, property: string, value: unknown): TestResource => {
  const copy = structuredClone(r);
  ((copy.props.parameters as any).tuning.defaultValue as Record<string, unknown>)[property] = value;
  return copy;
};

describe("policy definitions and assignments under the range, floor and secret rules", () => {
  for (const policy of policies) {
    if (!("validateResource" in policy)) continue;
    it(`${policy.name} accepts the compliant definition and assignment`, async () => {
      assert.deepEqual(await violations(policy, definition()), []);
      assert.deepEqual(await violations(policy, assignment()), []);
    });
  }
  it("rejects MaxUserPort one above its range in the definition's tuning default, with the message every carrier gets", async () => {
    const above = MAX_USER_PORT.max + 1;
    assert.deepEqual(await violations(maxUserPortRange, withDefault(definition(), "MaxUserPort", above)), [
      `PolicyDefinition "estate-definition": MaxUserPort = ${above} is outside ${MAX_USER_PORT.min}–${MAX_USER_PORT.max} (${MAX_USER_PORT.unit}), in parameters.tuning.defaultValue.MaxUserPort.`,
    ]);
  });
  it("rejects TcpTimedWaitDelay above its range in an assignment's parameter value", async () => {
    const above = TCP_TIMED_WAIT_DELAY.max + 1;
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, assignment({ ...tuningParameterValue(plan.tuning), TcpTimedWaitDelay: above })), [
      `PolicyAssignment "estate-assignment": TcpTimedWaitDelay = ${above} is outside ${TCP_TIMED_WAIT_DELAY.min}–${TCP_TIMED_WAIT_DELAY.max} (seconds), in parameters.tuning.value.TcpTimedWaitDelay.`,
    ]);
  });
  it("rejects a value of the same kind wherever a definition carries it: a scalar parameter, allowedValues, a literal configurationParameter", async () => {
    const scalar = definition();
    (scalar.props.parameters as any).TcpTimedWaitDelay = { type: "Integer", defaultValue: 301 };
    assert.match(
      (await violations(tcpTimedWaitDelayRange, scalar))[0],
      /TcpTimedWaitDelay = 301 is outside .* in parameters\.TcpTimedWaitDelay\.defaultValue\./,
    );
    const allowed = definition();
    (allowed.props.parameters as any).TcpTimedWaitDelay = { type: "Integer", allowedValues: [30, 400] };
    assert.match(
      (await violations(tcpTimedWaitDelayRange, allowed))[0],
      /TcpTimedWaitDelay = 400 is outside .* in parameters\.TcpTimedWaitDelay\.allowedValues\[1\]\./,
    );
    const literal = definition();
    const gc = (literal.props.policyRule as any).then.details.deployment.properties.template.resources[1].properties.guestConfiguration;
    gc.configurationParameter = gc.configurationParameter.map((p: { name: string; value: string }) =>
      p.name === configurationParameterName("MaxUserPort") ? { ...p, value: "70000" } : p,
    );
    const found = await violations(maxUserPortRange, literal);
    assert.equal(found.length, 1);
    assert.match(
      found[0],
      /MaxUserPort = 70000 is outside .* in policyRule\.then\.details\.deployment\.properties\.template\.resources\[1\]\.properties\.guestConfiguration\.configurationParameter\[\[MailhostTcpTuning\]MailhostTcpTuning;MaxUserPort\]\./,
    );
  });
  it("judges no ARM expression as a value (they are computed at deployment)", async () => {
    const d = definition();
    (d.props.parameters as any).tuning.defaultValue = "[parameters('other')]";
    assert.deepEqual(await violations(maxUserPortRange, d), []);
  });
  it("rejects a dynamic port range that does not end at MaxUserPort in an assignment", async () => {
    const value = tuningParameterValue(plan.tuning);
    const found = await violations(dynamicPortRange, assignment({ ...value, DynamicPortRangeNumberOfPorts: Number(value.DynamicPortRangeNumberOfPorts) - 1 }));
    assert.equal(found.length, 1);
    assert.match(found[0], /does not end at MaxUserPort/);
  });
  it("reads MailboxCacheTTL from the SiteConfig an assignment carries and rejects one below the floor", async () => {
    const low = plan.tuning.siteConfigContent.replace(/MailboxCacheTTL = \d+/, "MailboxCacheTTL = 120");
    assert.deepEqual(
      await violations(mailboxCacheTtlFloor, assignment({ ...tuningParameterValue(plan.tuning), SiteConfigContentBase64Url: toBase64Url(low) }), {
        minimumMailboxCacheTtl: 300,
      }),
      [
        'PolicyAssignment "estate-assignment": the SiteConfig.cfg it writes (parameters.tuning.value.SiteConfigContentBase64Url) sets MailboxCacheTTL = 120 is below its floor of 300 seconds.',
      ],
    );
  });
  it("says when an assignment carries part of the tuning only", async () => {
    const { SiteConfigContentBase64Url: _dropped, ...partial } = tuningParameterValue(plan.tuning);
    assert.match((await violations(tuningValuesReadable, assignment(partial)))[0], /carries no readable SiteConfigContentBase64Url/);
  });
});

describe("the secret rule and the package SAS agree", () => {
  it("accepts the read-only, https-only SAS of the one package blob in the definition's contentUri", async () => {
    assert.deepEqual(await violations(secretsOnlyProtected, definition()), []);
  });
  const refusedBecause = async (uri: string, reason: RegExp) => {
    const found = await violations(secretsOnlyProtected, definition(uri));
    assert.ok(found.length >= 1, uri);
    for (const message of found) {
      assert.match(
        message,
        /PolicyDefinition "estate-definition" carries a credential in (metadata\.guestConfiguration|policyRule\..*)\.contentUri \(value not shown\)/,
      );
      assert.match(message, reason);
      assert.ok(!message.includes("c2lnbmF0dXJl"), "never the signature");
    }
  };
  it("refuses a SAS that can write, list or delete", () => refusedBecause(sasUri({ sp: "rwdl" }), /grants sp=rwdl, not read only/));
  it("refuses a container SAS and an account SAS", async () => {
    await refusedBecause(sasUri({ sr: "c" }), /signed for sr=c, not for the one blob/);
    await refusedBecause(sasUri({ ss: "b", srt: "sco" }), /account SAS/);
  });
  it("refuses a SAS that also allows http, or lives longer than the limit", async () => {
    await refusedBecause(sasUri({ spr: "https,http" }), /not https only/);
    await refusedBecause(
      sasUri({ se: new Date(Date.now() + (PACKAGE_SAS_LIFETIME_DAYS.max + 10) * DAY).toISOString() }),
      new RegExp(`more than ${PACKAGE_SAS_LIFETIME_DAYS.max}`),
    );
  });
  it("refuses a SAS on a blob not named by its hash", () =>
    refusedBecause(sasUri({}).replace(`MailhostTcpTuning-${HASH}.zip`, "MailhostTcpTuning.zip"), /content-addressed/));
  it("refuses a SAS anywhere else: a definition's parameter default, an assignment's parameter", async () => {
    const d = definition();
    (d.props.parameters as any).packageUrl = { type: "String", defaultValue: sasUri({}) };
    assert.deepEqual(await violations(secretsOnlyProtected, d), [
      'PolicyDefinition "estate-definition" carries a credential in parameters.packageUrl.defaultValue (value not shown); move it to a Key Vault reference or a managed identity; Azure Policy parameters are never secret.',
    ]);
    const a = assignment();
    (a.props.parameters as any).storageKey = { value: "AccountKey=abc" };
    assert.equal((await violations(secretsOnlyProtected, a)).length, 1);
  });
});
