/**
 * The record of each correction the guest makes: when the MailhostTcpTuning resource (any
 * mechanism: Machine Configuration, the DSC extension, Run Command) changes a setting in Set, it
 * writes one Windows event per changed setting to the Application log from its own event source,
 * naming the setting, the value found and the value written. Machine Configuration's own report
 * cannot say this: "There's no way to report when a drift was automatically corrected when using
 * continuous remediation" (learn.microsoft.com/azure/governance/machine-configuration/concepts/remediation-options).
 *
 * Pure: the generated guest `Limits.psd1` (components/guestScripts.ts `renderGuestLimits`), the
 * data collection rule's XPath and the correction alert's KQL (domain/monitoring.ts) all read it
 * from here.
 */

/** Event source (XML `Provider Name`) the guest registers and writes corrections as. */
export const CORRECTION_EVENT_SOURCE = "MailhostTcpTuning";

/** Classic event log the source is registered in. */
export const CORRECTION_EVENT_LOG = "Application";

/**
 * One event id per setting the resource corrects, so that an alert or a query can tell them
 * apart without parsing the message. Ids are never reused for another setting; a setting added
 * later takes the next free id.
 */
export const CORRECTION_EVENT_IDS = {
  /** `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\MaxUserPort` rewritten as REG_DWORD. */
  MaxUserPort: 1001,
  /** `...\Tcpip\Parameters\TcpTimedWaitDelay` rewritten as REG_DWORD. */
  TcpTimedWaitDelay: 1002,
  /** The IPv4 TCP dynamic port range set through netsh. */
  DynamicPortRangeIPv4: 1003,
  /** The IPv6 TCP dynamic port range set through netsh. */
  DynamicPortRangeIPv6: 1004,
  /** SiteConfig.cfg replaced (found and written shown as SHA-256). */
  SiteConfig: 1005,
  /** The auto-reuse port range set on the custom TCP setting templates (Set-NetTCPSetting), shown as start+count. */
  AutoReusePortRange: 1006,
} as const;

export type CorrectedSetting = keyof typeof CORRECTION_EVENT_IDS;

/**
 * What each correction event carries: its level and its insertion strings (the `<Data>` elements
 * of the event's EventData, in order). The rendered message is insertion string 1.
 */
export const CORRECTION_EVENT_LEVEL = "Information";
export const CORRECTION_EVENT_DATA = ["sentence", "setting", "found", "written", "powerShellEdition"] as const;

/** The data collection rule's filter for the correction events, `LogName!XPath`. */
export const CORRECTION_EVENT_XPATH = `${CORRECTION_EVENT_LOG}!*[System[Provider[@Name='${CORRECTION_EVENT_SOURCE}'] and (${Object.values(CORRECTION_EVENT_IDS)
  .map((id) => `EventID=${id}`)
  .join(" or ")})]]`;
