/** Every policy of the pack, grouped by what they check. The pack's entry file only wraps this list. */
import type { Policies } from "@pulumi/policy";
import { capacity } from "./rules/capacity";
import { dynamicPortRange } from "./rules/dynamicPortRange";
import { mailboxCacheTtlFloor } from "./rules/mailboxCacheTtlFloor";
import { maxUserPortRange } from "./rules/maxUserPortRange";
import { alertRuleHasActionGroup, vmHasDataCollectionRuleAssociation, vmHasMonitoringAgent } from "./rules/monitoring";
import { nicNoPublicIp } from "./rules/nicNoPublicIp";
import { nsgNoRemoteManagementFromInternet } from "./rules/nsgNoRemoteManagementFromInternet";
import { oneTuningPerVm } from "./rules/oneTuningPerVm";
import { maxUserPortRecommended, tcpTimedWaitDelayRecommended } from "./rules/recommended";
import { secretsOnlyProtected } from "./rules/secretsOnlyProtected";
import { tcpTimedWaitDelayRange } from "./rules/tcpTimedWaitDelayRange";

export const policies: Policies = [
  // Port tuning on VM extensions and run commands
  tcpTimedWaitDelayRange,
  maxUserPortRange,
  dynamicPortRange,
  mailboxCacheTtlFloor,
  // Whole stack
  capacity,
  oneTuningPerVm,
  // Monitoring
  vmHasMonitoringAgent,
  vmHasDataCollectionRuleAssociation,
  alertRuleHasActionGroup,
  // Security
  nicNoPublicIp,
  nsgNoRemoteManagementFromInternet,
  secretsOnlyProtected,
  // Advisory recommendations
  maxUserPortRecommended,
  tcpTimedWaitDelayRecommended,
];
