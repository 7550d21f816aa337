/**
 * Runs a Pulumi project's own nodejs program offline, in a process of its own (engine/projectRun.ts)
 * started in the project folder, as the Pulumi CLI starts a program: its own working directory, its
 * own module resolution (its `@pulumi/pulumi`, its `node_modules`), nothing shared with this
 * process. One process per run, as one `pulumi preview` is one program run.
 *
 * Why not the worker thread this repository's own program runs on (engine/offlineThread.ts): a
 * thread shares the process's working directory and module resolution, and a project's program
 * reads files relative to its folder and brings its own SDK.
 */
import { fork } from "node:child_process";
import * as path from "node:path";
import type { Rejection } from "../domain/rejection";
import type { NodejsRuntimeOptions, ProgramProject } from "../stack/project";
import type { RecordedResource } from "./offline";
import type { PreviewDiagnostic, Registration } from "./previewDigest";

/** A run, as the child process gets it. */
export interface ProjectRunRequest {
  /** The project folder (the program's working directory). */
  readonly dir: string;
  /** What the language host loads: a file or folder (absolute). */
  readonly program: string;
  /** The package whose `@pulumi/pulumi` the program uses. */
  readonly packageRoot: string;
  readonly esm: boolean;
  readonly runtime: NodejsRuntimeOptions;
  readonly project: string;
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  /** "stream": each resource as it registers, inputs encoded for the analyzer; "full": everything at the end, serialized and masked for the preview digest. */
  readonly mode: "stream" | "full";
}

/** Messages from the child. */
export type ProjectRunMessage =
  | { readonly kind: "resource"; readonly type: string; readonly name: string; readonly custom: boolean; readonly inputs: Uint8Array }
  | { readonly kind: "log"; readonly severity: "debug" | "info" | "warning" | "error"; readonly message: string }
  | { readonly kind: "done"; readonly links: ReadonlyArray<{ urn: string; parent?: string; dependencies: string[] }>; readonly registrations?: Registration[] }
  | { readonly kind: "failed"; readonly phase: "setup" | "program"; readonly message: string; readonly rejection?: Rejection };

/** The program failed (its own message), or could not be started (`phase` "setup"). */
export class ProjectRunError extends Error {
  constructor(
    message: string,
    readonly phase: "setup" | "program",
    readonly rejection?: Rejection,
  ) {
    super(message);
    this.name = "ProjectRunError";
  }
}

export interface ProjectRunOptions {
  /** Called as each resource is registered ("stream" runs; URN still empty, filled in when the run ends). */
  readonly onResource?: (resource: RecordedResource) => void;
}

export interface ProjectRunResult {
  /** "stream" runs: every resource, with encoded inputs, URN, parent and dependencies. */
  readonly resources: RecordedResource[];
  /** "full" runs: every registration, serialized and masked. */
  readonly registrations: Registration[];
  /** What the program printed (console, `pulumi.log`), debug output left out. */
  readonly diagnostics: PreviewDiagnostic[];
}

/** Child entry next to this file: .js when compiled, .ts under tsx (which the child then loads too). */
function childEntry(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `projectRun${ext}`);
  return ext === ".ts" ? { file, execArgv: ["--require", require.resolve("tsx/cjs")] } : { file, execArgv: [] };
}

const lines = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== "");

/** Runs the project's program once as `stack`. */
export function runProject(
  project: ProgramProject,
  stack: string,
  config: Readonly<Record<string, string>>,
  secretKeys: readonly string[],
  mode: "stream" | "full",
  options: ProjectRunOptions = {},
): Promise<ProjectRunResult> {
  const { file, execArgv } = childEntry();
  const child = fork(file, [], { cwd: project.dir, execArgv, serialization: "advanced", stdio: ["ignore", "pipe", "pipe", "ipc"] });
  const resources: RecordedResource[] = [];
  const diagnostics: PreviewDiagnostic[] = [];
  let stderr = "";
  let outcome: { done: Extract<ProjectRunMessage, { kind: "done" }> } | { failed: ProjectRunError } | undefined;
  child.stdout!.on("data", (d: Buffer) => {
    for (const l of lines(d.toString())) diagnostics.push({ message: l, severity: "info" });
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.on("message", (m: ProjectRunMessage) => {
    if (m.kind === "resource") {
      const recorded: RecordedResource = { type: m.type, name: m.name, inputs: {}, encodedInputs: m.inputs, custom: m.custom, urn: "", dependencies: [] };
      resources.push(recorded);
      options.onResource?.(recorded);
    } else if (m.kind === "log") {
      if (m.severity !== "debug") diagnostics.push({ message: m.message, severity: m.severity });
    } else if (m.kind === "done") {
      outcome = { done: m };
    } else {
      outcome = { failed: new ProjectRunError(m.message, m.phase, m.rejection) };
    }
  });
  const request: ProjectRunRequest = {
    dir: project.dir,
    program: project.program,
    packageRoot: project.packageRoot,
    esm: project.esm,
    runtime: project.runtime,
    project: project.name,
    stack,
    config: { ...config },
    secretKeys: [...secretKeys],
    mode,
  };
  child.send(request);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => reject(new ProjectRunError(`the program's process could not run: ${err.message}`, "setup")));
    child.on("close", (code, signal) => {
      for (const l of lines(stderr)) diagnostics.push({ message: l, severity: "info#err" });
      if (outcome === undefined) {
        const tail = lines(stderr).slice(-5).join("\n");
        return reject(
          new ProjectRunError(`the program's process ended without a result (${signal ?? `exit code ${code}`})${tail ? `:\n${tail}` : ""}`, "program"),
        );
      }
      if ("failed" in outcome) return reject(outcome.failed);
      const { links, registrations } = outcome.done;
      if (mode === "stream") {
        if (links.length !== resources.length)
          return reject(new Error(`internal: the program's process reported ${links.length} resources but sent ${resources.length}`));
        links.forEach((link, i) => Object.assign(resources[i], link));
      }
      resolve({ resources, registrations: registrations ?? [], diagnostics });
    });
  });
}
