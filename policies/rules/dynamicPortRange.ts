import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DYNAMIC_PORT_RANGE_COUNT, DYNAMIC_PORT_RANGE_START, HIGHEST_PORT, formatRange } from "../../domain/limits";
import { dynamicPortRangeProblems } from "../../domain/rules";
import { asNumber, firstValue, label } from "../lib/resources";

/** The dynamic port range is valid on its own and ends at MaxUserPort when that is set too. */
export const dynamicPortRange: ResourceValidationPolicy = {
  name: "mailhost-dynamic-port-range-valid",
  description: `The dynamic port range must start within ${formatRange(DYNAMIC_PORT_RANGE_START)}, hold ${formatRange(DYNAMIC_PORT_RANGE_COUNT)}, end at or below port ${HIGHEST_PORT}, and end exactly at MaxUserPort where both are set.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const start = firstValue(args.type, args.props, "DynamicPortRangeStartPort");
    const count = firstValue(args.type, args.props, "DynamicPortRangeNumberOfPorts");
    if (start === undefined && count === undefined) return;
    const who = label(args.type, args.name);
    if (start === undefined || count === undefined) {
      const [present, missing] =
        start === undefined ? ["DynamicPortRangeNumberOfPorts", "DynamicPortRangeStartPort"] : ["DynamicPortRangeStartPort", "DynamicPortRangeNumberOfPorts"];
      report(`${who} sets ${present} without ${missing}; the dynamic port range needs both.`);
      return;
    }
    const maxUserPort = firstValue(args.type, args.props, "MaxUserPort");
    for (const problem of dynamicPortRangeProblems(
      asNumber(start.value),
      asNumber(count.value),
      maxUserPort === undefined ? undefined : asNumber(maxUserPort.value),
    )) {
      report(`${who}: ${problem}, in ${start.where} and ${count.where}.`);
    }
  },
};
