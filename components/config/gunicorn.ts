/**
 * Gunicorn: arguments → fully resolved settings (pure). Rendered by `renderGunicornConf`.
 */
import { AppResolveContext, envLoaderPath, ResolveContext } from "./app";
import { throwIfInvalid } from "./errors";
import { wsgiEntryToString } from "./entry";
import { DEFAULT_WORKER_THREADS, defaultWorkerCount, GUNICORN_WORKERS_PER_CORE, HostFacts } from "./facts";
import { httpListener, Listen, listenRules, ListenSpec, resolveListen, TcpListenArgs, UnixListenArgs } from "./listener";
import { SupervisedSettings } from "./server";
import { parentDir } from "./paths";
import { absolutePathRule, eachRule, intRangeRule, ipSourceRule, oneOfRule, rule } from "./validate";

/** Gunicorn's unix socket: its path, and the umask it creates the socket with. */
export interface GunicornUnixBindArgs extends UnixListenArgs {
  /**
   * umask applied when Gunicorn creates the socket (owner: the app user, group: the app's group).
   * @default 0 for a socket directly in the run dir: mode 777, and the run dir (mode 750, group www-data)
   * is what lets only the app and nginx reach it (Gunicorn gives the socket its own group, which nginx is
   * not in); 0o007 elsewhere: mode 770, so nginx may connect only when its user is in the app's group
   */
  readonly umask?: number;
}

export type GunicornBindArgs = TcpListenArgs | GunicornUnixBindArgs;

export type GunicornBind = Listen<"umask">;

export const GUNICORN_WORKER_CLASSES = ["sync", "gthread", "gevent"] as const;
export type GunicornWorkerClass = (typeof GUNICORN_WORKER_CLASSES)[number];
export const GUNICORN_LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

export interface GunicornArgs {
  /**
   * Where Gunicorn listens; `{ kind: "tcp" }` is 127.0.0.1:8000.
   * @default `{ kind: "unix" }`: `<runDir>/gunicorn.sock`, reachable by the app and nginx only, where any local
   * user may connect to a TCP port and set X-Forwarded-* headers Gunicorn trusts from 127.0.0.1; nginx → Gunicorn
   * also costs less per request over it than over TCP (bench/RESULTS.md)
   */
  readonly bind?: GunicornBindArgs;
  /**
   * Worker processes.
   * @default `defaultWorkerCount(facts, 2)`: two per core (a gthread worker does its HTTP work in Python under
   * its GIL, so one per core leaves the cores partly idle), capped by memory (see facts.ts)
   */
  readonly workers?: number;
  /** Threads per worker. @default 4 (`DEFAULT_WORKER_THREADS`); 1 with `workerClass` "sync" or "gevent" */
  readonly threads?: number;
  /**
   * Worker type: `sync` (one request per process), `gthread` (threads per process) or `gevent`
   * (needs the gevent package in the venv). gthread workers also keep nginx's upstream connections
   * open between requests (NginxSite's `keepalive`); sync workers close every one.
   * @default "gthread" when `threads` > 1 (as by default), else "sync"
   */
  readonly workerClass?: GunicornWorkerClass;
  /** Seconds a worker may be silent before the master kills it. @default 30 */
  readonly timeout?: number;
  /** Seconds workers get to finish requests on TERM / HUP. @default 30 */
  readonly gracefulTimeout?: number;
  /** Seconds to keep an idle keep-alive connection (gthread/gevent only). @default 2 */
  readonly keepalive?: number;
  /** @default "info" */
  readonly loglevel?: (typeof GUNICORN_LOG_LEVELS)[number];
  /**
   * Gunicorn's access log file: one line per request.
   * @default unset, no access log: nginx's access log already records every request, and Gunicorn writing
   * its own line per request costs about a sixth of its throughput (bench/RESULTS.md)
   */
  readonly accessLog?: string;
  /** @default `<logDir>/gunicorn.error.log` */
  readonly errorLog?: string;
  /** Proxies whose X-Forwarded-* headers are trusted. @default ["127.0.0.1"] (nginx on the same host) */
  readonly forwardedAllowIps?: readonly string[];
  /** @default 4094 (Gunicorn's default) */
  readonly limitRequestLine?: number;
  /** @default 100 (Gunicorn's default) */
  readonly limitRequestFields?: number;
  /** @default 8190 (Gunicorn's default) */
  readonly limitRequestFieldSize?: number;
  /** Import the app in the master before forking (saves memory; code reload then needs a restart). @default false */
  readonly preload?: boolean;
  /**
   * `reuse_port` (SO_REUSEPORT) on a TCP bind. With it each worker opens a listening socket of its own,
   * and the connections waiting in a worker's queue are reset when that worker exits at a reload: 2–3
   * requests failed (502) per HUP under loopback load, against 0 without it, where every worker takes
   * from the master's one queue. Without it, after a hard kill of the master (OOM killer, `kill -9`) the
   * next master waits (retrying its bind) until the old workers notice and free the port.
   * @default false
   */
  readonly reusePort?: boolean;
  /** Recycle a worker after this many requests; 0 disables. @default 0 */
  readonly maxRequests?: number;
  /** Random extra requests added to `maxRequests` per worker, so they do not all restart at once. @default 0 */
  readonly maxRequestsJitter?: number;
  /** @default `<runDir>/gunicorn.pid` */
  readonly pidfile?: string;
  /**
   * Directory of the worker heartbeat files.
   * @default "/dev/shm": a tmpfs, so heartbeats never block on a slow disk or wear a Pi's SD card
   */
  readonly workerTmpDir?: string;
  /** Seconds supervisor waits after TERM before KILL. @default gracefulTimeout + 5 */
  readonly stopWaitSecs?: number;
}

