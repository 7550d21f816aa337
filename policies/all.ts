/** Every policy of the pack, grouped by what they check. The pack's entry file only wraps this list. */
import type { Policies } from "@pulumi/policy";
import { capacity } from "./rules/capacity";
import { dynamicPortRange } from "./rules/dynamicPortRange";
import { guestConfigurationApplies, guestConfigurationContentHash, guestConfigurationContentUriHttps } from "./rules/guestConfigurationAssignment";
import { mailboxCacheTtlFloor } from "./rules/mailboxCacheTtlFloor";
import { maxUserPortRange } from "./rules/maxUserPortRange";
import { alertRuleHasActionGroup, vmHasDataCollectionRuleAssociation, vmHasMonitoringAgent } from "./rules/monitoring";
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

export const policies: Policies = [
  // Port tuning on VM extensions and run commands
  tcpTimedWaitDelayRange,
  maxUserPortRange,
  dynamicPortRange,
  mailboxCacheTtlFloor,
  tuningValuesReadable,
  // Port tuning in script and command text
  scriptTuningRange,
  scriptTuningVerifiable,
  // Whole stack
  capacity,
  oneTuningPerVm,
  // Guest configuration (Machine Configuration) assignments
  guestConfigurationContentHash,
  guestConfigurationContentUriHttps,
  guestConfigurationApplies,
  // Monitoring
  vmHasMonitoringAgent,
  vmHasDataCollectionRuleAssociation,
  alertRuleHasActionGroup,
  // Security
  nicNoPublicIp,
  nsgNoRemoteManagementFromInternet,
  secretsOnlyProtected,
  // Network: the hosts' explicit way out
  subnetExplicitOutbound,
  // Advisory recommendations
  maxUserPortRecommended,
  tcpTimedWaitDelayRecommended,
];
