/**
 * A tokenizer for Windows command lines as cmd.exe and the programs it starts see them: cmd splits
 * a line into commands at unquoted `&`, `&&`, `||` and `|` (a `^` escapes the next character
 * outside double quotes), and each program splits its own command line into arguments by the
 * rules of `CommandLineToArgvW` (spaces separate arguments outside double quotes; `2n` backslashes
 * before a quote give `n` backslashes and toggle quoting, `2n+1` give `n` backslashes and a
 * literal quote). Sources: Microsoft Learn, "cmd" (special characters) and "Parsing C++
 * command-line arguments".
 */
import type { Word } from "./commands";

/** One command of a command line: its words, and the raw text after its first word. */
export interface CmdCommand {
  readonly words: readonly Word[];
  /** Text after the command name, as cmd passed it on (quotes kept): nested command lines are re-read from it. */
  readonly rest: string;
}

/** `%NAME%` and `!NAME!` expand at run time: such a word cannot be evaluated here. */
const EXPANSION = /%[^%\s]+%|![^!\s]+!/;

/** Splits a command line (or several, one a line) into commands at cmd's unquoted separators. */
export function splitCmdCommands(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && c === "^" && i + 1 < text.length) {
      // cmd removes the caret and keeps the next character as it is.
      current += text[++i];
    } else if (!quoted && (c === "&" || c === "|" || c === "\n" || c === "\r")) {
      if (text[i + 1] === c) i++;
      out.push(current);
      current = "";
    } else {
      current += c;
    }
    if (c === "\n") quoted = false;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

/** Splits one command into arguments by the rules of `CommandLineToArgvW`. */
export function splitArguments(command: string): Array<{ text: string; start: number }> {
  const out: Array<{ text: string; start: number }> = [];
  let i = 0;
  while (i < command.length) {
    while (i < command.length && /\s/.test(command[i])) i++;
    if (i >= command.length) break;
    const start = i;
    let text = "";
    let quoted = false;
    while (i < command.length && (quoted || !/\s/.test(command[i]))) {
      const c = command[i];
      if (c === "\\") {
        let n = 0;
        while (command[i] === "\\") {
          n++;
          i++;
        }
        if (command[i] === '"') {
          text += "\\".repeat(Math.floor(n / 2));
          if (n % 2 === 1) {
            text += '"';
            i++;
          }
        } else {
          text += "\\".repeat(n);
        }
      } else if (c === '"') {
        // Inside quotes, "" is a literal quote (as the Microsoft C runtime reads it).
        if (quoted && command[i + 1] === '"') {
          text += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
      } else {
        text += c;
        i++;
      }
    }
    out.push({ text, start });
  }
  return out;
}

/** The commands of a cmd command line, each as words (a word with `%VAR%` is not evaluable). */
export function readCmdLine(text: string): CmdCommand[] {
  const out: CmdCommand[] = [];
  for (const command of splitCmdCommands(text)) {
    // `@` turns echo off for the line; parentheses group commands: neither is part of a word.
    const trimmed = command.replace(/^[@(\s]+/, "").replace(/[)\s]+$/, "");
    const args = splitArguments(trimmed);
    if (args.length === 0) continue;
    const words: Word[] = args.map((a) => (EXPANSION.test(a.text) ? { raw: a.text } : { raw: a.text, text: a.text }));
    const rest = args.length > 1 ? trimmed.slice(args[1].start) : "";
    out.push({ words, rest });
  }
  return out;
}