export interface GunicornSettings extends SupervisedSettings {
  /** Run at the top of the config, read again at every HUP: the app's environment loader (see `envLoaderPath`). */
  readonly envLoader: string;
  /** `module:callable` or `module:factory()` (Gunicorn's `wsgi_app`). */
  readonly wsgiApp: string;
  readonly chdir: string;
  readonly procName: string;
  readonly bind: GunicornBind;
  readonly workers: number;
  readonly workerClass: GunicornWorkerClass;
  readonly threads: number;
  readonly timeout: number;
  readonly gracefulTimeout: number;
  readonly keepalive: number;
  readonly loglevel: (typeof GUNICORN_LOG_LEVELS)[number];
  /** null: no access log (`accesslog = None`). */
  readonly accessLog: string | null;
  readonly errorLog: string;
  readonly forwardedAllowIps: readonly string[];
  readonly limitRequestLine: number;
  readonly limitRequestFields: number;
  readonly limitRequestFieldSize: number;
  readonly preload: boolean;
  readonly reusePort: boolean;
  readonly maxRequests: number;
  readonly maxRequestsJitter: number;
  readonly pidfile: string;
  readonly workerTmpDir: string;
  /** `<configDir>/gunicorn.conf.py`. */
  readonly configPath: string;
  /** `[<venv>/bin/gunicorn, "--config", configPath]`. */
  readonly command: readonly string[];
  /** The app user: Gunicorn never needs root here (it binds unprivileged ports or a socket in runDir). */
  readonly processUser: string;
  /** "TERM": Gunicorn's graceful shutdown (QUIT and INT are its fast shutdown). */
  readonly stopSignal: "TERM";
  /** Directories that must exist, writable by the app user: the run dir and the log files' directories. */
  readonly requiredDirs: readonly string[];
}

/**
 * Gunicorn settings resolved from the arguments alone: every value but the one the host's facts
 * decide, `workers`, which is here only when given (`gunicornOnHost` completes it).
 */
export type GunicornPlan = Omit<GunicornSettings, "workers"> & { readonly workers?: number };

/** The settings on a host: the plan, with `workers` from the host's facts unless given. */
export function gunicornOnHost(plan: GunicornPlan, facts: HostFacts): GunicornSettings {
  return { ...plan, workers: plan.workers ?? defaultWorkerCount(facts, GUNICORN_WORKERS_PER_CORE) };
}

/** Resolve Gunicorn settings for `ctx.app` on a host with `ctx.facts`: the plan, completed on the host. */
export function resolveGunicorn(args: GunicornArgs, ctx: ResolveContext): GunicornSettings {
  return gunicornOnHost(planGunicorn(args, ctx), ctx.facts);
}

/**
 * Resolve Gunicorn settings for `ctx.app` from the arguments alone (no host facts needed).
 * @throws ArgumentError naming every invalid argument.
 */
