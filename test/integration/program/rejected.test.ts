import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runStack, stackConfigWithSecret, withValue } from "../../support/stacks";

/** Runs prod with one change; returns the error text and what was registered besides the stack itself. */
async function runProdWith(config: Record<string, unknown>): Promise<{ message: string; registered: string[] }> {
  const registered: string[] = [];
  try {
    const run = await runStack("prod", config);
    return { message: "", registered: run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type) };
  } catch (err) {
    return { message: (err as Error).message, registered };
  }
}

const prod = () => stackConfigWithSecret("prod");
const tcp = (field: string, value: unknown) => withValue(prod(), "mailhost:tcp", field, value);

async function expectRejected(config: Record<string, unknown>, expected: string): Promise<void> {
  const registered: string[] = [];
  let message = "";
  try {
    const run = await runStack("prod", config);
    registered.push(...run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type} ${r.name}`));
  } catch (err) {
    message = (err as Error).message;
  }
  assert.ok(message.includes(expected), `expected the error to contain:\n  ${expected}\ngot:\n  ${message}`);
  assert.match(message, /^Invalid configuration for stack "prod" \(\d+ problems?\):/);
  assert.deepEqual(registered, [], "no resource is registered for a rejected stack");
}

async function expectAccepted(config: Record<string, unknown>): Promise<void> {
  const { message, registered } = await runProdWith(config);
  assert.equal(message, "");
  assert.ok(registered.includes("azure-native:compute:VirtualMachine"));
}

describe("a rejected stack registers no resource and says why", () => {
  it("TcpTimedWaitDelay 29 is rejected", () =>
    expectRejected(tcp("tcpTimedWaitDelay", 29), "mailhost:tcp.tcpTimedWaitDelay = 29 is outside 30–300 (seconds)."));
  it("TcpTimedWaitDelay 30 is accepted", () => expectAccepted(tcp("tcpTimedWaitDelay", 30)));
  it("TcpTimedWaitDelay 300 is accepted", () => expectAccepted(tcp("tcpTimedWaitDelay", 300)));
  it("TcpTimedWaitDelay 301 is rejected", () =>
    expectRejected(tcp("tcpTimedWaitDelay", 301), "mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds)."));

  const port = (value: number) =>
    withValue(withValue(prod(), "mailhost:tcp", "maxUserPort", value), "mailhost:tcp", "dynamicPortRange", { start: 1025, count: Math.max(255, value - 1024) });
  it("MaxUserPort 4999 is rejected", () => expectRejected(port(4999), "mailhost:tcp.maxUserPort = 4999 is outside 5000–65534 (port number)."));
  it("MaxUserPort 5000 is accepted", () => expectAccepted(port(5000)));
  it("MaxUserPort 65534 is accepted", () => expectAccepted(port(65534)));
  it("MaxUserPort 65535 is rejected", () => expectRejected(port(65535), "mailhost:tcp.maxUserPort = 65535 is outside 5000–65534 (port number)."));

  it("dynamic port range count 254 is rejected", () =>
    expectRejected(tcp("dynamicPortRange", { start: 65280, count: 254 }), "mailhost:tcp.dynamicPortRange.count = 254 is outside 255–64511 (ports)."));
  // 255 ports hold far less load: the capacity model needs a smaller load for the prod TTL.
  it("dynamic port range count 255 is accepted", () =>
    expectAccepted(withValue(tcp("dynamicPortRange", { start: 65280, count: 255 }), "mailhost:capacity", "activeSessionsPerHost", 1000)));
  it("dynamic port range with start + count = 65536 is rejected", () =>
    expectRejected(
      withValue(tcp("dynamicPortRange", { start: 10001, count: 55535 }), "mailhost:tcp", "maxUserPort", 65534),
      "mailhost:tcp.dynamicPortRange = start 10001, count 55535 ends at port 65535, but it must end at mailhost:tcp.maxUserPort = 65534 (set count to 55534).",
    ));
  it("dynamic port range ending past 65535 is rejected", () =>
    expectRejected(tcp("dynamicPortRange", { start: 10001, count: 55536 }), "start + count - 1 must be at most 65535."));

  it("a non-integer is rejected", () =>
    expectRejected(tcp("tcpTimedWaitDelay", 60.5), "mailhost:tcp.tcpTimedWaitDelay = 60.5 is not an integer; allowed 30–300 (seconds)."));
  it("a numeric string is rejected", () =>
    expectRejected(tcp("tcpTimedWaitDelay", "60"), 'mailhost:tcp.tcpTimedWaitDelay = "60" is not an integer; allowed 30–300 (seconds).'));
  it("a negative number is rejected", () =>
    expectRejected(withValue(prod(), "mailhost:fleet", "hostCount", -3), "mailhost:fleet.hostCount = -3 is outside 1–1000 (hosts)."));
  it("a missing required key is rejected", () =>
    expectRejected(withValue(prod(), "mailhost:siteConfig", "mailboxCacheTtl", undefined), "mailhost:siteConfig.mailboxCacheTtl is missing; it is required"));
  it("a missing section is rejected", () => {
    const config = prod();
    delete config["mailhost:capacity"];
    return expectRejected(config, "mailhost:capacity is missing; it is required");
  });
  it("an unknown key inside a section is rejected", () => expectRejected(tcp("maxUserPorts", 65534), "mailhost:tcp.maxUserPorts is not a known setting"));
  it("an unknown top-level key is rejected", () =>
    expectRejected(
      { ...prod(), "mailhost:tpc": { tuning: "dsc" } },
      "mailhost:tpc is not a known setting. Did you mean mailhost:tcp? Known settings: mailhost:fleet, mailhost:tcp, mailhost:siteConfig, mailhost:capacity, mailhost:egress, mailhost:monitoring, mailhost:adminPassword, mailhost:alertWebhookUrl.",
    ));
  it("MailboxCacheTTL under the configured floor is rejected", () =>
    expectRejected(
      withValue(prod(), "mailhost:siteConfig", "mailboxCacheTtl", 599),
      "mailhost:siteConfig.mailboxCacheTtl = 599 is outside 600–86400 (seconds): it must be a whole number at or above the host's MailboxCacheTTL floor of 600.",
    ));
  it("MailboxCacheTTL under the capacity-derived floor is rejected, with the reason", () =>
    expectRejected(
      withValue(withValue(prod(), "mailhost:capacity", "activeSessionsPerHost", 5_000_000), "mailhost:siteConfig", "mailboxCacheTtl", 900),
      // S * T / (u * P) = 5,000,000 * 30 / (0.7 * 55535) = 3858.6: one port pool per host, the 4 back ends share it.
      "The floor comes from the capacity model (one port pool per host, no auto-reuse port range): 5000000 sessions with TcpTimedWaitDelay 30 s and 55535 ports at utilisation 0.7 need MailboxCacheTTL >= 3859 s (S * T / (u * P); the 4 back-end endpoint(s) share the pool).",
    ));
  it("a configured floor below 60 is rejected", () =>
    expectRejected(
      withValue(prod(), "mailhost:siteConfig", "minimumMailboxCacheTtl", 59),
      "mailhost:siteConfig.minimumMailboxCacheTtl = 59 is outside 60–86400 (seconds).",
    ));
  it("an INI injection in settings is rejected", () =>
    expectRejected(
      withValue(prod(), "mailhost:siteConfig", "settings", { Imap: { BackendServers: "x\r\n[Cache]\r\nMailboxCacheTTL=1" } }),
      "mailhost:siteConfig.settings.Imap.BackendServers contains a line break or control character, which could inject INI structure; it is not allowed.",
    ));
  it("a missing admin password is rejected", () => {
    const config = prod();
    delete config["mailhost:adminPassword"];
    return expectRejected(config, "mailhost:adminPassword is missing; set it with `pulumi config set --secret mailhost:adminPassword`.");
  });
  it("a weak admin password is rejected without being shown", async () => {
    const config = { ...prod(), "mailhost:adminPassword": "weakpassword" };
    await expectRejected(config, "mailhost:adminPassword (secret, value not shown) must be 12–123 characters with at least 3 of");
    const { message } = await runProdWith(config);
    assert.ok(!message.includes("weakpassword"));
  });
});
