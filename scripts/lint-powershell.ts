/**
 * PowerShell checker for the guest scripts.
 *
 *   node --liftoff-only --import tsx scripts/lint-powershell.ts [files...]
 *
 * Without file arguments it checks every `*.ps1` under the repository (node_modules and .git
 * skipped). It parses each file with web-tree-sitter and the tree-sitter-powershell grammar and
 * reports:
 *   - `syntax`: every ERROR node and every missing node of the parse tree;
 *   - `no-parameter-subexpression-in-expandable-string`: a `$( ... )` sub-expression inside a
 *     double-quoted string or here-string that references a parameter of an enclosing
 *     script / function / configuration / script block, or a `$using:` variable. DSC's `$using:`
 *     substitution does not look into such strings, and building text from parameters this way
 *     hides what is interpolated; use `-f` or concatenation instead.
 *
 * Prints `{ files, problems }` as JSON and exits 1 when there are problems (2 on a crash).
 *
 * `--liftoff-only`: the grammar is a large WebAssembly module. V8's optimising compiler takes
 * several seconds on it; the baseline compiler alone parses these files in well under a second.
 */
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import type { Node } from 'web-tree-sitter';

export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  rule: string;
  message: string;
}

export interface LintReport {
  files: string[];
  problems: Problem[];
}

export const RULE_SYNTAX = 'syntax';
export const RULE_PARAMETER_SUBEXPRESSION = 'no-parameter-subexpression-in-expandable-string';

// Node types of tree-sitter-powershell 0.26 used below.
const EXPANDABLE_STRING_TYPES = ['expandable_string_literal', 'expandable_here_string_literal'];
const SUB_EXPRESSION = 'sub_expression';
/** Also covers `${name}` (its child is braced_variable) and `$using:name`: the text holds both. */
const VARIABLE = 'variable';
/** A bare word with a double-quoted tail (`foo"$(...)"`) keeps its string inside command_name. */
const COMMAND_NAME = 'command_name';
const PARAM_BLOCK = 'param_block';
const PARAMETER_LIST = 'parameter_list';
const SCRIPT_PARAMETER = 'script_parameter';
const FUNCTION_PARAMETER_DECLARATION = 'function_parameter_declaration';
const CLASS_METHOD_PARAMETER_LIST = 'class_method_parameter_list';
const CLASS_METHOD_PARAMETER = 'class_method_parameter';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

/** The directory holding package.json above this module (the repository root). */
export function repoRoot(): string {
  // CommonJS (the package has no "type": "module") defines __dirname; under ESM fall back to the
  // script path on the command line.
  const here =
    typeof __dirname === 'string' ? __dirname : path.dirname(path.resolve(process.argv[1] ?? '.'));
  return path.resolve(here, '..');
}

/** Absolute path of tree-sitter-powershell.wasm, resolved like a require() from the repository. */
export function grammarWasmPath(root: string = repoRoot()): string {
  const requireFromRoot = createRequire(path.join(root, 'package.json'));
  const packageJson = requireFromRoot.resolve('tree-sitter-powershell/package.json');
  return path.join(path.dirname(packageJson), 'tree-sitter-powershell.wasm');
}

let parserPromise: Promise<Parser> | undefined;

function getParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const language = await Language.load(grammarWasmPath());
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

interface VariableRef {
  /** Lower-case name without sigil, braces or scope. */
  name: string;
  /** Lower-case scope (`using`, `script`, ...) or '' when none. */
  scope: string;
}

/** `$Name`, `${Name}`, `$using:Name`, `${script:Name}`, `@Name` -> name and scope. */
export function parseVariableName(text: string): VariableRef {
  let body = text.replace(/^[$@]/, '');
  if (body.startsWith('{') && body.endsWith('}')) {
    body = body.slice(1, -1);
  }
  const colon = body.indexOf(':');
  if (colon > 0) {
    return { scope: body.slice(0, colon).toLowerCase(), name: body.slice(colon + 1).toLowerCase() };
  }
  return { scope: '', name: body.toLowerCase() };
}

/** Scopes in which a reference can still mean the script's or function's own parameter. */
const PARAMETER_SCOPES = new Set(['', 'local', 'script', 'private']);

function parameterVariables(list: Node | null | undefined, parameterType: string): Node[] {
  if (!list) return [];
  const variables: Node[] = [];
  for (const parameter of list.namedChildren) {
    if (parameter?.type !== parameterType) continue;
    // The declared variable is the direct `variable` child; defaults may hold other variables.
    for (const child of parameter.namedChildren) {
      if (child?.type === VARIABLE) variables.push(child);
    }
  }
  return variables;
}

function childOfType(node: Node, type: string): Node | undefined {
  return node.namedChildren.find((child): child is Node => child?.type === type);
}

/** Names (lower-case) of the parameters a node declares directly, if it is a scope with any. */
function declaredParameters(node: Node): string[] {
  const variables: Node[] = [];
  const paramBlock = childOfType(node, PARAM_BLOCK);
  if (paramBlock) {
    variables.push(...parameterVariables(childOfType(paramBlock, PARAMETER_LIST), SCRIPT_PARAMETER));
  }
  const declaration = childOfType(node, FUNCTION_PARAMETER_DECLARATION);
  if (declaration) {
    variables.push(...parameterVariables(childOfType(declaration, PARAMETER_LIST), SCRIPT_PARAMETER));
  }
  const classMethodParameters = childOfType(node, CLASS_METHOD_PARAMETER_LIST);
  if (classMethodParameters) {
    variables.push(...parameterVariables(classMethodParameters, CLASS_METHOD_PARAMETER));
  }
  return variables.map((variable) => parseVariableName(variable.text).name);
}

