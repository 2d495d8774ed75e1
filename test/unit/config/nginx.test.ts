import { ArgumentError, Listener, NginxSiteArgs, resolveGunicorn, resolveNginxSite, resolveUwsgi, resolveWaitress } from "../../../components/config";
import { renderNginxSite } from "../../../components/render";
import { CTX, errorOf, frozen } from "../fixtures";

const UWSGI_UNIX = resolveUwsgi({}, CTX).listener;
const GUNICORN_TCP = resolveGunicorn({ bind: { kind: "tcp" } }, CTX).listener;

describe("resolveNginxSite", () => {
  const defaults = resolveNginxSite({ name: "app", upstreams: [UWSGI_UNIX] });

  it.each<[string, unknown]>([
    ["upstreamName", "app_backend"],
    ["protocol", "uwsgi"],
    ["upstreams", [{ listener: UWSGI_UNIX, weight: 1, maxFails: 0, failTimeout: "10s" }]],
    ["balance", "round_robin"],
    ["keepalive", 0],
    ["listen", 80],
    ["listenTls", 443],
    ["ipv6", false],
    ["defaultServer", false],
    ["serverNames", ["_"]],
    ["staticLocations", []],
    ["clientMaxBodySize", "10m"],
    ["tls", null],
    ["rateLimit", null],
    ["allow", []],
    ["deny", []],
    ["connectTimeout", "5s"],
    ["readTimeout", "60s"],
    ["sendTimeout", "60s"],
    ["accessLog", "/var/log/nginx/app.access.log"],
    ["errorLog", "/var/log/nginx/app.error.log"],
    ["serverTokens", false],
  ])("GIVEN a uWSGI upstream only WHEN resolved THEN %s defaults to %j", (key, expected) => {
    expect(defaults[key as keyof typeof defaults]).toEqual(expected);
  });

  it("GIVEN an HTTP upstream without a handoff socket WHEN resolved THEN keep-alive connections default to 16", () => {
    const s = resolveNginxSite({ name: "app", upstreams: [{ protocol: "http", address: { kind: "tcp", host: "127.0.0.1", port: 8080 } }] });
    expect([s.protocol, s.keepalive]).toEqual(["http", 16]);
  });

  it("GIVEN Gunicorn on TCP WHEN resolved THEN its standby's unix socket is the port's backup, tried after the port twice, with no keep-alive", () => {
    const s = resolveNginxSite({ name: "app", upstreams: [GUNICORN_TCP] });
    expect([s.keepalive, s.upstreams[0].maxFails]).toEqual([0, 0]);
    expect(renderNginxSite(s)).toMatch(
      /server 127\.0\.0\.1:8000 max_fails=0;\n\s+server 127\.0\.0\.1:8000 max_fails=0;\n\s+server unix:\/run\/app\/gunicorn-handoff\.sock backup max_fails=0;/,
    );
  });

  it("GIVEN tls with hsts true WHEN resolved THEN Mozilla's two-year max-age and redirect/http2 defaults apply", () => {
    const s = resolveNginxSite({ name: "app", upstreams: [UWSGI_UNIX], tls: { certificatePath: "/etc/ssl/a.pem", keyPath: "/etc/ssl/a.key", hsts: true } });
    expect(s.tls).toEqual({
      certificatePath: "/etc/ssl/a.pem",
      keyPath: "/etc/ssl/a.key",
      hsts: { maxAgeSeconds: 63072000, includeSubdomains: false, preload: false },
      redirectHttp: true,
      http2: true,
    });
  });

  it("GIVEN a rate limit WHEN resolved THEN burst defaults to twice the rate and the zone is named after the site", () => {
    expect(resolveNginxSite({ name: "shop", upstreams: [UWSGI_UNIX], rateLimit: { ratePerSecond: 5 } }).rateLimit).toEqual({
      zoneName: "shop_req",
      ratePerSecond: 5,
      burst: 10,
      zoneSize: "10m",
      nodelay: true,
    });
  });

  it("GIVEN frozen args WHEN resolved THEN they are not mutated", () => {
    const args = frozen<NginxSiteArgs>({
      name: "app",
      upstreams: [{ listener: GUNICORN_TCP, weight: 2 }],
      serverNames: ["example.com"],
      allow: ["10.0.0.0/8"],
    });
    const s = resolveNginxSite(args);
    expect(s.upstreams[0].weight).toBe(2);
    expect(args.serverNames).toEqual(["example.com"]);
  });
});

