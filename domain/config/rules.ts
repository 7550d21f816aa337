/**
 * Rules across fields that JSON Schema cannot state, checked on the config with every default
 * resolved, and the rule of the stack's region (a key outside the `mailhost` namespace).
 */
import { type ConfigIssue, showValue } from "../issues";
import { AZURE_SUBNET_RESERVED_ADDRESSES, HIGHEST_PORT, dynamicPortRangeEnd } from "../limits";
import { autoReusePortRangeProblems, inboundSourceProblem } from "../rules";
import { AZURE_LOCATION_KEY, configKeyPath } from "./keys";
import { AZURE_REGION_PATTERN } from "./patterns";
import { DSC_WINDOWS_VERSIONS, type MailhostConfig, TEXT_DEFAULTS } from "./schema";

/** Problems with the stack's region (`azure-native:location`): it must be set, as a region name. */
export function azureLocationIssues(location: string | undefined): ConfigIssue[] {
  const path = AZURE_LOCATION_KEY;
  if (location === undefined || location.trim() === "") {
    return [
      {
        path,
        message: `${path} is missing: set the stack's Azure region (for example \`pulumi config set ${path} westeurope\`); every resource of the stack is created there.`,
      },
    ];
  }
  if (!new RegExp(AZURE_REGION_PATTERN).test(location)) {
    return [
      {
        path,
        message: `${path} = ${showValue(location)} is not an Azure region name: use the programmatic name, lower-case letters and digits (westeurope, eastus2), as \`az account list-locations --query "[].name"\` prints it.`,
      },
    ];
  }
  return [];
}

const RESERVED_ADMIN_NAMES = new Set([
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
]);

function subnetCapacity(cidr: string): number {
  const bits = Number(cidr.split("/")[1]);
  return Math.max(0, 2 ** (32 - bits) - AZURE_SUBNET_RESERVED_ADDRESSES);
}

/** Cross-field rules of `mailhost:monitoring`. */
export function monitoringIssues(config: MailhostConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { samplingIntervalSeconds, alerts, workspaceResourceId, workspaceLocation } = config.monitoring;
  const idPath = configKeyPath(["monitoring", "workspaceResourceId"]);
  const locationPath = configKeyPath(["monitoring", "workspaceLocation"]);
  // Azure Monitor: "Create your DCR in the same region as your destination Log Analytics workspace." An ARM id carries no region.
  if (workspaceResourceId !== undefined && workspaceLocation === undefined) {
    issues.push({
      path: locationPath,
      message: `${locationPath} is missing: with ${idPath} set, state the workspace's Azure region (for example westeurope); the data collection rule must be created in the workspace's region, which its ARM id does not carry.`,
    });
  }
  if (workspaceResourceId === undefined && workspaceLocation !== undefined) {
    issues.push({
      path: locationPath,
      message: `${locationPath} = ${showValue(workspaceLocation)} is set without ${idPath}: the stack creates its own workspace in the stack's region; remove ${locationPath} or set ${idPath}.`,
    });
  }
  // The failure rule takes a delta between samples: a window needs at least two of them.
  if (samplingIntervalSeconds * 2 > alerts.windowMinutes * 60) {
    const path = configKeyPath(["monitoring", "samplingIntervalSeconds"]);
    issues.push({
      path,
      message: `${path} = ${samplingIntervalSeconds} leaves fewer than two counter samples in ${configKeyPath(["monitoring", "alerts", "windowMinutes"])} = ${alerts.windowMinutes} minutes; use at most ${alerts.windowMinutes * 30} seconds or a longer window.`,
    });
  }
  return issues;
}

