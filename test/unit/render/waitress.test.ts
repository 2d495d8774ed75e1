import { resolveWaitress } from "../../../components/config";
import { renderWaitressArgv } from "../../../components/render";
import { CTX, FACTORY_CTX } from "../fixtures";

describe("renderWaitressArgv", () => {
  it("GIVEN a TCP listen and otherwise default settings WHEN rendered THEN the argv is exactly this", () => {
    expect(renderWaitressArgv(resolveWaitress({ listen: { kind: "tcp" } }, CTX))).toEqual([
      "/srv/app/venv/bin/waitress-serve",
      "--listen=127.0.0.1:8080",
      "--threads=4",
      "--connection-limit=100",
      "--channel-timeout=120",
      "--max-request-header-size=262144",
      "--max-request-body-size=1073741824",
      "--url-scheme=http",
      "--trusted-proxy=127.0.0.1",
      "--trusted-proxy-headers=x-forwarded-for x-forwarded-host x-forwarded-port x-forwarded-proto",
      "--clear-untrusted-proxy-headers",
      "pkg.wsgi:app",
    ]);
  });

  it("GIVEN an app factory WHEN rendered THEN --call precedes module:factory (without parentheses)", () => {
    expect(renderWaitressArgv(resolveWaitress({}, FACTORY_CTX)).slice(-2)).toEqual(["--call", "manage:create_app"]);
  });

  it("GIVEN a unix socket WHEN rendered THEN socket path and perms replace --listen, and localhost is the trusted proxy", () => {
    const argv = renderWaitressArgv(resolveWaitress({ listen: { kind: "unix", mode: 0o666 } }, CTX));
    expect(argv.slice(1, 3)).toEqual(["--unix-socket=/run/app/waitress.sock", "--unix-socket-perms=666"]);
    expect(argv).toContain("--trusted-proxy=localhost");
    expect(argv.some((a) => a.startsWith("--listen"))).toBe(false);
  });

  it("GIVEN not behind a proxy WHEN rendered THEN no proxy flags are passed", () => {
    const argv = renderWaitressArgv(resolveWaitress({ behindProxy: false, urlScheme: "https", listen: { kind: "tcp", host: "::1", port: 9000 } }, CTX));
    expect(argv.filter((a) => a.includes("proxy"))).toEqual([]);
    expect(argv).toContain("--url-scheme=https");
    expect(argv).toContain("--listen=[::1]:9000");
  });
});
