/**
 * Runs the PowerShell checker (scripts/lint-powershell.ts) as its own process: the tree-sitter
 * WASM parser must run under `node --liftoff-only`, which a test process cannot switch on.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import type { LintReport } from "../../scripts/lint-powershell";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface CheckerRun {
  code: number;
  report: LintReport;
  stderr: string;
}

export function runChecker(args: readonly string[]): Promise<CheckerRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--liftoff-only", "--import", "tsx", "scripts/lint-powershell.ts", ...args],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        if (code !== 0 && code !== 1) {
          reject(new Error(`checker failed (exit ${String(error?.code)}): ${stderr}`));
          return;
        }
        try {
          resolve({ code, report: JSON.parse(stdout) as LintReport, stderr });
        } catch (parseError) {
          reject(new Error(`checker printed no JSON: ${String(parseError)}\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
