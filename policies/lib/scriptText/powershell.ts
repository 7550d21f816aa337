/**
 * Reads PowerShell text with the tree-sitter PowerShell grammar (tree-sitter-powershell, run by
 * web-tree-sitter inside the pack's Node process). The WebAssembly parser is loaded on the first
 * call of {@link loadPowerShellReader} and once per process: only a resource that carries script
 * text pays for it.
 *
 * Every `command` of the syntax tree, script blocks included, becomes a {@link ShellCommand};
 * comments are not commands. A variable the script assigns exactly once, to a literal, is read
 * as that literal (`$key = 'HKLM:\...'`); any other variable, a parameter of the script, a
 * sub-expression or a parenthesised expression is a value the pack cannot evaluate.
 */
import type { Node as SyntaxNode, Parser as TreeSitterParser } from "web-tree-sitter";
import { powerShellNumber, type ShellCommand, type Word } from "./commands";

/** Parses PowerShell text into its commands (line numbers offset by `firstLine - 1`). */
export type PowerShellReader = (text: string, firstLine?: number) => ShellCommand[];

let loading: Promise<PowerShellReader> | undefined;

/** Loads the grammar once (later calls share the same promise). Throws when the packages are missing. */
export function loadPowerShellReader(): Promise<PowerShellReader> {
  loading ??= (async () => {
    const { Parser, Language } = await import("web-tree-sitter");
    await Parser.init();
    const language = await Language.load(require.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm"));
    const parser = new Parser();
    parser.setLanguage(language);
    return (text: string, firstLine = 1) => readCommands(parser, text, firstLine);
  })();
  return loading;
}

/** Descends through nodes with a single named child (PowerShell's expression grammar nests deeply). */
function innermost(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.namedChildCount === 1 && n.type !== "string_literal" && n.type !== "integer_literal" && n.type !== "variable") n = n.namedChild(0)!;
  return n;
}

/** The characters of a string literal, when it holds no variable or sub-expression. */
function stringValue(node: SyntaxNode): string | undefined {
  const text = node.text;
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text.startsWith('"')) {
    if (node.descendantsOfType(["variable", "sub_expression"]).length > 0 || text.includes("$(")) return undefined;
    // Backtick escapes: `0 `a `b `f `n `r `t `v, else the character itself.
    const escapes: Record<string, string> = { "0": "\0", a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
    return text
      .slice(1, -1)
      .replace(/`(.)/g, (_, c: string) => escapes[c] ?? c)
      .replace(/""/g, '"');
  }
  return undefined; // here-strings
}

type Constant = { text: string; number?: number };

function variableName(node: SyntaxNode): string {
  return node.text
    .replace(/^\$\{?|\}$/g, "")
    .replace(/^(script|global|local):/i, "")
    .toLowerCase();
}

/** A literal value of an expression node, or undefined. */
function literalOf(node: SyntaxNode, constants: ReadonlyMap<string, Constant>): Constant | undefined {
  const n = innermost(node);
  if (n.type === "integer_literal") {
    const number = powerShellNumber(n.text);
    return number === undefined ? undefined : { text: n.text, number };
  }
  if (n.type === "string_literal") {
    const text = stringValue(n);
    return text === undefined ? undefined : { text };
  }
  if (n.type === "variable") return constants.get(variableName(n));
  return undefined;
}

/** Variables assigned exactly once, with `=`, to a literal, and not parameters of the script. */
function constantsOf(root: SyntaxNode): Map<string, Constant> {
  const assigned = new Map<string, SyntaxNode[]>();
  const excluded = new Set<string>();
  for (const a of root.descendantsOfType("assignment_expression")) {
    const left = a.namedChild(0);
    const operator = a.namedChildren.find((c) => c?.type === "assignement_operator" || c?.type === "assignment_operator");
    const target = left === null ? undefined : innermost(left);
    if (target?.type !== "variable") continue;
    const name = variableName(target);
    const right = a.namedChild(a.namedChildCount - 1);
    if (operator?.text !== "=" || right === null) excluded.add(name);
    else assigned.set(name, [...(assigned.get(name) ?? []), right]);
  }
  for (const p of root.descendantsOfType(["script_parameter", "foreach_statement", "for_statement"])) {
    for (const v of p.descendantsOfType("variable")) excluded.add(variableName(v));
  }
  const constants = new Map<string, Constant>();
  for (const [name, rights] of assigned) {
    if (rights.length !== 1 || excluded.has(name)) continue;
    const value = literalOf(rights[0], new Map());
    if (value !== undefined) constants.set(name, value);
  }
  return constants;
}

/** A command argument as a {@link Word}. */
function wordOf(node: SyntaxNode, source: string, next: SyntaxNode | undefined, constants: ReadonlyMap<string, Constant>): Word {
  const raw = node.text;
  if (node.type === "command_parameter") {
    const name = raw.replace(/^[-\u2013\u2014]/, "").replace(/:$/, "");
    const between = next === undefined ? "" : source.slice(node.startIndex, next.startIndex);
    return { raw, text: raw, parameter: name, colonValue: between.includes(":") };
  }
  if (node.type === "generic_token") {
    // A bare word; one that expands a variable is known only when the variable is a constant.
    if (node.namedChildCount === 0 && !raw.includes("$")) return { raw, text: raw };
    if (/^[^$]*\$\{?\w+\}?$/.test(raw)) {
      const c = constants.get(
        raw
          .slice(raw.indexOf("$"))
          .replace(/^\$\{?|\}$/g, "")
          .toLowerCase(),
      );
      if (c !== undefined) return { raw, text: raw.slice(0, raw.indexOf("$")) + c.text };
    }
    return { raw };
  }
  const literal = literalOf(node, constants);
  return literal === undefined ? { raw } : { raw, text: literal.text, number: literal.number };
}

function commandName(command: SyntaxNode): string | undefined {
  const name = command.childForFieldName("command_name") ?? command.namedChildren.find((c) => c?.type === "command_name" || c?.type === "command_name_expr");
  if (!name) return undefined;
  const text = name.type === "command_name_expr" ? innermost(name).text : name.text;
  return text.replace(/^["']|["']$/g, "");
}

function readCommands(parser: TreeSitterParser, text: string, firstLine: number): ShellCommand[] {
  const tree = parser.parse(text);
  if (tree === null) return [];
  try {
    const root = tree.rootNode;
    const constants = constantsOf(root);
    const out: ShellCommand[] = [];
    for (const command of root.descendantsOfType("command")) {
      const name = commandName(command);
      if (name === undefined) continue;
      const elements = command.namedChildren.find((c) => c?.type === "command_elements");
      const args = (elements?.namedChildren ?? []).filter((c): c is SyntaxNode => c !== null && c.type !== "command_argument_sep");
      const words = args.map((node, i) => wordOf(node, text, args[i + 1], constants));
      out.push({ name, words, line: firstLine + command.startPosition.row });
    }
    return out;
  } finally {
    tree.delete();
  }
}
