/**
 * Real-tool check of the tmpfiles.d renderer: `systemd-tmpfiles --create` in a temp root makes the run
 * dirs it describes. Needs no running systemd.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveRuntimeDirs } from "../../../components/config";
import { renderTmpfilesD } from "../../../components/render";
import { ensureSystemdAnalyze } from "../tools/tools";
import { runTool, tempDir, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let analyze: string;

beforeAll(() => {
  analyze = ensureSystemdAnalyze();
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

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
