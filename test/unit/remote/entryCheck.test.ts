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

function check(module: string, callable: string, factory: boolean) {
  const script = entryCheckScript({
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
});
