/**
 * Existing stacks keep their resources: every resource the program registers today either has the
 * URN it had before the fleet became one component (test/fixtures/urns, recorded at d1c7b08, the
 * main this change applies to, by scripts/record-urns.ts) or carries an alias from it, and its inputs are the same.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as util from "node:util";
import { type RecordedResource } from "../../../engine/offline";
import { RECORDED_STACKS, type RecordedUrn, normalizeInputs, pulumiUrns } from "../../../scripts/record-urns";
import { REPO_ROOT, runStack } from "../../support/stacks";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "urns");

/**
 * Input differences docs/LIBRARY.md lists ("Differences from the recording"): one table row per
 * resource and top-level input, `| <stack> | <type>::<name> | <input> | <what pulumi up does> |`.
 */
function documentedDifferences(): Set<string> {
  const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "LIBRARY.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Differences from the recording"));
  const rows = [...section.matchAll(/^\| (dev|staging|prod) \| `([^`]+)` \| `([^`]+)` \| [^|]+\|$/gm)];
  return new Set(rows.map((m) => `${m[1]} ${m[2]} ${m[3]}`));
}

/** Resources added since the recording (docs/LIBRARY.md "Resources added since the recording"): `| <stack> | <type>::<name> | <what pulumi up does> |`. */
function documentedAdditions(): Set<string> {
  const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "LIBRARY.md"), "utf8");
  const start = doc.indexOf("## Resources added since the recording");
  if (start < 0) return new Set();
  const rows = [...doc.slice(start).matchAll(/^\| (dev|staging|prod) \| `([^`]+)` \| [^|]+\|$/gm)];
  return new Set(rows.map((m) => `${m[1]} ${m[2]}`));
}

/** Top-level inputs whose values differ. */
function differingInputs(now: Record<string, unknown>, before: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(now), ...Object.keys(before)])].sort();
  return keys.filter((k) => !util.isDeepStrictEqual(now[k], before[k]));
}

/**
 * Every URN Pulumi would match a resource against: its own, the URNs of its `aliases`, and the
 * aliases it inherits from its ancestors (Pulumi's `allAliases`/`inheritedChildAlias`: a parent's
 * alias URN takes the parent's place, and a child named after its parent is renamed with it).
 */
function candidateUrns(resources: readonly RecordedResource[], stack: string): Map<RecordedResource, Set<string>> {
  const urns = pulumiUrns(resources, stack);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const aliases = new Map<RecordedResource, string[]>();
  const aliasesOf = (r: RecordedResource): string[] => {
    let list = aliases.get(r);
    if (list !== undefined) return list;
    list = [...(r.aliasUrns ?? [])];
    const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    if (parent !== undefined && parent.type !== "pulumi:pulumi:Stack") {
      for (const parentAlias of aliasesOf(parent)) {
        const parentAliasName = parentAlias.slice(parentAlias.lastIndexOf("::") + 2);
        const name = r.name.startsWith(parent.name) ? parentAliasName + r.name.slice(parent.name.length) : r.name;
        // Pulumi's createUrn(name, type, parentAlias): the parent URN without its name, then `$type::name`.
        list.push(`${parentAlias.slice(0, parentAlias.lastIndexOf("::"))}$${r.type}::${name}`);
      }
    }
    aliases.set(r, list);
    return list;
  };
  return new Map(resources.map((r) => [r, new Set([urns.get(r.urn)!, ...aliasesOf(r)])]));
}

describe("existing stacks keep their resources", () => {
  for (const stack of RECORDED_STACKS) {
    it(`${stack}: every recorded resource is still there, under its URN or an alias of it, with the same inputs`, async () => {
      const recorded = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${stack}.json`), "utf8")) as RecordedUrn[];
      const run = await runStack(stack);
      const candidates = candidateUrns(run.resources, stack);
      const current = pulumiUrns(run.resources, stack);
      const matched = new Set<RecordedResource>();
      const documented = documentedDifferences();
      const undocumented: string[] = [];
      for (const old of recorded) {
        const now = run.resources.filter((r) => candidates.get(r)!.has(old.urn));
        assert.equal(now.length, 1, `${old.urn}: ${now.length} resources match it`);
        matched.add(now[0]);
        const inputs = normalizeInputs(now[0].inputs, REPO_ROOT) as Record<string, unknown>;
        for (const key of differingInputs(inputs, old.inputs as Record<string, unknown>)) {
          const entry = `${stack} ${old.type}::${old.urn.slice(old.urn.lastIndexOf("::") + 2)} ${key}`;
          if (!documented.has(entry)) undocumented.push(`${entry} (now ${current.get(now[0].urn)})`);
        }
      }
      assert.deepEqual(undocumented, [], "inputs that differ from the recording must be listed in docs/LIBRARY.md with what pulumi up does");
      // Anything new is the fleet component, or a cloud resource docs/LIBRARY.md lists as added since the recording.
      const added = run.resources.filter((r) => !matched.has(r));
      const addedDocs = documentedAdditions();
      assert.deepEqual(added.filter((r) => r.type === "mailhost:azure:MailhostFleet").length, 1, "the fleet component is new");
      const undocumentedAdded = added
        .filter((r) => r.type !== "mailhost:azure:MailhostFleet" && !addedDocs.has(`${stack} ${r.type}::${r.name}`))
        .map((r) => `${r.type}::${r.name}`);
      assert.deepEqual(undocumentedAdded, [], "resources added since the recording must be listed in docs/LIBRARY.md with what pulumi up does");
    });
  }

  it("the alias of a moved component is what Pulumi forms for a top-level resource", async () => {
    const run = await runStack("dev");
    const site = run.resources.find((r) => r.type === "mailhost:azure:MailSite")!;
    assert.deepEqual(site.aliasUrns, ["urn:pulumi:dev::mailhost::mailhost:azure:MailSite::mailhost"]);
    const now = pulumiUrns(run.resources, "dev").get(site.urn);
    assert.equal(now, "urn:pulumi:dev::mailhost::mailhost:azure:MailhostFleet$mailhost:azure:MailSite::mailhost");
  });
});
