/**
 * The repository root, and pwsh for tests that run guest PowerShell from Node.
 *
 * The guest scripts' own tests are Pester tests (test/integration/guest/*.Tests.ps1, `npm run test:guest`);
 * a Node test that needs PowerShell (a contract test reading a script's real stdout) gets pwsh
 * and Pester from scripts/guest-tools.ts, which installs them into the cache folder when missing.
 */
import * as path from "node:path";
import { ensureGuestTools, type GuestTools } from "../../scripts/guest-tools";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

let tools: Promise<GuestTools> | undefined;

/** pwsh (7.4+) and Pester.psd1, installed once per test process; rejects when they cannot be had. */
export function guestTools(): Promise<GuestTools> {
  tools ??= ensureGuestTools();
  return tools;
}
