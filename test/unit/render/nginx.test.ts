import { Listener, NginxSiteArgs, resolveNginxSite, resolveUwsgi } from "../../../components/config";
import { buildNginxConf, d, block, nginxArg, renderNginxSite } from "../../../components/render";
import { CTX } from "../fixtures";

const UWSGI = resolveUwsgi({}, CTX).listener;
/** Plain HTTP on a port, with no standby's socket beside it (Gunicorn on TCP has one: config/nginx.test.ts). */
const HTTP_TCP: Listener = { protocol: "http", address: { kind: "tcp", host: "127.0.0.1", port: 8000 } };

function render(args: Partial<NginxSiteArgs>): string {
  return renderNginxSite(resolveNginxSite({ name: "app", upstreams: [UWSGI], ...args }));
}

const HEADER = "# Managed by flaskstack — changes here are overwritten";
const TLS = [
  "    ssl_certificate /etc/ssl/app.pem;",
  "    ssl_certificate_key /etc/ssl/app.key;",
  "    ssl_protocols TLSv1.2 TLSv1.3;",
  "    ssl_ecdh_curve X25519:prime256v1:secp384r1;",
  "    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;",
  "    ssl_prefer_server_ciphers off;",
  "    ssl_session_timeout 1d;",
  "    ssl_session_cache shared:flaskstack_tls:10m;",
  "    ssl_session_tickets off;",
];
const COMMON = [
  "    server_tokens off;",
  "    client_max_body_size 10m;",
  "    access_log /var/log/nginx/app.access.log;",
  "    error_log /var/log/nginx/app.error.log;",
  "",
];

