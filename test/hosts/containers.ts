/**
 * The test-host containers on this machine: who owns them (a process, or "manual"), listing and
 * removing them with their run keys, collecting the leftovers of dead runs, and looking into one
 * (published ports, state for error messages).
 */
import * as fs from "fs";
import * as path from "path";
import { HOSTS_DIR, LABEL } from "./common";
import { ensureDocker } from "./images";
import { docker, run } from "./process";

/** "pid:starttime" of this process, so a reused pid is not mistaken for a live owner. */
export function processId(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime), counted after the ")" that closes the command name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return `${pid}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

function ownerAlive(owner: string): boolean {
  if (owner === "manual") return true;
  const pid = Number(owner.split(":")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return processId(pid) === owner;
}

interface ListedContainer {
  name: string;
  owner: string;
  run: string;
  kind: string;
}

/** Test-host containers on this machine (any state). */
export async function listHostContainers(): Promise<ListedContainer[]> {
  const out = await docker([
    "ps",
    "-a",
    "--filter",
    `label=${LABEL}=1`,
    "--format",
    `{{.Names}}\t{{.Label "${LABEL}.owner"}}\t{{.Label "${LABEL}.run"}}\t{{.Label "${LABEL}.kind"}}`,
  ]);
  return out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const [name, owner, runId, kind] = l.split("\t");
      return { name, owner, run: runId, kind };
    });
}

/** Runs whose containers this process removed: their keys may go at once. */
const removedRuns = new Set<string>();

/** Runs of this process that are still starting (their key dirs must not be pruned). */
export const starting = new Set<string>();

/** docker rm -f the named containers (missing ones are fine), then drop keys no container uses. */
export async function removeContainers(names: string[]): Promise<void> {
  if (names.length > 0) {
    const runs = await run("docker", ["inspect", "-f", `{{index .Config.Labels "${LABEL}.run"}}`, ...names]);
    runs.stdout
      .split("\n")
      .filter((r) => r.trim())
      .forEach((r) => removedRuns.add(r.trim()));
    const r = await run("docker", ["rm", "-f", "-v", ...names]);
    const real = r.stderr.split("\n").filter((l) => l.trim() && !/No such container/i.test(l));
    if (r.code !== 0 && real.length > 0) throw new Error(`docker rm -f failed: ${real.join("\n")}`);
  }
  await pruneKeyDirs();
}

async function pruneKeyDirs(): Promise<void> {
  if (!fs.existsSync(HOSTS_DIR)) return;
  const inUse = new Set((await listHostContainers()).map((c) => c.run));
  for (const d of fs.readdirSync(HOSTS_DIR)) {
    const dir = path.join(HOSTS_DIR, d);
    if (inUse.has(d) || starting.has(d)) continue;
    // Another process may be between making its key and starting its containers.
    const young = Date.now() - fs.statSync(dir).mtimeMs < 10 * 60_000;
    const mine = fs.existsSync(path.join(dir, "id_ed25519")) && removedRuns.has(d);
    if (!young || mine) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Removes test hosts whose owning process has exited (a crashed or interrupted run), or all of
 * them with `all`. Returns the removed container names.
 */
export async function gc(opts: { all?: boolean } = {}): Promise<string[]> {
  await ensureDocker();
  const stale = (await listHostContainers()).filter((c) => !starting.has(c.run) && (opts.all || !ownerAlive(c.owner))).map((c) => c.name);
  await removeContainers(stale);
  return stale;
}

export async function publishedPort(name: string, port: number): Promise<number> {
  const out = (await docker(["port", name, `${port}/tcp`])).trim().split("\n");
  const m = out.map((l) => /^127\.0\.0\.1:(\d+)$/.exec(l.trim())).find((x) => x);
  if (!m) throw new Error(`container ${name}: port ${port} is not published on 127.0.0.1 (${out.join(", ")})`);
  return Number(m[1]);
}

export async function diagnostics(name: string): Promise<string> {
  const parts: string[] = [];
  const state = await run("docker", ["inspect", "-f", "{{.State.Status}} (exit {{.State.ExitCode}})", name]);
  parts.push(`container state: ${(state.stdout || state.stderr).trim()}`);
  const logs = await run("docker", ["logs", "--tail", "20", name]);
  if ((logs.stdout + logs.stderr).trim()) parts.push(`docker logs:\n${(logs.stdout + logs.stderr).trim()}`);
  const st = await run(
    "docker",
    ["exec", name, "sh", "-c", "systemctl is-system-running; systemctl --failed --no-legend; systemctl status ssh --no-pager -n 10"],
    { timeoutMs: 20_000 },
  );
  parts.push(`inside:\n${(st.stdout + st.stderr).trim()}`);
  return parts.join("\n");
}
