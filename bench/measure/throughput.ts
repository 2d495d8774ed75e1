/**
 * 4. Served throughput: the deployed stack under load, measured inside the host (wrk → 127.0.0.1),
 * for nginx → uWSGI (unix socket) and nginx → Gunicorn (unix socket), against
 *   (a) the best of a small grid of hand-tuned server settings: the deployed program, run by the same
 *       supervisor BEHIND THE SAME NGINX SITE, with the deployed config file changed in place so that
 *       only its worker/thread settings differ — like compared with like;
 *   (b) the Flask development server (`flask run`, threaded) on 127.0.0.1:5000, without nginx: what
 *       serving the app without the stack looks like.
 * All load runs share one wrk setting (DEFAULT_LOAD) and fetch `/` (the app's template page).
 */
import { HostKind } from "../../test/hosts/harness";
import { log, machine, mdTable, median, Result, round, Row, secondsSince } from "../lib/common";
import { dropStack, rootStack, timedUp } from "../lib/deploy";
import { hostExec, removeBenchHosts, shq, startBenchHosts, TestHost } from "../lib/hosts";
import { DEFAULT_LOAD, installWrk, LoadSample, LoadSettings, measure, startUnit, stopUnit, waitHttp } from "../lib/load";
import { Stack } from "@pulumi/pulumi/automation";

export type Server = "uwsgi" | "gunicorn";

export interface Combo {
  processes: number;
  threads: number;
}

/** The hand-tuning grid (≤ 6 settings per server). */
export const GRID: Combo[] = [2, 4, 8].flatMap((processes) => [1, 4].map((threads) => ({ processes, threads })));

/** A setting outside the grid, measured to quantify a choice of the defaults (never counted as the best). */
export interface WhatIf {
  label: string;
  combo: Combo;
  /** Extra sed expressions applied to the deployed config file (restored afterwards). */
  sed: string[];
  /** sed expressions for the nginx site while this runs (it is restored and nginx reloaded after). */
  site?: string[];
}

/** The defaults flaskstack shipped before processes followed cores: 2 × cores + 1 workers. */
export const previousWorkers = (cores: number): number => 2 * cores + 1;

/**
 * uWSGI, under supervisor: the deployed config with uWSGI's request logging back on (what
 * `logRequests: true` renders), and the previous defaults (2 × cores + 1 processes of 2 threads,
 * request logging on).
 */
export function uwsgiWhatIfs(deployed: Combo, cores: number): WhatIf[] {
  const logging = ["/^disable-logging = /d"];
  return [
    { label: "what-if: request logging on (`logRequests: true`)", combo: deployed, sed: logging },
    {
      label: "what-if: the previous defaults (2 × cores + 1 processes, 2 threads, request logging on)",
      combo: { processes: previousWorkers(cores), threads: 2 },
      sed: logging,
    },
  ];
}

/**
 * Gunicorn, under supervisor: the deployed config with an access log file (`accessLog: <path>`); on TCP
 * 127.0.0.1:8000 instead of the unix socket (`bind: { kind: "tcp" }`, nginx's upstream changed to match);
 * and the previous defaults (2 × cores + 1 sync workers, access log on, TCP).
 */
export function gunicornWhatIfs(deployed: Combo, cores: number): WhatIf[] {
  const logging = ['s|^accesslog = .*|accesslog = "/var/log/sample/gunicorn.access.log"|'];
  // sed's `\n` in a replacement is a newline: the TCP bind gains its reuse_port line and loses the umask.
  const tcp = ['s|^bind = .*|bind = ["127.0.0.1:8000"]\\nreuse_port = True|', "/^umask = /d"];
  const tcpSite = ["s|server unix:/run/sample/gunicorn.sock|server 127.0.0.1:8000|"];
  return [
    { label: "what-if: access log on (`accessLog: <path>`)", combo: deployed, sed: logging },
    { label: 'what-if: TCP instead of the unix socket (`bind: { kind: "tcp" }`)', combo: deployed, sed: tcp, site: tcpSite },
    {
      label: "what-if: the previous defaults (2 × cores + 1 sync workers, access log on, TCP)",
      combo: { processes: previousWorkers(cores), threads: 1 },
      sed: [...logging, ...tcp],
      site: tcpSite,
    },
  ];
}

