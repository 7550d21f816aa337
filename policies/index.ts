/**
 * The repository's policy pack, `mailhost-guardrails`: the library's rules (policies/library.ts,
 * published as `mailhost-iac/policies`) at their default levels. Per-stack levels: a policy config
 * keyed by rule name (policies/config/<stack>.json). Values (capacity load, MailboxCacheTTL
 * floor): the stack's own config, which the Pulumi CLI and `mailhost check` hand to the pack.
 */
import { PolicyPack } from "@pulumi/policy";
import { mailhostPolicies } from "./library";

new PolicyPack("mailhost-guardrails", { policies: mailhostPolicies() });
