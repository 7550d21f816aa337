/**
 * The mail-host policies as a library: `mailhostPolicies(options)` returns them for a team's own
 * CrossGuard `PolicyPack`, one policy per rule, each under its rule name
 * (`mailhost-tcp-timed-wait-delay-range`, ...), so that a level is set per rule: in `options`, or
 * per stack in a policy config (`pulumi preview --policy-pack-config`, `mailhost check
 * --policy-pack-config`) keyed by the same names. Entry point `mailhost-iac/policies`; see
 * docs/POLICIES-LIBRARY.md for a complete pack.
 *
 * ```ts
 * import { PolicyPack } from "@pulumi/policy";
 * import { mailhostPolicies } from "mailhost-iac/policies";
 *
 * new PolicyPack("team-mail-guardrails", {
 *   policies: mailhostPolicies({ enforcementLevels: { "mailhost-max-user-port-recommended": "mandatory" } }),
 * });
 * ```
 *
 * The values rules need come from the stack itself unless given here: the capacity load from the
 * stack's `mailhost:capacity`, the MailboxCacheTTL floor from `mailhost:siteConfig.minimumMailboxCacheTtl`,
 * read from the stack config the Pulumi CLI hands to the pack (policies/lib/stackConfig.ts), so a
 * stack's numbers are written once, in its own `Pulumi.<stack>.yaml`.
 */
