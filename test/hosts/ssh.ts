/** SSH to the test hosts: commands as the host's user with the run's key, and waiting until a host is ready. */
import { TestHost } from "./common";
import { diagnostics } from "./containers";
import { ExecResult, run, sleep } from "./process";

/** `ssh` options for a test host on 127.0.0.1: its key only, no host-key checks, no prompts. */
export function sshArgs(keyPath: string, port: number, user: string, connectTimeoutSec = 10): string[] {
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

export async function waitReady(h: TestHost, timeoutSec: number): Promise<void> {
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
