/**
 * Preview tokens: `# <label>: <value>` comment lines at the top of a remote command's text. The
 * shell ignores them; a preview shows them as a line diff; the review and drift reports read them
 * back to know what a command is (a managed file, a server's apply step, a release) without guessing
 * from its script. Pure: no `@pulumi` import.
 */
import * as crypto from "crypto";
import { ServerProfile, StandbyKind } from "./actions";

/** The label of the tag that says what a command is. */
export const REVIEW_LABEL = "flaskstack";
/** The label of the token naming the host a tagged command runs on. */
export const HOST_LABEL = "host";

/** What a command is, for the reports. */
export type ReviewTag =
  /** A managed file: its content is the command's stdin. */
  | { readonly kind: "file"; readonly path: string; readonly afterDelete?: boolean }
  /** A server's apply step: its `config`, `code` and `environment` tokens decide the action. */
  | { readonly kind: "server"; readonly profile: ServerProfile }
  /** nginx's test-and-reload of a site. */
  | { readonly kind: "nginx"; readonly site: string }
  /** An app release: its stdin is the manifest of shipped files (`<sha256>  <path>` lines). */
  | { readonly kind: "release"; readonly app: string; readonly baseDir: string; readonly id: string }
  /** An app venv: its stdin is the requirements it installs. */
  | { readonly kind: "venv"; readonly app: string; readonly baseDir: string; readonly id: string }
  /** A step the report lists as it is: the entry check, the site probe, the package transaction. */
  | { readonly kind: "step"; readonly what: string }
  /** `current` and `venv` switched to a release. */
  | { readonly kind: "activate"; readonly app: string; readonly baseDir: string; readonly release: string; readonly venv: string }
  /** `supervisorctl update <program>`: starts, restarts or stops that program when its section changed. */
  | { readonly kind: "supervisor"; readonly program: string; readonly startSecs: number; readonly file: string; readonly handoff?: StandbyKind };

/** Characters a token may hold: one printable line. */
export const TOKEN_TEXT = /^[^\x00-\x1f\x7f]*$/;

/** The text of the tag token's value. */
export function reviewTagValue(tag: ReviewTag): string {
  return JSON.stringify(tag);
}

/** The leading `# label: value` lines of a command's text, in order. */
export function parseTokens(text: string): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^# ([^:\n]+): (.*)$/.exec(line);
    if (!m) break;
    tokens.set(m[1], m[2]);
  }
  return tokens;
}

/** The review tag of a command's text, if it has one. */
export function reviewTagOf(text: string): ReviewTag | undefined {
  const value = parseTokens(text).get(REVIEW_LABEL);
  if (value === undefined) return undefined;
  try {
    const tag = JSON.parse(value) as ReviewTag;
    return typeof tag === "object" && tag !== null && typeof tag.kind === "string" ? tag : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fingerprints of an environment that show which keys changed without showing values: one
 * `KEY=<12 hex>` per key, an HMAC-SHA256 of the value keyed with a secret the stack holds (the
 * host's private key), so a value cannot be guessed from its fingerprint. Sorted by key; `-` when
 * there are none.
 */
export function environmentFingerprints(secret: string, env: Readonly<Record<string, string>>): string {
  const key = crypto.createHash("sha256").update("flaskstack environment fingerprint\0").update(secret).digest();
  const parts = Object.keys(env)
    .sort()
    .map((k) => `${k}=${crypto.createHmac("sha256", key).update(`${k}\0${env[k]}`).digest("hex").slice(0, 12)}`);
  return parts.length === 0 ? "-" : parts.join(" ");
}

/** The parsed form of `environmentFingerprints`. */
export function parseFingerprints(text: string): Map<string, string> {
  const m = new Map<string, string>();
  if (text === "-") return m;
  for (const part of text.split(" ")) {
    const i = part.indexOf("=");
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}
