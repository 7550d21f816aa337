/**
 * Where `npm run bench` (bench/check.ts) writes its figures in docs/BENCHMARKS.md, and the goal it
 * measures against: shared by the benchmark, which writes them, and the docs generator
 * (scripts/fleetScale.ts), which reads them, so that the product's type check needs nothing of bench/.
 */

/** Markers of the benchmark's section of docs/BENCHMARKS.md. */
export const BEGIN = "<!-- check-bench:begin -->";
export const END = "<!-- check-bench:end -->";

/** The goal for a 1,000-host stack, policy analysis included. */
export const GOAL = { hosts: 1000, wallS: 10, rssMb: 2 ** 10 };
