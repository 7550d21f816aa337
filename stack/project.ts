/**
 * The Pulumi project `mailhost check` and `mailhost preview` run: the project file of the folder
 * they run in (`Pulumi.yaml`, or `Pulumi.yml`), read with a YAML library, and the program it names,
 * found by Pulumi's own rules for nodejs programs:
 *
 * - `main` (optional) is a path relative to the project folder: a file, or a folder whose
 *   `package.json` `main` or `index.js` (with TypeScript: `index.ts`) is the program. Without
 *   `main` the program is the project folder itself, where `package.json` decides: its `exports`
 *   (a string, or `exports["."]`, its `default`/`require`/`import`), else its `main`, else Node's
 *   folder rule (`index.js`, with TypeScript `index.ts`). An entry `package.json` names that is
 *   missing falls back to the folder, as the Pulumi CLI does (with a warning there).
 * - `runtime` is `nodejs` or `{ name: nodejs, options: { typescript, tsconfig, ... } }`;
 *   `typescript` defaults to true (TypeScript through ts-node, as the CLI registers it).
 * - `stackConfigDir` (optional) is the folder of the `Pulumi.<stack>.yaml` files.
 * - `config` (optional) declares project-level config: defaults (`default:` or `value:`, or the
 *   short form `key: value`) and keys that must be secrets (`secret: true`).
 *
 * Sources: Pulumi docs, "Pulumi.yaml project file reference" (main, runtime options, stackConfigDir,
 * config); the nodejs language host's `cmd/run/run.ts` in @pulumi/pulumi (entry point rules,
 * ts-node registration).
 *
 * Which program runs: a folder with no project file, or with a copy of this module's project file
 * (`name: mailhost`) but no program of its own, holds stack files of this module's own program (the
 * repository's `index.ts`), as `mailhost check` always read them; so does this package's own
 * folder. Any other project runs its own program.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
import { projectPath } from "../content/paths";

/** This module's own project name (and config namespace). */
export const MODULE_PROJECT_NAME = "mailhost";

/** A project that cannot be run: the sentence says why and what to do (exit 2). */
export class ProjectError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = "ProjectError";
  }
}

/** `runtime.options` of a nodejs project, as far as running the program needs them. */
export interface NodejsRuntimeOptions {
  /** Register TypeScript (ts-node) before loading the program. Pulumi's default: true. */
  readonly typescript: boolean;
  /** tsconfig file, relative to the project folder. Pulumi's default: `tsconfig.json`. */
  readonly tsconfig?: string;
}

/** A project-level config key of `Pulumi.yaml` that has a value or must be a secret. */
export interface ProjectConfigEntry {
  /** Full key (`<project>:<key>`, or the key's own namespace). */
  readonly key: string;
  /** Default value, when declared. */
  readonly value?: unknown;
  readonly secret: boolean;
}

/** Stack files of this module's own program (the repository's `index.ts`). */
export interface ModuleProject {
  readonly kind: "module";
  /** The folder holding the stack files. */
  readonly dir: string;
  readonly name: typeof MODULE_PROJECT_NAME;
}

/** A nodejs project with a program of its own. */
export interface ProgramProject {
  readonly kind: "program";
  /** The project folder (the project file's). */
  readonly dir: string;
  /** `Pulumi.yaml` or `Pulumi.yml`. */
  readonly file: string;
  readonly name: string;
  /** Folder of the stack files. */
  readonly stackDir: string;
  readonly runtime: NodejsRuntimeOptions;
  /**
   * What the nodejs language host loads (absolute): `main` in the project folder, or without it
   * the entry `package.json` names, or the project folder itself; a file or a folder.
   */
  readonly program: string;
  /** The file that program resolves to (for messages and for finding the package root). */
  readonly entry: string;
  /** The package whose `@pulumi/pulumi` the program uses: the nearest package.json at or above the entry. */
  readonly packageRoot: string;
  /** `type: module` in that package.json (the program is loaded with `import()`). */
  readonly esm: boolean;
  readonly config: readonly ProjectConfigEntry[];
}

export type Project = ModuleProject | ProgramProject;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The project file in `dir`: `Pulumi.yaml`, else `Pulumi.yml`; undefined when neither exists. */
export function projectFile(dir: string): string | undefined {
  for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  return undefined;
}

function readPackageJson(dir: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as unknown;
    return isObject(doc) ? doc : {};
  } catch {
    return {};
  }
}