const SITE = "/etc/nginx/sites-available/sample";

export interface Measured {
  label: string;
  settings: string;
  samples: LoadSample[];
}

export interface ServerResult {
  server: Server;
  defaults: Measured;
  /** Settings outside the grid that quantify a possible fix. */
  whatIfs: Measured[];
  grid: Measured[];
  best: Measured;
}

const CONFIG = { uwsgi: "/etc/sample/uwsgi.ini", gunicorn: "/etc/sample/gunicorn.conf.py" };

/** The deployed settings (processes/workers and threads) read back from the config file. */
async function deployedCombo(h: TestHost, server: Server): Promise<Combo> {
  const text = await hostExec(h, `cat ${CONFIG[server]}`);
  const num = (key: string) => Number(new RegExp(`^${key}\\s*=\\s*(\\d+)`, "m").exec(text)?.[1]);
  return server === "uwsgi" ? { processes: num("processes"), threads: num("threads") } : { processes: num("workers"), threads: num("threads") };
}

/** The deployed config with only the worker/thread settings changed (and `extra` sed expressions). */
function tunedConfigScript(server: Server, c: Combo, out: string, extra: string[] = []): string {
  const src = CONFIG[server];
  const exprs =
    server === "uwsgi"
      ? [`s/^processes = .*/processes = ${c.processes}/`, `s/^threads = .*/threads = ${c.threads}/`]
      : [
          `s/^workers = .*/workers = ${c.processes}/`,
          `s/^threads = .*/threads = ${c.threads}/`,
          `s/^worker_class = .*/worker_class = "${c.threads > 1 ? "gthread" : "sync"}"/`,
        ];
  return `sed ${[...exprs, ...extra].map((e) => `-e ${shq(e)}`).join(" ")} ${src} > ${out}`;
}

export const comboLabel = (server: Server, c: Combo): string =>
  server === "uwsgi" ? `processes=${c.processes} threads=${c.threads}` : `workers=${c.processes} threads=${c.threads} (${c.threads > 1 ? "gthread" : "sync"})`;

/** Deployed defaults behind nginx, then every grid setting and what-if under the same supervisor, behind the same nginx. */
export async function measureServer(
  h: TestHost,
  server: Server,
  runs: number,
  grid: Combo[],
  load: LoadSettings,
  whatIfs: (deployed: Combo, cores: number) => WhatIf[] = () => [],
): Promise<ServerResult> {
  const url = "http://127.0.0.1/";
  const deployed = await deployedCombo(h, server);
  const cores = Number((await hostExec(h, "nproc")).trim());
  log(`throughput ${server}: deployed defaults (${comboLabel(server, deployed)})`);
  const defaults: Measured = { label: "deployed defaults", settings: comboLabel(server, deployed), samples: await measure(h, url, runs, load) };

  await hostExec(h, "supervisorctl stop sample >/dev/null");
  const results: Measured[] = [];
  const extra: Measured[] = [];
  const supervised = async (w: WhatIf): Promise<Measured> => {
    const conf = CONFIG[server];
    const saved = `${conf}.bench-saved`;
    const changed = `/tmp/bench-${server}.conf`;
    // The changed text goes INTO the deployed file, so its owner and mode stay as deployed.
    await hostExec(h, `cp -p ${conf} ${saved} && ${tunedConfigScript(server, w.combo, changed, w.sed)} && cat ${changed} > ${conf}`);
    if (w.site) {
      await hostExec(
        h,
        `cp -p ${SITE} ${SITE}.bench-saved && sed -i ${w.site.map((e) => `-e ${shq(e)}`).join(" ")} ${SITE} && nginx -t -q && systemctl reload nginx`,
      );
    }
    log(`throughput ${server}: ${w.label} ${comboLabel(server, w.combo)}`);
    try {
      await hostExec(h, "supervisorctl start sample >/dev/null");
      await waitHttp(h, url, 120);
      return { label: w.label, settings: comboLabel(server, w.combo), samples: await measure(h, url, runs, load) };
    } finally {
      await hostExec(h, `supervisorctl stop sample >/dev/null; cat ${saved} > ${conf} && rm -f ${saved} ${changed}`);
      if (w.site) await hostExec(h, `cat ${SITE}.bench-saved > ${SITE} && rm -f ${SITE}.bench-saved && nginx -t -q && systemctl reload nginx`);
    }
  };
  try {
    for (const c of grid) results.push(await supervised({ label: "hand-tuned", combo: c, sed: [] }));
    for (const w of whatIfs(deployed, cores)) extra.push(await supervised(w));
  } finally {
    await hostExec(h, "supervisorctl start sample >/dev/null || true");
  }
  const best = results.reduce((a, b) => (median(b.samples.map((s) => s.rps)) > median(a.samples.map((s) => s.rps)) ? b : a));
  return { server, defaults, whatIfs: extra, grid: results, best };
}

