import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START, HIGHEST_PORT, MAX_USER_PORT, TCP_TIMED_WAIT_DELAY, WINDOWS_DEFAULTS, formatRange } from "../../domain/limits";
import { dynamicPortRangeProblems, maxUserPortProblem, tcpTimedWaitDelayProblem } from "../../domain/rules";
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
function problemsOf(f: ScriptFinding, maxUserPort: number | undefined): string[] {
  const w = f.write;
  if (w.kind === "registry") {
    if (!w.keyKnown || !w.value.ok) return []; // the advisory policy says these cannot be verified
    if (w.wrongType !== undefined) {
      return [`${w.setting} is written as ${w.wrongType}, not REG_DWORD; TCP/IP reads it only as REG_DWORD, so Windows ignores it and applies ${ignoredMeans(w.setting)}`];
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
      ...(count === undefined ? [] : dynamicPortRangeProblems(DYNAMIC_PORT_RANGE_START.min, count).filter((p) => p.startsWith("DynamicPortRangeNumberOfPorts"))),
    ];
  }
  if (!f.protected || problems.length === 0) return problems;
  return [`the dynamic port range it sets (protected value) is not valid: it must start within ${formatRange(DYNAMIC_PORT_RANGE_START)}, hold ${formatRange(DYNAMIC_PORT_RANGE_COUNT)}, end at or below port ${HIGHEST_PORT}${maxUserPort === undefined ? "" : " and end at MaxUserPort"}`];
}

/** The MaxUserPort a resource's texts write as a valid REG_DWORD (the last one), for the range-end rule. */
function writtenMaxUserPort(findings: readonly ScriptFinding[]): number | undefined {
  let value: number | undefined;
  for (const f of findings) {
    const w = f.write;
    if (w.kind === "registry" && w.setting === "MaxUserPort" && w.keyKnown && w.value.ok && w.wrongType === undefined && typeof w.value.value === "number") value = w.value.value;
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
  description: `Port tuning set in script text (CustomScriptExtension commandToExecute in settings or protectedSettings, run-command source.script and script lines, on VMs and scale sets; via reg add, Set-ItemProperty, New-ItemProperty, netsh interface ipv4/ipv6 set dynamicportrange, Set-NetTCPSetting) must hold the same ranges: TcpTimedWaitDelay within ${formatRange(TCP_TIMED_WAIT_DELAY)}, MaxUserPort within ${formatRange(MAX_USER_PORT)}, a valid dynamic port range ending at MaxUserPort where both are set, and both registry values written as REG_DWORD.`,
  enforcementLevel: "mandatory",
  validateResource: async (args, report) => {
    const { findings } = await readScriptTuning(args.type, args.props);
    if (findings.length === 0) return;
    const who = label(args.type, args.name);
    const maxUserPort = writtenMaxUserPort(findings);
    for (const f of findings) {
      for (const problem of problemsOf(f, maxUserPort)) report(`${who}: ${problem}, in ${locationOf(f)}.`);
    }
  },
};
