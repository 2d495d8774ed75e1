/**
 * Drift: what is on each host now against what the stack last applied — each managed file's
 * content hash, the release and venv `current`/`venv` point to, and whether each server program
 * runs. One SSH connection per host (the system `ssh` client), one read-only script.
 *
 * The state comes from `pulumi stack export --show-secrets` (the private keys are needed to log in;
 * file contents are only hashed, never printed).
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseTokens, reviewTagOf } from "../config/tokens";
import { shellQuote as q } from "../quote";

export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKey: string;
  readonly sudo: boolean;
  /** The connection's `hostKey` (e.g. `ssh-ed25519 AAAA…`): checked, as the command plugin checks it. */
  readonly hostKey?: string;
}

export type Check =
  | { readonly kind: "file"; readonly path: string; readonly sha256: string; readonly urn: string; readonly replaceDisrupts: boolean }
  | { readonly kind: "link"; readonly path: string; readonly target: string; readonly urn: string }
  | { readonly kind: "program"; readonly program: string; readonly urn: string };

export interface DriftTarget {
  readonly connection: Connection;
  readonly checks: Check[];
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A value from the export: a secret's plaintext unwrapped. */
function plain(v: unknown): unknown {
  if (v && typeof v === "object" && SECRET_SIG in v) {
    const s = v as { plaintext?: string; ciphertext?: string };
    if (s.plaintext === undefined) throw new Error("the state holds encrypted secrets: export it with `pulumi stack export --show-secrets`");
    return JSON.parse(s.plaintext);
  }
  return v;
}

interface ExportedResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

/** What to check on which host, from `pulumi stack export --show-secrets`. */
export function driftTargets(exported: unknown): DriftTarget[] {
  const resources = (exported as { deployment?: { resources?: ExportedResource[] } })?.deployment?.resources;
  if (!Array.isArray(resources)) throw new Error("not the output of `pulumi stack export`: it has no deployment.resources");
  const byHost = new Map<string, DriftTarget>();
  for (const r of resources) {
    if (r.type !== "command:remote:Command") continue;
    const inputs = r.inputs ?? {};
    const create = plain(inputs.create);
    if (typeof create !== "string") continue;
    const tag = reviewTagOf(create);
    if (!tag || (tag.kind !== "file" && tag.kind !== "activate" && tag.kind !== "server")) continue;
    const c = plain(inputs.connection) as Record<string, unknown> | undefined;
    if (!c) continue;
    const connection: Connection = {
      host: String(plain(c.host)),
      port: Number(plain(c.port) ?? 22),
      user: String(plain(c.user) ?? "root"),
      privateKey: String(plain(c.privateKey) ?? ""),
      sudo: commandBody(create).startsWith("sudo -n "),
      ...(typeof plain(c.hostKey) === "string" && plain(c.hostKey) !== "" ? { hostKey: String(plain(c.hostKey)) } : {}),
    };
    const key = `${connection.user}@${connection.host}:${connection.port}`;
    let target = byHost.get(key);
    if (!target) byHost.set(key, (target = { connection, checks: [] }));
    if (tag.kind === "file") {
      const content = plain(inputs.stdin);
      target.checks.push({
        kind: "file",
        path: tag.path,
        sha256: sha256(typeof content === "string" ? content : ""),
        urn: r.urn,
        replaceDisrupts: tag.afterDelete === true,
      });
    } else if (tag.kind === "activate") {
      target.checks.push({ kind: "link", path: `${tag.baseDir}/current`, target: `releases/${tag.release}`, urn: r.urn });
      target.checks.push({ kind: "link", path: `${tag.baseDir}/venv`, target: `venvs/${tag.venv}`, urn: r.urn });
    } else {
      target.checks.push({ kind: "program", program: tag.profile.program, urn: r.urn });
    }
  }
  return [...byHost.values()];
}

/** The command text after its token lines. */
function commandBody(text: string): string {
  const lines = text.split("\n");
  return lines.slice(parseTokens(text).size).join("\n");
}

function sha256(s: string): string {
  return crypto.createHash("sha256").update(s).digest("hex");
}

/** The read-only script run on the host: one answer line per check, in order. */
export function driftScript(checks: readonly Check[]): string {
  const lines = ["set -u"];
  checks.forEach((c, i) => {
    if (c.kind === "file") lines.push(`if [ -f ${q(c.path)} ]; then echo "${i} $(sha256sum < ${q(c.path)} | cut -d' ' -f1)"; else echo "${i} missing"; fi`);
    else if (c.kind === "link") lines.push(`echo "${i} $(readlink ${q(c.path)} || echo missing)"`);
    else lines.push(`echo "${i} $(supervisorctl status ${q(c.program)} 2>&1 | head -n 1 | tr -s ' ')"`);
  });
  return `${lines.join("\n")}\n`;
}

export interface CheckResult {
  readonly check: Check;
  readonly ok: boolean;
  /** What the host has, in words. */
  readonly found: string;
}

export interface HostResult {
  readonly host: string;
  readonly results: CheckResult[];
  /** The host could not be reached or the script failed. */
  readonly error?: string;
}

/** Compares the script's answers with the checks. */
export function compareAnswers(checks: readonly Check[], stdout: string): CheckResult[] {
  const answers = new Map<number, string>();
  for (const line of stdout.split("\n")) {
    const m = /^(\d+) (.*)$/.exec(line);
    if (m) answers.set(Number(m[1]), m[2].trim());
  }
  return checks.map((check, i) => {
    const a = answers.get(i) ?? "no answer";
    switch (check.kind) {
      case "file":
        return {
          check,
          ok: a === check.sha256,
          found: a === "missing" ? "the file is missing" : a === check.sha256 ? "as applied" : "its content differs from what the stack applied",
        };
      case "link":
        return {
          check,
          ok: a === check.target,
          found: a === check.target ? "as applied" : a === "missing" ? "the link is missing" : `points to ${a}, the stack applied ${check.target}`,
        };
      case "program": {
        const running = /\sRUNNING\s/.test(` ${a} `);
        return { check, ok: running, found: running ? "running" : `not running: ${a.replace(/^\S+\s*/, "") || "unknown to supervisor"}` };
      }
    }
  });
}

export interface DriftOptions {
  /** A known_hosts file to check host keys against. */
  readonly knownHosts?: string;
  /** The ssh client. @default "ssh" from PATH */
  readonly ssh?: string;
}

export async function checkDrift(targets: readonly DriftTarget[], opts: DriftOptions = {}): Promise<HostResult[]> {
  return Promise.all(targets.map((t) => checkHost(t, opts)));
}

async function checkHost(t: DriftTarget, opts: DriftOptions): Promise<HostResult> {
  const c = t.connection;
  const name = `${c.user}@${c.host}:${c.port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-drift-"));
  try {
    const key = path.join(dir, "key");
    fs.writeFileSync(key, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
    // The host key is checked as the command plugin checks it: against the connection's `hostKey`
    // when it has one (or a --known-hosts file), else not at all. The script only reads.
    let knownHosts = opts.knownHosts;
    if (knownHosts === undefined && c.hostKey !== undefined) {
      knownHosts = path.join(dir, "known_hosts");
      fs.writeFileSync(knownHosts, `${c.port === 22 ? c.host : `[${c.host}]:${c.port}`} ${c.hostKey.trim()}\n`);
    }
    const hostKeys = knownHosts
      ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`]
      : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
    const args = [
      "-i",
      key,
      "-p",
      String(c.port),
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "ConnectTimeout=15",
      "-o",
      "LogLevel=ERROR",
      ...hostKeys,
      "--",
      `${c.user}@${c.host}`,
      `${c.sudo ? "sudo -n " : ""}sh -s`,
    ];
    const { code, stdout, stderr } = await run(opts.ssh ?? "ssh", args, driftScript(t.checks));
    if (code !== 0) return { host: name, results: [], error: `ssh exited ${code}: ${stderr.trim() || stdout.trim()}` };
    return { host: name, results: compareAnswers(t.checks, stdout) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", (e) => reject(new Error(`could not run ${cmd}: ${e.message}`)));
    p.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

/** The drift report and whether anything drifted (an unreachable host counts). */
export function driftReport(hosts: readonly HostResult[], format: "markdown" | "text"): { text: string; drifted: boolean } {
  const md = format === "markdown";
  const out: string[] = [md ? "## flaskstack drift: hosts against the last `pulumi up`\n" : "flaskstack drift: hosts against the last `pulumi up`\n"];
  let drifted = false;
  const fixes = new Set<string>();
  const disruptive = new Set<string>();
  for (const h of hosts) {
    const bad = h.results.filter((r) => !r.ok);
    if (h.error) {
      drifted = true;
      out.push(md ? `### \`${h.host}\`: not checked\n\n${h.error}\n` : `== ${h.host}: not checked\n  ${h.error}\n`);
      continue;
    }
    out.push(
      md
        ? `### \`${h.host}\`: ${bad.length === 0 ? "as applied" : `${bad.length} drifted`}\n`
        : `== ${h.host}: ${bad.length === 0 ? "as applied" : `${bad.length} drifted`}`,
    );
    out.push(
      `${md ? "" : "  "}${h.results.length} checked: ${h.results.filter((r) => r.check.kind === "file").length} files, ${h.results.filter((r) => r.check.kind === "link").length / 2} releases, ${h.results.filter((r) => r.check.kind === "program").length} programs.${md ? "\n" : ""}`,
    );
    for (const r of bad) {
      drifted = true;
      const what = r.check.kind === "program" ? `program \`${r.check.program}\`` : `\`${r.check.path}\``;
      out.push(`${md ? "- " : "  - "}${what}: ${r.found}`);
      fixes.add(r.check.urn);
      if (r.check.kind === "file" && r.check.replaceDisrupts) disruptive.add(r.check.path);
    }
    out.push("");
  }
  if (fixes.size > 0) {
    out.push(md ? "**To put it back**, run the steps that applied it again:\n" : "To put it back, run the steps that applied it again:");
    const cmd = `pulumi up ${[...fixes].map((u) => `--replace ${q(u)}`).join(" ")}`;
    out.push(md ? `\`\`\`sh\n${cmd}\n\`\`\`` : `  ${cmd}`);
    if (disruptive.size > 0) {
      out.push(
        `${md ? "" : "  "}Replacing ${[...disruptive].map((p) => (md ? `\`${p}\`` : p)).join(", ")} first removes the file and applies its removal (nginx reloads without the site, or supervisor stops the program), then writes it again: a short outage.`,
      );
    }
    out.push("");
  } else if (!drifted) {
    out.push("No drift: every host is as the stack last applied it.");
  }
  return { text: `${out.join("\n")}\n`, drifted };
}
