/**
 * Locates — and installs once when missing — the real servers the renderer tests check their output
 * with: nginx (Debian package), and gunicorn, uWSGI, Waitress, supervisor and crossplane (pip, into one venv under
 * .cache/tools/, git-ignored). A test that needs a tool and cannot get it FAILS with a message saying how
 * to install it; it never skips.
 *
 * Install by hand (or from a setup script): `npx ts-node test/unit/tools/install.ts`.
 */
import { spawnSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { TEST_ONLY_PYTHON_PINS, WSGI_SERVER_PINS } from "../../../components/config/pins";

export const REPO_ROOT = path.resolve(__dirname, "../../..");
export const TOOLS_DIR = path.join(REPO_ROOT, ".cache", "tools");

/** Pinned versions of the Python tools: the deploy's pins and the test-only ones; a change makes a new venv. */
export const PYTHON_TOOLS = [...Object.values(WSGI_SERVER_PINS), ...TEST_ONLY_PYTHON_PINS];

const INSTALL_HINT =
  "Install the test tools with `npx ts-node test/unit/tools/install.ts` " +
  "(runs `python3 -m venv .cache/tools/…` + `pip install " +
  PYTHON_TOOLS.join(" ") +
  "`, and `apt-get install nginx systemd` as root; uWSGI builds from source, so it needs gcc and the Python headers).";

/** Seconds an install may take (uWSGI compiles for about a minute on 2 cores). */
const INSTALL_TIMEOUT_MS = 15 * 60 * 1000;

export class ToolMissingError extends Error {
  constructor(what: string, detail: string) {
    super(`${what} is not available for the real-tool tests: ${detail}\n${INSTALL_HINT}`);
    this.name = "ToolMissingError";
  }
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: INSTALL_TIMEOUT_MS, ...options });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
  return { ok: result.status === 0, output };
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Run `fn` holding a lock directory, so parallel jest workers install a tool once. */
function withLock<T>(name: string, fn: () => T): T {
  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  const lock = path.join(TOOLS_DIR, `${name}.lock`);
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw e;
      }
      const age = Date.now() - fs.statSync(lock).mtimeMs;
      if (age > INSTALL_TIMEOUT_MS) {
        fs.rmSync(lock, { recursive: true, force: true }); // left by a killed run
      } else if (Date.now() > deadline) {
        throw new ToolMissingError(name, `timed out waiting for ${lock}`);
      } else {
        sleepMs(500);
      }
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The tool venv: its directory name carries a hash of the pins. */
export function pythonToolsVenv(): string {
  let hash = 0;
  for (const c of PYTHON_TOOLS.join(" ")) {
    hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  }
  return path.join(TOOLS_DIR, `venv-${hash.toString(16)}`);
}

export interface PythonTools {
  readonly venv: string;
  readonly python: string;
  readonly gunicorn: string;
  readonly uwsgi: string;
  readonly waitressServe: string;
}

/** The venv with gunicorn, uWSGI, Waitress and supervisor; created on first use. */
export function ensurePythonTools(): PythonTools {
  const venv = pythonToolsVenv();
  const stamp = path.join(venv, ".complete");
  const tools: PythonTools = {
    venv,
    python: path.join(venv, "bin", "python"),
    gunicorn: path.join(venv, "bin", "gunicorn"),
    uwsgi: path.join(venv, "bin", "uwsgi"),
    waitressServe: path.join(venv, "bin", "waitress-serve"),
  };
  if (fs.existsSync(stamp)) {
    return tools;
  }
  return withLock("python-tools", () => {
    if (fs.existsSync(stamp)) {
      return tools;
    }
    fs.rmSync(venv, { recursive: true, force: true });
    const python = process.env.PYTHON ?? "python3";
    const created = run(python, ["-m", "venv", venv]);
    if (!created.ok) {
      throw new ToolMissingError("a Python venv", `\`${python} -m venv\` failed:\n${created.output.slice(-2000)}`);
    }
    const installed = run(tools.python, ["-m", "pip", "install", "--disable-pip-version-check", "-q", ...PYTHON_TOOLS]);
    if (!installed.ok) {
      throw new ToolMissingError("gunicorn/uWSGI/Waitress/supervisor", `pip install failed:\n${installed.output.slice(-3000)}`);
    }
    fs.writeFileSync(stamp, `${PYTHON_TOOLS.join("\n")}\n`);
    return tools;
  });
}

function findNginx(): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"]) {
    const candidate = path.join(dir, "nginx");
    if (dir !== "" && fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** The nginx binary; installed from Debian's package (as root, services not started) when missing. */
export function ensureNginx(): string {
  const found = findNginx();
  if (found !== undefined) {
    return found;
  }
  return withLock("nginx", () => {
    const again = findNginx();
    if (again !== undefined) {
      return again;
    }
    if (process.getuid?.() !== 0) {
      throw new ToolMissingError("nginx", "not found, and installing it needs root (`sudo apt-get install -y nginx`)");
    }
    // RUNLEVEL=1: invoke-rc.d does not start the service that the package installs.
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", RUNLEVEL: "1" };
    const apt = ["-o", "DPkg::Lock::Timeout=600"];
    let result = run("apt-get", [...apt, "install", "-y", "--no-install-recommends", "nginx"], { env });
    if (!result.ok) {
      run("apt-get", [...apt, "update"], { env });
      result = run("apt-get", [...apt, "install", "-y", "--no-install-recommends", "nginx"], { env });
    }
    const installed = findNginx();
    if (!result.ok || installed === undefined) {
      throw new ToolMissingError("nginx", `apt-get install nginx failed:\n${result.output.slice(-2000)}`);
    }
    return installed;
  });
}

/** `systemd-analyze` (to `verify` rendered units offline); from Debian's systemd package when missing. */
export function ensureSystemdAnalyze(): string {
  const found = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => fs.existsSync(p));
  if (found !== undefined) {
    return found;
  }
  return withLock("systemd", () => {
    if (process.getuid?.() !== 0) {
      throw new ToolMissingError("systemd-analyze", "not found, and installing it needs root (`sudo apt-get install -y systemd`)");
    }
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", RUNLEVEL: "1" };
    const result = run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "systemd"], { env });
    if (!result.ok || !fs.existsSync("/usr/bin/systemd-analyze")) {
      throw new ToolMissingError("systemd-analyze", `apt-get install systemd failed:\n${result.output.slice(-2000)}`);
    }
    return "/usr/bin/systemd-analyze";
  });
}

/** The openssl binary (for a throwaway certificate in the TLS test). */
export function ensureOpenssl(): string {
  const result = run("openssl", ["version"]);
  if (!result.ok) {
    throw new ToolMissingError("openssl", "`openssl version` failed (apt-get install -y openssl)");
  }
  return "openssl";
}
