/**
 * What the read-only collector (guest/collector/Get-MailhostState.ps1) prints for a host that is
 * exactly as planned, for the drift tests and the drift benchmark; `change` makes one host differ.
 */
import { type CollectorReport } from "../../domain/drift";
import { type FleetPlan } from "../../domain/plan";

export function inSyncReport(plan: FleetPlan, change: Partial<CollectorReport> = {}): CollectorReport {
  return {
    MaxUserPort: plan.tuning.maxUserPort,
    TcpTimedWaitDelay: plan.tuning.tcpTimedWaitDelay,
    DynamicPortRangeStartPort: plan.tuning.dynamicPortRangeStart,
    DynamicPortRangeNumberOfPorts: plan.tuning.dynamicPortRangeCount,
    DynamicPortRangeIPv6StartPort: plan.tuning.dynamicPortRangeStart,
    DynamicPortRangeIPv6NumberOfPorts: plan.tuning.dynamicPortRangeCount,
    // Windows' default (off) when the stack leaves the auto-reuse range alone.
    AutoReusePortRangeStartPort: plan.tuning.autoReusePortRange?.start ?? 0,
    AutoReusePortRangeNumberOfPorts: plan.tuning.autoReusePortRange?.count ?? 0,
    MailboxCacheTTL: plan.tuning.mailboxCacheTtl,
    SiteConfigSha256: plan.tuning.siteConfigSha256,
    RebootPending: false,
    LcmConfigurationMode: plan.tuning.mechanism === "dsc" ? "ApplyAndAutoCorrect" : null,
    CollectedAt: "2026-11-25T03:00:00.0000000Z",
    Errors: [],
    ...change,
  };
}
