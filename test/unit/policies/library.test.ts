/**
 * The policies as a library (`mailhost-iac/policies`): one policy per rule, named by the rule; the
 * levels the committed stacks give each rule (default and policy configs) are the ones each rule
 * had before; options set a level by rule name and the values rules need, and are refused with a
 * message naming the option, the value and the range; each library policy reports exactly what
 * its rule reports, with the values the options (or the stack) give it.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../../policies/all";
import { MAILHOST_RULE_NAMES, MailhostPolicyOptionsError, type MailhostRuleName, defaultLevelOf, mailhostPolicies, ruleOf } from "../../../policies/library";
import { stackLoad, stackTtlFloor } from "../../../policies/lib/stackConfig";
import {
  ACTIVE_SESSIONS_PER_HOST,
  BACKEND_ENDPOINTS,
  DEFAULTS,
  MAILBOX_CACHE_TTL,
  MAX_USER_PORT,
  RECOMMENDED,
  TCP_TIMED_WAIT_DELAY,
  formatRange,
} from "../../../domain/limits";
import { capacity } from "../../../policies/rules/capacity";
import { mailboxCacheTtlFloor } from "../../../policies/rules/mailboxCacheTtlFloor";
import { maxUserPortRecommended } from "../../../policies/rules/recommended";
import { levelIn } from "../../../scripts/policyTable";
import { REPO_ROOT } from "../../support/stacks";
import type { TestResource } from "./harness";
import { dsc, resourceCases, stackCases, vm, withDscArgument, withTtl } from "./fixtures";

/**
 * The level of every rule when the pack was last made of one policy per rule, and under the
 * groups since: the pack's default and the committed policy configs (dev, staging, prod).
 */
const LEVELS_BEFORE: Record<string, readonly [string, string, string, string]> = {
  "mailhost-tcp-timed-wait-delay-range": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-max-user-port-range": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-dynamic-port-range-valid": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-auto-reuse-port-range-valid": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-script-tuning-range": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-guest-configuration-content-hash": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-guest-configuration-content-uri-https": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-nic-no-public-ip": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-nsg-no-remote-management-from-internet": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-secrets-only-in-protected-settings": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-mailbox-cache-ttl-floor": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-alert-rule-has-action-group": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-tuning-values-readable": ["advisory", "advisory", "advisory", "advisory"],
  "mailhost-max-user-port-recommended": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-tcp-timed-wait-delay-recommended": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-vm-has-one-tuning": ["mandatory", "mandatory", "mandatory", "mandatory"],
  "mailhost-capacity-sustains-load": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-vm-has-monitoring-agent": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-vm-has-data-collection-rule-association": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-port-usage-alert": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-subnet-explicit-outbound": ["mandatory", "advisory", "mandatory", "mandatory"],
  "mailhost-script-tuning-verifiable": ["advisory", "advisory", "advisory", "advisory"],
  "mailhost-guest-configuration-applies": ["advisory", "advisory", "mandatory", "mandatory"],
  "mailhost-collects-tuning-corrections": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-tuning-correction-alert": ["advisory", "advisory", "advisory", "mandatory"],
  "mailhost-nat-gateway-alerts": ["advisory", "advisory", "advisory", "mandatory"],
};
const STACKS = ["dev", "staging", "prod"] as const;

type Rule = ResourceValidationPolicy | StackValidationPolicy;
/** A violation as the SDK turns a report into a diagnostic (its makeReportViolationFun). */
interface Diagnostic {
  policyName: string;
  description: string;
  message: string;
  urn?: string;
  enforcementLevel?: string;
}

function sdkReport(policy: Rule, out: Diagnostic[]) {
  return ((m: string | { message?: string; description?: string; urn?: string; enforcementLevel?: string }, urn?: string) => {
    const level = policy.enforcementLevel ?? "advisory";
    if (typeof m === "object")
      out.push({
        policyName: policy.name,
        message: m.message ?? m.description ?? policy.description,
        description: m.description ?? policy.description,
        urn: m.urn,
        enforcementLevel: m.enforcementLevel ?? level,
      });
    else
      out.push({
        policyName: policy.name,
        message: m ? `${policy.description}\n${m}` : policy.description,
        description: policy.description,
        urn,
        enforcementLevel: level,
      });
  }) as never;
}

