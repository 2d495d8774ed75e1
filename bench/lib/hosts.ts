/**
 * Benchmark hosts: the test harness's hosts (test/hosts/harness.ts) with sshd at LogLevel VERBOSE, so
 * every login ("Accepted publickey") and every remote command ("Starting session: command") is in the
 * host's journal, next to sudo's record of what ran as root.
 *
 * The benchmark reads the journal and drives servers and load generators with `docker exec`, never
 * over SSH: its own looking cannot show up in what it counts.
 */
import { removeHosts, startHosts, HostKind, TestHost } from "../../test/hosts/harness";
import { log, run, runOk, sleep } from "./common";

export type { TestHost };

const live = new Set<TestHost>();

/** Starts `n` fresh hosts of `kind` (container names `bench-<tag>-…`) and raises sshd's LogLevel. */
export async function startBenchHosts(kind: HostKind, n: number, tag: string): Promise<TestHost[]> {
  const hosts = await startHosts(kind, n, { prefix: `bench-${tag}`, log: (m) => log(`hosts: ${m}`) });
  hosts.forEach((h) => live.add(h));
  // Drop-ins are read in order and the first value wins: 10- comes before the image's 50- file.
  await Promise.all(
    hosts.map((h) =>
      hostExec(
        h,
        "printf 'LogLevel VERBOSE\\n' > /etc/ssh/sshd_config.d/10-bench-verbose.conf && systemctl reload ssh && sshd -T | grep -qx 'loglevel VERBOSE'",
      ),
    ),
  );
  return hosts;
}

export async function removeBenchHosts(hosts: TestHost[]): Promise<void> {
  await removeHosts(hosts);
  hosts.forEach((h) => live.delete(h));
}

/** Removes every host this process started (on error or interrupt). */
export async function removeAllBenchHosts(): Promise<void> {
  const hosts = [...live];
  if (hosts.length) await removeBenchHosts(hosts).catch(() => undefined);
}

/** Runs a bash script as root inside the host (docker exec, not SSH). */
export function hostExec(h: TestHost, script: string, timeoutMs = 600_000): Promise<string> {
  return runOk("docker", ["exec", "-i", h.name, "bash", "-c", script], { timeoutMs });
}

export function hostRun(h: TestHost, script: string, timeoutMs = 600_000) {
  return run("docker", ["exec", "-i", h.name, "bash", "-c", script], { timeoutMs });
}

/** A position in the host's journal; `activitySince` reads what came after it. */
export async function journalMark(h: TestHost): Promise<string> {
  const out = await hostExec(h, "journalctl --no-pager -n 1 --show-cursor -o cat | sed -n 's/^-- cursor: //p'");
  return out.trim();
}

export interface RemoteSession {
  /** Milliseconds since the epoch, from the host's journal. */
  start: number;
  end?: number;
  /** What sudo ran as root during the session (first line of each command), if anything. */
  sudo: string[];
}

export interface Activity {
  /** SSH logins sshd accepted. */
  connections: number;
  /** Exec sessions ("Starting session: command"): one per remote command. */
  commands: number;
  sessions: RemoteSession[];
}

interface JournalEntry {
  __REALTIME_TIMESTAMP: string;
  SYSLOG_IDENTIFIER?: string;
  _PID?: string;
  MESSAGE?: string | number[];
}

/** Logins, remote commands and what each ran, since `mark`. */
export async function activitySince(h: TestHost, mark: string): Promise<Activity> {
  await sleep(300); // let journald take in the last lines
  const out = await hostExec(h, `journalctl --no-pager -o json ${mark ? `--after-cursor=${shq(mark)}` : ""} SYSLOG_IDENTIFIER=sshd + SYSLOG_IDENTIFIER=sudo`);
  const entries = out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JournalEntry);
  const text = (e: JournalEntry) => (Array.isArray(e.MESSAGE) ? Buffer.from(e.MESSAGE).toString("utf8") : String(e.MESSAGE ?? ""));
  const ms = (e: JournalEntry) => Math.round(Number(e.__REALTIME_TIMESTAMP) / 1000);
  let connections = 0;
  const byPid = new Map<string, RemoteSession>();
  const sessions: RemoteSession[] = [];
  const sudo: { t: number; cmd: string }[] = [];
  for (const e of entries) {
    const m = text(e);
    if (e.SYSLOG_IDENTIFIER === "sshd") {
      if (/^Accepted publickey /.test(m)) connections++;
      if (/^Starting session: command /.test(m)) {
        const s: RemoteSession = { start: ms(e), sudo: [] };
        sessions.push(s);
        byPid.set(e._PID ?? "", s);
      }
      if (/^Disconnected from user /.test(m) || /^Close session: /.test(m)) {
        const s = byPid.get(e._PID ?? "");
        if (s && s.end === undefined) s.end = ms(e);
      }
    } else if (e.SYSLOG_IDENTIFIER === "sudo") {
      const c = /COMMAND=(.*)$/s.exec(m);
      if (c) sudo.push({ t: ms(e), cmd: c[1] });
    }
  }
  // A sudo line belongs to the session that was open when it was logged (the latest one started).
  for (const c of sudo) {
    const open = sessions.filter((s) => s.start <= c.t && (s.end === undefined || s.end >= c.t));
    open.sort((a, b) => b.start - a.start);
    open[0]?.sudo.push(summarizeSudo(c.cmd));
  }
  return { connections, commands: sessions.length, sessions };
}

/** The first meaningful line of a `sh -c <script>` command as sudo logs it (escaped), shortened. */
function summarizeSudo(cmd: string): string {
  // syslog writes control characters as #ooo (a newline is #012); sudo logs the argv as given.
  const unescaped = cmd.replace(/#012/g, "\n").replace(/#011/g, "\t");
  const script = unescaped
    .replace(/^\/usr\/bin\/sh -c /, "")
    .replace(/^'/, "")
    .replace(/'$/, "");
  const lines = script
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && l !== "set -eu" && l !== "{");
  const first = lines[0] ?? script;
  return first.length > 90 ? `${first.slice(0, 87)}…` : first;
}

export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
