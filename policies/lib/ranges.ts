/**
 * Shared body of the range policies: check every value of one name that a resource carries
 * with a rule of `domain/rules.ts`, and report one violation per problem.
 */
import type { ReportViolation } from "@pulumi/policy";
import type { TuningParameterName } from "../../domain/plan";
import { asNumber, findValues, label } from "./resources";

export function checkEachValue(
  type: string,
  name: string,
  props: Record<string, unknown>,
  parameter: TuningParameterName,
  problemOf: (value: unknown) => string | undefined,
  report: ReportViolation,
): void {
  for (const found of findValues(type, props, parameter)) {
    const problem = problemOf(asNumber(found.value));
    if (problem !== undefined) {
      // A protected (secret) value is never echoed.
      const text = found.protected ? problem.replace(/ = .*? (is|does)/, " (protected value) $1") : problem;
      report(`${label(type, name)}: ${text}, in ${found.where}.`);
    }
  }
}