const urnOf = (r: TestResource) => `urn:pulumi:test::mailhost::${r.type}::${r.name}`;

/** Runs a resource policy as the SDK does; `config` is what `args.getConfig()` gives (the library's policies ignore it). */
async function runResource(policy: ResourceValidationPolicy, r: TestResource, config: object = {}): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const validate = policy.validateResource;
  for (const v of validate === undefined ? [] : Array.isArray(validate) ? validate : [validate]) {
    await v(
      {
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        props: structuredClone(r.props),
        opts: {} as never,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: () => {
          throw new Error("not applicable");
        },
      },
      sdkReport(policy, out),
    );
  }
  return out;
}

async function runStack(policy: StackValidationPolicy, resources: TestResource[], config: object = {}): Promise<Diagnostic[]> {
  const cache = new Map<TestResource, PolicyResource>();
  const convert = (r: TestResource): PolicyResource => {
    const existing = cache.get(r);
    if (existing) return existing;
    const out = {
      type: r.type,
      name: r.name,
      urn: urnOf(r),
      props: structuredClone(r.props),
      opts: {} as never,
      dependencies: [],
      propertyDependencies: {},
    } as unknown as PolicyResource;
    cache.set(r, out);
    out.dependencies = (r.dependencies ?? []).map(convert);
    return out;
  };
  const out: Diagnostic[] = [];
  await policy.validateStack(
    {
      resources: resources.map(convert),
      stackTags: new Map(),
      getConfig: <T extends object>() => config as T,
      notApplicable: () => {
        throw new Error("not applicable");
      },
    },
    sdkReport(policy, out),
  );
  return out;
}

/** Every rule object policies/rules exports, by name: the rules as written, before the library wraps them. */
const RULES_DIR = path.join(REPO_ROOT, "policies", "rules");
const RAW_RULES = new Map<string, Rule>(
  fs
    .readdirSync(RULES_DIR)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => Object.values(require(path.join(RULES_DIR, f)) as Record<string, unknown>))
    .filter((v): v is Rule => typeof v === "object" && v !== null && typeof (v as Rule).name === "string" && ("validateResource" in v || "validateStack" in v))
    .map((r) => [r.name, r]),
);

const byName = (list: ReturnType<typeof mailhostPolicies>, name: string) => list.find((p) => p.name === name)!;
const PROD_LOAD = { activeSessionsPerHost: 40000, backendEndpoints: 4, utilization: 0.7 };

