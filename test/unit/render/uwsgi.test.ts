import { resolveUwsgi, UwsgiArgs, UwsgiSettings } from "../../../components/config";
import { renderUwsgiIni } from "../../../components/render";
import { CTX, FACTORY_CTX } from "../fixtures";

/** The ini lines after the header and section, for option tests. */
function lines(args: UwsgiArgs, ctx = CTX): string[] {
  return renderUwsgiIni(resolveUwsgi(args, ctx)).split("\n").slice(2, -1);
}

describe("renderUwsgiIni", () => {
  it("GIVEN default settings WHEN rendered THEN the ini is exactly this", () => {
    expect(renderUwsgiIni(resolveUwsgi({}, CTX))).toBe(
      [
        "# Managed by flaskstack — changes here are overwritten",
        "[uwsgi]",
        "strict = true",
        "module = pkg.wsgi:app",
        "chdir = /srv/app/current",
        "home = /srv/app/venv",
        "pythonpath = /srv/app/current",
        "pyimport = /etc/app/load_env.py",
        "need-app = true",
        "master = true",
        "processes = 2",
        "threads = 4",
        "enable-threads = true",
        "disable-logging = true",
        "uid = app",
        "gid = app",
        "uwsgi-socket = /run/app/app.sock",
        "chmod-socket = 660",
        "chown-socket = app:www-data",
        "listen = 100",
        "buffer-size = 32768",
        "harakiri = 30",
        "worker-reload-mercy = 30",
        "vacuum = true",
        "die-on-term = true",
        "pidfile = /run/app/uwsgi.pid",
        "master-fifo = /run/app/uwsgi.fifo",
        "",
      ].join("\n"),
    );
  });

  it.each<[string, UwsgiArgs, string[], string[]]>([
    ["apt source", { source: "apt" }, ["plugins = python3"], []],
    [
      "uwsgi-tcp socket",
      { socket: { kind: "uwsgi-tcp", port: 9001 } },
      ["uwsgi-socket = 127.0.0.1:9001"],
      ["chmod-socket = 660", "chown-socket = app:www-data"],
    ],
    ["IPv6 uwsgi-tcp socket", { socket: { kind: "uwsgi-tcp", host: "::1" } }, ["uwsgi-socket = [::1]:8001"], []],
    ["http-socket", { socket: { kind: "http-socket" } }, ["http-socket = 127.0.0.1:8001"], ["uwsgi-socket = /run/app/app.sock"]],
    ["http router", { socket: { kind: "http", host: "0.0.0.0", port: 80 } }, ["http = 0.0.0.0:80"], ["uwsgi-socket = /run/app/app.sock"]],
    ["post-buffering", { postBuffering: 8192 }, ["post-buffering = 8192"], []],
    ["harakiri off", { harakiri: 0 }, [], ["harakiri = 30"]],
    ["lazy apps", { lazyApps: true }, ["lazy-apps = true"], []],
    ["max requests", { maxRequests: 5000 }, ["max-requests = 5000"], []],
    ["stats on a unix socket", { stats: { kind: "unix" } }, ["stats = /run/app/stats.sock"], ["stats-http = true"]],
    ["stats over HTTP", { stats: { kind: "tcp", port: 9191 }, statsHttp: true }, ["stats = 127.0.0.1:9191", "stats-http = true"], []],
    ["strict off", { strict: false }, [], ["strict = true"]],
    ["wsgi file", { wsgiFile: "/srv/app/current/wsgi.py" }, ["wsgi-file = /srv/app/current/wsgi.py", "callable = app"], ["module = pkg.wsgi:app"]],
    ["more processes", { processes: 16, threads: 1 }, ["processes = 16", "threads = 1"], []],
    ["extra pythonpath", { pythonpath: ["/srv/app/current", "/srv/app/lib"] }, ["pythonpath = /srv/app/current", "pythonpath = /srv/app/lib"], []],
  ])("GIVEN %s WHEN rendered THEN the ini has the right lines", (_what, args, present, absent) => {
    const rendered = lines(args);
    for (const line of present) {
      expect(rendered).toContain(line);
    }
    for (const line of absent) {
      expect(rendered).not.toContain(line);
    }
  });

  it("GIVEN apt source WHEN rendered THEN plugins comes before the python options", () => {
    const rendered = lines({ source: "apt" });
    expect(rendered.indexOf("plugins = python3")).toBeLessThan(rendered.indexOf("module = pkg.wsgi:app"));
  });

  it("GIVEN an app factory WHEN rendered THEN module calls it", () => {
    expect(lines({}, FACTORY_CTX)).toContain("module = manage:create_app()");
  });

  it.each(["/srv/%d/app", "/srv/$(HOME)", "/srv/@(x)", "/srv/a\nb"])("GIVEN a value uWSGI would expand (%j) WHEN rendered THEN it throws", (chdir) => {
    const settings: UwsgiSettings = { ...resolveUwsgi({}, CTX), chdir };
    expect(() => renderUwsgiIni(settings)).toThrow("cannot write uWSGI option chdir");
  });
});
