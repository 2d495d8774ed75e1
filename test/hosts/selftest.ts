/**
 * Proves the test hosts work, end to end, through the harness API:
 *
 *   npx ts-node test/hosts/selftest.ts [--vm N] [--pi N] [--pypi]
 *
 * (default: 2 vm hosts and 1 pi host). Per host: `uname -m`, `systemctl is-system-running`
 * (running or degraded; failed units are listed), `sudo -n true`, root login refused even with
 * the run's key in root's authorized_keys, the published ports bound to 127.0.0.1 only. With
 * --pypi, also `python3 -m venv /tmp/v && /tmp/v/bin/pip install flask` on the first vm host.
 * The hosts are removed at the end (also on failure). Exits non-zero on any failed check.
 */
import { spawnSync } from "child_process";
import { removeHosts, sshExec, startHosts, TestHost } from "./harness";

const argv = process.argv.slice(2);
const num = (flag: string, dflt: number): number => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const vmCount = num("--vm", 2);
const piCount = num("--pi", 1);
const pypi = argv.includes("--pypi");

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
  const want = h.kind === "pi" ? "aarch64" : "x86_64";
  check(arch.code === 0 && arch.stdout.trim() === want, `${tag} uname -m = ${want}`, arch.stdout.trim() || arch.stderr.trim());

  const state = await sshExec(h, "systemctl is-system-running; systemctl --failed --no-legend --plain");
  const [st, ...failedUnits] = state.stdout.trim().split("\n");
  check(st === "running" || st === "degraded", `${tag} systemctl is-system-running`,
    `${st}${failedUnits.length ? `; failed units: ${failedUnits.map((l) => l.split(" ")[0]).join(", ")}` : ""}`);

  const sudo = await sshExec(h, "sudo -n true && sudo -n id -u");
  check(sudo.code === 0 && sudo.stdout.trim() === "0", `${tag} sudo -n true`, sudo.stderr.trim());

  const hn = await sshExec(h, "hostname");
  check(h.kind !== "pi" || hn.stdout.trim() === "raspberrypi", `${tag} hostname`, hn.stdout.trim());

  // Root login: refused by sshd itself, even with a valid key in root's authorized_keys.
  spawnSync("docker", ["exec", h.name, "sh", "-c",
    "install -d -m 700 /root/.ssh && cp /home/*/.ssh/authorized_keys /root/.ssh/authorized_keys"]);
  const root = spawnSync("ssh", ["-i", h.privateKeyPath, "-p", String(h.sshPort), "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "root@127.0.0.1", "true"],
    { encoding: "utf8" });
  check(root.status === 255 && /Permission denied/.test(root.stderr), `${tag} root SSH login refused`, root.stderr.trim());
  spawnSync("docker", ["exec", h.name, "rm", "-rf", "/root/.ssh"]);

  const cfg = await sshExec(h, "sudo -n sshd -T | grep -iE '^(permitrootlogin|passwordauthentication) '");
  check(/permitrootlogin no/.test(cfg.stdout) && /passwordauthentication no/.test(cfg.stdout),
    `${tag} sshd -T`, cfg.stdout.trim().replace(/\n/g, ", "));

  // Ports: every published port of this container listens on 127.0.0.1 only.
  const ss = spawnSync("ss", ["-Hltn"], { encoding: "utf8" }).stdout;
  for (const port of [h.sshPort, h.httpPort, h.httpsPort]) {
    const local = ss.split("\n").map((l) => l.trim().split(/\s+/)[3]).filter((a) => a && a.endsWith(`:${port}`));
    check(local.length > 0 && local.every((a) => a === `127.0.0.1:${port}`), `${tag} port ${port} bound to 127.0.0.1 only`, local.join(" "));
  }
}

async function main(): Promise<void> {
  const hosts: TestHost[] = [];
  try {
    for (const [kind, count] of [["vm", vmCount], ["pi", piCount]] as const) {
      if (count <= 0) continue;
      const t0 = Date.now();
      const hs = await startHosts(kind, count, { prefix: "flaskstack-selftest" });
      process.stdout.write(`startHosts(${kind}, ${count}): ${((Date.now() - t0) / 1000).toFixed(1)}s (incl. image check)\n`);
      hosts.push(...hs);
    }
    for (const h of hosts) await checkHost(h);
    const vm = hosts.find((h) => h.kind === "vm");
    if (pypi && vm) {
      const r = await sshExec(vm, "python3 -m venv /tmp/v && /tmp/v/bin/pip install -q flask && /tmp/v/bin/python -c 'import importlib.metadata as m; print(m.version(\"flask\"))'");
      check(r.code === 0, `${vm.name} pip install flask from PyPI in a venv`, (r.stdout.trim() || r.stderr.trim().split("\n").pop()) ?? "");
    }
  } finally {
    await removeHosts(hosts);
    await removeHosts(hosts); // safe twice
    const left = spawnSync("docker", ["ps", "-aq", "--filter", "label=flaskstack.test=1", "--filter", "name=flaskstack-selftest"], { encoding: "utf8" }).stdout.trim();
    check(left === "", "hosts removed");
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