/** The nearest folder at or above `start` with a package.json; `start` when none. */
export function packageRootOf(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

const isFile = (p: string) => fs.existsSync(p) && fs.statSync(p).isFile();
const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();

/**
 * The file Node loads for a program path, by Node's rules for a file or a folder (`package.json`
 * `main`, then `index.js`; with TypeScript registered, `.ts` too); undefined when there is none.
 */
export function programEntry(target: string, typescript: boolean): string | undefined {
  const extensions = typescript ? ["", ".js", ".ts", ".json"] : ["", ".js", ".json"];
  for (const ext of extensions) if (isFile(`${target}${ext}`)) return `${target}${ext}`;
  if (!isDir(target)) return undefined;
  const main = readPackageJson(target)["main"];
  if (typeof main === "string" && main !== "") {
    const found = programEntry(path.resolve(target, main), typescript);
    if (found) return found;
  }
  for (const index of typescript ? ["index.js", "index.ts"] : ["index.js"]) if (isFile(path.join(target, index))) return path.join(target, index);
  return undefined;
}

/** Without `main`: the entry `package.json` names (exports, then main), as the nodejs language host picks it. */
function packageEntry(dir: string): string | undefined {
  const pkg = readPackageJson(dir);
  const exports = pkg["exports"];
  let named: unknown;
  if (typeof exports === "string") named = exports;
  else if (isObject(exports)) {
    const dot = exports["."];
    named = typeof dot === "string" ? dot : isObject(dot) ? (dot["default"] ?? dot["require"] ?? dot["import"]) : undefined;
  } else named = pkg["main"];
  if (typeof named !== "string" || named === "") return undefined;
  const file = path.join(dir, named);
  return fs.existsSync(file) ? file : undefined;
}

function runtimeOf(doc: Record<string, unknown>, file: string): { name: string; options: NodejsRuntimeOptions } {
  const runtime = doc["runtime"];
  const name = isObject(runtime) ? runtime["name"] : runtime;
  if (typeof name !== "string" || name === "")
    throw new ProjectError(`${file} has no runtime: Pulumi needs \`runtime: nodejs\` (or another language) in the project file.`, file);
  const options = isObject(runtime) && isObject(runtime["options"]) ? runtime["options"] : {};
  const typescript = options["typescript"];
  const tsconfig = options["tsconfig"];
  return {
    name,
    options: {
      typescript: typeof typescript === "boolean" ? typescript : typeof typescript === "string" ? typescript !== "false" : true,
      ...(typeof tsconfig === "string" && tsconfig !== "" ? { tsconfig } : {}),
    },
  };
}

/** Project-level config of `Pulumi.yaml`: keys without a namespace belong to the project. */
function projectConfig(doc: Record<string, unknown>, name: string): ProjectConfigEntry[] {
  const config = doc["config"];
  if (!isObject(config)) return [];
  const entries: ProjectConfigEntry[] = [];
  for (const [raw, spec] of Object.entries(config)) {
    const key = raw.includes(":") ? raw : `${name}:${raw}`;
    if (isObject(spec) && ("type" in spec || "default" in spec || "value" in spec || "secret" in spec || "description" in spec)) {
      const value = "value" in spec ? spec["value"] : spec["default"];
      entries.push({ key, ...(value === undefined ? {} : { value }), secret: spec["secret"] === true });
    } else {
      entries.push({ key, value: spec, secret: false });
    }
  }
  return entries;
}

const realpath = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * The project in `dir`. Throws {@link ProjectError} for a project it cannot run: another language
 * (naming the runtime), an unreadable project file, or a program that is not there.
 */
export function readProject(dir: string): Project {
  const absolute = path.resolve(dir);
  const file = projectFile(absolute);
  if (file === undefined) return { kind: "module", dir: absolute, name: MODULE_PROJECT_NAME };
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, "utf8"), { prettyErrors: true });
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    throw new ProjectError(`${path.basename(file)} is not valid YAML: ${(err as Error).message.trimEnd()}`, file, line);
  }
  if (!isObject(doc)) throw new ProjectError(`${file} is not a Pulumi project file (a YAML map with name and runtime).`, file);
  const name = doc["name"];
  if (typeof name !== "string" || name === "") throw new ProjectError(`${file} has no name: Pulumi needs \`name:\` in the project file.`, file);
  const runtime = runtimeOf(doc, file);
  if (runtime.name !== "nodejs") {
    throw new ProjectError(
      `${file} declares runtime "${runtime.name}": mailhost check and mailhost preview run nodejs (TypeScript or JavaScript) programs only, ` +
        `under mocks of their own @pulumi/pulumi. Check a ${runtime.name} program with the Pulumi CLI and this module's policy pack instead ` +
        "(`pulumi preview --policy-pack <pack>`, see docs/PULL-REQUESTS.md).",
      file,
    );
  }
  if (realpath(absolute) === realpath(projectPath())) return { kind: "module", dir: absolute, name: MODULE_PROJECT_NAME };
  const main = doc["main"];
  if (main !== undefined && (typeof main !== "string" || main === ""))
    throw new ProjectError(`${file}: main must be a path (a file or folder of the project), not ${JSON.stringify(main)}.`, file);
  const target = typeof main === "string" ? path.resolve(absolute, main) : absolute;
  const program = typeof main === "string" ? target : (packageEntry(packageRootOf(absolute)) ?? target);
  const entry = programEntry(program, runtime.options.typescript);
  if (entry === undefined) {
    // A copy of this module's project file beside stack files (no program of its own): those are
    // stack files of this module's program, as `mailhost check` always read them.
    if (name === MODULE_PROJECT_NAME) return { kind: "module", dir: absolute, name: MODULE_PROJECT_NAME };
    const pkg = readPackageJson(packageRootOf(absolute));
    const build =
      isObject(pkg["scripts"]) && typeof pkg["scripts"]["build"] === "string"
        ? ` (package.json has a build script: run \`npm run build\` first; Pulumi does not build programs)`
        : "";
    throw new ProjectError(
      `${file}: the program${typeof main === "string" ? ` (main: ${main})` : ""} is not there: no file ${path.relative(absolute, target) || "."} ` +
        `${typeof main === "string" ? "" : "(package.json exports/main, index.js or index.ts) "}in ${absolute}${build}.`,
      file,
    );
  }
  const stackConfigDir = doc["stackConfigDir"];
  const packageRoot = packageRootOf(path.dirname(entry));
  return {
    kind: "program",
    dir: absolute,
    file,
    name,
    stackDir: typeof stackConfigDir === "string" && stackConfigDir !== "" ? path.resolve(absolute, stackConfigDir) : absolute,
    runtime: runtime.options,
    program,
    entry,
    packageRoot,
    esm: readPackageJson(packageRoot)["type"] === "module",
    config: projectConfig(doc, name),
  };
}
