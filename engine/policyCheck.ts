/**
 * Runs the policy pack over the resources of an offline run, through the analyzer protocol:
 * `Analyze` for every resource, then `AnalyzeStack` with all of them. One implementation for the
 * pack's integration tests and for `mailhost check`.
 */
import { projectPath } from "../content/paths";
import { type AnalyzedResource, type PolicyDiagnostic, type PolicyPackConfig, PolicyPackProcess, type StackConfiguration, type StartOptions } from "./analyzer";
import type { RecordedResource } from "./offline";

/** The pack in this repository. */
export const POLICY_PACK_DIR = projectPath("policies");

/** What the engine would send the analyzer for a registered resource. */
export function toAnalyzed(resource: RecordedResource): AnalyzedResource {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    properties: resource.inputs,
    encodedProperties: resource.encodedInputs,
    parent: resource.parent,
    dependencies: resource.dependencies,
  };
}

/**
 * Requests sent to the pack before its answers are awaited. Large on purpose: the program runs
 * synchronously between its yields, so answers (and with a small bound, the next requests) only
 * move when it yields; a queue that holds a few thousand requests keeps the pack busy meanwhile.
 */
export const DEFAULT_MAX_IN_FLIGHT = 4096;

/**
 * Sends resources to `Analyze` as they arrive (at most `maxInFlight` at once), so that analysis
 * runs in the pack's process while the program is still registering resources; `finish` waits
 * for them and then sends the whole stack to `AnalyzeStack`.
 */
export class ResourceAnalysis {
  private readonly queue: RecordedResource[] = [];
  private readonly results: Array<{ resource: RecordedResource; diagnostics: PolicyDiagnostic[] }> = [];
  private inFlight = 0;
  private added = 0;
  private analysed = 0;
  private failure?: { error: unknown };
  private idle?: () => void;
  private pack?: PolicyPackProcess;

  /** `pack` may still be starting: resources queue up until it is ready. */
  constructor(
    pack: PolicyPackProcess | Promise<PolicyPackProcess>,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {
    this.ready = Promise.resolve(pack).then((p) => {
      this.pack = p;
      this.pump();
      return p;
    });
    // A pack that fails to start is reported by finish().
    this.ready.catch(() => undefined);
  }

  private readonly ready: Promise<PolicyPackProcess>;

  /** Queues a resource; its URN may still be provisional (diagnostics get the final one). */
  add(resource: RecordedResource): void {
    this.added++;
    this.queue.push(resource);
    this.pump();
  }

  private pump(): void {
    const pack = this.pack;
    if (pack === undefined) return;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const resource = this.queue.shift()!;
      this.inFlight++;
      const request = { ...toAnalyzed(resource), urn: resource.urn || `urn:pulumi:provisional::mailhost::${resource.type}::${resource.name}` };
      pack
        .analyze(request)
        .then(
          (diagnostics) => {
            this.results.push({ resource, diagnostics });
          },
          (error: unknown) => {
            this.failure ??= { error };
          },
        )
        .finally(() => {
          this.inFlight--;
          this.analysed++;
          if (this.analysed % 500 === 0) this.onProgress?.(this.analysed, this.added);
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) this.idle?.();
        });
    }
  }

  /** Waits for every queued resource, then analyzes the stack. `resources` carry their final URNs. */
  async finish(resources: readonly RecordedResource[]): Promise<PolicyDiagnostic[]> {
    const pack = await this.ready;
    if (this.inFlight > 0 || this.queue.length > 0)
      await new Promise<void>((resolve) => {
        this.idle = resolve;
      });
    if (this.failure) throw this.failure.error;
    this.onProgress?.(this.analysed, this.added);
    const diagnostics: PolicyDiagnostic[] = [];
    for (const { resource, diagnostics: ds } of this.results) diagnostics.push(...ds.map((d) => ({ ...d, urn: resource.urn })));
    diagnostics.push(...(await pack.analyzeStack(resources.map(toAnalyzed))));
    return diagnostics;
  }
}

/** Diagnostics of one stack's resources, resource by resource and then for the stack. */
export async function analyzeResources(
  pack: PolicyPackProcess,
  resources: readonly RecordedResource[],
  maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  onProgress?: (done: number, total: number) => void,
): Promise<PolicyDiagnostic[]> {
  const analysis = new ResourceAnalysis(pack, maxInFlight, onProgress);
  for (const resource of resources) analysis.add(resource);
  return analysis.finish(resources);
}

/**
 * The stack as the Pulumi CLI describes it to a policy pack (`NewPolicyAnalyzer`'s options in
 * pulumi/pulumi pkg/engine/update.go): names, dry run, and the stack's config in its runtime form
 * (`"<namespace>:<key>"` -> string, objects as JSON; secrets in plain text, as the CLI decrypts
 * them) with the keys that are secrets.
 */
export function stackConfigurationOf(
  stack: string,
  config: Readonly<Record<string, string>> = {},
  secretKeys: readonly string[] = [],
  project = "mailhost",
): StackConfiguration {
  return { project, stack, dryRun: true, config: { ...config }, configSecretKeys: [...secretKeys] };
}

/**
 * Starts the pack for one stack as the CLI does (the stack's names and config in its environment,
 * then ConfigureStack) and applies the policy config. The caller closes it.
 */
export async function startPolicyPack(
  stack: StackConfiguration,
  config: PolicyPackConfig,
  packDir: string = POLICY_PACK_DIR,
  options: Pick<StartOptions, "onSpawned" | "env"> = {},
): Promise<PolicyPackProcess> {
  const pack = await PolicyPackProcess.start(packDir, { ...options, stack });
  try {
    await pack.configure(config);
    return pack;
  } catch (err) {
    await pack.close();
    throw err;
  }
}