import type {
  EnforcementLevel,
  Policies,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { closest, distance } from "fastest-levenshtein";
import {
  ACTIVE_SESSIONS_PER_HOST,
  BACKEND_ENDPOINTS,
  DEFAULTS,
  MAILBOX_CACHE_TTL,
  MAX_USER_PORT,
  RECOMMENDED,
  TCP_TIMED_WAIT_DELAY,
  UTILIZATION,
  formatRange,
  inRange,
  type IntRange,
} from "../domain/limits";
import { showValue } from "../domain/issues";
import { autoReusePortRange } from "./rules/autoReusePortRange";
import { capacity, type CapacityConfig } from "./rules/capacity";
import { dynamicPortRange } from "./rules/dynamicPortRange";
import { guestConfigurationApplies, guestConfigurationContentHash, guestConfigurationContentUriHttps } from "./rules/guestConfigurationAssignment";
import { mailboxCacheTtlFloor, type MailboxCacheTtlFloorConfig } from "./rules/mailboxCacheTtlFloor";
import { maxUserPortRange } from "./rules/maxUserPortRange";
import { alertRuleHasActionGroup, portUsageAlert, vmHasDataCollectionRuleAssociation, vmHasMonitoringAgent } from "./rules/monitoring";
import { collectsTuningCorrections, natGatewayAlerts, tuningCorrectionAlert } from "./rules/monitoringCoverage";
import { nicNoPublicIp } from "./rules/nicNoPublicIp";
import { nsgNoRemoteManagementFromInternet } from "./rules/nsgNoRemoteManagementFromInternet";
import { oneTuningPerVm } from "./rules/oneTuningPerVm";
import { maxUserPortRecommended, tcpTimedWaitDelayRecommended } from "./rules/recommended";
import { scriptTuningRange } from "./rules/scriptTuningRange";
import { scriptTuningVerifiable } from "./rules/scriptTuningVerifiable";
import { secretsOnlyProtected } from "./rules/secretsOnlyProtected";
import { subnetExplicitOutbound } from "./rules/subnetExplicitOutbound";
import { tcpTimedWaitDelayRange } from "./rules/tcpTimedWaitDelayRange";
import { tuningValuesReadable } from "./rules/tuningValuesReadable";
import { type PackStack, type StackValue, capacityKey, packStack, siteConfigKey, stackLoad, stackTtlFloor } from "./lib/stackConfig";

/**
 * Every rule, by name, in the order the pack lists them: resource rules, then stack rules. A
 * rule's `enforcementLevel` is its default level.
 */
const RULES = {
  // Resource rules: every resource, on its inputs, before it is created or updated.
  "mailhost-tcp-timed-wait-delay-range": tcpTimedWaitDelayRange,
  "mailhost-max-user-port-range": maxUserPortRange,
  "mailhost-dynamic-port-range-valid": dynamicPortRange,
  "mailhost-auto-reuse-port-range-valid": autoReusePortRange,
  "mailhost-script-tuning-range": scriptTuningRange,
  "mailhost-guest-configuration-content-hash": guestConfigurationContentHash,
  "mailhost-guest-configuration-content-uri-https": guestConfigurationContentUriHttps,
  "mailhost-nic-no-public-ip": nicNoPublicIp,
  "mailhost-nsg-no-remote-management-from-internet": nsgNoRemoteManagementFromInternet,
  "mailhost-secrets-only-in-protected-settings": secretsOnlyProtected,
  "mailhost-mailbox-cache-ttl-floor": mailboxCacheTtlFloor,
  "mailhost-alert-rule-has-action-group": alertRuleHasActionGroup,
  "mailhost-tuning-values-readable": tuningValuesReadable,
  "mailhost-max-user-port-recommended": maxUserPortRecommended,
  "mailhost-tcp-timed-wait-delay-recommended": tcpTimedWaitDelayRecommended,
  // Stack rules: the whole stack at the end of a preview or update.
  "mailhost-vm-has-one-tuning": oneTuningPerVm,
  "mailhost-capacity-sustains-load": capacity,
  "mailhost-vm-has-monitoring-agent": vmHasMonitoringAgent,
  "mailhost-vm-has-data-collection-rule-association": vmHasDataCollectionRuleAssociation,
  "mailhost-port-usage-alert": portUsageAlert,
  "mailhost-subnet-explicit-outbound": subnetExplicitOutbound,
  "mailhost-script-tuning-verifiable": scriptTuningVerifiable,
  "mailhost-guest-configuration-applies": guestConfigurationApplies,
  "mailhost-collects-tuning-corrections": collectsTuningCorrections,
  "mailhost-tuning-correction-alert": tuningCorrectionAlert,
  "mailhost-nat-gateway-alerts": natGatewayAlerts,
} as const satisfies Record<string, ResourceValidationPolicy | StackValidationPolicy>;

/** The name of a mail-host rule: the policy name it has in a pack and in every diagnostic. */
export type MailhostRuleName = keyof typeof RULES;

/** Every rule name, in the pack's order. */
export const MAILHOST_RULE_NAMES: readonly MailhostRuleName[] = Object.keys(RULES) as MailhostRuleName[];

/**
 * What a rule can be set to. `advisory` reports without failing the run, `mandatory` fails it,
 * `disabled` does not run the rule. (The SDK's `remediate` is not offered: no rule remediates.)
 */
export type MailhostRuleLevel = Extract<EnforcementLevel, "advisory" | "mandatory" | "disabled">;

/** The levels {@link MailhostRuleLevel} allows. */
export const MAILHOST_RULE_LEVELS: readonly MailhostRuleLevel[] = ["advisory", "mandatory", "disabled"];

/** The planned load on one mail host, for the rule `mailhost-capacity-sustains-load` (the capacity model of docs/CAPACITY.md). */
export interface CapacityLoad {
  /**
   * `S`: concurrently active mailbox sessions on one host; 0 checks nothing. Required.
   * Range: 0–10000000 (sessions; `ACTIVE_SESSIONS_PER_HOST`).
   */
  readonly activeSessionsPerHost: number;
  /**
   * `B`: distinct back-end IMAP endpoints (server IP:port) a host connects to. Required.
   * Range: 1–10000 (endpoints; `BACKEND_ENDPOINTS`).
   */
  readonly backendEndpoints: number;
  /**
   * `u`: planned utilisation of the port space (headroom is 1 - u).
   * Range: 0–1 (fraction of the port space, 0 excluded; `UTILIZATION`). Defaults to 0.8 (`DEFAULTS.utilization`).
   */
  readonly utilization?: number;
}

/** Options of `mailhostPolicies()`. Every field is optional. */
export interface MailhostPolicyOptions {
  /**
   * Enforcement level per rule, by rule name as `MAILHOST_RULE_NAMES` lists them; rules not named
   * keep their default level (docs/POLICIES.md lists both). A policy config given to
   * `pulumi preview --policy-pack-config` (or `mailhost check --policy-pack-config`) sets levels
   * by the same names, per stack, over these. An unknown name or level throws, naming it.
   */
  readonly enforcementLevels?: Readonly<Partial<Record<MailhostRuleName, MailhostRuleLevel>>>;
  /**
   * The namespace of the stack-config keys the values are read from (`<namespace>:capacity`,
   * `<namespace>:siteConfig`). Defaults to the project's name, the namespace the module's config
   * loader `stackSettings()` reads by default (`mailhost` for this repository's stacks). Set it
   * when your program reads them with `stackSettings({ namespace })`.
   */
  readonly configNamespace?: string;
  /**
   * The floor rule `mailhost-mailbox-cache-ttl-floor` holds MailboxCacheTTL to.
   * Range: 60–86400 (seconds; `MAILBOX_CACHE_TTL`).
   * Defaults to the stack's own `<namespace>:siteConfig.minimumMailboxCacheTtl`, else to
   * 300 (`DEFAULTS.minimumMailboxCacheTtl`), as the components apply it. Set it here only when your
   * stacks do not carry it.
   */
  readonly minimumMailboxCacheTtl?: number;
  /**
   * The planned load of rule `mailhost-capacity-sustains-load`. Defaults to the stack's own
   * `<namespace>:capacity` (read from the stack config the Pulumi CLI hands to the pack; `mailhost
   * check` does the same). With neither, the rule reports one advisory "capacity not checked".
   * Set it here only when your stacks do not carry it: a load in the pack is a second copy of the
   * program's numbers.
   */
  readonly capacity?: CapacityLoad;
  /**
   * Lowest MaxUserPort rule `mailhost-max-user-port-recommended` accepts without a finding.
   * Range: 5000–65534 (port number; `MAX_USER_PORT`).
   * Defaults to 50000 (`RECOMMENDED.minimumMaxUserPort`), Exchange Server Analyzer's threshold.
   */
  readonly recommendedMinimumMaxUserPort?: number;
  /**
   * Highest TcpTimedWaitDelay rule `mailhost-tcp-timed-wait-delay-recommended` accepts without a
   * finding. Range: 30–300 (seconds; `TCP_TIMED_WAIT_DELAY`).
   * Defaults to 120 (`RECOMMENDED.maximumTcpTimedWaitDelay`).
   */
  readonly recommendedMaximumTcpTimedWaitDelay?: number;
}

/** An option the library refuses: the message names the option, the value and what is allowed. */
export class MailhostPolicyOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`mailhostPolicies: invalid options:\n  ${problems.join("\n  ")}`);
    this.name = "MailhostPolicyOptionsError";
  }
}

