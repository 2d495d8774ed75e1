/**
 * uWSGI ini renderer. Only options that are on are written (uWSGI's ini has no "unset"), in a fixed order.
 */
import { UwsgiApp, UwsgiSettings, UwsgiSocket, UwsgiStats } from "../config/uwsgi";
import { octalMode, tcpAddressToString } from "../config/listener";
import { MANAGED_HEADER } from "./header";

/**
 * One ini value. uWSGI expands `%x` magic variables, `$(VAR)` environment and `@(file)` includes inside
 * values and has no escape for them, so such values are refused (the resolvers never produce them).
 */
function uwsgiValue(key: string, value: string | number | boolean): string {
  const text = String(value);
  if (/[\n\r%]|\$\(|@\(/.test(text) || text !== text.trim() || text === "") {
    throw new Error(`cannot write uWSGI option ${key} = ${JSON.stringify(text)}: uWSGI would expand or drop part of it`);
  }
  return text;
}

function appLines(app: UwsgiApp): [string, string | number | boolean][] {
  switch (app.kind) {
    case "module":
      return [["module", app.module]];
    case "wsgi-file":
      return [
        ["wsgi-file", app.path],
        ["callable", app.callable],
      ];
    default: {
      const unreachable: never = app;
      throw new Error(`unknown uWSGI app ${JSON.stringify(unreachable)}`);
    }
  }
}

function socketLines(socket: UwsgiSocket): [string, string | number | boolean][] {
  switch (socket.kind) {
    case "uwsgi-unix":
      return [
        ["uwsgi-socket", socket.path],
        ["chmod-socket", octalMode(socket.mode)],
        ["chown-socket", `${socket.owner}:${socket.group}`],
      ];
    case "uwsgi-tcp":
      return [["uwsgi-socket", hostPort(socket.host, socket.port)]];
    case "http-socket":
      return [["http-socket", hostPort(socket.host, socket.port)]];
    case "http":
      return [["http", hostPort(socket.host, socket.port)]];
    default: {
      const unreachable: never = socket;
      throw new Error(`unknown uWSGI socket ${JSON.stringify(unreachable)}`);
    }
  }
}

function statsLines(stats: UwsgiStats | null, statsHttp: boolean): [string, string | number | boolean][] {
  if (stats === null) {
    return [];
  }
  const address = stats.kind === "unix" ? stats.path : hostPort(stats.host, stats.port);
  return statsHttp
    ? [
        ["stats", address],
        ["stats-http", true],
      ]
    : [["stats", address]];
}

function hostPort(host: string, port: number): string {
  return tcpAddressToString({ kind: "tcp", host, port });
}

/** Render `uwsgi.ini` for resolved settings (see `resolveUwsgi`). */
export function renderUwsgiIni(s: UwsgiSettings): string {
  const lines: [string, string | number | boolean][] = [
    ["strict", s.strict],
    // plugins first: with Debian's uwsgi-core the python options exist only once the plugin is loaded
    ...s.plugins.map((p): [string, string] => ["plugins", p]),
    ...appLines(s.app),
    ["chdir", s.chdir],
    ["home", s.home],
    ...s.pythonpath.map((p): [string, string] => ["pythonpath", p]),
    ...s.pyimport.map((p): [string, string] => ["pyimport", p]),
    ["need-app", s.needApp],
    ["master", s.master],
    ["processes", s.processes],
    ["threads", s.threads],
    ["enable-threads", s.enableThreads],
    ["disable-logging", !s.logRequests],
    ["lazy-apps", s.lazyApps],
    ["uid", s.uid],
    ["gid", s.gid],
    ...socketLines(s.socket),
    ["listen", s.listenQueue],
    ["buffer-size", s.bufferSize],
    ["post-buffering", s.postBuffering],
    ["harakiri", s.harakiri],
    ["max-requests", s.maxRequests],
    ["worker-reload-mercy", s.workerReloadMercy],
    ["vacuum", s.vacuum],
    ["die-on-term", s.dieOnTerm],
    ["pidfile", s.pidfile],
    ["master-fifo", s.masterFifo],
    ...statsLines(s.stats, s.statsHttp),
  ];
  // false and 0 mean "off": uWSGI has no spelling for "unset", so such options are left out
  const written = lines.filter(([, value]) => value !== false && value !== 0);
  return [MANAGED_HEADER, "[uwsgi]", ...written.map(([key, value]) => `${key} = ${uwsgiValue(key, value)}`), ""].join("\n");
}
