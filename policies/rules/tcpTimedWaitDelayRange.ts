import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatRange, TCP_TIMED_WAIT_DELAY } from "../../domain/limits";
import { tcpTimedWaitDelayProblem } from "../../domain/rules";
import { checkEachValue } from "../lib/ranges";

/** TcpTimedWaitDelay within its range on every extension or run command that carries it. */
export const tcpTimedWaitDelayRange: ResourceValidationPolicy = {
  name: "mailhost-tcp-timed-wait-delay-range",
  description: `TcpTimedWaitDelay must be an integer within ${formatRange(TCP_TIMED_WAIT_DELAY)} on every VM extension or run command that sets it.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => checkEachValue(args.type, args.name, args.props, "TcpTimedWaitDelay", (v) => tcpTimedWaitDelayProblem(v), report),
};
