/**
 * Brings the tools the guest PowerShell tests need, and runs them.
 *
 *   tsx scripts/guest-tools.ts install     make sure pwsh and Pester are there; print their paths
 *   tsx scripts/guest-tools.ts test [...]  run the Pester suite (test/integration/guest/**\/*.Tests.ps1)
 *   tsx scripts/guest-tools.ts lint [...]  run the PowerShell checker over guest/ (or the given files)
 *
 * Used by `.ci/run`, `npm run test:guest` (and so `npm test`) and `npm run lint:ps`.
 *
 * - `pwsh`: the one on PATH when it is PowerShell 7.4 or newer; otherwise PowerShell
 *   {@link POWERSHELL_VERSION} installed as a .NET tool (`dotnet tool install PowerShell
 *   --tool-path`) into the cache folder. 7.4 is the oldest PowerShell still supported
 *   (https://learn.microsoft.com/powershell/scripting/install/powershell-support-lifecycle).
 * - Pester {@link PESTER_VERSION}: restored from NuGet into the cache folder with `dotnet restore`
 *   of a throw-away project holding one `PackageDownload`, and imported by path. Without the .NET
 *   SDK, a Pester 5+ that pwsh already lists (`Get-Module -ListAvailable`) is used instead.
 * - Cache folder: `${XDG_CACHE_HOME:-$HOME/.cache}/mailhost-iac/`. Every install goes to a
 *   temporary folder first and is renamed into place, so an interrupted or concurrent run never
 *   leaves half a tool behind; a second run finds both and installs nothing.
 *
 * When neither pwsh nor the .NET SDK is there, it prints one line naming what to install and
 * exits 3.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** PowerShell installed as a .NET tool when pwsh is missing (NuGet package `PowerShell`). */
export const POWERSHELL_VERSION = "7.6.9";
/** Oldest pwsh on PATH that is used as it is (major, minor). */
export const MINIMUM_PWSH: readonly [number, number] = [7, 4];
/** Pester restored from NuGet (package `Pester`). */
export const PESTER_VERSION = "5.7.1";
/** Oldest Pester already installed for pwsh that is used when the .NET SDK is missing. */
export const MINIMUM_PESTER_MAJOR = 5;

export const MISSING_TOOLS_MESSAGE =
  "guest tests: install PowerShell 7.4+ (pwsh, with Pester 5+) or the .NET SDK 8+ (dotnet), which brings both; see DEVELOPMENT.md, Set-up";

/** Exit code when the tools are missing and cannot be installed. */
export const EXIT_MISSING_TOOLS = 3;

export interface GuestTools {
  /** Absolute path of the pwsh executable. */
  pwsh: string;
  /** Version of that pwsh, e.g. `7.6.9`. */
  pwshVersion: string;
  /** Absolute path of Pester.psd1 (import it by path). */
  pester: string;
}

/** Thrown when neither pwsh nor the .NET SDK is available. */
export class MissingToolsError extends Error {
  constructor() {
    super(MISSING_TOOLS_MESSAGE);
    this.name = "MissingToolsError";
  }
}

