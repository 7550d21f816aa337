import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  HIGHEST_PORT,
  MAX_USER_PORT,
  MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE,
  TCP_TIMED_WAIT_DELAY,
  WINDOWS_DEFAULTS,
  formatRange,
} from "../../domain/limits";
import { autoReusePortRangeProblems, dynamicPortRangeProblems, maxUserPortProblem, tcpTimedWaitDelayProblem } from "../../domain/rules";
import { label } from "../lib/resources";
import { type ScriptFinding, readScriptTuning } from "../lib/scriptText/reader";

/** Where a write sits, for messages: `settings.commandToExecute (line 1, reg add)`. */
export function locationOf(f: ScriptFinding): string {
  return `${f.where} (line ${f.write.line}, ${f.write.via})`;
}

/** What Windows uses when a Tcpip value is ignored (domain/limits.ts WINDOWS_DEFAULTS). */
function ignoredMeans(setting: "TcpTimedWaitDelay" | "MaxUserPort"): string {
  return setting === "TcpTimedWaitDelay"
    ? `its default of ${WINDOWS_DEFAULTS.tcpTimedWaitDelay} seconds`
    : "no MaxUserPort cap (the dynamic port range alone decides)";
}

/** The problems of one write, as sentence tails of domain/rules.ts (`TcpTimedWaitDelay = <value> is outside <range>`). */
function problemsOf(f: ScriptFinding, maxUserPort: number | undefined, dynamicRange: { start: number; count: number } | undefined): string[] {
  const w = f.write;
  if (w.kind === "autoReuse") return autoReuseProblemsOf(f, dynamicRange);
  if (w.kind === "registry") {
    if (!w.keyKnown || !w.value.ok) return []; // the advisory policy says these cannot be verified
    if (w.wrongType !== undefined) {
      return [
        `${w.setting} is written as ${w.wrongType}, not REG_DWORD; TCP/IP reads it only as REG_DWORD, so Windows ignores it and applies ${ignoredMeans(w.setting)}`,
      ];
    }
    const problem = w.setting === "TcpTimedWaitDelay" ? tcpTimedWaitDelayProblem(w.value.value) : maxUserPortProblem(w.value.value);
    if (problem === undefined) return [];
    // A protected (secret) value is never echoed.
    return [f.protected ? problem.replace(/ = .*? (is|does)/, " (protected value) $1") : problem];
  }
  const start = w.start?.ok ? w.start.value : undefined;
  const count = w.count?.ok ? w.count.value : undefined;
  let problems: string[];
  if (start !== undefined && count !== undefined) problems = dynamicPortRangeProblems(start, count, maxUserPort);
  else {
    // One half left unchanged or not evaluable (the advisory policy says so): judge the other on its own.
    problems = [
      ...(start === undefined ? [] : dynamicPortRangeProblems(start, DYNAMIC_PORT_RANGE_COUNT.min).filter((p) => p.startsWith("DynamicPortRangeStartPort"))),
      ...(count === undefined
        ? []
        : dynamicPortRangeProblems(DYNAMIC_PORT_RANGE_START.min, count).filter((p) => p.startsWith("DynamicPortRangeNumberOfPorts"))),
    ];
  }
  if (!f.protected || problems.length === 0) return problems;
  return [
    `the dynamic port range it sets (protected value) is not valid: it must start within ${formatRange(DYNAMIC_PORT_RANGE_START)}, hold ${formatRange(DYNAMIC_PORT_RANGE_COUNT)}, end at or below port ${HIGHEST_PORT}${maxUserPort === undefined ? "" : " and end at MaxUserPort"}`,
  ];
}

/**
 * The problems of an auto-reuse range write: its own limits and, when the resource's texts also
 * set the dynamic port range, lying strictly inside it with enough ports left outside.
 */
