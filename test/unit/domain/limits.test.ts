import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as limits from "../../../domain/limits";
import { limitCommentFiles, withLimitsInComments, withoutGeneratedNumbers } from "../../../scripts/limitsInComments";
import { REPO_ROOT } from "../../support/stacks";

/**
 * The numbers of the port-tuning limits: range ends, defaults, Windows defaults, recommendations
 * and the ports the NSG guards. Two-digit numbers (30, 60) are too common (timeouts, "60 s of
 * Linux TIME_WAIT") to grep for; the ranges that use them are checked through their formatted text.
 */
function limitNumbers(): number[] {
  const numbers = new Set<number>();
  const collect = (value: unknown) => {
    if (typeof value === "number" && Number.isInteger(value) && value >= 100) numbers.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(collect);
  };
  const {
    TCP_TIMED_WAIT_DELAY,
    MAX_USER_PORT,
    DYNAMIC_PORT_RANGE_START,
    DYNAMIC_PORT_RANGE_COUNT,
    HIGHEST_PORT,
    HIGHEST_RESERVED_PORT,
    MIN_DYNAMIC_PORT_COUNT,
    MAILBOX_CACHE_TTL,
    DEFAULTS,
    WINDOWS_DEFAULTS,
    RECOMMENDED,
    MANAGEMENT_PORTS,
  } = limits;
  collect([
    TCP_TIMED_WAIT_DELAY,
    MAX_USER_PORT,
    DYNAMIC_PORT_RANGE_START,
    DYNAMIC_PORT_RANGE_COUNT,
    HIGHEST_PORT,
    HIGHEST_RESERVED_PORT,
    MIN_DYNAMIC_PORT_COUNT,
    MAILBOX_CACHE_TTL,
    DEFAULTS,
    WINDOWS_DEFAULTS,
    RECOMMENDED,
    MANAGEMENT_PORTS,
  ]);
  // Monitoring ranges. Their defaults (10, 15, 60, 500) and the action group's 1,000 e-mail
  // receivers are too common (timeouts, milliseconds, slices) to grep for, and so are the correction
  // windows (whole hours in minutes); the correction threshold's range is checked through its formatted text.
  const {
    TIME_WAIT_COLLISION_THRESHOLD,
    CONNECTION_FAILURE_THRESHOLD,
    HEARTBEAT_SILENCE_MINUTES,
    PERF_SAMPLING_INTERVAL,
    LOG_ANALYTICS_RETENTION_DAYS,
    MONITORING_SCHEDULE,
    WEBHOOK_URL_MAX_LENGTH,
    NAT_SNAT_FAILED_CONNECTION_THRESHOLD,
    NAT_PACKET_DROP_THRESHOLD,
  } = limits;
  collect([
    TIME_WAIT_COLLISION_THRESHOLD,
    CONNECTION_FAILURE_THRESHOLD,
    HEARTBEAT_SILENCE_MINUTES,
    PERF_SAMPLING_INTERVAL,
    LOG_ANALYTICS_RETENTION_DAYS,
    MONITORING_SCHEDULE,
    WEBHOOK_URL_MAX_LENGTH,
    NAT_SNAT_FAILED_CONNECTION_THRESHOLD,
    NAT_PACKET_DROP_THRESHOLD,
  ]);
  return [...numbers];
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".git", "test", "docs", "dist"].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|js|mjs|ps1)$/.test(entry.name)) out.push(full);
  }
  return out;
}

describe("limits module: one source of truth", () => {
  it("finds the limits to look for", () => {
    const numbers = limitNumbers();
    for (const n of [300, 5000, 65534, 65535, 255, 86400, 50000, 120, 49152, 16384, 3389, 720, 730, 2048, 100_000]) assert.ok(numbers.includes(n), String(n));
  });
  it("no other non-test source file writes a limit's number (not even in a comment), but the numbers npm run docs generates beside their constant's name", () => {
    const numbers = limitNumbers();
    const limitsFile = path.join(REPO_ROOT, "domain", "limits.ts");
    const generatedFiles = new Set(limitCommentFiles(REPO_ROOT));
    const offenders: string[] = [];
    for (const file of sourceFiles(REPO_ROOT)) {
      if (file === limitsFile) continue;
      const text = fs.readFileSync(file, "utf8");
      // In the components' doc comments a generated number ("Range: 30–300 (seconds; `TCP_TIMED_WAIT_DELAY`)",
      // scripts/limitsInComments.ts) is written from its constant and cannot go stale: a stale one is an
      // offender, a fresh one is skipped. Anywhere else every number counts.
      const generated = generatedFiles.has(file);
      if (generated && withLimitsInComments(text, file) !== text)
        offenders.push(`${path.relative(REPO_ROOT, file)}: a generated number is stale (npm run docs)`);
      const lines = text.split("\n").map((line) => (generated ? withoutGeneratedNumbers(line) : line));
      lines.forEach((line, i) => {
        for (const n of numbers) {
          // Digits not part of a longer number, a version ("2.83"), a hex hash or an identifier.
          if (new RegExp(`(?<![\\w.])${n}(?![\\w.])`).test(line)) offenders.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${n}: ${line.trim()}`);
        }
        if (/\b30\s*(–|-|\.\.|to)\s*300\b/.test(line)) offenders.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: 30–300: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });
  it("skips a generated number only where it stands beside its constant's name", () => {
    assert.equal(
      withoutGeneratedNumbers("Range: 5000–65534 (port number; `MAX_USER_PORT`). Defaults to 65534 (`DEFAULTS.maxUserPort`)."),
      "Range: (port number; `MAX_USER_PORT`). Defaults to (`DEFAULTS.maxUserPort`).",
    );
    assert.equal(withoutGeneratedNumbers("MaxUserPort 65534 (the highest)"), "MaxUserPort 65534 (the highest)");
  });
  it("formats ranges the one way every message uses", () => {
    assert.equal(limits.formatRange(limits.TCP_TIMED_WAIT_DELAY), "30–300 (seconds)");
    assert.equal(limits.formatRange(limits.MAX_USER_PORT), "5000–65534 (port number)");
  });
  it("keeps the derived dynamic-range limits consistent with the highest port", () => {
    assert.equal(limits.dynamicPortRangeEnd(limits.DYNAMIC_PORT_RANGE_START.max, limits.MIN_DYNAMIC_PORT_COUNT), limits.HIGHEST_PORT);
    assert.equal(limits.dynamicPortRangeEnd(limits.DYNAMIC_PORT_RANGE_START.min, limits.DYNAMIC_PORT_RANGE_COUNT.max), limits.HIGHEST_PORT);
  });
});
