/**
 * The fleet-scale figures of DEVELOPMENT.md, generated from what `npm run bench` (bench/check.ts)
 * wrote into docs/BENCHMARKS.md between its markers: the row of the goal's host count in its first
 * table, and the goal itself. `npm run docs` puts the paragraph between the fleet-scale markers of
 * DEVELOPMENT.md; a test checks it is fresh. Never typed by hand, so the docs cannot contradict the
 * benchmark.
 */
import { BEGIN, END, GOAL } from "./checkBenchDoc";

export const FLEET_SCALE_BEGIN = "<!-- fleet-scale:begin (generated from docs/BENCHMARKS.md by `npm run docs`) -->";
export const FLEET_SCALE_END = "<!-- fleet-scale:end -->";

/** The check's figures at the goal's host count, as the benchmark printed them. */
export interface CheckBenchFigures {
  readonly hosts: number;
  readonly resources: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMb: number;
  readonly naiveOverCheckWall: number;
  /** `Date: YYYY-MM-DD` of the run. */
  readonly date: string;
  /** Cores of the machine the benchmark ran on. */
  readonly cores: number;
}

const number = (cell: string) => Number(cell.replace(/[,×]|\s*(s|MB)$/g, "").trim());

/** Reads the figures from docs/BENCHMARKS.md's check-bench section; throws naming what is missing. */
export function readCheckBenchFigures(doc: string): CheckBenchFigures {
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`docs/BENCHMARKS.md has no ${BEGIN} ... ${END} section: run \`npm run bench\``);
  const section = doc.slice(from, to);
  const lines = section.split("\n");
  const headerIndex = lines.findIndex((l) => l.startsWith("| hosts | resources |"));
  if (headerIndex < 0) throw new Error("docs/BENCHMARKS.md: the check-bench section has no results table");
  const cells = (l: string) =>
    l
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
  const header = cells(lines[headerIndex]);
  const rows = lines
    .slice(headerIndex + 2)
    .filter((l) => l.startsWith("|"))
    .map(cells);
  const row = rows.find((r) => number(r[0]) === GOAL.hosts);
  if (!row) throw new Error(`docs/BENCHMARKS.md: no row for ${GOAL.hosts} hosts in the check-bench table`);
  const column = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`docs/BENCHMARKS.md: the check-bench table has no column "${name}"`);
    return number(row[i]);
  };
  const date = /Date: (\d{4}-\d{2}-\d{2})/.exec(section)?.[1];
  const cores = /Machine: (\d+) cores/.exec(section)?.[1];
  if (date === undefined || cores === undefined) throw new Error("docs/BENCHMARKS.md: the check-bench section names no machine or date");
  return {
    hosts: GOAL.hosts,
    resources: column("resources"),
    wallS: column("check: wall"),
    cpuS: column("check: CPU"),
    rssMb: column("check: peak RSS"),
    naiveOverCheckWall: column("naive / check: time"),
    date,
    cores: Number(cores),
  };
}

const en = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The paragraph, with its markers (DEVELOPMENT.md, at the repository root: the link is relative to it). */
export function fleetScaleParagraph(f: CheckBenchFigures): string {
  const time = f.wallS <= GOAL.wallS ? "met" : "not met";
  const memory = f.rssMb <= GOAL.rssMb ? "met" : "not met";
  return [
    FLEET_SCALE_BEGIN,
    `At fleet scale (\`npm run bench\`, ${f.date}, ${f.cores} cores): a ${en(f.hosts)}-host stack (${en(f.resources)} resources) is checked,`,
    `policy analysis included, in ${en(f.wallS, 2)} s (median of the benchmark's runs) with a peak of ${en(f.rssMb)} MB per process and`,
    `${en(f.cpuS, 1)} s of CPU in all, ${en(f.naiveOverCheckWall, 1)}× faster than naive mock execution without any analysis. Goal: at most`,
    `${GOAL.wallS} s and ${en(GOAL.rssMb)} MB (1 GB) per process: time ${time}, memory ${memory}. The program runs on a worker thread,`,
    "the analyzer client on the main thread and the policy pack in its own process. Figures and where the time goes are in",
    "[docs/BENCHMARKS.md](docs/BENCHMARKS.md).",
    FLEET_SCALE_END,
  ].join("\n");
}
