/**
 * An app's place on a host: its system user and group, its directories, and its run directory, which
 * a tmpfiles.d entry recreates at every boot (/run is a tmpfs). The directories and the user are
 * claimed by one owner (a FlaskApp's URN): a renamed or moved FlaskApp's old delete leaves them to the
 * new one.
 */
import { AppContext, octalMode, RuntimeDir } from "../config";
import { shellCommand, shellQuote as q } from "../quote";
import { renderTmpfilesD } from "../render";
import { claimScript, ifOwnerScript } from "./ownership";

export interface AppBaseSpec {
  readonly app: Pick<AppContext, "user" | "group" | "baseDir" | "logDir" | "configDir" | "runDir">;
  /** The SSH login user: release archives arrive in `incoming` over SFTP as this user. */
  readonly loginUser: string;
  readonly incoming: string;
  /** The app's run directory as tmpfiles.d creates it. */
  readonly runDir: RuntimeDir;
  /** Its tmpfiles.d file: `/etc/tmpfiles.d/flaskstack-<app>.conf`. */
  readonly tmpfilesFile: string;
  /** Who claims the directories and the user. */
  readonly owner: string;
}

/** Root script: the group, the user, the directories (idempotent), the tmpfiles.d entry, and the claim. */
export function appBaseScript(spec: AppBaseSpec): string {
  const { app, runDir } = spec;
  return [
    "set -eu",
    `getent group ${q(app.group)} >/dev/null || groupadd --system ${q(app.group)}`,
    `id -u ${q(app.user)} >/dev/null 2>&1 || useradd --system --gid ${q(app.group)} --home-dir ${q(app.baseDir)} --no-create-home --shell /usr/sbin/nologin ${q(app.user)}`,
    // Code and venvs are root's: the app can read them and change nothing.
    shellCommand(["install", "-d", "-m", "0755", "-o", "root", "-g", "root", app.baseDir, `${app.baseDir}/releases`, `${app.baseDir}/venvs`]),
    shellCommand(["install", "-d", "-m", "0700", "-o", spec.loginUser, spec.incoming]),
    shellCommand(["install", "-d", "-m", "0750", "-o", app.user, "-g", app.group, app.logDir]),
    shellCommand(["install", "-d", "-m", "0750", "-o", "root", "-g", app.group, app.configDir]),
    `printf '%s' ${q(renderTmpfilesD([runDir]))} > ${q(spec.tmpfilesFile)}`,
    // Without systemd the directory is made now; nothing recreates it at boot then.
    `if command -v systemd-tmpfiles >/dev/null; then systemd-tmpfiles --create ${q(spec.tmpfilesFile)}; else ${shellCommand(["install", "-d", "-m", octalMode(runDir.mode), "-o", runDir.user, "-g", runDir.group, runDir.path])}; fi`,
    claimScript(app.baseDir, spec.owner),
  ].join("\n");
}

/** Root script: remove everything `appBaseScript` made, only while `spec.owner` still owns it. */
export function appBaseRemoveScript(spec: AppBaseSpec): string {
  const { app } = spec;
  return ifOwnerScript(
    app.baseDir,
    spec.owner,
    [
      shellCommand(["rm", "-rf", app.baseDir, app.configDir, app.runDir, app.logDir, spec.tmpfilesFile]),
      `userdel ${q(app.user)} 2>/dev/null || true`,
      `groupdel ${q(app.group)} 2>/dev/null || true`,
    ].join("\n"),
  );
}
