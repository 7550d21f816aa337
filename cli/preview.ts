/**
 * `mailhost preview`: everything the program of the project would register for a stack, offline
 * (no Pulumi CLI, no cloud, no secret), as a text list or, with `--json`, in the shape of
 * `pulumi preview --json` (engine/previewDigest.ts), for jq, conftest, Checkov or a reviewer's diff.
 */
import * as path from "node:path";
import type { Command } from "commander";
import { runOffline } from "../engine/offline";
import { type PreviewDigest, registrationOf, previewDigest, secretFilter } from "../engine/previewDigest";
import { ProjectRunError, runProject } from "../engine/projectProcess";
import { type Project, readProject } from "../stack/project";
import { loadStack } from "../stack/stackConfig";
import { readProjectStackFile } from "../stack/projectStackFile";
import { readStackFile } from "../stack/stackFile";
import { rejectionProblems } from "./check";

export interface PreviewOptions {
  /** The project folder. */
  readonly dir: string;
  readonly stack: string;
}

export interface PreviewResult {
  readonly project: Project;
  readonly digest: PreviewDigest;
}

/**
 * Runs the project's program for `stack` and returns its digest. Throws what `mailhost check`
 * reports: a ConfigValidationError (this module's stack files), a ProjectRunError (the program
 * failed, `rejection` when a component rejected its inputs), a ProjectError or StackFileError.
 */
export async function runPreview(options: PreviewOptions): Promise<PreviewResult> {
  const started = performance.now();
  const project = readProject(options.dir);
  if (project.kind === "module") {
    const file = readStackFile(project.dir, options.stack);
    // Validated first, the way the program does: an invalid stack registers nothing.
    loadStack(file.stack, file.config);
    const program = require("../index") as () => Promise<unknown>;
    const run = await runOffline(program, options.stack, file.config, file.secretKeys, { captureRegistrations: true });
    const filter = secretFilter(file.secretKeys.map((k) => file.config[k]));
    const registrations = await Promise.all(run.resources.map((r) => registrationOf(r, filter)));
    return {
      project,
      digest: previewDigest({
        project: project.name,
        stack: options.stack,
        registrations,
        config: file.config,
        secretKeys: file.secretKeys,
        durationMs: performance.now() - started,
      }),
    };
  }
  const file = readProjectStackFile(project, options.stack);
  const run = await runProject(project, options.stack, file.config, file.secretKeys, "full");
  return {
    project,
    digest: previewDigest({
      project: project.name,
      stack: options.stack,
      registrations: run.registrations,
      config: file.config,
      secretKeys: file.secretKeys,
      diagnostics: run.diagnostics,
      durationMs: performance.now() - started,
    }),
  };
}

/** The digest as the CLI prints it (Go's `json.MarshalIndent` with four spaces). */
export function formatPreviewJson(digest: PreviewDigest): string {
  return JSON.stringify(digest, null, 4);
}

/** The digest as a short text: one line per step, then the summary. */
export function formatPreviewText(result: PreviewResult, stack: string): string {
  const { digest, project } = result;
  const where = project.kind === "module" ? "this module's program" : `${path.relative(process.cwd(), project.program) || project.program}`;
  const out = [`Previewing stack ${stack} of project ${project.name} offline (${where}, under mocks):`];
  for (const step of digest.steps ?? []) {
    const name = step.urn.slice(step.urn.lastIndexOf("::") + 2);
    const internal = step.newState.type.startsWith("pulumi:providers:") && name.startsWith("default");
    out.push(`  + ${step.newState.type}  ${name}${internal ? "  (default provider)" : ""}`);
  }
  for (const d of digest.diagnostics ?? []) out.push(`  ${d.severity}: ${d.message}`);
  out.push("");
  out.push(`Resources: + ${digest.changeSummary?.["create"] ?? 0} to create`);
  return out.join("\n");
}

/** A stack file's text, for locating keys (empty when it cannot be read: the error says more). */
function stackTextOf(project: Project, stack: string): string {
  try {
    return project.kind === "program" ? readProjectStackFile(project, stack).text : readStackFile(project.dir, stack).text;
  } catch {
    return "";
  }
}

/** The `preview` command. Exit 0 the program ran, 1 a component rejected its inputs (or the stack is invalid), 2 it could not run. */
export function registerPreview(program: Command, io: { out: (s: string) => void; err: (s: string) => void }, exit: (code: number) => void): void {
  program
    .command("preview")
    .description(
      "[offline] Show everything the project's program would register for a stack, run under Pulumi's mock runtime (no Pulumi CLI, no cloud, no secret). With --json, in the shape of `pulumi preview --json` (steps of {op, urn, provider, newState}, changeSummary, diagnostics), secrets masked as \"[secret]\". Exit 0 the program ran, 1 it rejected its inputs, 2 could not run.",
    )
    .requiredOption("-s, --stack <name>", "stack to preview (its Pulumi.<stack>.yaml)")
    .option("--json", "print the preview digest of `pulumi preview --json`", false)
    .option("-C, --cwd <dir>", "project directory (its Pulumi.yaml names the program; without one, stack files of this module's own program)", process.cwd())
    .action(async (opts: { stack: string; json: boolean; cwd: string }) => {
      Error.stackTraceLimit = 0;
      const project = readProject(opts.cwd);
      try {
        const result = await runPreview({ dir: opts.cwd, stack: opts.stack });
        io.out(opts.json ? formatPreviewJson(result.digest) : formatPreviewText(result, opts.stack));
      } catch (err) {
        if (!(err instanceof ProjectRunError)) throw err;
        // As the CLI's digest of a failed preview: the error as a diagnostic.
        let problems = err.rejection ? rejectionProblems(err.rejection, stackTextOf(project, opts.stack)) : [];
        if (problems.length === 0) problems = [{ path: "", message: err.message }];
        const file = `Pulumi.${opts.stack}.${project.kind === "program" && project.file.endsWith(".yml") ? "yml" : "yaml"}`;
        const lines = problems.map((p) => `${p.message}${p.line ? `  (${file}:${p.line})` : ""}`);
        if (opts.json) io.out(formatPreviewJson({ diagnostics: lines.map((message) => ({ message, severity: "error" as const })) }));
        for (const l of lines) io.err(`mailhost preview: ${l}`);
        exit(err.rejection && err.phase === "program" ? 1 : 2);
      }
    });
}
