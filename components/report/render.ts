/**
 * The review report as one Markdown document (a pull-request comment) or plain text (a terminal):
 * per host, what each service will go through, then each managed file as a unified diff with hunk
 * headers. Under a size budget the longest diffs are folded first, and the report says what it cut.
 * Pure.
 */
import { structuredPatch } from "diff";
import { CodeChange, FileChange, HostChanges, ReviewModel, sameText, ServiceChange, Text } from "./preview";

/** One GitHub comment holds 65,536 characters; a little is kept for what CI wraps around it. */
export const DEFAULT_BUDGET = 65_000;
/** The first line of a Markdown report: CI finds the comment to update by it. */
export const REPORT_MARKER = "<!-- flaskstack-report -->";

export interface RenderOptions {
  readonly format: "markdown" | "text";
  /** Characters the whole document may take. @default DEFAULT_BUDGET */
  readonly budget?: number;
  /** Heading, e.g. the stack's name. */
  readonly title?: string;
  /** Lines of context around each change. @default 3 */
  readonly context?: number;
}

/** A part of the document; a diff can be folded to its one-line summary. */
interface Block {
  readonly text: string;
  readonly folded?: string;
  readonly label?: string;
}

export function renderReport(model: ReviewModel, opts: RenderOptions): string {
  const md = opts.format === "markdown";
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const blocks: Block[] = [];
  const title = opts.title ? ` · ${opts.title}` : "";
  if (md) blocks.push({ text: `${REPORT_MARKER}\n## flaskstack: what \`pulumi up\` will change${title}\n\n` });
  else blocks.push({ text: `flaskstack: what \`pulumi up\` will change${title}\n\n` });
  if (!model.changes) {
    blocks.push({ text: "No changes: `pulumi up` would run no command on any host.\n" });
    return blocks.map((b) => b.text).join("");
  }
  blocks.push({ text: `${summaryLine(model)}\n\n` });
  for (const h of model.hosts) blocks.push(...hostBlocks(h, md, opts.context ?? 3));
  if (model.elsewhere.length > 0) {
    blocks.push({
      text: md
        ? `### Outside the hosts\n\n${model.elsewhere.map((e) => `- ${e}`).join("\n")}\n\n`
        : `== outside the hosts\n${model.elsewhere.map((e) => `  ${e}`).join("\n")}\n\n`,
    });
  }
  return fit(blocks, budget, md);
}

function summaryLine(model: ReviewModel): string {
  const counts = Object.entries(model.summary)
    .filter(([op, n]) => op !== "same" && n > 0)
    .map(([op, n]) => `${n} to ${op}`);
  const same = model.summary.same ? `, ${model.summary.same} unchanged` : "";
  return `${model.hosts.length} host${model.hosts.length === 1 ? "" : "s"}; resources: ${counts.join(", ") || "none to change"}${same}.`;
}

function hostBlocks(h: HostChanges, md: boolean, context: number): Block[] {
  const out: Block[] = [];
  const same = h.files.filter(sameText);
  const lines: string[] = [];
  lines.push(md ? `### \`${h.host}\`\n` : `== ${h.host}`);
  if (h.services.length > 0) lines.push(...servicesTable(h.services, md));
  const bullets = [
    ...h.nginx.map((site) =>
      site.endsWith(" (removed)")
        ? `nginx site ${code(site.slice(0, -" (removed)".length), md)} removed: nginx reloads without it`
        : `nginx site ${code(site, md)}: tested with \`nginx -t\`, then reloaded: no requests dropped`,
    ),
    ...h.code.map((c) => codeLine(c, md)),
    ...(same.length > 0 ? [`written again with the same text (a new write step, owner or mode): ${same.map((f) => code(f.path, md)).join(", ")}`] : []),
    ...h.steps,
    ...(h.other.length > 0 ? [`other steps that run: ${h.other.map((o) => code(o, md)).join(", ")}`] : []),
  ];
  if (bullets.length > 0) lines.push(...bullets.map((b) => (md ? `- ${b}` : `  - ${b}`)), "");
  out.push({ text: `${lines.join("\n")}\n` });
  for (const f of [...h.files].sort((a, b) => (a.path < b.path ? -1 : 1))) if (!sameText(f)) out.push(fileBlock(f, md, context));
  for (const c of h.code) if (c.kind === "venv" && c.after?.kind === "text") out.push(fileBlock(requirementsAsFile(c), md, context));
  return out;
}

