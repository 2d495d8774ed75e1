/**
 * A restart that drops no request, for a server behind nginx: a standby instance of the same program
 * starts beside it on the handoff socket (nginx's `backup` server for this one) and serves while the
 * server restarts; then it goes.
 *
 * 1. The standby starts from the files on disk now (the server's config copied with its own socket,
 *    pid file and FIFO), as a supervisor program of its own, and must accept connections.
 * 2. On a unix socket, the socket's name is pointed at the standby (a hard link renamed over it): new
 *    connections go there, while the server finishes what it accepted (`drainSecs`). A TCP port has
 *    no name to take over: the server keeps it until it stops.
 * 3. The server stops and starts again (or supervisor takes its changed section). While it is
 *    down, its socket is missing or refuses (a TCP port refuses), and nginx passes requests to the
 *    backup: the standby.
 * 4. Once the server accepts again and the standby has finished its requests, the standby goes.
 *
 * A standby that does not come up leaves everything as it was (the caller restarts in place). A
 * server that does not come back leaves the standby serving, and fails: the next `up` starts the
 * server, then removes the standby.
 *
 * A changed listener (another socket, another server kind taking over the program) is a switch: the
 * running instance listens where nginx does not yet look, and stopping it before nginx has moved
 * would drop every request until then. So when a site in front of the program has said it moves by
 * itself (the fronted file, written by its probe) and the new listener does not accept yet, step 3 waits:
 * the standby serves the new listener (its socket's name, or as the backup of a port nobody holds yet),
 * the old instance goes on serving the old one, and the site's probe finishes the switch
 * (`handoff_finish`) once nginx has reloaded onto the new listener.
 */
import { ListenerAddress, tcpAddressToString } from "../config/listener";
import { shellCommand, shellQuote as q } from "../quote";

export interface HandoffSpec {
  /** The supervisor program being restarted. */
  readonly program: string;
  /** The standby's program name. */
  readonly standby: string;
  /** The program's supervisor file, copied into the standby's with `sectionReplacements` (autostart off). */
  readonly programFile: string;
  /** Exact strings replaced in that copy: the section name, autostart, log files, config and instance paths. */
  readonly sectionReplacements: readonly (readonly [string, string])[];
  /** Where that section is written for supervisor: `/etc/supervisor/conf.d/<standby>.conf`. */
  readonly sectionFile: string;
  /** Where the server listens: its unix socket, or a TCP port. */
  readonly listen: ListenerAddress;
  /** The standby's unix socket (the upstream's `backup` in nginx). */
  readonly handoffSocket: string;
  /** The server's config file and the copy the standby reads (absent for a server configured by its command). */
  readonly configFile?: { readonly path: string; readonly copy: string };
  /** Paths of the running instance replaced in that copy (socket, pid file, FIFO) with the standby's. */
  readonly replacements: readonly (readonly [string, string])[];
  /** Seconds to wait for each instance to run and accept. */
  readonly startWaitSecs: number;
  /** Seconds an instance no longer reached by new connections keeps running, to finish what it accepted. */
  readonly drainSecs: number;
  /** The standby's and the server's stderr logs: their last lines explain a failure. */
  readonly standbyLog: string;
  readonly serverLog: string;
  /** Present while a switch waits for the site to move (in the run dir: gone at a reboot, when supervisor starts the new section anyway). */
  readonly pendingFile: string;
  /** Written by the probe of a site in front of the program: that site moves to a changed listener by itself. */
  readonly frontedFile: string;
}

/** The argument `ACCEPTS_PY` takes for a listener: the socket's path, or `host:port` (`[::1]:8000`). */
export function acceptsTarget(listen: ListenerAddress): string {
  return listen.kind === "unix" ? listen.path : tcpAddressToString(listen);
}

/** `copy.py <from> <to> [<old> <new>]…`: the file with each old string replaced; every old one must occur. */
export const COPY_WITH_PY = String.raw`
import sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(src).read()
for old, new in zip(pairs[0::2], pairs[1::2]):
    if old not in text:
        sys.exit("flaskstack: %s does not name %s: no standby" % (src, old))
    text = text.replace(old, new)
with open(dst, "w") as f:
    f.write(text)
`;

/**
 * `accepts.py <listener> <seconds>`: waits until a unix socket (an absolute path) or a TCP port
 * (`host:port`, `[v6]:port`) accepts a connection.
 */
