/**
 * The cloud-vm example (its own Pulumi project, using flaskstack through its package) against a
 * `vm` host, and the venv preflight: a requirement with no wheel on a host with no compiler fails
 * the deploy with a clear message and leaves no half-built venv.
 */
import * as fs from "fs";
import * as https from "https";
import * as tls from "tls";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { sshExec, startHosts, TestHost } from "../hosts/harness";
import { get, getUntil } from "./http";
import { exampleDir, hostConfig, projectStack, tearDown, uniqueStackName } from "./stack";

const STEP = 10 * 60_000;
const SAMPLE_APP = path.join(exampleDir("app"));

describe("the cloud-vm example", () => {
  const dir = exampleDir("cloud-vm");
  const stackName = uniqueStackName("cloud-vm");
  let host: TestHost;
  let stack: Stack;

  beforeAll(async () => {
    [host] = await startHosts("vm", 1, { prefix: "cloud-vm" });
    stack = await projectStack(stackName, { ...hostConfig(host), workers: { value: "3" } }, dir);
  }, STEP);

  afterAll(() => tearDown({ stack, stackName, workDir: dir, hosts: [host] }), STEP);

  it(
    "deploys Gunicorn behind nginx, and a second up changes nothing",
    async () => {
      await stack.up();
      const health = await getUntil(`http://127.0.0.1:${host.httpPort}/healthz`, (a) => a.status === 200);
      expect(health.headers.server).toMatch(/^nginx/);
      const conf = await sshExec(host, "sudo -n cat /etc/sample/gunicorn.conf.py");
      expect(conf.stdout).toMatch(/^workers = 3$/m);
      const again = await stack.up();
      expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
    },
    STEP,
  );

  it(
    "turns on TLS from a certificate on the host: HTTPS answers, HTTP redirects",
    async () => {
      await sshExec(
        host,
        "sudo -n openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost " +
          "-keyout /etc/ssl/private/flaskstack-test.key -out /etc/ssl/certs/flaskstack-test.pem 2>/dev/null",
      );
      await stack.setAllConfig({
        tlsCertificate: { value: "/etc/ssl/certs/flaskstack-test.pem" },
        tlsKey: { value: "/etc/ssl/private/flaskstack-test.key" },
      });
      const up = await stack.up();
      expect(up.summary.result).toBe("succeeded");
      const https = await getTls(`https://127.0.0.1:${host.httpsPort}/healthz`);
      expect(https.status).toBe(200);
      expect(https.protocol).toMatch(/^TLSv1\.[23]$/);
      const plain = await get(`http://127.0.0.1:${host.httpPort}/healthz`);
      expect(plain.status).toBe(301);
      expect(plain.headers.location).toMatch(/^https:\/\//);
    },
    STEP,
  );
});

/** GET over TLS, accepting the test's self-signed certificate; reports the negotiated protocol. */
function getTls(url: string): Promise<{ status: number; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      const protocol = (res.socket as tls.TLSSocket).getProtocol();
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, protocol }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}

describe("the venv preflight", () => {
  const stackName = uniqueStackName("preflight");
  let host: TestHost;
  let stack: Stack;
  let appDir: string;

  beforeAll(async () => {
    [host] = await startHosts("vm", 1, { prefix: "preflight" });
    appDir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-app-"));
    fs.cpSync(SAMPLE_APP, appDir, { recursive: true });
    // MarkupSafe 1.1.1 has wheels only up to Python 3.8 and a C extension: on Debian 12's Python
    // 3.11 it needs a compiler, which a fresh host does not have.
    fs.appendFileSync(path.join(appDir, "requirements.txt"), "MarkupSafe==1.1.1\n");
    stack = await projectStack(stackName, { ...hostConfig(host), server: { value: "gunicorn" }, appDir: { value: appDir } });
  }, STEP);

  afterAll(() => tearDown({ stack, stackName, dirs: [appDir], hosts: [host] }), STEP);

  it(
    "fails with what to change, before a venv or a server exists",
    async () => {
      await expect(stack.up()).rejects.toThrow(/no prebuilt wheel for x86_64 .*no C compiler[\s\S]*build-essential/);
      // The venvs directory's lock file (builds take turns) is all that may be there.
      const left = await sshExec(host, "ls -A /srv/sample/venvs | grep -vx .lock; ls /etc/supervisor/conf.d; pgrep -u sample || true");
      expect(left.stdout.trim()).toBe("");
      const answer = await get(`http://127.0.0.1:${host.httpPort}/healthz`).catch(() => undefined);
      expect(answer?.status).not.toBe(200);
    },
    STEP,
  );
});