describe("renderNginxSite", () => {
  it("GIVEN a uWSGI unix socket and defaults WHEN rendered THEN the site is exactly this", () => {
    expect(render({})).toBe(
      [
        HEADER,
        "upstream app_backend {",
        "    server unix:/run/app/app.sock max_fails=0;",
        "    server unix:/run/app/app.sock max_fails=0;",
        "    server unix:/run/app/app-handoff.sock backup max_fails=0;",
        "}",
        "",
        "server {",
        "    listen 80;",
        "    server_name _;",
        "",
        ...COMMON,
        "    location / {",
        "        include uwsgi_params;",
        "        uwsgi_pass app_backend;",
        "        uwsgi_connect_timeout 5s;",
        "        uwsgi_read_timeout 60s;",
        "        uwsgi_send_timeout 60s;",
        "    }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("GIVEN an HTTP listener on TCP WHEN rendered THEN proxy_pass with keep-alive and proxy headers is used", () => {
    expect(render({ upstreams: [HTTP_TCP] })).toBe(
      [
        HEADER,
        "upstream app_backend {",
        "    server 127.0.0.1:8000;",
        "    keepalive 16;",
        "}",
        "",
        "server {",
        "    listen 80;",
        "    server_name _;",
        "",
        ...COMMON,
        "    location / {",
        "        proxy_pass http://app_backend;",
        "        proxy_http_version 1.1;",
        '        proxy_set_header Connection "";',
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Real-IP $remote_addr;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_set_header X-Forwarded-Host $host;",
        "        proxy_set_header X-Forwarded-Port $server_port;",
        "        proxy_redirect off;",
        "        proxy_connect_timeout 5s;",
        "        proxy_read_timeout 60s;",
        "        proxy_send_timeout 60s;",
        "    }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("GIVEN TLS with HSTS, names, static files, rate limit and access lists WHEN rendered THEN the site is exactly this", () => {
    const text = render({
      serverNames: ["example.com", "www.example.com"],
      tls: { certificatePath: "/etc/ssl/app.pem", keyPath: "/etc/ssl/app.key", hsts: { includeSubdomains: true } },
      staticLocations: [{ urlPath: "/static/", dir: "/srv/app/current/static/", expires: "7d" }],
      rateLimit: { ratePerSecond: 10 },
      allow: ["10.0.0.0/8", "192.0.2.1"],
      deny: ["10.0.0.5"],
    });
    expect(text).toBe(
      [
        HEADER,
        "limit_req_zone $binary_remote_addr zone=app_req:10m rate=10r/s;",
        "",
        "upstream app_backend {",
        "    server unix:/run/app/app.sock max_fails=0;",
        "    server unix:/run/app/app.sock max_fails=0;",
        "    server unix:/run/app/app-handoff.sock backup max_fails=0;",
        "}",
        "",
        "server {",
        "    listen 80;",
        "    server_name example.com www.example.com;",
        "    server_tokens off;",
        "    access_log /var/log/nginx/app.access.log;",
        "    return 301 https://$host$request_uri;",
        "}",
        "",
        "server {",
        "    listen 443 ssl http2;",
        "    server_name example.com www.example.com;",
        "",
        ...TLS,
        '    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;',
        "",
        ...COMMON,
        "    deny 10.0.0.5;",
        "    allow 10.0.0.0/8;",
        "    allow 192.0.2.1;",
        "    deny all;",
        "",
        "    location /static/ {",
        "        alias /srv/app/current/static/;",
        "        expires 7d;",
        "        access_log off;",
        "    }",
        "",
        "    location / {",
        "        limit_req zone=app_req burst=20 nodelay;",
        "        limit_req_status 429;",
        "        include uwsgi_params;",
        "        uwsgi_pass app_backend;",
        "        uwsgi_connect_timeout 5s;",
        "        uwsgi_read_timeout 60s;",
        "        uwsgi_send_timeout 60s;",
        "    }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("GIVEN TLS without redirect, IPv6, default_server and no http2 WHEN rendered THEN one server listens on both ports", () => {
    const text = render({
      tls: { certificatePath: "/etc/ssl/app.pem", keyPath: "/etc/ssl/app.key", redirectHttp: false, http2: false },
      ipv6: true,
      defaultServer: true,
      listen: 8080,
      listenTls: 8443,
    });
    expect(text.split("\n").slice(7, 14)).toEqual([
      "server {",
      "    listen 8080 default_server;",
      "    listen [::]:8080 default_server;",
      "    listen 8443 ssl default_server;",
      "    listen [::]:8443 ssl default_server;",
      "    server_name _;",
      "",
    ]);
    expect(text).not.toContain("return 301");
    expect(text).not.toContain("Strict-Transport-Security");
  });

  it("GIVEN several weighted upstreams and least_conn WHEN rendered THEN the upstream block carries them", () => {
    const text = render({
      upstreams: [
        { listener: HTTP_TCP, weight: 3, maxFails: 2, failTimeout: "30s" },
        { protocol: "http", address: { kind: "tcp", host: "::1", port: 8002 } },
      ],
      balance: "least_conn",
      keepalive: 0,
    });
    expect(text.split("\n").slice(1, 6)).toEqual([
      "upstream app_backend {",
      "    least_conn;",
      "    server 127.0.0.1:8000 weight=3 max_fails=2 fail_timeout=30s;",
      "    server [::1]:8002;",
      "}",
    ]);
  });

  it("GIVEN an allow list containing all WHEN rendered THEN no deny all follows it", () => {
    const text = render({ allow: ["all"], deny: ["203.0.113.0/24"] });
    expect(text).toContain("    deny 203.0.113.0/24;\n    allow all;\n\n");
  });

  it("GIVEN a rate limit without burst WHEN rendered THEN no burst parameter is written (nginx refuses burst=0)", () => {
    expect(render({ rateLimit: { ratePerSecond: 1, burst: 0, nodelay: false } })).toContain("        limit_req zone=app_req;\n");
  });

  it("GIVEN other timeouts and body size WHEN rendered THEN they are used", () => {
    const text = render({ clientMaxBodySize: "100m", readTimeout: "300s", connectTimeout: "1s", sendTimeout: "2m" });
    expect(text).toContain("    client_max_body_size 100m;\n");
    expect(text).toContain("        uwsgi_connect_timeout 1s;\n        uwsgi_read_timeout 300s;\n        uwsgi_send_timeout 2m;\n");
  });
});

describe("nginx syntax", () => {
  it.each([
    ["plain", "plain"],
    ["$host", "$host"],
    ["unix:/run/app/app.sock", "unix:/run/app/app.sock"],
    ["[::1]:8001", "[::1]:8001"],
    ["", '""'],
    ["a b", '"a b"'],
    ["a;b", '"a;b"'],
    ["{x}", '"{x}"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["it's", '"it\'s"'],
    ["#comment", '"#comment"'],
    ["max-age=1; includeSubDomains", '"max-age=1; includeSubDomains"'],
  ])("GIVEN argument %j WHEN quoted for nginx THEN it is %s", (value, quoted) => {
    expect(nginxArg(value)).toBe(quoted);
  });

  it("GIVEN a control character WHEN quoted for nginx THEN it throws", () => {
    expect(() => nginxArg("a\nb")).toThrow("it contains a control character");
  });

  it("GIVEN a nested tree WHEN built THEN it is indented four spaces per level", () => {
    expect(buildNginxConf([block("http", [], [block("server", [], [d("listen", 80), { comment: "app" }, d("return", 200, "ok ok")])])])).toBe(
      'http {\n    server {\n        listen 80;\n        # app\n        return 200 "ok ok";\n    }\n}',
    );
  });

  it("GIVEN an invalid directive name WHEN built THEN it throws", () => {
    expect(() => buildNginxConf([d("bad name")])).toThrow('invalid nginx directive name "bad name"');
  });
});
