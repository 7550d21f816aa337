/**
 * Compliant fixtures, one per resource type the policies look at, typed against the azure-native
 * args. Each violation test changes one field of a copy.
 */
import type * as compute from "@pulumi/azure-native/compute";
import type * as guestconfiguration from "@pulumi/azure-native/guestconfiguration";
import type * as monitor from "@pulumi/azure-native/monitor";
import type * as network from "@pulumi/azure-native/network";
import { assignmentParameters, configurationParameterName } from "../../../domain/machineConfiguration";
import { requireStackConfig } from "../../../domain/config";
import { fromBase64Url, toBase64Url } from "../../../domain/guestEncoding";
import { planFleet, tuningArguments } from "../../../domain/plan";
import { loadSiteConfigTemplate } from "../../../content/siteConfigTemplate";
import type { TestResource } from "./harness";
import { estatePolicyDefinition, tuningParameterValue } from "../../../domain/estateTuningPolicy";

export const plan = planFleet(
  "unit",
  requireStackConfig({
    fleet: { hostCount: 1, vmSize: "Standard_D2s_v5", adminUsername: "mailops", allowedImapCidrs: ["10.0.0.0/8"] },
    tcp: { tuning: "dsc", maxUserPort: 65534, tcpTimedWaitDelay: 60, dynamicPortRange: { start: 10000, count: 55535 } },
    siteConfig: { mailboxCacheTtl: 600 },
    capacity: { activeSessionsPerHost: 1000, backendEndpoints: 2 },
  }),
  loadSiteConfigTemplate(),
);

export const VM_NAME = "vm-mail-unit-001";

export const dscExtensionArgs: compute.VirtualMachineExtensionArgs = {
  resourceGroupName: "rg-mailhost-unit",
  vmName: VM_NAME,
  vmExtensionName: "Microsoft.Powershell.DSC",
  publisher: "Microsoft.Powershell",
  type: "DSC",
  typeHandlerVersion: "2.83",
  autoUpgradeMinorVersion: true,
  forceUpdateTag: "0".repeat(64),
  settings: {
    wmfVersion: "latest",
    configuration: { url: "https://stmailhostunit.blob.core.windows.net/dsc/MailhostTuning.ps1.zip", script: "MailhostTuning.ps1", function: "MailhostTuning" },
    configurationArguments: tuningArguments(plan.tuning),
  },
  protectedSettings: { configurationUrlSasToken: "?sv=2024-11-04&sr=b&sp=r&sig=c2VjcmV0" },
};

export const runCommandArgs: compute.VirtualMachineRunCommandByVirtualMachineArgs = {
  resourceGroupName: "rg-mailhost-unit",
  vmName: VM_NAME,
  runCommandName: "mailhost-tuning",
  source: { script: "param([string]$MaxUserPort)" },
  parameters: [
    ...Object.entries(tuningArguments(plan.tuning)).map(([name, value]) => ({ name, value: String(value) })),
    { name: "ContentHash", value: "0".repeat(64) },
  ],
};