describe("the library's policies", () => {
  it("are one policy per rule, named by the rule, resource rules first, every rule of before exactly once", () => {
    assert.deepEqual(
      policies.map((p) => p.name),
      [...MAILHOST_RULE_NAMES],
    );
    assert.deepEqual([...MAILHOST_RULE_NAMES].sort(), Object.keys(LEVELS_BEFORE).sort());
    const kinds = policies.map((p) => ("validateStack" in p ? "stack" : "resource"));
    assert.equal(kinds.lastIndexOf("resource") < kinds.indexOf("stack"), true, kinds.join(" "));
    for (const p of policies) assert.equal(ruleOf({ policyName: p.name }), p.name);
    assert.equal(ruleOf({ policyName: "team-own-policy" }), undefined);
  });
  it("give every rule, by default and in each committed stack's policy config, the level it had before (dev warnings, prod mandatory)", () => {
    for (const policy of policies) {
      const level = policy.enforcementLevel!;
      assert.deepEqual([level, ...STACKS.map((s) => levelIn(s, policy.name, level))], [...LEVELS_BEFORE[policy.name]], policy.name);
    }
  });
  it("report, for every case, exactly what the rule itself reports with the values the options give, and every rule fires on the cases", async () => {
    const options = { capacity: PROD_LOAD, minimumMailboxCacheTtl: 600 };
    // What each rule reads through args.getConfig() (policies/rules), given these options.
    const configOf: Partial<Record<MailhostRuleName, object>> = {
      "mailhost-mailbox-cache-ttl-floor": { minimumMailboxCacheTtl: 600, source: "the pack's options" },
      "mailhost-capacity-sustains-load": { load: PROD_LOAD, source: "the pack's options" },
      "mailhost-max-user-port-recommended": { recommendedMinimum: RECOMMENDED.minimumMaxUserPort },
      "mailhost-tcp-timed-wait-delay-recommended": { recommendedMaximum: RECOMMENDED.maximumTcpTimedWaitDelay },
    };
    const library = mailhostPolicies(options);
    const fired = new Set<string>();
    for (const name of MAILHOST_RULE_NAMES) {
      const raw = RAW_RULES.get(name)!;
      const rule = byName(library, name);
      assert.ok(raw, `${name} is a rule of policies/rules`);
      assert.equal(rule.description, raw.description);
      assert.equal(rule.enforcementLevel, raw.enforcementLevel);
      const config = configOf[name] ?? {};
      if ("validateResource" in raw) {
        for (const r of resourceCases()) {
          // The library's policy ignores the config the SDK would give it: its values are its own.
          const got = await runResource(rule as ResourceValidationPolicy, r, { minimumMailboxCacheTtl: 1, recommendedMinimum: 1 });
          assert.deepEqual(got, await runResource(raw, r, config), `${name} on ${r.name}`);
          if (got.length > 0) fired.add(name);
        }
      } else {
        for (const resources of stackCases()) {
          const got = await runStack(rule as StackValidationPolicy, resources, { load: { activeSessionsPerHost: 0, backendEndpoints: 1, utilization: 1 } });
          assert.deepEqual(got, await runStack(raw as StackValidationPolicy, resources, config), name);
          if (got.length > 0) fired.add(name);
        }
      }
    }
    assert.deepEqual([...fired].sort(), [...MAILHOST_RULE_NAMES].sort(), "the cases break every rule");
  });
});

