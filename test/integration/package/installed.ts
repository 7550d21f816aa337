/**
 * The module as a consumer gets it: the repository packed (`npm pack`, which builds dist/ first)
 * and the tarball installed, offline from npm's cache, into a project outside the repository.
 * Shared by the test files that need it: the repository is packed once per test run (the files of
 * one `node --test` run share its process id as their parent), each file installs its own consumer.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/stacks";

export const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

export interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** The version the repository's lockfile pins for a package. */
export function pinned(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  return lock.packages[`node_modules/${name}`].version;
}

/**
 * A lockfile for the consumer: the repository's own pins (its lock lists exact versions and
 * integrity) with the registry's tarball address, so that `npm install --offline` takes every
 * package from npm's cache. The repository's lock leaves `resolved` out; the registry is npm's own
 * configured one.
 */
export function consumerLock(dependencies: Record<string, string>, registry: string): unknown {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, Record<string, unknown>> };
  const packages: Record<string, unknown> = { "": { name: "consumer", dependencies } };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith("node_modules/")) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    const name = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    if (rest.resolved === undefined && typeof rest.version === "string")
      rest.resolved = `${registry.replace(/\/?$/, "/")}${name}/-/${name.split("/").pop()}-${rest.version}.tgz`;
    packages[key] = rest;
  }
  return { name: "consumer", lockfileVersion: 3, requires: true, packages };
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The packed tarball of this test run (absolute path) and npm's report of it. The first test file
 * to ask packs (a directory created atomically is the lock); the others wait for its report.
 */
export function packedModule(timeoutMs = 900_000): { tarball: string; packed: PackResult } {
  const key = crypto.createHash("sha256").update(`${process.ppid}:${REPO_ROOT}`).digest("hex").slice(0, 12);
  const dir = path.join(os.tmpdir(), `mailhost-iac-packed-${key}`);
  const report = path.join(dir, "pack.json");
  const failure = path.join(dir, "error.txt");
  let mine = false;
  try {
    fs.mkdirSync(dir);
    mine = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if (mine) {
    // Tarballs of earlier runs (older than a day) go.
    for (const old of fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith("mailhost-iac-packed-") && d !== path.basename(dir))) {
      const full = path.join(os.tmpdir(), old);
      try {
        if (Date.now() - fs.statSync(full).mtimeMs > 86_400_000) fs.rmSync(full, { recursive: true, force: true });
      } catch {
        /* another run's */
      }
    }
    try {
      // `npm pack` runs "prepare" (the build: dist/ with declarations) first.
      const out = execFileSync(NPM, ["pack", "--json", "--pack-destination", dir], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const packed = (JSON.parse(out.slice(out.indexOf("["))) as PackResult[])[0];
      fs.writeFileSync(`${report}.tmp`, JSON.stringify(packed));
      fs.renameSync(`${report}.tmp`, report);
    } catch (err) {
      fs.writeFileSync(failure, String((err as { stderr?: string }).stderr ?? err));
      throw err;
    }
  }
  const started = Date.now();
  while (!fs.existsSync(report)) {
    if (fs.existsSync(failure)) throw new Error(`npm pack failed in another test file: ${fs.readFileSync(failure, "utf8")}`);
    if (Date.now() - started > timeoutMs) throw new Error(`no packed tarball in ${dir} after ${timeoutMs / 1000} s`);
    sleep(500);
  }
  const packed = JSON.parse(fs.readFileSync(report, "utf8")) as PackResult;
  return { tarball: path.join(dir, packed.filename), packed };
}

/**
 * Installs `dependencies` (the tarball among them, as `file:` to its path) into `dir`, offline from
 * npm's cache, with a package.json and a lockfile of the repository's pins.
 */
export function installConsumer(dir: string, dependencies: Record<string, string>, extra: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, ...extra, dependencies }, null, 2));
  const registry = execFileSync(NPM, ["config", "get", "registry"], { encoding: "utf8" }).trim();
  fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(consumerLock(dependencies, registry), null, 2));
  // Offline, from npm's cache. npm resolves peer dependencies through the registry's package
  // documents even when a lockfile pins them; offline it has none, so peers are left to the
  // consumer's own dependencies (--legacy-peer-deps), which is what this project declares.
  execFileSync(NPM, ["install", "--offline", "--legacy-peer-deps", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}