export function planGunicorn(args: GunicornArgs, ctx: AppResolveContext): GunicornPlan {
  const { app } = ctx;
  const bindArgs: GunicornBindArgs = args.bind ?? { kind: "unix" };
  const threads = args.threads ?? (args.workerClass === undefined || args.workerClass === "gthread" ? DEFAULT_WORKER_THREADS : 1);
  throwIfInvalid(
    [
      listenRules(bindArgs, BIND),
      intRangeRule("workers", args.workers, 1, 1024),
      intRangeRule("threads", args.threads, 1, 256),
      oneOfRule("workerClass", args.workerClass, GUNICORN_WORKER_CLASSES),
      rule(
        args.workerClass === "sync" && threads > 1,
        "threads",
        `\`threads\` > 1 needs \`workerClass\` gthread: sync workers serve one request at a time (got threads ${threads} with workerClass "sync")`,
      ),
      intRangeRule("timeout", args.timeout, 1, 86400),
      intRangeRule("gracefulTimeout", args.gracefulTimeout, 1, 86400),
      intRangeRule("keepalive", args.keepalive, 0, 3600),
      oneOfRule("loglevel", args.loglevel, GUNICORN_LOG_LEVELS),
      absolutePathRule("accessLog", args.accessLog),
      absolutePathRule("errorLog", args.errorLog),
      eachRule("forwardedAllowIps", args.forwardedAllowIps, ipSourceRule),
      intRangeRule("limitRequestLine", args.limitRequestLine, 0, 8190),
      intRangeRule("limitRequestFields", args.limitRequestFields, 1, 32768),
      intRangeRule("limitRequestFieldSize", args.limitRequestFieldSize, 0, 65535),
      intRangeRule("maxRequests", args.maxRequests, 0, 10_000_000),
      intRangeRule("maxRequestsJitter", args.maxRequestsJitter, 0, 10_000_000),
      absolutePathRule("pidfile", args.pidfile),
      absolutePathRule("workerTmpDir", args.workerTmpDir),
      intRangeRule("stopWaitSecs", args.stopWaitSecs, 1, 86400),
    ],
    "Gunicorn",
  );

  const bind = resolveListen(bindArgs, BIND, app.runDir);
  const accessLog = args.accessLog ?? null;
  const errorLog = args.errorLog ?? `${app.logDir}/gunicorn.error.log`;
  const gracefulTimeout = args.gracefulTimeout ?? 30;
  const configPath = `${app.configDir}/gunicorn.conf.py`;
  return {
    envLoader: envLoaderPath(app),
    wsgiApp: wsgiEntryToString(app.entry),
    chdir: app.appDir,
    procName: app.name,
    bind,
    workers: args.workers,
    workerClass: args.workerClass ?? (threads > 1 ? "gthread" : "sync"),
    threads,
    timeout: args.timeout ?? 30,
    gracefulTimeout,
    keepalive: args.keepalive ?? 2,
    loglevel: args.loglevel ?? "info",
    accessLog,
    errorLog,
    forwardedAllowIps: args.forwardedAllowIps ?? ["127.0.0.1"],
    limitRequestLine: args.limitRequestLine ?? 4094,
    limitRequestFields: args.limitRequestFields ?? 100,
    limitRequestFieldSize: args.limitRequestFieldSize ?? 8190,
    preload: args.preload ?? false,
    reusePort: args.reusePort ?? false,
    maxRequests: args.maxRequests ?? 0,
    maxRequestsJitter: args.maxRequestsJitter ?? 0,
    pidfile: args.pidfile ?? `${app.runDir}/gunicorn.pid`,
    workerTmpDir: args.workerTmpDir ?? "/dev/shm",
    configPath,
    command: [`${app.venvDir}/bin/gunicorn`, "--config", configPath],
    processUser: app.user,
    stopSignal: "TERM",
    stopWaitSecs: args.stopWaitSecs ?? gracefulTimeout + 5,
    listener: httpListener(bind, BIND, app),
    requiredDirs: unique([app.runDir, ...(accessLog === null ? [] : [parentDir(accessLog)]), parentDir(errorLog)]),
  };
}

/**
 * Gunicorn's `bind`. On TCP the standby of a restart listens on a unix socket in the run dir (Gunicorn's
 * default umask 0: the run dir's own mode and group keep others out), which nginx reaches as the port's backup.
 */
const BIND: ListenSpec<"umask"> = {
  argument: "bind",
  tcp: { port: 8000, standby: true },
  unix: { name: "gunicorn.sock", option: "umask", inRunDir: 0, elsewhere: 0o007, mode: (umask) => 0o777 & ~umask },
};

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
