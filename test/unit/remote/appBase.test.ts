/**
 * The app's base script and its removal, run for real by /bin/sh against stub user tools and a stub
 * `install` (which logs, then makes the directory without the owner), with every path under a temp
 * root: a fresh host, a host where the user exists, a host without systemd, and a removal by the owner
 * and by someone else.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveAppContext, resolveRuntimeDirs, appRuntimeDir } from "../../../components/config";
import { appBaseRemoveScript, appBaseScript, AppBaseSpec } from "../../../components/remote/appBase";
import { OWNERS_DIR } from "../../../components/remote/ownership";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

interface Host {
  root: string;
  bin: string;
  spec: AppBaseSpec;
}

/** A temp "host": stubs on PATH (`systemd`: whether systemd-tmpfiles is one of them; `known`: whether the user exists). */
function host(opts: { systemd: boolean; known: boolean }): Host {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-base-"));
  dirs.push(root);
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["rm", "cat", "mkdir"])
    fs.symlinkSync(
      ["/bin", "/usr/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p))!,
      path.join(bin, tool),
    );
  const stub = (name: string, body: string) =>
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> "$STUB_LOG"\n${body}\n`, { mode: 0o755 });
  stub("getent", opts.known ? "exit 0" : "exit 2");
  stub("id", opts.known ? "echo 999" : "exit 1");
  for (const t of ["groupadd", "useradd", "userdel", "groupdel"]) stub(t, "exit 0");
  // The real install, without -o/-g (the users do not exist here).
  stub("install", 'args=""; while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2;; *) args="$args $1"; shift;; esac; done; exec /usr/bin/install $args');
  if (opts.systemd) stub("systemd-tmpfiles", "exit 0");
  const app = resolveAppContext({ name: "shop", entry: "shop:app", baseDir: path.join(root, "srv", "shop") });
  const [runDir] = resolveRuntimeDirs([appRuntimeDir({ ...app, runDir: path.join(root, "run", "shop") })]);
  const spec: AppBaseSpec = {
    app: { ...app, logDir: path.join(root, "log", "shop"), configDir: path.join(root, "etc", "shop"), runDir: runDir.path },
    loginUser: "deploy",
    incoming: path.join(app.baseDir, "incoming"),
    runDir,
    tmpfilesFile: path.join(root, "tmpfiles.conf"),
    owner: "urn:pulumi:dev::p::flaskstack:index:FlaskApp::app#app-base",
  };
  return { root, bin, spec };
}

function run(h: Host, script: string): { code: number; log: string[]; stderr: string } {
  const log = path.join(h.root, "stub.log");
  fs.rmSync(log, { force: true });
  // The owners' directory moves under the temp root with everything else.
  const r = spawnSync("/bin/sh", ["-c", script.split(OWNERS_DIR).join(path.join(h.root, "owners"))], {
    env: { PATH: h.bin, STUB_LOG: log },
    encoding: "utf8",
  });
  return { code: r.status ?? -1, log: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [], stderr: r.stderr };
}

describe("the app's base script", () => {
  it("GIVEN a fresh host THEN it adds the group and the user, makes every directory, writes the tmpfiles.d entry and applies it, and claims the base dir", () => {
    const h = host({ systemd: true, known: false });
    const { app } = h.spec;
    const r = run(h, appBaseScript(h.spec));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.log).toEqual([
      "getent group shop",
      "groupadd --system shop",
      "id -u shop",
      `useradd --system --gid shop --home-dir ${app.baseDir} --no-create-home --shell /usr/sbin/nologin shop`,
      `install -d -m 0755 -o root -g root ${app.baseDir} ${app.baseDir}/releases ${app.baseDir}/venvs`,
      `install -d -m 0700 -o deploy ${h.spec.incoming}`,
      `install -d -m 0750 -o shop -g shop ${app.logDir}`,
      `install -d -m 0750 -o root -g shop ${app.configDir}`,
      `systemd-tmpfiles --create ${h.spec.tmpfilesFile}`,
    ]);
    for (const d of [`${app.baseDir}/releases`, `${app.baseDir}/venvs`, h.spec.incoming, app.logDir, app.configDir])
      expect(fs.statSync(d).isDirectory()).toBe(true);
    expect(fs.statSync(h.spec.incoming).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(h.spec.tmpfilesFile, "utf8")).toContain(`d ${app.runDir} 0750 shop www-data -`);
    const claims = fs.readdirSync(path.join(h.root, "owners"));
    expect(claims).toHaveLength(1);
    expect(fs.readFileSync(path.join(h.root, "owners", claims[0]), "utf8")).toBe(`${h.spec.owner}\n`);
  });

  it("GIVEN a host where the user exists THEN it adds no user or group, and a second run changes nothing", () => {
    const h = host({ systemd: true, known: true });
    expect(run(h, appBaseScript(h.spec)).code).toBe(0);
    const again = run(h, appBaseScript(h.spec));
    expect(again.code).toBe(0);
    expect(again.log.filter((l) => /^(groupadd|useradd)/.test(l))).toEqual([]);
  });

  it("GIVEN a host without systemd THEN it makes the run directory itself", () => {
    const h = host({ systemd: false, known: false });
    const r = run(h, appBaseScript(h.spec));
    expect(r.code).toBe(0);
    expect(r.log.pop()).toBe(`install -d -m 750 -o shop -g www-data ${h.spec.app.runDir}`);
    expect(fs.statSync(h.spec.app.runDir).mode & 0o777).toBe(0o750);
  });
});

describe("the app's base removal", () => {
  it("GIVEN its owner THEN it removes every directory, the tmpfiles.d entry, the user and the group, and the claim", () => {
    const h = host({ systemd: true, known: false });
    expect(run(h, appBaseScript(h.spec)).code).toBe(0);
    const r = run(h, appBaseRemoveScript(h.spec));
    expect(r.code).toBe(0);
    expect(r.log).toEqual(["userdel shop", "groupdel shop"]);
    for (const p of [h.spec.app.baseDir, h.spec.app.configDir, h.spec.app.logDir, h.spec.tmpfilesFile]) expect(fs.existsSync(p)).toBe(false);
    expect(fs.readdirSync(path.join(h.root, "owners"))).toEqual([]);
  });

  it("GIVEN another owner (a renamed FlaskApp took it over) THEN it leaves everything and says whose it is", () => {
    const h = host({ systemd: true, known: false });
    expect(run(h, appBaseScript({ ...h.spec, owner: "urn:new#web-base" })).code).toBe(0);
    const r = run(h, appBaseRemoveScript(h.spec));
    expect(r.code).toBe(0);
    expect(r.log).toEqual([]);
    expect(r.stderr).toBe(`flaskstack: ${h.spec.app.baseDir} now belongs to urn:new#web-base: left in place\n`);
    expect(fs.existsSync(`${h.spec.app.baseDir}/releases`)).toBe(true);
  });
});
