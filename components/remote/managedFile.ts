/**
 * A file on the host whose whole content is a resource input: `pulumi preview --diff` shows the
 * changed lines, and the file is rewritten only when its text (or owner/mode) changed.
 *
 * The content travels on stdin, never on the command line. The new text is written to a temp file
 * beside the target and moved into place atomically; with `verify` (e.g. `nginx -t`) the previous
 * file is kept aside and put back when verification fails, so a bad file never stays live.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { shellQuote as q } from "../quote";
import { asRoot, HostConnection, PrimitiveOptions, remoteCommand, tagged, withTokens } from "./connection";
import { claimScript, ifOwnerScript, ownerId } from "./ownership";

export interface ManagedFileSpec {
  /** Absolute path on the host (already validated). */
  readonly path: string;
  /** The file's text. A secret Output keeps it secret in state and previews. */
  readonly content: pulumi.Input<string>;
  readonly owner: string;
  readonly group: string;
  /** Octal mode, e.g. "0644". */
  readonly mode: string;
  /** Script run as root once the new file is in place; non-zero exit restores the old file. */
  readonly verify?: string;
  /** Script run as root before a failed verification's restore (e.g. to drop a symlink). */
  readonly onVerifyFailure?: string;
  /** Script run as root after the file is removed on delete (e.g. reload the service). */
  readonly afterDelete?: string;
  /** Extra preview tokens (never secret), e.g. the environment's key fingerprints. */
  readonly tokens?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The install script: atomic replace, optional verify with rollback, then `owner` claims the path. */
export function installScript(spec: ManagedFileSpec, owner: string): string {
  const p = q(spec.path);
  const prev = q(`${spec.path}.flaskstack-prev`);
  const lines = [
    "set -eu",
    `mkdir -p "$(dirname ${p})"`,
    `tmp=$(mktemp ${q(`${spec.path}.flaskstack-XXXXXX`)})`,
    `trap 'rm -f "$tmp"' EXIT`,
    `cat > "$tmp"`,
    `chown ${q(`${spec.owner}:${spec.group}`)} "$tmp"`,
    `chmod ${q(spec.mode)} "$tmp"`,
  ];
  if (spec.verify === undefined) {
    lines.push(`mv -f "$tmp" ${p}`);
  } else {
    lines.push(
      `had_prev=0; if [ -e ${p} ]; then cp -p ${p} ${prev}; had_prev=1; fi`,
      `mv -f "$tmp" ${p}`,
      `if ! ( ${spec.verify} ) >&2; then`,
      `  echo ${q(`flaskstack: ${spec.path} failed verification; the previous version stays live`)} >&2`,
      ...(spec.onVerifyFailure ? [`  ( ${spec.onVerifyFailure} ) || true`] : []),
      `  if [ "$had_prev" = 1 ]; then mv -f ${prev} ${p}; else rm -f ${p}; fi`,
      `  exit 1`,
      `fi`,
      `rm -f ${prev}`,
    );
  }
  lines.push(claimScript(spec.path, owner), WRITE_NONCE);
  return lines.join("\n");
}

/**
 * The last line of every write: a fresh random token on stdout. The steps that apply a file (reload,
 * `supervisorctl update`) take it as an input, so they run after every write, also after an `up` that
 * failed between the write and the apply and a later one that puts the old text back.
 */
export const WRITE_NONCE = `echo "written $(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n')"`;

/** Removes the file (and runs `afterDelete`) while `owner` still owns it. */
export function deleteScript(spec: ManagedFileSpec, owner: string): string {
  return ifOwnerScript(spec.path, owner, [`rm -f ${q(spec.path)}`, ...(spec.afterDelete ? [spec.afterDelete] : [])].join("\n"));
}

export function managedFile(name: string, conn: HostConnection, spec: ManagedFileSpec, opts: PrimitiveOptions): command.remote.Command {
  const owner = ownerId(opts.parent, name);
  return remoteCommand(
    name,
    conn,
    {
      // Tagged as a file, so the review report shows the content's diff under this path.
      create: withTokens(
        tagged(conn, { kind: "file", path: spec.path, ...(spec.afterDelete ? { afterDelete: true } : {}) }, spec.tokens),
        owner.apply((o) => asRoot(conn, installScript(spec, o))),
      ),
      delete: owner.apply((o) => asRoot(conn, deleteScript(spec, o))),
      stdin: spec.content,
      // A file that moves is a different file: remove the old path, then write the new one.
      triggers: [spec.path],
      // stdout is the write's nonce, kept in state, not shown.
      logging: "stderr",
    },
    { ...opts, deleteBeforeReplace: true },
  );
}
