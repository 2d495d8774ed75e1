/**
 * Disposable TEST HOSTS for the integration tests: real Debian machines (systemd as PID 1, sshd,
 * a sudo user) in Docker containers, reached over SSH on 127.0.0.1 like a cloud VM or a Pi.
 *
 *   vm     Debian bookworm amd64, user `deploy` (passwordless sudo, key-only SSH), root login refused.
 *   pi     Debian bookworm arm64 under qemu-user emulation, user `pi` (passwordless sudo),
 *          hostname `raspberrypi`. Everything runs about 5-10x slower than on `vm`.
 *   armhf  Debian bookworm armhf (32-bit ARM, `uname -m` armv7l) under qemu-user emulation, the
 *          stand-in for 32-bit Raspberry Pi OS: user `pi` (passwordless sudo), hostname `raspberrypi`.
 *
 * Images are built by scripts/build-host-image.sh (debootstrap + docker import, cached by a hash
 * of the recipe); the Docker daemon is started by scripts/setup-docker.sh. Both are called from
 * here when needed, so `startHosts` works on a fresh machine (the first call takes minutes).
 *
 * Each startHosts() call makes its own ed25519 key (in .cache/hosts/<run>/), starts the
 * containers, writes the public key into ~user/.ssh/authorized_keys (as cloud-init would; nothing
 * is baked into the image), publishes SSH 22, HTTP 80 and HTTPS 443 on free ports of 127.0.0.1
 * only, and resolves once SSH accepts the key and systemd has finished booting.
 *
 * Measured (2 cores, shared with other builds): image build vm ~50-75 s, pi ~4-4.5 min, armhf
 * ~4-5 min (qemu; cached .debs barely help); unchanged recipe: < 0.1 s. The image tag's hash is
 * per kind (see the script's header): changing one kind's recipe does not rebuild the others.
 * startHosts to SSH ready: 2 vm hosts 2-4 s, 1 pi host 8-12 s, 1 armhf host 13-22 s.
 * In a fresh venv, `pip install flask` takes vm ~4 s, pi ~25 s, armhf ~25-35 s (PyPI has
 * armv7l wheels for markupsafe, so nothing is compiled); `apt-get update && apt-get install -y
 * nginx` vm ~4 s, pi ~25 s, armhf ~20-23 s.
 * Proof: `npx ts-node test/hosts/selftest.ts [--vm N] [--pi N] [--armhf N] [--pypi] [--apt]`.
 *
 * armhf hosts have no bookworm-security apt source (32-bit Raspberry Pi OS has none either, and
 * this machine's Debian mirror serves a stale armhf index for it that fails every apt-get update;
 * see kind_armhf in the build script).
 *
 * Containers carry the label `flaskstack.test=1` (and the owning process) and the name prefix
 * `flaskstack-test-`: leftovers of a crashed run (owner process gone) are removed at the next
 * startHosts(), or by hand with `npx ts-node test/hosts/cli.ts gc [--all]`.
 *
 * ---- What these hosts can reach (checked on the test machine) -------------------------------
 * - Debian's mirror (http://deb.debian.org): yes, apt-get update/install work. The image has NO apt
 *   lists (like a fresh cloud image): the first install needs `apt-get update`.
 * - PyPI: yes, from inside a running `vm` host
 *   `python3 -m venv /tmp/v && /tmp/v/bin/pip install flask` installs flask 3.1.x, BUT only
 *   because the image trusts the test machine's extra CAs: this machine's HTTPS egress goes
 *   through a TLS-intercepting proxy, and without its CA pip fails with
 *   "CERTIFICATE_VERIFY_FAILED: self-signed certificate in certificate chain" (curl too). The
 *   build script therefore copies the host's /usr/local/share/ca-certificates/*.crt into the
 *   image's store (update-ca-certificates). Nothing else is needed: Debian's pip in a venv, and a
 *   pip upgraded from PyPI (>= 24.2, truststore), both read the system store — no pip.conf, no
 *   PIP_CERT. On a machine without such a proxy that folder is empty and nothing is added.
 * - DNS: Docker copies the machine's /etc/resolv.conf (a non-loopback resolver), which works.
 * - Only addresses of the registries are reachable; tests must send traffic only to 127.0.0.1
 *   ports and the containers' own addresses.
 *
 * ---- Docker flags (checked; host is cgroup v1 "hybrid", Docker 20.10 from Debian) -------------
 * `--privileged` fails here. systemd runs as PID 1 with --cap-add SYS_ADMIN,
 * --security-opt seccomp=unconfined, apparmor=unconfined, --tmpfs /run, --tmpfs /run/lock and
 * -v /sys/fs/cgroup:/sys/fs/cgroup:ro (cgroupns host, the v1 default). Of these only the cgroup
 * mount is strictly needed to boot; the rest lets units use systemd's sandboxing (PrivateTmp …)
 * as on a real host. On a cgroup v2 machine the harness uses --cgroupns=host with a read-write
 * cgroup mount instead (the usual recipe; NOT tested here, no v2 machine was available).
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type HostKind = "vm" | "pi" | "armhf";

export interface TestHost {
  /** Docker container name (unique). */
  name: string;
  kind: HostKind;
  host: "127.0.0.1";
  sshPort: number;
  httpPort: number;
  httpsPort: number;
  /** The login user: `deploy` (vm) or `pi` (pi, armhf); passwordless sudo. */
  user: string;
  /** OpenSSH-format ed25519 private key (one per startHosts call). */
  privateKey: string;
  privateKeyPath: string;
  /** The container's address on Docker's bridge (reachable from this machine). */
  containerIp: string;
  /** `uname -m` of the host: x86_64 (vm), aarch64 (pi) or armv7l (armhf). */
  arch: string;
}

