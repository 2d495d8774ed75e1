/**
 * The handoff, run for real: /bin/sh runs the functions against a stub `supervisorctl` whose
 * programs are small Python servers on unix sockets or a TCP port (each answers every connection
 * with its name and generation, and on TERM closes and unlinks its socket path, as uWSGI's vacuum
 * and Gunicorn do). A client connects again and again the way nginx does with a `backup` server:
 * the server's socket or port first, the handoff socket when that one is missing or refuses. No
 * connection may go unanswered.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { handoffPath, ListenerAddress, resolveSupervisorProgram, resolveWaitress } from "../../../components/config";
import { renderSupervisorProgram, renderWaitressArgv } from "../../../components/render";
import { acceptsTarget, handoffFunctions, replaceAll, sectionReplacements } from "../../../components/remote/handoff";
import { CTX } from "../fixtures";

const SERVER_PY = String.raw`
import os, signal, socket, sys, time
cfg, label = sys.argv[1], sys.argv[2]
path = [l.split("=", 1)[1].strip() for l in open(cfg) if l.startswith("socket")][0]
if path.startswith("/"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s.bind(path)
else:
    # A server on a port takes a moment to start, as a real one does.
    time.sleep(0.3)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    host, port = path.rsplit(":", 1)
    s.bind((host, int(port)))
s.listen(64)
def stop(*_):
    s.close()
    if path.startswith("/"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    os._exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    c, _ = s.accept()
    try:
        c.sendall((label + "\n").encode())
    except OSError:
        pass  # a client that only checked it could connect
    c.close()
`;

// Programs: `app` reads app.ini, `app-handoff` the copy; `add` needs the section file.
const STUB = String.raw`#!/bin/sh
T="$STUB"
name="$2"
cfg() { case "$1" in *-handoff) echo "$T/app-handoff.ini";; *) echo "$T/app.ini";; esac; }
alive() { [ -f "$T/$1.pid" ] && kill -0 "$(cat "$T/$1.pid")" 2>/dev/null; }
start() {
  if [ -f "$T/fail-$1" ]; then echo "$1: ERROR (spawn error)"; return 7; fi
  gen=$(( $(cat "$T/gen-$1" 2>/dev/null || echo 0) + 1 )); echo "$gen" > "$T/gen-$1"
  python3 "$T/server.py" "$(cfg "$1")" "$1#$gen" >/dev/null 2>&1 &
  echo $! > "$T/$1.pid"
  for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$(sed -n 's/^socket = //p' "$(cfg "$1")")" ] && break; sleep 0.1; done
  echo "$1: started"
}
stop() {
  if alive "$1"; then pid=$(cat "$T/$1.pid"); kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; fi
  rm -f "$T/$1.pid"; echo "$1: stopped"
}
echo "$*" >> "$T/calls"
case "$1" in
  status) if alive "$name"; then echo "$name RUNNING pid $(cat "$T/$name.pid")"; elif [ -f "$T/fail-$name" ]; then echo "$name FATAL Exited too quickly"; exit 3; else echo "$name STOPPED"; exit 3; fi;;
  reread) echo "No config updates to processes";;
  add) [ -f "$T/conf.d/$name.conf" ] || { echo "ERROR: no such process/group: $name"; exit 1; }; touch "$T/added-$name"; echo "$name: added process group";;
  remove) rm -f "$T/added-$name"; echo "$name: removed process group";;
  start) start "$name";;
  stop) stop "$name";;
  update|restart) stop "$name"; start "$name";;
esac
`;

let dir: string;
const sock = () => path.join(dir, "app.sock");
const hsock = () => path.join(dir, "app-handoff.sock");

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-handoff-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.mkdirSync(path.join(dir, "conf.d"));
  fs.writeFileSync(path.join(dir, "bin", "supervisorctl"), STUB, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "server.py"), SERVER_PY);
  fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = ${sock()}\nprocesses = 4\n`, { mode: 0o640 });
  fs.writeFileSync(path.join(dir, "conf.d", "app.conf"), "[program:app]\ncommand=/bin/true\nautostart=true\n");
});
afterEach(() => {
  for (const p of ["app", "app-handoff"]) {
    const pid = path.join(dir, `${p}.pid`);
    if (fs.existsSync(pid)) {
      try {
        process.kill(Number(fs.readFileSync(pid, "utf8")), "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

function script(call: string, listen: ListenerAddress = { kind: "unix", path: sock() }): string {
  const functions = handoffFunctions({
    program: "app",
    standby: "app-handoff",
    programFile: path.join(dir, "conf.d", "app.conf"),
    sectionReplacements: [
      ["[program:app]", "[program:app-handoff]"],
      ["autostart=true", "autostart=false"],
    ],
    sectionFile: path.join(dir, "conf.d", "app-handoff.conf"),
    listen,
    handoffSocket: hsock(),
    configFile: { path: path.join(dir, "app.ini"), copy: path.join(dir, "app-handoff.ini") },
    replacements: [[acceptsTarget(listen), hsock()]],
    startWaitSecs: 5,
    drainSecs: 1,
    standbyLog: path.join(dir, "standby.log"),
    serverLog: path.join(dir, "server.log"),
    pendingFile: path.join(dir, "app.switching"),
    frontedFile: path.join(dir, "fronted-app"),
  });
  return `set -eu\n${functions}\n${call}`;
}

function sh(call: string, listen?: ListenerAddress): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn("/bin/sh", ["-c", script(call, listen)], { env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, STUB: dir } });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.stdout.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/**
 * One connection the way nginx makes it with a backup server; resolves to the answer, or the failure.
 * `get`: a GET, which nginx also passes on when the server closed the connection without an answer.
 */