/** The Flask development server (threaded, its default) on 127.0.0.1:5000, straight from the venv. */
export async function measureDevServer(h: TestHost, runs: number, load: LoadSettings): Promise<Measured> {
  log("throughput: Flask development server");
  await startUnit(h, "bench-devserver", ["/srv/sample/venv/bin/flask", "--app", "sample:create_app()", "run", "--host", "127.0.0.1", "--port", "5000"], {
    user: "sample",
    directory: "/srv/sample/current",
    logFile: "/var/log/sample/bench-devserver.log",
  });
  try {
    await waitHttp(h, "http://127.0.0.1:5000/", 120);
    return { label: "Flask development server", settings: "flask run (threaded)", samples: await measure(h, "http://127.0.0.1:5000/", runs, load) };
  } finally {
    await stopUnit(h, "bench-devserver");
  }
}

const rps = (m: Measured) => median(m.samples.map((s) => s.rps));
const p99 = (m: Measured) => median(m.samples.map((s) => s.p99));

export function throughputRows(results: ServerResult[], dev: Measured, prefix = ""): Row[] {
  const rows: Row[] = [];
  for (const r of results) {
    const name = r.server === "uwsgi" ? "nginx → uWSGI (unix socket)" : "nginx → Gunicorn (unix socket)";
    const rpsRatio = round(rps(r.defaults) / rps(r.best), 2);
    const p99Ratio = round(p99(r.defaults) / p99(r.best), 2);
    const devRatio = round(rps(r.defaults) / rps(dev), 2);
    rows.push(
      {
        metric: `${prefix}${name}, defaults (${r.defaults.settings}): req/s`,
        unit: "req/s",
        samples: r.defaults.samples.map((s) => s.rps),
        reference: { label: `best hand-tuned: ${r.best.settings}`, samples: r.best.samples.map((s) => s.rps) },
        ratio: rpsRatio,
        goal: "≥ 0.9× best hand-tuned",
        met: rpsRatio >= 0.9,
      },
      {
        metric: `${prefix}${name}, defaults: p99 latency (ms)`,
        unit: "ms",
        samples: r.defaults.samples.map((s) => s.p99),
        reference: { label: `best hand-tuned: ${r.best.settings}`, samples: r.best.samples.map((s) => s.p99) },
        ratio: p99Ratio,
        goal: "≤ 1.2× best hand-tuned p99",
        met: p99Ratio <= 1.2,
      },
      {
        metric: `${prefix}${name}, defaults: req/s vs dev server`,
        unit: "req/s",
        samples: r.defaults.samples.map((s) => s.rps),
        reference: { label: "Flask development server", samples: dev.samples.map((s) => s.rps) },
        ratio: devRatio,
        goal: "≥ 5× dev server",
        met: devRatio >= 5,
      },
      ...r.whatIfs.map((w) => ({
        metric: `${prefix}${name}, ${w.label}: req/s (p99 ${round(p99(w), 1)} ms)`,
        unit: "req/s",
        samples: w.samples.map((s) => s.rps),
        reference: { label: `best hand-tuned: ${r.best.settings}`, samples: r.best.samples.map((s) => s.rps) },
        ratio: round(rps(w) / rps(r.best), 2),
        goal: `(informational; ${round(rps(w) / rps(dev), 2)}× dev server)`,
        met: null,
      })),
    );
  }
  return rows;
}

