import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { configSchema, defaultDynamicPortRange, parseStackConfig, schemaIssues, type StackConfigInput } from "../../../domain/config";
import {
  AUTO_REUSE_PORT_RANGE_COUNT,
  DEFAULTS,
  DYNAMIC_PORT_RANGE_COUNT,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  TCP_TIMED_WAIT_DELAY,
} from "../../../domain/limits";

/** A valid raw config; each test changes one field. */
function valid(): StackConfigInput {
  return {
    fleet: { hostCount: 2, vmSize: "Standard_D2s_v5", zones: ["1", "2"], adminUsername: "mailops", allowedImapCidrs: ["10.20.0.0/16"] },
    tcp: { tuning: "dsc", maxUserPort: 65534, tcpTimedWaitDelay: 60, dynamicPortRange: { start: 10000, count: 55535 } },
    siteConfig: { mailboxCacheTtl: 600 },
    capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
  };
}

function messagesFor(mutate: (c: any) => void): string[] {
  const config: any = structuredClone(valid());
  mutate(config);
  const result = parseStackConfig(config);
  return result.ok ? [] : result.issues.map((i) => i.message);
}

describe("stack config schema: TcpTimedWaitDelay boundaries", () => {
  it("rejects tcpTimedWaitDelay 29 with key, value and range", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelay = 29;
      }),
      ["mailhost:tcp.tcpTimedWaitDelay = 29 is outside 30–300 (seconds)."],
    );
  });
  it("accepts tcpTimedWaitDelay 30", () =>
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelay = 30;
      }),
      [],
    ));
  it("accepts tcpTimedWaitDelay 300", () =>
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelay = 300;
      }),
      [],
    ));
  it("rejects tcpTimedWaitDelay 301 with key, value and range", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelay = 301;
      }),
      ["mailhost:tcp.tcpTimedWaitDelay = 301 is outside 30–300 (seconds)."],
    );
  });
});

describe("stack config schema: MaxUserPort boundaries", () => {
  // The dynamic range must end at MaxUserPort, so each case moves both.
  const at = (port: number) => (c: any) => {
    c.tcp.maxUserPort = port;
    c.tcp.dynamicPortRange = { start: 1025, count: Math.max(255, port - 1024) };
  };
  it("rejects maxUserPort 4999", () => {
    assert.deepEqual(messagesFor(at(4999)), ["mailhost:tcp.maxUserPort = 4999 is outside 5000–65534 (port number)."]);
  });
  it("accepts maxUserPort 5000", () => assert.deepEqual(messagesFor(at(5000)), []));
  it("accepts maxUserPort 65534", () => assert.deepEqual(messagesFor(at(65534)), []));
  it("rejects maxUserPort 65535", () => {
    assert.deepEqual(messagesFor(at(65535)), ["mailhost:tcp.maxUserPort = 65535 is outside 5000–65534 (port number)."]);
  });
});

describe("stack config schema: dynamic port range boundaries", () => {
  it("rejects a dynamic port range count of 254", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.dynamicPortRange = { start: 65280, count: 254 };
      }),
      ["mailhost:tcp.dynamicPortRange.count = 254 is outside 255–64511 (ports)."],
    );
  });
  it("accepts a dynamic port range count of 255 ending at MaxUserPort", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.dynamicPortRange = { start: 65280, count: 255 };
      }),
      [],
    );
  });
  it("rejects start + count = 65536 (range ends at 65536)", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.dynamicPortRange = { start: 10000, count: 55536 };
      }),
      [
        "mailhost:tcp.dynamicPortRange = start 10000, count 55536 ends at port 65535, but it must end at mailhost:tcp.maxUserPort = 65534 (set count to 55535).",
      ],
    );
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.dynamicPortRange = { start: 10001, count: 55536 };
      }),
      ["mailhost:tcp.dynamicPortRange = start 10001, count 55536 ends at port 65536; start + count - 1 must be at most 65535."],
    );
  });
  it("rejects a dynamic port range start of 1024", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.dynamicPortRange = { start: 1024, count: 64511 };
      }),
      ["mailhost:tcp.dynamicPortRange.start = 1024 is outside 1025–65281 (port number)."],
    );
  });
  it("rejects a range that does not end at MaxUserPort", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.dynamicPortRange = { start: 49152, count: 16000 };
      }),
      [
        "mailhost:tcp.dynamicPortRange = start 49152, count 16000 ends at port 65151, but it must end at mailhost:tcp.maxUserPort = 65534 (set count to 16383).",
      ],
    );
  });
  it("defaults the range to 10000..maxUserPort", () => {
    const result = parseStackConfig({ ...valid(), tcp: { tuning: "dsc", maxUserPort: 60000 } });
    assert.ok(result.ok);
    assert.deepEqual(result.config.tcp.dynamicPortRange, { start: DEFAULTS.dynamicPortRangeStart, count: 60000 - DEFAULTS.dynamicPortRangeStart + 1 });
  });
  it("defaults the range to start at 1025 when MaxUserPort is too low for 10000", () => {
    const result = parseStackConfig({ ...valid(), tcp: { tuning: "dsc", maxUserPort: MAX_USER_PORT.min } });
    assert.ok(result.ok);
    assert.deepEqual(result.config.tcp.dynamicPortRange, { start: 1025, count: MAX_USER_PORT.min - 1024 });
  });
});

