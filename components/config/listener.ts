/**
 * What a WSGI service listens on, as NginxSite needs to know it: the protocol spoken and the address.
 * NginxSite chooses `uwsgi_pass` + `uwsgi_params` or `proxy_pass` + proxy headers from `protocol`.
 */

/** The ownership and mode a unix socket gets, so a reader can check who may connect to it. */
export interface SocketPermissions {
  /** Owning user of the socket file. */
  readonly owner: string;
  /** Owning group of the socket file. */
  readonly group: string;
  /** Permission bits, e.g. `0o660`. Connecting to a unix socket needs write permission on it. */
  readonly mode: number;
}

/** A unix-domain socket. */
export interface UnixAddress {
  readonly kind: "unix";
  /** Absolute path of the socket, e.g. `/run/app/app.sock`. */
  readonly path: string;
  /**
   * Owner, group and mode of the socket, when known (always set by the resolve functions here).
   * @default unknown: NginxSite cannot check that nginx may connect, and does not.
   */
  readonly permissions?: SocketPermissions;
}

/** A TCP address. */
export interface TcpAddress {
  readonly kind: "tcp";
  /** IP address or host name, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
  readonly port: number;
}

export type ListenerAddress = UnixAddress | TcpAddress;

/** What a WSGI service listens on. */
export interface Listener {
  /** `uwsgi`: uWSGI's binary protocol (nginx `uwsgi_pass`); `http`: plain HTTP (nginx `proxy_pass`). */
  readonly protocol: "uwsgi" | "http";
  readonly address: ListenerAddress;
  /**
   * True for uWSGI's standalone `http` router (`http = …`): a front-end meant to face clients itself,
   * which NginxSite refuses as an upstream (use `http-socket` or a uwsgi socket behind nginx).
   * @default false
   */
  readonly uwsgiHttpRouter?: boolean;
  /**
   * A unix socket the service listens on only while it restarts: a standby instance serves there
   * until the restarted one is back. NginxSite lists it as the `backup` server of this one.
   * @default none
   */
  readonly handoff?: UnixAddress;
}

/** `/run/app/app.sock` → `/run/app/app-handoff.sock`: the same directory, a name of its own. */
export function handoffPath(p: string): string {
  const slash = p.lastIndexOf("/");
  const dot = p.lastIndexOf(".");
  return dot > slash + 1 ? `${p.slice(0, dot)}-handoff${p.slice(dot)}` : `${p}-handoff`;
}

/** A unix listener with its handoff socket (same permissions); other listeners unchanged. */
export function withHandoff(listener: Listener): Listener {
  const a = listener.address;
  return a.kind === "unix" ? { ...listener, handoff: { ...a, path: handoffPath(a.path) } } : listener;
}

/** `host:port`, with IPv6 hosts in brackets: `127.0.0.1:8001`, `[::1]:8001`. */
export function tcpAddressToString(address: TcpAddress): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** `unix:/run/app/app.sock` or `127.0.0.1:8001` — the spelling nginx `server` lines and humans share. */
export function listenerToString(listener: Listener): string {
  const address = listener.address;
  switch (address.kind) {
    case "unix":
      return `unix:${address.path}`;
    case "tcp":
      return tcpAddressToString(address);
    default: {
      const unreachable: never = address;
      throw new Error(`unknown listener address ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * True when a process running as `user` with membership in `groups` may connect to a socket with these
 * permissions. Connecting to a unix socket needs write permission; the owner bits apply to the owner,
 * the group bits to group members, the other bits to everyone else (first match wins, as in the kernel).
 */
export function mayConnect(permissions: SocketPermissions, user: string, groups: readonly string[]): boolean {
  if (user === "root") {
    return true;
  }
  if (permissions.owner === user) {
    return (permissions.mode & 0o200) !== 0;
  }
  if (groups.includes(permissions.group)) {
    return (permissions.mode & 0o020) !== 0;
  }
  return (permissions.mode & 0o002) !== 0;
}

/** `0o660` → `660`, the spelling of chmod, uWSGI `chmod-socket` and Waitress `--unix-socket-perms`. */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(3, "0");
}