export function gridSection(results: ServerResult[], dev: Measured, heading = "Every load run (medians over runs)"): { heading: string; body: string } {
  const line = (server: string, m: Measured) => [
    server,
    m.label,
    m.settings,
    round(rps(m), 1),
    round(median(m.samples.map((s) => s.p50)), 2),
    round(p99(m), 2),
    m.samples.reduce((a, s) => a + s.errors, 0),
  ];
  return {
    heading,
    body: mdTable(
      ["server", "what", "settings", "req/s", "p50 (ms)", "p99 (ms)", "errors"],
      [
        ...results.flatMap((r) => [line(r.server, r.defaults), ...r.grid.map((g) => line(r.server, g)), ...r.whatIfs.map((g) => line(r.server, g))]),
        line("flask", dev),
      ],
    ),
  };
}

/** Where the CPU went during the last run of each setting: cores per process inside the host. */
export function cpuSection(
  results: ServerResult[],
  dev: Measured,
  heading = "Profile: CPU per process during the last run of each setting (cores)",
): { heading: string; body: string } {
  const all: [string, Measured][] = [
    ...results.flatMap((r) => [
      [r.server, r.defaults] as [string, Measured],
      ...r.grid.map((g) => [r.server, g] as [string, Measured]),
      ...r.whatIfs.map((g) => [r.server, g] as [string, Measured]),
    ]),
    ["flask", dev],
  ];
  const names = new Set<string>();
  for (const [, m] of all) for (const [k, v] of Object.entries(m.samples[m.samples.length - 1]?.cpu?.byProcess ?? {})) if (v >= 0.05) names.add(k);
  const cols = [...names].sort();
  const rows = all.map(([server, m]) => {
    const p = m.samples[m.samples.length - 1]?.cpu;
    const shown = cols.map((c) => (p ? round(p.byProcess[c] ?? 0, 2) : "–"));
    const rest = p
      ? round(
          Object.entries(p.byProcess)
            .filter(([k]) => !names.has(k))
            .reduce((a, [, v]) => a + v, 0),
          2,
        )
      : "–";
    return [server, `${m.label}: ${m.settings}`, round(m.samples[m.samples.length - 1]?.rps ?? NaN, 0), ...shown, rest, p ? p.machineBusyCores : "–"];
  });
  return {
    heading,
    body:
      "CPU seconds per second of each process name inside the host (summed over its processes and threads), sampled over the last run of each setting from 1 s after its start to 1 s before its end; `machine` is every busy core of the whole machine in that window (other containers and other people's work included).\n\n" +
      mdTable(["server", "setting", "req/s (that run)", ...cols, "other", "machine"], rows),
  };
}

export function loadNote(load: LoadSettings, runs: number): string {
  return `Load: \`wrk -t${load.threads} -c${load.connections} -d${load.seconds}s --latency http://127.0.0.1/\` inside the host (wrk from apt), ${load.warmupSeconds} s warm-up per setting, ${runs} measured run(s) per setting; medians over runs. wrk shares the host's cores with the server, equally for every setting.`;
}

