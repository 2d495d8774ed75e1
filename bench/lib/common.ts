/**
 * What every measurement shares: the machine's facts, order statistics, process helpers and the
 * result file each measurement writes (bench/results/<name>.json, read by bench/report.ts).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const BENCH = path.resolve(__dirname, "..");
export const ROOT = path.resolve(BENCH, "..");
export const RESULTS_DIR = path.join(BENCH, "results");

export interface Machine {
  date: string;
  hostname: string;
  cpuModel: string;
  nproc: number;
  memoryGiB: number;
  kernel: string;
  /** 1, 5 and 15 minute load averages when the measurement started. */
  loadAtStart: number[];
  /** The same when it ended. */
  loadAtEnd?: number[];
  /** Containers running on the machine when the measurement started that are not this run's. */
  otherContainers: string[];
}

export async function machine(): Promise<Machine> {
  const ps = await run("docker", ["ps", "--format", "{{.Names}}"]).catch(() => ({ stdout: "", stderr: "", code: 1 }));
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    nproc: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    loadAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    otherContainers: ps.stdout.split("\n").filter((n) => n.trim() && !n.startsWith("bench-")),
  };
}

// ---- statistics ----------------------------------------------------------------------------

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const min = (xs: number[]): number => (xs.length ? Math.min(...xs) : NaN);
export const max = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);
export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

// ---- results -------------------------------------------------------------------------------

/** One line of a result table. */
export interface Row {
  /** What was measured, e.g. "pulumi up, cold (s)". */
  metric: string;
  unit: string;
  samples: number[];
  /** The reference measured in the same run (same unit), when the goal is a ratio. */
  reference?: { label: string; samples: number[] };
  /** The figure the goal is judged on (e.g. median / reference median), when it is a ratio. */
  ratio?: number;
  /** e.g. "≤ 1.3× floor". */
  goal: string;
  /** true/false when the goal is judged on this row, null when the row is informational. */
  met: boolean | null;
  note?: string;
}

export interface Result {
  /** File name (results/<name>.json) and command (`bench/run.sh <name>`). */
  name: string;
  title: string;
  runs: number;
  machine: Machine;
  /** Wall time of the whole measurement, host start-up and teardown included. */
  durationSec: number;
  rows: Row[];
  /** Free-form sections rendered under the table (profiles, reasons, settings). Markdown. */
  sections: { heading: string; body: string }[];
  notes: string[];
  /** The `peers` measurement's raw rounds (bench/measure/peers.ts `PeersData`), rendered by report.ts. */
  peers?: unknown;
}

export function writeResult(r: Result): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${r.name}.json`);
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
  return file;
}

// ---- processes -----------------------------------------------------------------------------

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          stderr += `\n[bench] timed out after ${opts.timeoutMs} ms: ${cmd} ${args.join(" ").slice(0, 200)}\n`;
          child.kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? 1 });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

export async function runOk(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ").slice(0, 300)} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim().slice(-3000)}`);
  return r.stdout;
}

/** Milliseconds since `t0`, as seconds with two decimals. */
export const secondsSince = (t0: number): number => round((Date.now() - t0) / 1000, 2);

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A markdown table from a header and rows of cells. */
export function mdTable(header: string[], rows: (string | number)[][]): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

// ---- machine CPU while something runs --------------------------------------------------------

function cpuTimes(): { busy: number; iowait: number; total: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  const total = user + nice + system + idle + iowait + irq + softirq + (steal ?? 0);
  return { busy: total - idle - iowait, iowait, total };
}

export interface CpuUse {
  /** Share of the machine's CPU time spent busy (all cores), 0–1. */
  busy: number;
  /** Share spent waiting for I/O, 0–1. */
  iowait: number;
}

/** Starts measuring the whole machine's CPU use; call the result to stop and read it. */
export function cpuMeter(): () => CpuUse {
  const a = cpuTimes();
  return () => {
    const b = cpuTimes();
    const total = b.total - a.total || 1;
    return { busy: round((b.busy - a.busy) / total, 2), iowait: round((b.iowait - a.iowait) / total, 2) };
  };
}
