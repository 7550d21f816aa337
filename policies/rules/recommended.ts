import type { ResourceValidationPolicy } from "@pulumi/policy";
import { RECOMMENDED } from "../../domain/limits";
import { configNumber } from "../lib/policyConfig";
import { asNumber, findValues, label } from "../lib/resources";

/** Advisory: MaxUserPort at or above Exchange Server Analyzer's threshold (config `recommendedMinimum`, default {@link RECOMMENDED}.minimumMaxUserPort). */
export const maxUserPortRecommended: ResourceValidationPolicy = {
  name: "mailhost-max-user-port-recommended",
  description: `MaxUserPort should be at least ${RECOMMENDED.minimumMaxUserPort}, the threshold below which Exchange Server Analyzer warns.`,
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const minimum = configNumber(args.getConfig<Record<string, unknown>>(), "recommendedMinimum", RECOMMENDED.minimumMaxUserPort);
    for (const found of findValues(args.type, args.props, "MaxUserPort")) {
      const value = asNumber(found.value);
      if (typeof value === "number" && value < minimum) {
        report(
          `${label(args.type, args.name)} sets MaxUserPort = ${found.protected ? "(protected value)" : value} in ${found.where}; at least ${minimum} is recommended.`,
        );
      }
    }
  },
};

/** Advisory: TcpTimedWaitDelay at or below the recommended maximum (config `recommendedMaximum`, seconds, default {@link RECOMMENDED}.maximumTcpTimedWaitDelay). */
export const tcpTimedWaitDelayRecommended: ResourceValidationPolicy = {
  name: "mailhost-tcp-timed-wait-delay-recommended",
  description: `TcpTimedWaitDelay should be at most ${RECOMMENDED.maximumTcpTimedWaitDelay} seconds, so that closed connections free their ports quickly.`,
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const maximum = configNumber(args.getConfig<Record<string, unknown>>(), "recommendedMaximum", RECOMMENDED.maximumTcpTimedWaitDelay);
    for (const found of findValues(args.type, args.props, "TcpTimedWaitDelay")) {
      const value = asNumber(found.value);
      if (typeof value === "number" && value > maximum) {
        report(
          `${label(args.type, args.name)} sets TcpTimedWaitDelay = ${found.protected ? "(protected value)" : value} s in ${found.where}; at most ${maximum} s is recommended.`,
        );
      }
    }
  },
};
