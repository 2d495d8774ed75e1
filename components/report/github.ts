/**
 * One flaskstack comment per pull request: created the first time, updated in place afterwards
 * (found by the report's first line, `REPORT_MARKER`), through GitHub's REST API. GitHub Actions
 * provides GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_EVENT_PATH; the workflow passes GITHUB_TOKEN.
 */
import * as fs from "fs";
import { REPORT_MARKER } from "./render";

/** GitHub refuses comment bodies longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface CommentTarget {
  readonly body: string;
  /** Pull request number. @default from GITHUB_EVENT_PATH */
  readonly pr?: string;
  /** `owner/name`. @default GITHUB_REPOSITORY */
  readonly repo?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export async function upsertComment(t: CommentTarget): Promise<{ action: "created" | "updated"; url: string }> {
  const env = t.env ?? process.env;
  const token = env.GITHUB_TOKEN;
  if (!token) throw new Error("comment: GITHUB_TOKEN is not set (the workflow passes `secrets.GITHUB_TOKEN`)");
  const repo = t.repo ?? env.GITHUB_REPOSITORY;
  if (!repo || !/^[\w.-]+\/[\w.-]+$/.test(repo))
    throw new Error(`comment: --repo must be owner/name (got ${JSON.stringify(repo ?? "")}; GITHUB_REPOSITORY is not set)`);
  const pr = t.pr ?? prFromEvent(env.GITHUB_EVENT_PATH);
  if (!pr || !/^[0-9]+$/.test(pr))
    throw new Error(`comment: --pr must be a pull request number (got ${JSON.stringify(pr ?? "")}; the event has no pull_request)`);
  if (!t.body.startsWith(REPORT_MARKER)) throw new Error("comment: the file is not a Markdown flaskstack report (run `flaskstack report --format markdown`)");
  if (t.body.length > GITHUB_COMMENT_LIMIT)
    throw new Error(`comment: the report has ${t.body.length} characters, over GitHub's ${GITHUB_COMMENT_LIMIT}: lower --budget`);
  const api = (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/$/, "");
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`comment: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  for (let page = 1; page <= 50; page++) {
    const comments = (await call("GET", `/repos/${repo}/issues/${pr}/comments?per_page=100&page=${page}`)) as { id: number; body?: string }[];
    const mine = comments.find((c) => (c.body ?? "").startsWith(REPORT_MARKER));
    if (mine) {
      const updated = (await call("PATCH", `/repos/${repo}/issues/comments/${mine.id}`, { body: t.body })) as { html_url?: string };
      return { action: "updated", url: updated?.html_url ?? String(mine.id) };
    }
    if (comments.length < 100) break;
  }
  const created = (await call("POST", `/repos/${repo}/issues/${pr}/comments`, { body: t.body })) as { html_url?: string; id?: number };
  return { action: "created", url: created?.html_url ?? String(created?.id ?? "") };
}

function prFromEvent(eventPath: string | undefined): string | undefined {
  if (!eventPath || !fs.existsSync(eventPath)) return undefined;
  const event = JSON.parse(fs.readFileSync(eventPath, "utf8")) as { pull_request?: { number?: number }; number?: number };
  const n = event.pull_request?.number ?? event.number;
  return n === undefined ? undefined : String(n);
}
