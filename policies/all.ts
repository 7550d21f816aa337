/**
 * This repository's policies: the library's rules at their default levels (the thin pack in
 * index.ts serves exactly these; per-stack levels come from a policy config, policies/config/).
 * Kept as the place the CLI and the tests take the rule list from.
 */
import { mailhostPolicies } from "./library";

export { MAILHOST_RULE_NAMES, ruleOf } from "./library";

/** Every rule as a policy of its own, at its default level. */
export const policies = mailhostPolicies();
