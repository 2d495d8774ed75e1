/**
 * Real-tool checks of the nginx renderer: `nginx -t` on rendered sites (nginx is never started), and a
 * render → parse round trip through crossplane (nginx's own config parser, ported to Python).
 */
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { NginxSiteArgs, resolveGunicorn, resolveNginxSite, resolveUwsgi, resolveWaitress } from "../../../components/config";
import { block, buildNginxConf, d, NginxNode, nginxSiteTree, renderNginxSite } from "../../../components/render";
import { CTX } from "../fixtures";
import { ensureNginx, ensureOpenssl, ensurePythonTools, PythonTools } from "../tools/tools";
import { runTool, tempDir, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let nginx: string;
let tools: PythonTools;
let certDir: string;

beforeAll(() => {
  nginx = ensureNginx();
  tools = ensurePythonTools();
  certDir = tempDir("cert");
  const openssl = ensureOpenssl();
  const made = runTool(openssl, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=example.com",
    "-keyout",
    path.join(certDir, "key.pem"),
    "-out",
    path.join(certDir, "cert.pem"),
  ]);
  expect(made.output).not.toMatch(/error/i);
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

/** `nginx -t` on a main config that includes each site in the http context, all paths in a temp prefix. */
function nginxTest(sites: readonly string[]): { status: number | null; output: string } {
  const prefix = tempDir("nginx");
  const system = "/etc/nginx/uwsgi_params";
  fs.writeFileSync(path.join(prefix, "uwsgi_params"), fs.existsSync(system) ? fs.readFileSync(system) : "uwsgi_param QUERY_STRING $query_string;\n");
  sites.forEach((site, i) => fs.writeFileSync(path.join(prefix, `site${i}.conf`), site));
  fs.writeFileSync(
    path.join(prefix, "nginx.conf"),
    [
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log;`,
      "events {}",
      "http {",
      `    client_body_temp_path ${prefix}/body;`,
      ...sites.map((_, i) => `    include ${prefix}/site${i}.conf;`),
      "}",
      "",
    ].join("\n"),
  );
  return runTool(nginx, ["-t", "-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-e", path.join(prefix, "error.log")]);
}

function site(args: Partial<NginxSiteArgs>, name = "app"): string {
  const logs = tempDir("nginx-logs");
  return renderNginxSite(
    resolveNginxSite({
      name,
      upstreams: [resolveUwsgi({}, CTX).listener],
      accessLog: `${logs}/access.log`,
      errorLog: `${logs}/error.log`,
      ...args,
    }),
  );
}

function tls(extra: Partial<NonNullable<NginxSiteArgs["tls"]>> = {}): NginxSiteArgs["tls"] {
  return { certificatePath: `${certDir}/cert.pem`, keyPath: `${certDir}/key.pem`, ...extra };
}

describe("nginx -t accepts rendered sites", () => {
  it.each<[string, () => Partial<NginxSiteArgs>]>([
    ["uWSGI unix socket, defaults", () => ({})],
    ["uWSGI tcp socket", () => ({ upstreams: [resolveUwsgi({ socket: { kind: "uwsgi-tcp" } }, CTX).listener] })],
    ["uWSGI http-socket", () => ({ upstreams: [resolveUwsgi({ socket: { kind: "http-socket" } }, CTX).listener] })],
    ["Gunicorn tcp", () => ({ upstreams: [resolveGunicorn({ bind: { kind: "tcp" } }, CTX).listener] })],
    ["Gunicorn unix socket (the default, in the run dir)", () => ({ upstreams: [resolveGunicorn({}, CTX).listener] })],
    [
      "Gunicorn unix socket of mode 770, nginx in the app group",
      () => ({ upstreams: [resolveGunicorn({ bind: { kind: "unix", umask: 0o007 } }, CTX).listener], nginxGroups: ["www-data", "app"] }),
    ],
    ["Waitress tcp, no keep-alive", () => ({ upstreams: [resolveWaitress({}, CTX).listener], keepalive: 0 })],
    [
      "TLS + HSTS + redirect + static + rate limit + access lists + names",
      () => ({
        tls: tls({ hsts: { includeSubdomains: true, preload: true } }),
        serverNames: ["example.com", "*.example.com", ".example.org"],
        staticLocations: [
          { urlPath: "/static/", dir: "/srv/app/current/static/", expires: "7d" },
          { urlPath: "/media/uploads/", dir: "/srv/app/media/" },
        ],
        rateLimit: { ratePerSecond: 5, burst: 0, nodelay: false },
        allow: ["10.0.0.0/8", "2001:db8::/32"],
        deny: ["10.0.0.5"],
      }),
    ],
    [
      "TLS without redirect or http2, IPv6, default_server, other ports",
      () => ({ tls: tls({ redirectHttp: false, http2: false }), ipv6: true, defaultServer: true, listen: 8080, listenTls: 8443 }),
    ],
    [
      "several weighted HTTP upstreams, least_conn",
      () => ({
        upstreams: [
          { listener: resolveGunicorn({ bind: { kind: "tcp" } }, CTX).listener, weight: 3, maxFails: 0, failTimeout: "30s" },
          { protocol: "http", address: { kind: "tcp", host: "::1", port: 8002 } },
          { protocol: "http", address: { kind: "tcp", host: "localhost", port: 8003 } },
        ],
        balance: "least_conn",
      }),
    ],
  ])("GIVEN %s WHEN nginx -t checks the site THEN the configuration is valid", (_what, args) => {
    const result = nginxTest([site(args())]);
    expect(result.output).toContain("test is successful");
    expect(result.output).not.toContain("[warn]");
    expect(result.status).toBe(0);
  });

  it("GIVEN two sites with TLS and rate limits on one host WHEN nginx -t checks them THEN their names do not collide", () => {
    const a = site({ tls: tls(), rateLimit: { ratePerSecond: 1 }, serverNames: ["a.example.com"] }, "alpha");
    const b = site({ tls: tls(), rateLimit: { ratePerSecond: 2 }, serverNames: ["b.example.com"] }, "beta");
    const result = nginxTest([a, b]);
    expect(result.output).toContain("test is successful");
    expect(result.status).toBe(0);
  });

  it("GIVEN a broken site WHEN nginx -t checks it THEN it fails (the harness sees failures)", () => {
    const result = nginxTest([site({}).replace("uwsgi_pass app_backend;", "uwsgi_pass app_backend")]);
    expect(result.status).not.toBe(0);
  });
});

/** crossplane's parse of a file, as our tree shape (blank lines and comments dropped). */
function crossplaneParse(text: string): NginxNode[] {
  const dir = tempDir("crossplane");
  fs.writeFileSync(path.join(dir, "site.conf"), text);
  const script =
    "import crossplane, json, sys\n" +
    "r = crossplane.parse(sys.argv[1], check_ctx=False, check_args=False, single=True)\n" +
    "assert r['status'] == 'ok', r\n" +
    "def conv(ds):\n" +
    "    return [dict({'directive': d['directive'], 'args': d['args']}, **({'block': conv(d['block'])} if 'block' in d else {})) for d in ds]\n" +
    "print(json.dumps(conv(r['config'][0]['parsed'])))\n";
  const result = runTool(tools.python, ["-c", script, path.join(dir, "site.conf")]);
  if (result.status !== 0) {
    throw new Error(result.output);
  }
  return JSON.parse(result.output) as NginxNode[];
}

function withoutBlanks(nodes: readonly NginxNode[]): NginxNode[] {
  return nodes.flatMap((n): NginxNode[] => {
    if ("blank" in n || "comment" in n) {
      return [];
    }
    return [n.block === undefined ? { directive: n.directive, args: n.args } : { directive: n.directive, args: n.args, block: withoutBlanks(n.block) }];
  });
}

describe("nginx render → parse round trip (crossplane)", () => {
  it.each<[string, () => Partial<NginxSiteArgs>]>([
    ["defaults", () => ({})],
    [
      "everything",
      () => ({
        tls: tls({ hsts: true }),
        rateLimit: { ratePerSecond: 3 },
        allow: ["10.0.0.0/8"],
        staticLocations: [{ urlPath: "/s/", dir: "/srv/s/" }],
        upstreams: [resolveGunicorn({}, CTX).listener],
      }),
    ],
  ])("GIVEN a %s site WHEN rendered and parsed back THEN the directive tree is the same", (_what, args) => {
    const settings = resolveNginxSite({ name: "app", upstreams: [resolveUwsgi({}, CTX).listener], ...args() });
    expect(crossplaneParse(renderNginxSite(settings))).toEqual(withoutBlanks(nginxSiteTree(settings)));
  });

  it("GIVEN arbitrary argument strings WHEN quoted by nginxArg THEN they parse back as single arguments and nginx -t accepts them", () => {
    const text = fc
      .string({ unit: fc.oneof(fc.constantFrom(..."'\"\\;{}# \t=-x"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), maxLength: 30 })
      .filter((s) => !/[\x00-\x1f\x7f$]/.test(s));
    const samples = fc.sample(text, { numRuns: 150, seed: 42 });
    const nodes = samples.map((s, i) => d("add_header", `X-Test-${i}`, s));
    const parsed = crossplaneParse(buildNginxConf(nodes));
    // crossplane unescapes \" but keeps \\ as two characters; nginx unescapes both
    expect(parsed.map((n) => ("args" in n ? n.args[1] : undefined))).toEqual(samples.map((s) => s.replace(/\\/g, "\\\\")));
    const server = buildNginxConf([block("server", [], [d("listen", 80), { blank: true }, ...nodes])]);
    const result = nginxTest([server]);
    expect(result.output).toContain("test is successful");
  });
});
