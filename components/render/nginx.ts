/**
 * nginx site renderer: upstream block, rate-limit zone, server block(s). The file is included in the
 * `http` context (Debian's sites-enabled/), which is where `upstream` and `limit_req_zone` belong.
 */
import { listenerToString } from "../config/listener";
import { NginxSiteSettings, NginxTls } from "../config/nginx";
import { MANAGED_HEADER } from "./header";
import { BLANK, block, buildNginxConf, d, NginxNode } from "./nginxSyntax";

/** Mozilla's "intermediate" TLS profile (ssl-config.mozilla.org, guidelines 5.7+): TLS 1.2 + 1.3. */
export const MOZILLA_INTERMEDIATE = {
  protocols: ["TLSv1.2", "TLSv1.3"],
  ecdhCurve: "X25519:prime256v1:secp384r1",
  ciphers:
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
  sessionTimeout: "1d",
  /** One zone shared by all flaskstack sites (same name, same size: nginx shares it). */
  sessionCache: "shared:flaskstack_tls:10m",
} as const;

/** Headers an HTTP app server needs to see the client, host and scheme behind nginx. */
const PROXY_HEADERS: readonly [string, string][] = [
  ["Host", "$host"],
  ["X-Real-IP", "$remote_addr"],
  ["X-Forwarded-For", "$proxy_add_x_forwarded_for"],
  ["X-Forwarded-Proto", "$scheme"],
  ["X-Forwarded-Host", "$host"],
  ["X-Forwarded-Port", "$server_port"],
];

function upstreamBlock(s: NginxSiteSettings): NginxNode {
  const servers = s.upstreams.map((u) => {
    const params = [
      ...(u.weight !== 1 ? [`weight=${u.weight}`] : []),
      ...(u.maxFails !== 1 ? [`max_fails=${u.maxFails}`] : []),
      ...(u.failTimeout !== "10s" ? [`fail_timeout=${u.failTimeout}`] : []),
    ];
    const server = d("server", listenerToString(u.listener), ...params);
    // While the service restarts, a standby instance serves on its handoff socket; nginx goes there
    // only when the main one refuses (the socket is gone or not yet bound again).
    // The main socket is listed twice: a request whose connection it reset before any answer (a worker
    // that exits as a reload replaces it) is passed once more to it, on a fresh connection, before the
    // backup. nginx passes on only what it may (not a POST it already sent), as for any upstream.
    return u.listener.handoff ? [server, server, d("server", `unix:${u.listener.handoff.path}`, "backup", "max_fails=0")] : [server];
  });
  return block(
    "upstream",
    [s.upstreamName],
    [...(s.balance === "least_conn" ? [d("least_conn")] : []), ...servers.flat(), ...(s.keepalive > 0 ? [d("keepalive", s.keepalive)] : [])],
  );
}

function listenArgs(s: NginxSiteSettings, port: number, tls: NginxTls | null, ipv6: boolean): NginxNode {
  const address = ipv6 ? `[::]:${port}` : String(port);
  return d(
    "listen",
    address,
    ...(tls !== null ? ["ssl"] : []),
    ...(tls !== null && tls.http2 ? ["http2"] : []),
    ...(s.defaultServer ? ["default_server"] : []),
  );
}

function listens(s: NginxSiteSettings, port: number, tls: NginxTls | null): NginxNode[] {
  return [listenArgs(s, port, tls, false), ...(s.ipv6 ? [listenArgs(s, port, tls, true)] : [])];
}

function tlsDirectives(tls: NginxTls): NginxNode[] {
  const hsts = tls.hsts;
  const hstsValue =
    hsts === null
      ? null
      : [`max-age=${hsts.maxAgeSeconds}`, ...(hsts.includeSubdomains ? ["includeSubDomains"] : []), ...(hsts.preload ? ["preload"] : [])].join("; ");
  return [
    d("ssl_certificate", tls.certificatePath),
    d("ssl_certificate_key", tls.keyPath),
    d("ssl_protocols", ...MOZILLA_INTERMEDIATE.protocols),
    d("ssl_ecdh_curve", MOZILLA_INTERMEDIATE.ecdhCurve),
    d("ssl_ciphers", MOZILLA_INTERMEDIATE.ciphers),
    d("ssl_prefer_server_ciphers", "off"),
    d("ssl_session_timeout", MOZILLA_INTERMEDIATE.sessionTimeout),
    d("ssl_session_cache", MOZILLA_INTERMEDIATE.sessionCache),
    d("ssl_session_tickets", "off"),
    ...(hstsValue === null ? [] : [d("add_header", "Strict-Transport-Security", hstsValue, "always")]),
  ];
}

