import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { tcpTimedWaitDelayRange } from "../../../policies/rules/tcpTimedWaitDelayRange";
import { maxUserPortRange } from "../../../policies/rules/maxUserPortRange";
import { dynamicPortRange } from "../../../policies/rules/dynamicPortRange";
import { autoReusePortRange } from "../../../policies/rules/autoReusePortRange";
import { withAssignmentParameter, gcAssignment } from "./fixtures";
import { configurationParameterName } from "../../../domain/machineConfiguration";
import { mailboxCacheTtlFloor } from "../../../policies/rules/mailboxCacheTtlFloor";
import { maxUserPortRecommended, tcpTimedWaitDelayRecommended } from "../../../policies/rules/recommended";
import { tuningValuesReadable } from "../../../policies/rules/tuningValuesReadable";
import { AUTO_REUSE_PORT_RANGE_COUNT, DEFAULTS, MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE } from "../../../domain/limits";
import { violations } from "./harness";
import { toBase64Url } from "../../../domain/guestEncoding";
import { dsc, nic, resource, runCommand, withDscArgument, withParameter, withTtl } from "./fixtures";

const DSC = 'VirtualMachineExtension "vm-mail-unit-001-tuning-dsc"';
const RUN = 'VirtualMachineRunCommandByVirtualMachine "vm-mail-unit-001-tuning-runcmd"';

describe("compliant fixtures pass every range policy", () => {
  for (const policy of [
    tcpTimedWaitDelayRange,
    maxUserPortRange,
    dynamicPortRange,
    autoReusePortRange,
    mailboxCacheTtlFloor,
    maxUserPortRecommended,
    tcpTimedWaitDelayRecommended,
  ]) {
    it(`${policy.name} accepts the DSC extension, the run command and an unrelated NIC`, async () => {
      assert.deepEqual(await violations(policy, dsc()), []);
      assert.deepEqual(await violations(policy, runCommand()), []);
      assert.deepEqual(await violations(policy, nic()), []);
    });
  }
});

describe("mailhost-tcp-timed-wait-delay-range", () => {
  it("rejects TcpTimedWaitDelay below 30 on the DSC extension", async () => {
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, withDscArgument(dsc(), "TcpTimedWaitDelay", 29)), [
      `${DSC}: TcpTimedWaitDelay = 29 is outside 30–300 (seconds), in settings.configurationArguments.TcpTimedWaitDelay.`,
    ]);
  });
  it("accepts TcpTimedWaitDelay 30 and 300", async () => {
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, withDscArgument(dsc(), "TcpTimedWaitDelay", 30)), []);
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, withParameter(runCommand(), "TcpTimedWaitDelay", "300")), []);
  });
  it("rejects TcpTimedWaitDelay above 300 on the run command", async () => {
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, withParameter(runCommand(), "TcpTimedWaitDelay", "301")), [
      `${RUN}: TcpTimedWaitDelay = 301 is outside 30–300 (seconds), in parameters[TcpTimedWaitDelay].`,
    ]);
  });
  it("rejects a non-integer TcpTimedWaitDelay", async () => {
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, withParameter(runCommand(), "TcpTimedWaitDelay", "4m")), [
      `${RUN}: TcpTimedWaitDelay = "4m" is not an integer; allowed 30–300 (seconds), in parameters[TcpTimedWaitDelay].`,
    ]);
  });
  it("finds TcpTimedWaitDelay anywhere in another extension's settings, whatever its case", async () => {
    const custom = resource("azure-native:compute:VirtualMachineExtension", "hand-written", {
      publisher: "Microsoft.Compute",
      type: "CustomScriptExtension",
      vmName: "vm-x",
      settings: { commandToExecute: "powershell -File tune.ps1", tuning: { tcptimedwaitdelay: 600 } },
    });
    assert.deepEqual(await violations(tcpTimedWaitDelayRange, custom), [
      'VirtualMachineExtension "hand-written": TcpTimedWaitDelay = 600 is outside 30–300 (seconds), in settings.tuning.tcptimedwaitdelay.',
    ]);
  });
  it("checks a versioned azure-native type too", async () => {
    const versioned = { ...withDscArgument(dsc(), "TcpTimedWaitDelay", 301), type: "azure-native:compute/v20240701:VirtualMachineExtension" };
    assert.equal((await violations(tcpTimedWaitDelayRange, versioned)).length, 1);
  });
  it("does not echo a value found in protectedSettings", async () => {
    const r = dsc();
    (r.props.protectedSettings as Record<string, unknown>).TcpTimedWaitDelay = 999;
    const messages = await violations(tcpTimedWaitDelayRange, r);
    assert.equal(messages.length, 1);
    assert.ok(!messages[0].includes("999"), messages[0]);
    assert.match(messages[0], /TcpTimedWaitDelay \(protected value\) is outside 30–300 \(seconds\), in protectedSettings.TcpTimedWaitDelay/);
  });
});

