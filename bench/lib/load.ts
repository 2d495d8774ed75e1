/**
 * Load inside a host: `wrk` (installed with apt inside the host) against 127.0.0.1, so neither
 * Docker's port proxy nor this machine's network stack is measured, and no traffic leaves the
 * container. Every run is bounded (`timeout`), and every server started by hand runs as a transient
 * systemd unit that is stopped afterwards.
 */
import { log, round, sleep } from "./common";

/** Cores used during a window of a load run: by process name inside the host, and by the whole machine. */
export interface CpuProfile {
  windowSec: number;
  /** Process name (comm) → cores (CPU seconds per second), inside the host. */
  byProcess: Record<string, number>;
  /** All of the machine's cores that were busy (every container and process on it). */
  machineBusyCores: number;
}

const TICKS = 100; // USER_HZ on Linux

interface Snapshot {
  machineBusy: number;
  procs: Map<string, { comm: string; ticks: number }>;
  t: number;
}

function parseSnapshot(text: string): Snapshot {
  const lines = text.split("\n");
  const t = Number(lines[0]);
  const cpu = lines[1].trim().split(/\s+/).slice(1).map(Number);
  const machineBusy = cpu.reduce((a, b) => a + b, 0) - cpu[3] - cpu[4];
  const procs = new Map<string, { comm: string; ticks: number }>();
  for (const l of lines.slice(2)) {
    const open = l.indexOf("(");
    const close = l.lastIndexOf(")");
    if (open < 0 || close < 0) continue;
    const pid = l.slice(0, open).trim();
    const rest = l.slice(close + 2).split(" ");
    procs.set(pid, { comm: l.slice(open + 1, close), ticks: Number(rest[11]) + Number(rest[12]) });
  }
  return { machineBusy, procs, t };
}

function cpuProfile(a: Snapshot, b: Snapshot): CpuProfile {
  const windowSec = b.t - a.t;
  const byProcess: Record<string, number> = {};
  for (const [pid, p] of b.procs) {
    const before = a.procs.get(pid)?.ticks ?? 0;
    const d = (p.ticks - before) / TICKS / windowSec;
    if (d > 0) byProcess[p.comm] = round((byProcess[p.comm] ?? 0) + d, 2);
  }
  return { windowSec: round(windowSec, 2), byProcess, machineBusyCores: round((b.machineBusy - a.machineBusy) / TICKS / windowSec, 2) };
}
import { hostExec, hostRun, shq, TestHost } from "./hosts";

export interface LoadSettings {
  threads: number;
  connections: number;
  seconds: number;
  /** Seconds of load before each measured run (not recorded). */
  warmupSeconds: number;
}

export const DEFAULT_LOAD: LoadSettings = { threads: 2, connections: 32, seconds: 10, warmupSeconds: 3 };

export interface LoadSample {
  rps: number;
  /** CPU use inside the host during the run, by process name (the last run of a setting only). */
  cpu?: CpuProfile;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
}

export async function installWrk(h: TestHost): Promise<void> {
  await hostExec(
    h,
    "command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get -q install -y --no-install-recommends wrk >/dev/null 2>&1 || { apt-get -q update >/dev/null && apt-get -q install -y --no-install-recommends wrk >/dev/null; }; }",
  );
}

/** Waits until `url` answers 200 inside the host. */
export async function waitHttp(h: TestHost, url: string, withinSec = 120): Promise<void> {
  const deadline = Date.now() + withinSec * 1000;
  for (;;) {
    const r = await hostRun(h, `curl -fsS -o /dev/null --max-time 5 ${shq(url)}`, 20_000);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 inside ${h.name} within ${withinSec}s: ${r.stderr.trim()}`);
    await sleep(500);
  }
}

function toMs(v: string, unit: string): number {
  const x = Number(v);
  switch (unit) {
    case "us":
      return x / 1000;
    case "ms":
      return x;
    case "s":
      return x * 1000;
    case "m":
      return x * 60_000;
    default:
      return NaN;
  }
}

export function parseWrk(out: string): LoadSample {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1]);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m ? round(toMs(m[1], m[2]), 2) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  return { rps: round(rps, 1), p50: pct("50"), p99: pct("99"), requests, errors: non2xx + socketErrors };
}

/** One warm-up, then `runs` measured wrk runs against `url` inside the host. */
export async function measure(h: TestHost, url: string, runs: number, s: LoadSettings = DEFAULT_LOAD): Promise<LoadSample[]> {
  const wrk = (secs: number) => `timeout ${secs + 30} wrk -t${s.threads} -c${s.connections} -d${secs}s --timeout 10s --latency ${shq(url)}`;
  if (s.warmupSeconds > 0) await hostExec(h, `${wrk(s.warmupSeconds)} >/dev/null`, (s.warmupSeconds + 60) * 1000);
  const samples: LoadSample[] = [];
  const snap = "date +%s.%N; head -1 /proc/stat; cat /proc/[0-9]*/stat 2>/dev/null";
  for (let i = 0; i < runs; i++) {
    // The last run also samples CPU use per process, from 1 s after the start to 1 s before the end.
    const profile = i === runs - 1 && s.seconds >= 4;
    const script = profile
      ? `out=$(mktemp); ${wrk(s.seconds)} > "$out" & pid=$!; sleep 1; echo @@snap; ${snap}; sleep ${s.seconds - 2}; echo @@snap; ${snap}; wait $pid; echo @@wrk; cat "$out"; rm -f "$out"`
      : wrk(s.seconds);
    const out = await hostExec(h, script, (s.seconds + 60) * 1000);
    let sample: LoadSample;
    if (profile) {
      const [, s1, s2, w] = out.split(/^@@(?:snap|wrk)\n/m);
      sample = { ...parseWrk(w), cpu: cpuProfile(parseSnapshot(s1), parseSnapshot(s2)) };
    } else {
      sample = parseWrk(out);
    }
    log(`  ${url}: ${sample.rps} req/s, p99 ${sample.p99} ms${sample.errors ? `, ${sample.errors} errors` : ""}`);
    samples.push(sample);
  }
  return samples;
}

/**
 * Starts `argv` as a transient systemd unit inside the host, with stdout/stderr appended to a file
 * (as supervisor does for the deployed server) and the app's environment file loaded.
 */
export async function startUnit(h: TestHost, unit: string, argv: string[], opts: { user?: string; directory: string; logFile: string }): Promise<void> {
  await hostRun(h, `systemctl stop ${unit} 2>/dev/null; systemctl reset-failed ${unit} 2>/dev/null; true`);
  const props = [
    `-p WorkingDirectory=${opts.directory}`,
    `-p StandardOutput=append:${opts.logFile}`,
    `-p StandardError=append:${opts.logFile}`,
    "-p KillMode=control-group",
    "-p TimeoutStopSec=20",
    ...(opts.user ? [`-p User=${opts.user}`] : []),
  ].join(" ");
  const wrapped = ["/bin/sh", "-c", 'set -a; . /etc/sample/env; set +a; exec "$@"', "bench-env", ...argv];
  await hostExec(h, `systemd-run --quiet --unit ${unit} ${props} ${wrapped.map(shq).join(" ")}`);
}

export async function stopUnit(h: TestHost, unit: string): Promise<void> {
  await hostRun(h, `systemctl stop ${unit} 2>/dev/null; systemctl reset-failed ${unit} 2>/dev/null; true`, 60_000);
}
