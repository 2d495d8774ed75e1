/**
 * The raspberry-pi example (examples/raspberry-pi, its own Pulumi project using flaskstack as an
 * outside project would) against emulated Raspberry Pis: the arm64 `pi` host in full, and the
 * 32-bit `armhf` host as a smoke test.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { APT_UWSGI_THREADS, defaultWorkerCount } from "../../components/config";
import { HostKind, sshExec, startHosts, TestHost } from "../hosts/harness";
import { getUntil } from "./http";
import { exampleDir, hostConfig, projectStack, tearDown, uniqueStackName } from "./stack";

const EXAMPLE = exampleDir("raspberry-pi");
const STEP = 20 * 60_000;

async function withExample(kind: HostKind, prefix: string) {
  const [host] = await startHosts(kind, 1, { prefix });
  const stackName = uniqueStackName(prefix);
  const stack = await projectStack(stackName, hostConfig(host), EXAMPLE);
  return { host, stack, stackName };
}

function cleanUp(stack: Stack | undefined, stackName: string, host: TestHost | undefined): Promise<void> {
  return tearDown({ stack, stackName, workDir: EXAMPLE, hosts: [host] });
}

describe("the raspberry-pi example on a 64-bit Pi (arm64, emulated)", () => {
  let host: TestHost;
  let stack: Stack;
  let stackName = "";

  beforeAll(async () => {
    ({ host, stack, stackName } = await withExample("pi", "rpi-arm64"));
  }, STEP);

  afterAll(() => cleanUp(stack, stackName, host), STEP);

  it(
    "deploys: the app answers through nginx",
    async () => {
      const up = await stack.up();
      expect(up.summary.result).toBe("succeeded");
      const page = await getUntil(`http://127.0.0.1:${host.httpPort}/healthz`, (a) => a.status === 200, 120_000);
      expect(page.headers.server).toMatch(/^nginx/);
      expect(JSON.parse(page.body).machine).toBe("aarch64");
    },
    STEP,
  );

  it(
    "runs apt's uWSGI with `plugins = python3`, as the app user",
    async () => {
      const ini = await sshExec(host, "sudo -n cat /etc/sample/uwsgi.ini");
      expect(ini.stdout).toMatch(/^plugins = python3$/m);
      const procs = await sshExec(host, "ps -o user=,args= -C uwsgi");
      const lines = procs.stdout.trim().split("\n");
      expect(lines.length).toBeGreaterThan(1);
      // Under emulation ps shows qemu's binfmt launcher before the real command line.
      for (const line of lines) expect(line).toMatch(/^sample\s+(\S*qemu\S* \/usr\/bin\/uwsgi )?\/usr\/bin\/uwsgi --ini \/etc\/sample\/uwsgi\.ini$/);
    },
    STEP,
  );

  it(
    "sizes processes and threads from the host's own facts",
    async () => {
      // The facts as the host reports them, read independently of flaskstack.
      const raw = await sshExec(host, "nproc; awk '/^MemTotal:/ { print $2 }' /proc/meminfo");
      const [cores, memKb] = raw.stdout.trim().split("\n").map(Number);
      const expected = defaultWorkerCount({ cores, memoryMb: Math.floor(memKb / 1024) });
      const ini = (await sshExec(host, "sudo -n cat /etc/sample/uwsgi.ini")).stdout;
      expect(ini).toMatch(new RegExp(`^processes = ${expected}$`, "m"));
      // Debian's uWSGI: one thread per worker (APT_UWSGI_THREADS).
      expect(ini).toMatch(new RegExp(`^threads = ${APT_UWSGI_THREADS}$`, "m"));
      const workers = await sshExec(host, 'master=$(sudo -n supervisorctl pid sample); ps -o pid= --ppid "$master" | wc -l');
      expect(Number(workers.stdout.trim())).toBe(expected);
    },
    STEP,
  );

  it(
    "changes nothing on a second up",
    async () => {
      const up = await stack.up();
      expect(Object.keys(up.summary.resourceChanges ?? {})).toEqual(["same"]);
    },
    STEP,
  );

  it(
    "destroy cleans up",
    async () => {
      await stack.destroy();
      const left = await sshExec(
        host,
        "ls -d /srv/sample /etc/sample /etc/supervisor/conf.d/sample.conf /etc/nginx/sites-enabled/sample 2>/dev/null; pgrep -u sample >/dev/null 2>&1 && echo processes; true",
      );
      expect(left.stdout.trim()).toBe("");
    },
    STEP,
  );
});

describe("the raspberry-pi example on a 32-bit Pi (armhf, emulated): smoke test", () => {
  let host: TestHost;
  let stack: Stack;
  let stackName = "";

  beforeAll(async () => {
    ({ host, stack, stackName } = await withExample("armhf", "rpi-armhf"));
  }, STEP);

  afterAll(() => cleanUp(stack, stackName, host), STEP);

  it(
    "deploys and answers through nginx from an armv7l host, then destroys",
    async () => {
      const up = await stack.up();
      expect(up.summary.result).toBe("succeeded");
      const page = await getUntil(`http://127.0.0.1:${host.httpPort}/healthz`, (a) => a.status === 200, 180_000);
      expect(JSON.parse(page.body).machine).toBe("armv7l");
      const destroyed = await stack.destroy();
      expect(destroyed.summary.result).toBe("succeeded");
    },
    30 * 60_000,
  );
});
