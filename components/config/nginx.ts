/**
 * An nginx site (upstream + server blocks): arguments → fully resolved settings (pure), including the
 * wiring checks that make the classic mistakes unwritable. Rendered by `renderNginxSite`.
 */
import { Rule, throwIfInvalid } from "./errors";
import { Listener, listenerToString, mayConnect, octalMode } from "./listener";
import {
  absolutePathRule,
  durationRule,
  eachRule,
  hostRule,
  intRangeRule,
  ipSourceRule,
  oneOfRule,
  portRule,
  rule,
  ruleFrom,
  safeNameRule,
  serverNameRule,
  sizeRule,
} from "./validate";

export interface NginxUpstreamArgs {
  /** What the WSGI service listens on (its `listener` output). */
  readonly listener: Listener;
  /** @default 1 */
  readonly weight?: number;
  /**
   * Failed attempts within `failTimeout` before nginx skips this server.
   * @default 1 (nginx's); 0 (never skipped) for a service with a handoff socket, so nginx always tries it first
   */
  readonly maxFails?: number;
  /** @default "10s" (nginx's) */
  readonly failTimeout?: string;
}

export interface NginxUpstream {
  readonly listener: Listener;
  readonly weight: number;
  readonly maxFails: number;
  readonly failTimeout: string;
}

export interface NginxStaticLocationArgs {
  /** URL prefix, starting and ending with `/`, e.g. `/static/`. */
  readonly urlPath: string;
  /** Directory served for it, absolute and ending with `/` (nginx `alias`: both slashes or neither). */
  readonly dir: string;
  /** `expires` for the files. @default unset (no Expires / Cache-Control header) */
  readonly expires?: string;
}

export interface NginxStaticLocation {
  readonly urlPath: string;
  readonly dir: string;
  readonly expires: string | null;
}

export interface NginxHstsArgs {
  /** @default 63072000 (two years, Mozilla's) */
  readonly maxAgeSeconds?: number;
  /** @default false */
  readonly includeSubdomains?: boolean;
  /** @default false */
  readonly preload?: boolean;
}

export interface NginxTlsArgs {
  /** PEM certificate chain (leaf first). */
  readonly certificatePath: string;
  readonly keyPath: string;
  /**
   * Send Strict-Transport-Security. Off by default because browsers remember it for max-age: turn it on
   * once HTTPS works. `true` means the defaults of `NginxHstsArgs`.
   * @default false
   */
  readonly hsts?: boolean | NginxHstsArgs;
  /** Answer plain HTTP with a 301 to HTTPS (else serve the app on both). @default true */
  readonly redirectHttp?: boolean;
  /**
   * HTTP/2 on the TLS listener, as `listen … ssl http2` (works on nginx 1.9.5+; nginx 1.25.1+ warns
   * that the parameter is deprecated, harmlessly).
   * @default true
   */
  readonly http2?: boolean;
}

export interface NginxTls {
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly hsts: { readonly maxAgeSeconds: number; readonly includeSubdomains: boolean; readonly preload: boolean } | null;
  readonly redirectHttp: boolean;
  readonly http2: boolean;
}

export interface NginxRateLimitArgs {
  /** Sustained requests per second per client address. */
  readonly ratePerSecond: number;
  /** Requests above the rate accepted in a burst. @default 2 × ratePerSecond */
  readonly burst?: number;
  /** Shared memory for client states (1m holds about 16000). @default "10m" */
  readonly zoneSize?: string;
  /** Serve the burst at once instead of spacing it out. @default true */
  readonly nodelay?: boolean;
}

export interface NginxRateLimit {
  /** `<site>_req`. */
  readonly zoneName: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly zoneSize: string;
  readonly nodelay: boolean;
}

