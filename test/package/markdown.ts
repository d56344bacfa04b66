/** Markdown as the docs' tests read it: fenced code apart, links, headings and their anchors, sections. */

/** The text without its fenced code blocks: a link or a heading inside code is neither. */
export function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** Link targets outside fenced code: inline `[text](target)` and definitions `[text]: target`. */
export function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => (m[1] ?? m[2])!);
}

/** GitHub's anchor of a heading. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a markdown text's headings. */
export function anchors(markdown: string): string[] {
  return [...prose(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!.trim()));
}

/** A heading's section: from the heading to the next heading of its level or above (outside code). */
export function section(markdown: string, heading: string): string {
  const level = /^#+/.exec(heading)![0].length;
  const lines = markdown.split("\n");
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading ${heading}`);
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.startsWith("```")) fenced = !fenced;
    const m = /^(#+)\s/.exec(lines[i]!);
    if (!fenced && m && m[1]!.length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join("\n");
}

/** The fenced code blocks of a markdown text, each with its language and its text. */
export function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** The files a section shows as `` `name`: `` followed by a fenced block, by name. */
export function namedFiles(markdown: string): Map<string, string> {
  return new Map([...markdown.matchAll(/^`([\w.]+)`:\n```\w+\n([\s\S]*?)```/gm)].map((m) => [m[1]!, m[2]!]));
}
