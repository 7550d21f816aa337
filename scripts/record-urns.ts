/**
 * Records, for every committed stack (Pulumi.<stack>.yaml), the URN, type, parent and inputs of
 * every resource the program registers under mocks: `tsx scripts/record-urns.ts <out dir>`.
 *
 * test/fixtures/urns/ holds the recording of the commit the fleet component applies to (main at
 * d1c7b08, with every issue before it merged; first recorded at 54aab1f) run with today's guest/
 * folder (guest files reach inputs through content hashes: after a change under guest/, record
 * again with that folder copied over the base's; since the module became one file per function,
 * also copy today's components/guestScripts.ts, the assembler that reads those files, without the
 * port-usage lines of renderGuestLimits, whose imports the base lacks and the program never
 * calls), and
 * test/integration/program/urns.test.ts checks every resource of today's program against it. To record another
 * commit: `git worktree add --detach /tmp/base <commit>`, copy this file into its scripts/, link
 * node_modules, and run it there.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { runOffline, runtimeConfig } from "../engine/offline";
import program = require("../index");

/** The stacks whose Pulumi.<stack>.yaml is committed. */
export const RECORDED_STACKS = ["dev", "staging", "prod"] as const;
/** The admin password the recording runs with (tests only; the same as test/support/stacks.ts). */
export const RECORDING_ADMIN_PASSWORD = "Test-Only-Passw0rd!";

export interface RecordedUrn {
  readonly urn: string;
  readonly type: string;
  readonly parent?: string;
  readonly inputs: unknown;
}

/**
 * Inputs as plain JSON, independent of the machine: the repository's folder and the system
 * temporary folder (asset paths) become placeholders.
 */
export function normalizeInputs(inputs: unknown, repoRoot: string): unknown {
  const text = JSON.stringify(inputs, (_key, value: unknown) =>
    typeof value === "string" ? value.split(repoRoot).join("<repo>").split(os.tmpdir()).join("<tmp>") : value,
  );
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * The URN Pulumi gives each resource: the types of every ancestor below the stack, joined by `$`,
 * then the resource's type and name (the offline engine's own URNs qualify by the parent's type only).
 */
export function pulumiUrns(
  resources: readonly { urn: string; type: string; name: string; parent?: string }[],
  stack: string,
  project = "mailhost",
): Map<string, string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const qualified = new Map<string, string>();
  const qualify = (r: { urn: string; type: string; parent?: string }): string => {
    let q = qualified.get(r.urn);
    if (q !== undefined) return q;
    const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    q = parent === undefined || parent.type === "pulumi:pulumi:Stack" ? r.type : `${qualify(parent)}$${r.type}`;
    qualified.set(r.urn, q);
    return q;
  };
  return new Map(resources.map((r) => [r.urn, `urn:pulumi:${stack}::${project}::${qualify(r)}::${r.name}`]));
}

/** Runs the program of the repository at `repoRoot` on one stack file and records its resources. */
export async function recordStack(stack: string, repoRoot: string, run: typeof program = program): Promise<RecordedUrn[]> {
  const doc = parse(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  const config = { ...(doc.config ?? {}), "mailhost:adminPassword": RECORDING_ADMIN_PASSWORD };
  const result = await runOffline(run, stack, runtimeConfig(config), ["mailhost:adminPassword"]);
  const urns = pulumiUrns(result.resources, stack);
  return result.resources
    .map((r) => ({
      urn: urns.get(r.urn)!,
      type: r.type,
      ...(r.parent === undefined ? {} : { parent: urns.get(r.parent) ?? r.parent }),
      inputs: normalizeInputs(r.inputs, repoRoot),
    }))
    .sort((a, b) => a.urn.localeCompare(b.urn));
}

async function main(): Promise<void> {
  const out = process.argv[2];
  if (out === undefined) throw new Error("usage: tsx scripts/record-urns.ts <out dir>");
  fs.mkdirSync(out, { recursive: true });
  const root = path.join(__dirname, "..");
  for (const stack of RECORDED_STACKS) {
    const recorded = await recordStack(stack, root);
    fs.writeFileSync(path.join(out, `${stack}.json`), `${JSON.stringify(recorded, null, 1)}\n`);
    console.log(`${stack}: ${recorded.length} resources`);
  }
}

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
