import type { ResourceValidationPolicy } from "@pulumi/policy";
import { AUTO_REUSE_PORT_RANGE_COUNT, AUTO_REUSE_PORT_RANGE_START, MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE, formatRange } from "../../domain/limits";
import { autoReusePortRangeProblems } from "../../domain/rules";
import { asNumber, firstValue, label } from "../lib/resources";

/**
 * The auto-reuse port range a resource carries (`AutoReusePortRangeStartPort` and
 * `AutoReusePortRangeNumberOfPorts`, in any mechanism's structured arguments) is valid and lies
 * strictly inside the dynamic port range the same resource sets, leaving enough of it outside.
 */
export const autoReusePortRange: ResourceValidationPolicy = {
  name: "mailhost-auto-reuse-port-range-valid",
  description: `The auto-reuse port range must start within ${formatRange(AUTO_REUSE_PORT_RANGE_START)}, hold ${formatRange(AUTO_REUSE_PORT_RANGE_COUNT)}, and lie strictly inside the dynamic port range set beside it, leaving at least ${MIN_PORTS_OUTSIDE_AUTO_REUSE_RANGE} of its ports outside for connections that cannot use it.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const start = firstValue(args.type, args.props, "AutoReusePortRangeStartPort");
    const count = firstValue(args.type, args.props, "AutoReusePortRangeNumberOfPorts");
    if (start === undefined && count === undefined) return;
    const who = label(args.type, args.name);
    if (start === undefined || count === undefined) {
      const [present, missing] =
        start === undefined
          ? ["AutoReusePortRangeNumberOfPorts", "AutoReusePortRangeStartPort"]
          : ["AutoReusePortRangeStartPort", "AutoReusePortRangeNumberOfPorts"];
      report(`${who} sets ${present} without ${missing}; the auto-reuse port range needs both.`);
      return;
    }
    const dynamicStart = firstValue(args.type, args.props, "DynamicPortRangeStartPort");
    const dynamicCount = firstValue(args.type, args.props, "DynamicPortRangeNumberOfPorts");
    const problems = autoReusePortRangeProblems(asNumber(start.value), asNumber(count.value), asNumber(dynamicStart?.value), asNumber(dynamicCount?.value));
    for (const problem of problems) {
      const text =
        start.protected || count.protected
          ? problem.replace(/ = .*? (is|does)/, " (protected value) $1").replace(/range \d+–\d+ \(.*?\)/, "range (protected value)")
          : problem;
      report(`${who}: ${text}, in ${start.where} and ${count.where}.`);
    }
  },
};