export const vmArgs: compute.VirtualMachineArgs = {
  resourceGroupName: "rg-mailhost-unit",
  vmName: VM_NAME,
  hardwareProfile: { vmSize: "Standard_D2s_v5" },
  networkProfile: { networkInterfaces: [{ id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic-1" }] },
};

export const nicArgs: network.NetworkInterfaceArgs = {
  resourceGroupName: "rg-mailhost-unit",
  networkInterfaceName: `nic-${VM_NAME}`,
  ipConfigurations: [{ name: "ipconfig1", subnet: { id: "/subscriptions/x/subnets/snet" }, privateIPAllocationMethod: "Dynamic" }],
};

export const nsgArgs: network.NetworkSecurityGroupArgs = {
  resourceGroupName: "rg-mailhost-unit",
  securityRules: [
    {
      name: "allow-imap-from-clients",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: ["10.0.0.0/8"],
      sourcePortRange: "*",
      destinationAddressPrefix: "VirtualNetwork",
      destinationPortRanges: ["143", "993"],
    },
    {
      name: "deny-remote-management-from-internet",
      priority: 4000,
      direction: "Inbound",
      access: "Deny",
      protocol: "Tcp",
      sourceAddressPrefix: "Internet",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRanges: ["3389", "5985", "5986"],
    },
  ],
};

export const VM_ID = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Compute/virtualMachines/${VM_NAME}`;
export const DCR_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Insights/dataCollectionRules/dcr-mailhost-unit";

export const amaExtensionArgs: compute.VirtualMachineExtensionArgs = {
  resourceGroupName: "rg-mailhost-unit",
  vmName: VM_NAME,
  vmExtensionName: "AzureMonitorWindowsAgent",
  publisher: "Microsoft.Azure.Monitor",
  type: "AzureMonitorWindowsAgent",
  typeHandlerVersion: "1.0",
  autoUpgradeMinorVersion: true,
  enableAutomaticUpgrade: true,
};

export const dcraArgs: monitor.DataCollectionRuleAssociationArgs = {
  resourceUri: VM_ID,
  associationName: "dcra-mailhost-unit",
  dataCollectionRuleId: DCR_ID,
};

export const scheduledQueryRuleArgs: monitor.ScheduledQueryRuleArgs = {
  resourceGroupName: "rg-mailhost-unit",
  ruleName: "alert-mailhost-unit-port-space-exhausted",
  severity: 1,
  scopes: [
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.OperationalInsights/workspaces/log-mailhost-unit",
  ],
  evaluationFrequency: "PT5M",
  windowSize: "PT5M",
  criteria: {
    allOf: [
      {
        query: plan.monitoring.alerts[0].query,
        timeAggregation: "Total",
        metricMeasureColumn: "Count",
        resourceIdColumn: "_ResourceId",
        operator: "GreaterThan",
        threshold: 0,
      },
    ],
  },
  actions: {
    actionGroups: [
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Insights/actionGroups/ag-mailhost-unit",
    ],
  },
};

export const DSC_TYPE = "azure-native:compute:VirtualMachineExtension";
export const RUN_COMMAND_TYPE = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine";
export const VM_TYPE = "azure-native:compute:VirtualMachine";

export const resource = (type: string, name: string, args: object): TestResource => ({ type, name, props: structuredClone(args) as Record<string, unknown> });
export const dsc = () => resource(DSC_TYPE, "vm-mail-unit-001-tuning-dsc", dscExtensionArgs);
export const runCommand = () => resource(RUN_COMMAND_TYPE, "vm-mail-unit-001-tuning-runcmd", runCommandArgs);
export const vm = () => resource(VM_TYPE, "vm-mail-unit-001-vm", vmArgs);
export const nic = () => resource("azure-native:network:NetworkInterface", "vm-mail-unit-001-nic", nicArgs);
export const ama = () => resource(DSC_TYPE, "vm-mail-unit-001-ama", amaExtensionArgs);
export const dcra = () => resource("azure-native:monitor:DataCollectionRuleAssociation", "vm-mail-unit-001-dcra", dcraArgs);
export const alertRule = () => resource("azure-native:monitor:ScheduledQueryRule", "mailhost-monitoring-port-space-exhausted", scheduledQueryRuleArgs);
export const nsg = () => resource("azure-native:network:NetworkSecurityGroup", "mailhost-nsg", nsgArgs);

/** Sets a DSC configuration argument of a copy. */
export function withDscArgument(r: TestResource, name: string, value: unknown): TestResource {
  const copy = structuredClone(r);
  const args = (copy.props.settings as { configurationArguments: Record<string, unknown> }).configurationArguments;
  if (value === undefined) delete args[name];
  else args[name] = value;
  return copy;
}

/** Sets a run-command parameter of a copy. */
export function withParameter(r: TestResource, name: string, value: string | undefined): TestResource {
  const copy = structuredClone(r);
  const parameters = (copy.props.parameters as Array<{ name: string; value: string }>).filter((p) => p.name !== name);
  if (value !== undefined) parameters.push({ name, value });
  copy.props.parameters = parameters;
  return copy;
}

/** The SiteConfig.cfg text a resource carries (decoded from `SiteConfigContentBase64Url`). */
export function carriedSiteConfig(r: TestResource): string {
  const args = (r.props.settings as { configurationArguments?: Record<string, unknown> } | undefined)?.configurationArguments;
  const encoded =
    args?.SiteConfigContentBase64Url ??
    (r.props.parameters as Array<{ name: string; value: string }> | undefined)?.find((p) => p.name === "SiteConfigContentBase64Url")?.value;
  return fromBase64Url(String(encoded));
}

/** A copy whose carried SiteConfig.cfg sets `MailboxCacheTTL = <ttl>` (encoded as the guest receives it). */
export function withTtl(r: TestResource, ttl: number | string): TestResource {
  const text = carriedSiteConfig(r).replace(/MailboxCacheTTL = \d+/, `MailboxCacheTTL = ${ttl}`);
  return r.props.parameters
    ? withParameter(r, "SiteConfigContentBase64Url", toBase64Url(text))
    : withDscArgument(r, "SiteConfigContentBase64Url", toBase64Url(text));
}

// Guest configuration (Machine Configuration) assignment, as the MachineConfigurationTuning component writes it.
export const GC_ASSIGNMENT_TYPE = "azure-native:guestconfiguration:GuestConfigurationAssignment";

export const gcAssignmentArgs: guestconfiguration.GuestConfigurationAssignmentArgs = {
  resourceGroupName: "rg-mailhost-unit",
  vmName: VM_NAME,
  name: "MailhostTcpTuning",
  guestConfigurationAssignmentName: "MailhostTcpTuning",
  properties: {
    context: "mailhost-iac",
    guestConfiguration: {
      name: "MailhostTcpTuning",
      version: "1.0.0",
      contentUri: "https://stmailhostunit.blob.core.windows.net/machine-configuration/MailhostTcpTuning.zip",
      contentHash: "A".repeat(64),
      contentManagedIdentity:
        "/subscriptions/x/resourceGroups/rg-mailhost-unit/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mailhost-unit-machine-configuration",
      assignmentType: "ApplyAndAutoCorrect",
      configurationParameter: assignmentParameters(plan.tuning),
    },
  },
};

export const gcAssignment = () => resource(GC_ASSIGNMENT_TYPE, "vm-mail-unit-001-tuning-assignment", gcAssignmentArgs);

/** The `guestConfiguration` map of a copy, to change one field. */
export function guestConfigurationOfCopy(r: TestResource): Record<string, any> {
  return (r.props.properties as Record<string, unknown>).guestConfiguration as Record<string, any>;
}

/** Sets (or removes) an assignment parameter `[MailhostTcpTuning]MailhostTcpTuning;<property>` of a copy, in `list`. */
export function withAssignmentParameter(
  r: TestResource,
  property: string,
  value: string | undefined,
  list: "configurationParameter" | "configurationProtectedParameter" = "configurationParameter",
): TestResource {
  const copy = structuredClone(r);
  const gc = guestConfigurationOfCopy(copy);
  const name = configurationParameterName(property);
  for (const key of ["configurationParameter", "configurationProtectedParameter"])
    gc[key] = ((gc[key] ?? []) as Array<{ name: string }>).filter((p) => p.name !== name);
  if (value !== undefined) gc[list].push({ name, value });
  return copy;
}

// Estate-wide tuning: Azure Policy definitions and assignments (components/EstateTuningPolicy.ts).
/** Hash of the estate fixtures' package. */
export const ESTATE_PACKAGE_HASH = "B".repeat(64);
/** The package URL with a read-only blob SAS (90 days); `query` overrides its fields. */
export const estatePackageSasUri = (query: Record<string, string>) =>
  `https://stmail.blob.core.windows.net/machine-configuration/MailhostTcpTuning-${ESTATE_PACKAGE_HASH}.zip?${new URLSearchParams({ sv: "2024-11-04", sr: "b", sp: "r", spr: "https", se: new Date(Date.now() + 90 * 86_400_000).toISOString(), sig: "c2lnbmF0dXJl", ...query })}`;

export const POLICY_DEFINITION_TYPE = "azure-native:authorization:PolicyDefinition";
export const POLICY_ASSIGNMENT_TYPE = "azure-native:authorization:PolicyAssignment";

/** The definition as the component registers it (the args of a PolicyDefinition). */
export function estateDefinition(contentUri = estatePackageSasUri({})): TestResource {
  const { properties } = estatePolicyDefinition({
    tagName: "workload",
    tagValue: "mail",
    tuning: plan.tuning,
    contentUri,
    contentHash: ESTATE_PACKAGE_HASH,
  }) as { properties: Record<string, unknown> };
  return { type: POLICY_DEFINITION_TYPE, name: "estate-definition", props: { policyDefinitionName: "mailhost-tcp-tuning", ...structuredClone(properties) } };
}
/** An assignment that sets the tuning parameter. */
export function estateAssignment(tuning: Record<string, unknown> = tuningParameterValue(plan.tuning)): TestResource {
  return {
    type: POLICY_ASSIGNMENT_TYPE,
    name: "estate-assignment",
    props: {
      policyAssignmentName: "mailhost-tcp-tuning",
      scope: "/subscriptions/x",
      policyDefinitionId: "/subscriptions/x/providers/Microsoft.Authorization/policyDefinitions/mailhost-tcp-tuning",
      parameters: { tagName: { value: "workload" }, tagValue: { value: "mail" }, tuning: { value: tuning } },
    },
  };
}

// ---- Monitoring coverage: the DCR, the correction alert, the NAT gateway and its metric alerts ----

export const NAT_GATEWAY_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Network/natGateways/ng-mailhost-unit";

export const dataCollectionRuleArgs: monitor.DataCollectionRuleArgs = {
  resourceGroupName: "rg-mailhost-unit",
  dataCollectionRuleName: "dcr-mailhost-unit",
  kind: "Windows",
  dataSources: {
    windowsEventLogs: [
      { name: "tcpipPortExhaustionEvents", streams: ["Microsoft-Event"], xPathQueries: [...plan.monitoring.eventXPathQueries] },
      { name: "mailhostTuningCorrections", streams: ["Microsoft-Event"], xPathQueries: [...plan.monitoring.correctionEventXPathQueries] },
    ],
  },
};

const correctionAlert = plan.monitoring.alerts.find((a) => a.key === "tuning-corrections")!;
export const correctionAlertRuleArgs: monitor.ScheduledQueryRuleArgs = {
  ...scheduledQueryRuleArgs,
  ruleName: correctionAlert.ruleName,
  criteria: {
    allOf: [
      {
        query: correctionAlert.query,
        timeAggregation: "Total",
        metricMeasureColumn: "Corrections",
        resourceIdColumn: "_ResourceId",
        operator: "GreaterThan",
        threshold: correctionAlert.threshold,
      },
    ],
  },
};

export const natGatewayArgs: network.NatGatewayArgs = {
  resourceGroupName: "rg-mailhost-unit",
  natGatewayName: "ng-mailhost-unit",
  sku: { name: "Standard" },
};

/** The metric alert of one planned NAT gateway alert, as the Monitoring component builds it. */
export function natMetricAlertArgs(index: number): monitor.MetricAlertArgs {
  const alert = plan.monitoring.metricAlerts[index];
  return {
    resourceGroupName: "rg-mailhost-unit",
    location: "global",
    ruleName: alert.ruleName,
    severity: alert.severity,
    enabled: true,
    scopes: [NAT_GATEWAY_ID],
    evaluationFrequency: "PT1M",
    windowSize: "PT5M",
    criteria: {
      odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
      allOf: [
        {
          criterionType: "StaticThresholdCriterion",
          name: alert.metricName,
          metricName: alert.metricName,
          metricNamespace: alert.metricNamespace,
          operator: alert.operator,
          threshold: alert.threshold,
          timeAggregation: alert.timeAggregation,
          dimensions: alert.dimensions.map((d) => ({ name: d.name, operator: "Include", values: [...d.values] })),
        },
      ],
    },
    actions: [
      {
        actionGroupId:
          "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Insights/actionGroups/ag-mailhost-unit",
      },
    ],
  };
}

export const dcr = () => resource("azure-native:monitor:DataCollectionRule", "mailhost-monitoring-dcr", dataCollectionRuleArgs);
export const correctionAlertRule = () => resource("azure-native:monitor:ScheduledQueryRule", "mailhost-monitoring-tuning-corrections", correctionAlertRuleArgs);
export const natGateway = () => resource("azure-native:network:NatGateway", "mailhost-egress-ng", natGatewayArgs);
export const natSnatAlert = () => resource("azure-native:monitor:MetricAlert", "mailhost-monitoring-nat-snat-failed-connections", natMetricAlertArgs(0));
export const natDropAlert = () => resource("azure-native:monitor:MetricAlert", "mailhost-monitoring-nat-packet-drops", natMetricAlertArgs(1));

// ---- Cases that break every rule of the pack at least once (and compliant ones) ----

/** Resources that break each resource rule once or more, and compliant ones. */
export function resourceCases(): TestResource[] {
  const SAS = "?sv=2024-11-04&sr=b&sp=r&sig=c2VjcmV0LXNpZ25hdHVyZQ";
  const secret = dsc();
  (secret.props.settings as Record<string, unknown>).configurationUrlSasToken = SAS;
  const publicNic = nic();
  (publicNic.props.ipConfigurations as Array<Record<string, unknown>>)[0].publicIPAddress = { id: "/subscriptions/x/publicIPAddresses/pip" };
  const noHash = gcAssignment();
  delete guestConfigurationOfCopy(noHash).contentHash;
  const http = gcAssignment();
  guestConfigurationOfCopy(http).contentUri = "http://st.blob.core.windows.net/p/pkg.zip";
  const silentAlert = alertRule();
  silentAlert.props.actions = { actionGroups: [] };
  const script = resource("azure-native:compute:VirtualMachineExtension", "cse", {
    resourceGroupName: "rg",
    vmName: "vm-mail-unit-001",
    publisher: "Microsoft.Compute",
    type: "CustomScriptExtension",
    typeHandlerVersion: "1.10",
    settings: { commandToExecute: "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v TcpTimedWaitDelay /t REG_DWORD /d 500 /f" },
  });
  return [
    dsc(),
    runCommand(),
    vm(),
    nic(),
    ama(),
    dcra(),
    alertRule(),
    nsg(),
    gcAssignment(),
    withDscArgument(dsc(), "TcpTimedWaitDelay", 301),
    withDscArgument(dsc(), "TcpTimedWaitDelay", 200),
    withDscArgument(dsc(), "MaxUserPort", 65535),
    withDscArgument(dsc(), "MaxUserPort", 20000),
    withParameter(runCommand(), "DynamicPortRangeNumberOfPorts", "254"),
    withParameter(runCommand(), "TcpTimedWaitDelay", "29"),
    withParameter(runCommand(), "SiteConfigContentBase64Url", undefined),
    withDscArgument(withDscArgument(dsc(), "AutoReusePortRangeStartPort", 9999), "AutoReusePortRangeNumberOfPorts", 1000),
    withTtl(dsc(), 10),
    withTtl(runCommand(), 400),
    secret,
    publicNic,
    noHash,
    http,
    silentAlert,
    script,
    resource("azure-native:network:SecurityRule", "rdp", {
      securityRuleName: "rdp",
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: "Internet",
      destinationPortRange: "3389",
    }),
  ];
}

/** Stacks that break each stack rule (the capacity rule under a load such as prod's), and a compliant one. */
export function stackCases(): TestResource[][] {
  const SUBNET_ID =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mailhost-unit/providers/Microsoft.Network/virtualNetworks/vnet-mailhost-unit/subnets/snet-mailhost";
  const host = (...more: TestResource[]) => {
    const machine = vm();
    return [machine, ...more.map((t) => ({ ...t, dependencies: [machine] }))];
  };
  const subnet = resource("azure-native:network:Subnet", "mailhost-snet", {
    resourceGroupName: "rg-mailhost-unit",
    virtualNetworkName: "vnet-mailhost-unit",
    subnetName: "snet-mailhost",
    addressPrefix: "10.40.0.0/24",
    defaultOutboundAccess: false,
  });
  const hostNic = nic();
  hostNic.props.ipConfigurations = [{ name: "ipconfig1", subnet: { id: SUBNET_ID }, privateIPAllocationMethod: "Dynamic" }];
  return [
    host(dsc(), ama(), dcra()),
    host(dsc()),
    host(withTtl(dsc(), 30), ama()),
    [...host(dsc(), ama(), dcra()), subnet, hostNic],
    host(dsc(), runCommand(), gcAssignment()),
    [...host(dsc(), ama(), dcra(), dcr(), correctionAlertRule()), natGateway(), natDropAlert()],
    // Monitoring declared without the port-usage readings: an alert rule on Tcpip events only.
    [...host(dsc(), ama(), dcra()), alertRule()],
    // An Audit-only assignment, and a script the host fetches by address (nothing the pack can read).
    host(
      auditAssignment(),
      resource(DSC_TYPE, "vm-mail-unit-001-cse", {
        resourceGroupName: "rg-mailhost-unit",
        vmName: VM_NAME,
        publisher: "Microsoft.Compute",
        type: "CustomScriptExtension",
        typeHandlerVersion: "1.10",
        settings: { fileUris: ["https://st.blob.core.windows.net/scripts/tune.ps1"], commandToExecute: "powershell -File tune.ps1" },
      }),
    ),
  ];
}

/** A guest configuration assignment of the tuning that only audits. */
export function auditAssignment(): TestResource {
  const audit = gcAssignment();
  guestConfigurationOfCopy(audit).assignmentType = "Audit";
  return audit;
}
