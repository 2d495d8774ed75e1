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
      `if [ ! -d "$d" ]; then`,
      `  if [ ! -f "$a" ]; then`,
      `    echo "flaskstack: the release archive $a is not on the host; copy it again with: pulumi up --replace "${q(urn)} >&2`,
      `    exit 1`,
      `  fi`,
      `  echo ${q(`${spec.sha256}  ${spec.archive}`)} | sha256sum -c --quiet - >&2 || { echo "flaskstack: $a is damaged or incomplete" >&2; exit 1; }`,
      `  rm -rf "$d.tmp"`,
      `  trap 'rm -rf "$d.tmp"' EXIT`,
      `  mkdir -p "$d.tmp"`,
      `  python3 -c ${q(UNPACK_PY)} "$a" "$d.tmp"`,
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

/**
 * Root script: point `venv` and `current` at the new venv and release (each a symlink renamed over the
 * old one, so a reader sees the old or the new, never none), then remove every release and venv but the
 * new ones and the ones they replaced. The replaced ones stay: old workers run from them until their
 * graceful reload is done, and they are what to go back to. Clean-up happens here, on the host the app
 * now runs on, rather than in a replaced resource's delete: that would need the old resource's
 * connection (gone when the host moved to a new address) and could remove what a renamed app now uses.
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
    `ln -sfn ${q(venv)} venv.tmp && mv -Tf venv.tmp venv`,
    `ln -sfn ${q(release)} current.tmp && mv -Tf current.tmp current`,
    ...prune("releases", release, "was_release"),
    ...prune("venvs", venv, "was_venv"),
  ].join("\n");
}

/**
 * Python 3 program run by the entry check: `check.py <module> <callable> <0|1 factory> <env file>`.
 * Imports the entry the way a WSGI server would, from the current directory, and on failure prints
 * the app's own traceback with the environment file's values masked.
 */
export const CHECK_ENTRY_PY = String.raw`
import importlib, os, sys, traceback
module, attr, factory, env_file = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
sys.path.insert(0, os.getcwd())
entry = "%s:%s%s" % (module, attr, "()" if factory else "")
try:
    app = getattr(importlib.import_module(module), attr)
    if factory:
        app = app()
    if not callable(app):
        raise TypeError("%s is %r, not a WSGI callable" % (entry, app))
except BaseException:
    text = traceback.format_exc()
    secrets = []
    try:
        with open(env_file) as f:
            keys = [line.split("=", 1)[0] for line in f if "=" in line and not line.startswith("#")]
        secrets = [os.environ[k] for k in keys if len(os.environ.get(k, "")) >= 4]
    except OSError:
        pass
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "[secret]")
    lines = text.rstrip("\n").split("\n")
    sys.stderr.write("\n".join(lines[-30:]) + "\n")
    sys.stderr.write("flaskstack: the new release cannot load %s; nothing was switched, the running release keeps serving\n" % entry)
    sys.exit(1)
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
}

/**
 * Root script: as the app user, with the app's environment, the new venv's Python imports the entry
 * from the new release directory (and calls the factory). Runs before anything is switched. The
 * program arrives on stdin (`entryCheckStdin`), so a failure's message quotes a short command.
 */
export function entryCheckScript(spec: EntryCheckSpec): string {
  const inner = [
    `set -a; . ${q(spec.envFile)}; set +a`,
    `cd ${q(spec.releaseDir)}`,
    `exec ${q(`${spec.venvDir}/bin/python`)} - ${q(spec.entry.module)} ${q(spec.entry.callable)} ${spec.entry.factory ? "1" : "0"} ${q(spec.envFile)}`,
  ].join("; ");
  return `set -eu\nrunuser -u ${q(spec.user)} -- sh -c ${q(inner)}`;
}
