/**
 * The application every WSGI server resolves against: who it runs as, where it lives, what to import.
 */
import { throwIfInvalid } from "./errors";
import { parseWsgiEntry, WsgiEntry, wsgiEntryRule } from "./entry";
import { HostFacts } from "./facts";
import { absolutePathRule, safeNameRule } from "./validate";

/** Arguments describing the application. */
export interface AppArgs {
  /** App name: a safe name (`^[a-z_][a-z0-9_-]{0,31}$`) used for paths, sockets and programs. */
  readonly name: string;
  /** WSGI entry point: `pkg.wsgi:app` or an app factory `manage:create_app()`. */
  readonly entry: string;
  /**
   * Unprivileged user the app runs as (never root).
   * @default the app `name`
   */
  readonly user?: string;
  /**
   * Primary group of the app user.
   * @default the app `user`
   */
  readonly group?: string;
  /**
   * Base directory holding releases, `current` and the venv.
   * @default `/srv/<name>`
   */
  readonly baseDir?: string;
}

/** The resolved application: every path filled in. */
export interface AppContext {
  readonly name: string;
  readonly user: string;
  readonly group: string;
  /** `/srv/<name>` unless given. */
  readonly baseDir: string;
  /** The live release: `<baseDir>/current` (a symlink switched on deploy). */
  readonly appDir: string;
  /** The virtualenv: `<baseDir>/venv`. */
  readonly venvDir: string;
  /** Sockets and pid files: `/run/<name>` (tmpfs: must be created at boot, e.g. by tmpfiles.d). */
  readonly runDir: string;
  /** Log files: `/var/log/<name>`. */
  readonly logDir: string;
  /** Rendered server configs (uwsgi.ini, gunicorn.conf.py): `/etc/<name>`. */
  readonly configDir: string;
  readonly entry: WsgiEntry;
}

/** What a server's settings are resolved from without the host: the app. */
export interface AppResolveContext {
  readonly app: AppContext;
}

/** The app and the host's facts (for the defaults the host decides, e.g. worker counts). */
export interface ResolveContext extends AppResolveContext {
  readonly facts: HostFacts;
}

/**
 * Resolve the app's names and paths.
 * @throws ArgumentError naming every invalid argument.
 */
export function resolveAppContext(args: AppArgs): AppContext {
  throwIfInvalid(
    [
      safeNameRule("name", args.name),
      wsgiEntryRule("entry", args.entry),
      safeNameRule("user", args.user),
      { condition: args.user === "root", argument: "user", message: "`user` must not be root: the app runs as its own unprivileged user" },
      safeNameRule("group", args.group),
      absolutePathRule("baseDir", args.baseDir),
    ],
    "app",
  );
  const user = args.user ?? args.name;
  const baseDir = args.baseDir ?? `/srv/${args.name}`;
  return {
    name: args.name,
    user,
    group: args.group ?? user,
    baseDir,
    appDir: `${baseDir}/current`,
    venvDir: `${baseDir}/venv`,
    runDir: `/run/${args.name}`,
    logDir: `/var/log/${args.name}`,
    configDir: `/etc/${args.name}`,
    entry: parseWsgiEntry(args.entry),
  };
}

/**
 * The app's environment loader, `<configDir>/load_env.py`: the servers run it before they import the
 * app (uWSGI `pyimport`, the top of gunicorn.conf.py), so a changed environment file takes effect with
 * their graceful reload instead of a restart.
 */
export function envLoaderPath(app: AppContext): string {
  return `${app.configDir}/load_env.py`;
}

/** The environment file holds this key too: the keys it sets, so the loader can unset removed ones. */
export const ENV_KEYS_VARIABLE = "FLASKSTACK_ENV_KEYS";

/**
 * Variables read when a process starts (by the Python interpreter, the dynamic linker or the server
 * itself), not by the app: a change to one of them needs a restart, not a reload.
 */
export const START_ENV_KEY = /^(PYTHON[A-Z0-9_]*|LD_[A-Z0-9_]*|UWSGI_[A-Z0-9_]*|GUNICORN_[A-Z0-9_]*|WEB_CONCURRENCY|PATH)$/;