export const ACCEPTS_PY = String.raw`
import socket, sys, time
target, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
if target.startswith("/"):
    family, address = socket.AF_UNIX, target
else:
    host, _, port = target.rpartition(":")
    family, address = (socket.AF_INET6 if ":" in host else socket.AF_INET), (host.strip("[]"), int(port))
while True:
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(address)
        sys.exit(0)
    except OSError as e:
        if time.monotonic() >= deadline:
            sys.exit("flaskstack: %s does not accept connections: %s" % (target, e))
        time.sleep(0.2)
    finally:
        s.close()
`;

/**
 * Shell functions (POSIX sh, root): `handoff start|update` restarts the program through a standby
 * (`update`: supervisor takes the program's changed section), returning non-zero with nothing
 * changed when the standby cannot start, or 2 when the server did not come back (the standby
 * serves); `handoff switch` stops after the standby took the socket (`handoff_switch_wanted` says
 * when), and `handoff_finish` completes it (`handoff_pending` until then); `handoff_cleanup` removes a standby left over;
 * `handoff_retire` lets one finish first.
 */
export function handoffFunctions(spec: HandoffSpec): string {
  const pairs = (ps: readonly (readonly [string, string])[]) => ps.map(([a, b]) => `${q(a)} ${q(b)}`).join(" ");
  const prog = q(spec.program);
  const standby = q(spec.standby);
  const where = acceptsTarget(spec.listen);
  const addr = q(where);
  const unixPath = spec.listen.kind === "unix" ? spec.listen.path : undefined;
  const hsock = q(spec.handoffSocket);
  const ctl = (...a: string[]) => shellCommand(["supervisorctl", ...a]);
  const copy = spec.configFile;
  return [
    `ho_wait() {`,
    `  i=0`,
    `  while [ "$i" -lt ${spec.startWaitSecs} ]; do`,
    `    st=$(supervisorctl status "$1" 2>&1 || true)`,
    `    case "$st" in *RUNNING*) python3 -c ${q(ACCEPTS_PY)} "$2" ${spec.startWaitSecs} >&2 && return 0; break;; *FATAL*|*BACKOFF*|*EXITED*|*STOPPED*) break;; esac`,
    `    sleep 1; i=$((i + 1))`,
    `  done`,
    `  echo "$st" >&2; tail -n 20 "$3" >&2 2>/dev/null || true`,
    `  return 1`,
    `}`,
    `handoff_cleanup() {`,
    `  if [ -e ${q(spec.sectionFile)} ] || supervisorctl status ${standby} >/dev/null 2>&1; then`,
    `    ${ctl("stop", spec.standby)} >/dev/null 2>&1 || true`,
    `    ${ctl("remove", spec.standby)} >/dev/null 2>&1 || true`,
    `    rm -f ${q(spec.sectionFile)} ${hsock} ${q(spec.pendingFile)}${copy ? ` ${q(copy.copy)}` : ""}`,
    `    ${ctl("reread")} >/dev/null 2>&1 || true`,
    `  fi`,
    `}`,
    // A switch waits for the site when one in front of the program moves by itself and the new socket is not served yet.
    `handoff_switch_wanted() {`,
    `  [ -e ${q(spec.frontedFile)} ] && ! python3 -c ${q(ACCEPTS_PY)} ${addr} 0 >/dev/null 2>&1`,
    `}`,
    `handoff_pending() { [ -e ${q(spec.pendingFile)} ]; }`,
    `handoff() {`,
    `  handoff_cleanup`,
    ...(copy
      ? [
          `  python3 -c ${q(COPY_WITH_PY)} ${q(copy.path)} ${q(copy.copy)} ${pairs(spec.replacements)} >&2 || return 1`,
          `  chown --reference=${q(copy.path)} ${q(copy.copy)} && chmod --reference=${q(copy.path)} ${q(copy.copy)} || return 1`,
        ]
      : []),
    `  python3 -c ${q(COPY_WITH_PY)} ${q(spec.programFile)} ${q(spec.sectionFile)} ${pairs(spec.sectionReplacements)} >&2 || { rm -f ${q(spec.sectionFile)}; return 1; }`,
    `  echo "flaskstack: $(date +%T) starting the standby ${spec.standby} on ${spec.handoffSocket}" >&2`,
    `  ${ctl("reread")} >/dev/null && ${ctl("add", spec.standby)} >/dev/null && ${ctl("start", spec.standby)} >&2 || true`,
    `  if ! ho_wait ${standby} ${hsock} ${q(spec.standbyLog)}; then`,
    `    echo "flaskstack: the standby did not come up" >&2; handoff_cleanup; return 1`,
    `  fi`,
    // New connections reach the standby from here on; the server finishes what it accepted. (A port
    // cannot be taken over: nginx reaches the standby as the backup once the server has let it go.)
    ...(unixPath
      ? [`  ln -f ${hsock} ${q(`${unixPath}.flaskstack-tmp`)} && mv -f ${q(`${unixPath}.flaskstack-tmp`)} ${addr} || { handoff_cleanup; return 1; }`]
      : []),
    `  if [ "$1" = switch ]; then`,
    `    : > ${q(spec.pendingFile)}`,
    `    echo "flaskstack: $(date +%T) the standby serves ${unixPath ?? `as the backup of ${where}`}; ${spec.program} goes on serving where it listened until the site has moved" >&2`,
    `    return 0`,
    `  fi`,
    ...(unixPath ? [`  sleep ${spec.drainSecs}`] : []),
    `  handoff_replace "$1"`,
    `}`,
    // The server stops and takes its (changed) section while the standby serves; 2 when it does not come back.
    `handoff_replace() {`,
    `  echo "flaskstack: $(date +%T) restarting ${spec.program}; the standby serves meanwhile" >&2`,
    `  ${ctl("stop", spec.program)} >&2 || true`,
    // Whatever the name leads to now, the server binds it afresh; until then nginx uses the backup.
    ...(unixPath ? [`  rm -f ${addr}`] : []),
    `  if [ "$1" = update ]; then ${ctl("update", spec.program)} >&2 || true; else ${ctl("start", spec.program)} >&2 || true; fi`,
    `  if ! ho_wait ${prog} ${addr} ${q(spec.serverLog)}; then`,
    `    echo "flaskstack: ${spec.program} did not come back; the standby ${spec.standby} keeps serving" >&2; return 2`,
    `  fi`,
    `  sleep ${spec.drainSecs}`,
    `  handoff_cleanup`,
    `  echo "flaskstack: $(date +%T) ${spec.program} is back; the standby is gone" >&2`,
    `}`,
    // Once the site has reloaded onto the new socket: what nginx's old workers still send to the old
    // instance finishes, then the program takes its new section. Nothing to do without a switch.
    `handoff_finish() {`,
    `  [ -e ${q(spec.pendingFile)} ] || return 0`,
    `  echo "flaskstack: $(date +%T) the site has moved to ${where}: ${spec.program} takes its new section" >&2`,
    `  sleep ${spec.drainSecs}`,
    `  rc=0; handoff_replace update || rc=$?`,
    `  rm -f ${q(spec.pendingFile)}`,
    `  return $rc`,
    `}`,
    // After the server was started some other way: a standby still serving finishes, then goes.
    `handoff_retire() {`,
    `  if [ -e ${q(spec.sectionFile)} ]; then sleep ${spec.drainSecs}; handoff_cleanup; fi`,
    `}`,
  ].join("\n");
}