function integerProblem(name: string, value: unknown, range: IntRange): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) return `${name} = ${showValue(value)} is not an integer; allowed ${formatRange(range)}.`;
  return inRange(value, range) ? undefined : `${name} = ${value} is outside ${formatRange(range)}.`;
}

function optionProblems(options: MailhostPolicyOptions): string[] {
  const problems: string[] = [];
  for (const [name, level] of Object.entries(options.enforcementLevels ?? {})) {
    if (!(name in RULES)) {
      const guess = closest(name, [...MAILHOST_RULE_NAMES]);
      const hint = distance(name, guess) <= 3 ? ` Did you mean ${guess}?` : "";
      problems.push(`enforcementLevels names "${name}", which is no rule.${hint} Rules: ${MAILHOST_RULE_NAMES.join(", ")}.`);
    }
    if (!MAILHOST_RULE_LEVELS.includes(level as MailhostRuleLevel))
      problems.push(`enforcementLevels["${name}"] = ${showValue(level)} is not a level; allowed ${MAILHOST_RULE_LEVELS.join(", ")}.`);
  }
  problems.push(
    ...[
      integerProblem("minimumMailboxCacheTtl", options.minimumMailboxCacheTtl, MAILBOX_CACHE_TTL),
      integerProblem("recommendedMinimumMaxUserPort", options.recommendedMinimumMaxUserPort, MAX_USER_PORT),
      integerProblem("recommendedMaximumTcpTimedWaitDelay", options.recommendedMaximumTcpTimedWaitDelay, TCP_TIMED_WAIT_DELAY),
    ].filter((p): p is string => p !== undefined),
  );
  if (options.configNamespace !== undefined && (typeof options.configNamespace !== "string" || !/^[A-Za-z0-9_.-]+$/.test(options.configNamespace))) {
    problems.push(`configNamespace = ${showValue(options.configNamespace)} is not a config namespace (a project name: letters, digits, "_", "." and "-").`);
  }
  const load = options.capacity;
  if (load !== undefined) {
    if (load === null || typeof load !== "object") {
      problems.push(`capacity = ${showValue(load)} is not an object { activeSessionsPerHost, backendEndpoints, utilization? }.`);
    } else {
      problems.push(
        ...[
          load.activeSessionsPerHost === undefined
            ? "capacity.activeSessionsPerHost is missing; it is required."
            : integerProblem("capacity.activeSessionsPerHost", load.activeSessionsPerHost, ACTIVE_SESSIONS_PER_HOST),
          load.backendEndpoints === undefined
            ? "capacity.backendEndpoints is missing; it is required."
            : integerProblem("capacity.backendEndpoints", load.backendEndpoints, BACKEND_ENDPOINTS),
        ].filter((p): p is string => p !== undefined),
      );
      const u = load.utilization;
      if (u !== undefined && (typeof u !== "number" || !Number.isFinite(u) || u <= UTILIZATION.exclusiveMin || u > UTILIZATION.max)) {
        problems.push(`capacity.utilization = ${showValue(u)} is outside (${UTILIZATION.exclusiveMin}, ${UTILIZATION.max}] (${UTILIZATION.unit}).`);
      }
    }
  }
  return problems;
}