function accessDirectives(s: NginxSiteSettings): NginxNode[] {
  if (s.allow.length === 0 && s.deny.length === 0) {
    return [];
  }
  // first match wins: explicit denies, then allows, then (when there is an allow list) everyone else out
  return [
    ...s.deny.map((source) => d("deny", source)),
    ...s.allow.map((source) => d("allow", source)),
    ...(s.allow.length > 0 && !s.allow.includes("all") ? [d("deny", "all")] : []),
    BLANK,
  ];
}

function appLocation(s: NginxSiteSettings): NginxNode {
  const rate = s.rateLimit;
  const limits =
    rate === null
      ? []
      : [
          // nginx refuses burst=0: no burst is written as no parameter
          d("limit_req", `zone=${rate.zoneName}`, ...(rate.burst > 0 ? [`burst=${rate.burst}`] : []), ...(rate.nodelay ? ["nodelay"] : [])),
          d("limit_req_status", 429),
        ];
  const pass: NginxNode[] = (() => {
    switch (s.protocol) {
      case "uwsgi":
        return [
          d("include", "uwsgi_params"),
          d("uwsgi_pass", s.upstreamName),
          d("uwsgi_connect_timeout", s.connectTimeout),
          d("uwsgi_read_timeout", s.readTimeout),
          d("uwsgi_send_timeout", s.sendTimeout),
        ];
      case "http":
        return [
          d("proxy_pass", `http://${s.upstreamName}`),
          d("proxy_http_version", "1.1"),
          d("proxy_set_header", "Connection", ""),
          ...PROXY_HEADERS.map(([name, value]) => d("proxy_set_header", name, value)),
          d("proxy_redirect", "off"),
          d("proxy_connect_timeout", s.connectTimeout),
          d("proxy_read_timeout", s.readTimeout),
          d("proxy_send_timeout", s.sendTimeout),
        ];
      default: {
        const unreachable: never = s.protocol;
        throw new Error(`unknown upstream protocol ${JSON.stringify(unreachable)}`);
      }
    }
  })();
  return block("location", ["/"], [...limits, ...pass]);
}

function siteBody(s: NginxSiteSettings): NginxNode[] {
  return [
    d("server_tokens", s.serverTokens ? "on" : "off"),
    d("client_max_body_size", s.clientMaxBodySize),
    d("access_log", s.accessLog),
    d("error_log", s.errorLog),
    BLANK,
    ...accessDirectives(s),
    ...s.staticLocations.flatMap((loc) => [
      block("location", [loc.urlPath], [d("alias", loc.dir), ...(loc.expires === null ? [] : [d("expires", loc.expires)]), d("access_log", "off")]),
      BLANK,
    ]),
    appLocation(s),
  ];
}

function serverBlocks(s: NginxSiteSettings): NginxNode[] {
  const names = d("server_name", ...s.serverNames);
  const tls = s.tls;
  if (tls === null) {
    return [block("server", [], [...listens(s, s.listen, null), names, BLANK, ...siteBody(s)])];
  }
  if (tls.redirectHttp) {
    return [
      block(
        "server",
        [],
        [...listens(s, s.listen, null), names, d("server_tokens", "off"), d("access_log", s.accessLog), d("return", 301, "https://$host$request_uri")],
      ),
      BLANK,
      block("server", [], [...listens(s, s.listenTls, tls), names, BLANK, ...tlsDirectives(tls), BLANK, ...siteBody(s)]),
    ];
  }
  return [block("server", [], [...listens(s, s.listen, null), ...listens(s, s.listenTls, tls), names, BLANK, ...tlsDirectives(tls), BLANK, ...siteBody(s)])];
}

/** The site as a directive tree (what `renderNginxSite` writes; tests parse the text back and compare). */
export function nginxSiteTree(s: NginxSiteSettings): NginxNode[] {
  const rate = s.rateLimit;
  return [
    ...(rate === null ? [] : [d("limit_req_zone", "$binary_remote_addr", `zone=${rate.zoneName}:${rate.zoneSize}`, `rate=${rate.ratePerSecond}r/s`), BLANK]),
    upstreamBlock(s),
    BLANK,
    ...serverBlocks(s),
  ];
}

/** Render the site file (for /etc/nginx/sites-available/<name>) from resolved settings (see `resolveNginxSite`). */
export function renderNginxSite(s: NginxSiteSettings): string {
  return `${MANAGED_HEADER}\n${buildNginxConf(nginxSiteTree(s))}\n`;
}
