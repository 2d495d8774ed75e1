/**
 * Real-tool check of the systemd renderer: `systemd-analyze verify` accepts rendered units (it parses the
 * unit, ExecStart quoting included, and checks the program exists). Needs no running systemd.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveGunicorn, resolveRuntimeDirs, resolveSystemdService, resolveUwsgi } from "../../../components/config";
import { renderSystemdUnit, renderTmpfilesD } from "../../../components/render";
import { ensurePythonTools, ensureSystemdAnalyze, PythonTools } from "../tools/tools";
import { runTool, sampleApp, tempDir, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let tools: PythonTools;
let analyze: string;

beforeAll(() => {
  tools = ensurePythonTools();
  analyze = ensureSystemdAnalyze();
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

describe("systemd-analyze verify accepts rendered units", () => {
  it.each(["gunicorn", "uwsgi"])("GIVEN a %s service with every option WHEN verified THEN systemd finds no problem", (server) => {
    const { ctx, app } = sampleApp(tools.venv);
    const settings = server === "gunicorn" ? resolveGunicorn({}, ctx) : resolveUwsgi({}, ctx);
    const unit = renderSystemdUnit(
      resolveSystemdService({
        name: "app",
        description: 'Shop at 100% "quoted"',
        command: [...settings.command, "--extra=a b $HOME 100%"],
        user: "root",
        workingDirectory: app.appDir,
        environment: { DATABASE_URL: "postgresql://u:p%40ss@db/app?a=1", QUOTE: 'say "hi" \\ bye' },
        reloadSignal: "SIGHUP",
        runtimeDirectory: "app",
        timeoutStopSec: settings.stopWaitSecs,
      }),
    );
    const dir = tempDir("systemd");
    const file = path.join(dir, "app.service");
    fs.writeFileSync(file, unit);
    const result = runTool(analyze, ["verify", file], { cwd: dir });
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("GIVEN a unit with a broken line WHEN verified THEN systemd reports it (the check is real)", () => {
    const dir = tempDir("systemd");
    const file = path.join(dir, "app.service");
    fs.writeFileSync(file, "[Service]\nExecStart=relative/path\n");
    const result = runTool(analyze, ["verify", file], { cwd: dir });
    expect(result.output).toContain("Neither a valid executable name nor an absolute path: relative/path");
    expect(result.status).not.toBe(0);
  });
});

describe("systemd-tmpfiles creates the rendered run dirs", () => {
  it("GIVEN the app's run dir WHEN systemd-tmpfiles --create runs in a temp root THEN the dir exists with its owner and mode", () => {
    const root = tempDir("tmpfiles");
    fs.mkdirSync(path.join(root, "etc"));
    fs.copyFileSync("/etc/passwd", path.join(root, "etc", "passwd"));
    fs.copyFileSync("/etc/group", path.join(root, "etc", "group"));
    const conf = path.join(tempDir("tmpfiles-conf"), "app.conf");
    fs.writeFileSync(conf, renderTmpfilesD(resolveRuntimeDirs([{ path: "/run/app", user: "nobody", group: "www-data" }])));
    const result = runTool(analyze.replace(/systemd-analyze$/, "systemd-tmpfiles"), ["--create", `--root=${root}`, conf]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
    const stat = fs.statSync(path.join(root, "run", "app"));
    const uid = Number(runTool("id", ["-u", "nobody"]).stdout.trim());
    const gid = Number(runTool("getent", ["group", "www-data"]).stdout.split(":")[2]);
    expect([stat.isDirectory(), (stat.mode & 0o7777).toString(8), stat.uid, stat.gid]).toEqual([true, "750", uid, gid]);
  });
});