function ask(primary: string | number = sock(), backup = hsock(), get = false): Promise<string> {
  const once = (p: string | number) =>
    new Promise<string>((resolve, reject) => {
      const c = typeof p === "number" ? net.connect({ host: "127.0.0.1", port: p }) : net.connect({ path: p });
      let data = "";
      let connected = false;
      c.on("connect", () => (connected = true));
      c.on("data", (d) => (data += d));
      c.on("end", () => (data ? resolve(data.trim()) : reject(Object.assign(new Error("closed without an answer"), { connected }))));
      c.on("error", (e) => reject(Object.assign(e, { connected })));
    });
  return once(primary).catch((e: { connected?: boolean; message: string }) => {
    // nginx passes a POST to the next server only when it could not connect (or send) at all.
    if (e.connected && !get) return `FAILED ${e.message}`;
    return once(backup).catch((e2: Error) => `FAILED ${e.message}, backup: ${e2.message}`);
  });
}

/** Asks over and over, two at a time, until `done` settles; returns every answer. */
async function underLoad<T>(work: Promise<T>, asking: () => Promise<string> = () => ask()): Promise<{ result: T; answers: string[] }> {
  const answers: string[] = [];
  let finished = false;
  const client = async () => {
    while (!finished) answers.push(await asking());
  };
  const clients = [client(), client()];
  const result = await work.finally(() => (finished = true));
  await Promise.all(clients);
  return { result, answers };
}

const run = (cmd: string) => sh(`supervisorctl ${cmd} >/dev/null`);

