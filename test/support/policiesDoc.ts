/**
 * The example pack of docs/POLICIES-LIBRARY.md, read from the doc: each fenced block that follows a
 * line naming a file (`` `index.ts`: ``, `` `config/dev.json`, ... ``) is that file's content.
 */
export function examplePackFiles(doc: string): Record<string, string> {
  const files: Record<string, string> = {};
  const section = doc.slice(doc.indexOf("## A complete pack"), doc.indexOf("## Options"));
  const blocks = section.matchAll(/^`([\w./-]+)`[^\n]*\n(?:[^`\n][^\n]*\n)*?\n?```\w*\n([\s\S]*?)```/gm);
  for (const [, name, content] of blocks) files[name] = content;
  return files;
}
