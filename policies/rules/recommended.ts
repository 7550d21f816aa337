import type { ResourceValidationPolicy } from "@pulumi/policy";
import { MAX_USER_PORT, RECOMMENDED, TCP_TIMED_WAIT_DELAY } from "../../domain/limits";
import { configNumber } from "../lib/policyConfig";
import { asNumber, findValues, label } from "../lib/resources";

/** Advisory: MaxUserPort at or above Exchange Server Analyzer's threshold. */
export const maxUserPortRecommended: ResourceValidationPolicy = {
  name: "mailhost-max-user-port-recommended",
  description: `MaxUserPort should be at least ${RECOMMENDED.minimumMaxUserPort}, the threshold below which Exchange Server Analyzer warns.`,
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      recommendedMinimum: { type: "integer", minimum: MAX_USER_PORT.min, maximum: MAX_USER_PORT.max, default: RECOMMENDED.minimumMaxUserPort, description: "Lowest recommended MaxUserPort." },
    },
  },
  validateResource: (args, report) => {
    const minimum = configNumber(args.getConfig<Record<string, unknown>>(), "recommendedMinimum", RECOMMENDED.minimumMaxUserPort);
    for (const found of findValues(args.type, args.props, "MaxUserPort")) {
      const value = asNumber(found.value);
      if (typeof value === "number" && value < minimum) {
        report(`${label(args.type, args.name)} sets MaxUserPort = ${found.protected ? "(protected value)" : value} in ${found.where}; at least ${minimum} is recommended.`);
      }
    }
  },
};

/** Advisory: TcpTimedWaitDelay at or below the recommended maximum. */
export const tcpTimedWaitDelayRecommended: ResourceValidationPolicy = {
  name: "mailhost-tcp-timed-wait-delay-recommended",
  description: `TcpTimedWaitDelay should be at most ${RECOMMENDED.maximumTcpTimedWaitDelay} seconds, so that closed connections free their ports quickly.`,
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      recommendedMaximum: { type: "integer", minimum: TCP_TIMED_WAIT_DELAY.min, maximum: TCP_TIMED_WAIT_DELAY.max, default: RECOMMENDED.maximumTcpTimedWaitDelay, description: "Highest recommended TcpTimedWaitDelay, seconds." },
    },
  },
  validateResource: (args, report) => {
    const maximum = configNumber(args.getConfig<Record<string, unknown>>(), "recommendedMaximum", RECOMMENDED.maximumTcpTimedWaitDelay);
    for (const found of findValues(args.type, args.props, "TcpTimedWaitDelay")) {
      const value = asNumber(found.value);
      if (typeof value === "number" && value > maximum) {
        report(`${label(args.type, args.name)} sets TcpTimedWaitDelay = ${found.protected ? "(protected value)" : value} s in ${found.where}; at most ${maximum} s is recommended.`);
      }
    }
  },
};
