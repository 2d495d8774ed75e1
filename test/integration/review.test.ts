/**
 * The review report on real previews, and drift on a real host: the stack in review/ is deployed
 * once onto a `vm` test host; then each change kind is previewed with `pulumi preview --json` (no
 * `up` between them) and `flaskstack report` must print exactly the reviewed report in golden/
 * (FLASKSTACK_UPDATE_GOLDEN=1 rewrites them, to be reviewed in the diff). Then drift: an untouched
 * host is clean; a hand edit and a stopped program are reported, and the `pulumi up --replace` the
 * report prints puts them back.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as http from "http";
import { AddressInfo } from "net";
import { sshExec, startHosts, TestHost } from "../hosts/harness";
import { CI, workflowScripts } from "../unit/report/ciFiles";
import { engineEnv, removeStackFile, uniqueStackName } from "./stack";

const ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = path.join(__dirname, "review");
const GOLDEN = path.join(PROJECT, "golden");
const SAMPLE_APP = path.join(ROOT, "examples", "app");
/** The command as npm links it for users (`npx flaskstack`): the built package. */
const CLI = path.join(ROOT, "bin", "components", "report", "cli.js");
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
  const r = spawnSync(process.execPath, [CLI, ...args, "--stack", stackName, "--cwd", PROJECT], {
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
  pulumi(["stack", "init"]);
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

  test(
    "GIVEN a change WHEN the report runs the preview itself THEN it reports the same",
    () => {
      pulumi(["config", "set", "change", "uwsgi"]);
      const own = flaskstack(["report", "--title", "review"]);
      expect(own.status).toBe(2);
      expect(normalise(own.stdout)).toBe(fs.readFileSync(path.join(GOLDEN, "uwsgi.md"), "utf8").split("\n<!-- plain-text form -->\n")[0]);
      pulumi(["config", "set", "change", "none"]);
    },
    STEP,
  );
});

describe("flaskstack drift on a real host", () => {
  test(
    "GIVEN an untouched host WHEN drift runs THEN it is clean and exits 0",
    () => {
      const r = flaskstack(["drift", "--format", "text"]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      expect(r.stdout).toContain("No drift");
    },
    STEP,
  );

  test(
    "GIVEN a hand edit and a stopped program WHEN drift runs THEN both are reported, and its --replace puts them back",
    async () => {
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
    },
    2 * STEP,
  );
});

describe("the GitHub workflow's review steps", () => {
  test(
    "GIVEN a change WHEN its Preview, Report and Comment steps run as written THEN one comment is created, then updated",
    async () => {
      pulumi(["config", "set", "change", "nginx"]);
      const steps = workflowScripts("github-actions.yml").filter((s) => /^review: (Preview|Report|Comment)$/.test(s.label));
      expect(steps.map((s) => s.label)).toEqual(["review: Preview", "review: Report", "review: Comment"]);
      const posted: string[] = [];
      const api = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
          res.setHeader("content-type", "application/json");
          if (req.method === "GET") res.end(JSON.stringify(posted.map((b, i) => ({ id: i + 1, body: b }))));
          else if (req.method === "POST") res.end(JSON.stringify({ id: posted.push(JSON.parse(body).body), html_url: "https://github.test/c" }));
          else if (req.method === "PATCH") {
            posted[Number(req.url!.split("/").pop()) - 1] = JSON.parse(body).body;
            res.end(JSON.stringify({ html_url: "https://github.test/c" }));
          } else res.end("{}");
        });
      });
      await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
      const work = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-workflow-"));
      try {
        const event = path.join(work, "event.json");
        fs.writeFileSync(event, JSON.stringify({ pull_request: { number: 12 } }));
        const stepEnv = {
          ...env,
          PULUMI_STACK: stackName,
          GITHUB_TOKEN: "test-token",
          GITHUB_REPOSITORY: "owner/app",
          GITHUB_EVENT_PATH: event,
          GITHUB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        };
        // `npx flaskstack` is the package's bin; run from the project, as in a checkout of it.
        const shim = `npx() { if [ "$1" = flaskstack ]; then shift; node ${JSON.stringify(CLI)} "$@"; else command npx "$@"; fi; }\ncd ${JSON.stringify(PROJECT)}\n`;
        // Asynchronously: the stand-in API answers from this process.
        const run = (script: string) =>
          new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const p = spawn(
              "bash",
              ["-e", "-c", shim + script.replace(/preview\.json/g, path.join(work, "preview.json")).replace(/report\.md/g, path.join(work, "report.md"))],
              { env: stepEnv },
            );
            let stdout = "";
            let stderr = "";
            p.stdout.on("data", (d) => (stdout += d));
            p.stderr.on("data", (d) => (stderr += d));
            p.on("close", (status) => resolve({ status, stdout, stderr }));
          });
        for (const round of [1, 2]) {
          for (const step of steps) {
            const r = await run(step.script);
            expect({ step: step.label, round, status: r.status, stderr: r.stderr.replace(/^warning: .*\n/gm, "") }).toEqual({
              step: step.label,
              round,
              status: 0,
              stderr: "",
            });
            if (step.label === "review: Comment") expect(r.stdout).toBe(`${round === 1 ? "created" : "updated"} comment https://github.test/c\n`);
          }
        }
        expect(posted).toHaveLength(1);
        expect(posted[0]).toContain("+    client_max_body_size 20m;");
        // A preview that fails: the Report step fails, and the comment says why instead of going stale.
        pulumi(["config", "set", "port", "not-a-port"]);
        const results: { step: string; status: number | null }[] = [];
        for (const step of steps) results.push({ step: step.label, status: (await run(step.script)).status });
        expect(results).toEqual([
          { step: "review: Preview", status: 0 },
          { step: "review: Report", status: 1 },
          { step: "review: Comment", status: 0 },
        ]);
        expect(posted).toHaveLength(1);
        expect(posted[0]).toMatch(
          /^<!-- flaskstack-report -->\n## flaskstack: the preview failed · .*\n\n`pulumi up` would not run: fix this first\.\n\n```\n[^]*port[^]*```\n$/,
        );
      } finally {
        api.close();
        fs.rmSync(work, { recursive: true, force: true });
        pulumi(["config", "set", "port", String(h!.sshPort)]);
        pulumi(["config", "set", "change", "none"]);
      }
    },
    STEP,
  );

  test("GIVEN the workflows' pulumi calls WHEN checked against the CLI THEN every subcommand and flag exists", () => {
    const calls = [...workflowScripts("github-actions.yml"), ...workflowScripts("gitlab-ci.yml")].flatMap((s) => [
      ...s.script.matchAll(/\bpulumi ((?:[a-z]+ )*?)((?:--[a-z-]+ ?)+)/g),
    ]);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const [, sub, flags] of calls) {
      const help = spawnSync("pulumi", [...sub.trim().split(" "), "--help"], { env, encoding: "utf8" }).stdout;
      for (const flag of flags.trim().split(/\s+/))
        expect({ sub, flag, known: help.includes(`${flag} `) || help.includes(`${flag}\n`) }).toEqual({ sub, flag, known: true });
    }
    expect(fs.existsSync(CI)).toBe(true);
  });
});