function code(s: string, md: boolean): string {
  return md ? `\`${s.replace(/`/g, "'")}\`` : s;
}

function servicesTable(services: ServiceChange[], md: boolean): string[] {
  if (!md) return [...services.map((s) => `  ${s.program} (${s.server}): ${s.does} — ${s.because}`), ""];
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return [
    "| service | the apply will | because |",
    "|---|---|---|",
    ...services.map((s) => `| \`${s.program}\` (${s.server}) | ${cell(s.does)} | ${cell(s.because)} |`),
    "",
  ];
}

function codeLine(c: CodeChange, md: boolean): string {
  const was = c.previousId ? ` (was ${code(c.previousId, md)})` : "";
  if (c.kind === "venv") {
    if (c.op === "delete") return `requirements of ${code(c.app, md)}: venv ${code(c.id, md)} removed once unused`;
    return `requirements of ${code(c.app, md)}: new venv ${code(c.id, md)}${was}, built and checked beside the running one`;
  }
  if (c.op === "delete") return `code of ${code(c.app, md)}: release ${code(c.id, md)} removed once unused`;
  const list = (label: string, files: string[]) =>
    files.length === 0
      ? []
      : [
          `${label} ${files
            .slice(0, 20)
            .map((f) => code(f, md))
            .join(", ")}${files.length > 20 ? ` and ${files.length - 20} more` : ""}`,
        ];
  const files = [...list("changed", c.changed), ...list("added", c.added), ...list("removed", c.removed)];
  return `code of ${code(c.app, md)}: new release ${code(c.id, md)}${was}, imported before the switch${files.length > 0 ? `: ${files.join("; ")}` : ""}`;
}

function requirementsAsFile(c: CodeChange): FileChange {
  return { path: `${c.baseDir}/venvs/${c.id}/requirements.txt`, op: c.before ? "update" : "create", before: c.before, after: c.after };
}

const VERB: Record<FileChange["op"], string> = { create: "created", update: "changed", replace: "changed", delete: "deleted" };

function describeText(t: Text | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (t.kind === "unknown") return "content known after apply (it depends on values this `up` computes, e.g. host facts)";
  if (t.kind === "secret") return "content secret: not shown";
  return undefined;
}