export interface NginxSiteArgs {
  /** Site name: file name, upstream name prefix, log file names. A safe name. */
  readonly name: string;
  /** The WSGI listeners to pass to (all speaking the same protocol). A bare `Listener` means weight 1. */
  readonly upstreams: readonly (Listener | NginxUpstreamArgs)[];
  /** Plain HTTP port. @default 80 */
  readonly listen?: number;
  /** HTTPS port (used when `tls` is set). @default 443 */
  readonly listenTls?: number;
  /**
   * Also listen on IPv6 (`[::]:port`). Off by default: on a host with IPv6 disabled the listen fails at
   * reload time, which `nginx -t` does not catch.
   * @default false
   */
  readonly ipv6?: boolean;
  /** Mark the listeners `default_server`. @default false */
  readonly defaultServer?: boolean;
  /** @default ["_"] (any host name) */
  readonly serverNames?: readonly string[];
  /** Load balancing between several upstreams. @default "round_robin" */
  readonly balance?: "round_robin" | "least_conn";
  /**
   * Idle keep-alive connections to HTTP upstreams (the uwsgi protocol has none); 0 disables.
   * @default 16; 0 when an upstream has a handoff socket (a unix socket: a new connection costs little
   * there, and a stale keep-alive connection would be retried on the backup server, which answers only
   * during a restart)
   */
  readonly keepalive?: number;
  /** Directories served by nginx directly. @default [] */
  readonly staticLocations?: readonly NginxStaticLocationArgs[];
  /** Largest request body. @default "10m" */
  readonly clientMaxBodySize?: string;
  /** @default unset: plain HTTP only */
  readonly tls?: NginxTlsArgs;
  /** Per-client-address request rate limit for the app (not static files). @default unset: none */
  readonly rateLimit?: NginxRateLimitArgs;
  /** Client addresses/CIDRs allowed; when non-empty everyone else is denied. @default [] */
  readonly allow?: readonly string[];
  /** Client addresses/CIDRs denied (checked before `allow`). @default [] */
  readonly deny?: readonly string[];
  /** Connect timeout to the app server. @default "5s" (local sockets connect at once or not at all) */
  readonly connectTimeout?: string;
  /** Read timeout from the app server. @default "60s" (nginx's; above uWSGI harakiri and Gunicorn timeout of 30) */
  readonly readTimeout?: string;
  /** @default "60s" (nginx's) */
  readonly sendTimeout?: string;
  /** @default `/var/log/nginx/<name>.access.log` */
  readonly accessLog?: string;
  /** @default `/var/log/nginx/<name>.error.log` */
  readonly errorLog?: string;
  /** The user nginx workers run as, for the unix socket check. @default "www-data" (Debian) */
  readonly nginxUser?: string;
  /** Groups of `nginxUser`, for the unix socket check. @default ["www-data"] */
  readonly nginxGroups?: readonly string[];
}

export interface NginxSiteSettings {
  readonly name: string;
  /** `<name>_backend`. */
  readonly upstreamName: string;
  /** The one protocol all upstreams speak. */
  readonly protocol: "uwsgi" | "http";
  readonly upstreams: readonly NginxUpstream[];
  readonly balance: "round_robin" | "least_conn";
  /** 0 for uwsgi upstreams (no keep-alive in that protocol). */
  readonly keepalive: number;
  readonly listen: number;
  readonly listenTls: number;
  readonly ipv6: boolean;
  readonly defaultServer: boolean;
  readonly serverNames: readonly string[];
  readonly staticLocations: readonly NginxStaticLocation[];
  readonly clientMaxBodySize: string;
  readonly tls: NginxTls | null;
  readonly rateLimit: NginxRateLimit | null;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly connectTimeout: string;
  readonly readTimeout: string;
  readonly sendTimeout: string;
  readonly accessLog: string;
  readonly errorLog: string;
  /** Always false (`server_tokens off`): do not advertise the nginx version. */
  readonly serverTokens: boolean;
}

function toUpstreamArgs(u: Listener | NginxUpstreamArgs): NginxUpstreamArgs {
  return "listener" in u ? u : { listener: u };
}

