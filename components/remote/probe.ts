/**
 * The site's health probe: after a change, `up` returns only once nginx on the host answers the
 * health path with 2xx or 3xx (through the whole chain: nginx, the socket, the server, the app).
 */
import { shellQuote as q } from "../quote";
import { claimScript, ifOwnerScript } from "./ownership";
import { LiveRelease, releaseFunctions } from "./release";

/**
 * How long the app may answer 500 without a break before the probe gives up at once rather than at its
 * timeout: the new release is loaded and failing (nginx's own 502/504, a server still starting, go on
 * being waited for), and every second more is a second of failed requests before the revert.
 */
export const APP_ERROR_SECS = 3;

/**
 * `probe.py <http|https> <port> <Host header> <path> <timeout s> <app error s>`: polls until a 2xx/3xx
 * answer; fails at the timeout, or once the app has answered 500 for `<app error s>` without a break.
 */
export const PROBE_PY = String.raw`
import http.client, ssl, sys, time
scheme, port, host, path, timeout, app_error = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
deadline = time.monotonic() + timeout
last = "no answer"
failing_since = None
while True:
    try:
        if scheme == "https":
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ssl._create_unverified_context())
        else:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path, headers={"Host": host, "User-Agent": "flaskstack-probe"})
        r = c.getresponse()
        r.read()
        c.close()
        if 200 <= r.status < 400:
            print("GET %s (Host: %s): %d %s" % (path, host, r.status, r.reason))
            sys.exit(0)
        last = "%d %s" % (r.status, r.reason)
        status = r.status
    except (OSError, http.client.HTTPException) as e:
        last = "%s: %s" % (type(e).__name__, e)
        status = None
    now = time.monotonic()
    if status == 500:
        failing_since = now if failing_since is None else failing_since
        if now - failing_since >= app_error:
            sys.stderr.write("flaskstack: the site answered GET %s (Host: %s) on %s://127.0.0.1:%d with 500 for %d s without a break: the app fails; last answer: %s\n" % (path, host, scheme, port, app_error, last))
            sys.exit(1)
    else:
        failing_since = None
    if now >= deadline:
        break
    time.sleep(0.5)
sys.stderr.write("flaskstack: the site did not answer GET %s (Host: %s) on %s://127.0.0.1:%d with 2xx or 3xx within %d s; last answer: %s\n" % (path, host, scheme, port, timeout, last))
sys.exit(1)
`;

export interface ProbeSpec {
  readonly scheme: "http" | "https";
  readonly port: number;
  readonly hostHeader: string;
  readonly path: string;
  readonly timeoutSecs: number;
  /** nginx's error log for the site: its last lines go into the error. */
  readonly errorLog: string;
  /** The apps behind the site: put on their releases first, and moved back when the probe fails. */
  readonly releases?: readonly LiveRelease[];
  /** Who claims the servers' fronted files (`ownerId` of the probe): its delete removes only its own. */
  readonly owner?: string;
}

/**
 * Root script, the probe program on stdin (`probeStdin`, so a failure's message quotes a short command):
 *
 * 0. each server behind the site is marked as fronted by it (a changed listener then waits for the
 *    site, handoff.ts), and a switch that waited for nginx to reload onto its new socket completes;
 * 1. converge: an app that does not run the release this deploy made live (a revert, a hand) is
 *    switched to it and its server applies it;
 * 2. probe the site through nginx until it answers 2xx/3xx, or the timeout ends, or the app has
 *    answered 500 for `APP_ERROR_SECS` without a break;
 * 3. on failure: the tails of nginx's error log and of each server's log (secrets masked), then each
 *    app goes back to the release it replaced, its server applies that, and the site is probed again.
 *    The step fails either way: its state keeps the old inputs, so the next `up` runs it again.
 */
export function probeScript(spec: ProbeSpec): string {
  const releases = spec.releases ?? [];
  const probe = (timeout: number) => `python3 "$prog" ${q(spec.scheme)} ${spec.port} ${q(spec.hostHeader)} ${q(spec.path)} ${timeout} ${APP_ERROR_SECS}`;
  return [
    "set -u",
    'prog=$(mktemp) && trap \'rm -f "$prog"\' EXIT && cat > "$prog"',
    ...servers(releases).flatMap((r) => [
      ...(spec.owner === undefined ? [] : [`${claimScript(r.frontedFile, spec.owner)} && : > ${q(r.frontedFile)}`]),
      `sh ${q(r.applyFile)} finish >&2 || exit 1`,
    ]),
    ...(releases.length ? [releaseFunctions(releases), "converge || exit 1"] : []),
    `${probe(spec.timeoutSecs)} && exit 0`,
    `tail -n 10 ${q(spec.errorLog)} >&2 2>/dev/null || true`,
    ...(releases.length
      ? [
          "app_log",
          "if revert; then",
          `  if ${probe(Math.min(spec.timeoutSecs, 30))} >&2; then`,
          `    echo "flaskstack: the new release failed the site probe; it went back to the release it replaced, which answers" >&2`,
          "  else",
          `    echo "flaskstack: the new release failed the site probe; it went back to the release it replaced, which does not answer either" >&2`,
          "  fi",
          "fi",
        ]
      : []),
    "exit 1",
  ].join("\n");
}

/** Root script for the probe's delete: the fronted files it still owns go (the servers then restart in place). */
export function probeDeleteScript(releases: readonly LiveRelease[], owner: string): string {
  return servers(releases)
    .map((r) => ifOwnerScript(r.frontedFile, owner, `rm -f ${q(r.frontedFile)}`))
    .join("\n");
}

/** One entry per server (two sites may list the same one). */
function servers(releases: readonly LiveRelease[]): LiveRelease[] {
  return [...new Map(releases.map((r) => [r.applyFile, r])).values()];
}

/** The probe's stdin: what it runs after (as comments, so a change re-runs it), then the program. */
export function probeStdin(after: readonly string[]): string {
  return `${after.map((a) => `# ${a.replace(/[\r\n]+/g, " ")}\n`).join("")}${PROBE_PY}`;
}
