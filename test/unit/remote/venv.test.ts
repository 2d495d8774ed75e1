/**
 * The venv build script, run for real by /bin/sh against a stub `python3` and `pip` (each branch: a
 * complete venv left alone, a fresh build, the no-compiler preflight, a failed build cleaned up).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { venvScript } from "../../../components/remote/venv";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A PATH of stubs: python3 makes a venv whose pip logs its arguments; `cc` only when asked for. */
function stubs(opts: { cc: boolean }): { bin: string; root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-venv-"));
  dirs.push(root);
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["rm", "cat", "chmod", "touch", "tail", "uname", "mkdir", "dirname", "flock"]) {
    const real = ["/bin", "/usr/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (real) fs.symlinkSync(real, path.join(bin, tool));
  }
  if (opts.cc) fs.symlinkSync("/bin/true", path.join(bin, "cc"));
  const pip = [
    "#!/bin/sh",
    'echo "pip $*" >> "$STUB_LOG"',
    'case " $* " in *" --dry-run "*) [ "${STUB_WHEELS:-}" = missing ] && { echo "ERROR: No matching distribution found for lxml" >&2; exit 1; } ;; esac',
    'case " $* " in *" --dry-run "*) exit 0;; esac',
    '[ "${STUB_INSTALL:-}" = fail ] && { echo "error: subprocess-exited-with-error" >&2; exit 1; }',
    "exit 0",
  ].join("\n");
  const python = [
    "#!/bin/sh",
    'echo "python3 $*" >> "$STUB_LOG"',
    'if [ "$1" = -c ]; then echo 3.11.2; exit 0; fi',
    "for last; do :; done",
    'mkdir -p "$last/bin"',
    `cat > "$last/bin/pip" <<'PIP'\n${pip}\nPIP`,
    'chmod +x "$last/bin/pip"',
  ].join("\n");
  fs.writeFileSync(path.join(bin, "python3"), python, { mode: 0o755 });
  return { bin, root };
}

function build(opts: { cc?: boolean; env?: Record<string, string>; systemSitePackages?: boolean; prepare?: (venv: string) => void } = {}) {
  const { bin, root } = stubs({ cc: opts.cc ?? true });
  const venv = path.join(root, "venvs", "abc123");
  fs.mkdirSync(path.dirname(venv));
  opts.prepare?.(venv);
  const log = path.join(root, "log");
  fs.writeFileSync(log, "");
  const script = venvScript({
    venvDir: venv,
    systemSitePackages: opts.systemSitePackages ?? false,
    pipArgs: ["--prefer-binary", "--index-url", "https://pypi.example/simple"],
  });
  const r = spawnSync("/bin/sh", ["-c", script], {
    input: "flask==3.0.3\nlxml==5.2.2\n",
    encoding: "utf8",
    env: { PATH: bin, STUB_LOG: log, ...opts.env },
  });
  return { status: r.status, stderr: r.stderr, venv, log: fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) };
}

const INSTALL = "pip --disable-pip-version-check --no-input install --progress-bar off --prefer-binary --index-url https://pypi.example/simple -r";

describe("venvScript", () => {
  it("GIVEN no venv and a compiler WHEN run THEN it builds one from the requirements on stdin and marks it complete", () => {
    const r = build();
    expect(r.status).toBe(0);
    expect(r.log).toEqual([`python3 -m venv ${r.venv}`, `${INSTALL} ${r.venv}/requirements.txt`]);
    expect(fs.readFileSync(path.join(r.venv, "requirements.txt"), "utf8")).toBe("flask==3.0.3\nlxml==5.2.2\n");
    expect(fs.existsSync(path.join(r.venv, ".flaskstack-complete"))).toBe(true);
  });

  it("GIVEN systemSitePackages WHEN run THEN the venv sees the system's packages", () => {
    const r = build({ systemSitePackages: true });
    expect(r.log[0]).toBe(`python3 -m venv --system-site-packages ${r.venv}`);
  });

  it("GIVEN a complete venv WHEN run THEN nothing is installed and it is left as it is", () => {
    const r = build({
      prepare: (v) => {
        fs.mkdirSync(v);
        fs.writeFileSync(path.join(v, ".flaskstack-complete"), "");
        fs.writeFileSync(path.join(v, "keep"), "x");
      },
    });
    expect([r.status, r.log]).toEqual([0, []]);
    expect(fs.existsSync(path.join(r.venv, "keep"))).toBe(true);
  });

  it("GIVEN a half-built venv (no marker) WHEN run THEN it is built again from scratch", () => {
    const r = build({
      prepare: (v) => {
        fs.mkdirSync(v);
        fs.writeFileSync(path.join(v, "stale"), "x");
      },
    });
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(r.venv, "stale"))).toBe(false);
    expect(fs.existsSync(path.join(r.venv, ".flaskstack-complete"))).toBe(true);
  });

  it("GIVEN no compiler and every requirement as a wheel WHEN run THEN a dry run checks, then it installs", () => {
    const r = build({ cc: false });
    expect(r.status).toBe(0);
    expect(r.log.slice(1)).toEqual([
      `pip --disable-pip-version-check --no-input install --dry-run --quiet --only-binary :all: --prefer-binary --index-url https://pypi.example/simple -r ${r.venv}/requirements.txt`,
      `${INSTALL} ${r.venv}/requirements.txt`,
    ]);
  });

  it("GIVEN no compiler and a requirement without a wheel WHEN run THEN exit 3 says what to do, nothing is installed and no venv is left", () => {
    const r = build({ cc: false, env: { STUB_WHEELS: "missing" } });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("No matching distribution found for lxml");
    expect(r.stderr).toContain("has no prebuilt wheel for");
    expect(r.stderr).toContain("add build-essential and python3-dev to the Host's packages");
    expect(r.log.filter((l) => l.includes(" install ") && !l.includes("--dry-run"))).toEqual([]);
    expect(fs.existsSync(r.venv)).toBe(false);
  });

  it("GIVEN an install that fails half-way WHEN run THEN it fails and removes the half-built venv", () => {
    const r = build({ env: { STUB_INSTALL: "fail" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("subprocess-exited-with-error");
    expect(fs.existsSync(r.venv)).toBe(false);
  });

  it("GIVEN another build holding the venvs lock (one whose SSH connection dropped) WHEN run THEN it waits for it, then builds", () => {
    const r = build({
      prepare: (venv) => {
        // A holder that logs when it lets go; the build's first step (python3 -m venv) logs after it.
        const holder = spawn(
          "flock",
          [path.join(path.dirname(venv), ".lock"), "sh", "-c", `sleep 1; echo holder done >> ${path.join(path.dirname(path.dirname(venv)), "log")}`],
          {
            stdio: "ignore",
          },
        );
        holder.unref();
        // Until the holder has the lock.
        for (let i = 0; i < 100 && spawnSync("flock", ["-n", path.join(path.dirname(venv), ".lock"), "true"]).status === 0; i++) spawnSync("sleep", ["0.02"]);
      },
    });
    expect(r.status).toBe(0);
    expect(r.log[0]).toBe("holder done");
    expect(r.log[1]).toBe(`python3 -m venv ${r.venv}`);
  });
});