describe("mailhostPolicies(options)", () => {
  it("sets one rule's level by its name and leaves every other rule at its default", () => {
    for (const [name, level] of [
      ["mailhost-max-user-port-recommended", "mandatory"],
      ["mailhost-tcp-timed-wait-delay-range", "advisory"],
      ["mailhost-nat-gateway-alerts", "disabled"],
    ] as const) {
      const set = mailhostPolicies({ enforcementLevels: { [name]: level } });
      for (const p of set)
        assert.equal(p.enforcementLevel, p.name === name ? level : defaultLevelOf(p.name as MailhostRuleName), `${name}=${level}: ${p.name}`);
    }
  });
  it("refuses an unknown rule name (with the closest name) and an unknown level", () => {
    assert.throws(
      () => mailhostPolicies({ enforcementLevels: { "mailhost-max-user-port-recommend": "mandatory" } as never }),
      (err: Error) => {
        assert.ok(err instanceof MailhostPolicyOptionsError);
        assert.match(
          err.message,
          /enforcementLevels names "mailhost-max-user-port-recommend", which is no rule\. Did you mean mailhost-max-user-port-recommended\?/,
        );
        return true;
      },
    );
    assert.throws(
      () => mailhostPolicies({ enforcementLevels: { "mailhost-fleet-readiness": "advisory" } as never }),
      /"mailhost-fleet-readiness", which is no rule/,
    );
    assert.throws(
      () => mailhostPolicies({ enforcementLevels: { "mailhost-nic-no-public-ip": "remediate" } as never }),
      /enforcementLevels\["mailhost-nic-no-public-ip"\] = "remediate" is not a level; allowed advisory, mandatory, disabled\./,
    );
  });
  it("refuses values outside their ranges, naming the option, the value and the range from domain/limits", () => {
    const cases: Array<[object, string]> = [
      [
        { minimumMailboxCacheTtl: MAILBOX_CACHE_TTL.min - 1 },
        `minimumMailboxCacheTtl = ${MAILBOX_CACHE_TTL.min - 1} is outside ${formatRange(MAILBOX_CACHE_TTL)}.`,
      ],
      [{ minimumMailboxCacheTtl: 600.5 }, `minimumMailboxCacheTtl = 600.5 is not an integer; allowed ${formatRange(MAILBOX_CACHE_TTL)}.`],
      [
        { recommendedMinimumMaxUserPort: MAX_USER_PORT.max + 1 },
        `recommendedMinimumMaxUserPort = ${MAX_USER_PORT.max + 1} is outside ${formatRange(MAX_USER_PORT)}.`,
      ],
      [
        { recommendedMaximumTcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY.max + 1 },
        `recommendedMaximumTcpTimedWaitDelay = ${TCP_TIMED_WAIT_DELAY.max + 1} is outside ${formatRange(TCP_TIMED_WAIT_DELAY)}.`,
      ],
      [
        { capacity: { activeSessionsPerHost: ACTIVE_SESSIONS_PER_HOST.max + 1, backendEndpoints: 1 } },
        `capacity.activeSessionsPerHost = ${ACTIVE_SESSIONS_PER_HOST.max + 1} is outside ${formatRange(ACTIVE_SESSIONS_PER_HOST)}.`,
      ],
      [
        { capacity: { activeSessionsPerHost: 10, backendEndpoints: BACKEND_ENDPOINTS.min - 1 } },
        `capacity.backendEndpoints = ${BACKEND_ENDPOINTS.min - 1} is outside ${formatRange(BACKEND_ENDPOINTS)}.`,
      ],
      [{ capacity: { activeSessionsPerHost: 10, backendEndpoints: 1, utilization: 0 } }, "capacity.utilization = 0 is outside (0, 1]"],
      [{ capacity: { backendEndpoints: 1 } }, "capacity.activeSessionsPerHost is missing; it is required."],
    ];
    for (const [options, message] of cases)
      assert.throws(
        () => mailhostPolicies(options),
        (err: Error) => err.message.includes(message),
        message,
      );
    // Everything at once: every problem in one error.
    assert.throws(
      () => mailhostPolicies({ minimumMailboxCacheTtl: 1, recommendedMinimumMaxUserPort: 1 }),
      (err: MailhostPolicyOptionsError) => err.problems.length === 2,
    );
  });
  it("hands the rules the values given: the floor, the recommended thresholds and the load, each named as from the options", async () => {
    const set = mailhostPolicies({
      minimumMailboxCacheTtl: 900,
      recommendedMinimumMaxUserPort: 60000,
      capacity: { activeSessionsPerHost: 1_000_000, backendEndpoints: 1 },
    });
    const floor = await runResource(byName(set, "mailhost-mailbox-cache-ttl-floor") as ResourceValidationPolicy, withTtl(dsc(), 899));
    assert.deepEqual(
      floor.map((d) => d.message.split("\n")[1]),
      await runResource(mailboxCacheTtlFloor, withTtl(dsc(), 899), { minimumMailboxCacheTtl: 900, source: "the pack's options" }).then((ds) =>
        ds.map((d) => d.message.split("\n")[1]),
      ),
    );
    assert.match(floor[0].message, /below its floor of 900 seconds \(floor from the pack's options\)/);
    const recommended = await runResource(
      byName(set, "mailhost-max-user-port-recommended") as ResourceValidationPolicy,
      withDscArgument(dsc(), "MaxUserPort", 55000),
    );
    assert.equal(recommended.length, 1);
    assert.deepEqual(
      await runResource(maxUserPortRecommended, withDscArgument(dsc(), "MaxUserPort", 55000)),
      [],
      `55000 passes the default ${RECOMMENDED.minimumMaxUserPort}`,
    );
    const machine = vm();
    const load = await runStack(byName(set, "mailhost-capacity-sustains-load") as StackValidationPolicy, [machine, { ...dsc(), dependencies: [machine] }]);
    assert.deepEqual(
      load.map((d) => d.message.split("\n")[1]),
      (
        await runStack(capacity, [machine, { ...dsc(), dependencies: [machine] }], {
          load: { activeSessionsPerHost: 1_000_000, backendEndpoints: 1, utilization: DEFAULTS.utilization },
          source: "the pack's options",
        })
      ).map((d) => d.message.split("\n")[1]),
    );
    assert.match(load[0].message, /1000000 sessions .*\(Load from the pack's options\.\)$/);
  });
});

describe("the stack's own values (read from the stack config the CLI hands to the pack)", () => {
  it("reads mailhost:capacity with the schema's default utilisation, and says when it is absent or invalid, naming the key and the range", () => {
    assert.deepEqual(stackLoad({ "mailhost:capacity": JSON.stringify({ activeSessionsPerHost: 500, backendEndpoints: 1 }) }), {
      kind: "set",
      value: { activeSessionsPerHost: 500, backendEndpoints: 1, utilization: DEFAULTS.utilization },
    });
    assert.deepEqual(stackLoad({ "mailhost:capacity": JSON.stringify(PROD_LOAD) }), { kind: "set", value: PROD_LOAD });
    assert.deepEqual(stackLoad({ "other:capacity": "{}" }), { kind: "absent" });
    const invalid = stackLoad({ "mailhost:capacity": JSON.stringify({ activeSessionsPerHost: 500, backendEndpoints: BACKEND_ENDPOINTS.min - 1 }) });
    assert.equal(invalid.kind, "invalid");
    assert.match(
      invalid.kind === "invalid" ? invalid.problems.join(" ") : "",
      new RegExp(`mailhost:capacity\\.backendEndpoints = ${BACKEND_ENDPOINTS.min - 1} is outside`),
    );
    assert.equal(stackLoad({ "mailhost:capacity": JSON.stringify({ backendEndpoints: 1 }) }).kind, "invalid");
  });
  it("reads them in the namespace given (the project's, as the module's config loader), and names the keys of that namespace", () => {
    assert.deepEqual(stackLoad({ "shop:capacity": JSON.stringify(PROD_LOAD) }, "shop"), { kind: "set", value: PROD_LOAD });
    assert.deepEqual(stackLoad({ "mailhost:capacity": JSON.stringify(PROD_LOAD) }, "shop"), { kind: "absent" });
    const invalid = stackLoad({ "shop:capacity": JSON.stringify({ activeSessionsPerHost: 500, backendEndpoints: BACKEND_ENDPOINTS.min - 1 }) }, "shop");
    assert.match(
      invalid.kind === "invalid" ? invalid.problems.join(" ") : "",
      new RegExp(`^shop:capacity\\.backendEndpoints = ${BACKEND_ENDPOINTS.min - 1} is outside`),
    );
    assert.deepEqual(stackTtlFloor({ "shop:siteConfig": JSON.stringify({ mailboxCacheTtl: 900, minimumMailboxCacheTtl: 600 }) }, "shop"), {
      kind: "set",
      value: 600,
    });
    assert.throws(() => mailhostPolicies({ configNamespace: "a b" }), /configNamespace = "a b" is not a config namespace/);
  });
  it("reads mailhost:siteConfig.minimumMailboxCacheTtl, absent when the stack leaves it out", () => {
    assert.deepEqual(stackTtlFloor({ "mailhost:siteConfig": JSON.stringify({ mailboxCacheTtl: 900, minimumMailboxCacheTtl: 600 }) }), {
      kind: "set",
      value: 600,
    });
    assert.deepEqual(stackTtlFloor({ "mailhost:siteConfig": JSON.stringify({ mailboxCacheTtl: 900 }) }), { kind: "absent" });
    assert.deepEqual(stackTtlFloor({}), { kind: "absent" });
    // A problem elsewhere in siteConfig is not the floor's.
    assert.deepEqual(stackTtlFloor({ "mailhost:siteConfig": JSON.stringify({ mailboxCacheTtl: 1, minimumMailboxCacheTtl: 600 }) }), {
      kind: "set",
      value: 600,
    });
    assert.equal(
      stackTtlFloor({ "mailhost:siteConfig": JSON.stringify({ mailboxCacheTtl: 900, minimumMailboxCacheTtl: MAILBOX_CACHE_TTL.min - 1 }) }).kind,
      "invalid",
    );
  });
});
