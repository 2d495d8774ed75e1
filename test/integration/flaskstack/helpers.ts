/** Helpers of the whole-stack test's steps: commands beside SSH, login counts, engine events, the state file, polling. */
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { sshExec, TestHost } from "../../hosts/harness";

/** Runs `docker <args>` (e.g. an exec in the host's container, which is no SSH login); resolves to its exit code. */
export function docker(args: string[]): Promise<{ code: number }> {
  return new Promise((resolve) => {
    const p = spawn("docker", args, { stdio: "ignore" });
    p.on("close", (code) => resolve({ code: code ?? -1 }));
    p.on("error", () => resolve({ code: -1 }));
  });
}

/** SSH logins the host's sshd has accepted so far. */
export async function acceptedLogins(h: TestHost): Promise<number> {
  const r = await sshExec(h, "sudo journalctl -u ssh --no-pager -o cat | grep -c '^Accepted ' || true");
  return Number(r.stdout.trim());
}

/** Names of resources an engine event stream reported with the given operation. */
export function resourcesWith(events: { resOutputsEvent?: { metadata: { op: string; urn: string } } }[], ops: string[]): string[] {
  return events
    .map((e) => e.resOutputsEvent?.metadata)
    .filter((m): m is { op: string; urn: string } => m !== undefined && ops.includes(m.op))
    .map((m) => m.urn.split("::").pop() as string)
    .sort();
}

/** The stack's checkpoint file in the local file backend. */
export function readStateFile(stackName: string): string {
  const stacks = path.resolve(__dirname, "..", "..", "..", ".pulumi-state", ".pulumi", "stacks");
  const found = fs.readdirSync(stacks, { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === `${stackName}.json`);
  expect(found).toHaveLength(1);
  return fs.readFileSync(path.join(stacks, found[0]), "utf8");
}

/** Polls `read` until it returns `want` or the time is up; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, want: T, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    last = await read();
  }
  return last;
}

export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function uniq<T>(v: T, i: number, a: T[]): boolean {
  return a.indexOf(v) === i;
}
