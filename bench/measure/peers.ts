/**
 * 8. Peers: flaskstack against Ansible and pyinfra doing the same deploy (bench/peers/), each on a
 * fresh `vm` host of its own, three identical hosts per round. Per side: cold deploy, no-op (a second
 * run with nothing changed), one config change (uWSGI processes 4 → 8, graceful reload) and one code
 * change (a new release, `current` switched, graceful reload); and `pulumi preview` alone for flaskstack.
 * Times are what a user waits: `pulumi up --yes` with its preview, `ansible-playbook`, `pyinfra -y`.
 *
 * One warm-up round (stack first, to take the files the peers write from its host; discarded), then
 * N rounds with the order of the three sides drawn at random per round (seeded, recorded); each phase
 * runs the three sides back to back in that order. Each ratio (flaskstack ÷ the faster peer, per phase)
 * gets a paired bootstrap 95 % interval of the ratio of medians (lib/bootstrap.ts).
 *
 * After each phase the three hosts are checked against each other: GET / and /healthz through nginx
 * (inside the host) give the same bodies (worker pid and hostname masked), the config files, links and
 * release files are identical; a no-op must change nothing (files, pids); a config change must keep the
 * uWSGI master and end with 8 workers; a code change must serve the new page from the new release.
 *
 * The parts are in measure/peers/: round.ts (one round), checks.ts (the checks on a host), whatIfs.ts
 * (the what-ifs) and result.ts (rows and notes); this module runs the rounds and variants.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { seededRandom } from "../lib/bootstrap";
import { log, machine, round, Result, secondsSince, writeResult } from "../lib/common";
import { writeReport } from "../report";
import { SAMPLE_APP } from "../lib/deploy";
import { PeersData, PeersVariant } from "../lib/peerFigures";
import { peersVenv, Side, SIDES, snapshotProgram, stageApp, timedRun, WORK_DIR } from "../lib/peers";
import { peersResult } from "./peers/result";
import { changedApp, Context, runRound } from "./peers/round";
import { whatIfs } from "./peers/whatIfs";

export type { Context } from "./peers/round";
export { whatIfs } from "./peers/whatIfs";

/** A seeded shuffle (Fisher–Yates). */
function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function versions(venv: string): Promise<Record<string, string>> {
  const v = async (cmd: string, args: string[]) => (await timedRun(cmd, args)).stdout.trim().split("\n")[0];
  return {
    pulumi: await v("pulumi", ["version"]),
    "ansible-core": await v(path.join(venv, "bin", "ansible-playbook"), ["--version"]),
    pyinfra: await v(path.join(venv, "bin", "pyinfra"), ["--version"]),
  };
}

/** A round that fails (a mirror hiccup, a check) is recorded in the notes and the next one runs; this many end the measurement. */
const MAX_FAILED_ROUNDS = 2;

export async function peersData(runs: number, checkpoint: (d: PeersData) => void = () => undefined): Promise<PeersData> {
  const seed = Number(process.env.BENCH_PEERS_SEED ?? 20261203);
  const delays = (process.env.BENCH_PEERS_DELAYS ?? "20,80")
    .split(",")
    .map((d) => Number(d.trim()))
    .filter((d) => d > 0);
  const delayRuns = Number(process.env.BENCH_PEERS_DELAY_RUNS ?? 3);
  const whatIfRuns = Number(process.env.BENCH_PEERS_WHATIF_RUNS ?? 5);
  const work = path.join(WORK_DIR, `run-${Date.now().toString(36)}`);
  fs.mkdirSync(work, { recursive: true });
  const venv = await peersVenv();
  const snap = await snapshotProgram();
  log(`peers: program from commit ${snap.commit.slice(0, 12)} (${snap.dir}); peers venv ${venv}`);
  const changedDir = changedApp(work);
  const ctx: Context = {
    venv,
    snap,
    work,
    apps: {
      base: { dir: SAMPLE_APP, releaseId: stageApp(SAMPLE_APP, path.join(work, "app-base")), stagedDir: path.join(work, "app-base") },
      changed: { dir: changedDir, releaseId: stageApp(changedDir, path.join(work, "app-changed-staged")), stagedDir: path.join(work, "app-changed-staged") },
    },
    versions: await versions(venv),
  };
  const rand = seededRandom(seed);
  const data: PeersData = { commit: snap.commit, seed, variants: [], whatIfs: [], versions: ctx.versions, notes: [] };
  const main: PeersVariant = { delayMs: 0, rounds: [] };
  data.variants.push(main);
  let failed = 0;
  const attempt = async (v: PeersVariant, index: number, order: Side[], warmup: boolean): Promise<boolean> => {
    try {
      v.rounds.push(await runRound(ctx, index, order, warmup, v.delayMs));
      checkpoint(data);
      return true;
    } catch (e) {
      failed++;
      const first = (e as Error).message.split("\n")[0];
      data.notes.push(
        `Round ${index}${v.delayMs ? ` (+${v.delayMs} ms)` : ""}${warmup ? " (warm-up)" : ""}, order ${order.join(" → ")}, failed and is not counted: ${first}`,
      );
      log(`peers: round ${index} (+${v.delayMs} ms) failed: ${(e as Error).stack ?? e}`);
      if (failed > MAX_FAILED_ROUNDS || !ctx.inputs) throw e;
      return false;
    }
  };
  // The warm-up: stack first (the peers need its files), discarded from the figures.
  while (!(await attempt(main, 0, ["flaskstack", "ansible", "pyinfra"], true)));
  for (let i = 1; main.rounds.length <= runs; i++) await attempt(main, i, shuffled(SIDES, rand), false);
  if (whatIfRuns > 0) {
    try {
      data.whatIfs = await whatIfs(ctx, whatIfRuns);
      checkpoint(data);
    } catch (e) {
      data.notes.push(`The what-ifs failed: ${(e as Error).message.split("\n")[0]}`);
      log(`peers: what-ifs failed: ${(e as Error).stack ?? e}`);
    }
  }
  for (const d of delays) {
    const v: PeersVariant = { delayMs: d, rounds: [] };
    data.variants.push(v);
    for (let i = 1; v.rounds.length < delayRuns; i++) {
      if (!(await attempt(v, i, shuffled(SIDES, rand), false).catch(() => false)) && failed > MAX_FAILED_ROUNDS) {
        data.notes.push(`The +${d} ms variant stopped after ${v.rounds.length} round(s).`);
        break;
      }
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
  return data;
}

export async function peers(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  // Each finished round is written at once: an interrupted run keeps what it measured.
  const data = await peersData(runs, (d) => {
    writeResult(peersResult(d, { ...m, loadAtEnd: os.loadavg().map((l) => round(l, 2)) }, runs, secondsSince(t0), true));
    writeReport();
  });
  m.loadAtEnd = (await machine()).loadAtStart;
  return peersResult(data, m, runs, secondsSince(t0), false);
}
