/** Running the `mailhost` command as users do (a separate process) and making stack files for it. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/stacks";

export const BIN = path.join(REPO_ROOT, "bin", "mailhost.js");

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `mailhost <args>` in `cwd`; resolves when it exits. */
export function mailhost(args: string[], cwd = REPO_ROOT, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** A temp project dir (with a Pulumi.yaml) holding the given files. */
export function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mailhost-cli-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml")));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A committed stack file's text, edited. */
export function stackText(from: string, edit: (text: string) => string = (t) => t): string {
  return edit(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${from}.yaml`), "utf8"));
}

/** 1-based line of the first line of a text containing `needle` (0 when absent). */
export const lineIn = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;
