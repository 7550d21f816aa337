/**
 * Benchmark only: the library's rules merged into as few policies as levels allow (one resource
 * and one stack policy per enforcement level), each violation still reported under its rule's name
 * and level. The SDK decodes a resource once per policy, so this is the cheapest layout; it is not
 * the shipped one because a policy config can then no longer set a level by rule name (see
 * docs/POLICIES-LIBRARY.md, "One policy per rule"). `npm run bench:pack -- --pack bench/packs/merged`.
 */
import { type PolicyPackConfig, PolicyPack, type ReportViolation, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { mailhostPolicies } from "../../../policies/library";

type Rule = ResourceValidationPolicy | StackValidationPolicy;

/** Reports as the rule would have: its name, description and level. */
function reportAs(rule: Rule, report: ReportViolation): ReportViolation {
  const emit = report as unknown as (v: object) => void;
  return ((message: string | { message?: string; urn?: string; enforcementLevel?: string }, urn?: string) => {
    if (typeof message === "object")
      return emit({ ...message, name: rule.name, description: rule.description, enforcementLevel: message.enforcementLevel ?? rule.enforcementLevel });
    return emit({
      name: rule.name,
      description: rule.description,
      message: message ? `${rule.description}\n${message}` : rule.description,
      urn,
      enforcementLevel: rule.enforcementLevel,
    });
  }) as ReportViolation;
}

const merged: Rule[] = [];
const rules = mailhostPolicies() as Rule[];
for (const level of ["mandatory", "advisory"] as const) {
  const resource = rules.filter((r): r is ResourceValidationPolicy => "validateResource" in r && r.enforcementLevel === level);
  const stack = rules.filter((r): r is StackValidationPolicy => "validateStack" in r && r.enforcementLevel === level);
  const steps = resource.flatMap((rule) =>
    (Array.isArray(rule.validateResource) ? rule.validateResource : [rule.validateResource!]).map((validate) => ({ rule, validate })),
  );
  if (steps.length > 0)
    merged.push({
      name: `mailhost-merged-resource-${level}`,
      description: `Resource rules at ${level}.`,
      enforcementLevel: level,
      validateResource: async (args, report) => {
        for (const { rule, validate } of steps) await validate(args, reportAs(rule, report));
      },
    });
  if (stack.length > 0)
    merged.push({
      name: `mailhost-merged-stack-${level}`,
      description: `Stack rules at ${level}.`,
      enforcementLevel: level,
      validateStack: async (args, report) => {
        for (const rule of stack) await rule.validateStack(args, reportAs(rule, report));
      },
    });
}
const initialConfig: PolicyPackConfig = {};
new PolicyPack("mailhost-merged-bench", { policies: merged }, initialConfig);
