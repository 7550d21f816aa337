/**
 * Rolling reboots: which hosts wait for one, how many may be down at once, and the waves that
 * restart them. Pure: no Azure, no clock.
 *
 * `MaxUserPort` and `TcpTimedWaitDelay` take effect only after a reboot (Microsoft KB 319502), and
 * so does the auto-reuse port range (dotnet/runtime PR 54903: configured, then rebooted).
 * No tuning mechanism reboots a host by itself; the guest records a write in a volatile registry
 * key that the reboot itself clears, and the collector reports it as {@link UNTIL_BOOT_REASON}.
 */
import { type CollectorReport, type SettingDrift } from "./drift";

/** The collector's `RebootPendingReasons` entry for Tcpip values written since the last boot (volatile marker). */
export const UNTIL_BOOT_REASON = "MailhostIacUntilBoot";

/** The settings a reboot puts in effect; the others (SiteConfig.cfg, DSC mode) do not wait for one. */
export const REBOOT_SETTINGS: readonly string[] = ["MaxUserPort", "TcpTimedWaitDelay", "DynamicPortRange", "DynamicPortRange (IPv6)", "AutoReusePortRange"];

/** True when the host's Tcpip values were written since its last boot and wait for a reboot. */
export function waitsForReboot(report: CollectorReport): boolean {
  return (report.RebootPendingReasons ?? []).includes(UNTIL_BOOT_REASON);
}

/**
 * After a restart: the host's Tcpip values are in effect when none waits for a reboot any more
 * and each reboot setting equals the plan. Returns undefined when so, else why not (one sentence).
 */
export function notInEffect(report: CollectorReport, settings: readonly SettingDrift[]): string | undefined {
  if (waitsForReboot(report)) return `the collector still reports ${UNTIL_BOOT_REASON}`;
  const off = settings.filter((s) => REBOOT_SETTINGS.includes(s.setting) && s.status !== "in-sync");
  if (off.length === 0) return undefined;
  return off.map((s) => `${s.setting} is ${s.actual}, desired ${s.desired}`).join("; ");
}

/**
 * `--max-unavailable`: a whole number of hosts ("2") or a percentage of the stack ("25%"), rounded
 * down and at least 1 (a percentage that rounds to none would never finish). Throws an Error naming
 * the option, the value and what is allowed.
 */
export function maxUnavailable(spec: string, stackSize: number): number {
  const text = spec.trim();
  const percent = /^(\d{1,3})%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p < 1 || p > 100) throw new Error(`--max-unavailable = ${JSON.stringify(spec)} is not allowed; a percentage must be 1%–100%`);
    return Math.max(1, Math.floor((stackSize * p) / 100));
  }
  if (/^\d{1,6}$/.test(text) && Number(text) >= 1) return Number(text);
  throw new Error(
    `--max-unavailable = ${JSON.stringify(spec)} is not allowed; use a whole number of hosts (at least 1) or a percentage of the stack such as 25%`,
  );
}

/** A host to restart and its availability zone (undefined: not pinned to one). */
export interface RebootTarget {
  readonly name: string;
  readonly zone?: string;
}

/** Hosts restarted together: all of one zone, at most `maxUnavailable` of them. */
export interface Wave {
  /** 1-based. */
  readonly number: number;
  /** The zone of every host of the wave; undefined for hosts without a zone. */
  readonly zone?: string;
  readonly hosts: readonly string[];
}

/**
 * Splits targets into waves, zone by zone (zones in order "1", "2", "3", hosts without a zone
 * last), hosts by name within a zone, at most `maxUnavailable` hosts a wave. No wave mixes zones:
 * a zone outage during a wave then takes down no more than that wave's zone already had down.
 * Throws an Error when `maxUnavailable` is not a whole number of at least 1.
 */
export function planWaves(targets: readonly RebootTarget[], maxUnavailable: number): Wave[] {
  if (!Number.isInteger(maxUnavailable) || maxUnavailable < 1) throw new Error(`maxUnavailable = ${maxUnavailable} must be a whole number of at least 1`);
  const byZone = new Map<string | undefined, string[]>();
  for (const t of targets) byZone.set(t.zone, [...(byZone.get(t.zone) ?? []), t.name]);
  const zones = [...byZone.keys()].sort((a, b) => (a === undefined ? 1 : b === undefined ? -1 : a.localeCompare(b, "en", { numeric: true })));
  const waves: Wave[] = [];
  for (const zone of zones) {
    const hosts = [...new Set(byZone.get(zone))].sort();
    for (let i = 0; i < hosts.length; i += maxUnavailable) {
      waves.push({ number: waves.length + 1, zone, hosts: hosts.slice(i, i + maxUnavailable) });
    }
  }
  return waves;
}
