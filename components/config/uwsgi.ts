/**
 * uWSGI: arguments → fully resolved settings (pure). Rendered by `renderUwsgiIni`.
 */
import { AppResolveContext, envLoaderPath, ResolveContext } from "./app";
import { wsgiEntryToString } from "./entry";
import { throwIfInvalid } from "./errors";
import { DEFAULT_WORKER_THREADS, defaultWorkerCount, HostFacts } from "./facts";
import { Listener, withHandoff } from "./listener";
import { SupervisedSettings } from "./server";
import { absolutePathRule, eachRule, hostRule, intRangeRule, oneOfRule, portRule, safeNameRule, rule } from "./validate";

/**
 * Threads per worker with Debian's uWSGI (2.0.21 in bookworm and Raspberry Pi OS). At a graceful reload
 * it stops a threaded worker's threads with `pthread_cancel`, which now and then leaves the worker a
 * zombie the master waits for until `workerReloadMercy`: every request waits meanwhile. Measured on a
 * 2-core test VM, 4 workers under loopback load, one `r` reload every 3 s: with 4 threads 3 of 40
 * reloads stalled for about 30 s; with 1 thread 0 of 40. uWSGI 2.0.25 and later stop threads without
 * `pthread_cancel` (pip's 2.0.31: 0 of 40 with 4 threads).
 */
export const APT_UWSGI_THREADS = 1;

/** Whether these settings run Debian's uWSGI with threaded workers, whose graceful reload can stall (see `APT_UWSGI_THREADS`). */
export function reloadCanStall(s: Pick<UwsgiSettings, "source" | "threads">): boolean {
  return s.source === "apt" && s.threads > 1;
}

/** Where uWSGI listens. */
export type UwsgiSocketArgs =
  | {
      /** uwsgi protocol on a unix socket (the default; fastest behind nginx on the same host). */
      readonly kind: "uwsgi-unix";
      /** @default `<runDir>/<app>.sock` */
      readonly path?: string;
      /** `chmod-socket`. @default 0o660 (owner and group may connect, nobody else) */
      readonly mode?: number;
      /** `chown-socket` group: the group nginx runs as, so it may connect. @default "www-data" */
      readonly group?: string;
    }
  | {
      /**
       * `uwsgi-tcp`: uwsgi protocol on TCP (`uwsgi_pass`); `http-socket`: plain HTTP spoken by the
       * workers (`proxy_pass`); `http`: uWSGI's standalone HTTP router, for facing clients WITHOUT nginx
       * (NginxSite refuses it).
       */
      readonly kind: "uwsgi-tcp" | "http-socket" | "http";
      /** @default "127.0.0.1" */
      readonly host?: string;
      /** @default 8001 */
      readonly port?: number;
    };

/** Resolved socket. A unix socket carries owner, group and mode so NginxSite can check access. */
export type UwsgiSocket =
  | { readonly kind: "uwsgi-unix"; readonly path: string; readonly owner: string; readonly group: string; readonly mode: number }
  | { readonly kind: "uwsgi-tcp" | "http-socket" | "http"; readonly host: string; readonly port: number };

/** uWSGI's stats server (JSON over a socket, read by `uwsgitop`). */
export type UwsgiStatsArgs =
  | {
      readonly kind: "unix";
      /** @default `<runDir>/stats.sock` */
      readonly path?: string;
    }
  | {
      readonly kind: "tcp";
      /** @default "127.0.0.1" */
      readonly host?: string;
      readonly port: number;
    };

export type UwsgiStats = { readonly kind: "unix"; readonly path: string } | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** What to load: a module (`module = pkg.wsgi:app`) or a file (`wsgi-file` + `callable`). */
export type UwsgiApp = { readonly kind: "module"; readonly module: string } | { readonly kind: "wsgi-file"; readonly path: string; readonly callable: string };