describe("stack config: defaults", () => {
  /** Every `default:` the schema states, with the key path of its setting (a default inside a defaulted section included). */
  function schemaDefaults(node: any, path: string[] = []): Array<{ path: string[]; value: unknown }> {
    const own = node.default !== undefined && path.length > 0 ? [{ path, value: node.default }] : [];
    const children = Object.entries(node.properties ?? {}).flatMap(([key, child]) => schemaDefaults(child, [...path, key]));
    return [...own, ...children];
  }
  const at = (value: any, path: readonly string[]) => path.reduce((v, key) => v?.[key], value);
  const minimal = (): StackConfigInput => ({
    fleet: { hostCount: 2, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.20.0.0/16"] },
    tcp: { tuning: "dsc" },
    siteConfig: { mailboxCacheTtl: 600 },
    capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
  });

  it("gives every setting left out the schema's default", () => {
    const result = parseStackConfig(minimal());
    assert.ok(result.ok);
    const defaults = schemaDefaults(configSchema);
    assert.ok(defaults.length > 20, `${defaults.length} defaults`);
    for (const { path, value } of defaults) {
      // A defaulted section holds its children's defaults, not the literal {} it starts as.
      if (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length === 0 &&
        at(configSchema, [...path.flatMap((k) => ["properties", k]), "properties"]) !== undefined
      )
        continue;
      assert.deepEqual(at(result.config, path), value, path.join("."));
    }
  });
  it("derives the dynamic port range from MaxUserPort, the one default written in code", () => {
    const result = parseStackConfig({ ...minimal(), tcp: { tuning: "dsc", maxUserPort: 20000 } });
    assert.ok(result.ok);
    assert.deepEqual(result.config.tcp.dynamicPortRange, defaultDynamicPortRange(20000));
  });
  it("neither changes the input nor shares a default between two configs", () => {
    const input = minimal();
    const copy = structuredClone(input);
    const [a, b] = [parseStackConfig(input), parseStackConfig(input)];
    assert.deepEqual(input, copy);
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.config.fleet.zones, b.config.fleet.zones);
    assert.notEqual(a.config.monitoring.alerts, b.config.monitoring.alerts);
  });
  it("lists the keys in the schema's order, whatever order the file wrote them in", () => {
    const input = minimal();
    const reversed = Object.fromEntries(
      Object.entries(input)
        .reverse()
        .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]),
    );
    const [a, b] = [parseStackConfig(input), parseStackConfig(reversed)];
    assert.ok(a.ok && b.ok);
    assert.equal(JSON.stringify(b.config), JSON.stringify(a.config));
    assert.deepEqual(
      Object.keys(a.config.tcp),
      Object.keys(configSchema.properties.tcp.properties).filter((k) => k !== "autoReusePortRange"),
    );
  });
});

