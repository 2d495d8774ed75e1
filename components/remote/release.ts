/**
 * Shipping code to a host: the release archive is copied with the command plugin's
 * `remote.CopyToRemote` (SFTP, as the login user; the state keeps the file's path and hash, not its
 * bytes), then unpacked as root into its release directory.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { UNPACK_PY } from "../release/archive";
import { shellQuote as q } from "../quote";
import { HostConnection, PrimitiveOptions } from "./connection";

/** Copies a local file to `remotePath` (a directory the login user can write). */
export function uploadFile(name: string, conn: HostConnection, localPath: string, remotePath: string, opts: PrimitiveOptions): command.remote.CopyToRemote {
  return new command.remote.CopyToRemote(
    name,
    { connection: conn.ssh, source: new pulumi.asset.FileAsset(localPath), remotePath },
    { parent: opts.parent, dependsOn: opts.dependsOn },
  );
}

export interface ReleaseScriptSpec {
  /** The uploaded archive on the host. */
  readonly archive: string;
  /** Its SHA-256, checked before anything is unpacked. */
  readonly sha256: string;
  /** The release directory it becomes. */
  readonly releaseDir: string;
  /** The upload resource, named in the error when the archive is gone. */
  readonly uploadUrn: pulumi.Input<string>;
}

/**
 * Root script, manifest on stdin: unpack the archive into `<releaseDir>.tmp`, then rename it into
 * place; the release directory exists only complete. A failure (a bad or truncated archive, a full
 * disk) removes the partial directory and keeps the archive for the next attempt; success removes it.
 */
export function releaseScript(spec: ReleaseScriptSpec): pulumi.Output<string> {
  return pulumi.output(spec.uploadUrn).apply((urn) =>
    [
      "set -eu",
      `d=${q(spec.releaseDir)}`,
      `a=${q(spec.archive)}`,
      // One unpack at a time: one whose SSH connection dropped may still be running on the host.
      `exec 9>"$(dirname "$d")/.lock"`,
      `flock 9`,
      `if [ ! -d "$d" ]; then`,
      `  if [ ! -f "$a" ]; then`,
      `    echo "flaskstack: the release archive $a is not on the host; copy it again with: pulumi up --replace "${q(urn)} >&2`,
      `    exit 1`,
      `  fi`,
      `  echo ${q(`${spec.sha256}  ${spec.archive}`)} | sha256sum -c --quiet - >&2 || { echo "flaskstack: $a is damaged or incomplete" >&2; exit 1; }`,
      `  rm -rf "$d.tmp"`,
      `  trap 'rm -rf "$d.tmp"' EXIT`,
      `  mkdir -p "$d.tmp"`,
      `  python3 -c ${q(UNPACK_PY)} "$a" "$d.tmp" || {`,
      // The unpacker said why (a full disk: "No space left on device"); this says what it means.
      `    echo "flaskstack: release $d was not unpacked, nothing was switched, the running release keeps serving ($(df -Pk "$(dirname "$d")" | awk 'NR == 2 { print $4 }') KiB free there)" >&2`,
      `    exit 1`,
      `  }`,
      // Code is readable by everyone (nginx serves its static files), writable by nobody but root.
      `  chown -R root:root "$d.tmp" && chmod -R u+rwX,go+rX,go-w "$d.tmp"`,
      `  mv "$d.tmp" "$d"`,
      `  trap - EXIT`,
      `fi`,
      `rm -f "$a"`,
    ].join("\n"),
  );
}

export interface ActivateSpec {
  /** The app's base directory, holding `releases/`, `venvs/` and the `current` and `venv` links. */
  readonly baseDir: string;
  readonly releaseId: string;
  readonly venvId: string;
}

/** Where activation records what it replaced (`releases/<id> venvs/<id>`): what a revert goes back to. */
export const PREVIOUS_FILE = ".flaskstack-previous";

