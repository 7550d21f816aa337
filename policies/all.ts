/** Every policy of the pack, its rules grouped by enforcement level. The pack's entry file only wraps this list. */
import type { Policies } from "@pulumi/policy";
import { groupResourceRules, groupStackRules, ruleOfDiagnostic } from "./lib/group";
import { autoReusePortRange } from "./rules/autoReusePortRange";
import { capacity } from "./rules/capacity";
import { dynamicPortRange } from "./rules/dynamicPortRange";
import { guestConfigurationApplies, guestConfigurationContentHash, guestConfigurationContentUriHttps } from "./rules/guestConfigurationAssignment";
import { mailboxCacheTtlFloor } from "./rules/mailboxCacheTtlFloor";
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

/** Resource rules enforced everywhere (mandatory in every stack): port ranges, content integrity, secure defaults. */
export const resourceGuardrails = groupResourceRules({
  name: "mailhost-resource-guardrails",
  description: "Port tuning within its ranges on every VM extension, run command and script, Machine Configuration packages pinned and fetched over HTTPS, no public IP on a NIC, no remote management from the Internet, and secrets only in protected settings.",
}, [
  tcpTimedWaitDelayRange,
  maxUserPortRange,
  dynamicPortRange,
  autoReusePortRange,
  scriptTuningRange,
  guestConfigurationContentHash,
  guestConfigurationContentUriHttps,
  nicNoPublicIp,
  nsgNoRemoteManagementFromInternet,
  secretsOnlyProtected,
]);

/** Resource rules that are warnings in dev and mandatory elsewhere: the MailboxCacheTTL floor and alerting. */
export const serviceReadiness = groupResourceRules({
  name: "mailhost-service-readiness",
  description: "The MailboxCacheTTL a tuning resource writes is at or above the configured floor, and every alert rule notifies an action group.",
}, [mailboxCacheTtlFloor, alertRuleHasActionGroup]);

/** Recommendations (advisory except in prod). */
export const tuningRecommended = groupResourceRules({
  name: "mailhost-tuning-recommended",
  description: "MaxUserPort and TcpTimedWaitDelay at their recommended values, beyond the ranges Windows accepts.",
}, [maxUserPortRecommended, tcpTimedWaitDelayRecommended]);

/** Stack rules that are warnings in dev and mandatory elsewhere: capacity, monitoring, explicit outbound. */
export const fleetReadiness = groupStackRules({
  name: "mailhost-fleet-readiness",
  description: "The fleet is ready for its load: each host's port settings sustain the planned load, every VM reports to Azure Monitor through an agent and a data collection rule, the hosts' port usage is collected and alerted on, and the hosts' subnet has an explicit way out.",
}, [capacity, vmHasMonitoringAgent, vmHasDataCollectionRuleAssociation, portUsageAlert, subnetExplicitOutbound]);

/** Stack rules advisory by default and mandatory in prod: what the tuning and the NAT gateway cannot report themselves is collected and alerted on. */
export const monitoringCoverage = groupStackRules({
  name: "mailhost-monitoring-coverage",
  description: "The tuning's correction events are collected and alerted on, and every NAT gateway of the stack has metric alerts on failed SNAT connections and dropped packets.",
}, [collectsTuningCorrections, tuningCorrectionAlert, natGatewayAlerts]);

/**
 * The pack's policies. Rules with the same enforcement level in every stack run as one policy
 * (see lib/group.ts: the SDK decodes a resource once per policy); each rule keeps its messages.
 */
export const policies: Policies = [
  // Resource policies
  resourceGuardrails,
  serviceReadiness,
  tuningValuesReadable,
  tuningRecommended,
  // Stack policies
  oneTuningPerVm,
  fleetReadiness,
  scriptTuningVerifiable,
  guestConfigurationApplies,
  monitoringCoverage,
];

/**
 * The rule (a policy name before rules were grouped, e.g. `mailhost-max-user-port-range`) that
 * produced a diagnostic of this pack; undefined when no rule matches.
 */
export const ruleOf = (diagnostic: { policyName: string; description?: string }) => ruleOfDiagnostic(policies, diagnostic);