export interface StartOptions {
  /** Container name prefix (default `flaskstack-test`). */
  prefix?: string;
  /** Seconds to wait for SSH + boot (default 120 for vm, 300 for pi, 420 for armhf). */
  readyTimeoutSec?: number;
  /** Docker memory limit, e.g. 1024 for a 1 GB Pi (visible in cgroups, not in /proc/meminfo). */
  memoryMb?: number;
  /** Docker CPU limit (e.g. 1.5). */
  cpus?: number;
  /**
   * Who owns the containers, for garbage collection. "process" (default): this process; they
   * are removed by the next startHosts()/gc once it has exited. "manual": kept until removed by
   * name or by `gc --all` (the CLI uses this).
   */
  owner?: "process" | "manual";
  /** Progress messages (default: to stderr). */
  log?: (message: string) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

const LABEL = "flaskstack.test";
const ROOT = path.resolve(__dirname, "..", "..");
const CACHE = path.join(ROOT, ".cache");
const HOSTS_DIR = path.join(CACHE, "hosts");

const KINDS: Record<HostKind, { defaultTimeoutSec: number }> = {
  vm: { defaultTimeoutSec: 120 },
  pi: { defaultTimeoutSec: 300 },
  armhf: { defaultTimeoutSec: 420 },
};

/** The kinds startHosts() knows, for CLIs and error messages. */
export const HOST_KINDS = Object.keys(KINDS) as HostKind[];

export function isHostKind(k: string | undefined): k is HostKind {
  return k !== undefined && Object.prototype.hasOwnProperty.call(KINDS, k);
}

const defaultLog = (m: string): void => {
  process.stderr.write(`[test-hosts] ${m}\n`);
};

// ---- process helpers -----------------------------------------------------------------------

interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** Called with each line of stderr as it arrives (progress of long scripts). */
  onStderrLine?: (line: string) => void;
}

function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        stderr += `\n[harness] timed out after ${opts.timeoutMs} ms: ${cmd} ${args.join(" ")}\n`;
        child.kill("SIGKILL");
      }, opts.timeoutMs);
    }
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (opts.onStderrLine) {
        partial += d;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        lines.forEach((l) => opts.onStderrLine?.(l));
      }
    });
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      resolve({ stdout, stderr, code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1) });
    });
    child.stdin.on("error", () => undefined); // the command may exit without reading its input
    child.stdin.end(opts.input ?? "");
  });
}

async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

const docker = (args: string[], opts?: RunOptions) => runOk("docker", args, opts);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- docker daemon and images --------------------------------------------------------------

let dockerReady: Promise<void> | undefined;

/** Starts the Docker daemon if none answers (scripts/setup-docker.sh). Once per process. */
export function ensureDocker(log: (m: string) => void = defaultLog): Promise<void> {
  if (!dockerReady) {
    dockerReady = (async () => {
      const info = await run("docker", ["info", "--format", "{{.ServerVersion}}"]).catch(() => undefined);
      if (info && info.code === 0) return;
      await runOk("bash", [path.join(ROOT, "scripts", "setup-docker.sh")], { onStderrLine: log });
    })();
    dockerReady.catch(() => (dockerReady = undefined));
  }
  return dockerReady;
}

