import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatRange, MAX_USER_PORT } from "../../domain/limits";
import { maxUserPortProblem } from "../../domain/rules";
import { checkEachValue } from "../lib/ranges";

/** MaxUserPort within its range on every extension or run command that carries it. */
export const maxUserPortRange: ResourceValidationPolicy = {
  name: "mailhost-max-user-port-range",
  description: `MaxUserPort must be an integer within ${formatRange(MAX_USER_PORT)} on every VM extension or run command that sets it.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => checkEachValue(args.type, args.name, args.props, "MaxUserPort", (v) => maxUserPortProblem(v), report),
};
