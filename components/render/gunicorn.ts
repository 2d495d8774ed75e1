/**
 * Gunicorn config renderer: `gunicorn.conf.py`, a Python module of setting assignments.
 */
import { GunicornBind, GunicornSettings } from "../config/gunicorn";
import { tcpAddressToString } from "../config/listener";
import { MANAGED_HEADER } from "./header";

/** A Python literal for a string, number, boolean, None (null) or list of those. */
export type PythonValue = string | number | boolean | null | readonly PythonValue[] | { readonly octal: number };

/**
 * The one Python quoting function. A JSON string is a valid Python string literal with the same value
 * (JSON's escapes \" \\ \/ \b \f \n \r \t \uXXXX all mean the same in Python), so JSON.stringify is used.
 */
export function pythonLiteral(value: PythonValue): string {
  if (typeof value === "string") {
    return JSON.stringify(value);
  }
  if (value === null) {
    return "None";
  }
  if (typeof value === "boolean") {
    return value ? "True" : "False";
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new Error(`cannot write ${value} as a Python literal`);
    }
    return String(value);
  }
  if ("octal" in value) {
    return `0o${value.octal.toString(8).padStart(3, "0")}`;
  }
  return `[${value.map(pythonLiteral).join(", ")}]`;
}

/** One bind address as `gunicorn.conf.py` writes it in its `bind` list: `"127.0.0.1:8000"`, `"unix:/run/app/gunicorn.sock"`. */
export function gunicornBindLiteral(bind: GunicornBind): string {
  return pythonLiteral(bindValue(bind));
}

function bindValue(bind: GunicornBind): string {
  switch (bind.kind) {
    case "tcp":
      return tcpAddressToString(bind);
    case "unix":
      return `unix:${bind.path}`;
    default: {
      const unreachable: never = bind;
      throw new Error(`unknown Gunicorn bind ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Render `gunicorn.conf.py` for resolved settings (see `resolveGunicorn`). */
export function renderGunicornConf(s: GunicornSettings): string {
  const settings: [string, PythonValue][] = [
    ["wsgi_app", s.wsgiApp],
    ["chdir", s.chdir],
    ["proc_name", s.procName],
    ["bind", [bindValue(s.bind)]],
    ...(s.bind.kind === "unix" ? [["umask", { octal: s.bind.umask }] as [string, PythonValue]] : []),
    ["workers", s.workers],
    ["worker_class", s.workerClass],
    ["threads", s.threads],
    ["timeout", s.timeout],
    ["graceful_timeout", s.gracefulTimeout],
    ["keepalive", s.keepalive],
    ["preload_app", s.preload],
    ...(s.bind.kind === "tcp" ? [["reuse_port", s.reusePort] as [string, PythonValue]] : []),
    ["max_requests", s.maxRequests],
    ["max_requests_jitter", s.maxRequestsJitter],
    ["limit_request_line", s.limitRequestLine],
    ["limit_request_fields", s.limitRequestFields],
    ["limit_request_field_size", s.limitRequestFieldSize],
    ["forwarded_allow_ips", s.forwardedAllowIps.join(",")],
    ["pidfile", s.pidfile],
    ["worker_tmp_dir", s.workerTmpDir],
    ["loglevel", s.loglevel],
    ["accesslog", s.accessLog],
    ["errorlog", s.errorLog],
    // Gunicorn's control socket (in the user's home) is not used: supervisor and signals manage the server.
    ["control_socket_disable", true],
  ];
  // The app's environment: loaded at start and again at every HUP (Gunicorn reads this file again),
  // before the new workers import the app.
  // No names are bound: Gunicorn takes every module-level name of this file for a setting.
  const loader = [`if __import__("os").path.exists(${pythonLiteral(s.envLoader)}):`, `    __import__("runpy").run_path(${pythonLiteral(s.envLoader)})`];
  return [MANAGED_HEADER, ...loader, ...settings.map(([name, value]) => `${name} = ${pythonLiteral(value)}`), ""].join("\n");
}
