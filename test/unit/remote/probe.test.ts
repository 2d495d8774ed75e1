/** The health probe, run for real with python3 against a local HTTP server that answers as told. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { claimFile } from "../../../components/remote/ownership";
import { APP_ERROR_SECS, probeDeleteScript, probeScript, probeStdin } from "../../../components/remote/probe";
import { LiveRelease, PREVIOUS_FILE } from "../../../components/remote/release";

// The probe polls in real time: several runs here take seconds by design (3 s of 500s, a 10-answer
// sequence), more on a busy machine than jest's default 5 s allows.
jest.setTimeout(30_000);

let server: http.Server;
let port: number;
let answers: number[] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    res.statusCode = answers.length > 1 ? (answers.shift() as number) : answers[0];
    res.end("x");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Runs the probe script for real; `releases` are the apps behind the site. */
function runProbe(
  timeout: number,
  releases?: LiveRelease[],
  after = ["nginx written 0123", "service abc"],
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const script = probeScript({
      scheme: "http",
      port,
      hostHeader: "shop.example",
      path: "/healthz",
      timeoutSecs: timeout,
      errorLog: "/nonexistent/error.log",
      releases,
    });
    const p = spawn("sh", ["-c", script]);
    p.stdin.end(probeStdin(after));
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const probe = (timeout: number) => runProbe(timeout);

describe("health probe", () => {
  it("waits through 404s and 502s (a reload not yet in effect) until the site answers 2xx", async () => {
    answers = [404, 502, 200];
    const r = await probe(10);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe("GET /healthz (Host: shop.example): 200 OK");
    expect(seen.slice(-3)).toEqual(["shop.example /healthz", "shop.example /healthz", "shop.example /healthz"]);
  });

  it("gives up at once when the app has answered 500 for APP_ERROR_SECS without a break, not at its timeout", async () => {
    answers = [500];
    const started = Date.now();
    const r = await probe(60);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(1);
    expect(r.err).toContain(`with 500 for ${APP_ERROR_SECS} s without a break: the app fails; last answer: 500 Internal Server Error`);
    expect(seconds).toBeGreaterThanOrEqual(APP_ERROR_SECS);
    expect(seconds).toBeLessThan(30);
  });

  it("counts the app's 500s only without a break: a 502 between them (a server starting) starts the count again", async () => {
    // 500 for ~2 s, a 502, 500 for ~2 s, then 200: never 3 s of 500 in a row.
    answers = [500, 500, 500, 500, 502, 500, 500, 500, 500, 200];
    const r = await probe(60);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe("GET /healthz (Host: shop.example): 200 OK");
  });

  it("fails after its timeout with the last answer", async () => {
    answers = [502];
    const r = await probe(1);
    expect(r.code).toBe(1);
    expect(r.err).toContain("did not answer GET /healthz (Host: shop.example)");
    expect(r.err).toContain("last answer: 502 Bad Gateway");
  });
});

/**
 * The probe with the apps behind it: a temp base dir per app whose `current` link decides what the
 * server above answers (the new release `r2` is broken when told so), and an apply script stub
 * that logs each run.
 */
describe("health probe with the releases behind the site", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  let broken = new Set<string>();
  let base: string;

  function app(opts: { current: string; previous?: string }): LiveRelease {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-probe-"));
    dirs.push(base);
    for (const d of ["releases/r1", "releases/r2", "venvs/v1"]) fs.mkdirSync(path.join(base, d), { recursive: true });
    fs.symlinkSync(`releases/${opts.current}`, path.join(base, "current"));
    fs.symlinkSync("venvs/v1", path.join(base, "venv"));
    if (opts.previous) fs.writeFileSync(path.join(base, PREVIOUS_FILE), `releases/${opts.previous} venvs/v1\n`);
    // The server's stored apply script: \`finish\` (a switch waiting for the site) is logged apart.
    fs.writeFileSync(
      path.join(base, "apply.sh"),
      `if [ "\${1:-}" = finish ]; then echo finish >> ${base}/finished; exit "$(cat ${base}/finish-rc 2>/dev/null || echo 0)"; fi\necho "apply $(readlink ${base}/current)" >> ${base}/calls\n`,
    );
    fs.writeFileSync(path.join(base, "env"), "API_TOKEN='tok-12345'\n");
    fs.writeFileSync(path.join(base, "server.log"), "Traceback (most recent call last):\nKeyError: tok-12345\n");
    return {
      baseDir: base,
      releaseId: "r2",
      venvId: "v1",
      applyFile: path.join(base, "apply.sh"),
      frontedFile: path.join(base, "fronted-app"),
      logFile: path.join(base, "server.log"),
      envFile: path.join(base, "env"),
    };
  }

  const calls = () => (fs.existsSync(path.join(base, "calls")) ? fs.readFileSync(path.join(base, "calls"), "utf8").trim().split("\n") : []);
  const current = () => fs.readlinkSync(path.join(base, "current"));

  const probeWith = (releases: LiveRelease[], timeout = 1) => runProbe(timeout, releases, []);

  let siteServer: http.Server;
  let sitePort = 0;
  beforeAll(async () => {
    // Answers 500 while the base dir's current release is in `broken`.
    siteServer = http.createServer((_req, res) => {
      res.statusCode = broken.has(current()) ? 500 : 200;
      res.end("x");
    });
    await new Promise<void>((r) => siteServer.listen(0, "127.0.0.1", r));
    sitePort = (siteServer.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => siteServer.close(() => r())));
  // The shared `port` of the tests above is the site server's here.
  beforeEach(() => {
    port = sitePort;
  });

  const finished = () => (fs.existsSync(path.join(base, "finished")) ? fs.readFileSync(path.join(base, "finished"), "utf8").trim().split("\n") : []);

  it("GIVEN the app on its new release that answers THEN it passes and applies nothing", async () => {
    broken = new Set();
    const r = await probeWith([app({ current: "r2", previous: "r1" })]);
    expect([r.code, r.err, calls()]).toEqual([0, "", []]);
  });

  it("GIVEN servers behind the site THEN each is asked once to finish a switch waiting for nginx, and without an owner no fronted file is written", async () => {
    broken = new Set();
    const one = app({ current: "r2", previous: "r1" });
    const r = await probeWith([one, one]);
    expect([r.code, finished()]).toEqual([0, ["finish"]]);
    expect(fs.existsSync(one.frontedFile)).toBe(false);
  });

  it("GIVEN a switch whose server does not come back THEN the probe fails before probing, and converges nothing", async () => {
    broken = new Set();
    const one = app({ current: "r1", previous: "r1" });
    fs.writeFileSync(path.join(base, "finish-rc"), "1");
    const r = await probeWith([one]);
    expect([r.code, finished(), calls(), current()]).toEqual([1, ["finish"], [], "releases/r1"]);
  });

  it("GIVEN a new release that fails the probe THEN it goes back to the one it replaced, applies it, and still fails with the server's log masked", async () => {
    broken = new Set(["releases/r2"]);
    const r = await probeWith([app({ current: "r2", previous: "r1" })]);
    expect(r.code).toBe(1);
    expect(current()).toBe("releases/r1");
    expect(calls()).toEqual(["apply releases/r1"]);
    expect(r.err).toContain("KeyError: [secret]");
    expect(r.err).not.toContain("tok-12345");
    expect(r.err).toContain("going back to releases/r1 (venvs/v1)");
    expect(r.err).toContain("it went back to the release it replaced, which answers");
  });

  it("GIVEN an app a revert left on its old release WHEN probed again THEN it switches to the new release first (the next up tries again)", async () => {
    broken = new Set();
    const r = await probeWith([app({ current: "r1", previous: "r1" })]);
    expect(r.code).toBe(0);
    expect(current()).toBe("releases/r2");
    expect(calls()).toEqual(["apply releases/r2"]);
    expect(r.err).toContain("runs releases/r1, not releases/r2: switching to it");
  });

  it("GIVEN a first release that fails THEN there is nothing to go back to, and it says so", async () => {
    broken = new Set(["releases/r2"]);
    const r = await probeWith([app({ current: "r2" })]);
    expect(r.code).toBe(1);
    expect(current()).toBe("releases/r2");
    expect(calls()).toEqual([]);
    expect(r.err).toContain("no earlier release to go back to");
  });

  it("GIVEN two servers of one app THEN the app switches back once and both apply", async () => {
    broken = new Set(["releases/r2"]);
    const one = app({ current: "r2", previous: "r1" });
    fs.writeFileSync(`${one.applyFile}.second`, `[ "\${1:-}" = finish ] && exit 0\necho "second $(readlink ${base}/current)" >> ${base}/calls\n`);
    const r = await probeWith([one, { ...one, applyFile: `${one.applyFile}.second` }]);
    expect(r.code).toBe(1);
    expect(current()).toBe("releases/r1");
    expect(calls()).toEqual(["apply releases/r1", "second releases/r1"]);
  });
});

describe("probe's fronted files", () => {
  const release: LiveRelease = {
    baseDir: "/srv/app",
    releaseId: "r2",
    venvId: "v1",
    applyFile: "/etc/app/apply-app.sh",
    frontedFile: "/etc/app/fronted-app",
    logFile: "/var/log/app/err.log",
    envFile: "/etc/app/env",
  };

  it("GIVEN an owner THEN the probe claims and writes each server's fronted file before it finishes switches", () => {
    const script = probeScript({
      scheme: "http",
      port: 80,
      hostHeader: "x",
      path: "/",
      timeoutSecs: 5,
      errorLog: "/e",
      releases: [release],
      owner: "urn:site#probe",
    });
    const lines = script.split("\n");
    const claim = lines.findIndex((l) => l.includes(claimFile(release.frontedFile)) && l.endsWith(": > /etc/app/fronted-app"));
    const finish = lines.indexOf("sh /etc/app/apply-app.sh finish >&2 || exit 1");
    expect(claim).toBeGreaterThan(0);
    expect(finish).toBeGreaterThan(claim);
    expect(lines[claim]).toContain("'urn:site#probe'");
  });

  it("GIVEN its delete THEN it removes a fronted file only while the claim is its own (a renamed site's new probe keeps it)", () => {
    const script = probeDeleteScript([release, release], "urn:site#probe");
    expect(script.match(/^rm -f \/etc\/app\/fronted-app$/gm)).toHaveLength(1);
    expect(script).toContain(`"$(cat ${claimFile(release.frontedFile)})" = 'urn:site#probe'`);
  });
});
