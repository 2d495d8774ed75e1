/** Child processes for the test hosts: run a command, collect its output, optionally time it out. */
import { spawn } from "child_process";
import * as os from "os";

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** Called with each line of stderr as it arrives (progress of long scripts). */
  onStderrLine?: (line: string) => void;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<ExecResult> {
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

export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

export const docker = (args: string[], opts?: RunOptions) => runOk("docker", args, opts);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
