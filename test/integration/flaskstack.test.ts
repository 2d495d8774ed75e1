/**
 * The whole stack, for real: the root project (index.ts) run by the engine and the Node.js language
 * host against a fresh `vm` test host, once per WSGI server — uWSGI on a unix socket behind `uwsgi_pass`, Gunicorn on a unix socket and
 * on TCP behind `proxy_pass`, and Waitress on a unix socket.
 *
 * One ordered sequence of steps per case on one host: the steps are in flaskstack/steps/ (in the order
 * they run here), the cases and what the steps share in flaskstack/cases.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { sshExec, startHosts, TestHost } from "../hosts/harness";
import { get } from "./http";
import { hostConfig, projectStack, removeStackFile, tearDown, uniqueStackName } from "./stack";
import { CASES, CaseContext, SAMPLE_APP, SECRET, STEP } from "./flaskstack/cases";
import { changeSteps } from "./flaskstack/steps/changes";
import { deploySteps } from "./flaskstack/steps/deploy";
import { reloadSteps } from "./flaskstack/steps/reloads";
import { shippingSteps } from "./flaskstack/steps/shipping";

describe.each(CASES)("the stack with $label", (c) => {
  let host: TestHost;
  let stack: Stack;
  let appDir: string;
  const stackName = uniqueStackName(`stack-${c.server}`);
  let url: string;
  /** Everything the engine printed in this case's previews and ups. */
  const printed: string[] = [];
  const ctx: CaseContext = {
    c,
    stackName,
    printed,
    get host() {
      return host;
    },
    get stack() {
      return stack;
    },
    get url() {
      return url;
    },
    get appDir() {
      return appDir;
    },
  };

  beforeAll(async () => {
    [host] = await startHosts("vm", 1, { prefix: `stack-${c.server}` });
    // A copy of the sample app, so the test can change its code.
    appDir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-app-"));
    fs.cpSync(SAMPLE_APP, appDir, { recursive: true });
    stack = await projectStack(stackName, {
      ...hostConfig(host),
      server: { value: c.server },
      ...Object.fromEntries(Object.entries(c.config ?? {}).map(([k, v]) => [k, { value: v }])),
      appDir: { value: appDir },
      [c.change.key]: { value: String(c.change.from) },
      environment: { value: JSON.stringify({ GREETING: "Hello from the test", API_TOKEN: SECRET }), secret: true },
    });
    url = `http://127.0.0.1:${host.httpPort}`;
  }, 20 * 60_000);

  afterAll(() => tearDown({ stack, stackName, dirs: [appDir], hosts: [host] }), STEP);

  deploySteps(ctx);
  changeSteps(ctx);
  shippingSteps(ctx);
  reloadSteps(ctx);

  it("never depends on the SSH server's environment policy: no variable was refused", () => {
    expect(printed.length).toBeGreaterThanOrEqual(5);
    expect(printed.join("\n")).not.toMatch(/Unable to set|AcceptEnv/);
  });

  it(
    "destroy removes the managed files and processes",
    async () => {
      const result = await stack.destroy();
      expect(result.summary.result).toBe("succeeded");
      const left = await sshExec(
        host,
        "ls -d /etc/nginx/sites-enabled/sample /etc/nginx/sites-available/sample /etc/supervisor/conf.d/sample.conf /srv/sample /etc/sample 2>/dev/null; " +
          "pgrep -u sample >/dev/null 2>&1 && echo 'processes left'; id sample >/dev/null 2>&1 && echo 'user left'; true",
      );
      expect(left.stdout.trim()).toBe("");
      // nginx itself still runs (other sites may need it) but no longer serves the app.
      const answer = await get(`${url}/healthz`).catch(() => undefined);
      expect(answer?.status).not.toBe(200);
    },
    STEP,
  );
});

describe("bad input", () => {
  // No host answers on port 9: a preview that got as far as a remote command would fail differently.
  it.each([
    ["entry", "sample", /`entry`.*module:callable/s],
    ["appName", "my app;rm", /`name`/],
    ["server", "fastcgi", /flaskstack:server. value .fastcgi. is not a legal enum value/],
    ["processes", "0", /processes/],
  ])(
    "config %s = %j fails the preview with a message naming it",
    async (key, value, message) => {
      const stackName = uniqueStackName(`bad-${key.toLowerCase()}`);
      const stack = await projectStack(stackName, {
        host: { value: "127.0.0.1" },
        port: { value: "9" },
        user: { value: "deploy" },
        privateKey: { value: "not-a-key", secret: true },
        [key]: { value },
      });
      try {
        await expect(stack.preview()).rejects.toThrow(message);
      } finally {
        await stack.workspace.removeStack(stackName).catch(() => undefined);
        removeStackFile(stackName);
      }
    },
    STEP,
  );
});