describe("resolveNginxSite wiring checks", () => {
  it("GIVEN a uwsgi and an http upstream WHEN resolved THEN mixing protocols is refused", () => {
    const error = errorOf(() => resolveNginxSite({ name: "app", upstreams: [UWSGI_UNIX, GUNICORN_TCP] }));
    expect(error.message).toBe(
      "`upstreams` mixes protocols: `upstreams[0]` speaks uwsgi but `upstreams[1]` (127.0.0.1:8000) speaks http; one site passes to one kind of server",
    );
    expect((error as ArgumentError).argument).toBe("upstreams[1]");
  });

  it("GIVEN uWSGI's standalone http router WHEN used as an upstream THEN it is refused, pointing at http-socket", () => {
    const router = resolveUwsgi({ socket: { kind: "http" } }, CTX).listener;
    expect(() => resolveNginxSite({ name: "app", upstreams: [router] })).toThrow(
      "`upstreams[0]` (127.0.0.1:8001) is uWSGI's standalone `http` router, which is meant to face clients itself: behind nginx use socket kind `http-socket` (proxy_pass) or `uwsgi-unix` / `uwsgi-tcp` (uwsgi_pass)",
    );
  });

  it("GIVEN uWSGI's http-socket WHEN used as an upstream THEN it is accepted as http", () => {
    const s = resolveNginxSite({ name: "app", upstreams: [resolveUwsgi({ socket: { kind: "http-socket" } }, CTX).listener] });
    expect(s.protocol).toBe("http");
  });

  it("GIVEN Gunicorn's default unix socket WHEN nginx runs as www-data THEN it is accepted: mode 777 inside the run dir", () => {
    const socket = resolveGunicorn({}, CTX).listener;
    expect(socket).toEqual({
      protocol: "http",
      address: { kind: "unix", path: "/run/app/gunicorn.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
      handoff: { kind: "unix", path: "/run/app/gunicorn-handoff.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
    });
    expect(() => resolveNginxSite({ name: "app", upstreams: [socket] })).not.toThrow();
  });

  it("GIVEN a Gunicorn unix socket of mode 770 for group app WHEN nginx runs as www-data THEN it is refused with the fix", () => {
    const socket = resolveGunicorn({ bind: { kind: "unix", umask: 0o007 } }, CTX).listener;
    expect(() => resolveNginxSite({ name: "app", upstreams: [socket] })).toThrow(
      "`upstreams[0]`: nginx (user www-data, groups www-data) cannot connect to unix:/run/app/gunicorn.sock (owner app, group app, mode 770): " +
        "give the socket group www-data with mode 660, or add www-data to group app and list it in `nginxGroups`",
    );
  });

  it("GIVEN the same socket WHEN nginx's user is listed in the app group THEN it is accepted", () => {
    const socket = resolveGunicorn({ bind: { kind: "unix", umask: 0o007 } }, CTX).listener;
    expect(() => resolveNginxSite({ name: "app", upstreams: [socket], nginxGroups: ["www-data", "app"] })).not.toThrow();
  });

  it.each<[string, Listener, boolean]>([
    ["uWSGI default socket (660, group www-data)", UWSGI_UNIX, true],
    [
      "mode 600 owned by app",
      { protocol: "uwsgi", address: { kind: "unix", path: "/run/a.sock", permissions: { owner: "app", group: "www-data", mode: 0o600 } } },
      false,
    ],
    ["mode 666", { protocol: "uwsgi", address: { kind: "unix", path: "/run/a.sock", permissions: { owner: "app", group: "app", mode: 0o666 } } }, true],
    [
      "owned by www-data, mode 600",
      { protocol: "uwsgi", address: { kind: "unix", path: "/run/a.sock", permissions: { owner: "www-data", group: "app", mode: 0o600 } } },
      true,
    ],
    [
      "group readable only (640)",
      { protocol: "uwsgi", address: { kind: "unix", path: "/run/a.sock", permissions: { owner: "app", group: "www-data", mode: 0o640 } } },
      false,
    ],
    ["permissions unknown", { protocol: "uwsgi", address: { kind: "unix", path: "/run/a.sock" } }, true],
    ["Waitress's default unix socket (777 inside the run dir)", resolveWaitress({}, CTX).listener, true],
    [
      "a Waitress unix socket outside the run dir (660, group app)",
      resolveWaitress({ listen: { kind: "unix", path: "/srv/app/w.sock" } }, CTX).listener,
      false,
    ],
  ])("GIVEN %s WHEN checked for nginx (www-data) THEN accepted is %p", (_what, listener, accepted) => {
    const run = () => resolveNginxSite({ name: "app", upstreams: [listener] });
    if (accepted) {
      expect(run).not.toThrow();
    } else {
      expect(run).toThrow("cannot connect to");
    }
  });

  it("GIVEN no upstreams WHEN resolved THEN it is refused", () => {
    expect(() => resolveNginxSite({ name: "app", upstreams: [] })).toThrow("`upstreams` must list at least one WSGI listener");
  });

  it("GIVEN the same listener twice WHEN resolved THEN it is refused", () => {
    expect(() => resolveNginxSite({ name: "app", upstreams: [GUNICORN_TCP, { listener: GUNICORN_TCP }] })).toThrow(
      "`upstreams[1]` repeats `upstreams[0]` (127.0.0.1:8000)",
    );
  });

  it.each<[Partial<NginxSiteArgs>, string]>([
    [{ listen: 0 }, "`listen` must be a port number between 1 and 65535 (got 0)"],
    [{ listenTls: 70000 }, "`listenTls` must be a port number between 1 and 65535 (got 70000)"],
    [{ listen: 8443, listenTls: 8443, tls: { certificatePath: "/c", keyPath: "/k" } }, "`listenTls` must differ from `listen` (both 8443)"],
    [{ serverNames: ["example.com", "bad name"] }, expect.stringContaining("`serverNames[1]` must be a domain name") as unknown as string],
    [{ serverNames: [] }, '`serverNames` must not be empty (use ["_"] for any name)'],
    [{ balance: "ip_hash" as "least_conn" }, '`balance` must be one of round_robin, least_conn (got "ip_hash")'],
    [{ clientMaxBodySize: "10 MB" }, '`clientMaxBodySize` must be an nginx size such as 512, 1k, 10m or 1g (got "10 MB")'],
    [{ readTimeout: "1 minute" }, '`readTimeout` must be an nginx time such as 500ms, 60s, 5m, 1h or 1d (got "1 minute")'],
    [{ allow: ["10.0.0.0/8", "office"] }, '`allow[1]` must be an IP address, a CIDR range such as 10.0.0.0/8, or all (got "office")'],
    [{ deny: ["1.2.3.4/40"] }, '`deny[0]` must be an IP address, a CIDR range such as 10.0.0.0/8, or all (got "1.2.3.4/40")'],
    [
      { staticLocations: [{ urlPath: "/static", dir: "/srv/app/current/static/" }] },
      expect.stringContaining("`staticLocations[0].urlPath` must start and end with /") as unknown as string,
    ],
    [
      { staticLocations: [{ urlPath: "/static/", dir: "/srv/app/current/static" }] },
      '`staticLocations[0].dir` must end with / (nginx `alias` of a location ending in /) (got "/srv/app/current/static")',
    ],
    [{ staticLocations: [{ urlPath: "/static/", dir: "static/" }] }, '`staticLocations[0].dir` must be an absolute path (starting with /) (got "static/")'],
    [{ tls: { certificatePath: "cert.pem", keyPath: "/etc/ssl/k" } }, '`tls.certificatePath` must be an absolute path (starting with /) (got "cert.pem")'],
    [{ rateLimit: { ratePerSecond: 0 } }, "`rateLimit.ratePerSecond` must be an integer between 1 and 1000000 (got 0)"],
    [{ name: "app site" }, expect.stringContaining("`name` must be 1 to 32 characters") as unknown as string],
  ])("GIVEN %j WHEN resolved THEN it throws %j", (override, message) => {
    const error = errorOf(() => resolveNginxSite({ name: "app", upstreams: [UWSGI_UNIX], ...override }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toEqual(message);
  });
});
