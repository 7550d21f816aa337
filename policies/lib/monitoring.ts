/** Azure Monitor resources of a stack, for the monitoring policies: the agent, associations, alert rules. */
import type { PolicyResource } from "@pulumi/policy";
import { type VmIndex, targetVms } from "./hosts";
import { EXTENSION_TYPE } from "./resources";
import { known } from "./unknown";

/** Data collection rule associations, in any API version (and under the v2 `insights` module name). */
export const DATA_COLLECTION_RULE_ASSOCIATION_TYPE = /^azure-native:(monitor|insights)(\/v[0-9a-z]+)?:DataCollectionRuleAssociation$/;
/** Log search (scheduled query) alert rules, in any API version. */
export const SCHEDULED_QUERY_RULE_TYPE = /^azure-native:(monitor|insights)(\/v[0-9a-z]+)?:ScheduledQueryRule$/;

/** Data collection rules, in any API version. */
export const DATA_COLLECTION_RULE_TYPE = /^azure-native:(monitor|insights)(\/v[0-9a-z]+)?:DataCollectionRule$/;
/** Metric alert rules, in any API version. */
export const METRIC_ALERT_TYPE = /^azure-native:(monitor|insights)(\/v[0-9a-z]+)?:MetricAlert$/;
/** NAT gateways, in any API version. */
export const NAT_GATEWAY_TYPE = /^azure-native:network(\/v[0-9a-z]+)?:NatGateway$/;

/** `.../providers/Microsoft.Network/natGateways/<name>` → the name. */
const NAT_GATEWAY_ID = /\/providers\/microsoft\.network\/natgateways?\/([^/]+)$/i;

/**
 * True when a metric alert is scoped to the NAT gateway: through the property dependency of its
 * `scopes`, else the gateway's name at the end of a scope id, else its explicit dependencies.
 */
export function metricAlertTargets(alert: PolicyResource, gateway: PolicyResource): boolean {
  if ((alert.propertyDependencies?.scopes ?? []).some((d) => d.urn === gateway.urn)) return true;
  const scopes = known(() => alert.props.scopes);
  const name = known(() => gateway.props.natGatewayName);
  if (scopes.ok && Array.isArray(scopes.value) && name.ok && typeof name.value === "string") {
    const wanted = name.value.toLowerCase();
    if (scopes.value.some((s) => typeof s === "string" && NAT_GATEWAY_ID.exec(s)?.[1]?.toLowerCase() === wanted)) return true;
  }
  return (alert.dependencies ?? []).some((d) => d.urn === gateway.urn);
}

/** Publisher and type of the Azure Monitor Agent for Windows. */
const AGENT = { publisher: "microsoft.azure.monitor", type: "azuremonitorwindowsagent" } as const;

/** True for a VM extension that installs the Azure Monitor Agent for Windows. */
export function isMonitoringAgent(resource: PolicyResource): boolean {
  if (!EXTENSION_TYPE.test(resource.type)) return false;
  const read = known(() => [resource.props.publisher, resource.props.type]);
  if (!read.ok) return false;
  const [publisher, type] = read.value;
  return typeof publisher === "string" && typeof type === "string" && publisher.toLowerCase() === AGENT.publisher && type.toLowerCase() === AGENT.type;
}

/** `.../providers/Microsoft.Compute/virtualMachines/<name>` → the name. */
const VM_ID = /\/providers\/microsoft\.compute\/virtualmachines?\/([^/]+)$/i;

/**
 * The VMs an association applies to: through the property dependency of its `resourceUri`, else
 * the VM name at the end of its `resourceUri`, else its explicit dependencies.
 */
export function associatedVms(association: PolicyResource, vms: VmIndex): PolicyResource[] {
  const lookUp = (deps: readonly PolicyResource[] | undefined) =>
    (deps ?? []).map((d) => vms.byUrn.get(d.urn)).filter((vm): vm is PolicyResource => vm !== undefined);
  const viaProperty = lookUp(association.propertyDependencies?.resourceUri);
  if (viaProperty.length > 0) return viaProperty;
  const uri = known(() => association.props.resourceUri);
  if (uri.ok && typeof uri.value === "string") {
    const name = VM_ID.exec(uri.value)?.[1]?.toLowerCase();
    const byName = name === undefined ? [] : (vms.byName.get(name) ?? []);
    if (byName.length > 0) return byName;
  }
  return lookUp(association.dependencies);
}

/** The VMs (by URN) that carry an Azure Monitor Agent extension. */
export function vmsWithAgent(resources: readonly PolicyResource[], vms: VmIndex): Set<string> {
  const out = new Set<string>();
  for (const agent of resources.filter(isMonitoringAgent)) for (const vm of targetVms(agent, vms)) out.add(vm.urn);
  return out;
}

/** The VMs (by URN) associated with a data collection rule. */
export function vmsWithAssociation(resources: readonly PolicyResource[], vms: VmIndex): Set<string> {
  const out = new Set<string>();
  for (const association of resources.filter((r) => DATA_COLLECTION_RULE_ASSOCIATION_TYPE.test(r.type))) {
    const rule = known(() => association.props.dataCollectionRuleId ?? association.props.dataCollectionEndpointId);
    // An association that names no rule collects nothing (an unknown id during preview is fine).
    if (rule.ok && (typeof rule.value !== "string" || rule.value === "")) continue;
    for (const vm of associatedVms(association, vms)) out.add(vm.urn);
  }
  return out;
}