export interface UwsgiArgs {
  /**
   * Where uWSGI comes from: `pip` into the app's venv (Python built in), or Debian's `uwsgi-core` +
   * `uwsgi-plugin-python3` (needs `plugins = python3`).
   * @default "pip"
   */
  readonly source?: "pip" | "apt";
  /** @default `{ kind: "uwsgi-unix" }`: `<runDir>/<app>.sock`, mode 660, group www-data */
  readonly socket?: UwsgiSocketArgs;
  /**
   * Load this file instead of the entry's module (`wsgi-file`); the entry's callable names the app.
   * @default unset: `module = <entry>`
   */
  readonly wsgiFile?: string;
  /** Worker processes. @default `defaultWorkerCount(facts)`: one per core, capped by memory (see facts.ts) */
  readonly processes?: number;
  /**
   * Threads per worker. With `source: "apt"` one: Debian's uWSGI now and then stalls every request
   * while it reloads threaded workers (see `APT_UWSGI_THREADS`); more threads there draw a warning.
   * @default 4 (`DEFAULT_WORKER_THREADS`); 1 with `source: "apt"`
   */
  readonly threads?: number;
  /**
   * Log every request (uWSGI's request logging); errors and worker events are logged either way.
   * @default false behind nginx: nginx's access log already records every request, and uWSGI's own line per
   * request, relayed by supervisor to the log file, costs about a sixth of the throughput (bench/RESULTS.md);
   * true with `socket.kind` "http" (clients reach uWSGI without nginx)
   */
  readonly logRequests?: boolean;
  /**
   * Largest request header block uWSGI accepts, in bytes (max 65535).
   * @default 32768: uWSGI's own 4096 answers "invalid request block size" (nginx: 502) to requests with
   * big cookies or long query strings; 32768 matches nginx's largest default header buffers (4 × 8k).
   */
  readonly bufferSize?: number;
  /**
   * Buffer request bodies larger than this many bytes before the app reads them; 0 disables.
   * @default 0: behind nginx the body is already buffered (`uwsgi_request_buffering` / `proxy_request_buffering`
   * are on by default), so workers never wait on slow uploads; a second buffer in uWSGI would only copy it again.
   */
  readonly postBuffering?: number;
  /** Kill a worker stuck on one request for longer than this many seconds; 0 disables. @default 30 */
  readonly harakiri?: number;
  /** Load the app in each worker instead of the master (needed for chain reload). @default false */
  readonly lazyApps?: boolean;
  /** Recycle a worker after this many requests; 0 disables. @default 0 */
  readonly maxRequests?: number;
  /** Socket listen backlog (`listen`); must not exceed the kernel's somaxconn. @default 100 */
  readonly listenQueue?: number;
  /** Stats server. @default off */
  readonly stats?: UwsgiStatsArgs;
  /** Serve stats as HTTP (`stats-http`) instead of raw JSON. @default false */
  readonly statsHttp?: boolean;
  /** Extra import paths. @default `[appDir]` */
  readonly pythonpath?: readonly string[];
  /** Fail on unknown options (`strict`), so a typo cannot silently change behaviour. @default true */
  readonly strict?: boolean;
  /**
   * Seconds a worker gets to finish on reload or shutdown before uWSGI kills it (`worker-reload-mercy`).
   * @default harakiri (30), or 30 when harakiri is off: no request may run longer anyway, and uWSGI's own 60
   * would outlast supervisor's wait, so supervisor would KILL the master before it cleans up
   */
  readonly workerReloadMercy?: number;
  /** Seconds supervisor waits after TERM before KILL. @default workerReloadMercy + 5: uWSGI ends stuck workers first */
  readonly stopWaitSecs?: number;
}

export interface UwsgiSettings extends SupervisedSettings {
  readonly source: "pip" | "apt";
  /** `<venv>/bin/uwsgi` (pip) or `/usr/bin/uwsgi` (apt). */
  readonly binary: string;
  /** `["python3"]` for apt, `[]` for pip. */
  readonly plugins: readonly string[];
  readonly app: UwsgiApp;
  readonly chdir: string;
  /** The venv (`home`). */
  readonly home: string;
  readonly pythonpath: readonly string[];
  /** Run before the app is imported (`pyimport`): the app's environment loader (see `envLoaderPath`). */
  readonly pyimport: readonly string[];
  readonly master: boolean;
  readonly processes: number;
  readonly threads: number;
  /** Always true: lets app code start threads (Sentry, schedulers) even with `threads = 1`. */
  readonly enableThreads: boolean;
  /** `disable-logging` when false. */
  readonly logRequests: boolean;
  readonly bufferSize: number;
  readonly postBuffering: number;
  readonly harakiri: number;
  readonly lazyApps: boolean;
  readonly maxRequests: number;
  readonly listenQueue: number;
  readonly workerReloadMercy: number;
  /** Always true: remove sockets and the pid file on exit. */
  readonly vacuum: boolean;
  /** Always true: SIGTERM shuts uWSGI down (without it, uWSGI 2.0 reloads on TERM and supervisor cannot stop it). */
  readonly dieOnTerm: boolean;
  /** Always true: exit when the app fails to import instead of serving "no python application found". */
  readonly needApp: boolean;
  readonly strict: boolean;
  /** The app user/group uWSGI drops to after binding and chowning its socket as root. */
  readonly uid: string;
  readonly gid: string;
  readonly socket: UwsgiSocket;
  readonly stats: UwsgiStats | null;
  readonly statsHttp: boolean;
  /** `<runDir>/uwsgi.pid`: `kill -HUP` gracefully reloads. */
  readonly pidfile: string;
  /** `<runDir>/uwsgi.fifo`: write `r` for a graceful reload, `c` for a chain reload (lazy-apps). */
  readonly masterFifo: string;
  /** `<configDir>/uwsgi.ini`. */
  readonly configPath: string;
  /** argv that starts uWSGI: `[binary, "--ini", configPath]`. */
  readonly command: readonly string[];
  /** "root": uWSGI starts as root to chown its socket, then drops to `uid`/`gid` itself. */
  readonly processUser: string;
  /** "TERM": with die-on-term it shuts down (QUIT would be a brutal reload in uWSGI 2.0). */
  readonly stopSignal: "TERM";
  /** What nginx connects to. */
  readonly listener: Listener;
  /** Directories that must exist before start (the run dir for sockets, pid and fifo). */
  readonly requiredDirs: readonly string[];
}

