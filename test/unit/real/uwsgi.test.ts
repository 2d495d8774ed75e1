/**
 * Real-tool checks of the uWSGI renderer: the rendered ini parses in strict mode (unknown options are
 * fatal there) and uWSGI reads back each value (`--get`); and one rendered config really serves a
 * request and shuts down on TERM (die-on-term), which is what supervisor's stopsignal relies on.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { resolveUwsgi, UwsgiArgs, UwsgiSettings } from "../../../components/config";
import { renderUwsgiIni } from "../../../components/render";
import { ensurePythonTools, PythonTools } from "../tools/tools";
import { currentUserAndGroup, eventually, freePort, runTool, sampleApp, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let tools: PythonTools;

beforeAll(() => {
  tools = ensurePythonTools();
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

/** The `key = value` pairs of a rendered ini, in order. */
function iniPairs(text: string): [string, string][] {
  return text
    .split("\n")
    .filter((l) => l.includes(" = "))
    .map((l) => l.split(" = ") as [string, string]);
}

describe("uWSGI accepts rendered configs", () => {
  it.each<[string, UwsgiArgs]>([
    ["defaults (uwsgi unix socket)", {}],
    ["uwsgi tcp socket + stats socket", { socket: { kind: "uwsgi-tcp" }, stats: { kind: "unix" } }],
    ["http-socket + stats over http", { socket: { kind: "http-socket" }, stats: { kind: "tcp", port: 9191 }, statsHttp: true }],
    ["standalone http router", { socket: { kind: "http" } }],
    ["wsgi-file + lazy apps + post-buffering + max-requests", { wsgiFile: "/srv/app/current/wsgi.py", lazyApps: true, postBuffering: 8192, maxRequests: 5000 }],
    ["apt source (plugins = python3)", { source: "apt" }],
  ])("GIVEN %s WHEN uWSGI parses the ini in strict mode THEN it reads every value back", (_what, args) => {
    const { ctx, app } = sampleApp(tools.venv);
    const text = renderUwsgiIni(resolveUwsgi(args, ctx));
    const iniPath = path.join(app.configDir, "uwsgi.ini");
    fs.writeFileSync(iniPath, text);
    const pairs = iniPairs(text);
    const singleValued = pairs.filter(([key]) => pairs.filter(([k]) => k === key).length === 1 && key !== "plugins");
    const result = runTool(tools.uwsgi, ["--ini", iniPath, ...singleValued.flatMap(([key]) => ["--get", key])]);
    expect(result.status).toBe(0);
    expect(result.output).not.toContain("[strict-mode] unknown config directive");
    expect(result.stdout.split("\n").slice(0, -1)).toEqual(singleValued.map(([, value]) => value));
  });

  it("GIVEN an unknown option WHEN uWSGI parses in strict mode THEN it fails (the check is real)", () => {
    const { ctx, app } = sampleApp(tools.venv);
    const iniPath = path.join(app.configDir, "uwsgi.ini");
    fs.writeFileSync(iniPath, `${renderUwsgiIni(resolveUwsgi({}, ctx))}bufer-size = 1\n`);
    const result = runTool(tools.uwsgi, ["--ini", iniPath, "--get", "chdir"]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("[strict-mode] unknown config directive: bufer-size");
  });
});

describe("uWSGI serves with a rendered config", () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
  });

  function get(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/", agent: false, headers: { Host: "example.com" } }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve(body));
        })
        .on("error", reject);
    });
  }

  it.each(["pkg.wsgi:app", "pkg.wsgi:create_app()"])(
    "GIVEN entry %s on an http-socket WHEN uWSGI runs the rendered ini THEN it answers, and TERM stops it",
    async (entry) => {
      const { ctx, app } = sampleApp(tools.venv, entry);
      const port = await freePort();
      // a short mercy bounds the shutdown: uWSGI 2.0 threaded workers sometimes miss the stop signal
      const resolved = resolveUwsgi({ socket: { kind: "http-socket", port }, processes: 2, workerReloadMercy: 3 }, ctx);
      // the app user "app" does not exist here: drop to whoever runs the tests (root in CI)
      const { user, group } = currentUserAndGroup();
      const settings: UwsgiSettings = { ...resolved, uid: user, gid: group };
      const iniPath = path.join(app.configDir, "uwsgi.ini");
      fs.writeFileSync(iniPath, renderUwsgiIni(settings));

      let log = "";
      const proc = spawn(tools.uwsgi, ["--ini", iniPath], { stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      proc.stdout?.on("data", (c: Buffer) => (log += c.toString()));
      proc.stderr?.on("data", (c: Buffer) => (log += c.toString()));

      const body = await eventually(() => get(port));
      expect(JSON.parse(body)).toEqual({ scheme: "http", remote: "127.0.0.1", host: "example.com" });
      expect(fs.existsSync(settings.pidfile)).toBe(true);

      const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
      proc.kill(settings.stopSignal === "TERM" ? "SIGTERM" : "SIGKILL");
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r("still running"), 15_000)))]);
      clearTimeout(timer); // or jest waits for it after the run
      expect({ code, log: code === 0 ? "" : log }).toEqual({ code: 0, log: "" });
      expect(log).toContain("goodbye to uWSGI");
      expect(fs.existsSync(settings.pidfile)).toBe(false); // vacuum
    },
    30_000,
  );
});
