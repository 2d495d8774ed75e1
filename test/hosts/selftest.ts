/**
 * Proves the test hosts work, end to end, through the harness API:
 *
 *   npx ts-node test/hosts/selftest.ts [--vm N] [--pi N] [--armhf N] [--pypi] [--apt]
 *
 * (default: 2 vm hosts, 1 pi host, 0 armhf hosts). Per host: `uname -m`, `systemctl
 * is-system-running` (running or degraded; failed units are listed), `sudo -n true`, the
 * hostname, root login refused even with the run's key in root's authorized_keys, the published
 * ports bound to 127.0.0.1 only. On the first host of each kind, with --pypi also
 * `python3 -m venv /tmp/v && /tmp/v/bin/pip install flask`, with --apt also
 * `apt-get update && apt-get install -y nginx` (both timed; slow under emulation).
 * The hosts are removed at the end (also on failure). Exits non-zero on any failed check.
 */
import { spawnSync } from "child_process";
import { HostKind, removeHosts, sshExec, startHosts, TestHost } from "./harness";
import { sshArgs } from "./ssh";

const argv = process.argv.slice(2);
const num = (flag: string, dflt: number): number => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const counts: [HostKind, number][] = [
  ["vm", num("--vm", 2)],
  ["pi", num("--pi", 1)],
  ["armhf", num("--armhf", 0)],
];
const pypi = argv.includes("--pypi");
const apt = argv.includes("--apt");

const UNAME: Record<HostKind, string> = { vm: "x86_64", pi: "aarch64", armhf: "armv7l" };
const HOSTNAME: Record<HostKind, string | undefined> = { vm: undefined, pi: "raspberrypi", armhf: "raspberrypi" };
const secs = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

let failed = 0;
let passed = 0;
function check(ok: boolean, what: string, detail = ""): void {
  if (ok) passed++;
  else failed++;
  process.stdout.write(`${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}\n`);
}

async function checkHost(h: TestHost): Promise<void> {
  const tag = `${h.name} (${h.kind})`;
  const arch = await sshExec(h, "uname -m");
  const want = UNAME[h.kind];
  check(arch.code === 0 && arch.stdout.trim() === want, `${tag} uname -m = ${want}`, arch.stdout.trim() || arch.stderr.trim());

  const state = await sshExec(h, "systemctl is-system-running; systemctl --failed --no-legend --plain");
  const [st, ...failedUnits] = state.stdout.trim().split("\n");
  check(
    st === "running" || st === "degraded",
    `${tag} systemctl is-system-running`,
    `${st}${failedUnits.length ? `; failed units: ${failedUnits.map((l) => l.split(" ")[0]).join(", ")}` : ""}`,
  );

  const sudo = await sshExec(h, "sudo -n true && sudo -n id -u");
  check(sudo.code === 0 && sudo.stdout.trim() === "0", `${tag} sudo -n true`, sudo.stderr.trim());

  const hn = await sshExec(h, "hostname");
  const wantHost = HOSTNAME[h.kind];
  check(hn.code === 0 && (!wantHost || hn.stdout.trim() === wantHost), `${tag} hostname`, hn.stdout.trim());

  // Root login: refused by sshd itself, even with a valid key in root's authorized_keys.
  spawnSync("docker", ["exec", h.name, "sh", "-c", "install -d -m 700 /root/.ssh && cp /home/*/.ssh/authorized_keys /root/.ssh/authorized_keys"]);
  const root = spawnSync("ssh", [...sshArgs(h.privateKeyPath, h.sshPort, "root"), "true"], { encoding: "utf8" });
  check(root.status === 255 && /Permission denied/.test(root.stderr), `${tag} root SSH login refused`, root.stderr.trim());
  spawnSync("docker", ["exec", h.name, "rm", "-rf", "/root/.ssh"]);

  const cfg = await sshExec(h, "sudo -n sshd -T | grep -iE '^(permitrootlogin|passwordauthentication) '");
  check(/permitrootlogin no/.test(cfg.stdout) && /passwordauthentication no/.test(cfg.stdout), `${tag} sshd -T`, cfg.stdout.trim().replace(/\n/g, ", "));

  // Ports: every published port of this container listens on 127.0.0.1 only.
  const ss = spawnSync("ss", ["-Hltn"], { encoding: "utf8" }).stdout;
  for (const port of [h.sshPort, h.httpPort, h.httpsPort]) {
    const local = ss
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[3])
      .filter((a) => a && a.endsWith(`:${port}`));
    check(local.length > 0 && local.every((a) => a === `127.0.0.1:${port}`), `${tag} port ${port} bound to 127.0.0.1 only`, local.join(" "));
  }
}

async function main(): Promise<void> {
  const hosts: TestHost[] = [];
  try {
    for (const [kind, count] of counts) {
      if (count <= 0) continue;
      const t0 = Date.now();
      const hs = await startHosts(kind, count, { prefix: "flaskstack-selftest" });
      process.stdout.write(`startHosts(${kind}, ${count}): ${secs(t0)} (incl. image check)\n`);
      hosts.push(...hs);
    }
    for (const h of hosts) await checkHost(h);
    for (const [kind] of counts) {
      const h = hosts.find((x) => x.kind === kind);
      if (!h) continue;
      if (pypi) {
        const t0 = Date.now();
        const r = await sshExec(
          h,
          "python3 -m venv /tmp/v && /tmp/v/bin/pip install -q flask && /tmp/v/bin/python -c 'import importlib.metadata as m; print(m.version(\"flask\"))'",
          { timeoutMs: 1_800_000 },
        );
        check(
          r.code === 0,
          `${h.name} (${kind}) pip install flask from PyPI in a venv (${secs(t0)})`,
          (r.stdout.trim() || r.stderr.trim().split("\n").pop()) ?? "",
        );
      }
      if (apt) {
        const t0 = Date.now();
        const r = await sshExec(
          h,
          "sudo -n DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq nginx >/dev/null' && /usr/sbin/nginx -v 2>&1 && systemctl is-active nginx",
          { timeoutMs: 1_800_000 },
        );
        check(
          r.code === 0,
          `${h.name} (${kind}) apt-get update && apt-get install -y nginx (${secs(t0)})`,
          (r.stdout.trim().replace(/\n/g, ", ") || r.stderr.trim().split("\n").pop()) ?? "",
        );
      }
    }
  } finally {
    await removeHosts(hosts);
    await removeHosts(hosts); // safe twice
    const left = spawnSync("docker", ["ps", "-aq", "--filter", "label=flaskstack.test=1", "--filter", "name=flaskstack-selftest"], {
      encoding: "utf8",
    }).stdout.trim();
    check(left === "", "hosts removed");
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