/** Where the values come from: the options, else the stack config (read when a rule first needs it). */
interface ValueSources {
  readonly options: MailhostPolicyOptions;
  readonly stack: () => PackStack;
}

/** The namespace of the stack-config keys: the option, else the project's name (as `stackSettings()`). */
const namespaceOf = (sources: ValueSources) => sources.options.configNamespace ?? sources.stack().project;

/** A stack value's problems, as one sentence naming the stack-config key. */
const invalidText = (value: StackValue<unknown>) => (value.kind === "invalid" ? value.problems.join(" ") : "");

function ttlFloorConfig(sources: ValueSources): MailboxCacheTtlFloorConfig {
  if (sources.options.minimumMailboxCacheTtl !== undefined)
    return { minimumMailboxCacheTtl: sources.options.minimumMailboxCacheTtl, source: "the pack's options" };
  const namespace = namespaceOf(sources);
  const floor = stackTtlFloor(sources.stack().config, namespace);
  if (floor.kind === "set") return { minimumMailboxCacheTtl: floor.value, source: `the stack's ${siteConfigKey(namespace)}.minimumMailboxCacheTtl` };
  if (floor.kind === "invalid") return { minimumMailboxCacheTtl: DEFAULTS.minimumMailboxCacheTtl, source: "the default", problem: invalidText(floor) };
  return { minimumMailboxCacheTtl: DEFAULTS.minimumMailboxCacheTtl, source: "the default" };
}

function capacityConfig(sources: ValueSources): CapacityConfig {
  const given = sources.options.capacity;
  if (given !== undefined) return { load: { ...given, utilization: given.utilization ?? DEFAULTS.utilization }, source: "the pack's options" };
  const namespace = namespaceOf(sources);
  const load = stackLoad(sources.stack().config, namespace);
  if (load.kind === "set") return { load: load.value, source: `the stack's ${capacityKey(namespace)}` };
  if (load.kind === "invalid") return { problem: invalidText(load) };
  return { key: capacityKey(namespace) };
}

/** The config each rule reads through `args.getConfig()`: what the options and the stack give, never the policy config. */
function configOf(name: MailhostRuleName, sources: ValueSources): () => object {
  switch (name) {
    case "mailhost-mailbox-cache-ttl-floor": {
      let config: MailboxCacheTtlFloorConfig | undefined;
      return () => (config ??= ttlFloorConfig(sources));
    }
    case "mailhost-capacity-sustains-load": {
      let config: CapacityConfig | undefined;
      return () => (config ??= capacityConfig(sources));
    }
    case "mailhost-max-user-port-recommended": {
      const config = { recommendedMinimum: sources.options.recommendedMinimumMaxUserPort ?? RECOMMENDED.minimumMaxUserPort };
      return () => config;
    }
    case "mailhost-tcp-timed-wait-delay-recommended": {
      const config = { recommendedMaximum: sources.options.recommendedMaximumTcpTimedWaitDelay ?? RECOMMENDED.maximumTcpTimedWaitDelay };
      return () => config;
    }
    default: {
      const config = {};
      return () => config;
    }
  }
}