describe("stack config schema: malformed input", () => {
  it("rejects a non-integer with the allowed range", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelay = 30.5;
      }),
      ["mailhost:tcp.tcpTimedWaitDelay = 30.5 is not an integer; allowed 30–300 (seconds)."],
    );
  });
  it("rejects a numeric string, showing it quoted", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelay = "301";
      }),
      ['mailhost:tcp.tcpTimedWaitDelay = "301" is not an integer; allowed 30–300 (seconds).'],
    );
  });
  it("rejects a negative number", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.maxUserPort = -1;
        c.tcp.dynamicPortRange = undefined;
      }),
      ["mailhost:tcp.maxUserPort = -1 is outside 5000–65534 (port number)."],
    );
  });
  it("rejects a missing required key", () => {
    assert.deepEqual(
      messagesFor((c) => {
        delete c.fleet.adminUsername;
      }),
      [
        "mailhost:fleet.adminUsername is missing; it is required (Local administrator name (1–20 characters, not a reserved name such as admin or administrator)).",
      ],
    );
  });
  it("rejects a missing section", () => {
    assert.deepEqual(
      messagesFor((c) => {
        delete c.capacity;
      }),
      ["mailhost:capacity is missing; it is required (Planned load on one host, for the capacity model)."],
    );
  });
  it("rejects an unknown key (a typo) and names the known ones", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tcpTimedWaitDelai = 30;
      }),
      [
        "mailhost:tcp.tcpTimedWaitDelai is not a known setting; known settings of mailhost:tcp: tuning, maxUserPort, tcpTimedWaitDelay, dynamicPortRange, autoReusePortRange.",
      ],
    );
  });
  it("rejects an unknown tuning mechanism", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.tcp.tuning = "ansible";
      }),
      [`mailhost:tcp.tuning = "ansible" is not allowed; allowed: dsc, runCommand, machineConfiguration.`],
    );
  });
  it("accepts Windows Server 2025 with Machine Configuration tuning", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.fleet.windowsVersion = "2025";
        c.tcp.tuning = "machineConfiguration";
      }),
      [],
    );
  });
  it("rejects Windows Server 2025 with DSC tuning", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.fleet.windowsVersion = "2025";
      }),
      [
        'mailhost:fleet.windowsVersion = "2025" is not supported by the DSC extension (documented up to 2022); use mailhost:tcp.tuning = machineConfiguration or runCommand.',
      ],
    );
  });
  it("rejects a reserved admin name", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.fleet.adminUsername = "Administrator";
      }),
      ['mailhost:fleet.adminUsername = "Administrator" is a name Azure does not accept for a VM administrator.'],
    );
  });
  it("rejects a fleet that does not fit its subnet", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.fleet.hostCount = 12;
        c.fleet.addressPrefix = "10.0.0.0/28";
      }),
      ['mailhost:fleet.hostCount = 12 does not fit mailhost:fleet.addressPrefix = "10.0.0.0/28", which holds 11 hosts.'],
    );
  });
  it("rejects a SiteConfig.cfg on D:, Azure's temporary disk", () => {
    assert.deepEqual(
      messagesFor((c) => {
        c.siteConfig.path = "D:\\MailFrontEnd\\SiteConfig.cfg";
      }),
      [
        'mailhost:siteConfig.path = "D:\\\\MailFrontEnd\\\\SiteConfig.cfg" is on D:, Azure\'s temporary disk: it is wiped on redeploy and absent on sizes without one; use C: (default C:\\ProgramData\\MailFrontEnd\\SiteConfig.cfg).',
      ],
    );
  });
  it("reports every problem at once", () => {
    const messages = messagesFor((c) => {
      c.tcp.tcpTimedWaitDelay = 301;
      c.fleet.hostCount = 0;
      c.capacity.utilization = 1.5;
      delete c.fleet.vmSize;
    });
    assert.equal(messages.length, 4, messages.join("\n"));
  });
  it("rejects a config that is not a map", () => {
    assert.deepEqual(
      schemaIssues("fleet: 1").map((i) => i.message),
      ['mailhost = "fleet: 1" is not a map; allowed a map.'],
    );
  });
});

