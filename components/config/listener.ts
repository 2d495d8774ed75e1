/**
 * What a WSGI service listens on, as NginxSite needs to know it: the protocol spoken and the address.
 * NginxSite chooses `uwsgi_pass` + `uwsgi_params` or `proxy_pass` + proxy headers from `protocol`.
 * Also the listen argument Gunicorn (`bind`) and Waitress (`listen`) share: a TCP address or a unix
 * socket, checked, completed and turned into their listener here.
 */
import { AppContext } from "./app";
import { Rule } from "./errors";
import { parentDir } from "./paths";
import { absolutePathRule, hostRule, intRangeRule, oneOfRule, portRule } from "./validate";

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

/** A TCP address to listen on, as a server's arguments give it. */
export interface TcpListenArgs {
  readonly kind: "tcp";
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default the server's: 8000 for Gunicorn, 8080 for Waitress */
  readonly port?: number;
}

/** A unix socket to listen on, as a server's arguments give it (each server adds how it sets the socket's permissions). */
export interface UnixListenArgs {
  readonly kind: "unix";
  /** @default the server's socket in the app's run dir: `<runDir>/gunicorn.sock`, `<runDir>/waitress.sock` */
  readonly path?: string;
}

/**
 * Where a server listens, as its arguments give it: a TCP address, or a unix socket with the server's
 * own options. A server's own type spells it out (`TcpListenArgs | <its unix socket>`), so that the
 * component reference lists both shapes.
 */
export type ListenArgs<Unix extends UnixListenArgs> = TcpListenArgs | Unix;

/** A unix socket's arguments with the server's permission option `K`. */
type UnixListenArgsWith<K extends string> = UnixListenArgs & { readonly [P in K]?: number };

/** A unix socket to listen on, resolved: its path and the value of the server's permission option `K`. */
export type UnixListen<K extends string> = { readonly kind: "unix"; readonly path: string } & { readonly [P in K]: number };

/** Where a server listens, resolved. */
export type Listen<K extends string> = TcpAddress | UnixListen<K>;

/** A server's listen argument: its name, its defaults, and how its unix socket's permissions are set. */
export interface ListenSpec<K extends string> {
  /** The argument, as messages name it: `bind`, `listen`. */
  readonly argument: string;
  readonly tcp: {
    readonly port: number;
    /**
     * Whether a restart goes through a standby on the handoff socket of the default unix socket (with
     * its permissions in the run dir), which nginx reaches as the port's backup.
     */
    readonly standby: boolean;
  };
  readonly unix: {
    /** The socket's file name in the app's run dir, where it is when no path is given. */
    readonly name: string;
    /** The option (an integer from 0 to 0o777) that sets the socket's permissions: `umask`, `mode`. */
    readonly option: K;
    /** The option's default for a socket directly in the run dir, whose own mode and group keep others out. */
    readonly inRunDir: number;
    /** The option's default elsewhere. */
    readonly elsewhere: number;
    /** The socket's mode for a value of the option. */
    readonly mode: (value: number) => number;
  };
}

/** The rules a listen argument must pass. */
export function listenRules<K extends string>(args: ListenArgs<UnixListenArgsWith<K>>, spec: ListenSpec<K>): Rule[] {
  const arg = spec.argument;
  return [
    oneOfRule(`${arg}.kind`, args.kind, ["tcp", "unix"]),
    ...(args.kind === "tcp"
      ? [hostRule(`${arg}.host`, args.host), portRule(`${arg}.port`, args.port)]
      : [absolutePathRule(`${arg}.path`, args.path), intRangeRule(`${arg}.${spec.unix.option}`, args[spec.unix.option], 0, 0o777)]),
  ];
}

/** A listen argument (one that passed `listenRules`) with its defaults filled in. */
export function resolveListen<K extends string>(args: ListenArgs<UnixListenArgsWith<K>>, spec: ListenSpec<K>, runDir: string): Listen<K> {
  if (args.kind === "tcp") {
    return { kind: "tcp", host: args.host ?? "127.0.0.1", port: args.port ?? spec.tcp.port };
  }
  const { name, option, inRunDir, elsewhere } = spec.unix;
  const path = args.path ?? `${runDir}/${name}`;
  const value = args[option] ?? (parentDir(path) === runDir ? inRunDir : elsewhere);
  return { kind: "unix", path, [option]: value } as UnixListen<K>;
}

/** The listener of a server speaking HTTP where `listen` says, its unix sockets owned by the app's user and group. */
export function httpListener<K extends string>(listen: Listen<K>, spec: ListenSpec<K>, app: Pick<AppContext, "user" | "group" | "runDir">): Listener {
  const permissions = (value: number): SocketPermissions => ({ owner: app.user, group: app.group, mode: spec.unix.mode(value) });
  if (listen.kind === "unix") {
    return withHandoff({ protocol: "http", address: { kind: "unix", path: listen.path, permissions: permissions(listen[spec.unix.option]) } });
  }
  const listener: Listener = { protocol: "http", address: { kind: "tcp", host: listen.host, port: listen.port } };
  if (!spec.tcp.standby) return listener;
  return { ...listener, handoff: { kind: "unix", path: handoffPath(`${app.runDir}/${spec.unix.name}`), permissions: permissions(spec.unix.inRunDir) } };
}
