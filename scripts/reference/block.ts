/** Reference file plumbing: the block between the markers, its examples, and where two versions differ. */
import { END_MARKER, START_MARKER } from "./constants";
import { Reference } from "./generate";

/** The text between the markers, or undefined when the file has no reference block. */
export function readmeBlock(readme: string): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return readme
    .slice(start + START_MARKER.length, end)
    .replace(/^\n/, "")
    .replace(/\n$/, "");
}

/** The block as it is written between the markers (a blank line before the end marker closes the last table). */
function blockText(reference: Reference): string {
  return `\n${reference.markdown}\n`;
}

/** The reference file with the block replaced (or, the first time, a file holding just the block). */
export function withBlock(readme: string, reference: Reference): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start >= 0 && end > start) {
    return readme.slice(0, start + START_MARKER.length) + blockText(reference) + readme.slice(end);
  }
  return `${readme.trimEnd() === "" ? "# Component reference\n" : readme.trimEnd() + "\n"}\n${START_MARKER}${blockText(reference)}${END_MARKER}\n`;
}

export interface Example {
  /** The `### ` heading the example is under (the component's name). */
  readonly section: string;
  readonly code: string;
}

/** The fenced TypeScript examples of a block, in order. */
export function examplesIn(block: string): Example[] {
  return [...block.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => {
    const headings = [...block.slice(0, m.index).matchAll(/^### (.+)$/gm)];
    return { section: headings.length === 0 ? "" : headings[headings.length - 1][1], code: m[1] };
  });
}

/** Where two texts first differ, for a readable failure message. */
export function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      return `line ${i + 1} of the block:\n  file:      ${a[i] ?? "(end of block)"}\n  generated: ${e[i] ?? "(end of block)"}`;
    }
  }
  return "no difference";
}
