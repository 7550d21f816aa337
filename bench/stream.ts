/**
 * A recorded analyzer request stream: what `mailhost check` sends the policy pack for one stack,
 * as the bytes on the wire (every `Analyze` request, then the `AnalyzeStack` request), so that the
 * pack can be replayed and measured alone (bench/pack.ts).
 *
 * File format: one JSON header line ({@link StreamHeader}), then frames of
 * `kind (1 byte: 1 Analyze, 2 AnalyzeStack) | length (uint32, little-endian) | request bytes`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { analyzeRequestChunks, analyzerResourceChunks, analyzeStackRequestChunks } from "../engine/analyzer";
import { runOffline } from "../engine/offline";
import { toAnalyzed } from "../engine/policyCheck";
import { readStackFile } from "../stack/stackFile";
import { encodeStruct } from "../engine/wire";

export interface StreamHeader {
  readonly stack: string;
  readonly hosts: number;
  readonly resources: number;
}

export interface RecordedStream {
  readonly header: StreamHeader;
  readonly analyze: Buffer[];
  readonly analyzeStack: Buffer;
}

export const ANALYZE = 1;
export const ANALYZE_STACK = 2;

/** A copy of the prod stack file with `hosts` hosts, written to `dir`; returns the stack name. */
export function writeBenchStack(root: string, dir: string, hosts: number): string {
  const stack = `bench${hosts}`;
  const prod = fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), prod.replace(/hostCount: \d+/, `hostCount: ${hosts}`));
  return stack;
}

/**
 * Runs the program offline for `stack` (in `dir`) as `mailhost check` does (aliases dropped,
 * inputs encoded once) and returns the requests the check sends the pack, with final URNs.
 */
export async function recordStream(dir: string, stack: string, hosts: number): Promise<RecordedStream> {
  const file = readStackFile(dir, stack);
  const program = require("../index") as () => Promise<unknown>;
  const run = await runOffline(program, stack, file.config, file.secretKeys, { dropAliases: true });
  const resources = run.resources.map((r) => ({ ...r, encodedInputs: encodeStruct(r.inputs) }));
  const analyze = resources.map((r) => Buffer.concat(analyzeRequestChunks(toAnalyzed(r), r.urn, r.encodedInputs)));
  const analyzeStack = Buffer.concat(analyzeStackRequestChunks(resources.map((r) => analyzerResourceChunks(toAnalyzed(r), r.urn, r.encodedInputs))));
  return { header: { stack, hosts, resources: resources.length }, analyze, analyzeStack };
}

export function writeStream(file: string, stream: RecordedStream): void {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(stream.header)}\n`)];
  const frame = (kind: number, body: Buffer) => {
    const head = Buffer.alloc(5);
    head[0] = kind;
    head.writeUInt32LE(body.length, 1);
    parts.push(head, body);
  };
  for (const b of stream.analyze) frame(ANALYZE, b);
  frame(ANALYZE_STACK, stream.analyzeStack);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat(parts));
}

export function readStream(file: string): RecordedStream {
  const buf = fs.readFileSync(file);
  const nl = buf.indexOf(0x0a);
  const header = JSON.parse(buf.subarray(0, nl).toString("utf8")) as StreamHeader;
  const analyze: Buffer[] = [];
  let analyzeStack: Buffer | undefined;
  for (let pos = nl + 1; pos < buf.length;) {
    const kind = buf[pos];
    const length = buf.readUInt32LE(pos + 1);
    const body = buf.subarray(pos + 5, pos + 5 + length);
    pos += 5 + length;
    if (kind === ANALYZE) analyze.push(body);
    else if (kind === ANALYZE_STACK) analyzeStack = body;
    else throw new Error(`${file}: unknown frame kind ${kind} at byte ${pos}`);
  }
  if (analyzeStack === undefined) throw new Error(`${file}: no AnalyzeStack request`);
  return { header, analyze, analyzeStack };
}
