/**
 * Waitress: arguments → fully resolved settings (pure). Rendered by `renderWaitressArgv` (Waitress is
 * configured on its command line: `waitress-serve --flag=value … module:app`).
 */
import { AppResolveContext } from "./app";
import { throwIfInvalid } from "./errors";
import { httpListener, Listen, listenRules, ListenSpec, resolveListen, TcpListenArgs, UnixListenArgs } from "./listener";
import { SupervisedSettings } from "./server";
import { hostRule, intRangeRule, oneOfRule, rule } from "./validate";

/** Waitress's unix socket: its path, and the mode Waitress gives it. */
export interface WaitressUnixListenArgs extends UnixListenArgs {
  /**
   * `--unix-socket-perms` (the socket's group is the app's). @default 0o777 directly in the app's
   * run dir, whose own mode and group (nginx's) keep everyone else out; 0o660 elsewhere
   */
  readonly mode?: number;
}

export type WaitressListenArgs = TcpListenArgs | WaitressUnixListenArgs;

export type WaitressListen = Listen<"mode">;

/** Proxy headers Waitress knows (`trusted_proxy_headers`). */
export const WAITRESS_PROXY_HEADERS = ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-by", "forwarded"] as const;
export type WaitressProxyHeader = (typeof WAITRESS_PROXY_HEADERS)[number];

export interface WaitressArgs {
  /**
   * Where Waitress listens. A unix socket lets a restart (Waitress's every change) go through a standby
   * on the handoff socket without dropping a request; on TCP each restart drops requests for about a second.
   * @default `{ kind: "unix" }`: `<runDir>/waitress.sock`
   */
  readonly listen?: WaitressListenArgs;
  /** Worker threads (Waitress is one process). @default 4 */
  readonly threads?: number;
  /** @default 100 */
  readonly connectionLimit?: number;
  /** Seconds before an inactive connection is closed. @default 120 */
  readonly channelTimeout?: number;
  /** @default 262144 (256 KiB, Waitress's default) */
  readonly maxRequestHeaderSize?: number;
  /** @default 1073741824 (1 GiB, Waitress's default); nginx's `clientMaxBodySize` is the tighter limit */
  readonly maxRequestBodySize?: number;
  /** `wsgi.url_scheme` when no trusted proxy says otherwise. @default "http" */
  readonly urlScheme?: "http" | "https";
  /**
   * Behind nginx: trust nginx's X-Forwarded-* headers (client address, scheme, host, port) and drop
   * untrusted ones.
   * @default true
   */
  readonly behindProxy?: boolean;
  /**
   * The proxy address whose headers are trusted.
   * @default "127.0.0.1" for a TCP listen; "localhost" for a unix socket (Waitress's name for a unix peer)
   */
  readonly trustedProxy?: string;
  /** @default ["x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto"] (what NginxSite sends) */
  readonly trustedProxyHeaders?: readonly WaitressProxyHeader[];
  /** Seconds supervisor waits after INT before KILL. @default 10 */
  readonly stopWaitSecs?: number;
}

export interface WaitressSettings extends SupervisedSettings {
  /** `<venv>/bin/waitress-serve`. */
  readonly binary: string;
  /** Module and callable, and whether `--call` is needed (app factory). */
  readonly module: string;
  readonly callable: string;
  /** True for an app factory: `--call module:factory`. */
  readonly call: boolean;
  /** Where to start it (supervisor `directory`): the app dir, so the module imports. */
  readonly workingDirectory: string;
  readonly listen: WaitressListen;
  readonly threads: number;
  readonly connectionLimit: number;
  readonly channelTimeout: number;
  readonly maxRequestHeaderSize: number;
  readonly maxRequestBodySize: number;
  readonly urlScheme: "http" | "https";
  /** Trusted proxy, or null when not behind a proxy. */
  readonly trustedProxy: { readonly address: string; readonly headers: readonly WaitressProxyHeader[] } | null;
  /**
   * "INT": Waitress installs no signal handlers; INT raises KeyboardInterrupt so Python unwinds
   * (atexit, finally blocks), where TERM would end the process on the spot.
   */
  readonly stopSignal: "INT";
}

/**
 * Resolve Waitress settings for `ctx.app`.
 * @throws ArgumentError naming every invalid argument.
 */
export function resolveWaitress(args: WaitressArgs, ctx: AppResolveContext): WaitressSettings {
  const { app } = ctx;
  const listenArgs: WaitressListenArgs = args.listen ?? { kind: "unix" };
  const behindProxy = args.behindProxy ?? true;
  throwIfInvalid(
    [
      listenRules(listenArgs, LISTEN),
      intRangeRule("threads", args.threads, 1, 1024),
      intRangeRule("connectionLimit", args.connectionLimit, 1, 1_000_000),
      intRangeRule("channelTimeout", args.channelTimeout, 1, 86400),
      intRangeRule("maxRequestHeaderSize", args.maxRequestHeaderSize, 1024, 1 << 30),
      intRangeRule("maxRequestBodySize", args.maxRequestBodySize, 0, Number.MAX_SAFE_INTEGER),
      oneOfRule("urlScheme", args.urlScheme, ["http", "https"]),
      hostRule("trustedProxy", args.trustedProxy),
      ...(args.trustedProxyHeaders ?? []).map((h, i) => oneOfRule(`trustedProxyHeaders[${i}]`, h, WAITRESS_PROXY_HEADERS)),
      rule(
        !behindProxy && (args.trustedProxy !== undefined || args.trustedProxyHeaders !== undefined),
        "trustedProxy",
        "`trustedProxy` and `trustedProxyHeaders` have no meaning with `behindProxy` false",
      ),
      rule(
        (args.trustedProxyHeaders ?? []).includes("forwarded") && (args.trustedProxyHeaders ?? []).length > 1,
        "trustedProxyHeaders",
        "`trustedProxyHeaders` cannot mix `forwarded` with x-forwarded-* headers (Waitress refuses it)",
      ),
      intRangeRule("stopWaitSecs", args.stopWaitSecs, 1, 86400),
    ],
    "Waitress",
  );

  const listen = resolveListen(listenArgs, LISTEN, app.runDir);
  const defaultProxy = listen.kind === "unix" ? "localhost" : "127.0.0.1";
  return {
    binary: `${app.venvDir}/bin/waitress-serve`,
    module: app.entry.module,
    callable: app.entry.callable,
    call: app.entry.factory,
    workingDirectory: app.appDir,
    listen,
    threads: args.threads ?? 4,
    connectionLimit: args.connectionLimit ?? 100,
    channelTimeout: args.channelTimeout ?? 120,
    maxRequestHeaderSize: args.maxRequestHeaderSize ?? 262144,
    maxRequestBodySize: args.maxRequestBodySize ?? 1073741824,
    urlScheme: args.urlScheme ?? "http",
    trustedProxy: behindProxy
      ? {
          address: args.trustedProxy ?? defaultProxy,
          headers: [...(args.trustedProxyHeaders ?? ["x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto"])].sort(),
        }
      : null,
    processUser: app.user,
    stopSignal: "INT",
    stopWaitSecs: args.stopWaitSecs ?? 10,
    listener: httpListener(listen, LISTEN, app),
    requiredDirs: [app.runDir],
  };
}

/** Waitress's `listen`: on TCP each restart drops requests (no standby). */
const LISTEN: ListenSpec<"mode"> = {
  argument: "listen",
  tcp: { port: 8080, standby: false },
  unix: { name: "waitress.sock", option: "mode", inRunDir: 0o777, elsewhere: 0o660, mode: (mode) => mode },
};
