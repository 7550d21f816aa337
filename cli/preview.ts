/**
 * `mailhost preview`: everything the program of the project would register for a stack, offline
 * (no Pulumi CLI, no cloud, no secret), as a text list or, with `--json`, in the shape of
 * `pulumi preview --json` (engine/previewDigest.ts), for jq, conftest, Checkov or a reviewer's diff.
 */
import * as path from "node:path";
import { runOffline } from "../engine/offline";
import { type PreviewDigest, registrationOf, previewDigest, secretFilter } from "../engine/previewDigest";
import { runProject } from "../engine/projectProcess";
import { type Project, readProject } from "../stack/project";
import { loadStack } from "../stack/stackConfig";
import { readProjectStackFile } from "../stack/projectStackFile";
import { readStackFile } from "../stack/stackFile";

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
    return { project, digest: previewDigest({ project: project.name, stack: options.stack, registrations, config: file.config, secretKeys: file.secretKeys, durationMs: performance.now() - started }) };
  }
  const file = readProjectStackFile(project, options.stack);
  const run = await runProject(project, options.stack, file.config, file.secretKeys, "full");
  return {
    project,
    digest: previewDigest({ project: project.name, stack: options.stack, registrations: run.registrations, config: file.config, secretKeys: file.secretKeys, diagnostics: run.diagnostics, durationMs: performance.now() - started }),
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
