import { ArgumentError, resolveWaitress, WaitressArgs } from "../../../components/config";
import { CTX, errorOf, FACTORY_CTX, frozen } from "../fixtures";

describe("resolveWaitress", () => {
  const defaults = resolveWaitress({}, CTX);

  it.each<[string, unknown]>([
    ["binary", "/srv/app/venv/bin/waitress-serve"],
    ["module", "pkg.wsgi"],
    ["callable", "app"],
    ["call", false],
    ["workingDirectory", "/srv/app/current"],
    ["listen", { kind: "unix", path: "/run/app/waitress.sock", mode: 0o777 }],
    ["threads", 4],
    ["connectionLimit", 100],
    ["channelTimeout", 120],
    ["maxRequestHeaderSize", 262144],
    ["maxRequestBodySize", 1073741824],
    ["urlScheme", "http"],
    ["trustedProxy", { address: "localhost", headers: ["x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto"] }],
    ["processUser", "app"],
    ["stopSignal", "INT"],
    ["stopWaitSecs", 10],
    [
      "listener",
      {
        protocol: "http",
        address: { kind: "unix", path: "/run/app/waitress.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
        handoff: { kind: "unix", path: "/run/app/waitress-handoff.sock", permissions: { owner: "app", group: "app", mode: 0o777 } },
      },
    ],
    ["requiredDirs", ["/run/app"]],
  ])("GIVEN no args WHEN resolved THEN %s defaults to %j", (key, expected) => {
    expect(defaults[key as keyof typeof defaults]).toEqual(expected);
  });

  it("GIVEN a factory entry WHEN resolved THEN Waitress is told to call it", () => {
    const s = resolveWaitress({}, FACTORY_CTX);
    expect([s.module, s.callable, s.call]).toEqual(["manage", "create_app", true]);
  });

  it("GIVEN a unix socket outside the run dir WHEN resolved THEN it is mode 660 and the trusted proxy is Waitress's name for a unix peer", () => {
    const s = resolveWaitress({ listen: { kind: "unix", path: "/srv/app/waitress.sock" } }, CTX);
    expect(s.listen).toEqual({ kind: "unix", path: "/srv/app/waitress.sock", mode: 0o660 });
    expect(s.trustedProxy?.address).toBe("localhost");
    expect(s.listener.address).toEqual({ kind: "unix", path: "/srv/app/waitress.sock", permissions: { owner: "app", group: "app", mode: 0o660 } });
  });

  it("GIVEN a TCP listen WHEN resolved THEN 127.0.0.1:8080, trusted as the proxy, and no handoff socket", () => {
    const s = resolveWaitress({ listen: { kind: "tcp" } }, CTX);
    expect(s.listen).toEqual({ kind: "tcp", host: "127.0.0.1", port: 8080 });
    expect(s.trustedProxy?.address).toBe("127.0.0.1");
    expect(s.listener).toEqual({ protocol: "http", address: { kind: "tcp", host: "127.0.0.1", port: 8080 } });
  });

  it("GIVEN behindProxy false WHEN resolved THEN no proxy is trusted", () => {
    expect(resolveWaitress({ behindProxy: false }, CTX).trustedProxy).toBeNull();
  });

  it("GIVEN frozen args WHEN resolved THEN they are not mutated", () => {
    const args = frozen<WaitressArgs>({ trustedProxyHeaders: ["x-forwarded-proto", "x-forwarded-for"] });
    expect(resolveWaitress(args, CTX).trustedProxy?.headers).toEqual(["x-forwarded-for", "x-forwarded-proto"]);
    expect(args.trustedProxyHeaders).toEqual(["x-forwarded-proto", "x-forwarded-for"]);
  });

  it.each<[WaitressArgs, string]>([
    [{ threads: 0 }, "`threads` must be an integer between 1 and 1024 (got 0)"],
    [{ listen: { kind: "tcp", port: 0 } }, "`listen.port` must be a port number between 1 and 65535 (got 0)"],
    [{ urlScheme: "ftp" as "http" }, '`urlScheme` must be one of http, https (got "ftp")'],
    [
      { trustedProxyHeaders: ["x-real-ip" as "forwarded"] },
      expect.stringContaining("`trustedProxyHeaders[0]` must be one of x-forwarded-for") as unknown as string,
    ],
    [{ behindProxy: false, trustedProxy: "10.0.0.1" }, "`trustedProxy` and `trustedProxyHeaders` have no meaning with `behindProxy` false"],
    [
      { trustedProxyHeaders: ["forwarded", "x-forwarded-for"] },
      "`trustedProxyHeaders` cannot mix `forwarded` with x-forwarded-* headers (Waitress refuses it)",
    ],
  ])("GIVEN %j WHEN resolved THEN it throws %j", (args, message) => {
    const error = errorOf(() => resolveWaitress(args, CTX));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toEqual(message);
  });
});
