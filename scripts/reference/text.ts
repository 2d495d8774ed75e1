/** Text helpers for the reference's Markdown: one-line cells, code spans, anchors, defaults, doc comments. */
import * as ts from "typescript";

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A table cell: one line, pipes escaped (GitHub also needs them escaped inside code spans). */
export function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

export function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** GitHub's heading anchor. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** True when `text` has `ch` outside brackets and quotes (`"a" | "b"` yes, `Input<"a" | "b">` no). */
export function hasTopLevel(text: string, ch: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const c of text) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ("<([{".includes(c)) depth++;
    else if (">)]}".includes(c)) depth--;
    else if (c === ch && depth === 0) return true;
  }
  return false;
}

/** `@default` text: a leading literal (`22`, `"root"`, `[]`, `0o660`) goes in a code span, prose stays prose. */
export function formatDefault(text: string): string {
  const t = oneLine(text);
  if (t.startsWith("`")) return t;
  const literal = /^("(?:[^"\\]|\\.)*"|-?(?:0[xob][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?)|true|false|null|\[[^\]]*\]|\{[^}]*\})(?=$|[:,;]| \(| [a-z])/.exec(t);
  return literal === null ? t : code(literal[1]) + t.slice(literal[1].length);
}

export function docText(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  return oneLine(ts.displayPartsToString(symbol.getDocumentationComment(checker)));
}

/** The first paragraph of the file's leading `/** … *\/` comment. */
export function fileComment(file: ts.SourceFile): string {
  const range = (ts.getLeadingCommentRanges(file.text, 0) ?? []).find((r) => file.text.startsWith("/**", r.pos));
  if (range === undefined) return "";
  const lines = file.text
    .slice(range.pos + 3, range.end - 2)
    .split("\n")
    .map((l) => l.replace(/^\s*\*? ?/, ""));
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  const blank = lines.findIndex((l) => l.trim() === "");
  return oneLine((blank < 0 ? lines : lines.slice(0, blank)).join(" "));
}
