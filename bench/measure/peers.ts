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
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { hostConfig, projectStack, uniqueStackName } from "../../test/integration/stack";
import { seededRandom } from "../lib/bootstrap";
import { log, machine, Machine, Result, round, Row, runOk, secondsSince, writeResult } from "../lib/common";
import { writeReport } from "../report";
import { dropStack, SAMPLE_APP } from "../lib/deploy";
import { DelayRelay, startDelayRelay } from "../lib/delay";
import { activitySince, hostExec, journalMark, removeBenchHosts, startBenchHosts, TestHost } from "../lib/hosts";
import { waitHttp } from "../lib/load";
import { Phase, PHASE_LABEL, PHASES, peerSections, PeersData, PeersRound, PeersVariant, phaseFigures, Step, WhatIf } from "../lib/peerFigures";
import {
  peersVenv,
  PeerInputs,
  ProgramSnapshot,
  pulumiCli,
  renderIni,
  runAnsible,
  runPyinfra,
  Side,
  SIDES,
  snapshotProgram,
  stageApp,
  stagePeerInputs,
  Target,
  timedRun,
  WORK_DIR,
  writeVars,
} from "../lib/peers";

const sidesOf = (): Record<Side, Partial<Record<Phase, Step>>> => ({ flaskstack: {}, ansible: {}, pyinfra: {} });

/** A seeded shuffle (Fisher–Yates). */
function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---- checks on the hosts (docker exec, never SSH) ---------------------------------------------

/** GET / and /healthz through nginx inside the host, worker pid and hostname masked. */
async function pages(h: TestHost): Promise<string> {
  const out = await hostExec(
    h,
    'set -e; for p in / /healthz; do echo "== $p"; curl -fsS --max-time 10 http://127.0.0.1$p; echo; done; echo "== host $(hostname)"',
    60_000,
  );
  const hostname = /^== host (.*)$/m.exec(out)?.[1] ?? "";
  if (!hostname) throw new Error(`no hostname from ${h.name}`);
  return out
    .replace(/^== host .*$/m, "")
    .split(hostname)
    .join("<host>")
    .replace(/worker \d+/g, "worker <pid>")
    .replace(/"pid":\s*\d+/g, '"pid":<pid>');
}

/** What a deploy leaves on the host: config files, links, release files, venv packages, with sha256 and modes. */
async function footprint(h: TestHost): Promise<string> {
  return hostExec(
    h,
    [
      "set -e",
      "cd /",
      "for f in /etc/tmpfiles.d/flaskstack-sample.conf /etc/sample/env /etc/sample/load_env.py /etc/sample/uwsgi.ini /etc/supervisor/conf.d/sample.conf /etc/nginx/sites-available/sample; do",
      '  echo "$(sha256sum < "$f" | cut -c1-16) $(stat -c "%U:%G %a" "$f") $f"',
      "done",
      'echo "current -> $(readlink /srv/sample/current); venv -> $(readlink /srv/sample/venv); enabled: $(ls /etc/nginx/sites-enabled | tr "\\n" " ")"',
      'echo "user: $(id sample)"; stat -c "%U:%G %a %n" /srv/sample /srv/sample/releases /srv/sample/venvs /var/log/sample /etc/sample /run/sample',
      "cd /srv/sample/current && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%m %s %p\\n' | sort && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -exec sha256sum {} + | sort -k2 | sha256sum | cut -c1-16",
      "/srv/sample/venv/bin/pip --disable-pip-version-check freeze --all | sort | tr '\\n' ' '; echo",
      "dpkg-query -W -f '${Package}\\n' nginx supervisor uwsgi-core uwsgi-plugin-python3 python3-venv | tr '\\n' ' '; echo",
    ].join("\n"),
    60_000,
  );
}

interface Running {
  master: string;
  workers: string[];
  nginx: string;
}

async function running(h: TestHost): Promise<Running> {
  const out = await hostExec(h, "m=$(supervisorctl pid sample); echo $m; ps -o pid= --ppid $m | tr -d ' ' | sort | tr '\\n' ','; echo; cat /run/nginx.pid");
  const [master, workers, nginx] = out.trim().split("\n");
  return { master, workers: workers.split(",").filter(Boolean), nginx };
}

