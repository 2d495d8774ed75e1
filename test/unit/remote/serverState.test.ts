/**
 * The apply script and the start wrapper, run for real with /bin/sh against a stub `supervisorctl`:
 * each row changes one thing on "the host" (a temp directory) and checks the action taken.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyScript, ServerStatePaths, startWrapperScript, storeAndRunScript } from "../../../components/remote/serverState";

const STUB = `#!/bin/sh
echo "$*" >> "$STUB/calls"
case "$1" in
  status) cat "$STUB/status"; grep -q RUNNING "$STUB/status";;
  pid) cat "$STUB/pid";;
  start|restart)
    if [ -f "$STUB/fail" ]; then echo "app FATAL Exited too quickly" > "$STUB/status"; exit 7; fi
    sh -c "$(cat "$STUB/wrapper")" flaskstack-env - sh -c 'echo $$ > "$STUB/pid"'
    echo "app RUNNING pid $(cat "$STUB/pid"), uptime 0:00:01" > "$STUB/status";;
esac
`;

interface Host {
  dir: string;
  paths: ServerStatePaths;
  run(...args: string[]): { status: number; stdout: string; stderr: string; calls: string[] };
  start(): void;
}

/** Stand-ins for the handoff's functions (handoff.ts runs the real ones): a switch waits while "$STUB/pending" is there. */
const HANDOFF_STUB = [
  'handoff_pending() { [ -e "$STUB/pending" ]; }',
  'handoff_finish() { [ -e "$STUB/pending" ] || return 0; echo finish >> "$STUB/calls"; rm -f "$STUB/pending"; [ ! -e "$STUB/fail-finish" ]; }',
  "handoff_retire() { :; }",
  'handoff() { echo "handoff $1" >> "$STUB/calls"; }',
].join("\n");

function makeHost(opts: { handoff?: boolean } = {}): Host {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-state-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "supervisorctl"), STUB, { mode: 0o755 });
  fs.mkdirSync(path.join(dir, "base", "releases", "r1"), { recursive: true });
  fs.mkdirSync(path.join(dir, "base", "releases", "r2"), { recursive: true });
  fs.mkdirSync(path.join(dir, "base", "venvs", "v1"), { recursive: true });
  fs.symlinkSync("releases/r1", path.join(dir, "base", "current"));
  fs.symlinkSync("venvs/v1", path.join(dir, "base", "venv"));
  fs.writeFileSync(path.join(dir, "env"), "GREETING='hello'\n");
  fs.writeFileSync(path.join(dir, "app.ini"), "[uwsgi]\nprocesses = 2\n");
  fs.writeFileSync(path.join(dir, "log"), "Traceback: ImportError: no module named shop\n");
  const paths: ServerStatePaths = {
    program: "app",
    record: path.join(dir, ".app.applied"),
    envFile: path.join(dir, "env"),
    configFile: path.join(dir, "app.ini"),
    baseDir: path.join(dir, "base"),
  };
  fs.writeFileSync(path.join(dir, "wrapper"), startWrapperScript(paths));
  fs.writeFileSync(path.join(dir, "status"), "app STOPPED Not started\n");
  const script = applyScript({
    paths,
    reloadScript: 'echo reload >> "$STUB/calls"',
    codeReloadScript: 'echo code-reload >> "$STUB/calls"',
    startWaitSecs: 2,
    stderrLog: path.join(dir, "log"),
    ...(opts.handoff ? { handoff: HANDOFF_STUB } : {}),
  });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB: dir };
  return {
    dir,
    paths,
    run(...args: string[]) {
      fs.rmSync(path.join(dir, "calls"), { force: true });
      const r = spawnSync("sh", ["-c", script, "apply.sh", ...args], { env, encoding: "utf8" });
      const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
      // Every apply ends its line with a fresh nonce (" · run <8 hex>"), checked here and taken off.
      const out = r.stdout.trim();
      const nonce = / · run [0-9a-f]{8}$/;
      return { status: r.status ?? -1, stdout: nonce.test(out) ? out.replace(nonce, "") : `${out} (no nonce)`, stderr: r.stderr, calls };
    },
    start() {
      execFileSync(path.join(bin, "supervisorctl"), ["start", "app"], { env });
    },
  };
}

const hosts: Host[] = [];
afterAll(() => hosts.forEach((h) => fs.rmSync(h.dir, { recursive: true, force: true })));
function runningHost(opts: { handoff?: boolean } = {}): Host {
  const h = makeHost(opts);
  hosts.push(h);
  h.start();
  return h;
}