/** Shell (in the base dir): point `venv`, then `current`, at the targets, each a symlink renamed over the old one. */
function switchLinks(venvTarget: string, releaseTarget: string): string {
  return `ln -sfn ${venvTarget} venv.tmp && mv -Tf venv.tmp venv && ln -sfn ${releaseTarget} current.tmp && mv -Tf current.tmp current`;
}

/**
 * Root script: point `venv` and `current` at the new venv and release (each a symlink renamed over the
 * old one, so a reader sees the old or the new, never none), record what they replaced in
 * `PREVIOUS_FILE`, then remove every release and venv but the new ones and the ones they replaced.
 * The replaced ones stay: old workers run from them until their graceful reload is done, and they are
 * what a failed probe goes back to (`revertScript`). Clean-up happens here, on the host the app now
 * runs on, rather than in a replaced resource's delete: that would need the old resource's connection
 * (gone when the host moved to a new address) and could remove what a renamed app now uses.
 */
export function activateScript(spec: ActivateSpec): string {
  const release = `releases/${spec.releaseId}`;
  const venv = `venvs/${spec.venvId}`;
  const prune = (dir: "releases" | "venvs", keep: string, was: string) => [
    `for d in ${dir}/*; do`,
    `  [ -e "$d" ] || continue`,
    `  case "$d" in ${q(keep)}|"$${was}"|*.tmp) ;; *) rm -rf -- "$d";; esac`,
    `done`,
  ];
  return [
    "set -eu",
    `cd ${q(spec.baseDir)}`,
    `was_release=$(readlink current 2>/dev/null || true)`,
    `was_venv=$(readlink venv 2>/dev/null || true)`,
    switchLinks(q(venv), q(release)),
    // Activating what is live already (a re-run) keeps the record of what it replaced.
    `if [ -n "$was_release" ] && [ -n "$was_venv" ] && { [ "$was_release" != ${q(release)} ] || [ "$was_venv" != ${q(venv)} ]; }; then`,
    `  echo "$was_release $was_venv" > ${PREVIOUS_FILE}.tmp && mv -f ${PREVIOUS_FILE}.tmp ${PREVIOUS_FILE}`,
    `elif [ -f ${PREVIOUS_FILE} ]; then`,
    `  read -r was_release was_venv < ${PREVIOUS_FILE} || true`,
    `fi`,
    ...prune("releases", release, "was_release"),
    ...prune("venvs", venv, "was_venv"),
  ].join("\n");
}

/** What a site's probe needs of each app behind it to bring it to its release, or back from it. */
export interface LiveRelease {
  /** The app's base directory. */
  readonly baseDir: string;
  readonly releaseId: string;
  readonly venvId: string;
  /** Root script file that applies what is on disk to the running server (written by the server's reload step). */
  readonly applyFile: string;
  /** The file that says a site in front of the server moves to a changed listener by itself (written by the probe). */
  readonly frontedFile: string;
  /** The server's stderr log: its last lines (secrets masked) go into a failure's message. */
  readonly logFile: string;
  /** The app's environment file: its values are masked in those lines. */
  readonly envFile: string;
}

/**
 * Shell function definitions for the probe: `converge` puts each app on its release (when a revert or
 * a hand moved it) and applies it; `revert` moves each app that runs its release back to the one it
 * replaced and applies that; `app_log` prints each server's last log lines with secrets masked.
 * Each app's steps are a subshell: one app's failure is reported and does not stop the others. (Inside
 * an `||` list `set -e` does not apply, so every step checks its own status.)
 */
