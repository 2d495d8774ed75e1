/**
 * What a supervised server runs with, as the host itself records it, and the script that brings a
 * running server up to date with the files on disk.
 *
 * The server's start wrapper writes a record as it starts: its pid and a fingerprint of the
 * environment file, the config file and the release it starts with. After a graceful reload the
 * apply script rewrites the record. On the next change the apply script compares the record with
 * the files on disk and chooses the least disruptive action that takes effect:
 *
 * | differs from the record                         | action                                          |
 * |-------------------------------------------------|-------------------------------------------------|
 * | not running (stopped, FATAL, BACKOFF)           | start it                                        |
 * | then the rows of `SERVER_ACTIONS` (config/actions.ts), first match: pid → restart,               |
 * | environment file → restart, config file → graceful reload, release or venv → code reload          |
 * | nothing                                         | nothing                                         |
 *
 * Nothing here depends on the previous command's output or on the SSH environment.
 */
import { SERVER_ACTIONS } from "../config/actions";
import { START_ENV_KEY } from "../config/app";
import { shellQuote as q } from "../quote";

export interface ServerStatePaths {
  /** Supervisor program name. */
  readonly program: string;
  /** Where the record lives: in the app's run directory, which the server's user can write. */
  readonly record: string;
  /** The app's environment file. */
  readonly envFile: string;
  /** The server's config file; absent for servers configured on the command line. */
  readonly configFile?: string;
  /** The app's base directory, holding the `current` and `venv` symlinks. */
  readonly baseDir: string;
}

/** `<runDir>/.<program>.applied`. */
export function serverRecordPath(runDir: string, program: string): string {
  return `${runDir}/.${program}.applied`;
}

/**
 * One line of shell printing the fingerprint: `env <sha256>`, `config <sha256>` (or `config none`),
 * `code <release> <venv>`, and `envstart <sha256>` of the variables read at process start. The
 * wrapper and the apply script use this same text, so they agree.
 */
export function fingerprintScript(p: ServerStatePaths): string {
  const sha = (file: string) => `$(sha256sum < ${q(file)} 2>/dev/null | cut -d' ' -f1)`;
  // The variables read at process start, on their own: a change to one of them needs a restart.
  const startKeys = q(START_ENV_KEY.source.replace(/\$$/, "="));
  return [
    `echo "envstart $(grep -E ${startKeys} ${q(p.envFile)} 2>/dev/null | sha256sum | cut -d' ' -f1)"`,
    `echo "env ${sha(p.envFile)}"`,
    `echo "config ${p.configFile === undefined ? "none" : sha(p.configFile)}"`,
    `echo "code $(readlink ${q(`${p.baseDir}/current`)}) $(readlink ${q(`${p.baseDir}/venv`)})"`,
  ].join("; ");
}

/**
 * The `sh -c` script supervisor runs: record what is about to start, load the environment file,
 * drop the restart token (`$1`), and `exec` the server so it keeps the pid and gets the signals.
 * One line, without `%` (supervisor expands `%(…)s` in commands).
 */
export function startWrapperScript(p: ServerStatePaths): string {
  const r = q(p.record);
  return [
    // Before the environment is loaded: an app's PATH must not change which sha256sum runs.
    `{ echo "pid $$"; ${fingerprintScript(p)}; } > ${r}.$$ 2>/dev/null && mv -f ${r}.$$ ${r} 2>/dev/null || rm -f ${r}.$$ 2>/dev/null`,
    "set -a",
    `. ${q(p.envFile)}`,
    "set +a",
    "shift",
    'exec "$@"',
  ].join("; ");
}

export interface ApplySpec {
  readonly paths: ServerStatePaths;
  /** Root script for a changed config (e.g. `echo r > fifo`, a HUP). */
  readonly reloadScript: string;
  /** Root script for changed code only. @default `reloadScript` */
  readonly codeReloadScript?: string;
  /** Root script for a changed environment (a reload that imports the app again). @default `reloadScript` */
  readonly envReloadScript?: string;
  /** Seconds to wait for RUNNING after a start or restart. */
  readonly startWaitSecs: number;
  /** The server's stderr log: its last lines go into the error when it does not come up. */
  readonly stderrLog: string;
  /**
   * The handoff's shell functions (`handoffFunctions`): a restart goes through a standby instance.
   * @default none: a restart is supervisor's, and drops requests while the server is down
   */
  readonly handoff?: string;
}

