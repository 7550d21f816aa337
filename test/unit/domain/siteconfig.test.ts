import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as fc from "fast-check";
import * as ini from "ini";
import { ConfigValidationError } from "../../../domain/issues";
import { readMailboxCacheTtl, renderSiteConfig, type SiteConfigSettings } from "../../../domain/siteconfig";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import { requireStackConfig } from "../../../domain/config";
import { planFleet } from "../../../domain/plan";
import { REPO_ROOT, stackFileConfig } from "../../support/stacks";

const template = loadSiteConfigTemplate();
const render = (settings: SiteConfigSettings, mailboxCacheTtl = 900, ttlFloor = 300) => renderSiteConfig({ template, settings, mailboxCacheTtl, ttlFloor });

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigValidationError, String(err));
    return err.issues.map((i) => i.message).join("\n");
  }
  assert.fail("expected a ConfigValidationError");
}

describe("SiteConfig.cfg rendering", () => {
  it("writes MailboxCacheTTL from config into [Cache] and keeps the template's other keys", () => {
    const parsed = ini.parse(render({}, 1200));
    assert.equal(parsed.Cache.MailboxCacheTTL, "1200");
    assert.equal(parsed.Imap.BackendPort, "993");
    assert.deepEqual(Object.keys(parsed), ["Service", "Imap", "Cache", "Logging"]);
  });
  it("overrides template keys case-insensitively and adds new ones", () => {
    const parsed = ini.parse(render({ imap: { backendport: 143, Extra: "x" }, NewSection: { Key: true } }));
    assert.equal(parsed.Imap.BackendPort, "143");
    assert.equal(parsed.Imap.Extra, "x");
    assert.equal(parsed.NewSection.Key, true);
  });
  it("uses CRLF line endings and is byte-identical for the same input", () => {
    const a = render({ Imap: { BackendServers: "a,b" } });
    const b = render({ Imap: { BackendServers: "a,b" } });
    assert.equal(a, b);
    assert.ok(a.includes("\r\n"));
    assert.ok(!/[^\r]\n/.test(a), "every newline is CRLF");
  });
  it("rejects MailboxCacheTTL under the host's floor, naming value and floor", () => {
    assert.equal(
      rejection(() => render({}, 299, 300)),
      "mailhost:siteConfig.mailboxCacheTtl = 299 is outside 300–86400 (seconds): it must be a whole number at or above the host's MailboxCacheTTL floor of 300.",
    );
  });
  it("accepts MailboxCacheTTL exactly at the floor", () => {
    assert.equal(readMailboxCacheTtl(render({}, 300, 300)).ok, true);
  });
  it("rejects MailboxCacheTTL set through settings instead of mailboxCacheTtl", () => {
    assert.match(
      rejection(() => render({ Cache: { mailboxcachettl: 5 } })),
      /set MailboxCacheTTL with mailhost:siteConfig.mailboxCacheTtl/,
    );
  });
  for (const [label, value] of [
    ["a newline", "x\ny"],
    ["a carriage return", "x\rInjected=1"],
    ["a NUL", "x\u0000"],
    ["a tab", "x\ty"],
    ["a line separator", "x\u2028[evil]"],
  ] as const) {
    it(`rejects a value with ${label}`, () => {
      assert.match(
        rejection(() => render({ Imap: { BackendServers: value } })),
        /mailhost:siteConfig.settings.Imap.BackendServers contains a line break or control character/,
      );
    });
  }
  for (const key of ["a=b", "a;b", "[a]", "a]", "a b", "#a", "", "__proto__", "a[]"]) {
    it(`rejects the key ${JSON.stringify(key)}`, () => {
      assert.match(
        rejection(() => render({ Imap: { [key]: "1" } })),
        /key name .* is not allowed/,
      );
    });
  }
  for (const section of ["a.b", "a]b", "[a", "a=b", "a;b", "__proto__"]) {
    it(`rejects the section ${JSON.stringify(section)}`, () => {
      assert.match(
        rejection(() => render({ [section]: { Key: "1" } })),
        /section name .* is not allowed/,
      );
    });
  }
  it("rejects keys that differ only in case", () => {
    assert.match(
      rejection(() => render({ Imap: { Port: 1, port: 2 } })),
      /repeats "Port"/,
    );
  });
  it("writes plain values verbatim (paths, lists, host names)", () => {
    for (const value of ["C:\\path\\file", "imap-a.mail.internal,imap-b.mail.internal", "a b", "x]y", "100%"]) {
      const text = render({ Imap: { Value: value } });
      assert.ok(text.includes(`Value = ${value}\r\n`), `verbatim ${JSON.stringify(value)}`);
      assert.equal(ini.parse(text).Imap.Value, value);
    }
  });
  for (const value of ["a=b", "x;y", "#z", "a\\;b", "[not a section]", '"quoted"', "'single'", " padded", "padded "]) {
    it(`rejects ${JSON.stringify(value)}, which the ini package would quote or escape and other INI readers would read literally`, () => {
      assert.match(
        rejection(() => render({ Imap: { Value: value } })),
        /cannot be written verbatim to an INI file/,
      );
    });
  }
  for (const [key, value] of [
    ["BackendPassword", "x"],
    ["ApiKey", "x"],
    ["Endpoint", "https://st.blob.core.windows.net/c?sv=1&sig=abc"],
  ] as const) {
    it(`rejects a credential in SiteConfig.cfg (${key}) without showing it`, () => {
      const message = rejection(() => render({ Imap: { [key]: value } }));
      assert.match(message, /looks like a credential \(value not shown\)/);
      assert.ok(!message.includes("sig=abc"));
    });
  }
});