/** The rule as a policy of its own: its name, description, the level chosen for it, and its values. */
function policyOf(name: MailhostRuleName, level: MailhostRuleLevel, sources: ValueSources): ResourceValidationPolicy | StackValidationPolicy {
  const rule: ResourceValidationPolicy | StackValidationPolicy = RULES[name];
  const getConfig = configOf(name, sources) as <T extends object>() => T;
  const base = { name, description: rule.description, enforcementLevel: level };
  if ("validateStack" in rule) {
    const validate = rule.validateStack;
    return { ...base, validateStack: (args: StackValidationArgs, report: ReportViolation) => validate({ ...args, getConfig }, report) };
  }
  const validate = rule.validateResource;
  if (validate === undefined) return { ...base };
  const wrap = (v: ResourceValidation) => (args: ResourceValidationArgs, report: ReportViolation) => v({ ...args, getConfig }, report);
  return { ...base, validateResource: Array.isArray(validate) ? validate.map(wrap) : wrap(validate) };
}

/** A value a rule reads: the option that sets it, and the stack-config key it is read from otherwise (`<project>`: the namespace, see `configNamespace`). */
export interface RuleValue {
  readonly option: keyof MailhostPolicyOptions;
  readonly stackConfig?: string;
}

/** The values each rule reads (rules not listed read none). */
export const RULE_VALUES: Readonly<Partial<Record<MailhostRuleName, readonly RuleValue[]>>> = {
  "mailhost-mailbox-cache-ttl-floor": [{ option: "minimumMailboxCacheTtl", stackConfig: `${siteConfigKey("<project>")}.minimumMailboxCacheTtl` }],
  "mailhost-capacity-sustains-load": [{ option: "capacity", stackConfig: capacityKey("<project>") }],
  "mailhost-max-user-port-recommended": [{ option: "recommendedMinimumMaxUserPort" }],
  "mailhost-tcp-timed-wait-delay-recommended": [{ option: "recommendedMaximumTcpTimedWaitDelay" }],
};

/** A rule's default level. */
export function defaultLevelOf(name: MailhostRuleName): MailhostRuleLevel {
  return (RULES[name].enforcementLevel ?? "advisory") as MailhostRuleLevel;
}

/** A rule's description (what it enforces), as its diagnostics carry it. */
export function descriptionOf(name: MailhostRuleName): string {
  return RULES[name].description;
}

/** Whether a rule checks each resource (`resource`) or the whole stack (`stack`). */
export function kindOf(name: MailhostRuleName): "resource" | "stack" {
  return "validateStack" in RULES[name] ? "stack" : "resource";
}

/** True when `name` is a mail-host rule's name. */
export function isMailhostRuleName(name: string): name is MailhostRuleName {
  return Object.prototype.hasOwnProperty.call(RULES, name);
}

/**
 * The mail-host policies for a `PolicyPack`: one per rule, named by the rule, at the level
 * `options.enforcementLevels` gives it (else its default). Throws {@link MailhostPolicyOptionsError}
 * naming every option it refuses. Add your own policies beside them:
 * `policies: [...mailhostPolicies(), myPolicy]`.
 */
export function mailhostPolicies(options: MailhostPolicyOptions = {}): Policies {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new MailhostPolicyOptionsError(problems);
  const sources: ValueSources = { options, stack: packStack };
  return MAILHOST_RULE_NAMES.map((name) => policyOf(name, options.enforcementLevels?.[name] ?? defaultLevelOf(name), sources));
}

/** The rule that produced a diagnostic of these policies (its policy name), or undefined for another policy's. */
export function ruleOf(diagnostic: { policyName: string }): MailhostRuleName | undefined {
  return isMailhostRuleName(diagnostic.policyName) ? diagnostic.policyName : undefined;
}