/**
 * Parameters visible at `node`: those of every enclosing program, script block, script block
 * expression, function, filter or class method (PowerShell scopes are dynamic, so an inner
 * block still sees the outer parameters; a DSC configuration body is a script block here).
 */
function parametersInScope(node: Node, cache: Map<number, string[]>): Set<string> {
  const names = new Set<string>();
  for (let current: Node | null = node; current; current = current.parent) {
    let declared = cache.get(current.id);
    if (!declared) {
      declared = declaredParameters(current);
      cache.set(current.id, declared);
    }
    for (const name of declared) names.add(name);
  }
  return names;
}

function position(node: Node): { line: number; column: number } {
  return { line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
}

function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function syntaxProblems(root: Node, file: string): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: Node): void => {
    if (node.isMissing) {
      problems.push({
        file,
        ...position(node),
        rule: RULE_SYNTAX,
        message: `missing ${JSON.stringify(node.type)}`,
      });
    } else if (node.isError) {
      problems.push({
        file,
        ...position(node),
        rule: RULE_SYNTAX,
        message: `syntax error near ${JSON.stringify(oneLine(node.text, 40))}`,
      });
    }
    for (const child of node.children) {
      if (child && (child.hasError || child.isMissing || child.isError)) visit(child);
    }
  };
  if (root.hasError || root.isMissing || root.isError) visit(root);
  return problems;
}

/** The `$( ... )` nodes that sit inside a double-quoted string or here-string. */
function subExpressionsInExpandableStrings(root: Node): Node[] {
  const found = new Map<number, Node>();
  for (const literal of root.descendantsOfType([...EXPANDABLE_STRING_TYPES, COMMAND_NAME])) {
    if (!literal) continue;
    for (const sub of literal.descendantsOfType(SUB_EXPRESSION)) {
      if (sub) found.set(sub.id, sub);
    }
  }
  return [...found.values()].sort((a, b) => a.startIndex - b.startIndex);
}

function parameterSubExpressionProblems(root: Node, file: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<number>();
  const cache = new Map<number, string[]>();
  for (const sub of subExpressionsInExpandableStrings(root)) {
    const parameters = parametersInScope(sub, cache);
    for (const variable of sub.descendantsOfType(VARIABLE)) {
      if (!variable || seen.has(variable.id)) continue;
      const ref = parseVariableName(variable.text);
      let why: string | undefined;
      if (ref.scope === 'using') {
        why = 'a $using: variable';
      } else if (PARAMETER_SCOPES.has(ref.scope) && parameters.has(ref.name)) {
        why = 'a parameter';
      }
      if (!why) continue;
      seen.add(variable.id);
      problems.push({
        file,
        ...position(variable),
        rule: RULE_PARAMETER_SUBEXPRESSION,
        message:
          `${variable.text} (${why}) is used in the sub-expression ${oneLine(sub.text)} inside a ` +
          `double-quoted string; build the text with -f or concatenation instead`,
      });
    }
  }
  return problems;
}

function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule);
}

/** Checks one PowerShell source text; `fileName` is only copied into the problems. */
export async function lintPowerShell(source: string, fileName: string): Promise<Problem[]> {
  const parser = await getParser();
  // A byte-order mark is not PowerShell syntax to the grammar; dropping it keeps columns right.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const tree = parser.parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${fileName}`);
  try {
    return [
      ...syntaxProblems(tree.rootNode, fileName),
      ...parameterSubExpressionProblems(tree.rootNode, fileName),
    ].sort(byPosition);
  } finally {
    tree.delete();
  }
}

/** Every `*.ps1` file under `root`, skipping node_modules and .git, sorted. */
export async function findPowerShellFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(full);
      } else if (entry.isFile() && entry.name.toLowerCase().endsWith('.ps1')) {
        files.push(full);
      }
    }
  };
  await walk(root);
  return files.sort();
}

/**
 * Checks the given files. Paths are reported with forward slashes, relative to `root` when inside
 * it, absolute otherwise.
 */
export async function lintFiles(files: readonly string[], root: string = repoRoot()): Promise<LintReport> {
  const report: LintReport = { files: [], problems: [] };
  for (const file of files) {
    const absolute = path.resolve(file);
    const relative = path.relative(root, absolute);
    const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
    const shown = (inside ? relative : absolute).split(path.sep).join('/');
    report.files.push(shown);
    const source = await readFile(absolute, 'utf8');
    report.problems.push(...(await lintPowerShell(source, shown)));
  }
  return report;
}

export async function main(args: readonly string[]): Promise<number> {
  const root = repoRoot();
  const flags = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  if (!flags.includes('--liftoff-only')) {
    process.stderr.write(
      'lint-powershell: running without --liftoff-only; compiling the grammar will take seconds and GBs of memory\n',
    );
  }
  const files = args.length > 0 ? [...args] : await findPowerShellFiles(root);
  const report = await lintFiles(files, root);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.problems.length > 0 ? 1 : 0;
}

const invokedAs = path.basename(process.argv[1] ?? '');
if (/^lint-powershell\.[cm]?[jt]s$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`lint-powershell: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