export function loadFromEnv(): LoadSettings {
  const n = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
  return {
    threads: n("BENCH_WRK_THREADS", DEFAULT_LOAD.threads),
    connections: n("BENCH_WRK_CONNECTIONS", DEFAULT_LOAD.connections),
    seconds: n("BENCH_WRK_SECONDS", DEFAULT_LOAD.seconds),
    warmupSeconds: n("BENCH_WRK_WARMUP", DEFAULT_LOAD.warmupSeconds),
  };
}

/** Deploys the root stack with `server` on each host (concurrently; not measured) and installs wrk. */
export async function deployForLoad(kind: HostKind, servers: Server[], tag: string): Promise<{ hosts: TestHost[]; stacks: Stack[] }> {
  const hosts = await startBenchHosts(kind, servers.length, tag);
  const stacks: Stack[] = [];
  try {
    await Promise.all(
      servers.map(async (server, i) => {
        const stack = await rootStack(`${tag}-${server}`, hosts[i], { server: { value: server } });
        stacks.push(stack);
        log(`${tag}: deploying ${server} onto ${hosts[i].name} (not measured)`);
        await timedUp(stack);
        await installWrk(hosts[i]);
        await waitHttp(hosts[i], "http://127.0.0.1/", 120);
      }),
    );
  } catch (e) {
    await Promise.all(stacks.map(dropStack));
    await removeBenchHosts(hosts);
    throw e;
  }
  return { hosts, stacks };
}

export async function throughput(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  const load = loadFromEnv();
  const servers: Server[] = ["uwsgi", "gunicorn"];
  const { hosts, stacks } = await deployForLoad("vm", servers, "load");
  try {
    const results: ServerResult[] = [];
    for (let i = 0; i < servers.length; i++) {
      results.push(await measureServer(hosts[i], servers[i], runs, GRID, load, servers[i] === "gunicorn" ? gunicornWhatIfs : uwsgiWhatIfs));
    }
    const dev = await measureDevServer(hosts[0], runs, load);
    m.loadAtEnd = (await machine()).loadAtStart;
    return {
      name: "throughput",
      title: "4. Served throughput (vm)",
      runs,
      machine: m,
      durationSec: secondsSince(t0),
      rows: throughputRows(results, dev),
      sections: [gridSection(results, dev), cpuSection(results, dev)],
      notes: [
        "Two fresh `vm` hosts: the root stack with `server = uwsgi` (uWSGI from apt, unix socket, `uwsgi_pass`) on one and `server = gunicorn` (unix socket in /run/sample, `proxy_pass`) on the other, defaults everywhere; they are measured one after the other, never at the same time.",
        `Hand-tuned: the deployed program, started by the same supervisor behind the same nginx site, with the deployed config file changed in place so that only processes/threads (uWSGI) or workers/threads/worker_class (Gunicorn) differ. Grid: ${GRID.map((c) => `${c.processes}×${c.threads}`).join(", ")} (processes × threads); the best is the highest median req/s. (Run by hand as a transient systemd unit instead, the same Gunicorn settings measured about 15% faster than under supervisor in one run and no faster in another; running both the same way keeps the comparison like for like.)`,
        "What-if rows, run the same way: uWSGI's request logging back on (`logRequests: true`; each line then goes through supervisord's pipe to the log file) and Gunicorn's access log on (`accessLog`); Gunicorn on TCP 127.0.0.1:8000 with nginx's upstream changed to match; and the previous defaults, 2 × cores + 1 processes (uWSGI: 2 threads, request logging on; Gunicorn: sync workers, access log on, TCP). They show what each default costs or saves, and are never counted as the best hand-tuned setting.",
        "Development server: `flask --app 'sample:create_app()' run` from the deployed venv and release (threaded, Werkzeug's default), fetched directly on 127.0.0.1:5000 — without the stack there is no nginx in front.",
        loadNote(load, runs),
      ],
    };
  } finally {
    await Promise.all(stacks.map(dropStack));
    await removeBenchHosts(hosts);
  }
}
