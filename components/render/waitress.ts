/**
 * Waitress "renderer": Waitress is configured on its command line, so this renders an argv
 * (`waitress-serve --flag=value … module:app`), each flag one argument: no quoting here, the command
 * line is quoted once, by whoever runs it (supervisor's renderer or `shellCommand`).
 */
import { tcpAddressToString, octalMode } from "../config/listener";
import { WaitressListen, WaitressSettings } from "../config/waitress";

function listenArgs(listen: WaitressListen): string[] {
  switch (listen.kind) {
    case "tcp":
      return [`--listen=${tcpAddressToString(listen)}`];
    case "unix":
      return [`--unix-socket=${listen.path}`, `--unix-socket-perms=${octalMode(listen.mode)}`];
    default: {
      const unreachable: never = listen;
      throw new Error(`unknown Waitress listen ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The argv that starts Waitress with resolved settings (see `resolveWaitress`). */
export function renderWaitressArgv(s: WaitressSettings): string[] {
  const proxy = s.trustedProxy;
  return [
    s.binary,
    ...listenArgs(s.listen),
    `--threads=${s.threads}`,
    `--connection-limit=${s.connectionLimit}`,
    `--channel-timeout=${s.channelTimeout}`,
    `--max-request-header-size=${s.maxRequestHeaderSize}`,
    `--max-request-body-size=${s.maxRequestBodySize}`,
    `--url-scheme=${s.urlScheme}`,
    ...(proxy === null ? [] : [`--trusted-proxy=${proxy.address}`, `--trusted-proxy-headers=${proxy.headers.join(" ")}`, "--clear-untrusted-proxy-headers"]),
    ...(s.call ? ["--call"] : []),
    `${s.module}:${s.callable}`,
  ];
}
