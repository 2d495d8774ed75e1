/**
 * Directories under /run (a tmpfs, empty after every boot) that the app servers need before they start:
 * sockets, pid files, the uWSGI master fifo. Supervisor creates none, so a tmpfiles.d entry does
 * (`systemd-tmpfiles --create` at boot, and once by the remote layer when the file changes).
 * Rendered by `renderTmpfilesD`.
 */
import { AppContext } from "./app";
import { throwIfInvalid } from "./errors";
import { absolutePathRule, eachRule, intRangeRule, safeNameRule } from "./validate";

export interface RuntimeDirArgs {
  /** Absolute path, normally under /run. */
  readonly path: string;
  readonly user: string;
  readonly group: string;
  /** @default 0o750 */
  readonly mode?: number;
}

export interface RuntimeDir {
  readonly path: string;
  readonly user: string;
  readonly group: string;
  readonly mode: number;
}

/**
 * Resolve runtime directories.
 * @throws ArgumentError naming every invalid argument.
 */
export function resolveRuntimeDirs(dirs: readonly RuntimeDirArgs[]): RuntimeDir[] {
  throwIfInvalid(
    eachRule("runtimeDirs", dirs, (name, d) => [
      absolutePathRule(`${name}.path`, d.path),
      safeNameRule(`${name}.user`, d.user),
      safeNameRule(`${name}.group`, d.group),
      intRangeRule(`${name}.mode`, d.mode, 0, 0o7777),
    ]),
    "runtime directories",
  );
  return dirs.map((d) => ({ path: d.path, user: d.user, group: d.group, mode: d.mode ?? 0o750 }));
}

/**
 * The app's run dir: owned by the app user (uWSGI's vacuum, Gunicorn's pid file), group `nginxGroup` with
 * mode 750 so nginx may reach the sockets inside and nobody else may.
 */
export function appRuntimeDir(app: AppContext, nginxGroup = "www-data"): RuntimeDirArgs {
  return { path: app.runDir, user: app.user, group: nginxGroup, mode: 0o750 };
}
