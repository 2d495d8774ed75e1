/**
 * The entry check, run for real: /bin/sh, runuser (as `nobody`) and python3 import a small app the
 * way the WSGI server would, and a broken release fails with its own traceback, secrets masked.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { entryCheckScript, entryCheckStdin } from "../../../components/remote/release";

const SECRET = "s3cr3t-token-value";
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-check-"));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, "release", "shop"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "release", "shop", "__init__.py"),
    [
      "import os",
      "def create_app():",
      "    def app(environ, start_response):",
      "        return []",
      "    return app",
      "def broken():",
      "    raise RuntimeError('cannot reach the database with ' + os.environ['API_TOKEN'])",
      "not_callable = 42",
      "def health_app():",
      "    def app(environ, start_response):",
      "        path = environ['PATH_INFO']",
      "        if path == '/crash':",
      "            raise ValueError('no database at ' + os.environ['API_TOKEN'])",
      "        if path == '/fails':",
      "            environ['wsgi.errors'].write('db down for ' + os.environ['API_TOKEN'] + '\\n')",
      "            start_response('503 Service Unavailable', [])",
      "            return [b'database unavailable']",
      "        if path == '/missing':",
      "            start_response('404 Not Found', [])",
      "            return [b'']",
      "        print('served', path, environ['QUERY_STRING'], environ['HTTP_HOST'])",
      "        start_response('200 OK', [])",
      "        return [b'ok']",
      "    return app",
      "",
    ].join("\n"),
  );
  fs.mkdirSync(path.join(dir, "venv", "bin"), { recursive: true });
  // The system Python: the app user must be able to run it (a pyenv under /root is not).
  fs.symlinkSync("/usr/bin/python3", path.join(dir, "venv", "bin", "python"));
  fs.writeFileSync(path.join(dir, "env"), `# Managed by flaskstack\nAPI_TOKEN='${SECRET}'\n`, { mode: 0o644 });
  execFileSync("chmod", ["-R", "a+rX", dir]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function check(module: string, callable: string, factory: boolean, healthPath?: string) {
  const script = entryCheckScript({
    healthPath,
    user: "nobody",
    releaseDir: path.join(dir, "release"),
    venvDir: path.join(dir, "venv"),
    envFile: path.join(dir, "env"),
    entry: { module, callable, factory },
  });
  return spawnSync("sh", ["-c", script], { input: entryCheckStdin("0123abcd"), encoding: "utf8" });
}

describe("entry check", () => {
  it("passes an entry that imports and whose factory returns a WSGI callable", () => {
    const r = check("shop", "create_app", true);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it.each([
    ["a misspelt factory", "shop", "create_ap", true, "AttributeError: module 'shop' has no attribute 'create_ap'"],
    ["a module that does not exist", "shoop", "create_app", true, "ModuleNotFoundError: No module named 'shoop'"],
    ["something that is not callable", "shop", "not_callable", false, "TypeError: shop:not_callable is 42, not a WSGI callable"],
  ])("fails on %s with Python's own message", (_what, module, callable, factory, message) => {
    const r = check(module, callable, factory as boolean);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("nothing was switched, the running release keeps serving");
  });

  it("runs as the app user, with the app's environment, and masks its values in the traceback", () => {
    const r = check("shop", "broken", true);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("RuntimeError: cannot reach the database with [secret]");
    expect(r.stderr).not.toContain(SECRET);
  });

  it("asks the entry for the health path in-process and passes on any answer below 500, quietly", () => {
    for (const p of ["/healthz?deep=1", "/missing", "/caf%C3%A9"]) {
      const r = check("shop", "health_app", true, p);
      expect([p, r.status, r.stderr, r.stdout]).toEqual([p, 0, "", ""]);
    }
  });

  it.each([
    [
      "an exception",
      "/crash",
      "ValueError: no database at [secret]",
      "the new release failed GET /crash (called in-process as the app user, before the switch)",
    ],
    [
      "a 5xx answer",
      "/fails",
      "db down for [secret]",
      "the new release answered GET /fails (called in-process as the app user, before the switch) with 503 Service Unavailable",
    ],
  ])("fails on %s from the health path with the app's own output, secrets masked", (_what, p, output, why) => {
    const r = check("shop", "health_app", true, p);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(output);
    expect(r.stderr).toContain(`flaskstack: ${why}; nothing was switched, the running release keeps serving`);
    expect(r.stderr).not.toContain(SECRET);
  });
});
