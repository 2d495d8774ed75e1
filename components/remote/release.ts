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
