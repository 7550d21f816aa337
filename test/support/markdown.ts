/**
 * Reading the repository's Markdown as GitHub renders it: headings and their anchors (GitHub's
 * slugs, github-slugger), relative links and images (markdown-it), fenced code blocks.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import GithubSlugger from "github-slugger";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt();
type Token = ReturnType<typeof md.parse>[number];

/** The text a heading renders (code spans without their backticks, links as their text). */
function plainText(inline: Token): string {
  return (inline.children ?? [])
    .filter((t) => t.type === "text" || t.type === "code_inline")
    .map((t) => t.content)
    .join("");
}

/** The anchors GitHub gives the headings of a Markdown text, in order (a repeated heading gets `-1`, `-2`...). */
export function headingAnchors(text: string): string[] {
  const slugger = new GithubSlugger();
  const tokens = md.parse(text, {});
  const out: string[] = [];
  tokens.forEach((token, i) => {
    if (token.type === "heading_open") out.push(slugger.slug(plainText(tokens[i + 1])));
  });
  return out;
}

/** Every link and image target of a Markdown text, with its line (1-based). */
export function linkTargets(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  for (const block of md.parse(text, {})) {
    for (const child of block.children ?? []) {
      const target = child.type === "link_open" ? child.attrGet("href") : child.type === "image" ? child.attrGet("src") : null;
      if (target !== null) out.push({ target: String(target), line: (block.map?.[0] ?? 0) + 1 });
    }
  }
  return out;
}

/** Fenced code blocks with their info string (`yaml`, `ts`...) and the heading they sit under. */
export function fencedBlocks(text: string): { info: string; content: string; heading: string }[] {
  const out: { info: string; content: string; heading: string }[] = [];
  const tokens = md.parse(text, {});
  let heading = "";
  tokens.forEach((token, i) => {
    if (token.type === "heading_open") heading = plainText(tokens[i + 1]);
    if (token.type === "fence") out.push({ info: token.info.trim(), content: token.content, heading });
  });
  return out;
}

/**
 * Relative links of `file` (a Markdown file under `root`) that lead nowhere: a file or folder that
 * does not exist, or an `#anchor` that no heading of the target Markdown file has. Links with a
 * scheme (https:, mailto:) are not followed.
 */
export function brokenLinks(root: string, file: string, read: (file: string) => string = (f) => fs.readFileSync(f, "utf8")): string[] {
  const broken: string[] = [];
  const text = read(file);
  for (const { target, line } of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
    const hash = target.indexOf("#");
    const filePart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = filePart === "" ? file : path.resolve(path.dirname(file), filePart);
    const where = `${path.relative(root, file)}:${line}: ${target}`;
    if (!fs.existsSync(resolved)) {
      broken.push(`${where}: no such file`);
      continue;
    }
    if (anchor === undefined || anchor === "") continue;
    if (!resolved.endsWith(".md")) {
      broken.push(`${where}: an anchor into a file that is not Markdown`);
      continue;
    }
    if (!headingAnchors(resolved === file ? text : read(resolved)).includes(anchor)) broken.push(`${where}: no heading with this anchor`);
  }
  return broken;
}
