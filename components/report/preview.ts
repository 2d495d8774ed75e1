/**
 * From `pulumi preview --json` to what a reviewer needs: per host, the managed files that change
 * (old and new text), what each server's apply will do, code and requirements changes. Commands are
 * recognised by their review tag (config/tokens.ts), never by the shape of their script. Pure.
 */
import { describeServerAction, restartDescription, ServerAction, ServerChange, ServerProfile, serverRowFor } from "../config/actions";
import { HOST_LABEL, parseFingerprints, parseTokens, ReviewTag, reviewTagOf } from "../config/tokens";

/** The engine's stand-in for a value not known until apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** How `pulumi preview --json` shows a secret. */
export const SECRET = "[secret]";

/** A text as the preview knows it. */
export type Text = { readonly kind: "text"; readonly text: string } | { readonly kind: "secret" } | { readonly kind: "unknown" };

export type Op = "create" | "update" | "replace" | "delete";

export interface FileChange {
  readonly path: string;
  readonly op: Op;
  readonly before?: Text;
  readonly after?: Text;
  /** For an environment file: key names added, changed and removed (values never). */
  readonly keys?: { readonly added: string[]; readonly changed: string[]; readonly removed: string[]; readonly unknown: boolean };
}

export interface ServiceChange {
  readonly program: string;
  readonly server: ServerProfile["server"] | "supervisor";
  readonly action: ServerAction | "stop" | "update";
  /** One line: what the apply does to it (and whether requests are dropped). */
  readonly does: string;
  /** Why: the inputs that changed. */
  readonly because: string;
}

export interface CodeChange {
  readonly app: string;
  readonly kind: "release" | "venv";
  readonly baseDir: string;
  readonly op: Op;
  readonly id: string;
  readonly previousId?: string;
  /** Release: files added, changed, removed (from the manifest); venv: the requirements' diff. */
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly before?: Text;
  readonly after?: Text;
}

export interface HostChanges {
  /** The Host's name, with `user@address:port` when known at preview. */
  readonly host: string;
  readonly files: FileChange[];
  readonly services: ServiceChange[];
  readonly code: CodeChange[];
  /** nginx sites tested and reloaded. */
  readonly nginx: string[];
  /** Checks and other steps that run, described (the entry check, the site probe, the packages). */
  readonly steps: string[];
  /** Other steps that run: `name (op)`, e.g. a file upload. */
  readonly other: string[];
}

export interface ReviewModel {
  readonly hosts: HostChanges[];
  /** Resources outside any host that change (the sandbox container, key pairs…): `op type name`. */
  readonly elsewhere: string[];
  /** The engine's change summary (create/update/delete/replace/same counts). */
  readonly summary: Record<string, number>;
  /** True when anything would change. */
  readonly changes: boolean;
}

interface State {
  readonly urn?: string;
  readonly parent?: string;
  readonly type?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

interface Step {
  readonly op: string;
  readonly urn: string;
  readonly oldState?: State;
  readonly newState?: State;
}

const COMMAND = "command:remote:Command";

function text(v: unknown): Text | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === UNKNOWN) return { kind: "unknown" };
  if (v === SECRET) return { kind: "secret" };
  if (typeof v === "object" && v !== null && "4dabf18193072939515e22adb298388d" in v) return { kind: "secret" };
  return typeof v === "string" ? { kind: "text", text: v } : { kind: "text", text: JSON.stringify(v) };
}

function normaliseOp(op: string): Op | undefined {
  switch (op) {
    case "create":
    case "update":
    case "delete":
      return op;
    case "replace":
    case "create-replacement":
      return "replace";
    default:
      return undefined;
  }
}

