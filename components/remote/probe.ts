/**
 * The site's health probe: after a change, `up` returns only once nginx on the host answers the
 * health path with 2xx or 3xx (through the whole chain: nginx, the socket, the server, the app).
 */
import { shellQuote as q } from "../quote";

/** `probe.py <http|https> <port> <Host header> <path> <timeout s>`: polls until a 2xx/3xx answer. */
export const PROBE_PY = String.raw`
import http.client, ssl, sys, time
scheme, port, host, path, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
deadline = time.monotonic() + timeout
last = "no answer"
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
    except (OSError, http.client.HTTPException) as e:
        last = "%s: %s" % (type(e).__name__, e)
    if time.monotonic() >= deadline:
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
}

/**
 * Root script: probe the site; on failure add the tail of nginx's error log for the site. The probe
 * program arrives on stdin (`probeStdin`), so a failure's message quotes a short command.
 */
export function probeScript(spec: ProbeSpec): string {
  return [
    `if ! python3 - ${q(spec.scheme)} ${spec.port} ${q(spec.hostHeader)} ${q(spec.path)} ${spec.timeoutSecs}; then`,
    `  tail -n 10 ${q(spec.errorLog)} >&2 2>/dev/null || true`,
    `  exit 1`,
    `fi`,
  ].join("\n");
}

/** The probe's stdin: what it runs after (as comments, so a change re-runs it), then the program. */
export function probeStdin(after: readonly string[]): string {
  return `${after.map((a) => `# ${a.replace(/[\r\n]+/g, " ")}\n`).join("")}${PROBE_PY}`;
}