describe("stack config schema: properties", () => {
  it("accepts every TcpTimedWaitDelay inside the range and rejects every one outside, naming the range", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 100_000 }), (value) => {
        const messages = messagesFor((c) => {
          c.tcp.tcpTimedWaitDelay = value;
        });
        const inside = value >= TCP_TIMED_WAIT_DELAY.min && value <= TCP_TIMED_WAIT_DELAY.max;
        assert.deepEqual(messages, inside ? [] : [`mailhost:tcp.tcpTimedWaitDelay = ${value} is outside 30–300 (seconds).`]);
      }),
    );
  });
  it("accepts a dynamic port range exactly when it is valid and ends at MaxUserPort", () => {
    // Half the cases sit within a few ports of a range ending at MaxUserPort, where the edges are.
    const nearEdge = fc.tuple(fc.integer({ min: 1000, max: 65300 }), fc.integer({ min: -2, max: 2 })).map(([start, d]) => [start, 65535 - start + d] as const);
    const anywhere = fc.tuple(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 70000 }));
    fc.assert(
      fc.property(fc.oneof(nearEdge, anywhere), ([start, count]) => {
        const result = parseStackConfig({ ...valid(), tcp: { tuning: "runCommand", maxUserPort: 65534, dynamicPortRange: { start, count } } });
        const expected =
          start >= 1025 && start <= 65281 && count >= DYNAMIC_PORT_RANGE_COUNT.min && count <= DYNAMIC_PORT_RANGE_COUNT.max && start + count - 1 === 65534;
        assert.equal(result.ok, expected);
        if (!result.ok)
          assert.ok(
            result.issues.every((i) => i.message.startsWith("mailhost:tcp.dynamicPortRange")),
            JSON.stringify(result.issues),
          );
      }),
      { numRuns: 500 },
    );
  });
  it("never throws and always names a mailhost: key, whatever JSON it is given", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (fleet, tcp) => {
        const result = parseStackConfig({ ...valid(), fleet, tcp });
        if (!result.ok) for (const issue of result.issues) assert.match(issue.message, /^mailhost(:|\b)/);
      }),
    );
  });
});

describe("stack config: tcp.autoReusePortRange", () => {
  // valid(): dynamic range 10000–65534 (55535 ports).
  const withRange = (start: number, count: number) => (c: any) => {
    c.tcp.autoReusePortRange = { start, count };
  };
  it("is optional: left out, the config has none (the hosts' setting is left alone)", () => {
    const result = parseStackConfig(valid());
    assert.ok(result.ok);
    assert.equal(result.config.tcp.autoReusePortRange, undefined);
  });
  it("accepts a range strictly inside the dynamic range and keeps it", () => {
    const config: any = structuredClone(valid());
    withRange(40000, 20000)(config);
    const result = parseStackConfig(config);
    assert.ok(result.ok);
    assert.deepEqual(result.config.tcp.autoReusePortRange, { start: 40000, count: 20000 });
  });
  it("rejects a count below the minimum with key, value and range", () => {
    assert.deepEqual(messagesFor(withRange(40000, AUTO_REUSE_PORT_RANGE_COUNT.min - 1)), [
      `mailhost:tcp.autoReusePortRange.count = ${AUTO_REUSE_PORT_RANGE_COUNT.min - 1} is outside ${AUTO_REUSE_PORT_RANGE_COUNT.min}–${AUTO_REUSE_PORT_RANGE_COUNT.max} (ports).`,
    ]);
  });
  it("rejects a range that starts below the dynamic range", () => {
    assert.deepEqual(messagesFor(withRange(9999, 1000)), [
      "mailhost:tcp.autoReusePortRange = start 9999, count 1000: the auto-reuse port range 9999–10998 (start 9999, 1000 ports) is not inside the dynamic port range 10000–65534; Windows needs it strictly inside.",
    ]);
  });
  it("rejects a range that ends above the dynamic range", () => {
    assert.match(messagesFor(withRange(65000, 1000))[0], /ends above port 65535|is not inside the dynamic port range/);
  });
  it("keeps the minimum of dynamic ports outside the range: one port fewer outside is rejected", () => {
    const count = 55535 - MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE;
    assert.deepEqual(messagesFor(withRange(10000, count)), []);
    const [message] = messagesFor(withRange(10000, count + 1));
    assert.match(
      message,
      new RegExp(
        `leaves ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE - 1} ports .* fewer than the ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} .* use at most ${count} ports`,
      ),
    );
  });
  it("a range equal to the dynamic range is not a strict subset", () => {
    assert.equal(messagesFor(withRange(10000, 55535)).length, 1);
  });
  it("property: accepted exactly when inside the dynamic range with the minimum left outside", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1025, max: 65281 }),
        fc.integer({ min: AUTO_REUSE_PORT_RANGE_COUNT.min, max: AUTO_REUSE_PORT_RANGE_COUNT.max }),
        (start, count) => {
          const ok = start >= 10000 && start + count - 1 <= 65534 && 55535 - count >= MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE;
          assert.equal(messagesFor(withRange(start, count)).length === 0, ok, `${start}+${count}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});
