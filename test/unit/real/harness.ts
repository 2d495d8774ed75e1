/**
 * Helpers for the real-tool tests: temp dirs, a sample app, free ports, running a tool.
 */
import { spawnSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { AppContext, HostFacts, ResolveContext, resolveAppContext } from "../../../components/config";

/** Install/locate tools: the first call may build a venv (about a minute when uWSGI compiles). */
export const TOOL_TIMEOUT_MS = 15 * 60 * 1000;

export const FACTS: HostFacts = {
  arch: os.arch() === "arm64" ? "aarch64" : "x86_64",
  cores: 1,
  memoryMb: 2048,
  osId: "debian",
  osVersionId: "12",
  initSystem: "other",
};

const created: string[] = [];

/** A temp directory whose path passes `absolutePathRule` (mkdtemp's suffix is alphanumeric). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `flaskstack-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  created.push(dir);
  return dir;
}

/** Remove every directory `tempDir` made in this test file (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SAMPLE_APP = `import json


def app(environ, start_response):
    body = json.dumps({
        "scheme": environ.get("wsgi.url_scheme"),
        "remote": environ.get("REMOTE_ADDR"),
        "host": environ.get("HTTP_HOST"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def create_app():
    return app
`;

/**
 * A base dir laid out like a host's /srv/<app>: current/pkg/wsgi.py (an app and an app factory), venv →
 * the tool venv, run/ and log/ dirs; and the AppContext pointing there (run and log dirs moved in too).
 */
export function sampleApp(venv: string, entry = "pkg.wsgi:app", user = "app"): { ctx: ResolveContext; app: AppContext; baseDir: string } {
  const baseDir = tempDir("app");
  fs.mkdirSync(path.join(baseDir, "current", "pkg"), { recursive: true });
  fs.writeFileSync(path.join(baseDir, "current", "pkg", "__init__.py"), "");
  fs.writeFileSync(path.join(baseDir, "current", "pkg", "wsgi.py"), SAMPLE_APP);
  fs.writeFileSync(path.join(baseDir, "current", "wsgi.py"), "from pkg.wsgi import app\n");
  fs.symlinkSync(venv, path.join(baseDir, "venv"));
  for (const dir of ["run", "log", "etc"]) {
    fs.mkdirSync(path.join(baseDir, dir));
  }
  const resolved = resolveAppContext({ name: "app", entry, baseDir, user });
  const app: AppContext = { ...resolved, runDir: `${baseDir}/run`, logDir: `${baseDir}/log`, configDir: `${baseDir}/etc` };
  return { ctx: { app, facts: FACTS }, app, baseDir };
}

export interface RunResult {
  readonly status: number | null;
  /** stdout then stderr. */
  readonly output: string;
  readonly stdout: string;
}

/** Run a program synchronously, stdout and stderr together. */
export function runTool(command: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000, ...options });
  return {
    status: result.status,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`,
    stdout: String(result.stdout ?? ""),
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Current user and primary group names (`id -un`, `id -gn`). */
export function currentUserAndGroup(): { user: string; group: string } {
  return { user: runTool("id", ["-un"]).output.trim(), group: runTool("id", ["-gn"]).output.trim() };
}

/** Poll `fn` until it resolves or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