/** The wiring rules between nginx and the WSGI listeners. */
function wiringRules(upstreams: readonly NginxUpstreamArgs[], nginxUser: string, nginxGroups: readonly string[]): Rule[] {
  const rules: Rule[] = [rule(upstreams.length === 0, "upstreams", "`upstreams` must list at least one WSGI listener")];
  const first = upstreams[0]?.listener.protocol;
  const seen = new Map<string, number>();
  upstreams.forEach(({ listener }, i) => {
    const arg = `upstreams[${i}]`;
    const where = listenerToString(listener);
    rules.push(oneOfRule(`${arg}.protocol`, listener.protocol, ["uwsgi", "http"]));
    rules.push(
      rule(
        listener.uwsgiHttpRouter === true,
        arg,
        `\`${arg}\` (${where}) is uWSGI's standalone \`http\` router, which is meant to face clients itself: behind nginx use socket kind \`http-socket\` (proxy_pass) or \`uwsgi-unix\` / \`uwsgi-tcp\` (uwsgi_pass)`,
      ),
    );
    rules.push(
      rule(
        listener.protocol !== first,
        arg,
        `\`upstreams\` mixes protocols: \`upstreams[0]\` speaks ${first} but \`${arg}\` (${where}) speaks ${listener.protocol}; one site passes to one kind of server`,
      ),
    );
    const previous = seen.get(where);
    rules.push(rule(previous !== undefined, arg, `\`${arg}\` repeats \`upstreams[${previous}]\` (${where})`));
    seen.set(where, i);
    const address = listener.address;
    if (address.kind === "unix") {
      rules.push(absolutePathRule(`${arg}.address.path`, address.path));
      const p = address.permissions;
      rules.push(
        rule(
          p !== undefined && !mayConnect(p, nginxUser, nginxGroups),
          arg,
          p === undefined
            ? ""
            : `\`${arg}\`: nginx (user ${nginxUser}, groups ${nginxGroups.join(", ") || "none"}) cannot connect to ${where} ` +
                `(owner ${p.owner}, group ${p.group}, mode ${octalMode(p.mode)}): give the socket group ${nginxGroups[0] ?? nginxUser} ` +
                `with mode 660, or add ${nginxUser} to group ${p.group} and list it in \`nginxGroups\``,
        ),
      );
    } else {
      rules.push(hostRule(`${arg}.address.host`, address.host), portRule(`${arg}.address.port`, address.port));
    }
  });
  return rules;
}

function staticRules(name: string, loc: NginxStaticLocationArgs): Rule[] {
  const urlProblem = !/^\/(?:[A-Za-z0-9._~-]+\/)+$/.test(loc.urlPath)
    ? "must start and end with / and hold only A-Z, a-z, 0-9 and . _ ~ - between (e.g. /static/)"
    : loc.urlPath.split("/").some((s) => s === "." || s === "..")
      ? "must not contain `.` or `..` segments"
      : undefined;
  return [
    ruleFrom(`${name}.urlPath`, loc.urlPath, urlProblem),
    absolutePathRule(`${name}.dir`, loc.dir),
    ruleFrom(`${name}.dir`, loc.dir, loc.dir.endsWith("/") ? undefined : "must end with / (nginx `alias` of a location ending in /)"),
    durationRule(`${name}.expires`, loc.expires),
  ];
}

/**
 * Resolve an nginx site and check its wiring: one protocol for all upstreams, no uWSGI `http` router,
 * unix sockets nginx may connect to.
 * @throws ArgumentError naming every invalid argument.
 */