const images = new Map<HostKind, Promise<string>>();

/** Builds the kind's image if its recipe changed (scripts/build-host-image.sh); returns the tag. */
export function ensureImage(kind: HostKind, log: (m: string) => void = defaultLog): Promise<string> {
  let p = images.get(kind);
  if (!p) {
    p = (async () => {
      await ensureDocker(log);
      const out = await runOk("bash", [path.join(ROOT, "scripts", "build-host-image.sh"), kind], {
        onStderrLine: log,
      });
      const tag = out.trim().split("\n").pop() ?? "";
      if (!/^flaskstack-host:/.test(tag)) throw new Error(`build-host-image.sh ${kind} printed no image tag: ${out}`);
      return tag;
    })();
    p.catch(() => images.delete(kind));
    images.set(kind, p);
  }
  return p;
}

async function cgroupArgs(): Promise<string[]> {
  const v = (await docker(["info", "--format", "{{.CgroupVersion}}"])).trim();
  const common = [
    "--cap-add",
    "SYS_ADMIN",
    "--security-opt",
    "seccomp=unconfined",
    "--security-opt",
    "apparmor=unconfined",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
  ];
  if (v === "2") {
    // Untested here (this machine is cgroup v1): systemd needs a writable cgroup tree on v2.
    return [...common, "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"];
  }
  return [...common, "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro"];
}

// ---- ownership and garbage collection ------------------------------------------------------