const SOCKET_KINDS = ["uwsgi-unix", "uwsgi-tcp", "http-socket", "http"] as const;

/**
 * uWSGI settings resolved from the arguments alone: every value but the one the host's facts decide,
 * `processes`, which is here only when given (`uwsgiOnHost` completes it).
 */
export type UwsgiPlan = Omit<UwsgiSettings, "processes"> & { readonly processes?: number };

/** The settings on a host: the plan, with `processes` from the host's facts unless given. */
export function uwsgiOnHost(plan: UwsgiPlan, facts: HostFacts): UwsgiSettings {
  return { ...plan, processes: plan.processes ?? defaultWorkerCount(facts) };
}

/** Resolve uWSGI settings for `ctx.app` on a host with `ctx.facts`: the plan, completed on the host. */
export function resolveUwsgi(args: UwsgiArgs, ctx: ResolveContext): UwsgiSettings {
  return uwsgiOnHost(planUwsgi(args, ctx), ctx.facts);
}

/**
 * Resolve uWSGI settings for `ctx.app` from the arguments alone (no host facts needed).
 * @throws ArgumentError naming every invalid argument.
 */
export function planUwsgi(args: UwsgiArgs, ctx: AppResolveContext): UwsgiPlan {
  const { app } = ctx;
  const socketArgs: UwsgiSocketArgs = args.socket ?? { kind: "uwsgi-unix" };
  throwIfInvalid(
    [
      oneOfRule("source", args.source, ["pip", "apt"]),
      oneOfRule("socket.kind", socketArgs.kind, SOCKET_KINDS),
      socketArgs.kind === "uwsgi-unix"
        ? [
            absolutePathRule("socket.path", socketArgs.path),
            intRangeRule("socket.mode", socketArgs.mode, 0, 0o777),
            safeNameRule("socket.group", socketArgs.group),
          ]
        : [hostRule("socket.host", socketArgs.host), portRule("socket.port", socketArgs.port)],
      absolutePathRule("wsgiFile", args.wsgiFile),
      rule(
        args.wsgiFile !== undefined && app.entry.factory,
        "wsgiFile",
        "`wsgiFile` cannot be combined with an app factory entry (`module:factory()`): name the app object, or drop `wsgiFile`",
      ),
      intRangeRule("processes", args.processes, 1, 1024),
      intRangeRule("threads", args.threads, 1, 256),
      intRangeRule("bufferSize", args.bufferSize, 4096, 65535),
      intRangeRule("postBuffering", args.postBuffering, 0, 1 << 30),
      intRangeRule("harakiri", args.harakiri, 0, 86400),
      intRangeRule("maxRequests", args.maxRequests, 0, 10_000_000),
      intRangeRule("listenQueue", args.listenQueue, 1, 65535),
      args.stats?.kind === "unix" ? absolutePathRule("stats.path", args.stats.path) : [],
      args.stats?.kind === "tcp" ? [hostRule("stats.host", args.stats.host), portRule("stats.port", args.stats.port)] : [],
      oneOfRule("stats.kind", args.stats?.kind, ["unix", "tcp"]),
      eachRule("pythonpath", args.pythonpath, absolutePathRule),
      intRangeRule("workerReloadMercy", args.workerReloadMercy, 1, 86400),
      intRangeRule("stopWaitSecs", args.stopWaitSecs, 1, 86400),
    ],
    "uWSGI",
  );

  const source = args.source ?? "pip";
  const socket = resolveSocket(socketArgs, ctx);
  const harakiri = args.harakiri ?? 30;
  const workerReloadMercy = args.workerReloadMercy ?? (harakiri > 0 ? harakiri : 30);
  const configPath = `${app.configDir}/uwsgi.ini`;
  const binary = source === "pip" ? `${app.venvDir}/bin/uwsgi` : "/usr/bin/uwsgi";
  return {
    source,
    binary,
    plugins: source === "apt" ? ["python3"] : [],
    app:
      args.wsgiFile === undefined
        ? { kind: "module", module: wsgiEntryToString(app.entry) }
        : { kind: "wsgi-file", path: args.wsgiFile, callable: app.entry.callable },
    chdir: app.appDir,
    home: app.venvDir,
    pythonpath: args.pythonpath ?? [app.appDir],
    pyimport: [envLoaderPath(app)],
    master: true,
    processes: args.processes,
    threads: args.threads ?? (source === "apt" ? APT_UWSGI_THREADS : DEFAULT_WORKER_THREADS),
    enableThreads: true,
    logRequests: args.logRequests ?? socket.kind === "http",
    bufferSize: args.bufferSize ?? 32768,
    postBuffering: args.postBuffering ?? 0,
    harakiri,
    lazyApps: args.lazyApps ?? false,
    maxRequests: args.maxRequests ?? 0,
    listenQueue: args.listenQueue ?? 100,
    workerReloadMercy,
    vacuum: true,
    dieOnTerm: true,
    needApp: true,
    strict: args.strict ?? true,
    uid: app.user,
    gid: app.group,
    socket,
    stats: resolveStats(args.stats, ctx),
    statsHttp: args.statsHttp ?? false,
    pidfile: `${app.runDir}/uwsgi.pid`,
    masterFifo: `${app.runDir}/uwsgi.fifo`,
    configPath,
    command: [binary, "--ini", configPath],
    processUser: "root",
    stopSignal: "TERM",
    stopWaitSecs: args.stopWaitSecs ?? workerReloadMercy + 5,
    listener: uwsgiListener(socket),
    requiredDirs: [app.runDir],
  };
}