export function resolveNginxSite(args: NginxSiteArgs): NginxSiteSettings {
  const upstreamArgs = (args.upstreams ?? []).map(toUpstreamArgs);
  const nginxUser = args.nginxUser ?? "www-data";
  const nginxGroups = args.nginxGroups ?? ["www-data"];
  const hsts = typeof args.tls?.hsts === "object" ? args.tls.hsts : undefined;
  throwIfInvalid(
    [
      safeNameRule("name", args.name),
      wiringRules(upstreamArgs, nginxUser, nginxGroups),
      upstreamArgs.flatMap((u, i) => [
        intRangeRule(`upstreams[${i}].weight`, u.weight, 1, 1000),
        intRangeRule(`upstreams[${i}].maxFails`, u.maxFails, 0, 1000),
        durationRule(`upstreams[${i}].failTimeout`, u.failTimeout),
      ]),
      portRule("listen", args.listen),
      portRule("listenTls", args.listenTls),
      rule(
        args.tls !== undefined && (args.listen ?? 80) === (args.listenTls ?? 443),
        "listenTls",
        `\`listenTls\` must differ from \`listen\` (both ${args.listen ?? 80})`,
      ),
      eachRule("serverNames", args.serverNames, serverNameRule),
      rule(args.serverNames !== undefined && args.serverNames.length === 0, "serverNames", '`serverNames` must not be empty (use ["_"] for any name)'),
      oneOfRule("balance", args.balance, ["round_robin", "least_conn"]),
      intRangeRule("keepalive", args.keepalive, 0, 10000),
      eachRule("staticLocations", args.staticLocations, staticRules),
      sizeRule("clientMaxBodySize", args.clientMaxBodySize),
      absolutePathRule("tls.certificatePath", args.tls?.certificatePath),
      absolutePathRule("tls.keyPath", args.tls?.keyPath),
      intRangeRule("tls.hsts.maxAgeSeconds", hsts?.maxAgeSeconds, 0, 1_000_000_000),
      intRangeRule("rateLimit.ratePerSecond", args.rateLimit?.ratePerSecond, 1, 1_000_000),
      intRangeRule("rateLimit.burst", args.rateLimit?.burst, 0, 1_000_000),
      sizeRule("rateLimit.zoneSize", args.rateLimit?.zoneSize),
      eachRule("allow", args.allow, ipSourceRule),
      eachRule("deny", args.deny, ipSourceRule),
      durationRule("connectTimeout", args.connectTimeout),
      durationRule("readTimeout", args.readTimeout),
      durationRule("sendTimeout", args.sendTimeout),
      absolutePathRule("accessLog", args.accessLog),
      absolutePathRule("errorLog", args.errorLog),
      safeNameRule("nginxUser", args.nginxUser),
      eachRule("nginxGroups", args.nginxGroups, safeNameRule),
    ],
    `nginx site ${JSON.stringify(args.name)}`,
  );

  const protocol = upstreamArgs[0].listener.protocol;
  const tls = args.tls;
  const rate = args.rateLimit;
  return {
    name: args.name,
    upstreamName: `${args.name}_backend`,
    protocol,
    upstreams: upstreamArgs.map((u) => ({
      listener: u.listener,
      weight: u.weight ?? 1,
      maxFails: u.maxFails ?? (u.listener.handoff ? 0 : 1),
      failTimeout: u.failTimeout ?? "10s",
    })),
    balance: args.balance ?? "round_robin",
    // With a backup (handoff) server, nginx retries a request that met a keep-alive connection closed by
    // an exiting worker on the backup, not on a fresh connection to the same server: so none by default.
    keepalive: protocol === "http" ? (args.keepalive ?? (upstreamArgs.some((u) => u.listener.handoff) ? 0 : 16)) : 0,
    listen: args.listen ?? 80,
    listenTls: args.listenTls ?? 443,
    ipv6: args.ipv6 ?? false,
    defaultServer: args.defaultServer ?? false,
    serverNames: [...(args.serverNames ?? ["_"])],
    staticLocations: (args.staticLocations ?? []).map((l) => ({ urlPath: l.urlPath, dir: l.dir, expires: l.expires ?? null })),
    clientMaxBodySize: args.clientMaxBodySize ?? "10m",
    tls:
      tls === undefined
        ? null
        : {
            certificatePath: tls.certificatePath,
            keyPath: tls.keyPath,
            hsts:
              tls.hsts === undefined || tls.hsts === false
                ? null
                : { maxAgeSeconds: hsts?.maxAgeSeconds ?? 63072000, includeSubdomains: hsts?.includeSubdomains ?? false, preload: hsts?.preload ?? false },
            redirectHttp: tls.redirectHttp ?? true,
            http2: tls.http2 ?? true,
          },
    rateLimit:
      rate === undefined
        ? null
        : {
            zoneName: `${args.name}_req`,
            ratePerSecond: rate.ratePerSecond,
            burst: rate.burst ?? 2 * rate.ratePerSecond,
            zoneSize: rate.zoneSize ?? "10m",
            nodelay: rate.nodelay ?? true,
          },
    allow: [...(args.allow ?? [])],
    deny: [...(args.deny ?? [])],
    connectTimeout: args.connectTimeout ?? "5s",
    readTimeout: args.readTimeout ?? "60s",
    sendTimeout: args.sendTimeout ?? "60s",
    accessLog: args.accessLog ?? `/var/log/nginx/${args.name}.access.log`,
    errorLog: args.errorLog ?? `/var/log/nginx/${args.name}.error.log`,
    serverTokens: false,
  };
}