function autoReuseProblemsOf(f: ScriptFinding, dynamicRange: { start: number; count: number } | undefined): string[] {
  const w = f.write;
  if (w.kind !== "autoReuse") return [];
  const start = w.start?.ok ? w.start.value : undefined;
  const count = w.count?.ok ? w.count.value : undefined;
  let problems: string[];
  if (start !== undefined && count !== undefined) {
    // 0 ports switches the feature off (Windows' default): nothing to check against the ranges.
    if (count === 0) return [];
    problems = autoReusePortRangeProblems(start, count, dynamicRange?.start, dynamicRange?.count);
  } else {
    problems = [
      ...(start === undefined
        ? []
        : autoReusePortRangeProblems(start, AUTO_REUSE_PORT_RANGE_COUNT.min).filter((p) => p.startsWith("AutoReusePortRangeStartPort"))),
      ...(count === undefined || count === 0
        ? []
        : autoReusePortRangeProblems(AUTO_REUSE_PORT_RANGE_START.min, count).filter((p) => p.startsWith("AutoReusePortRangeNumberOfPorts"))),
    ];
  }
  if (!f.protected || problems.length === 0) return problems;
  return [
    `the auto-reuse port range it sets (protected value) is not valid: it must start within ${formatRange(AUTO_REUSE_PORT_RANGE_START)}, hold ${formatRange(AUTO_REUSE_PORT_RANGE_COUNT)}${dynamicRange === undefined ? "" : ` and lie inside the dynamic port range with at least ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} of its ports outside`}`,
  ];
}

/** The dynamic port range a resource's texts set with both values known (the last one), for the auto-reuse rule. */
function writtenDynamicRange(findings: readonly ScriptFinding[]): { start: number; count: number } | undefined {
  let range: { start: number; count: number } | undefined;
  for (const f of findings) {
    const w = f.write;
    if (w.kind === "range" && w.start?.ok && w.count?.ok && typeof w.start.value === "number" && typeof w.count.value === "number")
      range = { start: w.start.value, count: w.count.value };
  }
  return range;
}

/** The MaxUserPort a resource's texts write as a valid REG_DWORD (the last one), for the range-end rule. */
function writtenMaxUserPort(findings: readonly ScriptFinding[]): number | undefined {
  let value: number | undefined;
  for (const f of findings) {
    const w = f.write;
    if (w.kind === "registry" && w.setting === "MaxUserPort" && w.keyKnown && w.value.ok && w.wrongType === undefined && typeof w.value.value === "number")
      value = w.value.value;
  }
  return value;
}

/**
 * The same ranges as the structured policies, applied to the values that script and command text
 * sets: `reg add`, `Set-ItemProperty`/`New-ItemProperty`, `netsh interface ipv4|ipv6 set
 * dynamicportrange` and `Set-NetTCPSetting`, in extension `commandToExecute` and run-command scripts.
 */
export const scriptTuningRange: ResourceValidationPolicy = {
  name: "mailhost-script-tuning-range",
  description: `Port tuning set in script text (CustomScriptExtension commandToExecute in settings or protectedSettings, run-command source.script and script lines, on VMs and scale sets; via reg add, Set-ItemProperty, New-ItemProperty, netsh interface ipv4/ipv6 set dynamicportrange, Set-NetTCPSetting) must hold the same ranges: TcpTimedWaitDelay within ${formatRange(TCP_TIMED_WAIT_DELAY)}, MaxUserPort within ${formatRange(MAX_USER_PORT)}, a valid dynamic port range ending at MaxUserPort where both are set, a valid auto-reuse port range strictly inside the dynamic one where both are set, and both registry values written as REG_DWORD.`,
  enforcementLevel: "mandatory",
  validateResource: async (args, report) => {
    const { findings } = await readScriptTuning(args.type, args.props);
    if (findings.length === 0) return;
    const who = label(args.type, args.name);
    const maxUserPort = writtenMaxUserPort(findings);
    const dynamicRange = writtenDynamicRange(findings);
    for (const f of findings) {
      for (const problem of problemsOf(f, maxUserPort, dynamicRange)) report(`${who}: ${problem}, in ${locationOf(f)}.`);
    }
  },
};
