/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` JSON file): self time by
 * component (the Pulumi SDK, the policy SDK, google-protobuf, gRPC, TypeScript, garbage
 * collection, this project...) and the functions with the most self time. Used by bench/pack.ts
 * and bench/program.ts. Format: https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds between samples. */
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time, ms, idle excluded. */
  readonly totalMs: number;
  /** Self time (ms) by component, largest first. */
  readonly components: Array<{ name: string; ms: number }>;
  /** Self time (ms) by function, largest first. */
  readonly functions: Array<{ name: string; ms: number }>;
}

/** The component a function belongs to, from its script URL. */
export function componentOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "garbage collection";
    return functionName === "(program)" ? "V8 and native (compiling, parsing)" : `V8: ${functionName}`;
  }
  if (url.startsWith("node:")) return "Node.js internals";
  const file = url.replace(/^file:\/\//, "");
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(file);
  if (m) {
    const [, pkg, rest] = m;
    if (pkg === "typescript" || pkg === "ts-node" || /^vendor\/(ts-node|typescript)/.test(rest)) return "TypeScript (ts-node)";
    if (pkg === "@pulumi/pulumi") {
      const area = rest.split("/").slice(0, 2).join("/").replace(/\.js$/, "");
      return `@pulumi/pulumi ${area}`;
    }
    if (pkg === "@pulumi/policy") return "@pulumi/policy";
    if (pkg === "@pulumi/azure-native") return "@pulumi/azure-native";
    return pkg;
  }
  const rel = path.relative(path.join(__dirname, ".."), file);
  return rel.startsWith("..") ? file : `project: ${rel.split("/").slice(0, 2).join("/")}`;
}

/** Reads and summarizes one profile file. */
export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the sample's time is the delta that follows it.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  const components = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame: f } = byId.get(id)!;
    if (f.functionName === "(idle)") continue;
    total += us;
    const component = componentOf(f.url, f.functionName);
    components.set(component, (components.get(component) ?? 0) + us);
    const where = f.url
      ? ` ${f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(dist|policies|program|bench)\//, "$1/")}:${f.lineNumber + 1}`
      : "";
    const name = `${f.functionName || "(anonymous)"}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, components: sorted(components), functions: sorted(functions) };
}

/** Prints a summary: components above 1% and the top `top` functions. */
export function printProfile(title: string, summary: ProfileSummary, top = 25): void {
  console.log(`\n${title}: ${(summary.totalMs / 1000).toFixed(2)} s sampled (idle excluded)`);
  console.log("  by component (self time):");
  for (const c of summary.components) {
    if (c.ms < summary.totalMs / 100) continue;
    console.log(`    ${(c.ms / 1000).toFixed(2).padStart(6)} s ${String(Math.round((100 * c.ms) / summary.totalMs)).padStart(3)}%  ${c.name}`);
  }
  console.log(`  top ${top} functions (self time):`);
  for (const f of summary.functions.slice(0, top)) console.log(`    ${(f.ms / 1000).toFixed(2).padStart(6)} s  ${f.name}`);
}

/** The newest `.cpuprofile` files in `dir`. */
export function profilesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(dir, f));
}
