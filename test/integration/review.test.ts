/**
 * The review report on real previews, and drift on a real host: the stack in review/ is deployed
 * once onto a `vm` test host; then each change kind is previewed with `pulumi preview --json` (no
 * `up` between them) and `flaskstack report` must print exactly the reviewed report in golden/
 * (FLASKSTACK_UPDATE_GOLDEN=1 rewrites them, to be reviewed in the diff). Then drift: an untouched
 * host is clean; a hand edit and a stopped program are reported, and the `pulumi up --replace` the
 * report prints puts them back.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sshExec, startHosts, TestHost } from "../hosts/harness";
import { engineEnv, removeStackFile, uniqueStackName } from "./stack";

const ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = path.join(__dirname, "review");
const GOLDEN = path.join(PROJECT, "golden");
const SAMPLE_APP = path.join(ROOT, "examples", "app");
const CLI = path.join(ROOT, "components", "report", "cli.ts");
const STEP = 10 * 60_000;

const CHANGES = ["none", "uwsgi", "gunicorn", "nginx", "environment", "code", "requirements", "new-site", "deleted-site"] as const;

let h: TestHost | undefined;
let stackName = "";
let changedApp = "";
const env = { ...process.env, ...engineEnv() };

function pulumi(args: string[], opts: { allowFail?: boolean } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("pulumi", [...args, "--stack", stackName, "--non-interactive"], { cwd: PROJECT, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`pulumi ${args.join(" ")} failed (${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function flaskstack(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "ts-node"), ["--transpile-only", CLI, ...args, "--stack", stackName, "--cwd", PROJECT], {
    env,
    encoding: "utf8",
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What varies between runs: the test host's port. */
function normalise(report: string): string {
  return report.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT");
}

beforeAll(async () => {
  [h] = await startHosts("vm", 1, { prefix: "flaskstack-review" });
  stackName = uniqueStackName("review");
  changedApp = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-review-app-"));
  fs.cpSync(SAMPLE_APP, changedApp, { recursive: true });
  pulumi(["stack", "init", stackName]);
  const set = (key: string, value: string, secret = false) => pulumi(["config", "set", ...(secret ? ["--secret"] : []), key, value]);
  set("host", h.host);
  set("port", String(h.sshPort));
  set("user", h.user);
  set("appDir", SAMPLE_APP);
  set("changedAppDir", changedApp);
  set("apiToken", "first-token", true);
  execFileSync("pulumi", ["config", "set", "--secret", "privateKey", "--stack", stackName], { cwd: PROJECT, env, input: h.privateKey });
  pulumi(["up", "--yes", "--skip-preview"]);
}, 2 * STEP);

afterAll(async () => {
  try {
    if (stackName) {
      pulumi(["destroy", "--yes", "--skip-preview"], { allowFail: true });
      pulumi(["stack", "rm", "--yes", "--force"], { allowFail: true });
      removeStackFile(stackName, PROJECT);
    }
  } finally {
    if (changedApp) fs.rmSync(changedApp, { recursive: true, force: true });
    if (h) execFileSync("npx", ["ts-node", path.join(ROOT, "test", "hosts", "cli.ts"), "rm", h.name], { cwd: ROOT, stdio: "ignore" });
  }
}, STEP);

describe("flaskstack report on real previews", () => {
  test.each(CHANGES)(
    "GIVEN the deployed stack WHEN the change is %s THEN the report matches the reviewed one",
    (change) => {
      // The change's inputs: one file of the app's code, or one more requirement.
      fs.cpSync(SAMPLE_APP, changedApp, { recursive: true, force: true });
      if (change === "code") fs.appendFileSync(path.join(changedApp, "sample", "__init__.py"), "\n# a reviewed change\n");
      if (change === "requirements") fs.appendFileSync(path.join(changedApp, "requirements.txt"), "itsdangerous>=2.2\n");
      pulumi(["config", "set", "change", change]);
      const preview = pulumi(["preview", "--json"]).stdout;
      const md = flaskstack(["report", "--preview", "-", "--title", "review"], preview);
      expect({ status: md.status, stderr: md.stderr }).toEqual({ status: change === "none" ? 0 : 2, stderr: "" });
      const text = flaskstack(["report", "--preview", "-", "--format", "text", "--title", "review"], preview);
      expect(text.status).toBe(md.status);
      const report = `${normalise(md.stdout)}\n<!-- plain-text form -->\n${normalise(text.stdout)}`;
      const golden = path.join(GOLDEN, `${change}.md`);
      if (process.env.FLASKSTACK_UPDATE_GOLDEN === "1") fs.writeFileSync(golden, report);
      expect(report).toBe(fs.readFileSync(golden, "utf8"));
      // Never a secret value, in either form.
      for (const secret of ["first-token", "rotated-token"]) expect(report).not.toContain(secret);
    },
    STEP,
  );

  test("GIVEN a change WHEN the report runs the preview itself THEN it reports the same", () => {
    pulumi(["config", "set", "change", "uwsgi"]);
    const own = flaskstack(["report", "--title", "review"]);
    expect(own.status).toBe(2);
    expect(normalise(own.stdout)).toBe(fs.readFileSync(path.join(GOLDEN, "uwsgi.md"), "utf8").split("\n<!-- plain-text form -->\n")[0]);
    pulumi(["config", "set", "change", "none"]);
  }, STEP);
});

describe("flaskstack drift on a real host", () => {
  test("GIVEN an untouched host WHEN drift runs THEN it is clean and exits 0", () => {
    const r = flaskstack(["drift", "--format", "text"]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toContain("No drift");
  }, STEP);

  test("GIVEN a hand edit and a stopped program WHEN drift runs THEN both are reported, and its --replace puts them back", async () => {
    await sshExec(h!, "echo 'processes = 9' | sudo -n tee -a /etc/shop/uwsgi.ini >/dev/null && sudo -n supervisorctl stop blog");
    const r = flaskstack(["drift", "--format", "markdown"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("`/etc/shop/uwsgi.ini`: its content differs from what the stack applied");
    expect(r.stdout).toMatch(/program `blog`: not running: STOPPED/);
    const fix = /^pulumi up (.*)$/m.exec(r.stdout);
    expect(fix).not.toBeNull();
    const replaces = [...fix![1].matchAll(/--replace '([^']+)'/g)].map((m) => m[1]);
    expect(replaces).toHaveLength(2);
    expect(replaces.some((u) => u.endsWith("GunicornService$command:remote:Command::blog-gunicorn-reload"))).toBe(true);
    expect(replaces.some((u) => u.endsWith("UwsgiService$command:remote:Command::shop-uwsgi-config"))).toBe(true);
    pulumi(["up", "--yes", "--skip-preview", ...replaces.flatMap((u) => ["--replace", u])]);
    const after = flaskstack(["drift", "--format", "text"]);
    expect({ status: after.status, out: after.stdout }).toEqual({ status: 0, out: expect.stringContaining("No drift") });
    const ini = await sshExec(h!, "sudo -n grep -c '^processes = 9' /etc/shop/uwsgi.ini || true");
    expect(ini.stdout.trim()).toBe("0");
  }, 2 * STEP);
});
