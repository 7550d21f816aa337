/**
 * Child-process entry of {@link ProjectProcess} (engine/projectProcess.ts): runs a Pulumi
 * project's own nodejs program offline, in the project folder, under mocks set on the project's own
 * copy of `@pulumi/pulumi` (the one its program registers resources with), and reports what it
 * registered to the parent over the IPC channel. Not imported by anything: the parent forks it.
 *
 * The program is loaded as the Pulumi CLI's nodejs language host loads it (`cmd/run/run.ts` in
 * @pulumi/pulumi): TypeScript through ts-node (the project's own ts-node and typescript, else the
 * copies vendored in @pulumi/pulumi), type-checked unless `PULUMI_NODEJS_TRANSPILE_ONLY=true` or
 * the tsconfig's `noCheck`; a `type: module` package with `import()`; a folder with `require`; and a
 * function the program exports is called.
 */
import * as fs from "node:fs";
import { createRequire, register as registerHooks } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { rejectionOf } from "../domain/rejection";
import { type PulumiSdk, type RecordedResource, runOffline } from "./offline";
import { type Registration, registrationOf, secretFilter } from "./previewDigest";
import type { ProjectRunMessage, ProjectRunRequest } from "./projectProcess";
import { encodeStruct } from "./wire";

const send = (message: ProjectRunMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

/** Console output of the program (and `pulumi.log`, which prints under mocks) goes to the parent. */
function captureConsole(): void {
  const severities = { debug: "debug", log: "info", info: "info", warn: "warning", error: "error" } as const;
  for (const [method, severity] of Object.entries(severities)) {
    (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
      let message = format(...args);
      // pulumi.log under mocks: "warning: [runtime] <message>".
      const logged = /^(debug|info|warning|error): \[runtime\] ([\s\S]*)$/.exec(message);
      if (logged) message = logged[2];
      void send({ kind: "log", severity: logged ? (logged[1] as "debug") : severity, message });
    };
  }
}

/** The nodejs language host's TypeScript set-up, for the project in the working directory. */
function registerTypeScript(request: ProjectRunRequest, pulumiDir: string): void {
  const fromPulumi = createRequire(path.join(pulumiDir, "package.json"));
  const tsConfigPath = request.runtime.tsconfig ?? "tsconfig.json";
  const skipProject = !fs.existsSync(tsConfigPath);
  let compiler: string;
  try {
    compiler = fromPulumi.resolve("typescript");
  } catch {
    compiler = path.join(pulumiDir, "vendor", "typescript@3.8.3", "typescript.js");
  }
  let tsNode: string;
  try {
    tsNode = fromPulumi.resolve("ts-node");
  } catch {
    tsNode = path.join(pulumiDir, "vendor", "ts-node@7.0.1");
  }
  const ts = require(compiler) as {
    version: string;
    parseConfigFileTextToJson(file: string, text: string): { config?: { compilerOptions?: Record<string, unknown> } };
  };
  let compilerOptions: Record<string, unknown> = {};
  try {
    compilerOptions = ts.parseConfigFileTextToJson(tsConfigPath, fs.readFileSync(tsConfigPath, "utf8")).config?.compilerOptions ?? {};
  } catch {
    // No tsconfig (or an unreadable one): the defaults below, as the language host does.
  }
  const transpileEnv = process.env["PULUMI_NODEJS_TRANSPILE_ONLY"];
  const transpileOnly = transpileEnv ? transpileEnv === "true" : compilerOptions["noCheck"];
  const [major, minor, patch] = ts.version.split(/[.-]/).map(Number);
  const nodeNext = major > 4 || (major === 4 && minor >= 7);
  const above47 = major > 4 || (major === 4 && (minor > 7 || (minor === 7 && patch > 0)));
  const options = { compiler, transpileOnly, project: tsConfigPath, skipProject, compilerOptions: {} as Record<string, unknown> };
  let esmLoader: string | undefined;
  try {
    esmLoader = fromPulumi.resolve("ts-node/esm");
  } catch {
    esmLoader = undefined;
  }
  const otherLoaders = process.execArgv.some((a) => a === "--loader" || a === "--import" || a === "--require");
  if (request.esm && above47 && !otherLoaders && esmLoader) {
    options.compilerOptions = { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions };
    registerHooks("./hooks.js", pathToFileURL(path.join(pulumiDir, "cmd", "run", "run.js")), { data: options });
    return;
  }
  options.compilerOptions = {
    target: "ES2020",
    module: nodeNext ? "nodenext" : "commonjs",
    moduleResolution: nodeNext ? "nodenext" : "node",
    sourceMap: "true",
    ...compilerOptions,
  };
  (require(tsNode) as { register(o: unknown): void }).register(options);
}

const dynamicImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;

/** Loads the program as the language host does and returns what it exports (a function is called). */
async function loadProgram(request: ProjectRunRequest): Promise<unknown> {
  let exported: unknown;
  if (request.esm) {
    let main = fs.realpathSync(request.program);
    if (fs.statSync(main).isDirectory()) {
      const index = ["index.js", "index.mjs", "index.ts", "index.mts"].find((f) => fs.existsSync(path.join(main, f)));
      if (index === undefined) throw new Error(`No entrypoint found in ${main}`);
      main = path.join(main, index);
    }
    const module = await dynamicImport(pathToFileURL(main).href);
    if (Object.getOwnPropertyDescriptor(module, "default") !== undefined) {
      if (Object.keys(module).length !== 1) throw new Error("expected entrypoint module to have either a default export or named exports but not both");
      exported = module["default"];
    } else exported = module;
  } else {
    const target = fs.statSync(request.program).isDirectory() && !request.program.endsWith("/") ? `${request.program}/` : request.program;
    exported = require(target);
  }
  return typeof exported === "function" ? (exported as () => unknown)() : exported;
}

async function run(request: ProjectRunRequest): Promise<void> {
  let sdk: PulumiSdk;
  let pulumiDir: string;
  try {
    const fromProject = createRequire(path.join(request.packageRoot, "package.json"));
    pulumiDir = path.dirname(fromProject.resolve("@pulumi/pulumi/package.json"));
    sdk = fromProject("@pulumi/pulumi") as PulumiSdk;
  } catch {
    await send({
      kind: "failed",
      phase: "setup",
      message: `@pulumi/pulumi cannot be found from ${request.packageRoot}: the project's dependencies are not installed (run npm install, or your package manager's install, there).`,
    });
    return;
  }
  captureConsole();
  if (request.runtime.typescript) registerTypeScript(request, pulumiDir);
  const filter = secretFilter(request.secretKeys.map((k) => request.config[k]).filter((v): v is string => typeof v === "string"));
  const result = await runOffline(async () => loadProgram(request), request.stack, request.config, request.secretKeys, {
    sdk,
    project: request.project,
    dropAliases: request.mode === "stream",
    captureRegistrations: request.mode === "full",
    onResource:
      request.mode === "stream"
        ? (r: RecordedResource) => void send({ kind: "resource", type: r.type, name: r.name, custom: r.custom, inputs: encodeStruct(r.inputs) })
        : undefined,
  });
  const registrations: Registration[] | undefined =
    request.mode === "full" ? await Promise.all(result.resources.map((r) => registrationOf(r, filter))) : undefined;
  await send({ kind: "done", links: result.resources.map((r) => ({ urn: r.urn, parent: r.parent, dependencies: r.dependencies })), registrations });
}

process.once("message", (request: ProjectRunRequest) => {
  process.chdir(request.dir);
  run(request)
    .catch(async (error: unknown) => {
      const rejection = rejectionOf(error);
      await send({ kind: "failed", phase: "program", message: error instanceof Error ? error.message : String(error), ...(rejection ? { rejection } : {}) });
    })
    .finally(() => {
      // The program may leave timers or sockets behind: the run is over.
      process.exit(0);
    });
});