describe("mailhost-max-user-port-range", () => {
  it("rejects MaxUserPort 4999", async () => {
    assert.deepEqual(await violations(maxUserPortRange, withDscArgument(dsc(), "MaxUserPort", 4999)), [
      `${DSC}: MaxUserPort = 4999 is outside 5000–65534 (port number), in settings.configurationArguments.MaxUserPort.`,
    ]);
  });
  it("accepts MaxUserPort 5000 and 65534", async () => {
    assert.deepEqual(await violations(maxUserPortRange, withDscArgument(dsc(), "MaxUserPort", 5000)), []);
    assert.deepEqual(await violations(maxUserPortRange, withParameter(runCommand(), "MaxUserPort", "65534")), []);
  });
  it("rejects MaxUserPort 65535", async () => {
    assert.deepEqual(await violations(maxUserPortRange, withParameter(runCommand(), "MaxUserPort", "65535")), [
      `${RUN}: MaxUserPort = 65535 is outside 5000–65534 (port number), in parameters[MaxUserPort].`,
    ]);
  });
});

describe("mailhost-dynamic-port-range-valid", () => {
  const range = (start: number, count: number, maxUserPort: number) =>
    withDscArgument(
      withDscArgument(withDscArgument(dsc(), "DynamicPortRangeStartPort", start), "DynamicPortRangeNumberOfPorts", count),
      "MaxUserPort",
      maxUserPort,
    );
  it("rejects 254 ports", async () => {
    assert.deepEqual(await violations(dynamicPortRange, range(65280, 254, 65533)), [
      `${DSC}: DynamicPortRangeNumberOfPorts = 254 is outside 255–64511 (ports), in settings.configurationArguments.DynamicPortRangeStartPort and settings.configurationArguments.DynamicPortRangeNumberOfPorts.`,
    ]);
  });
  it("accepts 255 ports ending at MaxUserPort", async () => assert.deepEqual(await violations(dynamicPortRange, range(65280, 255, 65534)), []));
  it("rejects a start of 1024 and accepts 1025", async () => {
    assert.equal((await violations(dynamicPortRange, range(1024, 64510, 65533))).length, 1);
    assert.deepEqual(await violations(dynamicPortRange, range(1025, 64510, 65534)), []);
  });
  it("rejects a range ending at 65536", async () => {
    assert.deepEqual(await violations(dynamicPortRange, range(10001, 55535 + 1, 65534)), [
      `${DSC}: the dynamic port range 10001–65536 (start 10001, 55536 ports) ends above port 65535, in settings.configurationArguments.DynamicPortRangeStartPort and settings.configurationArguments.DynamicPortRangeNumberOfPorts.`,
    ]);
  });
  it("rejects a range that does not end at MaxUserPort", async () => {
    const messages = await violations(dynamicPortRange, withParameter(runCommand(), "DynamicPortRangeNumberOfPorts", "16384"));
    assert.deepEqual(messages, [
      `${RUN}: the dynamic port range 10000–26383 (start 10000, 16384 ports) does not end at MaxUserPort = 65534; set the number of ports to 55535, in parameters[DynamicPortRangeStartPort] and parameters[DynamicPortRangeNumberOfPorts].`,
    ]);
  });
  it("rejects a start without a count", async () => {
    assert.deepEqual(await violations(dynamicPortRange, withParameter(runCommand(), "DynamicPortRangeNumberOfPorts", undefined)), [
      `${RUN} sets DynamicPortRangeStartPort without DynamicPortRangeNumberOfPorts; the dynamic port range needs both.`,
    ]);
  });
});

