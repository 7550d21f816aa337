/**
 * Runs the policy pack over the resources of an offline run, through the analyzer protocol:
 * `Analyze` for every resource, then `AnalyzeStack` with all of them. One implementation for the
 * pack's integration tests and for `mailhost check`.
 */
import * as path from "node:path";
import { type AnalyzedResource, type PolicyDiagnostic, type PolicyPackConfig, PolicyPackProcess } from "./analyzer";
import type { RecordedResource } from "./offline";

/** The pack in this repository. */
export const POLICY_PACK_DIR = path.join(__dirname, "..", "policies");

/** What the engine would send the analyzer for a registered resource. */
export function toAnalyzed(resource: RecordedResource): AnalyzedResource {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    properties: resource.inputs,
    parent: resource.parent,
    dependencies: resource.dependencies,
  };
}

/** Diagnostics of one stack's resources, resource by resource and then for the stack. */
export async function analyzeResources(
  pack: PolicyPackProcess,
  resources: readonly RecordedResource[],
  concurrency = 16,
  onProgress?: (done: number, total: number) => void,
): Promise<PolicyDiagnostic[]> {
  // The stack resource itself carries no properties a policy reads; the engine analyzes it too.
  const analyzed = resources.map(toAnalyzed);
  const diagnostics: PolicyDiagnostic[] = [];
  for (let i = 0; i < analyzed.length; i += concurrency) {
    const batch = analyzed.slice(i, i + concurrency);
    const results = await Promise.all(batch.map((r) => pack.analyze(r)));
    for (const [j, ds] of results.entries()) diagnostics.push(...ds.map((d) => ({ ...d, urn: d.urn || batch[j].urn })));
    onProgress?.(Math.min(i + concurrency, analyzed.length), analyzed.length);
  }
  diagnostics.push(...await pack.analyzeStack(analyzed));
  return diagnostics;
}

/** Starts the pack for a stack and applies its policy config. The caller closes it. */
export async function startPolicyPack(stack: string, config: PolicyPackConfig, packDir: string = POLICY_PACK_DIR): Promise<PolicyPackProcess> {
  const pack = await PolicyPackProcess.start(packDir, { stack: { project: "mailhost", stack, dryRun: true } });
  try {
    await pack.configure(config);
    return pack;
  } catch (err) {
    await pack.close();
    throw err;
  }
}