function resolveSocket(socket: UwsgiSocketArgs, ctx: AppResolveContext): UwsgiSocket {
  switch (socket.kind) {
    case "uwsgi-unix":
      return {
        kind: "uwsgi-unix",
        path: socket.path ?? `${ctx.app.runDir}/${ctx.app.name}.sock`,
        owner: ctx.app.user,
        group: socket.group ?? "www-data",
        mode: socket.mode ?? 0o660,
      };
    case "uwsgi-tcp":
    case "http-socket":
    case "http":
      return { kind: socket.kind, host: socket.host ?? "127.0.0.1", port: socket.port ?? 8001 };
    default: {
      const unreachable: never = socket;
      throw new Error(`unknown uWSGI socket ${JSON.stringify(unreachable)}`);
    }
  }
}

function resolveStats(stats: UwsgiStatsArgs | undefined, ctx: AppResolveContext): UwsgiStats | null {
  if (stats === undefined) {
    return null;
  }
  return stats.kind === "unix"
    ? { kind: "unix", path: stats.path ?? `${ctx.app.runDir}/stats.sock` }
    : { kind: "tcp", host: stats.host ?? "127.0.0.1", port: stats.port };
}

/** The listener a resolved uWSGI socket gives nginx. */
export function uwsgiListener(socket: UwsgiSocket): Listener {
  switch (socket.kind) {
    case "uwsgi-unix":
      return withHandoff({
        protocol: "uwsgi",
        address: { kind: "unix", path: socket.path, permissions: { owner: socket.owner, group: socket.group, mode: socket.mode } },
      });
    case "uwsgi-tcp":
      return { protocol: "uwsgi", address: { kind: "tcp", host: socket.host, port: socket.port } };
    case "http-socket":
      return { protocol: "http", address: { kind: "tcp", host: socket.host, port: socket.port } };
    case "http":
      return { protocol: "http", address: { kind: "tcp", host: socket.host, port: socket.port }, uwsgiHttpRouter: true };
    default: {
      const unreachable: never = socket;
      throw new Error(`unknown uWSGI socket ${JSON.stringify(unreachable)}`);
    }
  }
}
