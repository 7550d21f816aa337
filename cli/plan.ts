/** `mailhost plan`: what `pulumi up` would configure on each host, from the same model the program uses. */
import { describeEgress } from "../domain/egress";
import { type MonitoringPlan } from "../domain/monitoring";
import { PORT_USAGE_SAMPLING } from "../domain/limits";
import { portUsageThresholdText } from "../domain/portUsage";
import * as path from "node:path";
import { ConfigValidationError } from "../domain/issues";
import { type FleetPlan, STACK_TAG } from "../domain/plan";
import type { ArmVm } from "../azure/arm";
import { lineOfKey } from "./locate";
import { loadStack } from "../stack/stackConfig";
import { readStackFile } from "../stack/stackFile";

/** The plan of a stack file; config problems carry the file and line of their key. */
export function planOf(dir: string, stack: string): FleetPlan {
  const file = readStackFile(dir, stack);
  try {
    return loadStack(stack, file.config).plan;
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    const name = path.basename(file.file);
    throw new ConfigValidationError(
      err.issues.map((i) => {
        const line = lineOfKey(file.text, i.path);
        return { ...i, message: `${i.message}  (${name}${line ? `:${line}` : ""})` };
      }),
      `Invalid configuration in ${name}`,
    );
  }
}

const fixed = (n: number, digits = 1) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The zones Azure has for a stack's VMs (`--azure`): VM name -> its zones (empty: none). A
 * VM keeps the zone it was created in, so after an edit of `fleet.zones` this, not the plan, says
 * where a host is.
 */
export type AzureZones = ReadonlyMap<string, readonly string[]>;

/** Reads the zones of the stack's VMs (tagged `mailhost-stack: <stack>`) in its resource group. */
export async function readAzureZones(
  arm: { listVms(resourceGroup: string): Promise<ArmVm[]> },
  plan: FleetPlan,
  resourceGroup = plan.names.resourceGroup,
): Promise<AzureZones> {
  const vms = (await arm.listVms(resourceGroup)).filter((vm) => vm.tags[STACK_TAG] === plan.stack);
  return new Map(vms.map((vm) => [vm.name, vm.zones]));
}

/** A host's zone in Azure for the table: its zone, "none", or "not created". */
function azureZoneCell(azure: AzureZones, name: string): string {
  const zones = azure.get(name);
  return zones === undefined ? "not created" : (zones[0] ?? "none");
}

