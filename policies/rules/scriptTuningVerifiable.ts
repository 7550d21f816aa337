import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
  AUTO_REUSE_PORT_RANGE_COUNT,
  AUTO_REUSE_PORT_RANGE_START,
  DYNAMIC_PORT_RANGE_COUNT,
  DYNAMIC_PORT_RANGE_START,
  MAX_USER_PORT,
  TCP_TIMED_WAIT_DELAY,
  formatRange,
} from "../../domain/limits";
import { indexVms, isVirtualMachine, targetVms, vmName } from "../lib/hosts";
import { label } from "../lib/resources";
import { type ScriptFinding, type ScriptReading, readScriptTuning } from "../lib/scriptText/reader";
import { known } from "../lib/unknown";
import { locationOf } from "./scriptTuningRange";

const RANGES = {
  TcpTimedWaitDelay: TCP_TIMED_WAIT_DELAY,
  MaxUserPort: MAX_USER_PORT,
  DynamicPortRangeStartPort: DYNAMIC_PORT_RANGE_START,
  DynamicPortRangeNumberOfPorts: DYNAMIC_PORT_RANGE_COUNT,
  AutoReusePortRangeStartPort: AUTO_REUSE_PORT_RANGE_START,
  AutoReusePortRangeNumberOfPorts: AUTO_REUSE_PORT_RANGE_COUNT,
} as const;

/** Scale-set resources run on the scale set's instances: in a mail host stack, mail hosts. */
const SCALE_SET_RESOURCE = /^azure-native:compute(\/v[0-9a-z]+)?:VirtualMachineScaleSet(Extension|VMExtension|VMRunCommand)?$/;

/** The settings a finding writes that the pack cannot evaluate, each with why. */
function unverifiable(f: ScriptFinding): Array<{ setting: keyof typeof RANGES; why: string }> {
  const w = f.write;
  const shown = (expression: string) => (f.protected ? "a protected value" : `\`${expression}\``);
  if (w.kind === "registry") {
    if (!w.keyKnown) return [{ setting: w.setting, why: "it names the registry key with an expression the pack cannot evaluate" }];
    return w.value.ok ? [] : [{ setting: w.setting, why: `it sets it to ${shown(w.value.expression)}, which the pack cannot evaluate` }];
  }
  const out: Array<{ setting: keyof typeof RANGES; why: string }> = [];
  if (w.kind === "autoReuse") {
    if (w.start !== undefined && !w.start.ok)
      out.push({
        setting: "AutoReusePortRangeStartPort",
        why: `it sets the auto-reuse range's start to ${shown(w.start.expression)}, which the pack cannot evaluate`,
      });
    if (w.count !== undefined && !w.count.ok)
      out.push({
        setting: "AutoReusePortRangeNumberOfPorts",
        why: `it sets the auto-reuse range's number of ports to ${shown(w.count.expression)}, which the pack cannot evaluate`,
      });
    return out;
  }
  if (w.start !== undefined && !w.start.ok)
    out.push({ setting: "DynamicPortRangeStartPort", why: `it sets the range's start to ${shown(w.start.expression)}, which the pack cannot evaluate` });
  if (w.count !== undefined && !w.count.ok)
    out.push({
      setting: "DynamicPortRangeNumberOfPorts",
      why: `it sets the range's number of ports to ${shown(w.count.expression)}, which the pack cannot evaluate`,
    });
  return out;
}

/** The mail hosts a resource runs on, for the message: VM names, or "its scale set's instances". */
function mailHostsOf(r: PolicyResource, vms: ReturnType<typeof indexVms>): string | undefined {
  if (SCALE_SET_RESOURCE.test(r.type)) return "the scale set's instances";
  const targets = targetVms(r, vms);
  return targets.length === 0 ? undefined : targets.map((vm) => `VirtualMachine "${vmName(vm) ?? vm.name}"`).join(", ");
}

/** A resource's reading, or undefined when a property it needs is unknown during preview. */
async function readKnown(r: PolicyResource): Promise<ScriptReading | undefined> {
  try {
    return await readScriptTuning(r.type, r.props);
  } catch (err) {
    if (err instanceof Error && err.constructor.name === "UnknownValueError") return undefined;
    throw err;
  }
}

/**
 * Advisory: script text sets a Tcpip port setting to a value the pack cannot evaluate, or a mail
 * host runs a script the pack cannot read (fetched from `source.scriptUri` or `fileUris`).
 */
export const scriptTuningVerifiable: StackValidationPolicy = {
  name: "mailhost-script-tuning-verifiable",
  description:
    "The pack must be able to verify port tuning set in script text: a TcpTimedWaitDelay, MaxUserPort, dynamic port range or auto-reuse port range set to a variable or expression cannot be checked against its range, nor can a script a mail host fetches by address (run-command source.scriptUri, extension fileUris).",
  enforcementLevel: "advisory",
  validateStack: async (args, report) => {
    const vms = indexVms(args.resources.filter(isVirtualMachine));
    for (const r of args.resources) {
      const reading = await readKnown(r);
      if (reading === undefined) continue;
      const { findings, unreadable } = reading;
      const who = label(r.type, r.name);
      for (const f of findings) {
        for (const { setting, why } of unverifiable(f)) {
          report(`${who}: cannot verify ${setting} (allowed ${formatRange(RANGES[setting])}): in ${locationOf(f)}, ${why}.`, r.urn);
        }
      }
      if (unreadable.length === 0) continue;
      const hosts = known(() => mailHostsOf(r, vms));
      if (!hosts.ok || hosts.value === undefined) continue;
      for (const u of unreadable) {
        report(
          `${who}: cannot verify the TcpTimedWaitDelay, MaxUserPort and dynamic port range set on ${hosts.value}: it runs a script fetched from ${u.where}, which the pack cannot read.`,
          r.urn,
        );
      }
    }
  },
};