export function releaseFunctions(releases: readonly LiveRelease[]): string {
  // One entry per app: two servers of one app switch together, and both apply.
  const apps = [...new Map(releases.map((r) => [r.baseDir, releases.filter((o) => o.baseDir === r.baseDir)])).values()];
  const each = (body: (r: LiveRelease, servers: LiveRelease[]) => string[]) =>
    apps.flatMap((servers) => [`  (`, ...body(servers[0], servers).map((l) => `    ${l}`), `  ) || rc=1`]);
  const target = (r: LiveRelease) => [`cd ${q(r.baseDir)} || exit 1`, `rel=${q(`releases/${r.releaseId}`)} venv=${q(`venvs/${r.venvId}`)}`];
  const apply = (servers: LiveRelease[]) => servers.map((r) => `sh ${q(r.applyFile)} >&2 || exit 1`);
  return [
    `converge() {`,
    `  rc=0`,
    ...each((r, servers) => [
      ...target(r),
      `if [ "$(readlink current 2>/dev/null)" != "$rel" ] || [ "$(readlink venv 2>/dev/null)" != "$venv" ]; then`,
      `  if [ ! -d "$rel" ] || [ ! -d "$venv" ]; then echo "flaskstack: "${q(r.baseDir)}"/$rel or $venv is gone: deploy it again (pulumi up --replace on the app's release and venv)" >&2; exit 1; fi`,
      `  echo "flaskstack: "${q(r.baseDir)}" runs $(readlink current 2>/dev/null || echo nothing), not $rel: switching to it" >&2`,
      `  ${switchLinks('"$venv"', '"$rel"')} || exit 1`,
      ...apply(servers).map((l) => `  ${l}`),
      `fi`,
    ]),
    `  return $rc`,
    `}`,
    `revert() {`,
    `  rc=0`,
    ...each((r, servers) => [
      ...target(r),
      `[ "$(readlink current 2>/dev/null)" = "$rel" ] && [ "$(readlink venv 2>/dev/null)" = "$venv" ] || exit 0`,
      `if ! read -r prev_rel prev_venv < ${PREVIOUS_FILE} 2>/dev/null || [ ! -d "$prev_rel" ] || [ ! -d "$prev_venv" ]; then`,
      `  echo "flaskstack: "${q(r.baseDir)}": no earlier release to go back to" >&2; exit 1`,
      `fi`,
      `echo "flaskstack: "${q(r.baseDir)}": going back to $prev_rel ($prev_venv)" >&2`,
      `${switchLinks('"$prev_venv"', '"$prev_rel"')} || exit 1`,
      ...apply(servers),
    ]),
    `  return $rc`,
    `}`,
    `app_log() {`,
    ...releases.map((r) => `  python3 -c ${q(MASKED_TAIL_PY)} ${q(r.envFile)} ${q(r.logFile)} 20 >&2 || true`),
    `  :`,
    `}`,
  ].join("\n");
}

/** `tail.py <env file> <log> <n>`: the log's last n lines, with the environment file's values masked. */
export const MASKED_TAIL_PY = String.raw`
import collections, shlex, sys
env_file, log, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
secrets = []
try:
    with open(env_file, encoding="utf-8") as f:
        words = shlex.split(f.read(), comments=True, posix=True)
    secrets = [v for k, v in (w.split("=", 1) for w in words if "=" in w) if len(v) >= 4 and not k.startswith("FLASKSTACK_")]
except (OSError, ValueError):
    pass
try:
    with open(log, errors="replace") as f:
        lines = [line.rstrip("\n") for line in collections.deque(f, n)]
except OSError:
    sys.exit(0)
text = "\n".join(lines)
for value in sorted(secrets, key=len, reverse=True):
    text = text.replace(value, "[secret]")
print("--- last lines of %s ---" % log)
print(text)
`;

/**
 * Python 3 program run by the entry check: `check.py <module> <callable> <0|1 factory> <env file> <health path or ->`.
 * Imports the entry the way a WSGI server would, from the current directory, then (unless the path is
 * `-`) calls it in-process with a GET of the health path: an exception or a 5xx answer fails the check,
 * any other answer (a 404 or 401 too: the app runs and answers) passes. On failure it prints the app's
 * own traceback and log lines with the environment file's values masked.
 */
