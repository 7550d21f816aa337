/**
 * A level set for one rule, by the rule's name, changes that rule's level and nothing else, over
 * the analyzer protocol (the packs started and driven as the Pulumi CLI does): in a team's own
 * pack through `mailhostPolicies({ enforcementLevels })`, and in this repository's pack through a
 * policy config keyed by rule name (what `--policy-pack-config` sends in Configure). The cases
 * break every rule, so "every other rule unchanged" covers all of them.
 */
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { type AnalyzedResource, type PolicyPackConfig, PolicyPackProcess, type StackConfiguration } from "../../../engine/analyzer";
import { POLICY_PACK_DIR, stackConfigurationOf } from "../../../engine/policyCheck";
import { MAILHOST_RULE_NAMES, type MailhostPolicyOptions, defaultLevelOf } from "../../../policies/library";
import type { TestResource } from "../../unit/policies/harness";
import { resourceCases, stackCases } from "../../unit/policies/fixtures";

const OPTIONS_PACK = path.join(__dirname, "..", "..", "fixtures", "options-pack");

/** The stack the packs run for: prod's load, so that the capacity rule has something to check. */
const STACK: StackConfiguration = stackConfigurationOf("levels", {
  "mailhost:capacity": JSON.stringify({ activeSessionsPerHost: 40000, backendEndpoints: 4, utilization: 0.7 }),
  "mailhost:siteConfig": JSON.stringify({ mailboxCacheTtl: 900, minimumMailboxCacheTtl: 600 }),
});

/** Every case as the engine sends it: each resource case to Analyze, each stack case to AnalyzeStack, with URNs unique per case. */
function requests(): { analyze: AnalyzedResource[]; stacks: AnalyzedResource[][] } {
  const convert = (prefix: string) => {
    const urn = (r: TestResource) => `urn:pulumi:levels::mailhost::${r.type}::${prefix}-${r.name}`;
    return (r: TestResource): AnalyzedResource => ({
      type: r.type,
      name: r.name,
      urn: urn(r),
      properties: r.props,
      dependencies: (r.dependencies ?? []).map(urn),
      propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, v.map(urn)])),
    });
  };
  return {
    analyze: resourceCases().map((r, i) => convert(`r${i}`)(r)),
    stacks: stackCases().map((resources, i) => resources.map(convert(`s${i}`))),
  };
}

/** Each diagnostic (rule, resource, message) with the level it came with, over every case. */
async function levels(pack: PolicyPackProcess): Promise<Map<string, string[]>> {
  const { analyze, stacks } = requests();
  const ds = [...(await Promise.all(analyze.map((r) => pack.analyze(r)))).flat(), ...(await Promise.all(stacks.map((s) => pack.analyzeStack(s)))).flat()];
  const out = new Map<string, string[]>();
  for (const d of ds) {
    const key = `${d.policyName}\u0000${d.urn ?? ""}\u0000${d.message}`;
    out.set(key, [...(out.get(key) ?? []), d.enforcementLevel].sort());
  }
  return out;
}

const ruleOfKey = (key: string) => key.split("\u0000")[0];

async function withPack<T>(
  dir: string,
  options: MailhostPolicyOptions | undefined,
  config: PolicyPackConfig,
  use: (pack: PolicyPackProcess) => Promise<T>,
): Promise<T> {
  const env = options === undefined ? {} : { MAILHOST_TEST_POLICY_OPTIONS: JSON.stringify(options) };
  const pack = await PolicyPackProcess.start(dir, { stack: STACK, env });
  try {
    await pack.configure(config);
    return await use(pack);
  } finally {
    await pack.close();
  }
}

/** `changed` is `before` with exactly `rule`'s diagnostics at `level`: same diagnostics, every other level the same. */
function assertOnlyRuleChanged(before: Map<string, string[]>, changed: Map<string, string[]>, rule: string, level: string): void {
  assert.deepEqual([...changed.keys()].sort(), [...before.keys()].sort(), "the same diagnostics");
  let hits = 0;
  for (const [key, was] of before) {
    const now = changed.get(key)!;
    if (ruleOfKey(key) === rule) {
      hits++;
      assert.notDeepEqual(was, now, `${rule} changed`);
      assert.deepEqual(
        now,
        was.map(() => level),
        key,
      );
    } else {
      assert.deepEqual(now, was, `${ruleOfKey(key)} unchanged`);
    }
  }
  assert.ok(hits > 0, `${rule} fired on the cases`);
}

describe("a level set for one rule by its name, over the analyzer protocol", { concurrency: 1 }, () => {
  let base: Map<string, string[]>;
  before(async () => {
    base = await withPack(OPTIONS_PACK, {}, {}, levels);
  });

  it("the cases make every rule report, each at its default level", () => {
    const fired = new Set([...base.keys()].map(ruleOfKey));
    assert.deepEqual([...fired].sort(), [...MAILHOST_RULE_NAMES].sort());
    for (const [key, found] of base) {
      // The capacity rule's "not checked" notice is advisory whatever its level; the stack gives a load here, so there is none.
      for (const level of found) assert.equal(level, defaultLevelOf(ruleOfKey(key) as never), key);
    }
  });

  it("in a team's own pack: mailhostPolicies({ enforcementLevels: { <rule>: ... } }) changes that rule only (up and down)", async () => {
    assertOnlyRuleChanged(
      base,
      await withPack(OPTIONS_PACK, { enforcementLevels: { "mailhost-max-user-port-recommended": "mandatory" } }, {}, levels),
      "mailhost-max-user-port-recommended",
      "mandatory",
    );
    assertOnlyRuleChanged(
      base,
      await withPack(OPTIONS_PACK, { enforcementLevels: { "mailhost-vm-has-one-tuning": "advisory" } }, {}, levels),
      "mailhost-vm-has-one-tuning",
      "advisory",
    );
  });

  it("in a team's own pack: disabled removes that rule's diagnostics and nothing else", async () => {
    const without = await withPack(OPTIONS_PACK, { enforcementLevels: { "mailhost-nat-gateway-alerts": "disabled" } }, {}, levels);
    const expected = new Map([...base].filter(([key]) => ruleOfKey(key) !== "mailhost-nat-gateway-alerts"));
    assert.ok(expected.size < base.size);
    assert.deepEqual(without, expected);
  });

  it("in this repository's pack: a policy config keyed by the rule's name (as --policy-pack-config sends it) changes that rule only", async () => {
    const repoBase = await withPack(POLICY_PACK_DIR, undefined, {}, levels);
    assert.deepEqual(repoBase, base, "the repository's pack is the library at its defaults");
    assertOnlyRuleChanged(
      repoBase,
      await withPack(POLICY_PACK_DIR, undefined, { "mailhost-tcp-timed-wait-delay-recommended": "mandatory" }, levels),
      "mailhost-tcp-timed-wait-delay-recommended",
      "mandatory",
    );
    assertOnlyRuleChanged(
      repoBase,
      await withPack(POLICY_PACK_DIR, undefined, { "mailhost-capacity-sustains-load": { enforcementLevel: "advisory" } }, levels),
      "mailhost-capacity-sustains-load",
      "advisory",
    );
  });

  it("a policy config overrides the options' level for the same rule, as the CLI layers them", async () => {
    const both = await withPack(
      OPTIONS_PACK,
      { enforcementLevels: { "mailhost-max-user-port-recommended": "mandatory" } },
      { "mailhost-max-user-port-recommended": "advisory" },
      levels,
    );
    assert.deepEqual(both, base);
  });
});