/** The root script that brings the running server up to date (see the table at the top). */
export function applyScript(spec: ApplySpec): string {
  const { paths } = spec;
  const prog = q(paths.program);
  const rec = q(paths.record);
  return [
    "set -eu",
    `prog=${prog}`,
    `status() { supervisorctl status "$prog" 2>&1 || true; }`,
    `wait_running() {`,
    `  i=0`,
    `  while [ "$i" -lt ${spec.startWaitSecs} ]; do`,
    `    st=$(status)`,
    `    case "$st" in *RUNNING*) return 0;; *FATAL*|*BACKOFF*|*EXITED*|*STOPPED*) break;; esac`,
    `    sleep 1; i=$((i + 1))`,
    `  done`,
    `  echo "$st" >&2; tail -n 20 ${q(spec.stderrLog)} >&2 || true`,
    `  return 1`,
    `}`,
    `field() { printf '%s\\n' "$1" | grep "^$2 " || true; }`,
    // The reload scripts may call it too (a server whose every change needs a restart).
    ...(spec.handoff
      ? [
          spec.handoff,
          `restart_server() {`,
          `  rc=0; handoff start || rc=$?`,
          `  case "$rc" in 0) ;; 2) exit 1;; *) echo "flaskstack: restarting $prog in place" >&2; supervisorctl restart "$prog" >&2 || true; wait_running;; esac`,
          `}`,
        ]
      : [`restart_server() { supervisorctl restart "$prog" >&2 || true; wait_running; }`]),
    // `sh <file> finish` (the site's probe, after nginx reloaded): a switch waiting for the site completes.
    ...(spec.handoff
      ? [
          `if [ "\${1:-}" = finish ]; then handoff_finish && exit 0; exit 1; fi`,
          // The standby started from the files on disk: it runs what the old instance would be reloaded to.
          `if handoff_pending; then echo "$prog: switch (the standby serves the new listener until the site has moved) · run $(od -An -N4 -tx1 /dev/urandom | tr -d ' \\n')"; exit 0; fi`,
        ]
      : [`if [ "\${1:-}" = finish ]; then exit 0; fi`]),
    `st=$(status)`,
    `case "$st" in`,
    `  *RUNNING*) ;;`,
    `  *) echo "flaskstack: $prog was not running ($st): starting it" >&2`,
    `     supervisorctl start "$prog" >&2 || true`,
    `     wait_running`,
    ...(spec.handoff ? [`     handoff_retire`] : []),
    `     echo "$prog: started · run $(od -An -N4 -tx1 /dev/urandom | tr -d ' \\n')"`,
    `     exit 0;;`,
    `esac`,
    `pid=$(supervisorctl pid "$prog")`,
    `now=$(${fingerprintScript(paths)})`,
    `was=$(cat ${rec} 2>/dev/null || true)`,
    // The decision table, row by row (config/actions.ts): the first difference decides.
    ...SERVER_ACTIONS.map((row, i) => {
      const test = row.when === "pid" ? `[ "$(field "$was" pid)" != "pid $pid" ]` : `[ "$(field "$was" ${row.when})" != "$(field "$now" ${row.when})" ]`;
      return `${i === 0 ? "if" : "elif"} ${test}; then action=${row.action} why="${row.why}"`;
    }),
    `else action=none why="already runs the current files"`,
    `fi`,
    `case "$action" in`,
    `  restart) restart_server;;`,
    `  reload) ${spec.reloadScript};;`,
    `  code-reload) ${spec.codeReloadScript ?? spec.reloadScript};;`,
    `  env-reload) ${spec.envReloadScript ?? spec.reloadScript};;`,
    `esac`,
    // A graceful reload keeps the pid and the environment: only the files it re-read are new. (A
    // "reload" that restarts the server gets a new pid, and the wrapper has recorded it already.)
    `case "$action" in reload|code-reload|env-reload)`,
    `  if [ "$(supervisorctl pid "$prog")" = "$pid" ]; then { echo "pid $pid"; echo "$now"; } > ${rec}.tmp && mv -f ${rec}.tmp ${rec}; fi;;`,
    `esac`,
    // A nonce, so that what follows (the site probe) runs after every apply.
    `echo "$prog: $action ($why) · run $(od -An -N4 -tx1 /dev/urandom | tr -d ' \\n')"`,
  ].join("\n");
}

/** `<configDir>/apply-<program>.sh`: the apply script as last run, which a failed probe runs again after a revert. */
export function applyFilePath(configDir: string, program: string): string {
  return `${configDir}/apply-${program}.sh`;
}

/**
 * `<configDir>/fronted-<program>`: written by the probe of a site in front of the program, which moves
 * to a changed listener by itself; while it is there, a changed listener waits for the site (handoff.ts).
 */
export function frontedFilePath(configDir: string, program: string): string {
  return `${configDir}/fronted-${program}`;
}

/** `<runDir>/.<program>.switching`: a switch waiting for the site to move. */
export function switchPendingPath(runDir: string, program: string): string {
  return `${runDir}/.${program}.switching`;
}

const SCRIPT_END = "FLASKSTACK_SCRIPT_END";

/**
 * Root script: write `script` to `file` (root only, renamed into place) and run it from there, so
 * another step (the site probe's revert) can run exactly the same script later.
 */
export function storeAndRunScript(file: string, script: string): string {
  if (script.split("\n").includes(SCRIPT_END)) throw new Error(`a stored script must not hold a line ${SCRIPT_END}`);
  return ["set -eu", "umask 077", `cat > ${q(file)}.tmp <<'${SCRIPT_END}'`, script, SCRIPT_END, `mv -f ${q(file)}.tmp ${q(file)}`, `exec sh ${q(file)}`].join(
    "\n",
  );
}