/** `text` with each pair's first string replaced by its second, in order (what `COPY_WITH_PY` does). */
export function replaceAll(text: string, pairs: readonly (readonly [string, string])[]): string {
  return pairs.reduce((t, [from, to]) => t.split(from).join(to), text);
}

/**
 * The replacements that turn the program's rendered section into the standby's, or undefined when
 * no such set of exact strings does (then there is no standby, and a restart is supervisor's). Only
 * names, paths and the autostart/autorestart/log lines: nothing a setting change alters.
 */
export function sectionReplacements(
  program: { readonly name: string; readonly text: string },
  standby: { readonly name: string; readonly text: string },
  paths: readonly (readonly [string, string])[],
): (readonly [string, string])[] | undefined {
  const lineOf = (text: string, key: string) => text.split("\n").find((l) => l.startsWith(`${key}=`));
  const keyed = ["autostart", "autorestart", "stdout_logfile", "stderr_logfile"]
    .map((k) => [lineOf(program.text, k), lineOf(standby.text, k)] as const)
    .filter((p): p is readonly [string, string] => p[0] !== undefined && p[1] !== undefined && p[0] !== p[1]);
  // Only what the section holds: the copy on the host refuses a string it cannot find.
  const all = [[`[program:${program.name}]`, `[program:${standby.name}]`] as const, ...keyed, ...paths].filter(([from]) => program.text.includes(from));
  return replaceAll(program.text, all) === standby.text ? all : undefined;
}
