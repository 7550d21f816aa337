/** Finds the line of a config key in a stack file, for GitHub annotations. */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";

/**
 * Line (1-based) of `mailhost:tcp.tcpTimedWaitDelay` (or its nearest ancestor that exists) in a
 * `Pulumi.<stack>.yaml` text; undefined when not even the top-level key is there.
 */
export function lineOfKey(text: string, keyPath: string): number | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const config = doc.get("config", true);
  if (!isMap(config)) return undefined;
  // A key written literally at the top (a flat `mailhost:tcp.maxUserPort`, `mailhots:capacity`).
  const literal = config.items.find((p) => String((p.key as Node | null)?.toJSON?.() ?? p.key) === keyPath);
  if (literal && (literal.key as Node).range) return counter.linePos((literal.key as Node).range![0]).line;
  const [top, ...rest] = splitKeyPath(keyPath, true);
  let node: unknown = config;
  let line: number | undefined;
  for (const segment of [top, ...rest]) {
    const index = /^\[(\d+)\]$/.exec(segment);
    if (index) {
      // A list item: its own line (`- 0.0.0.0/0`), when the list is written one item a line.
      const item = isSeq(node) ? (node.items[Number(index[1])] as Node | undefined) : undefined;
      if (!item?.range) break;
      line = counter.linePos(item.range[0]).line;
      node = item;
      continue;
    }
    if (!isMap(node)) break;
    const pair = node.items.find((p) => String((p.key as Node | null)?.toJSON?.() ?? p.key) === segment);
    if (!pair) break;
    const keyNode = pair.key as Node;
    if (keyNode.range) line = counter.linePos(keyNode.range[0]).line;
    node = pair.value;
  }
  return line;
}

/**
 * `mailhost:tcp.dynamicPortRange.start` → ["mailhost:tcp", "dynamicPortRange", "start"]; drops
 * `[n]` indexes, or with `keepIndexes` keeps them as segments of their own ("[1]").
 */
export function splitKeyPath(keyPath: string, keepIndexes = false): string[] {
  const [top, ...rest] = (keepIndexes ? keyPath.replace(/\[(\d+)\]/g, ".[$1]") : keyPath.replace(/\[\d+\]/g, "")).split(".");
  return [top, ...rest];
}
