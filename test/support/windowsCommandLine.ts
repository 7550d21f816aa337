/**
 * A stand-in for the Windows command-line layer between Azure Run Command and the script: Run
 * Command puts the `{name, value}` parameters on a command line (`-Name value ...`) that cmd and
 * then PowerShell's binder read. Modelled, as public reports against Run Command describe it:
 * - a line break (CR or LF) ends the command: the rest never arrives;
 * - `&`, `|`, `<` and `>` end the command too (a second command or a redirection);
 * - `^`, `"`, `%` and `!` are eaten (escape, quote, variable and delayed-expansion characters);
 * - spaces, tabs, `,`, `;` and `=` separate arguments, so a value with one is split;
 * - a word starting with `-` is taken as a parameter name, not a value.
 * It is deliberately harsher than any one real path through cmd: a value that survives it
 * survives all of them.
 */

export interface BoundParameters {
  /** What each named parameter of the script received. */
  readonly bound: Record<string, string>;
  /** Words that bound to no parameter (lost, or an error in PowerShell). */
  readonly stray: string[];
}

const END_OF_COMMAND = /[\r\n&|<>]/;
const EATEN = /[\^"%!]/g;
const SEPARATORS = /[ \t,;=]+/;

/** What a script would bind after the command line carried `parameters`. */
export function bindThroughCommandLine(parameters: ReadonlyArray<{ readonly name: string; readonly value: string }>): BoundParameters {
  let line = parameters.map((p) => `-${p.name} ${p.value}`).join(" ");
  const end = line.search(END_OF_COMMAND);
  if (end >= 0) line = line.slice(0, end);
  const words = line
    .replace(EATEN, "")
    .split(SEPARATORS)
    .filter((w) => w !== "");
  const names = new Map(parameters.map((p) => [p.name.toLowerCase(), p.name]));
  const bound: Record<string, string> = {};
  const stray: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const name = words[i].startsWith("-") ? names.get(words[i].slice(1).toLowerCase()) : undefined;
    if (name === undefined) {
      stray.push(words[i]);
      continue;
    }
    const next = words[i + 1];
    if (next !== undefined && !next.startsWith("-")) {
      bound[name] = next;
      i++;
    }
  }
  return { bound, stray };
}

/** The parameters whose value does not arrive exactly as sent (empty when every one does). */
export function damagedParameters(parameters: ReadonlyArray<{ readonly name: string; readonly value: string }>): string[] {
  const { bound } = bindThroughCommandLine(parameters);
  return parameters.filter((p) => bound[p.name] !== p.value).map((p) => p.name);
}