describe("handoff", () => {
  it("GIVEN a running server WHEN it is restarted through a standby THEN every connection is answered, the standby served meanwhile, and it is gone after", async () => {
    await run("start app");
    expect(await ask()).toBe("app#1");
    const { result, answers } = await underLoad(sh("handoff start"));
    expect(result.stderr).toContain("app is back; the standby is gone");
    expect(result.code).toBe(0);
    expect(answers.filter((a) => a.startsWith("FAILED"))).toEqual([]);
    expect(new Set(answers)).toEqual(new Set(["app#1", "app-handoff#1", "app#2"]));
    expect(await ask()).toBe("app#2");
    // The standby, its section, its config copy and its socket are gone; the copy had its own socket.
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toContain("add app-handoff");
    expect(fs.existsSync(path.join(dir, "app-handoff.pid"))).toBe(false);
    expect(["conf.d/app-handoff.conf", "app-handoff.ini", "app-handoff.sock", "added-app-handoff"].filter((f) => fs.existsSync(path.join(dir, f)))).toEqual([]);
    const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
    expect(calls).toContain("start app-handoff");
    expect(calls).toContain("remove app-handoff");
  }, 60_000);

  it("GIVEN update mode THEN supervisor's update restarts the server", async () => {
    await run("start app");
    const r = await sh("handoff update");
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toMatch(/^update app$/m);
    expect(await ask()).toBe("app#2");
  }, 60_000);

  it("GIVEN a standby that cannot start THEN it returns 1 and the server, untouched, keeps serving", async () => {
    await run("start app");
    fs.writeFileSync(path.join(dir, "fail-app-handoff"), "");
    fs.writeFileSync(path.join(dir, "standby.log"), "ImportError: no module named shop\n");
    const r = await sh("handoff start || echo rc=$?");
    expect(r.stderr).toContain("the standby did not come up");
    expect(r.stderr).toContain("ImportError: no module named shop");
    expect(r.stderr).toContain("rc=1");
    expect(await ask()).toBe("app#1");
    expect(fs.existsSync(path.join(dir, "conf.d", "app-handoff.conf"))).toBe(false);
  }, 60_000);

  it("GIVEN a server that does not come back THEN it returns 2 and the standby keeps serving; handoff_retire removes it once the server runs", async () => {
    await run("start app");
    fs.writeFileSync(path.join(dir, "fail-app"), "");
    const r = await sh("handoff start || echo rc=$?");
    expect(r.stderr).toContain("app did not come back; the standby app-handoff keeps serving");
    expect(r.stderr).toContain("rc=2");
    expect(await ask()).toBe("app-handoff#1");

    fs.rmSync(path.join(dir, "fail-app"));
    await run("start app");
    const retired = await sh("handoff_retire");
    expect(retired.code).toBe(0);
    expect(await ask()).toBe("app#2");
    expect(fs.existsSync(path.join(dir, "app-handoff.pid"))).toBe(false);
  }, 60_000);

  describe("a switch to another listener (another socket, another server)", () => {
    const oldSock = () => path.join(dir, "old.sock");
    /** The server runs on old.sock, as nginx knows it; the files on disk now name app.sock. */
    async function runningOnTheOldSocket(): Promise<void> {
      fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = ${oldSock()}\n`);
      await run("start app");
      fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = ${sock()}\nprocesses = 4\n`);
    }

    it("GIVEN no site that moves by itself, or a new socket already served THEN no switch is wanted", async () => {
      await runningOnTheOldSocket();
      expect((await sh("handoff_switch_wanted && echo wanted || echo no")).stderr.trim()).toBe("no");
      fs.writeFileSync(path.join(dir, "fronted-app"), "");
      expect((await sh("handoff_switch_wanted && echo wanted || echo no")).stderr.trim()).toBe("wanted");
      fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = ${oldSock()}\n`);
      await sh(`ln -s ${oldSock()} ${sock()}`);
      expect((await sh("handoff_switch_wanted && echo wanted || echo no")).stderr.trim()).toBe("no");
    }, 60_000);

    it("GIVEN a switch THEN the old instance serves the old socket until the site moved, the standby the new one, and handoff_finish completes it, every connection answered", async () => {
      await runningOnTheOldSocket();
      fs.writeFileSync(path.join(dir, "fronted-app"), "");
      // Before nginx reloads, it knows only the old socket.
      const before = await underLoad(sh("handoff switch"), () => ask(oldSock(), oldSock()));
      expect(before.result.code).toBe(0);
      expect(before.result.stderr).toContain("the standby serves");
      expect(new Set(before.answers)).toEqual(new Set(["app#1"]));
      expect(fs.existsSync(path.join(dir, "app.switching"))).toBe(true);
      expect(await ask()).toBe("app-handoff#1");
      expect((await sh("handoff_pending && echo pending")).stderr.trim()).toBe("pending");

      // nginx has reloaded: the new socket, the handoff socket as its backup.
      const after = await underLoad(sh("handoff_finish"));
      expect(after.result.code).toBe(0);
      expect(after.answers.filter((a) => a.startsWith("FAILED"))).toEqual([]);
      expect(new Set(after.answers)).toEqual(new Set(["app-handoff#1", "app#2"]));
      expect(await ask()).toBe("app#2");
      expect(["old.sock", "app.switching", "app-handoff.pid", "conf.d/app-handoff.conf"].filter((f) => fs.existsSync(path.join(dir, f)))).toEqual([]);
      expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toMatch(/^update app$/m);
      // Nothing waits any more: a second finish does nothing.
      expect(await sh("handoff_finish")).toEqual({ code: 0, stderr: "" });
    }, 60_000);

    it("GIVEN a switch whose server does not come back THEN handoff_finish returns 2 and the standby keeps serving the new socket", async () => {
      await runningOnTheOldSocket();
      fs.writeFileSync(path.join(dir, "fronted-app"), "");
      expect((await sh("handoff switch")).code).toBe(0);
      fs.writeFileSync(path.join(dir, "fail-app"), "");
      const r = await sh("handoff_finish || echo rc=$?");
      expect(r.stderr).toContain("rc=2");
      expect(await ask()).toBe("app-handoff#1");
      expect(fs.existsSync(path.join(dir, "app.switching"))).toBe(false);
    }, 60_000);
  });

  it("GIVEN listeners THEN the accept check's argument is the socket's path or host:port (IPv6 in brackets)", () => {
    expect(acceptsTarget({ kind: "unix", path: "/run/a/a.sock" })).toBe("/run/a/a.sock");
    expect(acceptsTarget({ kind: "tcp", host: "127.0.0.1", port: 8000 })).toBe("127.0.0.1:8000");
    expect(acceptsTarget({ kind: "tcp", host: "::1", port: 8000 })).toBe("[::1]:8000");
  });

  describe("a server on a TCP port", () => {
    let port: number;
    const tcp = (): ListenerAddress => ({ kind: "tcp", host: "127.0.0.1", port });
    beforeEach(async () => {
      // A port nothing listens on: the kernel picks a free one, which is then let go.
      port = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
          const p = (probe.address() as net.AddressInfo).port;
          probe.close(() => resolve(p));
        });
      });
      fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = 127.0.0.1:${port}\nprocesses = 4\n`, { mode: 0o640 });
    });

    // A port cannot be renamed away from the server as a socket can: what its queue holds at the
    // instant it closes is reset. nginx passes such a GET on (here: to the standby); a POST would fail.
    it("GIVEN a running server WHEN it is restarted through a standby THEN nginx's backup (the standby on its unix socket) answers while the port refuses, and no GET fails", async () => {
      await run("start app");
      expect(await ask(port)).toBe("app#1");
      const { result, answers } = await underLoad(sh("handoff start", tcp()), () => ask(port, hsock(), true));
      expect(result.stderr).toContain("app is back; the standby is gone");
      expect(result.code).toBe(0);
      expect(answers.filter((a) => a.startsWith("FAILED"))).toEqual([]);
      expect(new Set(answers)).toEqual(new Set(["app#1", "app-handoff#1", "app#2"]));
      expect(await ask(port)).toBe("app#2");
      // The standby (reached only through the backup: its copy named the unix socket) is gone with its files.
      expect(["conf.d/app-handoff.conf", "app-handoff.ini", "app-handoff.sock", "app-handoff.pid"].filter((f) => fs.existsSync(path.join(dir, f)))).toEqual([]);
    }, 60_000);

    it("GIVEN a move onto the port (a switch) THEN the standby serves as its backup until the site has moved, and handoff_finish completes it", async () => {
      const oldSock = path.join(dir, "old.sock");
      fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = ${oldSock}\n`);
      await run("start app");
      fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = 127.0.0.1:${port}\n`);
      fs.writeFileSync(path.join(dir, "fronted-app"), "");
      expect((await sh("handoff_switch_wanted && echo wanted || echo no", tcp())).stderr.trim()).toBe("wanted");
      const before = await underLoad(sh("handoff switch", tcp()), () => ask(oldSock, oldSock));
      expect(before.result.stderr).toContain(`the standby serves as the backup of 127.0.0.1:${port}`);
      expect(new Set(before.answers)).toEqual(new Set(["app#1"]));
      expect(await ask(port)).toBe("app-handoff#1");
      const after = await underLoad(sh("handoff_finish", tcp()), () => ask(port, hsock(), true));
      expect(after.result.code).toBe(0);
      expect(after.answers.filter((a) => a.startsWith("FAILED"))).toEqual([]);
      expect(new Set(after.answers)).toEqual(new Set(["app-handoff#1", "app#2"]));
      expect((await sh("handoff_switch_wanted && echo wanted || echo no", tcp())).stderr.trim()).toBe("no");
    }, 60_000);
  });

  it("GIVEN a config that does not name the socket THEN there is no standby and nothing changes", async () => {
    await run("start app");
    fs.writeFileSync(path.join(dir, "app.ini"), `[server]\nsocket = ${path.join(dir, "other.sock")}\n`);
    const r = await sh("handoff start || echo rc=$?");
    expect(r.stderr).toContain("does not name");
    expect(r.stderr).toContain("rc=1");
  }, 60_000);
});

