/**
 * A small reader of compiled MOF text, for tests only: instances (class, alias, properties in
 * order) and values (strings with the escapes `\\ \" \n`, integers, True/False, string arrays).
 * It follows the MOF grammar of DMTF DSP0004 as far as PSDesiredStateConfiguration writes it.
 */
export type MofReadValue = string | number | boolean | string[] | null;

export interface MofReadInstance {
  readonly className: string;
  readonly alias?: string;
  readonly properties: Array<[string, MofReadValue]>;
}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  skip(): void {
    for (;;) {
      const rest = this.text.slice(this.pos);
      const ws = /^\s+/.exec(rest);
      if (ws) {
        this.pos += ws[0].length;
        continue;
      }
      if (rest.startsWith("/*")) {
        const end = this.text.indexOf("*/", this.pos + 2);
        if (end < 0) throw new Error("unterminated comment");
        this.pos = end + 2;
        continue;
      }
      if (rest.startsWith("//")) {
        const end = this.text.indexOf("\n", this.pos);
        this.pos = end < 0 ? this.text.length : end + 1;
        continue;
      }
      return;
    }
  }
  eof(): boolean {
    this.skip();
    return this.pos >= this.text.length;
  }
  expect(token: string): void {
    this.skip();
    if (!this.text.startsWith(token, this.pos))
      throw new Error(`expected ${JSON.stringify(token)} at ${this.pos}: ${JSON.stringify(this.text.slice(this.pos, this.pos + 30))}`);
    this.pos += token.length;
  }
  peek(token: string): boolean {
    this.skip();
    return this.text.startsWith(token, this.pos);
  }
  word(): string {
    this.skip();
    const m = /^[$A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) throw new Error(`expected an identifier at ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }
  string(): string {
    this.expect('"');
    let out = "";
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) throw new Error("unterminated string");
      if (c === '"') return out;
      if (c === "\\") {
        const e = this.text[this.pos++];
        if (e === "\\" || e === '"' || e === "'") out += e;
        else if (e === "n") out += "\n";
        else if (e === "t") out += "\t";
        else if (e === "r") out += "\r";
        else throw new Error(`unknown escape \\${e}`);
        continue;
      }
      out += c;
    }
  }
  value(): MofReadValue {
    this.skip();
    if (this.peek('"')) {
      let s = this.string();
      // Adjacent string literals concatenate (DSP0004).
      while (this.peek('"')) s += this.string();
      return s;
    }
    if (this.peek("{")) {
      this.expect("{");
      const items: string[] = [];
      while (!this.peek("}")) {
        items.push(this.string());
        if (this.peek(",")) this.expect(",");
      }
      this.expect("}");
      return items;
    }
    const m = /^(-?[0-9]+|True|False|TRUE|FALSE|true|false|NULL)/.exec(this.text.slice(this.pos));
    if (!m) throw new Error(`expected a value at ${this.pos}`);
    this.pos += m[0].length;
    if (/^-?[0-9]+$/.test(m[0])) return Number(m[0]);
    if (m[0] === "NULL") return null;
    return m[0].toLowerCase() === "true";
  }
}

/** Reads every `instance of` block of a MOF document. Throws on anything it cannot read. */
export function readMof(text: string): MofReadInstance[] {
  const r = new Reader(text);
  const out: MofReadInstance[] = [];
  while (!r.eof()) {
    r.expect("instance");
    r.expect("of");
    const className = r.word();
    let alias: string | undefined;
    if (r.peek("as")) {
      r.expect("as");
      alias = r.word();
    }
    r.expect("{");
    const properties: Array<[string, MofReadValue]> = [];
    while (!r.peek("}")) {
      const name = r.word();
      r.expect("=");
      properties.push([name, r.value()]);
      r.expect(";");
    }
    r.expect("}");
    r.expect(";");
    out.push({ className, alias, properties });
  }
  return out;
}

/** Reads one MOF string literal (with its quotes) back to the text it carries. */
export function readMofString(literal: string): string {
  const r = new Reader(literal);
  const s = r.string();
  if (!r.eof()) throw new Error("text after the string literal");
  return s;
}