/** `mailhost:egress`: routeTableId goes with kind routeTable, and only with it. */
function egressIssues(config: MailhostConfig): ConfigIssue[] {
  const kindPath = configKeyPath(["egress", "kind"]);
  const idPath = configKeyPath(["egress", "routeTableId"]);
  const { kind, routeTableId } = config.egress;
  if (kind === "routeTable" && routeTableId === undefined) {
    return [
      {
        path: idPath,
        message: `${idPath} is missing; it is required when ${kindPath} = "routeTable" (the ARM id of an existing route table, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.Network/routeTables/<name>).`,
      },
    ];
  }
  if (kind === "natGateway" && routeTableId !== undefined) {
    return [
      {
        path: idPath,
        message: `${idPath} = ${showValue(routeTableId)} is not allowed with ${kindPath} = "natGateway", which creates its own NAT gateway and associates no route table; remove it, or set ${kindPath} to "routeTable".`,
      },
    ];
  }
  return [];
}

/** Rules across fields that JSON Schema cannot state. Input must be schema-valid. */
export function crossFieldIssues(config: MailhostConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { start, count } = config.tcp.dynamicPortRange;
  const end = dynamicPortRangeEnd(start, count);
  const rangePath = configKeyPath(["tcp", "dynamicPortRange"]);
  if (end > HIGHEST_PORT) {
    issues.push({
      path: rangePath,
      message: `${rangePath} = start ${start}, count ${count} ends at port ${end}; start + count - 1 must be at most ${HIGHEST_PORT}.`,
    });
  } else if (end !== config.tcp.maxUserPort) {
    issues.push({
      path: rangePath,
      message: `${rangePath} = start ${start}, count ${count} ends at port ${end}, but it must end at ${configKeyPath(["tcp", "maxUserPort"])} = ${config.tcp.maxUserPort} (set count to ${config.tcp.maxUserPort - start + 1}).`,
    });
  }
  const autoReuse = config.tcp.autoReusePortRange;
  if (autoReuse !== undefined && end <= HIGHEST_PORT) {
    const autoPath = configKeyPath(["tcp", "autoReusePortRange"]);
    for (const problem of autoReusePortRangeProblems(autoReuse.start, autoReuse.count, start, count)) {
      issues.push({ path: autoPath, message: `${autoPath} = start ${autoReuse.start}, count ${autoReuse.count}: ${problem}.` });
    }
  }
  if (config.tcp.tuning === "dsc" && !DSC_WINDOWS_VERSIONS.includes(config.fleet.windowsVersion)) {
    const path = configKeyPath(["fleet", "windowsVersion"]);
    issues.push({
      path,
      message: `${path} = ${showValue(config.fleet.windowsVersion)} is not supported by the DSC extension (documented up to ${DSC_WINDOWS_VERSIONS.join(", ")}); use ${configKeyPath(["tcp", "tuning"])} = machineConfiguration or runCommand.`,
    });
  }
  if (RESERVED_ADMIN_NAMES.has(config.fleet.adminUsername.toLowerCase()) || config.fleet.adminUsername.endsWith(".")) {
    const path = configKeyPath(["fleet", "adminUsername"]);
    issues.push({ path, message: `${path} = ${showValue(config.fleet.adminUsername)} is a name Azure does not accept for a VM administrator.` });
  }
  if (/^[dD]:/.test(config.siteConfig.path)) {
    const path = configKeyPath(["siteConfig", "path"]);
    issues.push({
      path,
      message: `${path} = ${showValue(config.siteConfig.path)} is on D:, Azure's temporary disk: it is wiped on redeploy and absent on sizes without one; use C: (default ${TEXT_DEFAULTS.siteConfigPath}).`,
    });
  }
  config.fleet.allowedImapCidrs.forEach((cidr, i) => {
    const path = configKeyPath(["fleet", "allowedImapCidrs", i]);
    const problem = inboundSourceProblem(cidr, path);
    if (problem !== undefined) issues.push({ path, message: `${problem}.` });
  });
  const capacity = subnetCapacity(config.fleet.addressPrefix);
  if (config.fleet.hostCount > capacity) {
    const path = configKeyPath(["fleet", "hostCount"]);
    issues.push({
      path,
      message: `${path} = ${config.fleet.hostCount} does not fit ${configKeyPath(["fleet", "addressPrefix"])} = ${showValue(config.fleet.addressPrefix)}, which holds ${capacity} hosts.`,
    });
  }
  issues.push(...egressIssues(config));
  issues.push(...monitoringIssues(config));
  return issues;
}