async function waitWorkers(h: TestHost, n: number, withinSec = 60): Promise<Running> {
  const deadline = Date.now() + withinSec * 1000;
  for (;;) {
    const s = await running(h);
    if (s.workers.length === n || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Files under the deploy's paths modified since the mark (`touch` before the run). */
async function markFiles(h: TestHost): Promise<void> {
  await hostExec(h, "touch /tmp/peers-mark && sleep 0.01");
}
async function changedFiles(h: TestHost): Promise<string[]> {
  const out = await hostExec(
    h,
    "find /srv/sample /etc/sample /etc/nginx /etc/supervisor /etc/tmpfiles.d /var/log/sample -newer /tmp/peers-mark \\( -type f -o -type l \\) ! -name '*.log' 2>/dev/null || true",
  );
  return out.split("\n").filter(Boolean);
}

// ---- one round ----------------------------------------------------------------------------------

export interface Context {
  venv: string;
  snap: ProgramSnapshot;
  work: string;
  /** The staged apps: the sample app and the changed one, with their release ids. */
  apps: { base: { dir: string; releaseId: string; stagedDir: string }; changed: { dir: string; releaseId: string; stagedDir: string } };
  inputs?: PeerInputs;
  versions: Record<string, string>;
}

const CHANGED_LINE = "  <p>Release two of the sample app.</p>";

/** A copy of the sample app whose page says one more line (a code change, requirements unchanged). */
function changedApp(work: string): string {
  const dir = path.join(work, "app-changed");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(SAMPLE_APP, dir, { recursive: true, filter: (p) => !p.includes("__pycache__") });
  const page = path.join(dir, "sample", "templates", "index.html");
  fs.writeFileSync(page, fs.readFileSync(page, "utf8").replace("</body>", `${CHANGED_LINE}\n</body>`));
  return dir;
}

async function measured<T extends { seconds: number; changed: number }>(h: TestHost, fn: () => Promise<T>): Promise<Step & { result: T }> {
  const mark = await journalMark(h);
  const result = await fn();
  const act = await activitySince(h, mark);
  return { seconds: result.seconds, connections: act.connections, commands: act.commands, changed: result.changed, result };
}

async function runRound(ctx: Context, index: number, order: Side[], warmup: boolean, delayMs: number): Promise<PeersRound> {
  const tag = `peers${delayMs ? `-d${delayMs}` : ""}`;
  const round_: PeersRound = { index, warmup, delayMs, order, steps: sidesOf(), checks: [], loadAtStart: os.loadavg().map((l) => round(l, 2)) };
  const hosts = await startBenchHosts("vm", 3, tag);
  const hostOf: Record<Side, TestHost> = { flaskstack: hosts[0], ansible: hosts[1], pyinfra: hosts[2] };
  const relays: DelayRelay[] = [];
  let stack: Stack | undefined;
  try {
    const target: Record<Side, Target> = {} as Record<Side, Target>;
    for (const s of SIDES) {
      const h = hostOf[s];
      if (delayMs > 0) {
        const relay = await startDelayRelay(h.sshPort, delayMs);
        relays.push(relay);
        target[s] = { host: h, sshPort: relay.port };
      } else target[s] = { host: h, sshPort: h.sshPort };
    }
    const stackName = uniqueStackName(`bench-${tag}`);
    stack = await projectStack(
      stackName,
      { ...hostConfig({ ...hostOf.flaskstack, sshPort: target.flaskstack.sshPort }), processes: { value: "4" }, appDir: { value: ctx.apps.base.dir } },
      ctx.snap.stackDir,
    );
    const vars = (processes: number, app: "base" | "changed") => {
      if (!ctx.inputs) throw new Error("the peers need the files of a stack deploy first");
      const a = ctx.apps[app];
      return writeVars(path.join(ctx.work, `vars-${processes}-${app}.json`), {
        packages: ctx.inputs.packages,
        release_id: a.releaseId,
        venv_id: ctx.inputs.venvId,
        venv_requirements: ctx.inputs.venvRequirements,
        app_src: a.stagedDir,
        files_dir: ctx.inputs.filesDir,
        uwsgi_processes: processes,
      });
    };
    const setting: Record<Phase, { processes: number; app: "base" | "changed" }> = {
      cold: { processes: 4, app: "base" },
      noop: { processes: 4, app: "base" },
      config: { processes: 8, app: "base" },
      code: { processes: 8, app: "changed" },
    };
    for (const phase of PHASES) {
      const want = setting[phase];
      if (phase === "config") await stack.setConfig("processes", { value: "8" });
      if (phase === "code") await stack.setConfig("appDir", { value: ctx.apps.changed.dir });
      const before: Partial<Record<Side, Running>> = {};
      for (const side of order) {
        const h = hostOf[side];
        if (phase !== "cold") {
          before[side] = await running(h);
          await markFiles(h);
        }
        let step: Step;
        if (side === "flaskstack") {
          if (phase === "noop") {
            const p = await measured(h, () => pulumiCli(["preview"], stackName, { cwd: ctx.snap.stackDir }));
            round_.preview = { seconds: p.seconds, connections: p.connections, commands: p.commands, changed: p.changed };
          }
          step = await measured(h, () => pulumiCli(["up"], stackName, { cwd: ctx.snap.stackDir }));
          if (!ctx.inputs) {
            ctx.inputs = await stagePeerInputs(h, ctx.work);
            if (ctx.inputs.releaseId !== ctx.apps.base.releaseId) {
              throw new Error(`the stack's release id ${ctx.inputs.releaseId} is not the one computed for the staged app (${ctx.apps.base.releaseId})`);
            }
          }
        } else {
          const file = vars(want.processes, want.app);
          step = await measured(h, () => (side === "ansible" ? runAnsible(ctx.venv, target[side], file, ctx.work) : runPyinfra(ctx.venv, target[side], file)));
        }
        round_.steps[side][phase] = { seconds: step.seconds, connections: step.connections, commands: step.commands, changed: step.changed };
        log(
          `${tag} round ${index}${warmup ? " (warm-up)" : ""} ${phase} ${side}: ${step.seconds}s, ${step.connections} SSH logins, ${step.commands} commands, ${step.changed} changed`,
        );
        await waitHttp(h, "http://127.0.0.1/healthz", 60);
        // Per side: what its phase must (not) have done.
        if (phase === "noop") {
          const files = await changedFiles(h);
          const now = await running(h);
          const b = before[side]!;
          const same = now.master === b.master && now.nginx === b.nginx && now.workers.join() === b.workers.join();
          if (files.length || !same || step.changed !== 0) {
            throw new Error(
              `${side}: the no-op changed something: ${step.changed} reported, files ${files.join(", ") || "none"}, processes ${same ? "same" : `${JSON.stringify(b)} → ${JSON.stringify(now)}`}`,
            );
          }
        }
        if (phase === "config" || phase === "code") {
          const now = await waitWorkers(h, 8);
          if (now.master !== before[side]!.master || now.workers.length !== 8) {
            throw new Error(`${side}: ${phase} was not a graceful reload: master ${before[side]!.master} → ${now.master}, ${now.workers.length} workers`);
          }
        }
        if (phase === "config" && side === "flaskstack" && warmup && ctx.inputs) {
          // The peers' template at 8 must be the file the stack writes at 8.
          const ini = await hostExec(h, "cat /etc/sample/uwsgi.ini");
          if (ini !== renderIni(ctx.inputs.iniTemplate, 8)) throw new Error("the peers' uwsgi.ini at processes 8 differs from the stack's");
        }
      }
      // The three hosts against each other.
      const [pf, pa, pp] = await Promise.all(SIDES.map((s) => pages(hostOf[s])));
      if (pf !== pa || pf !== pp) throw new Error(`${phase}: the pages differ:\n--- flaskstack\n${pf}\n--- ansible\n${pa}\n--- pyinfra\n${pp}`);
      const [ff, fa, fp] = await Promise.all(SIDES.map((s) => footprint(hostOf[s])));
      if (ff !== fa || ff !== fp) throw new Error(`${phase}: what is on the hosts differs:\n--- flaskstack\n${ff}\n--- ansible\n${fa}\n--- pyinfra\n${fp}`);
      if (phase === "code" && !pf.includes(CHANGED_LINE.trim())) throw new Error("code: the new page is not served");
      round_.checks.push(`${phase}: same pages and files on the three hosts`);
    }
    return round_;
  } finally {
    await dropStack(stack);
    await Promise.all(relays.map((r) => r.close()));
    await removeBenchHosts(hosts);
  }
}

// ---- what-ifs on one deployed stack ---------------------------------------------------------------

/**
 * Where flaskstack's no-op and change time goes, on one fresh host deployed once: the CLI alone, the
 * preview, the compile after an edit to the program, and the command plugin's start. Each
 * variant runs `runs` times, interleaved.
 */
export async function whatIfs(ctx: Context, runs: number): Promise<WhatIf[]> {
  const hosts = await startBenchHosts("vm", 1, "peers-whatif");
  const [h] = hosts;
  let stack: Stack | undefined;
  const out = new Map<string, number[]>();
  const add = (label: string, s: number) => out.set(label, [...(out.get(label) ?? []), s]);
  // The edits below go back afterwards, compiled, so the rounds that follow start from the same program.
  const program = path.join(ctx.snap.dir, "index.ts");
  const original = fs.readFileSync(program, "utf8");
  try {
    const stackName = uniqueStackName("bench-peers-whatif");
    stack = await projectStack(stackName, { ...hostConfig(h), processes: { value: "4" }, appDir: { value: ctx.apps.base.dir } }, ctx.snap.stackDir);
    await pulumiCli(["up"], stackName, { cwd: ctx.snap.stackDir });
    const run = (args: string[], env: Record<string, string> = {}) => pulumiCli(args, stackName, { cwd: ctx.snap.stackDir, env });
    const plugin = commandPluginPath();
    for (let i = 0; i < runs; i++) {
      log(`peers what-ifs run ${i + 1}/${runs}`);
      add("`pulumi version` (CLI start alone)", (await timedRun("pulumi", ["version"], { env: {} })).seconds);
      if (plugin) add("command plugin: start until it listens", await pluginStart(plugin));
      add("no-op `pulumi up`, as shipped (preview + update)", (await run(["up"])).seconds);
      add("no-op `pulumi preview`, as shipped", (await run(["preview"])).seconds);
      add("no-op `pulumi up --skip-preview`", (await run(["up", "--skip-preview"])).seconds);
      // An edited program is type-checked and compiled once, by the preview's run, before it runs.
      fs.appendFileSync(program, `// edit ${i}\n`);
      add("no-op `pulumi up` right after an edit to index.ts (compiles first)", (await run(["up"])).seconds);
      // The change path: 4 → 8 as shipped, then 8 → 4 with --skip-preview.
      await stack.setConfig("processes", { value: "8" });
      const mark = await journalMark(h);
      add("config change `pulumi up`, as shipped", (await run(["up"])).seconds);
      const act = await activitySince(h, mark);
      add("config change: SSH logins (as shipped)", act.connections);
      await stack.setConfig("processes", { value: "4" });
      add("config change `pulumi up --skip-preview`", (await run(["up", "--skip-preview"])).seconds);
    }
    return [...out.entries()].map(([label, samples]) => ({ label, samples }));
  } finally {
    fs.writeFileSync(program, original);
    await runOk(process.execPath, [path.join(ctx.snap.dir, "scripts", "build.js")]);
    await dropStack(stack);
    await removeBenchHosts(hosts);
  }
}

function commandPluginPath(): string | undefined {
  const home = process.env.PULUMI_HOME ?? "";
  const plugins = path.join(home, "plugins");
  if (!fs.existsSync(plugins)) return undefined;
  for (const d of fs.readdirSync(plugins).filter((n) => n.startsWith("resource-command-"))) {
    const p = path.join(plugins, d, "pulumi-resource-command");
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Seconds from starting the resource plugin until it prints the port it listens on (then it is killed). */
function pluginStart(binary: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(binary, ["127.0.0.1:1"], { stdio: ["ignore", "pipe", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.once("data", () => {
      const s = round(Number(process.hrtime.bigint() - t0) / 1e9, 3);
      child.kill("SIGKILL");
      clearTimeout(timer);
      resolve(s);
    });
    child.on("error", reject);
    child.on("close", () => clearTimeout(timer));
  });
}

// ---- the measurement -----------------------------------------------------------------------------

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

function peersResult(data: PeersData, m: Machine, runs: number, durationSec: number, partial: boolean): Result {
  const rows: Row[] = [];
  for (const v of data.variants) {
    const rounds = v.rounds.filter((r) => !r.warmup);
    const suffix = v.delayMs ? ` (+${v.delayMs} ms SSH round trip)` : "";
    for (const f of phaseFigures(v)) {
      rows.push({
        metric: `${PHASE_LABEL[f.phase]}${suffix}: flaskstack (s)`,
        unit: "s",
        samples: rounds.map((r) => r.steps.flaskstack[f.phase]!.seconds),
        reference: { label: `faster peer: ${f.peer}`, samples: rounds.map((r) => r.steps[f.peer][f.phase]!.seconds) },
        ratio: round(f.interval.ratio, 2),
        goal: `≤ ${f.goal}× faster peer`,
        // Judged on the whole interval only for the main variant; the delay variants are informational.
        met: v.delayMs ? null : f.verdict === "met",
        note: `95 % interval ${f.interval.low.toFixed(2)}–${f.interval.high.toFixed(2)} (${f.verdict})`,
      });
    }
  }
  const main = data.variants[0];
  const previews = main.rounds.filter((r) => !r.warmup && r.preview).map((r) => r.preview!.seconds);
  if (previews.length) rows.push({ metric: "`pulumi preview`, nothing to change (s)", unit: "s", samples: previews, goal: "(informational)", met: null });
  return {
    name: "peers",
    title: "8. Peers: flaskstack, Ansible and pyinfra doing the same deploy (vm)",
    runs,
    machine: m,
    durationSec,
    rows,
    sections: peerSections(data),
    notes: [
      `Program: the root program as committed (${data.commit.slice(0, 12)}), run by the CLI in bench/stack: \`pulumi up --yes\` (its preview included) and \`pulumi preview\`. Peers: ${data.versions["ansible-core"]}, ${data.versions.pyinfra}, installed by bench/peers/install.sh; ${data.versions.pulumi ? `pulumi ${data.versions.pulumi}` : ""}.`,
      "Each round: three fresh `vm` hosts started together, one per side; phases cold → no-op → config (processes 4 → 8) → code (new release), each phase running the three sides back to back in the round's order (seeded shuffle, recorded below). Round 0 is a warm-up (stack first, its host gives the peers their files) and is not counted.",
      "Checked after every phase: GET / and /healthz through nginx give the same bodies on the three hosts (worker pid and hostname masked), and the config files (sha256, owner, mode), links, release files, venv packages and Debian packages are the same; the no-op changed no file and no process (uWSGI master and workers, nginx master) and each tool reported 0 changes; config and code changes kept the uWSGI master (graceful) and ended with 8 workers; the code change serves the new page.",
      "Ratio: flaskstack's median ÷ the faster peer's median in the same rounds; the interval is a paired bootstrap (rounds resampled, 10,000 resamples, seed 1) of the ratio of medians. A goal is met when the whole interval is under it, missed when the whole interval is over it, unclear otherwise (reported as not met).",
      "SSH logins and remote commands are counted on each host from sshd's journal (as in the other measurements). Ansible runs with pipelining and one ControlPersist master per run (a fresh control directory each run, closed afterwards); pyinfra keeps one paramiko connection per run.",
      "Delay variants: the kernel of this machine has no netem (CONFIG_NET_SCH_NETEM is not set, no modules), so `tc qdisc … netem` cannot delay the hosts' traffic; instead each side reaches its host through a loopback relay (bench/lib/delay.ts) that holds every chunk half the round trip in each direction. Only the SSH path is delayed (apt and pip from the host are not).",
      ...(partial ? ["**Partial: written after a round while the measurement was still running.**"] : []),
      ...data.notes,
    ],
    peers: data,
  };
}