export const CHECK_ENTRY_PY = String.raw`
import contextlib, importlib, io, os, sys, traceback, urllib.parse
module, attr, factory, env_file, health = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5]
sys.path.insert(0, os.getcwd())
entry = "%s:%s%s" % (module, attr, "()" if factory else "")
keep = "nothing was switched, the running release keeps serving"

def fail(text, why):
    secrets = []
    try:
        with open(env_file) as f:
            keys = [line.split("=", 1)[0] for line in f if "=" in line and not line.startswith("#")]
        secrets = [os.environ[k] for k in keys if len(os.environ.get(k, "")) >= 4]
    except OSError:
        pass
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "[secret]")
        why = why.replace(value, "[secret]")
    lines = text.rstrip("\n").split("\n")
    sys.stderr.write("\n".join(lines[-30:]) + "\n")
    sys.stderr.write("flaskstack: %s; %s\n" % (why, keep))
    sys.exit(1)

try:
    app = getattr(importlib.import_module(module), attr)
    if factory:
        app = app()
    if not callable(app):
        raise TypeError("%s is %r, not a WSGI callable" % (entry, app))
except BaseException:
    fail(traceback.format_exc(), "the new release cannot load %s" % entry)
if health == "-":
    sys.exit(0)

path, _, query = health.partition("?")
log = io.StringIO()
environ = {
    "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "QUERY_STRING": query,
    "PATH_INFO": urllib.parse.unquote_to_bytes(path).decode("latin-1"),
    "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_SOFTWARE": "flaskstack-check", "REMOTE_ADDR": "127.0.0.1",
    "HTTP_HOST": "localhost", "HTTP_USER_AGENT": "flaskstack-check",
    "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": log,
    "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
}
answer = []
def start_response(status, headers, exc_info=None):
    answer[:] = [status]
    return lambda data: None
where = "GET %s (called in-process as the app user, before the switch)" % health
body = b""
try:
    with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):
        result = app(environ, start_response)
        try:
            for chunk in result:
                if len(body) < 2000:
                    body += chunk
        finally:
            if hasattr(result, "close"):
                result.close()
except BaseException:
    fail(log.getvalue() + traceback.format_exc(), "the new release failed %s" % where)
status = answer[0] if answer else "no status"
try:
    code = int(status.split()[0])
except ValueError:
    code = 500
if code >= 500:
    snippet = body[:300].decode("utf-8", "replace").strip()
    fail(log.getvalue() + (("answer: " + snippet + "\n") if snippet else ""), "the new release answered %s with %s" % (where, status))
`;

/** The check's stdin: what it checks against (comments, so a change re-runs it), then the program. */
export function entryCheckStdin(environmentHash: string): string {
  return `# environment ${environmentHash}\n${CHECK_ENTRY_PY}`;
}

export interface EntryCheckSpec {
  readonly user: string;
  readonly releaseDir: string;
  readonly venvDir: string;
  readonly envFile: string;
  readonly entry: { readonly module: string; readonly callable: string; readonly factory: boolean };
  /** Path (and query) the new release is asked for in-process before the switch; absent: import only. */
  readonly healthPath?: string;
}

/**
 * Root script: as the app user, with the app's environment, the new venv's Python imports the entry
 * from the new release directory (and calls the factory), then asks it for the health path. Runs
 * before anything is switched. The
 * program arrives on stdin (`entryCheckStdin`), so a failure's message quotes a short command.
 */
export function entryCheckScript(spec: EntryCheckSpec): string {
  const inner = [
    `set -a; . ${q(spec.envFile)}; set +a`,
    `cd ${q(spec.releaseDir)}`,
    `exec ${q(`${spec.venvDir}/bin/python`)} - ${q(spec.entry.module)} ${q(spec.entry.callable)} ${spec.entry.factory ? "1" : "0"} ${q(spec.envFile)} ${q(spec.healthPath ?? "-")}`,
  ].join("; ");
  return `set -eu\nrunuser -u ${q(spec.user)} -- sh -c ${q(inner)}`;
}
