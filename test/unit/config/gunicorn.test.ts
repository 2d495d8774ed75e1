import { ArgumentError, GunicornArgs, gunicornOnHost, planGunicorn, resolveGunicorn } from "../../../components/config";
import { APP, CTX, errorOf, FACTORY_CTX, frozen, VM_FACTS } from "../fixtures";

describe("resolveGunicorn", () => {
  const defaults = resolveGunicorn({}, CTX);

  it.each<[string, unknown]>([
    ["wsgiApp", "pkg.wsgi:app"],
    ["chdir", "/srv/app/current"],
    ["procName", "app"],
    ["bind", { kind: "unix", path: "/run/app/gunicorn.sock", umask: 0 }],
    ["workers", 4],
    ["workerClass", "gthread"],
    ["threads", 4],
    ["timeout", 30],
    ["gracefulTimeout", 30],
    ["keepalive", 2],
    ["loglevel", "info"],
    ["accessLog", null],
    ["errorLog", "/var/log/app/gunicorn.error.log"],
    ["forwardedAllowIps", ["127.0.0.1"]],
    ["limitRequestLine", 4094],
    ["limitRequestFields", 100],
    ["limitRequestFieldSize", 8190],
    ["preload", false],
    ["reusePort", false],
    ["maxRequests", 0],
    ["maxRequestsJitter", 0],
    ["pidfile", "/run/app/gunicorn.pid"],
    ["workerTmpDir", "/dev/shm"],
    ["configPath", "/etc/app/gunicorn.conf.py"],
    ["command", ["/srv/app/venv/bin/gunicorn", "--config", "/etc/app/gunicorn.conf.py"]],
    ["processUser", "app"],
    ["stopSignal", "TERM"],
    ["stopWaitSecs", 35],
    [
      "listener",
      {
        protocol: "http",
        address: { kind: "unix", path: "/run/app/gunicorn.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
        handoff: { kind: "unix", path: "/run/app/gunicorn-handoff.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
      },
    ],
    ["requiredDirs", ["/run/app", "/var/log/app"]],
  ])("GIVEN no args WHEN resolved THEN %s defaults to %j", (key, expected) => {
    expect(defaults[key as keyof typeof defaults]).toEqual(expected);
  });

  it("GIVEN threads 4 WHEN resolved THEN the worker class is gthread", () => {
    expect(resolveGunicorn({ threads: 4 }, CTX).workerClass).toBe("gthread");
  });

  it("GIVEN threads 1 WHEN resolved THEN the worker class is sync", () => {
    expect(resolveGunicorn({ threads: 1 }, CTX).workerClass).toBe("sync");
  });

  it.each(["sync", "gevent"] as const)("GIVEN workerClass %s and no threads WHEN resolved THEN threads is 1, not the gthread default", (workerClass) => {
    const s = resolveGunicorn({ workerClass }, CTX);
    expect(s.threads).toBe(1);
    expect(s.workerClass).toBe(workerClass);
  });

  it("GIVEN an access log path WHEN resolved THEN it is kept and its directory must exist", () => {
    const s = resolveGunicorn({ accessLog: "/var/log/web/access.log" }, CTX);
    expect(s.accessLog).toBe("/var/log/web/access.log");
    expect(s.requiredDirs).toContain("/var/log/web");
  });

  it("GIVEN a factory entry WHEN resolved THEN wsgi_app calls it", () => {
    expect(resolveGunicorn({}, FACTORY_CTX).wsgiApp).toBe("manage:create_app()");
  });

  it("GIVEN a unix bind outside the run dir WHEN resolved THEN the socket is mode 770 for the app user and group", () => {
    const s = resolveGunicorn({ bind: { kind: "unix", path: "/srv/app/gunicorn.sock" } }, CTX);
    expect(s.bind).toEqual({ kind: "unix", path: "/srv/app/gunicorn.sock", umask: 0o007 });
    expect(s.listener).toEqual({
      protocol: "http",
      address: { kind: "unix", path: "/srv/app/gunicorn.sock", permissions: { owner: "app", group: "app", mode: 0o770 } },
      handoff: { kind: "unix", path: "/srv/app/gunicorn-handoff.sock", permissions: { owner: "app", group: "app", mode: 0o770 } },
    });
  });

  it("GIVEN a unix bind in the run dir with an explicit umask WHEN resolved THEN that umask is kept", () => {
    expect(resolveGunicorn({ bind: { kind: "unix", umask: 0o007 } }, CTX).bind).toEqual({ kind: "unix", path: "/run/app/gunicorn.sock", umask: 0o007 });
  });

  it("GIVEN a TCP bind WHEN resolved THEN it is 127.0.0.1:8000, one queue shared by the workers (no reuse_port), a restart's standby on a unix socket in the run dir", () => {
    const s = resolveGunicorn({ bind: { kind: "tcp" } }, CTX);
    expect(s.bind).toEqual({ kind: "tcp", host: "127.0.0.1", port: 8000 });
    expect(s.listener).toEqual({
      protocol: "http",
      address: { kind: "tcp", host: "127.0.0.1", port: 8000 },
      handoff: { kind: "unix", path: "/run/app/gunicorn-handoff.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
    });
    expect(s.reusePort).toBe(false);
  });

  it("GIVEN log files elsewhere WHEN resolved THEN their directories must exist too", () => {
    const s = resolveGunicorn({ accessLog: "/var/log/web/access.log", errorLog: "/var/log/app/error.log" }, CTX);
    expect(s.requiredDirs).toEqual(["/run/app", "/var/log/web", "/var/log/app"]);
  });

  it("GIVEN frozen args WHEN resolved THEN they are not mutated", () => {
    const args = frozen<GunicornArgs>({ bind: { kind: "tcp", port: 9000 }, forwardedAllowIps: ["10.0.0.1"] });
    expect(resolveGunicorn(args, CTX).forwardedAllowIps).toEqual(["10.0.0.1"]);
    expect(args).toEqual({ bind: { kind: "tcp", port: 9000 }, forwardedAllowIps: ["10.0.0.1"] });
  });

  it.each<[GunicornArgs, string]>([
    [{ workers: 0 }, "`workers` must be an integer between 1 and 1024 (got 0)"],
    [{ workerClass: "eventlet" as "sync" }, '`workerClass` must be one of sync, gthread, gevent (got "eventlet")'],
    [
      { workerClass: "sync", threads: 4 },
      '`threads` > 1 needs `workerClass` gthread: sync workers serve one request at a time (got threads 4 with workerClass "sync")',
    ],
    [{ bind: { kind: "tcp", port: 70000 } }, "`bind.port` must be a port number between 1 and 65535 (got 70000)"],
    [{ bind: { kind: "unix", path: "/run/app/g unicorn.sock" } }, '`bind.path` must not contain a space (got "/run/app/g unicorn.sock")'],
    [{ loglevel: "verbose" as "info" }, '`loglevel` must be one of debug, info, warning, error, critical (got "verbose")'],
    [{ forwardedAllowIps: ["nginx"] }, '`forwardedAllowIps[0]` must be an IP address, a CIDR range such as 10.0.0.0/8, or all (got "nginx")'],
    [{ accessLog: "gunicorn.log" }, '`accessLog` must be an absolute path (starting with /) (got "gunicorn.log")'],
  ])("GIVEN %j WHEN resolved THEN it throws %j", (args, message) => {
    const error = errorOf(() => resolveGunicorn(args, CTX));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toBe(message);
  });
});

describe("planGunicorn and gunicornOnHost", () => {
  it("GIVEN no `workers` WHEN planned without the host THEN the plan has none, and the host's facts decide it", () => {
    const plan = planGunicorn({}, { app: APP });
    expect(plan.workers).toBeUndefined();
    // Two per core, capped by memory.
    expect(gunicornOnHost(plan, { ...VM_FACTS, cores: 4, memoryMb: 4096 }).workers).toBe(8);
    expect(gunicornOnHost(plan, VM_FACTS)).toEqual(resolveGunicorn({}, CTX));
  });

  it("GIVEN `workers` WHEN completed on any host THEN it stays", () => {
    expect(gunicornOnHost(planGunicorn({ workers: 5 }, { app: APP }), { ...VM_FACTS, cores: 16, memoryMb: 65536 }).workers).toBe(5);
  });
});
