/**
 * Monitoring policies: every mail host VM reports to Azure Monitor (the agent, and an association
 * with a data collection rule, without which the agent collects nothing), and every alert rule
 * notifies someone (at least one action group).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { indexVms, isVirtualMachine, vmName } from "../lib/hosts";
import { SCHEDULED_QUERY_RULE_TYPE, vmsWithAgent, vmsWithAssociation } from "../lib/monitoring";
import { label } from "../lib/resources";
import { known } from "../lib/unknown";
import { PORT_USAGE_EVENT_SOURCE, PORT_USAGE_EVENT_XPATH } from "../../domain/portUsage";

/** Every mail host VM has the Azure Monitor Agent extension. */
export const vmHasMonitoringAgent: StackValidationPolicy = {
  name: "mailhost-vm-has-monitoring-agent",
  description:
    "Every virtual machine of a mail host stack must have the Azure Monitor Agent extension (Microsoft.Azure.Monitor/AzureMonitorWindowsAgent), so that Tcpip port-exhaustion events and TCP counters reach Log Analytics and the alert rules can fire.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const vms = args.resources.filter(isVirtualMachine);
    const withAgent = vmsWithAgent(args.resources, indexVms(vms));
    for (const vm of vms) {
      if (withAgent.has(vm.urn)) continue;
      report(
        `VirtualMachine "${vmName(vm) ?? vm.name}" has no Azure Monitor Agent extension (Microsoft.Azure.Monitor/AzureMonitorWindowsAgent): port exhaustion on it would go unnoticed; enable mailhost:monitoring.`,
        vm.urn,
      );
    }
  },
};

/** Every mail host VM is associated with a data collection rule. */
export const vmHasDataCollectionRuleAssociation: StackValidationPolicy = {
  name: "mailhost-vm-has-data-collection-rule-association",
  description:
    "Every virtual machine of a mail host stack must be associated with a data collection rule: without one the Azure Monitor Agent collects nothing.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const vms = args.resources.filter(isVirtualMachine);
    const associated = vmsWithAssociation(args.resources, indexVms(vms));
    for (const vm of vms) {
      if (associated.has(vm.urn)) continue;
      report(
        `VirtualMachine "${vmName(vm) ?? vm.name}" has no data collection rule association: its Azure Monitor Agent (if any) sends no Tcpip events or TCP counters; enable mailhost:monitoring.`,
        vm.urn,
      );
    }
  },
};

/** Every log search alert rule notifies at least one action group. */
export const alertRuleHasActionGroup: ResourceValidationPolicy = {
  name: "mailhost-alert-rule-has-action-group",
  description: "Every log search alert rule must name at least one action group, so that a firing alert reaches someone.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!SCHEDULED_QUERY_RULE_TYPE.test(args.type)) return;
    const groups = known(() => {
      const actions = args.props.actions as { actionGroups?: unknown } | undefined;
      return actions?.actionGroups;
    });
    if (!groups.ok) return; // unknown during preview: the action group is being created
    if (!Array.isArray(groups.value) || groups.value.length === 0) {
      report(`${label(args.type, args.name)} names no action group in actions.actionGroups: it would fire without notifying anyone.`);
    }
  },
};

/** Resource type of data collection rules, in any API version. */
const DATA_COLLECTION_RULE_TYPE = /^azure-native:(monitor|insights)(\/v[0-9a-z]+)?:DataCollectionRule$/;

/**
 * A stack with mail host VMs collects the port-usage sampler's readings and alerts when a host
 * stays above its planned utilisation: a warning before Tcpip 4227/4231.
 */
export const portUsageAlert: StackValidationPolicy = {
  name: "mailhost-port-usage-alert",
  description:
    "A mail host stack that declares its monitoring must collect the port-usage sampler's readings (a data collection rule with the sampler's Application-log event filter) and have a log search alert rule on them, so that a host running past its planned port utilisation is seen before ports run out.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    if (!args.resources.some(isVirtualMachine)) return;
    // Judged where the stack declares its monitoring (a data collection rule or alert rules); a stack
    // without any is told by the agent and association rules to enable mailhost:monitoring.
    const rules = args.resources.filter((r) => DATA_COLLECTION_RULE_TYPE.test(r.type));
    const alerts = args.resources.filter((r) => SCHEDULED_QUERY_RULE_TYPE.test(r.type));
    if (rules.length === 0 && alerts.length === 0) return;
    const collected = rules.some((rule) => {
      const read = known(() => (rule.props.dataSources as { windowsEventLogs?: { xPathQueries?: unknown }[] } | undefined)?.windowsEventLogs);
      if (!read.ok) return true; // unknown during preview
      return (read.value ?? []).some((source) => Array.isArray(source.xPathQueries) && source.xPathQueries.includes(PORT_USAGE_EVENT_XPATH));
    });
    if (!collected)
      report(
        `No data collection rule collects the port-usage readings (${PORT_USAGE_EVENT_XPATH}): the hosts' used ports are not seen before Tcpip 4227/4231; enable mailhost:monitoring.`,
      );
    const alerted = alerts.some((rule) => {
      const read = known(() => (rule.props.criteria as { allOf?: { query?: unknown }[] } | undefined)?.allOf);
      if (!read.ok) return true;
      return (read.value ?? []).some((c) => typeof c.query === "string" && c.query.includes(PORT_USAGE_EVENT_SOURCE));
    });
    if (!alerted)
      report(
        `No log search alert rule reads the port-usage readings (event source ${PORT_USAGE_EVENT_SOURCE}): nothing warns when a host stays above its planned utilisation; enable mailhost:monitoring.`,
      );
  },
};