describe("SiteConfig.cfg rendering: properties", () => {
  const name = fc
    .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,10}$/)
    .filter((n) => !["__proto__", "constructor", "prototype"].includes(n) && n.toLowerCase() !== "mailboxcachettl");
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
    fc.constantFrom("a=b", "[x]", "x;y", "#", "\\", "\r\n[evil]\r\nk=v", "'q'", '"q"'),
  );
  const settings = fc.dictionary(name, fc.dictionary(name, value, { maxKeys: 4 }), { maxKeys: 4 });

  it("random settings either render to an INI that parses to exactly what was intended, or are rejected with a clear error", () => {
    fc.assert(
      fc.property(settings, (s) => {
        let text: string;
        try {
          text = render(s);
        } catch (err) {
          assert.ok(err instanceof ConfigValidationError, `unexpected ${String(err)}`);
          assert.ok(err.issues.length > 0 && err.issues.every((i) => i.message.startsWith("mailhost:siteConfig.settings.")), err.message);
          return;
        }
        const parsed = ini.parse(text) as Record<string, Record<string, unknown>>;
        for (const [section, keys] of Object.entries(s)) {
          if (Object.keys(keys).length === 0) continue;
          const actualSection = Object.keys(parsed).find((k) => k.toLowerCase() === section.toLowerCase());
          assert.ok(actualSection !== undefined, `section ${section} present`);
          for (const [key, v] of Object.entries(keys)) {
            const actualKey: string | undefined = Object.keys(parsed[actualSection]).find((k) => k.toLowerCase() === key.toLowerCase());
            assert.ok(actualKey !== undefined, `key ${key} present`);
            assert.equal(String(parsed[actualSection][actualKey]), String(v));
          }
        }
        // Nothing was injected: the only sections are the template's and the requested ones.
        const expectedSections = new Set(
          [...Object.keys(ini.parse(template)), ...Object.keys(s).filter((k) => Object.keys(s[k]).length > 0)].map((k) => k.toLowerCase()),
        );
        assert.deepEqual(new Set(Object.keys(parsed).map((k) => k.toLowerCase())), expectedSections);
        assert.deepEqual(readMailboxCacheTtl(text), { ok: true, value: 900 });
      }),
      { numRuns: 300 },
    );
  });
  it("renders the same bytes for the same input", () => {
    fc.assert(
      fc.property(settings, (s) => {
        let first: string | undefined;
        try {
          first = render(s);
        } catch {
          return;
        }
        assert.equal(render(structuredClone(s)), first);
      }),
      { numRuns: 100 },
    );
  });
});

describe("reading MailboxCacheTTL back from SiteConfig text", () => {
  it("reads it from any section, without regard to case", () => {
    assert.deepEqual(readMailboxCacheTtl("[x]\r\nmailboxcachettl = 42\r\n"), { ok: true, value: 42 });
  });
  it("takes the lowest when it appears twice", () => {
    assert.deepEqual(readMailboxCacheTtl("[a]\nMailboxCacheTTL=900\n[b]\nMailboxCacheTTL=30\n"), { ok: true, value: 30 });
  });
  it("reports a missing value", () => assert.deepEqual(readMailboxCacheTtl("[a]\nx=1\n"), { ok: false, reason: "MailboxCacheTTL is missing" }));
  it("reports a value that is not a whole number", () => {
    assert.deepEqual(readMailboxCacheTtl("[Cache]\nMailboxCacheTTL=15m\n"), { ok: false, reason: 'MailboxCacheTTL = "15m" is not a whole number of seconds' });
  });
});

describe("golden SiteConfig.cfg for prod", () => {
  it("renders prod's SiteConfig.cfg byte for byte as test/golden/SiteConfig.prod.cfg", () => {
    const raw = Object.fromEntries(
      Object.entries(stackFileConfig("prod"))
        .filter(([k]) => k.startsWith("mailhost:"))
        .map(([k, v]) => [k.slice("mailhost:".length), v]),
    );
    const plan = planFleet("prod", requireStackConfig(raw), template);
    const golden = path.join(REPO_ROOT, "test", "golden", "SiteConfig.prod.cfg");
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, plan.tuning.siteConfigContent);
    assert.equal(plan.tuning.siteConfigContent, fs.readFileSync(golden, "utf8"));
  });
});

describe("values that would not read back as written", () => {
  it("rejects a value that starts with a quote, which an INI reader takes as an opening quote", () => {
    for (const v of ["'", '"', "'x", '"x']) {
      assert.throws(
        () => render({ Imap: { Banner: v } }),
        (err: unknown) => err instanceof ConfigValidationError && /cannot be written verbatim/.test(err.message),
        v,
      );
    }
  });
  it("accepts a quote inside a value, which reads back unchanged", () => {
    const text = render({ Imap: { Banner: "it's" } });
    assert.equal((ini.parse(text) as Record<string, Record<string, string>>).Imap.Banner, "it's");
  });
});
