/** Renders a check report as text (like `pulumi preview`'s policy output), JSON or GitHub annotations. */
import { type CheckReport, type StackReport, exitCodeOf } from "./check";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Which policy config applied to a stack, in words. */
export function policyConfigText(s: StackReport): string {
  return s.policyConfig !== null
    ? `policy config ${s.policyConfig}, capacity load from the stack's mailhost:capacity`
    : "no policy config: the pack's defaults applied, capacity load from the stack's mailhost:capacity";
}

function counts(s: StackReport): string {
  const mandatory = s.violations.filter((v) => v.level === "mandatory").length;
  const advisory = s.violations.filter((v) => v.level === "advisory").length;
  return `${s.resourceCount} resources, ${mandatory} mandatory, ${advisory} advisory`;
}

export function formatText(report: CheckReport): string {
  const out: string[] = [];
  for (const s of report.stacks) {
    const status = s.status === "passed" ? "passed" : s.status === "rejected" ? "REJECTED" : "COULD NOT BE CHECKED";
    const detail = s.status === "error" ? "" : s.configProblems.length > 0 ? " — invalid configuration, nothing was run" : ` — ${counts(s)}`;
    out.push(`stack ${s.stack} (${s.file}): ${status}${detail} [${seconds(s.timings.totalMs)}]`);
    out.push(`    ${policyConfigText(s)}`);
    if (s.placeholders.length > 0) out.push(`    note: ${s.placeholders.join(", ")} not in the file; checked with a placeholder secret`);
    if (s.error) out.push(`    error: ${s.error}`);
    if (s.configProblems.length > 0) {
      out.push("    Configuration:");
      for (const p of s.configProblems) out.push(`        ✖ ${p.message}${p.line ? `  (${s.file}:${p.line})` : ""}`);
    }
    if (s.violations.length > 0) {
      out.push("    Policies:");
      const byUrn = new Map<string, typeof s.violations>();
      const heading = (v: (typeof s.violations)[number]) => v.urn ?? (v.resources ? `(${v.resources.length} resources)` : "(stack)");
      for (const v of s.violations) byUrn.set(heading(v), [...(byUrn.get(heading(v)) ?? []), v]);
      for (const [urn, vs] of byUrn) {
        out.push(`        ${urn}`);
        for (const v of vs) {
          out.push(
            `            ${v.level === "mandatory" ? "✖" : "⚠"} [${v.level}]  ${v.policy}${v.rule !== undefined && v.rule !== v.policy ? ` (${v.rule})` : ""}`,
          );
          out.push(`              ${v.message}${v.line ? `  (${s.file}:${v.line})` : ""}`);
          if (v.resources) out.push(`              on ${v.resources.length} resources: ${v.resources.join(", ")}`);
        }
      }
    }
  }
  const by = (st: string) => report.stacks.filter((s) => s.status === st).length;
  if (report.packs.length > 1) out.push(`policy packs: this module's (${report.packs[0]}), ${report.packs.slice(1).join(", ")}`);
  out.push("");
  out.push(
    `${report.stacks.length} stack${report.stacks.length === 1 ? "" : "s"} checked offline: ${by("passed")} passed, ${by("rejected")} rejected, ${by("error")} could not be checked [${seconds(report.timings.totalMs)}].`,
  );
  return out.join("\n");
}

export function formatJson(report: CheckReport): string {
  const code = exitCodeOf(report);
  return JSON.stringify(
    {
      passed: code === 0,
      exitCode: code,
      project: { name: report.project.name, program: report.project.program ?? null },
      policyPacks: report.packs,
      stacks: report.stacks.map((s) => ({
        stack: s.stack,
        file: s.file,
        status: s.status,
        policyConfig: s.policyConfig === null ? { source: "defaults", file: null } : { source: "file", file: s.policyConfig },
        resourceCount: s.resourceCount,
        configErrors: s.configProblems,
        violations: s.violations.map((v) => ({
          policy: v.policy,
          rule: v.rule ?? v.policy,
          level: v.level,
          urn: v.urn ?? null,
          message: v.message,
          line: v.line ?? null,
          ...(v.resources ? { resources: v.resources, urns: v.urns } : {}),
        })),
        placeholders: s.placeholders,
        error: s.error ?? null,
        timings: {
          totalMs: Math.round(s.timings.totalMs),
          programMs: Math.round(s.timings.programMs),
          analysisMs: Math.round(s.timings.analysisMs),
        },
      })),
      timings: {
        totalMs: Math.round(report.timings.totalMs),
        packStartMs: Math.round(report.timings.packStartMs),
        packCpuMs: report.timings.packCpuMs === undefined ? null : Math.round(report.timings.packCpuMs),
      },
    },
    null,
    2,
  );
}

/** GitHub workflow-command escaping. */
const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

function annotation(kind: "error" | "warning", file: string, line: number | undefined, title: string, message: string): string {
  const props = [`file=${escapeProperty(file)}`, ...(line ? [`line=${line}`] : []), `title=${escapeProperty(title)}`];
  return `::${kind} ${props.join(",")}::${escapeData(message)}`;
}

export function formatGithub(report: CheckReport): string {
  const out: string[] = [];
  for (const s of report.stacks) {
    out.push(`::notice file=${escapeProperty(s.annotationFile)},title=${escapeProperty(`mailhost check (${s.stack})`)}::${escapeData(policyConfigText(s))}`);
    if (s.error) out.push(annotation("error", s.annotationFile, undefined, `mailhost check: ${s.stack} could not be checked`, s.error));
    for (const p of s.configProblems) out.push(annotation("error", s.annotationFile, p.line, `mailhost config (${s.stack})`, p.message));
    for (const v of s.violations) {
      const where = v.urn ? ` [${v.urn}]` : v.resources ? ` On ${v.resources.length} resources: ${v.resources.join(", ")}.` : "";
      out.push(annotation(v.level === "mandatory" ? "error" : "warning", s.annotationFile, v.line, `${v.policy} (${s.stack})`, `${v.message}${where}`));
    }
  }
  const by = (st: string) => report.stacks.filter((s) => s.status === st).length;
  out.push(`mailhost check: ${by("passed")} passed, ${by("rejected")} rejected, ${by("error")} could not be checked.`);
  return out.join("\n");
}