describe("mailhost-mailbox-cache-ttl-floor", () => {
  const CONTENT = "SiteConfigContentBase64Url";
  it("rejects a MailboxCacheTTL below the default floor of 300, read from the decoded SiteConfig text", async () => {
    assert.deepEqual(await violations(mailboxCacheTtlFloor, withTtl(dsc(), DEFAULTS.minimumMailboxCacheTtl - 1)), [
      `${DSC}: the SiteConfig.cfg it writes (settings.configurationArguments.${CONTENT}) sets MailboxCacheTTL = ${DEFAULTS.minimumMailboxCacheTtl - 1} is below its floor of ${DEFAULTS.minimumMailboxCacheTtl} seconds.`,
    ]);
  });
  it("rejects it on a run command too, where the text travels encoded", async () => {
    assert.deepEqual(await violations(mailboxCacheTtlFloor, withTtl(runCommand(), DEFAULTS.minimumMailboxCacheTtl - 1)), [
      `${RUN}: the SiteConfig.cfg it writes (parameters[${CONTENT}]) sets MailboxCacheTTL = ${DEFAULTS.minimumMailboxCacheTtl - 1} is below its floor of ${DEFAULTS.minimumMailboxCacheTtl} seconds.`,
    ]);
  });
  it("accepts a MailboxCacheTTL exactly at the floor", async () => {
    assert.deepEqual(await violations(mailboxCacheTtlFloor, withTtl(runCommand(), DEFAULTS.minimumMailboxCacheTtl)), []);
  });
  it("uses the configured floor", async () => {
    assert.equal((await violations(mailboxCacheTtlFloor, withTtl(runCommand(), 599), { minimumMailboxCacheTtl: 600 })).length, 1);
    assert.deepEqual(await violations(mailboxCacheTtlFloor, withTtl(runCommand(), 600), { minimumMailboxCacheTtl: 600 }), []);
  });
  it("ignores a MailboxCacheTTL number that is not in the text", async () => {
    const r = withDscArgument(withTtl(dsc(), 30), "MailboxCacheTTL", 900);
    assert.equal((await violations(mailboxCacheTtlFloor, r)).length, 1);
  });
  it("rejects SiteConfig text without MailboxCacheTTL", async () => {
    assert.deepEqual(await violations(mailboxCacheTtlFloor, withParameter(runCommand(), CONTENT, toBase64Url("[Cache]\r\nOther = 1\r\n"))), [
      `${RUN}: in the SiteConfig.cfg it writes (parameters[${CONTENT}]), MailboxCacheTTL is missing; MailboxCacheTTL must be at least ${DEFAULTS.minimumMailboxCacheTtl} seconds.`,
    ]);
  });
  it("rejects an unparsable MailboxCacheTTL", async () => {
    assert.match((await violations(mailboxCacheTtlFloor, withTtl(runCommand(), "ten minutes")))[0], /is not a whole number of seconds/);
  });
  it("rejects a value that is not base64url (raw INI text where the encoded text belongs)", async () => {
    const [violation] = await violations(mailboxCacheTtlFloor, withParameter(runCommand(), CONTENT, "[Cache]\r\nMailboxCacheTTL = 900\r\n"));
    assert.match(violation, /cannot be decoded \(not base64url: character "\[" is outside/);
  });
  it("leaves resources that write no SiteConfig.cfg to mailhost-tuning-values-readable", async () => {
    assert.deepEqual(await violations(mailboxCacheTtlFloor, withDscArgument(dsc(), CONTENT, undefined)), []);
  });
  it("rejects SiteConfigContentBase64Url that is not text", async () => {
    assert.match((await violations(mailboxCacheTtlFloor, withDscArgument(dsc(), CONTENT, 900)))[0], /is not base64url text of a SiteConfig.cfg/);
  });
});

describe("mailhost-tuning-values-readable", () => {
  it("is advisory and says nothing about our own DSC extension and run command", async () => {
    assert.equal(tuningValuesReadable.enforcementLevel, "advisory");
    assert.deepEqual(await violations(tuningValuesReadable, dsc()), []);
    assert.deepEqual(await violations(tuningValuesReadable, runCommand()), []);
    assert.deepEqual(await violations(tuningValuesReadable, nic()), []);
  });
  it("says so when a tuning resource carries no SiteConfig.cfg for the floor and capacity policies to read", async () => {
    for (const r of [withDscArgument(dsc(), "SiteConfigContentBase64Url", undefined), withParameter(runCommand(), "SiteConfigContentBase64Url", undefined)]) {
      const [finding, ...rest] = await violations(tuningValuesReadable, r);
      assert.deepEqual(rest, []);
      assert.match(finding, /carries no readable SiteConfigContentBase64Url: the MailboxCacheTTL floor and capacity policies could not check it\.$/);
    }
  });
  it("names the retired raw SiteConfigContent, which the guest no longer reads", async () => {
    const r = withDscArgument(withDscArgument(dsc(), "SiteConfigContentBase64Url", undefined), "SiteConfigContent", "[Cache]\r\nMailboxCacheTTL = 30\r\n");
    assert.match((await violations(tuningValuesReadable, r))[0], /carries SiteConfigContent, which the guest no longer reads/);
  });
  it("says so when the capacity numbers are missing", async () => {
    assert.match(
      (await violations(tuningValuesReadable, withParameter(runCommand(), "TcpTimedWaitDelay", undefined)))[0],
      /carries no readable TcpTimedWaitDelay/,
    );
  });
});

describe("advisory recommendations", () => {
  it("warns below MaxUserPort 50000 and not at it", async () => {
    assert.deepEqual(await violations(maxUserPortRecommended, withDscArgument(dsc(), "MaxUserPort", 49999)), [
      `${DSC} sets MaxUserPort = 49999 in settings.configurationArguments.MaxUserPort; at least 50000 is recommended.`,
    ]);
    assert.deepEqual(await violations(maxUserPortRecommended, withDscArgument(dsc(), "MaxUserPort", 50000)), []);
    assert.equal(maxUserPortRecommended.enforcementLevel, "advisory");
  });
  it("warns above TcpTimedWaitDelay 120 and not at it", async () => {
    assert.deepEqual(await violations(tcpTimedWaitDelayRecommended, withParameter(runCommand(), "TcpTimedWaitDelay", "121")), [
      `${RUN} sets TcpTimedWaitDelay = 121 s in parameters[TcpTimedWaitDelay]; at most 120 s is recommended.`,
    ]);
    assert.deepEqual(await violations(tcpTimedWaitDelayRecommended, withParameter(runCommand(), "TcpTimedWaitDelay", "120")), []);
    assert.equal(tcpTimedWaitDelayRecommended.enforcementLevel, "advisory");
  });
});

describe("mailhost-auto-reuse-port-range-valid", () => {
  // The fixtures' dynamic range: 10000–65534 (55535 ports).
  const dscWith = (start: number | string, count: number | string) =>
    withDscArgument(withDscArgument(dsc(), "AutoReusePortRangeStartPort", start), "AutoReusePortRangeNumberOfPorts", count);
  const runWith = (start: string, count: string) =>
    withParameter(withParameter(runCommand(), "AutoReusePortRangeStartPort", start), "AutoReusePortRangeNumberOfPorts", count);
  const assignmentWith = (start: string, count: string) =>
    withAssignmentParameter(withAssignmentParameter(gcAssignment(), "AutoReusePortRangeStartPort", start), "AutoReusePortRangeNumberOfPorts", count);
  it("accepts a range strictly inside the dynamic range in every mechanism's arguments", async () => {
    assert.deepEqual(await violations(autoReusePortRange, dscWith(40000, 20000)), []);
    assert.deepEqual(await violations(autoReusePortRange, runWith("40000", "20000")), []);
    assert.deepEqual(await violations(autoReusePortRange, assignmentWith("40000", "20000")), []);
  });
  it("rejects a range that starts below the dynamic range", async () => {
    assert.deepEqual(await violations(autoReusePortRange, dscWith(9999, 1000)), [
      `${DSC}: the auto-reuse port range 9999–10998 (start 9999, 1000 ports) is not inside the dynamic port range 10000–65534; Windows needs it strictly inside, in settings.configurationArguments.AutoReusePortRangeStartPort and settings.configurationArguments.AutoReusePortRangeNumberOfPorts.`,
    ]);
  });
  it("rejects a range that leaves fewer than the minimum of dynamic ports outside, on a run command", async () => {
    const count = 55535 - MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE + 1;
    const [message] = await violations(autoReusePortRange, runWith("10000", String(count)));
    assert.match(message, new RegExp(`leaves ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE - 1} ports .* fewer than the ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE}`));
    assert.deepEqual(await violations(autoReusePortRange, runWith("10000", String(count - 1))), []);
  });
  it("rejects a number of ports below the minimum in an assignment parameter", async () => {
    const [message] = await violations(autoReusePortRange, assignmentWith("40000", String(AUTO_REUSE_PORT_RANGE_COUNT.min - 1)));
    assert.match(message, new RegExp(`AutoReusePortRangeNumberOfPorts = ${AUTO_REUSE_PORT_RANGE_COUNT.min - 1} is outside`));
    assert.match(message, new RegExp(configurationParameterName("AutoReusePortRangeNumberOfPorts").replace(/[[\]]/g, "\\$&")));
  });
  it("rejects a start without a number of ports", async () => {
    assert.deepEqual(await violations(autoReusePortRange, withDscArgument(dsc(), "AutoReusePortRangeStartPort", 40000)), [
      `${DSC} sets AutoReusePortRangeStartPort without AutoReusePortRangeNumberOfPorts; the auto-reuse port range needs both.`,
    ]);
  });
  it("rejects a value that is not an integer", async () => {
    const [message] = await violations(autoReusePortRange, runWith("40000", "lots"));
    assert.match(message, /AutoReusePortRangeNumberOfPorts = "lots" is not an integer/);
  });
});
