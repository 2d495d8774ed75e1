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
 *
 * The pieces: common.ts (host kinds, the host record, labels and paths), process.ts (child
 * processes), images.ts (the Docker daemon, the images, the run flags), containers.ts (ownership,
 * listing, removal, garbage collection), ssh.ts (commands over SSH, readiness). This module starts
 * and removes hosts and is the one the tests, scripts and benchmarks import.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultLog, HOST_KINDS, HOSTS_DIR, HostKind, isHostKind, KINDS, LABEL, StartOptions, TestHost } from "./common";
import { gc, processId, publishedPort, removeContainers, starting } from "./containers";
import { cgroupArgs, ensureDocker, ensureImage } from "./images";
import { docker, runOk } from "./process";
import { waitReady } from "./ssh";

export { HOST_KINDS, isHostKind } from "./common";
export type { HostKind, StartOptions, TestHost } from "./common";
export type { ExecResult } from "./process";
export { ensureDocker, ensureImage } from "./images";
export { gc, listHostContainers, removeContainers } from "./containers";
export { sshExec } from "./ssh";

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