/** The directory holding package.json above this module (the repository root). */
export function repoRoot(): string {
  const here = typeof __dirname === "string" ? __dirname : path.dirname(path.resolve(process.argv[1] ?? "."));
  return path.resolve(here, "..");
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/mailhost-iac`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env["XDG_CACHE_HOME"] || path.join(env["HOME"] || os.homedir(), ".cache");
  return path.join(base, "mailhost-iac");
}

const EXE = process.platform === "win32" ? ".exe" : "";

/** The first `name` on PATH, or undefined. */
function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions = process.platform === "win32" ? [".exe", ".cmd", ""] : [""];
  for (const directory of (env["PATH"] ?? "").split(path.delimiter)) {
    if (!directory) continue;
    for (const extension of extensions) {
      const candidate = path.join(directory, name + extension);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

async function pwshVersion(pwsh: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "$PSVersionTable.PSVersion.ToString()"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

function atLeast(version: string, minimum: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

function log(message: string): void {
  process.stderr.write(`guest-tools: ${message}\n`);
}

/** Runs a command, its output going to stderr (stdout of this script stays machine-readable). */
function run(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", 2, 2] });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${String(code)}`})`));
    });
  });
}

/** Moves `from` to `to` unless `to` appeared meanwhile (another run won the race). */
async function moveIntoPlace(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if (!existsSync(to)) throw error;
  }
}

async function installPwsh(dotnet: string, cache: string): Promise<string> {
  const target = path.join(cache, `pwsh-${POWERSHELL_VERSION}`);
  const executable = path.join(target, `pwsh${EXE}`);
  if (existsSync(executable)) return executable;
  log(`installing PowerShell ${POWERSHELL_VERSION} as a .NET tool into ${target}`);
  await mkdir(cache, { recursive: true });
  const temporary = await mkdtemp(path.join(cache, `.pwsh-${POWERSHELL_VERSION}-`));
  try {
    await run(dotnet, ["tool", "install", "PowerShell", "--version", POWERSHELL_VERSION, "--tool-path", temporary]);
    await moveIntoPlace(temporary, target);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  return executable;
}

/** `net<major>.0` of the SDK, whose targeting pack ships with it (restore downloads nothing else). */
async function sdkTargetFramework(dotnet: string): Promise<string> {
  const { stdout } = await execFileAsync(dotnet, ["--version"], { encoding: "utf8", timeout: 120_000 });
  const major = Number.parseInt(stdout.trim().split(".")[0] ?? "", 10);
  if (!Number.isInteger(major) || major < 5) throw new Error(`unexpected dotnet --version: ${stdout.trim()}`);
  return `net${major}.0`;
}

async function restorePester(dotnet: string, cache: string): Promise<string> {
  const target = path.join(cache, "pester", PESTER_VERSION);
  const manifest = path.join(target, "tools", "Pester.psd1");
  if (existsSync(manifest)) return manifest;
  log(`restoring Pester ${PESTER_VERSION} from NuGet into ${target}`);
  await mkdir(cache, { recursive: true });
  const temporary = await mkdtemp(path.join(cache, `.pester-${PESTER_VERSION}-`));
  try {
    const project = path.join(temporary, "restore.csproj");
    await writeFile(
      project,
      [
        '<Project Sdk="Microsoft.NET.Sdk">',
        `  <PropertyGroup><TargetFramework>${await sdkTargetFramework(dotnet)}</TargetFramework></PropertyGroup>`,
        `  <ItemGroup><PackageDownload Include="Pester" Version="[${PESTER_VERSION}]" /></ItemGroup>`,
        "</Project>",
        "",
      ].join("\n"),
      "utf8",
    );
    const packages = path.join(temporary, "packages");
    await run(dotnet, ["restore", project, "--packages", packages, "--verbosity", "quiet", "-nologo"], {
      cwd: temporary,
    });
    const restored = path.join(packages, "pester", PESTER_VERSION);
    if (!existsSync(path.join(restored, "tools", "Pester.psd1"))) {
      throw new Error(`dotnet restore left no tools/Pester.psd1 in ${restored}`);
    }
    await moveIntoPlace(restored, target);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  return manifest;
}

/** Path of the newest Pester >= 5 that pwsh lists, or undefined. */
async function installedPester(pwsh: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(
      pwsh,
      [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        `Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version.Major -ge ${MINIMUM_PESTER_MAJOR} } | ` +
          "Sort-Object Version -Descending | Select-Object -First 1 -ExpandProperty Path",
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    const found = stdout.trim();
    return found ? found : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure pwsh (7.4+) and Pester are there, installing them into {@link cacheDir} when needed.
 * Throws {@link MissingToolsError} when neither pwsh nor the .NET SDK exists, and an Error when an
 * install fails.
 */
export async function ensureGuestTools(env: NodeJS.ProcessEnv = process.env): Promise<GuestTools> {
  const cache = cacheDir(env);
  const dotnet = onPath("dotnet", env);
  let pwsh: string | undefined;
  let version: string | undefined;
  const fromPath = onPath("pwsh", env);
  if (fromPath) {
    version = await pwshVersion(fromPath);
    if (version && atLeast(version, MINIMUM_PWSH)) pwsh = fromPath;
    else log(`ignoring ${fromPath} (PowerShell ${version ?? "unknown"}; 7.4 or newer is needed)`);
  }
  if (!pwsh) {
    const cached = path.join(cache, `pwsh-${POWERSHELL_VERSION}`, `pwsh${EXE}`);
    if (!existsSync(cached) && !dotnet) throw new MissingToolsError();
    if (existsSync(cached)) {
      // Only complete installs are renamed into place: no need to start it to know its version.
      pwsh = cached;
      version = POWERSHELL_VERSION;
    } else {
      pwsh = await installPwsh(dotnet as string, cache);
      version = await pwshVersion(pwsh);
      if (!version) throw new Error(`${pwsh} does not start; remove ${path.dirname(pwsh)} and run again`);
    }
  }
  let pester: string | undefined;
  const cachedPester = path.join(cache, "pester", PESTER_VERSION, "tools", "Pester.psd1");
  if (existsSync(cachedPester)) pester = cachedPester;
  else if (dotnet) pester = await restorePester(dotnet, cache);
  else pester = await installedPester(pwsh);
  if (!pester) throw new MissingToolsError();
  return { pwsh, pwshVersion: version ?? "unknown", pester };
}

/** Runs pwsh on a script file with arguments; resolves with its exit code. */
export function runPwshFile(tools: GuestTools, script: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", script, ...args], {
      cwd: repoRoot(),
      stdio: "inherit",
      env: { ...process.env, MAILHOST_PESTER: tools.pester },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function main(args: readonly string[]): Promise<number> {
  const [command = "install", ...rest] = args;
  if (!["install", "test", "lint"].includes(command)) {
    process.stderr.write("usage: guest-tools.ts install | test [Pester paths...] | lint [files...]\n");
    return 2;
  }
  let tools: GuestTools;
  try {
    tools = await ensureGuestTools();
  } catch (error) {
    if (error instanceof MissingToolsError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_MISSING_TOOLS;
    }
    throw error;
  }
  const root = repoRoot();
  if (command === "install") {
    process.stdout.write(`pwsh ${tools.pwshVersion}: ${tools.pwsh}\nPester: ${tools.pester}\n`);
    return 0;
  }
  if (command === "test") {
    return runPwshFile(tools, path.join(root, "scripts", "test-guest.ps1"), ["-PesterPath", tools.pester, ...rest]);
  }
  return runPwshFile(tools, path.join(root, "scripts", "lint-powershell.ps1"), rest);
}

const invokedAs = path.basename(process.argv[1] ?? "");
if (/^guest-tools\.[cm]?[jt]s$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`guest-tools: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