describe("start wrapper", () => {
  it("records the pid it execs as, and the fingerprint of what it starts with", () => {
    const h = runningHost();
    const pid = fs.readFileSync(path.join(h.dir, "pid"), "utf8").trim();
    const record = fs.readFileSync(h.paths.record, "utf8").split("\n");
    expect(record[0]).toBe(`pid ${pid}`);
    expect(record[1]).toMatch(/^envstart [0-9a-f]{64}$/);
    expect(record[2]).toMatch(/^env [0-9a-f]{64}$/);
    expect(record[3]).toMatch(/^config [0-9a-f]{64}$/);
    expect(record[4]).toBe("code releases/r1 venvs/v1");
  });

  it("loads the environment file into the server's environment and drops the restart token", () => {
    const h = runningHost();
    const out = execFileSync("sh", ["-c", startWrapperScript(h.paths), "flaskstack-env", "unix:/run/app.sock", "sh", "-c", 'echo "$GREETING $#"'], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe("hello 0");
  });
});

describe("apply script", () => {
  it("does nothing when the server runs the files on disk", () => {
    const r = runningHost().run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("app: none (already runs the current files)");
    expect(r.calls).toEqual(["status app", "pid app"]);
  });

  it("reloads gracefully on a changed config, and records it", () => {
    const h = runningHost();
    fs.writeFileSync(h.paths.configFile!, "[uwsgi]\nprocesses = 4\n");
    const first = h.run();
    expect(first.stdout).toBe("app: reload (config changed)");
    expect(first.calls).toContain("reload");
    expect(first.calls).not.toContain("restart app");
    expect(h.run().stdout).toBe("app: none (already runs the current files)");
  });

  it("code-reloads when only the release changed", () => {
    const h = runningHost();
    fs.rmSync(path.join(h.paths.baseDir, "current"));
    fs.symlinkSync("releases/r2", path.join(h.paths.baseDir, "current"));
    const r = h.run();
    expect(r.stdout).toBe("app: code-reload (code changed)");
    expect(r.calls).toContain("code-reload");
  });

  it("reloads on a changed environment (the servers load it again before importing the app), and records it", () => {
    const h = runningHost();
    const before = fs.readFileSync(path.join(h.dir, "pid"), "utf8").trim();
    fs.writeFileSync(h.paths.envFile, "GREETING='changed'\n");
    const r = h.run();
    expect(r.stdout).toBe("app: env-reload (environment changed)");
    expect(r.calls).toContain("reload");
    expect(r.calls).not.toContain("restart app");
    expect(fs.readFileSync(path.join(h.dir, "pid"), "utf8").trim()).toBe(before);
    expect(h.run().stdout).toBe("app: none (already runs the current files)");
  });

  it.each([
    "PYTHONPATH=/opt/lib",
    "LD_PRELOAD=/x.so",
    "UWSGI_PROCESSES=8",
    "GUNICORN_CMD_ARGS='--workers 8'",
    "WEB_CONCURRENCY=8",
    "PATH=/opt/bin:/usr/bin:/bin",
  ])("restarts when a variable read at process start changes (%s), and the new process records itself", (line) => {
    const h = runningHost();
    const before = fs.readFileSync(path.join(h.dir, "pid"), "utf8").trim();
    fs.writeFileSync(h.paths.envFile, `GREETING='hello'\n${line}\n`);
    const r = h.run();
    expect(r.stdout).toBe("app: restart (a variable read at process start changed)");
    expect(r.calls).toContain("restart app");
    const after = fs.readFileSync(path.join(h.dir, "pid"), "utf8").trim();
    expect(after).not.toBe(before);
    expect(fs.readFileSync(h.paths.record, "utf8")).toContain(`pid ${after}\n`);
    expect(h.run().stdout).toBe("app: none (already runs the current files)");
  });

  it("reloads, not restarts, when only a variable that merely looks like a start one changes", () => {
    const h = runningHost();
    fs.writeFileSync(h.paths.envFile, "GREETING='hello'\nMY_PYTHONPATH=/x\nXPATH=1\n");
    expect(h.run().stdout).toBe("app: env-reload (environment changed)");
  });

  it("restarts a server whose start it has no record of", () => {
    const h = runningHost();
    fs.rmSync(h.paths.record);
    const r = h.run();
    expect(r.stdout).toMatch(/^app: restart \(no record of what pid \d+ started with\)$/);
  });

  it("starts a stopped or FATAL server instead of signalling it", () => {
    const h = runningHost();
    fs.writeFileSync(path.join(h.dir, "status"), "app FATAL Exited too quickly (process log may have details)\n");
    const r = h.run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("app: started");
    expect(r.calls).toContain("start app");
  });

  it("fails with supervisor's status and the server's log when it does not come up", () => {
    const h = runningHost();
    fs.writeFileSync(h.paths.envFile, "GREETING='hello'\nPYTHONPATH=/opt/lib\n");
    fs.writeFileSync(path.join(h.dir, "fail"), "");
    const r = h.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("app FATAL Exited too quickly");
    expect(r.stderr).toContain("ImportError: no module named shop");
  });
});

describe("apply script of a server with a handoff, during a switch", () => {
  it("GIVEN a switch waiting for the site THEN an apply leaves the old instance alone and says so", () => {
    const h = runningHost({ handoff: true });
    fs.writeFileSync(path.join(h.dir, "app.ini"), "[uwsgi]\nprocesses = 4\n");
    fs.writeFileSync(path.join(h.dir, "pending"), "");
    const r = h.run();
    expect([r.status, r.stdout]).toEqual([0, "app: switch (the standby serves the new listener until the site has moved)"]);
    expect(r.calls).toEqual([]);
  });

  it("GIVEN `finish` THEN it completes a waiting switch and applies nothing else; without one it does nothing", () => {
    const h = runningHost({ handoff: true });
    fs.writeFileSync(path.join(h.dir, "app.ini"), "[uwsgi]\nprocesses = 4\n");
    fs.writeFileSync(path.join(h.dir, "pending"), "");
    const r = h.run("finish");
    expect([r.status, r.calls]).toEqual([0, ["finish"]]);
    const again = h.run("finish");
    expect([again.status, again.calls, again.stdout]).toEqual([0, [], " (no nonce)"]);
    // The switch done, a normal apply runs again.
    expect(h.run().stdout).toBe("app: reload (config changed)");
  });

  it("GIVEN `finish` whose server does not come back THEN it fails", () => {
    const h = runningHost({ handoff: true });
    fs.writeFileSync(path.join(h.dir, "pending"), "");
    fs.writeFileSync(path.join(h.dir, "fail-finish"), "");
    expect(h.run("finish").status).toBe(1);
  });

  it("GIVEN no handoff THEN `finish` does nothing", () => {
    const h = runningHost();
    fs.writeFileSync(path.join(h.dir, "app.ini"), "[uwsgi]\nprocesses = 4\n");
    expect(h.run("finish")).toMatchObject({ status: 0, calls: [] });
  });
});

describe("a server whose environment needs more than its reload", () => {
  it("runs its own script for a changed environment (e.g. Gunicorn with the app preloaded: a restart)", () => {
    const paths: ServerStatePaths = {
      program: "app",
      record: "/run/app/.app.applied",
      envFile: "/etc/app/env",
      configFile: "/etc/app/gunicorn.conf.py",
      baseDir: "/srv/app",
    };
    const spec = { paths, reloadScript: "supervisorctl signal HUP app", startWaitSecs: 10, stderrLog: "/var/log/app/err.log" };
    expect(applyScript({ ...spec, envReloadScript: "supervisorctl restart app" })).toContain("\n  env-reload) supervisorctl restart app;;\n");
    expect(applyScript(spec)).toContain("\n  env-reload) supervisorctl signal HUP app;;\n");
  });
});

describe("stored apply script", () => {
  it("writes the script to its file, root-only, runs it from there with the command's stdin, and keeps it for a later run", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-stored-"));
    try {
      const file = path.join(dir, "apply-app.sh");
      const body = ["set -eu", `read -r line`, `echo "ran with $line from $0"`, "echo 'quotes $HOME `x`'"].join("\n");
      const r = spawnSync("/bin/sh", ["-c", storeAndRunScript(file, body)], { input: "nonce-1\n", encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`ran with nonce-1 from ${file}\nquotes $HOME \`x\`\n`);
      expect(fs.readFileSync(file, "utf8")).toBe(`${body}\n`);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(dir)).toEqual(["apply-app.sh"]);
      expect(spawnSync("/bin/sh", [file], { input: "again\n", encoding: "utf8" }).stdout).toContain("ran with again");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a script holding its end marker rather than cutting it short", () => {
    expect(() => storeAndRunScript("/x", "echo a\nFLASKSTACK_SCRIPT_END\nrm -rf /")).toThrow(/must not hold a line FLASKSTACK_SCRIPT_END/);
  });
});
