/**
 * The environment file and its loader, run for real: python3 loads a rendered file into os.environ
 * (values with quotes, spaces, newlines, `$`, `#` and non-ASCII intact), and a later file without a
 * key unsets it; the shell that sources the same file sees the same values.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderEnvFile, renderEnvLoader } from "../../../components/render/envLoader";

const VALUES = {
  API_TOKEN: "tok-7f3a9c' $(touch /tmp/pwned) `id`",
  GREETING: "hello world",
  MULTI: "line one\nline two",
  HASH: "a#b # c",
  EMPTY: "",
  UNICODE: "grüße ✓",
};

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-env-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the loader in python3 with `start` as the process environment and prints the result. */
function load(env: Record<string, string>, start: Record<string, string>): Record<string, string> {
  const envFile = path.join(dir, "env");
  const loader = path.join(dir, "load_env.py");
  fs.writeFileSync(envFile, renderEnvFile(env));
  fs.writeFileSync(loader, renderEnvLoader(envFile));
  const out = execFileSync("python3", ["-c", `import json, os, runpy; runpy.run_path(${JSON.stringify(loader)}); print(json.dumps(dict(os.environ)))`], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...start },
    encoding: "utf8",
  });
  return JSON.parse(out) as Record<string, string>;
}

test("GIVEN an environment WHEN the loader runs THEN every value arrives intact, with the list of keys", () => {
  const env = load(VALUES, {});
  for (const [k, v] of Object.entries(VALUES)) expect({ k, v: env[k] }).toEqual({ k, v });
  expect(env.FLASKSTACK_ENV_KEYS).toBe("API_TOKEN EMPTY GREETING HASH MULTI UNICODE");
  expect(fs.existsSync("/tmp/pwned")).toBe(false);
});

test("GIVEN a key the previous file set WHEN the new file drops it THEN the loader unsets it and keeps what it never set", () => {
  const env = load({ GREETING: "hi" }, { OLD: "stale", FLASKSTACK_ENV_KEYS: "GREETING OLD", HOME: "/home/app" });
  expect(env.OLD).toBeUndefined();
  expect(env.HOME).toBe("/home/app");
  expect(env.GREETING).toBe("hi");
  expect(env.FLASKSTACK_ENV_KEYS).toBe("GREETING");
});

test("GIVEN the same file WHEN a shell sources it THEN it sees the same values as the loader", () => {
  const envFile = path.join(dir, "env");
  fs.writeFileSync(envFile, renderEnvFile(VALUES));
  const out = execFileSync(
    "sh",
    ["-c", `set -a; . ${JSON.stringify(envFile)}; set +a; exec python3 -c 'import json, os; print(json.dumps(dict(os.environ)))'`],
    { encoding: "utf8" },
  );
  const env = JSON.parse(out) as Record<string, string>;
  for (const [k, v] of Object.entries(VALUES)) expect({ k, v: env[k] }).toEqual({ k, v });
});

test("GIVEN no keys WHEN rendered THEN the file still lists its (empty) keys", () => {
  expect(renderEnvFile({})).toBe("# Managed by flaskstack — changes here are overwritten\nFLASKSTACK_ENV_KEYS=''\n");
});
