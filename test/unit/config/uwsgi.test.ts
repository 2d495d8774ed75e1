import { ArgumentError, planUwsgi, reloadCanStall, resolveUwsgi, UwsgiArgs, uwsgiOnHost } from "../../../components/config";
import { APP, CTX, errorOf, FACTORY_CTX, frozen, VM_FACTS } from "../fixtures";

describe("resolveUwsgi", () => {
  const defaults = resolveUwsgi({}, CTX);

  it.each<[string, unknown]>([
    ["source", "pip"],
    ["binary", "/srv/app/venv/bin/uwsgi"],
    ["plugins", []],
    ["app", { kind: "module", module: "pkg.wsgi:app" }],
    ["chdir", "/srv/app/current"],
    ["home", "/srv/app/venv"],
    ["pythonpath", ["/srv/app/current"]],
    ["master", true],
    ["processes", 2],
    ["threads", 4],
    ["enableThreads", true],
    ["logRequests", false],
    ["bufferSize", 32768],
    ["postBuffering", 0],
    ["harakiri", 30],
    ["lazyApps", false],
    ["maxRequests", 0],
    ["listenQueue", 100],
    ["workerReloadMercy", 30],
    ["vacuum", true],
    ["dieOnTerm", true],
    ["needApp", true],
    ["strict", true],
    ["uid", "app"],
    ["gid", "app"],
    ["socket", { kind: "uwsgi-unix", path: "/run/app/app.sock", owner: "app", group: "www-data", mode: 0o660 }],
    ["stats", null],
    ["statsHttp", false],
    ["pidfile", "/run/app/uwsgi.pid"],
    ["masterFifo", "/run/app/uwsgi.fifo"],
    ["configPath", "/etc/app/uwsgi.ini"],
    ["command", ["/srv/app/venv/bin/uwsgi", "--ini", "/etc/app/uwsgi.ini"]],
    ["processUser", "root"],
    ["stopSignal", "TERM"],
    ["stopWaitSecs", 35],
    [
      "listener",
      {
        protocol: "uwsgi",
        address: { kind: "unix", path: "/run/app/app.sock", permissions: { owner: "app", group: "www-data", mode: 0o660 } },
        handoff: { kind: "unix", path: "/run/app/app-handoff.sock", permissions: { owner: "app", group: "www-data", mode: 0o660 } },
      },
    ],
    ["requiredDirs", ["/run/app"]],
  ])("GIVEN no args WHEN resolved THEN %s defaults to %j", (key, expected) => {
    expect(defaults[key as keyof typeof defaults]).toEqual(expected);
  });

  it("GIVEN source apt WHEN resolved THEN Debian's binary and the python3 plugin are used", () => {
    const s = resolveUwsgi({ source: "apt" }, CTX);
    expect([s.binary, s.plugins]).toEqual(["/usr/bin/uwsgi", ["python3"]]);
  });

  it("GIVEN source apt WHEN resolved THEN workers have one thread, so Debian's uWSGI reloads them without a stall", () => {
    const s = resolveUwsgi({ source: "apt" }, CTX);
    expect([s.threads, reloadCanStall(s)]).toEqual([1, false]);
  });

  it.each<[UwsgiArgs, boolean]>([
    [{ source: "apt", threads: 4 }, true],
    [{ source: "apt", threads: 1 }, false],
    [{ source: "pip", threads: 4 }, false],
    [{}, false],
  ])("GIVEN %j WHEN resolved THEN reloadCanStall is %j", (args, stalls) => {
    expect(reloadCanStall(resolveUwsgi(args, CTX))).toBe(stalls);
  });

  it("GIVEN a factory entry WHEN resolved THEN the module line calls it", () => {
    expect(resolveUwsgi({}, FACTORY_CTX).app).toEqual({ kind: "module", module: "manage:create_app()" });
  });

  it("GIVEN wsgiFile WHEN resolved THEN the file and the entry's callable are loaded", () => {
    expect(resolveUwsgi({ wsgiFile: "/srv/app/current/wsgi.py" }, CTX).app).toEqual({
      kind: "wsgi-file",
      path: "/srv/app/current/wsgi.py",
      callable: "app",
    });
  });

  it.each<[UwsgiArgs["socket"], unknown]>([
    [{ kind: "uwsgi-tcp" }, { protocol: "uwsgi", address: { kind: "tcp", host: "127.0.0.1", port: 8001 } }],
    [
      { kind: "http-socket", port: 9000 },
      { protocol: "http", address: { kind: "tcp", host: "127.0.0.1", port: 9000 } },
    ],
    [{ kind: "http" }, { protocol: "http", address: { kind: "tcp", host: "127.0.0.1", port: 8001 }, uwsgiHttpRouter: true }],
    [
      { kind: "uwsgi-unix", path: "/run/app/x.sock", mode: 0o666, group: "nginx" },
      {
        protocol: "uwsgi",
        address: { kind: "unix", path: "/run/app/x.sock", permissions: { owner: "app", group: "nginx", mode: 0o666 } },
        handoff: { kind: "unix", path: "/run/app/x-handoff.sock", permissions: { owner: "app", group: "nginx", mode: 0o666 } },
      },
    ],
  ])("GIVEN socket %j WHEN resolved THEN the listener is %j", (socket, listener) => {
    expect(resolveUwsgi({ socket }, CTX).listener).toEqual(listener);
  });

  it.each<[UwsgiArgs, boolean]>([
    [{}, false],
    [{ socket: { kind: "uwsgi-tcp" } }, false],
    [{ socket: { kind: "http-socket" } }, false],
    [{ socket: { kind: "http" } }, true],
    [{ socket: { kind: "http" }, logRequests: false }, false],
    [{ logRequests: true }, true],
  ])("GIVEN %j WHEN resolved THEN request logging is %s (on only where no nginx logs the requests)", (args, expected) => {
    expect(resolveUwsgi(args, CTX).logRequests).toBe(expected);
  });

  it.each<[{ readonly kind: "unix"; readonly path?: string } | { readonly kind: "tcp"; readonly port: number }, unknown]>([
    [{ kind: "unix" }, { kind: "unix", path: "/run/app/stats.sock" }],
    [
      { kind: "tcp", port: 9191 },
      { kind: "tcp", host: "127.0.0.1", port: 9191 },
    ],
  ])("GIVEN stats %j WHEN resolved THEN stats is %j", (stats, expected) => {
    expect(resolveUwsgi({ stats }, CTX).stats).toEqual(expected);
  });

  it.each<[UwsgiArgs, number, number]>([
    [{ harakiri: 60 }, 60, 65],
    [{ harakiri: 0 }, 30, 35],
    [{ harakiri: 10, workerReloadMercy: 20 }, 20, 25],
    [{ stopWaitSecs: 90 }, 30, 90],
  ])("GIVEN %j WHEN resolved THEN workers get %i s to stop and supervisor waits %i s after TERM", (args, mercy, wait) => {
    const s = resolveUwsgi(args, CTX);
    expect([s.workerReloadMercy, s.stopWaitSecs]).toEqual([mercy, wait]);
  });

  it("GIVEN frozen args WHEN resolved THEN they are not mutated", () => {
    const args = frozen<UwsgiArgs>({ socket: { kind: "uwsgi-tcp" }, pythonpath: ["/opt/lib"], stats: { kind: "unix" } });
    const s = resolveUwsgi(args, CTX);
    expect(s.pythonpath).toEqual(["/opt/lib"]);
    expect(args).toEqual({ socket: { kind: "uwsgi-tcp" }, pythonpath: ["/opt/lib"], stats: { kind: "unix" } });
  });

  it.each<[UwsgiArgs, string]>([
    [{ processes: 0 }, "`processes` must be an integer between 1 and 1024 (got 0)"],
    [{ threads: 0.5 }, "`threads` must be an integer between 1 and 256 (got 0.5)"],
    [{ bufferSize: 70000 }, "`bufferSize` must be an integer between 4096 and 65535 (got 70000)"],
    [{ source: "brew" as "pip" }, '`source` must be one of pip, apt (got "brew")'],
    [{ socket: { kind: "uwsgi-tcp", port: 0 } }, "`socket.port` must be a port number between 1 and 65535 (got 0)"],
    [{ socket: { kind: "fastcgi" as "http" } }, '`socket.kind` must be one of uwsgi-unix, uwsgi-tcp, http-socket, http (got "fastcgi")'],
    [{ socket: { kind: "uwsgi-unix", path: "run/app.sock" } }, '`socket.path` must be an absolute path (starting with /) (got "run/app.sock")'],
    [{ socket: { kind: "uwsgi-unix", group: "www data" } }, expect.stringContaining("`socket.group` must be 1 to 32 characters") as unknown as string],
    [{ pythonpath: ["/opt/a", "/opt/../b"] }, '`pythonpath[1]` must not contain `..` (got "/opt/../b")'],
  ])("GIVEN %j WHEN resolved THEN it throws %j", (args, message) => {
    const error = errorOf(() => resolveUwsgi(args, CTX));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toEqual(message);
  });

  it("GIVEN wsgiFile with a factory entry WHEN resolved THEN it is refused", () => {
    expect(() => resolveUwsgi({ wsgiFile: "/srv/app/current/wsgi.py" }, FACTORY_CTX)).toThrow(
      "`wsgiFile` cannot be combined with an app factory entry (`module:factory()`): name the app object, or drop `wsgiFile`",
    );
  });
});

describe("planUwsgi and uwsgiOnHost", () => {
  it("GIVEN no `processes` WHEN planned without the host THEN the plan has none, and the host's facts decide it", () => {
    const plan = planUwsgi({}, { app: APP });
    expect(plan.processes).toBeUndefined();
    expect(uwsgiOnHost(plan, { ...VM_FACTS, cores: 4, memoryMb: 4096 }).processes).toBe(4);
    expect(uwsgiOnHost(plan, { ...VM_FACTS, cores: 1, memoryMb: 512 }).processes).toBe(2);
    // Everything else is the plan's: resolving is planning, then completing on the host.
    expect(uwsgiOnHost(plan, VM_FACTS)).toEqual(resolveUwsgi({}, CTX));
  });

  it("GIVEN `processes` WHEN completed on any host THEN it stays", () => {
    expect(uwsgiOnHost(planUwsgi({ processes: 3 }, { app: APP }), { ...VM_FACTS, cores: 16, memoryMb: 65536 }).processes).toBe(3);
  });
});