/** "pid:starttime" of this process, so a reused pid is not mistaken for a live owner. */
function processId(pid: number): string | undefined {
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

// ---- hosts ---------------------------------------------------------------------------------

/** Runs of this process that are still starting (their key dirs must not be pruned). */
const starting = new Set<string>();

function sshArgs(keyPath: string, port: number, user: string, connectTimeoutSec = 10): string[] {
  return [
    "-i",
    keyPath,
    "-p",
    String(port),
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "LogLevel=ERROR",
    "-o",
    `ConnectTimeout=${connectTimeoutSec}`,
    `${user}@127.0.0.1`,
  ];
}

/** Runs a command on the host over SSH as its user (use `sudo -n …` for root). */
export async function sshExec(h: TestHost, command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return run("ssh", [...sshArgs(h.privateKeyPath, h.sshPort, h.user), "--", command], {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 300_000,
  });
}

/**
 * Reboots a host as its power button would: systemd's clean shutdown (the container's stop signal),
 * then a boot. Docker may publish its ports anew: `h` gets the new ones.
 */
export async function rebootHost(h: TestHost): Promise<void> {
  await docker(["restart", "-t", "60", h.name]);
  h.sshPort = await publishedPort(h.name, 22);
  h.httpPort = await publishedPort(h.name, 80);
  h.httpsPort = await publishedPort(h.name, 443);
}

async function publishedPort(name: string, port: number): Promise<number> {
  const out = (await docker(["port", name, `${port}/tcp`])).trim().split("\n");
  const m = out.map((l) => /^127\.0\.0\.1:(\d+)$/.exec(l.trim())).find((x) => x);
  if (!m) throw new Error(`container ${name}: port ${port} is not published on 127.0.0.1 (${out.join(", ")})`);
  return Number(m[1]);
}

async function diagnostics(name: string): Promise<string> {
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

async function waitReady(h: TestHost, timeoutSec: number): Promise<void> {
  const deadline = Date.now() + timeoutSec * 1000;
  // 1. SSH accepts the key.
  for (;;) {
    const r = await run("ssh", [...sshArgs(h.privateKeyPath, h.sshPort, h.user, 5), "true"], { timeoutMs: 30_000 });
    if (r.code === 0) break;
    const last = r.stderr.trim();
    const running = await run("docker", ["inspect", "-f", "{{.State.Running}}", h.name]);
    if (running.stdout.trim() !== "true" || Date.now() > deadline) {
      throw new Error(
        `test host ${h.name} (${h.kind}): SSH as ${h.user}@127.0.0.1:${h.sshPort} did not accept the key ` +
          `within ${timeoutSec}s. Last ssh error: ${last || "(none)"}\n${await diagnostics(h.name)}`,
      );
    }
    await sleep(1000);
  }
  // 2. systemd has finished booting ("running" or "degraded"; the tests decide what to do).
  const left = Math.max(5_000, deadline - Date.now());
  await run("docker", ["exec", h.name, "systemctl", "is-system-running", "--wait"], { timeoutMs: left });
}

/**
 * Starts `count` fresh hosts of `kind` and resolves once every one accepts SSH with this run's
 * key. On failure the hosts of this call are removed (set FLASKSTACK_KEEP_HOSTS=1 to keep them
 * for a look) and the error says why.
 */
export async function startHosts(kind: HostKind, count: number, opts: StartOptions = {}): Promise<TestHost[]> {
  if (!isHostKind(kind)) throw new Error(`unknown host kind "${kind}" (expected ${HOST_KINDS.join(", ")})`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  const log = opts.log ?? defaultLog;
  const prefix = opts.prefix ?? "flaskstack-test";
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(prefix)) throw new Error(`invalid container name prefix "${prefix}"`);

  const runId = crypto.randomBytes(4).toString("hex");
  starting.add(runId);
  const names: string[] = [];
  try {
    await ensureDocker(log);
    const removed = await gc();
    if (removed.length) log(`removed ${removed.length} leftover test host(s): ${removed.join(", ")}`);
    const image = await ensureImage(kind, log);
    const t0 = Date.now();

    // The run's key.
    const dir = path.join(HOSTS_DIR, runId);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyPath = path.join(dir, "id_ed25519");
    await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `flaskstack-test-${runId}`, "-f", keyPath]);
    const privateKey = fs.readFileSync(keyPath, "utf8");
    const publicKey = fs.readFileSync(`${keyPath}.pub`, "utf8");

    const labels = JSON.parse(await docker(["image", "inspect", "-f", "{{json .Config.Labels}}", image])) as Record<string, string>;
    const user = labels["flaskstack.user"];
    if (!user) throw new Error(`image ${image} has no flaskstack.user label`);
    const owner = opts.owner === "manual" ? "manual" : (processId(process.pid) ?? String(process.pid));

    const base = await cgroupArgs();
    const hosts: TestHost[] = [];
    for (let i = 1; i <= count; i++) {
      const name = `${prefix}-${kind}-${runId}-${i}`;
      names.push(name);
      const args = [
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        labels["flaskstack.hostname"] || name,
        "--label",
        `${LABEL}=1`,
        "--label",
        `${LABEL}.kind=${kind}`,
        "--label",
        `${LABEL}.run=${runId}`,
        "--label",
        `${LABEL}.owner=${owner}`,
        "--stop-signal",
        "SIGRTMIN+3",
        ...base,
        "-p",
        "127.0.0.1::22",
        "-p",
        "127.0.0.1::80",
        "-p",
        "127.0.0.1::443",
        ...(opts.memoryMb ? ["--memory", `${opts.memoryMb}m`] : []),
        ...(opts.cpus ? ["--cpus", String(opts.cpus)] : []),
        image,
      ];
      await docker(args);
      // The run's public key, written as cloud-init / Raspberry Pi Imager would.
      const home = `/home/${user}`;
      await docker(
        [
          "exec",
          "-i",
          name,
          "sh",
          "-c",
          `set -e; umask 077; install -d -m 700 -o ${user} -g ${user} ${home}/.ssh; ` +
            `cat > ${home}/.ssh/authorized_keys; chown ${user}:${user} ${home}/.ssh/authorized_keys`,
        ],
        { input: publicKey },
      );
      const containerIp = (await docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name])).trim().split(" ")[0];
      hosts.push({
        name,
        kind,
        host: "127.0.0.1",
        sshPort: await publishedPort(name, 22),
        httpPort: await publishedPort(name, 80),
        httpsPort: await publishedPort(name, 443),
        user,
        privateKey,
        privateKeyPath: keyPath,
        containerIp,
        arch: labels["flaskstack.arch"] === "arm64" ? "aarch64" : labels["flaskstack.arch"] === "armhf" ? "armv7l" : "x86_64",
      });
    }
    log(`started ${names.join(", ")}; waiting for SSH`);
    const timeout = opts.readyTimeoutSec ?? KINDS[kind].defaultTimeoutSec;
    await Promise.all(hosts.map((h) => waitReady(h, timeout)));
    log(`${count} ${kind} host(s) ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return hosts;
  } catch (e) {
    starting.delete(runId);
    if (names.length && process.env.FLASKSTACK_KEEP_HOSTS !== "1") {
      await removeContainers(names).catch(() => undefined);
    }
    throw e;
  } finally {
    starting.delete(runId);
  }
}

/** Removes the hosts (docker rm -f) and their run's key once no host uses it. Safe to call twice. */
export async function removeHosts(hosts: TestHost[]): Promise<void> {
  await removeContainers(hosts.map((h) => h.name));
}