describe("sectionReplacements", () => {
  /** A Waitress program's section and its standby's, as the WSGI services render them. */
  function sections(threads: number) {
    const w = resolveWaitress({ threads }, CTX);
    const socket = w.listen.kind === "unix" ? w.listen.path : "";
    const paths = [[socket, handoffPath(socket)] as const];
    const args = { name: "app", command: renderWaitressArgv(w), user: "app", logDir: "/var/log/app" };
    const program = renderSupervisorProgram(resolveSupervisorProgram(args));
    const standby = renderSupervisorProgram(
      resolveSupervisorProgram({ ...args, name: "app-handoff", command: args.command.map((a) => replaceAll(a, paths)), autostart: false, autorestart: false }),
    );
    return { program, standby, pairs: sectionReplacements({ name: "app", text: program }, { name: "app-handoff", text: standby }, paths) };
  }

  it("GIVEN a program and its standby WHEN compared THEN exact replacements turn one into the other", () => {
    const { program, standby, pairs } = sections(4);
    expect(pairs).toBeDefined();
    expect(replaceAll(program, pairs ?? [])).toBe(standby);
    // The copy on the host refuses a string the file does not hold: every one is in it.
    expect((pairs ?? []).filter(([from]) => !program.includes(from))).toEqual([]);
  });

  it("GIVEN a path only the server's config holds (a pid file) WHEN compared THEN it is not among the section's replacements", () => {
    const text = "[program:a]\ncommand=/x --config /etc/a.conf\n";
    const pairs = sectionReplacements({ name: "a", text }, { name: "b", text: "[program:b]\ncommand=/x --config /etc/a-handoff.conf\n" }, [
      ["/etc/a.conf", "/etc/a-handoff.conf"],
      ["/run/a/a.pid", "/run/a/a-handoff.pid"],
    ]);
    expect(pairs).toEqual([
      ["[program:a]", "[program:b]"],
      ["/etc/a.conf", "/etc/a-handoff.conf"],
    ]);
  });

  it("GIVEN a changed setting WHEN compared THEN the replacements are the same (the script holding them does not change)", () => {
    expect(sections(8).pairs).toEqual(sections(4).pairs);
    expect(JSON.stringify(sections(4).pairs)).not.toContain("threads");
  });

  it("GIVEN sections no exact replacements relate THEN there is no standby", () => {
    expect(sectionReplacements({ name: "a", text: "[program:a]\nx=1\n" }, { name: "b", text: "[program:b]\nx=2\n" }, [])).toBeUndefined();
  });
});