export function formatPlan(plan: FleetPlan, azure?: AzureZones): string {
  const t = plan.tuning;
  const c = plan.capacity;
  const load = plan.config.capacity;
  const header = [
    "host",
    "zone (if created now)",
    ...(azure ? ["zone in Azure"] : []),
    "tuning",
    "MaxUserPort",
    "TcpTimedWaitDelay",
    "dynamic ports",
    "auto-reuse ports",
    "capacity model",
    "MailboxCacheTTL (floor)",
    "Rmax/s",
    "demand/s",
    "headroom",
  ];
  const autoReuse = t.autoReusePortRange;
  const modelName = c.model === "hostPool" ? "one pool per host" : "pool per back end";
  const rows = plan.hosts.map((h) => [
    h.name,
    h.zone ?? "-",
    ...(azure ? [azureZoneCell(azure, h.name)] : []),
    t.mechanism,
    String(t.maxUserPort),
    `${t.tcpTimedWaitDelay} s`,
    `${t.dynamicPortRangeStart}–${t.dynamicPortRangeStart + t.dynamicPortRangeCount - 1} (${t.dynamicPortRangeCount})`,
    autoReuse === undefined ? "not set" : `${autoReuse.start}–${autoReuse.start + autoReuse.count - 1} (${autoReuse.count})`,
    modelName,
    `${t.mailboxCacheTtl} s (${t.effectiveTtlFloor})`,
    fixed(c.rmax),
    fixed(c.demand, 2),
    `${fixed(c.plannedRate - c.demand)}/s (${fixed((1 - c.demand / c.plannedRate) * 100)}%)`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [
    `stack ${plan.stack}: ${plan.hosts.length} host(s) in ${plan.names.resourceGroup}`,
    `egress: ${describeEgress(plan.egress)}`,
    ...(azure
      ? ['zones: "zone in Azure" is each VM\'s own zone as Azure lists it; a host keeps the zone it was created in (Azure cannot move it).']
      : plan.config.fleet.zones.length > 0 || plan.egress.kind === "natGateway"
        ? [
            "zones: a host or NAT gateway created now gets the zone shown; one that exists keeps the zone it was created in (Azure cannot move it): `mailhost plan --azure` shows each host's zone in Azure.",
          ]
        : []),
    ...(azure
      ? [...azure.keys()]
          .filter((name) => !plan.hosts.some((h) => h.name === name))
          .sort()
          .map((name) => `in Azure but not in the plan: ${name} (zone ${azureZoneCell(azure, name)})`)
      : []),
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `capacity model (every host): ${t.capacityModel}.`,
    ...(c.model === "hostPool"
      ? [
          `Rmax = P / T = ${c.poolPorts} ports / ${t.tcpTimedWaitDelay} s, new connections per second for the whole host, all back ends together.`,
          `Demand = S / TTL = ${load.activeSessionsPerHost} sessions / ${t.mailboxCacheTtl} s; headroom against u × Rmax with u = ${load.utilization}. Floor: S × T / (u × P).`,
        ]
      : [
          `Rmax = R / T = ${c.poolPorts} ports / ${t.tcpTimedWaitDelay} s, new connections per second per back-end endpoint (auto-reuse port range; in effect after a reboot).`,
          `Demand = S / (TTL × B) = ${load.activeSessionsPerHost} sessions / (${t.mailboxCacheTtl} s × ${load.backendEndpoints} endpoints); headroom against u × Rmax with u = ${load.utilization}. Floor: S × T / (u × R × B).`,
        ]),
    `MailboxCacheTTL floor = max(configured ${t.configuredTtlFloor} s, capacity minimum ${t.capacityMinimumTtl} s) = ${t.effectiveTtlFloor} s.`,
    "",
    ...formatMonitoring(plan.monitoring, plan.hosts.length),
  ].join("\n");
}

/** The monitoring lines of a plan: where data goes, what is collected, what fires, who hears it. Never a secret. */
export function formatMonitoring(m: MonitoringPlan, hostCount: number): string[] {
  if (!m.enabled) return ["monitoring: disabled (mailhost:monitoring.enabled = false): no agent, no alert rules."];
  const workspace =
    m.workspace.kind === "created"
      ? `${m.workspace.name} (created, retention ${m.workspace.retentionInDays} days)`
      : `${m.workspace.resourceId} (existing, in ${m.workspace.location}: the data collection rule is created there)`;
  const receivers = [...m.emailReceivers, ...(m.webhookReceiver ? ["webhook (secret URL, not shown)"] : [])];
  const megabytes = (bytes: number) => (bytes / 1e6).toLocaleString("en-US", { maximumFractionDigits: 1 });
  return [
    `monitoring: Azure Monitor Agent + data collection rule ${m.names.dataCollectionRule} on every host, to workspace ${workspace}`,
    `  collects: ${[...m.eventXPathQueries, ...m.correctionEventXPathQueries].join("; ")}`,
    `            ${m.counterSpecifiers.length} TCP counters every ${m.samplingIntervalSeconds} s`,
    ...(m.portUsage === undefined
      ? []
      : [
          `  port usage: each host is held to ${m.portUsage.thresholdPorts} used local ports${m.portUsage.model === "perBackend" ? " per back-end endpoint" : ""} (${portUsageThresholdText(m.portUsage)}); readings every ${PORT_USAGE_SAMPLING.intervalSeconds} s by the guest's sampler`,
        ]),
    ...m.alerts.map((a) => `  alert sev ${a.severity} per host: ${a.condition} (${a.ruleName})`),
    ...m.metricAlerts.map((a) => `  alert sev ${a.severity} on the NAT gateway: ${a.condition} (${a.ruleName})`),
    `  action group ${m.names.actionGroup}: ${receivers.length > 0 ? receivers.join(", ") : "no receivers (alerts fire but notify nobody)"}`,
    `  estimated data: about ${megabytes(m.estimatedBytesPerHostPerDay)} MB per host per day, ${megabytes(m.estimatedBytesPerHostPerDay * hostCount * 30)} MB per month for ${hostCount} host(s).`,
  ];
}

/**
 * Plans as JSON: per stack, the tuning every host gets (ports, seconds), the hosts, and the
 * capacity figures (Rmax and demand in new connections per second per back-end endpoint), the
 * egress and the monitoring, as the text shows them (`description` / `lines` hold the text's
 * wording). The SiteConfig.cfg text itself is left out (its SHA-256 is in `tuning`); no secret is
 * part of a plan (the webhook is `webhookReceiver: true`).
 */
export function formatPlanJson(plans: readonly FleetPlan[], azure?: ReadonlyMap<string, AzureZones>): string {
  return JSON.stringify(
    {
      stacks: plans.map((plan) => {
        const zones = azure?.get(plan.stack);
        const { siteConfigContent: _content, ...tuning } = plan.tuning;
        return {
          stack: plan.stack,
          resourceGroup: plan.names.resourceGroup,
          // `zone`: the zone a host created now gets; with --azure, `azureZone`: the VM's own zone
          // (null: none), absent when the VM does not exist.
          hosts: plan.hosts.map((h) => ({
            name: h.name,
            zone: h.zone ?? null,
            ...(zones?.has(h.name) ? { azureZone: zones.get(h.name)![0] ?? null } : {}),
          })),
          tuning,
          load: plan.config.capacity,
          capacity: plan.capacity,
          egress: { ...plan.egress, description: describeEgress(plan.egress) },
          monitoring: { ...plan.monitoring, lines: formatMonitoring(plan.monitoring, plan.hosts.length) },
        };
      }),
    },
    null,
    2,
  );
}
