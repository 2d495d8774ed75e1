/**
 * Real-tool checks of the Gunicorn renderer: every setting in the rendered gunicorn.conf.py is one
 * Gunicorn knows and accepts (Gunicorn itself silently ignores unknown names, so this is checked through
 * its `Config`), and `gunicorn --check-config` loads the config and imports the app.
 */
import * as fs from "fs";
import * as path from "path";
import { GunicornArgs, resolveGunicorn } from "../../../components/config";
import { renderGunicornConf } from "../../../components/render";
import { ensurePythonTools, PythonTools } from "../tools/tools";
import { runTool, sampleApp, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let tools: PythonTools;

beforeAll(() => {
  tools = ensurePythonTools();
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

/** Load a config file the way Gunicorn does and report unknown names and the values Gunicorn ends up with. */
const CHECK_SETTINGS = `
import json, runpy, sys
from gunicorn.config import Config
cfg = Config()
ns = runpy.run_path(sys.argv[1])
names = [k for k in ns if not k.startswith("__")]
unknown = [k for k in names if k not in cfg.settings]
for k in names:
    if k in cfg.settings:
        cfg.set(k, ns[k])
print(json.dumps({"unknown": unknown, "values": {k: cfg.settings[k].get() for k in names if k in cfg.settings}}, default=str))
`;

describe("Gunicorn accepts rendered configs", () => {
  it.each<[string, string, GunicornArgs]>([
    ["defaults", "pkg.wsgi:app", {}],
    ["an app factory", "pkg.wsgi:create_app()", {}],
    ["gthread on a unix socket", "pkg.wsgi:app", { threads: 4, bind: { kind: "unix" } }],
    ["sync workers with an access log", "pkg.wsgi:app", { threads: 1, accessLog: "/tmp/gunicorn-access.log" }],
    [
      "every option set",
      "pkg.wsgi:app",
      {
        workers: 3,
        timeout: 60,
        gracefulTimeout: 10,
        keepalive: 5,
        loglevel: "debug",
        preload: true,
        maxRequests: 1000,
        maxRequestsJitter: 100,
        limitRequestLine: 8190,
        limitRequestFields: 50,
        limitRequestFieldSize: 16380,
        forwardedAllowIps: ["127.0.0.1", "10.0.0.0/8"],
      },
    ],
  ])("GIVEN %s WHEN Gunicorn loads the rendered config THEN every setting is known, typed right and the app imports", (_what, entry, args) => {
    const { ctx, app } = sampleApp(tools.venv, entry);
    const settings = resolveGunicorn(args, ctx);
    const confPath = path.join(app.configDir, "gunicorn.conf.py");
    fs.writeFileSync(confPath, renderGunicornConf(settings));

    const checked = runTool(tools.python, ["-c", CHECK_SETTINGS, confPath]);
    expect(checked.status).toBe(0);
    const { unknown, values } = JSON.parse(checked.output) as { unknown: string[]; values: Record<string, unknown> };
    expect(unknown).toEqual([]);
    expect(values).toMatchObject({
      wsgi_app: settings.wsgiApp,
      workers: settings.workers,
      worker_class: settings.workerClass,
      threads: settings.threads,
      timeout: settings.timeout,
      graceful_timeout: settings.gracefulTimeout,
      accesslog: settings.accessLog,
      errorlog: settings.errorLog,
      forwarded_allow_ips: settings.forwardedAllowIps,
    });

    // --check-config imports the app: it proves chdir + wsgi_app point at real code
    const result = runTool(tools.gunicorn, ["--check-config", "--config", confPath], { cwd: "/" });
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("GIVEN an entry that does not exist WHEN Gunicorn checks the config THEN it fails (the check is real)", () => {
    const { ctx, app } = sampleApp(tools.venv, "pkg.wsgi:missing");
    const confPath = path.join(app.configDir, "gunicorn.conf.py");
    fs.writeFileSync(confPath, renderGunicornConf(resolveGunicorn({}, ctx)));
    const result = runTool(tools.gunicorn, ["--check-config", "--config", confPath], { cwd: "/" });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("Failed to find attribute 'missing'");
  });
});
