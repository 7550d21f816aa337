/** Renders a drift report: a per-host table, one JSON document, or GitHub annotations. */
import { type DriftReport, driftExitCode } from "./drift";
import { lineOfKey } from "./locate";
import { portUsageReadingText } from "../domain/drift";

export function formatDriftText(report: DriftReport): string {
  const out = [`stack ${report.stack}: ${report.hosts.length} host(s) in ${report.resourceGroup} (tuning: ${report.mechanism}, source: ${report.source})`];
  if (report.error) out.push(`  error: ${report.error}`);
  // Nothing was judged (the VMs or the compliance could not be read): no table, no counts.
  if (report.error && report.hosts.length === 0) return out.join("\n");
  const rows: string[][] = [["host", "status", "setting", "desired", "actual", ""]];
  for (const h of report.hosts) {
    const status = h.status === "in-sync" ? "in-sync" : h.status.toUpperCase();
    const notes = [h.waitingForReboot ? "waiting for a reboot" : h.rebootPending ? "reboot pending" : "", ...(h.collectorErrors ?? [])]
      .filter(Boolean)
      .join("; ");
    if (h.status === "unknown" && h.settings.length === 0) {
      rows.push([h.name, status, "-", "-", "-", h.reason ?? ""]);
      continue;
    }
    const off = h.settings.filter((s) => s.status !== "in-sync");
    if (off.length === 0) rows.push([h.name, status, "all settings", "", "", notes]);
    off.forEach((s, i) =>
      rows.push([
        i === 0 ? h.name : "",
        i === 0 ? status : "",
        s.setting,
        s.desired,
        s.actual,
        [s.dangerous ? "DANGEROUS: outside the safe range" : "", i === 0 ? notes : ""].filter(Boolean).join("; "),
      ]),
    );
    if (h.portUsage) rows.push(["", "", "port usage", "", portUsageReadingText(h.portUsage), ""]);
    if (h.remediation) rows.push(["", "", "remediation", h.remediation.action, h.remediation.outcome, h.remediation.detail ?? ""]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    out.push(
      `  ${r
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd()}`,
    );
  const count = (s: string) => report.hosts.filter((h) => h.status === s).length;
  out.push("", `${count("in-sync")} in sync, ${count("drifted")} drifted, ${count("unknown")} unknown [${(report.timings.totalMs / 1000).toFixed(1)} s].`);
  if (report.source === "graph")
    out.push(
      "Port usage: Azure Resource Graph holds compliance, not readings; `mailhost drift --source run-command` (the collector) shows each host's latest reading.",
    );
  const waiting = report.hosts.filter((h) => h.waitingForReboot).map((h) => h.name);
  if (waiting.length > 0)
    out.push(
      `${waiting.length} host(s) waiting for a reboot to put their Tcpip values in effect: ${waiting.join(", ")}. Finish with \`mailhost reboot --stack ${report.stack}\` (rolling, zone by zone).`,
    );
  return out.join("\n");
}

export function formatDriftJson(report: DriftReport): string {
  return JSON.stringify(
    { ...report, exitCode: driftExitCode(report), timings: { totalMs: Math.round(report.timings.totalMs) } },
    (key, value) => (key === "ms" ? Math.round(value as number) : value),
    2,
  );
}

const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** Annotations point at the stack file's key of each drifted setting. */
export function formatDriftGithub(report: DriftReport, stackFile: string, stackFileText: string): string {
  const out: string[] = [];
  const note = (kind: "error" | "warning", title: string, message: string, key?: string) => {
    const line = key ? lineOfKey(stackFileText, key) : undefined;
    out.push(`::${kind} file=${escapeProperty(stackFile)}${line ? `,line=${line}` : ""},title=${escapeProperty(title)}::${escapeData(message)}`);
  };
  if (report.error) note("error", `mailhost drift (${report.stack})`, report.error);
  for (const h of report.hosts) {
    if (h.status === "unknown" && h.reason) note("error", `drift unknown: ${h.name}`, h.reason);
    for (const s of h.settings.filter((x) => x.status !== "in-sync")) {
      note(
        s.dangerous || s.status === "unknown" ? "error" : "warning",
        `drift: ${h.name} ${s.setting}`,
        `${h.name}: ${s.setting} is ${s.actual}, desired ${s.desired}${s.dangerous ? " (dangerous: outside the safe range)" : ""}.`,
        s.configKey,
      );
    }
  }
  const count = (s: string) => report.hosts.filter((h) => h.status === s).length;
  if (report.error && report.hosts.length === 0) return out.join("\n");
  out.push(`mailhost drift ${report.stack}: ${count("in-sync")} in sync, ${count("drifted")} drifted, ${count("unknown")} unknown.`);
  return out.join("\n");
}