/** The host a tagged command runs on (its `host` token; the connection itself is secret). */
function hostOf(s: State | undefined): string | undefined {
  const create = s?.inputs?.create;
  return typeof create === "string" ? parseTokens(create).get(HOST_LABEL) : undefined;
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function typeOf(urn: string): string {
  const parts = urn.split("::");
  const types = parts[2] ?? "";
  return types.slice(types.lastIndexOf("$") + 1);
}

/** Parses the output of `pulumi preview --json`. */
export function reviewModel(preview: unknown): ReviewModel {
  const p = preview as { steps?: Step[]; changeSummary?: Record<string, number> };
  if (!p || typeof p !== "object" || !Array.isArray(p.steps)) {
    throw new Error("not the output of `pulumi preview --json`: it has no `steps` list");
  }
  // Steps of one resource can come twice (replace = create-replacement + delete-replaced): keep one.
  const seen = new Set<string>();
  const hosts = new Map<string, HostChanges>();
  const elsewhere: string[] = [];
  const unplaced: string[] = [];
  const host = (name: string): HostChanges => {
    let h = hosts.get(name);
    if (!h) hosts.set(name, (h = { host: name, files: [], services: [], code: [], nginx: [], steps: [], other: [] }));
    return h;
  };
  // Untagged steps (the entry check, the probe, a file upload) belong to the host of their siblings.
  const hostOfParent = new Map<string, string>();
  for (const step of p.steps) {
    for (const s of [step.newState, step.oldState]) {
      const where = hostOf(s);
      if (where !== undefined && s?.parent) hostOfParent.set(s.parent, where);
    }
  }
  for (const step of p.steps) {
    const op = normaliseOp(step.op);
    if (op === undefined || seen.has(step.urn)) continue;
    seen.add(step.urn);
    const type = step.newState?.type ?? step.oldState?.type ?? typeOf(step.urn);
    if (type.startsWith("pulumi:") || type.startsWith("flaskstack:")) continue;
    const parent = step.newState?.parent ?? step.oldState?.parent;
    const where = hostOf(step.newState) ?? hostOf(step.oldState) ?? (parent ? hostOfParent.get(parent) : undefined);
    if (where === undefined) {
      (type === COMMAND ? unplaced : elsewhere).push(type === COMMAND ? `${nameOf(step.urn)} (${op})` : `${op} ${type} ${nameOf(step.urn)}`);
      continue;
    }
    const h = host(where);
    if (type !== COMMAND) {
      h.other.push(`${nameOf(step.urn)} (${op})`);
      continue;
    }
    const before = commandOf(step.oldState);
    const after = commandOf(step.newState);
    const tag = after.tag ?? before.tag;
    // A command deleted without a delete script runs nothing.
    const runs = op !== "delete" || typeof step.oldState?.inputs?.delete === "string";
    if (!addTagged(h, tag, op, before, after) && runs) h.other.push(`${nameOf(step.urn)} (${op})`);
  }
  // A command whose text is not known yet (it waits for the host's facts) names no host: with one
  // host it can only be that one.
  if (hosts.size === 1) [...hosts.values()][0].other.push(...unplaced);
  else elsewhere.push(...unplaced.map((u) => `${u} on a host known after apply`));
  mergeSupervisor([...hosts.values()]);
  // The engine's events come in no fixed order: sorted, the same preview makes the same report.
  for (const h of hosts.values()) {
    h.steps.sort();
    h.other.sort();
  }
  const summary = p.changeSummary ?? {};
  const all = [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const changes =
    elsewhere.length > 0 || all.some((h) => h.files.length + h.services.length + h.code.length + h.nginx.length + h.steps.length + h.other.length > 0);
  return { hosts: all, elsewhere, summary, changes };
}

interface CommandView {
  readonly tag?: ReviewTag;
  readonly tokens: Map<string, string>;
  readonly stdin?: Text;
  /** The command text is not known (depends on an unknown value). */
  readonly unknown: boolean;
}

function commandOf(s: State | undefined): CommandView {
  const create = s?.inputs?.create;
  if (typeof create !== "string" || create === UNKNOWN) return { tokens: new Map(), stdin: text(s?.inputs?.stdin), unknown: s !== undefined };
  return { tag: reviewTagOf(create), tokens: parseTokens(create), stdin: text(s?.inputs?.stdin), unknown: false };
}

function addTagged(h: HostChanges, tag: ReviewTag | undefined, op: Op, before: CommandView, after: CommandView): boolean {
  if (tag === undefined) return false;
  switch (tag.kind) {
    case "file":
      h.files.push(fileChange(tag.path, op, before, after));
      return true;
    case "server":
      h.services.push(serverChange(tag.profile, op, before, after));
      return true;
    case "nginx":
      h.nginx.push(op === "delete" ? `${tag.site} (removed)` : tag.site);
      return true;
    case "supervisor":
      // `update` restarts the program only when its section's text changed.
      if (op !== "create" && op !== "delete" && sameText(h.files.find((f) => f.path === tag.file))) return true;
      h.services.push({
        program: tag.program,
        server: "supervisor",
        action: op === "create" ? "start" : op === "delete" ? "stop" : "update",
        does: op === "create" ? "start" : op === "delete" ? "stop and remove" : restartDescription(tag.startSecs, tag.handoff ?? false),
        because: op === "create" ? "new program" : op === "delete" ? "program removed" : "program section changed (`supervisorctl update`)",
      });
      return true;
    case "release":
    case "venv": {
      const change = codeChange(tag.kind, tag.app, tag.baseDir, tag.id, op, before, after);
      // The same release or venv, its step rewritten: nothing new is shipped or built.
      if (!(op === "update" && before.tag?.kind === tag.kind && before.tag.id === tag.id)) h.code.push(change);
      return true;
    }
    case "step":
      // A check has nothing to undo: its delete runs nothing.
      if (op !== "delete" && !h.steps.includes(tag.what)) h.steps.push(tag.what);
      return true;
    case "activate":
      // The switch itself: implied by the release/venv rows.
      return true;
  }
}

/** A file whose text stays the same (only its write step, owner or mode changes). */
export function sameText(f: FileChange | undefined): boolean {
  return f !== undefined && f.op !== "create" && f.op !== "delete" && f.before?.kind === "text" && f.after?.kind === "text" && f.before.text === f.after.text;
}

function fileChange(path: string, op: Op, before: CommandView, after: CommandView): FileChange {
  const change: FileChange = { path, op, ...(op === "create" ? {} : { before: before.stdin }), ...(op === "delete" ? {} : { after: after.stdin }) };
  const oldKeys = before.tokens.get("keys");
  const newKeys = after.tokens.get("keys");
  if (oldKeys === undefined && newKeys === undefined) return change;
  const unknown = newKeys === UNKNOWN || oldKeys === UNKNOWN;
  const was = parseFingerprints(op === "create" || oldKeys === undefined || oldKeys === UNKNOWN ? "-" : oldKeys);
  const now = parseFingerprints(op === "delete" || newKeys === undefined || newKeys === UNKNOWN ? "-" : newKeys);
  return {
    ...change,
    keys: {
      added: [...now.keys()].filter((k) => !was.has(k)),
      changed: [...now.keys()].filter((k) => was.has(k) && was.get(k) !== now.get(k)),
      removed: [...was.keys()].filter((k) => !now.has(k)),
      unknown,
    },
  };
}

/** The apply step's token for each change the decision table knows. */
const CHANGE_LABELS: Record<ServerChange, string> = { envstart: "start-environment", env: "environment", config: "config", code: "code" };
/** How the report says which changed. */
const CHANGE_WORDS: Record<ServerChange, string> = { envstart: "a variable read at process start", env: "environment", config: "config", code: "code" };

function serverChange(profile: ServerProfile, op: Op, before: CommandView, after: CommandView): ServiceChange {
  if (op === "create") return { program: profile.program, server: profile.server, action: "start", does: "start (new server)", because: "new" };
  if (op === "delete") return { program: profile.program, server: profile.server, action: "stop", does: "stop and remove", because: "removed" };
  const changed = new Set<ServerChange>();
  const unknown: string[] = [];
  for (const change of Object.keys(CHANGE_LABELS) as ServerChange[]) {
    const label = CHANGE_LABELS[change];
    const was = before.tokens.get(label);
    const now = after.unknown ? UNKNOWN : after.tokens.get(label);
    if (was === now) continue;
    changed.add(change);
    if (now === UNKNOWN) unknown.push(label);
  }
  const row = serverRowFor(changed);
  const action = row?.action ?? "none";
  const because = [...changed].map((c) => `${CHANGE_WORDS[c]}${unknown.includes(CHANGE_LABELS[c]) ? " (may change: known after apply)" : " changed"}`);
  return {
    program: profile.program,
    server: profile.server,
    action,
    does:
      action === "none"
        ? "nothing: the files it runs with are rewritten unchanged"
        : describeServerAction(action, profile, row?.when === "pid" ? undefined : row?.when),
    because: because.length > 0 ? because.join(", ") : "its files are written again",
  };
}

/** Manifest lines: `<sha> <mode> <bytes> <path>`. */
function manifestOf(t: Text | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (t?.kind !== "text") return m;
  for (const line of t.text.split("\n")) {
    const parts = /^(\S+) (\S+) (\S+) (.+)$/.exec(line);
    if (parts) m.set(parts[4], `${parts[1]} ${parts[2]}`);
  }
  return m;
}

function codeChange(kind: "release" | "venv", app: string, baseDir: string, id: string, op: Op, before: CommandView, after: CommandView): CodeChange {
  const previousTag = before.tag;
  const previousId = previousTag && (previousTag.kind === "release" || previousTag.kind === "venv") ? previousTag.id : undefined;
  const base = { app, kind, baseDir, op, id, ...(previousId && previousId !== id ? { previousId } : {}) };
  if (kind === "venv") {
    return { ...base, added: [], changed: [], removed: [], before: op === "create" ? undefined : before.stdin, after: after.stdin };
  }
  const was = manifestOf(op === "create" ? undefined : before.stdin);
  const now = manifestOf(after.stdin);
  return {
    ...base,
    added: [...now.keys()].filter((f) => !was.has(f)),
    changed: [...now.keys()].filter((f) => was.has(f) && was.get(f) !== now.get(f)),
    removed: [...was.keys()].filter((f) => !now.has(f)),
  };
}

/**
 * A supervisor section change restarts the program whatever its apply step then finds: one row per
 * program, the supervisor's restart taking the place of a lighter action.
 */
function mergeSupervisor(hosts: HostChanges[]): void {
  for (const h of hosts) {
    const byProgram = new Map<string, ServiceChange>();
    for (const s of h.services) {
      const had = byProgram.get(s.program);
      if (!had) {
        byProgram.set(s.program, s);
        continue;
      }
      const [sup, srv] = had.server === "supervisor" ? [had, s] : [s, had];
      const restartWins = sup.action === "update" || sup.action === "stop";
      byProgram.set(s.program, {
        ...srv,
        server: srv.server === "supervisor" ? sup.server : srv.server,
        action: restartWins ? (sup.action === "stop" ? "stop" : "restart") : srv.action,
        does: restartWins && srv.action !== "start" ? sup.does : srv.does,
        because: [srv.because, sup.because].filter((b) => b && b !== "its files are written again").join("; ") || srv.because,
      });
    }
    h.services.splice(0, h.services.length, ...[...byProgram.values()].sort((a, b) => (a.program < b.program ? -1 : 1)));
  }
}