function fileBlock(f: FileChange, md: boolean, context: number): Block {
  const head = md ? `**${code(f.path, true)}** ${VERB[f.op]}` : `--- ${f.path}: ${VERB[f.op]}`;
  const notes: string[] = [];
  if (f.keys) {
    const k = f.keys;
    const part = (label: string, keys: string[]) => (keys.length > 0 ? [`${label} ${keys.map((x) => code(x, md)).join(", ")}`] : []);
    const parts = [...part("added", k.added), ...part("changed", k.changed), ...part("removed", k.removed)];
    notes.push(
      k.unknown
        ? "environment keys: known after apply; values are never shown"
        : `environment keys: ${parts.join("; ") || (f.op === "create" ? "none" : "none changed")} (values are never shown)`,
    );
  }
  const before = f.op === "create" ? { kind: "text" as const, text: "" } : f.before;
  const after = f.op === "delete" ? { kind: "text" as const, text: "" } : f.after;
  const unseen = describeText(after) ?? describeText(before);
  if (f.keys || unseen !== undefined || before?.kind !== "text" || after?.kind !== "text") {
    if (unseen && !f.keys) notes.push(unseen);
    return { text: `${head}${notes.length > 0 ? `: ${notes.join("; ")}` : ""}\n\n` };
  }
  const diff = unifiedDiff(f.path, f.op, before.text, after.text, context);
  if (diff.lines === 0) return { text: `${head}: only its owner, mode or write step changes (same text)\n\n` };
  const counts = ` (+${diff.added} −${diff.removed})`;
  const legend = diff.marked
    ? md
      ? "\n_Whitespace at the end of changed lines is shown as `·` (space) and `→` (tab)._"
      : "\n(whitespace at the end of changed lines shown as · for a space, → for a tab)"
    : "";
  const fence = md ? "`".repeat(Math.max(3, longestRun(diff.text, "`") + 1)) : "";
  const body = md ? `${fence}diff\n${diff.text}${fence}${legend}\n\n` : `${diff.text}${legend}\n`;
  return {
    text: `${head}${counts}\n${md ? "\n" : ""}${body}`,
    folded: `${head}${counts}: diff of ${diff.lines} lines folded to keep the report within its size budget\n\n`,
    label: f.path,
  };
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

export interface Diff {
  readonly text: string;
  readonly lines: number;
  readonly added: number;
  readonly removed: number;
  /** Trailing whitespace in changed lines was made visible. */
  readonly marked: boolean;
}

/** A unified diff with `---`/`+++` headers and `@@` hunk headers; blank and whitespace-only lines count. */
export function unifiedDiff(path: string, op: FileChange["op"], before: string, after: string, context = 3): Diff {
  const patch = structuredPatch(op === "create" ? "/dev/null" : `a${path}`, op === "delete" ? "/dev/null" : `b${path}`, before, after, "", "", { context });
  const out: string[] = [`--- ${patch.oldFileName}`, `+++ ${patch.newFileName}`];
  let added = 0;
  let removed = 0;
  let marked = false;
  for (const h of patch.hunks) {
    // As GNU diff writes it: an empty side starts before line 1.
    out.push(`@@ -${h.oldLines === 0 ? h.oldStart - 1 : h.oldStart},${h.oldLines} +${h.newLines === 0 ? h.newStart - 1 : h.newStart},${h.newLines} @@`);
    for (const line of h.lines) {
      if (line.startsWith("+") || line.startsWith("-")) {
        if (line.startsWith("+")) added++;
        else removed++;
        const visible = line.replace(/[ \t\r]+$/, (ws) => ws.replace(/ /g, "·").replace(/\t/g, "→").replace(/\r/g, "␍"));
        if (visible !== line) marked = true;
        out.push(visible);
      } else {
        out.push(line);
      }
    }
  }
  const lines = patch.hunks.reduce((n, h) => n + h.lines.length, 0);
  return { text: `${out.join("\n")}\n`, lines, added, removed, marked };
}

/** Folds the longest diffs until the document fits; as a last resort cuts the end, saying so. */
function fit(blocks: Block[], budget: number, md: boolean): string {
  const parts = blocks.map((b) => ({ ...b, current: b.text, isFolded: false }));
  const size = () => parts.reduce((n, p) => n + p.current.length, 0);
  const folded: string[] = [];
  const noteFor = (): string => {
    if (folded.length === 0) return "";
    const shown = folded
      .slice(0, 10)
      .map((f) => code(f, md))
      .join(", ");
    const more = folded.length > 10 ? ` and ${folded.length - 10} more` : "";
    return `${md ? "> " : ""}Folded to stay within ${budget.toLocaleString("en-US")} characters, longest first: ${shown}${more}. \`flaskstack report --format text\` prints them in full.\n`;
  };
  while (size() + noteFor().length > budget) {
    const candidates = parts.filter((p) => p.folded !== undefined && !p.isFolded);
    if (candidates.length === 0) break;
    const longest = candidates.reduce((a, b) => (b.current.length > a.current.length ? b : a));
    longest.current = longest.folded!;
    longest.isFolded = true;
    folded.push(longest.label ?? "a diff");
  }
  let doc = parts.map((p) => p.current).join("");
  const note = noteFor();
  if (doc.length + note.length > budget) {
    const cut = `\n${md ? "> " : ""}Cut here: the rest of the report is over the ${budget.toLocaleString("en-US")}-character budget. \`flaskstack report --format text\` prints it in full.\n`;
    doc = doc.slice(0, Math.max(0, budget - note.length - cut.length - 40));
    // An unclosed fence would swallow the note: close it with the fence that opened it.
    const open = md ? openFence(doc) : undefined;
    doc += `${open ? `\n${open}` : ""}${cut}`;
  }
  return doc + note;
}

/** The fence of a code block left open at the end of `doc`, if any. */
function openFence(doc: string): string | undefined {
  let open: string | undefined;
  for (const m of doc.matchAll(/^(`{3,})/gm)) {
    if (open === undefined) open = m[1];
    else if (m[1].length >= open.length) open = undefined;
  }
  return open;
}

/** The report of a preview that failed: its error messages, in place of the changes. */
export function renderFailure(messages: readonly string[], opts: RenderOptions): string {
  const md = opts.format === "markdown";
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const title = opts.title ? ` · ${opts.title}` : "";
  const head = md ? `${REPORT_MARKER}\n## flaskstack: the preview failed${title}\n\n` : `flaskstack: the preview failed${title}\n\n`;
  const text = messages.join("\n\n").slice(0, Math.max(0, budget - head.length - 200));
  const fence = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return md ? `${head}\`pulumi up\` would not run: fix this first.\n\n${fence}\n${text}\n${fence}\n` : `${head}${text}\n`;
}
