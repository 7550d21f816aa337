/**
 * Several rules as one policy of the pack. The policy SDK (`@pulumi/policy`) deserializes a
 * resource's properties once per resource policy for every Analyze call, and every resource of the
 * stack once per stack policy for AnalyzeStack; it skips a policy cheaply only when its
 * `validateResource` is bound to one exact type token, which these rules cannot be (API-versioned
 * type tokens and scale-set variants must stay covered). So rules that have the same enforcement
 * level in every stack run as one policy, on one deserialization.
 *
 * A rule keeps its own name, description, config keys and messages: each violation it reports
 * carries the rule's description and the full text it had as a policy of its own
 * (`<rule description>\n<message>`), so the diagnostic differs only in `policyName`, the group's.
 * {@link ruleOfDiagnostic} gives back the rule from the group's name and the description.
 */
import type { EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

/** A policy made of rules; `rules` are the rules as they were written, each a policy on its own. */
export interface ResourceRuleGroup extends ResourceValidationPolicy {
  readonly rules: readonly ResourceValidationPolicy[];
}

/** A stack policy made of stack rules. */
export interface StackRuleGroup extends StackValidationPolicy {
  readonly rules: readonly StackValidationPolicy[];
}

export interface GroupSpec {
  /** The group's policy name (lower-kebab case, `mailhost-` prefix). */
  readonly name: string;
  /** One sentence saying what the rules have in common. */
  readonly description: string;
}

type Rule = ResourceValidationPolicy | StackValidationPolicy;
type Violation = { message?: string; description?: string; urn?: string; enforcementLevel?: EnforcementLevel } & Record<string, unknown>;

/**
 * The group's default level: the rules' own, which must be one level (a level belongs to a whole
 * policy). Throws an Error naming the rules and their levels otherwise, or when two rules share a
 * description or a config key (a violation's rule is found by its description; the group's
 * config is the union of the rules' config).
 */
function checkRules(spec: GroupSpec, rules: readonly Rule[]): { enforcementLevel: EnforcementLevel; configSchema?: PolicyConfigSchema } {
  if (rules.length === 0) throw new Error(`${spec.name}: a group needs at least one rule`);
  const levels = new Set(rules.map((r) => r.enforcementLevel ?? "advisory"));
  if (levels.size !== 1) throw new Error(`${spec.name}: rules of one policy need one enforcement level; got ${rules.map((r) => `${r.name} = ${r.enforcementLevel ?? "advisory"}`).join(", ")}`);
  const descriptions = new Set(rules.map((r) => r.description));
  if (descriptions.size !== rules.length) throw new Error(`${spec.name}: two rules share a description`);
  const properties: PolicyConfigSchema["properties"] = {};
  const required: string[] = [];
  for (const rule of rules) {
    for (const [key, schema] of Object.entries(rule.configSchema?.properties ?? {})) {
      if (key in properties) throw new Error(`${spec.name}: config key ${key} is in more than one rule`);
      properties[key] = schema;
    }
    required.push(...(rule.configSchema?.required ?? []));
  }
  const configSchema = Object.keys(properties).length === 0 ? undefined : { properties, ...(required.length > 0 ? { required } : {}) };
  return { enforcementLevel: [...levels][0], ...(configSchema ? { configSchema } : {}) };
}

/**
 * The report function a rule gets: what it reports goes to the group's report as an object that
 * keeps the rule's description and the message the SDK would have built for the rule alone
 * (a string message `m` becomes `<rule description>\n<m>`; an object keeps its message, level and URN).
 */
function reportAs(rule: Rule, report: ReportViolation): ReportViolation {
  return ((message: string | Violation, urn?: string) => {
    if (typeof message === "object" && message !== null) {
      (report as unknown as (v: Violation) => void)({ ...message, description: message.description ?? rule.description });
      return;
    }
    (report as unknown as (v: Violation) => void)({ message: message ? `${rule.description}\n${message}` : rule.description, description: rule.description, urn });
  }) as ReportViolation;
}

const isUnknownValue = (err: unknown) => err instanceof Error && err.constructor.name === "UnknownValueError";

/**
 * Runs each rule; an unknown value (preview) that stops one rule does not stop the others. The
 * first such error is thrown again at the end, so the SDK still reports its advisory
 * "can't run during preview" note (for the group); any other error is thrown at once.
 */
async function runEach<T>(rules: readonly T[], run: (rule: T) => unknown): Promise<void> {
  let unknown: unknown;
  for (const rule of rules) {
    try {
      await run(rule);
    } catch (err) {
      if (!isUnknownValue(err)) throw err;
      unknown ??= err;
    }
  }
  if (unknown !== undefined) throw unknown;
}

/** The rule's validations (the SDK allows an array). */
const validationsOf = (rule: ResourceValidationPolicy) => (rule.validateResource === undefined ? [] : Array.isArray(rule.validateResource) ? rule.validateResource : [rule.validateResource]);

/**
 * One resource policy that runs every rule's `validateResource`, in order, with the same
 * arguments. Its default level is the rules' (see {@link checkRules} for what throws); its
 * configSchema is the union of theirs, and each rule reads its own keys from it.
 */
export function groupResourceRules(spec: GroupSpec, rules: readonly ResourceValidationPolicy[]): ResourceRuleGroup {
  const { enforcementLevel, configSchema } = checkRules(spec, rules);
  const steps = rules.flatMap((rule) => validationsOf(rule).map((validate) => ({ rule, validate })));
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel,
    ...(configSchema ? { configSchema } : {}),
    rules,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) =>
      runEach(steps, ({ rule, validate }) => validate(args, reportAs(rule, report))),
  };
}

/** One stack policy that runs every rule's `validateStack`, in order, with the same arguments. */
export function groupStackRules(spec: GroupSpec, rules: readonly StackValidationPolicy[]): StackRuleGroup {
  const { enforcementLevel, configSchema } = checkRules(spec, rules);
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel,
    ...(configSchema ? { configSchema } : {}),
    rules,
    validateStack: (args: StackValidationArgs, report: ReportViolation) =>
      runEach(rules, (rule) => rule.validateStack(args, reportAs(rule, report))),
  };
}

/** The rules of a pack policy: a group's rules, or the policy itself. */
export function rulesOf(policy: Rule): readonly Rule[] {
  return "rules" in policy && Array.isArray((policy as { rules?: unknown }).rules) ? (policy as ResourceRuleGroup | StackRuleGroup).rules : [policy];
}

/**
 * The rule that produced a diagnostic, by the policy's name and the diagnostic's description:
 * its name (the policy's own name when the policy is not a group), or undefined when the policy
 * is not in `policies` or no rule has that description (e.g. the SDK's "can't run during preview"
 * note, which carries the group's description).
 */
export function ruleOfDiagnostic(policies: readonly Rule[], diagnostic: { policyName: string; description?: string }): string | undefined {
  const policy = policies.find((p) => p.name === diagnostic.policyName);
  if (policy === undefined) return undefined;
  const rules = rulesOf(policy);
  if (rules.length === 1 && rules[0] === policy) return policy.name;
  return rules.find((r) => r.description === diagnostic.description)?.name;
}
