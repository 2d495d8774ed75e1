import { GunicornArgs, resolveGunicorn } from "../../../components/config";
import { gunicornBindLiteral, pythonLiteral, renderGunicornConf } from "../../../components/render";
import { CTX, FACTORY_CTX } from "../fixtures";

describe("gunicornBindLiteral", () => {
  it("GIVEN binds WHEN spelled THEN each is the entry the config's bind list holds, once (a standby's copy replaces exactly it)", () => {
    for (const bind of [{ kind: "tcp" as const }, { kind: "tcp" as const, host: "::1", port: 9000 }, { kind: "unix" as const }]) {
      const s = resolveGunicorn({ bind }, CTX);
      expect(renderGunicornConf(s).split(gunicornBindLiteral(s.bind)).length).toBe(2);
    }
    expect(gunicornBindLiteral({ kind: "tcp", host: "127.0.0.1", port: 8000 })).toBe('"127.0.0.1:8000"');
    expect(gunicornBindLiteral({ kind: "unix", path: "/run/app/gunicorn-handoff.sock", umask: 0 })).toBe('"unix:/run/app/gunicorn-handoff.sock"');
  });
});

describe("renderGunicornConf", () => {
  it("GIVEN default settings WHEN rendered THEN the config is exactly this", () => {
    expect(renderGunicornConf(resolveGunicorn({}, CTX))).toBe(
      [
        "# Managed by flaskstack — changes here are overwritten",
        'if __import__("os").path.exists("/etc/app/load_env.py"):',
        '    __import__("runpy").run_path("/etc/app/load_env.py")',
        'wsgi_app = "pkg.wsgi:app"',
        'chdir = "/srv/app/current"',
        'proc_name = "app"',
        'bind = ["unix:/run/app/gunicorn.sock"]',
        "umask = 0o000",
        "workers = 4",
        'worker_class = "gthread"',
        "threads = 4",
        "timeout = 30",
        "graceful_timeout = 30",
        "keepalive = 2",
        "preload_app = False",
        "max_requests = 0",
        "max_requests_jitter = 0",
        "limit_request_line = 4094",
        "limit_request_fields = 100",
        "limit_request_field_size = 8190",
        'forwarded_allow_ips = "127.0.0.1"',
        'pidfile = "/run/app/gunicorn.pid"',
        'worker_tmp_dir = "/dev/shm"',
        'loglevel = "info"',
        "accesslog = None",
        'errorlog = "/var/log/app/gunicorn.error.log"',
        "control_socket_disable = True",
        "",
      ].join("\n"),
    );
  });

  it.each<[string, GunicornArgs, string[]]>([
    ["unix bind with a umask", { bind: { kind: "unix", umask: 0o007 } }, ['bind = ["unix:/run/app/gunicorn.sock"]', "umask = 0o007"]],
    ["TCP bind", { bind: { kind: "tcp" } }, ['bind = ["127.0.0.1:8000"]', "reuse_port = False"]],
    ["TCP bind with reusePort", { bind: { kind: "tcp" }, reusePort: true }, ["reuse_port = True"]],
    ["IPv6 bind", { bind: { kind: "tcp", host: "::1", port: 9000 } }, ['bind = ["[::1]:9000"]']],
    ["threads", { threads: 4 }, ['worker_class = "gthread"', "threads = 4"]],
    ["one thread", { threads: 1 }, ['worker_class = "sync"', "threads = 1"]],
    ["an access log", { accessLog: "/var/log/app/access.log" }, ['accesslog = "/var/log/app/access.log"']],
    ["gevent", { workerClass: "gevent" }, ['worker_class = "gevent"']],
    [
      "preload and recycling",
      { preload: true, maxRequests: 1000, maxRequestsJitter: 50 },
      ["preload_app = True", "max_requests = 1000", "max_requests_jitter = 50"],
    ],
    ["several trusted proxies", { forwardedAllowIps: ["127.0.0.1", "10.0.0.0/8"] }, ['forwarded_allow_ips = "127.0.0.1,10.0.0.0/8"']],
    ["debug logging", { loglevel: "debug" }, ['loglevel = "debug"']],
  ])("GIVEN %s WHEN rendered THEN the config has the right lines", (_what, args, present) => {
    const rendered = renderGunicornConf(resolveGunicorn(args, CTX)).split("\n");
    for (const line of present) {
      expect(rendered).toContain(line);
    }
  });

  it("GIVEN an app factory WHEN rendered THEN wsgi_app calls it", () => {
    expect(renderGunicornConf(resolveGunicorn({}, FACTORY_CTX))).toContain('wsgi_app = "manage:create_app()"\n');
  });

  it.each<[Parameters<typeof pythonLiteral>[0], string]>([
    ["plain", '"plain"'],
    [null, "None"],
    ['quote " and backslash \\', '"quote \\" and backslash \\\\"'],
    ["new\nline", '"new\\nline"'],
    ["ünïcode ☃", '"ünïcode ☃"'],
    [true, "True"],
    [false, "False"],
    [42, "42"],
    [{ octal: 0o22 }, "0o022"],
    [["a", 1, false], '["a", 1, False]'],
  ])("GIVEN %j WHEN written as Python THEN it is %s", (value, literal) => {
    expect(pythonLiteral(value)).toBe(literal);
  });
});
