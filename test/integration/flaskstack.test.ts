/**
 * The whole stack, for real: the root project (index.ts) run by the engine and the Node.js language
 * host against a fresh `vm` test host, once per WSGI server — uWSGI on a unix socket behind `uwsgi_pass`, Gunicorn on a unix socket and
 * on TCP behind `proxy_pass`, and Waitress on a unix socket.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { spawn } from "child_process";
import { sshExec, startHosts, TestHost } from "../hosts/harness";
import { get, getUntil, postJson, SAMPLE_LOAD, underLoad } from "./http";
import { expectLoad } from "./loadLog";
import { hostConfig, projectStack, removeStackFile, tearDown, uniqueStackName } from "./stack";

const SAMPLE_APP = path.resolve(__dirname, "..", "..", "examples", "app");
const STEP = 10 * 60_000;
/** A secret env value: it must reach the app and nothing else. */
const SECRET = "tok-7f3a9c' $(touch /tmp/pwned) `id`";

interface ServerCase {
  /** Names the case in the test output and its hosts and stack. */
  label: string;
  server: "uwsgi" | "gunicorn" | "waitress";
  /** More stack config for this case. */
  config?: Record<string, string>;
  /** The upstream address in nginx's site, and for a unix socket its owner, group and mode. */
  upstream: { address: string; socket?: string };
  /** Config key and values for the "one setting changes" step. */
  change: { key: "processes" | "threads"; from: number; to: number };
  /** The rendered line that the preview must show changing. */
  diffLines: (n: number) => string;
  /** Resource names updated (~) or replaced (+-) by that change, and nothing else. */
  changed: string[];
  /** Counts that setting on the running host. */
  measure: (h: TestHost) => Promise<number>;
  /** Whether that change keeps the same master process (a graceful reload, not a restart). */
  sameMaster: boolean;
}

/** Worker processes: children of the supervised master. */
async function workerCount(h: TestHost): Promise<number> {
  const r = await sshExec(h, 'master=$(sudo -n supervisorctl pid sample); ps -o pid= --ppid "$master" | wc -l');
  return Number(r.stdout.trim());
}

const CASES: ServerCase[] = [
  {
    label: "uwsgi (unix socket, uwsgi_pass)",
    server: "uwsgi",
    upstream: { address: "unix:/run/sample/sample.sock", socket: "sample www-data 660" },
    change: { key: "processes", from: 4, to: 8 },
    diffLines: (n) => `processes = ${n}`,
    changed: ["site-probe", "uwsgi-config", "uwsgi-reload"],
    measure: workerCount,
    sameMaster: true,
  },
  {
    label: "gunicorn (unix socket, proxy_pass)",
    server: "gunicorn",
    // Mode 777 inside a run dir only the app user and group www-data (nginx) may enter.
    upstream: { address: "unix:/run/sample/gunicorn.sock", socket: "sample sample 777" },
    change: { key: "processes", from: 4, to: 8 },
    diffLines: (n) => `workers = ${n}`,
    changed: ["gunicorn-config", "gunicorn-reload", "site-probe"],
    measure: workerCount,
    sameMaster: true,
  },
  {
    // TCP: a hard-killed master's workers hold the port until they notice; the next master retries its bind.
    label: "gunicorn (TCP, proxy_pass)",
    server: "gunicorn",
    config: { gunicornBind: "tcp" },
    upstream: { address: "127.0.0.1:8000" },
    change: { key: "processes", from: 4, to: 8 },
    diffLines: (n) => `workers = ${n}`,
    changed: ["gunicorn-config", "gunicorn-reload", "site-probe"],
    measure: workerCount,
    sameMaster: true,
  },
  {
    // Every Waitress change restarts it: on its unix socket, through a standby on the handoff socket.
    label: "waitress (unix socket, proxy_pass)",
    server: "waitress",
    upstream: { address: "unix:/run/sample/waitress.sock", socket: "sample sample 777" },
    change: { key: "threads", from: 4, to: 8 },
    diffLines: (n) => `'--threads=${n}'`,
    changed: ["site-probe", "waitress-program-conf", "waitress-program-update"],
    measure: async (h) => {
      const r = await sshExec(h, 'ps -o args= -p "$(sudo -n supervisorctl pid sample)"');
      return Number(/--threads=(\d+)/.exec(r.stdout)?.[1] ?? NaN);
    },
    // Waitress has no graceful reload: its settings are its command line.
    sameMaster: false,
  },
];

/** Runs `docker <args>` (e.g. an exec in the host's container, which is no SSH login); resolves to its exit code. */
function docker(args: string[]): Promise<{ code: number }> {
  return new Promise((resolve) => {
    const p = spawn("docker", args, { stdio: "ignore" });
    p.on("close", (code) => resolve({ code: code ?? -1 }));
    p.on("error", () => resolve({ code: -1 }));
  });
}

/** SSH logins the host's sshd has accepted so far. */
async function acceptedLogins(h: TestHost): Promise<number> {
  const r = await sshExec(h, "sudo journalctl -u ssh --no-pager -o cat | grep -c '^Accepted ' || true");
  return Number(r.stdout.trim());
}

/** Names of resources an engine event stream reported with the given operation. */
function resourcesWith(events: { resOutputsEvent?: { metadata: { op: string; urn: string } } }[], ops: string[]): string[] {
  return events
    .map((e) => e.resOutputsEvent?.metadata)
    .filter((m): m is { op: string; urn: string } => m !== undefined && ops.includes(m.op))
    .map((m) => m.urn.split("::").pop() as string)
    .sort();
}

describe.each(CASES)("the stack with $label", (c) => {
  let host: TestHost;
  let stack: Stack;
  let appDir: string;
  const stackName = uniqueStackName(`stack-${c.server}`);
  let url: string;
  let firstUpOutput = "";
  /** Everything the engine printed in this case's previews and ups. */
  const printed: string[] = [];

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

  it(
    "deploys: nginx answers with the app's page and serves the static file itself",
    async () => {
      const up = await stack.up();
      firstUpOutput = up.stdout + up.stderr;
      printed.push(firstUpOutput);
      expect(up.summary.result).toBe("succeeded");
      // `up` returned after the site answered: the first request is not retried.
      const page = await get(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.server).toMatch(/^nginx/);
      expect(page.body).toContain("<h1>Hello from the test</h1>");
      const css = await get(`${url}/static/style.css`);
      expect(css.status).toBe(200);
      expect(css.body).toBe(fs.readFileSync(path.join(SAMPLE_APP, "sample", "static", "style.css"), "utf8"));
      // nginx's own ETag ("<mtime hex>-<size hex>"), not Flask's: the app never saw this request.
      expect(css.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      // A JSON POST reaches the app whole and comes back.
      const echo = await postJson(`${url}/api/echo`, { order: 17, items: ["ä", "b"] });
      expect({ status: echo.status, echo: JSON.parse(echo.body).echo }).toEqual({ status: 200, echo: { order: 17, items: ["ä", "b"] } });
    },
    STEP,
  );

  it(
    "wires nginx to where the server listens; a socket is for nginx and the app only",
    async () => {
      const site = await sshExec(host, "sudo -n sed -n '/^upstream /,/^}/p' /etc/nginx/sites-enabled/sample");
      expect(site.stdout).toMatch(new RegExp(`^\\s*server ${c.upstream.address.replace(/[.]/g, "\\.")}[ ;]`, "m"));
      if (c.upstream.socket) {
        const socketPath = c.upstream.address.replace(/^unix:/, "");
        const st = await sshExec(host, `sudo -n stat -c '%U %G %a %F' ${socketPath} /run/sample`);
        expect(st.stdout.trim().split("\n")).toEqual([`${c.upstream.socket} socket`, "sample www-data 750 directory"]);
      }
    },
    STEP,
  );

  it(
    "logs each request once, in nginx's access log, and not again in the server's logs",
    async () => {
      const probe = `probe-${Date.now().toString(36)}`;
      expect((await get(`${url}/?${probe}`)).status).toBe(200);
      // Each server writes its line once the response is sent: wait for nginx's, then a second more for the server's.
      const found = await sshExec(
        host,
        `for i in $(seq 50); do sudo -n grep -l ${probe} /var/log/nginx/*.access.log && break; sleep 0.1; done; sleep 1; echo --; sudo -n grep -rl ${probe} /var/log/sample || true`,
      );
      const [nginxFiles, serverFiles] = found.stdout.split("--\n");
      expect(nginxFiles.trim()).toMatch(/^\/var\/log\/nginx\/\S+\.access\.log$/);
      expect(serverFiles.trim()).toBe("");
    },
    STEP,
  );

  it(
    "keeps secrets out of the state, the output and the host's command lines",
    async () => {
      // The state file as it lies on disk in the file backend (exportStack would decrypt it).
      const state = readStateFile(stackName);
      expect(state).toContain('"ciphertext"');
      // A line from the middle of the key: the first lines of any two OpenSSH keys look alike.
      const keyBody = host.privateKey.split("\n")[3];
      expect(keyBody.length).toBeGreaterThan(40);
      expect(state).not.toContain(SECRET);
      expect(state).not.toContain(keyBody);
      expect(firstUpOutput).not.toContain(SECRET);
      // The value reached the app's environment file intact, readable by the app user only...
      const env = await sshExec(host, "sudo -n stat -c '%U %a' /etc/sample/env; sudo -n -u sample sh -c '. /etc/sample/env; printf %s \"$API_TOKEN\"'");
      expect(env.stdout).toBe(`sample 400\n${SECRET}`);
      // ...and was never evaluated by a shell on the way.
      expect((await sshExec(host, "test -e /tmp/pwned && echo pwned || echo clean")).stdout.trim()).toBe("clean");
    },
    STEP,
  );

  it(
    "runs the app as its own unprivileged user, not root",
    async () => {
      const health = JSON.parse((await get(`${url}/healthz`)).body) as { pid: number };
      const worker = await sshExec(host, `ps -o user= -p ${health.pid}`);
      expect(worker.stdout.trim()).toBe("sample");
      const all = await sshExec(host, 'ps -o user= -p "$(sudo -n supervisorctl pid sample)" --ppid "$(sudo -n supervisorctl pid sample)" | sort -u');
      expect(all.stdout.trim()).toBe("sample");
    },
    STEP,
  );

  it(
    "survives being killed (the master, then all workers, with -9) under load: back without a hand on the host",
    async () => {
      const before = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
      /** Waits for a new master, RUNNING and answering through nginx from a process of its own. */
      const newMaster = async (): Promise<{ after: string; servedBy: string }> => {
        const deadline = Date.now() + 90_000;
        let after = "";
        let servedBy = "";
        while (Date.now() < deadline) {
          const st = await sshExec(host, "sudo -n supervisorctl status sample; sudo -n supervisorctl pid sample");
          after = st.stdout.trim().split("\n").pop() ?? "";
          if (/RUNNING/.test(st.stdout) && after !== before) {
            const health = await get(`${url}/healthz`).catch(() => undefined);
            if (health?.status === 200) {
              const pid = String(JSON.parse(health.body).pid);
              const tree = await sshExec(host, `ps -o pid=,ppid= -p ${pid}`);
              servedBy = tree.stdout.trim().split(/\s+/).includes(after) ? "new master" : `pid ${pid} outside ${after}`;
              if (servedBy === "new master") break;
            }
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
        return { after, servedBy };
      };
      // Requests in flight when a process dies fail: measured and reported, not held to zero.
      const killed = await underLoad(url, SAMPLE_LOAD, async () => {
        await sshExec(host, `sudo -n kill -9 ${before}`);
        return newMaster();
      });
      if (killed.result.status === "rejected") throw killed.result.reason;
      expectLoad("fault", c.label, c.server === "waitress" ? "server process killed with -9" : "master killed with -9", killed.load, false);
      const { after, servedBy } = killed.result.value;
      expect(after).not.toBe(before);
      expect(servedBy).toBe("new master");

      // Every worker at once: the master starts new ones (Waitress has none of its own).
      if (c.server !== "waitress") {
        const workers = await underLoad(url, SAMPLE_LOAD, async () => {
          await sshExec(host, `sudo -n pkill -9 -P ${after}`);
          await getUntil(`${url}/healthz`, (a) => a.status === 200, 60_000);
          await new Promise((r) => setTimeout(r, 2000));
        });
        if (workers.result.status === "rejected") throw workers.result.reason;
        expectLoad("fault", c.label, "all workers killed with -9", workers.load, false);
        expect((await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim()).toBe(after);
        expect(await workerCount(host)).toBeGreaterThan(0);
      }
    },
    STEP,
  );

  it(
    "changes nothing and opens no SSH connection on a second up",
    async () => {
      const before = await acceptedLogins(host);
      const up = await stack.up();
      const after = await acceptedLogins(host);
      expect(Object.keys(up.summary.resourceChanges ?? {})).toEqual(["same"]);
      expect(after - before).toBe(1); // the second count's own login
    },
    STEP,
  );

  it(
    `previews a ${c.change.key} change as a line diff and applies it by touching only ${c.changed.join(" + ")}`,
    async () => {
      expect(await c.measure(host)).toBe(c.change.from);
      const masterBefore = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
      await stack.setConfig(c.change.key, { value: String(c.change.to) });
      const preview = await stack.preview({ diff: true });
      printed.push(preview.stdout + preview.stderr);
      expect(preview.stdout).toMatch(new RegExp(`^\\s*-\\s+${escape(c.diffLines(c.change.from))}$`, "m"));
      expect(preview.stdout).toMatch(new RegExp(`^\\s*\\+\\s+${escape(c.diffLines(c.change.to))}$`, "m"));

      const events: Parameters<typeof resourcesWith>[0] = [];
      const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up({ onEvent: (e) => events.push(e) }));
      if (result.status === "rejected") throw result.reason;
      const up = result.value;
      printed.push(up.stdout + up.stderr);
      expect(up.summary.result).toBe("succeeded");
      // Waitress has no graceful reload: its restart goes through a standby on the handoff socket.
      expectLoad("change", c.label, `${c.change.key} ${c.change.from} → ${c.change.to}`, load, true);
      expect(resourcesWith(events, ["update", "replace", "create-replacement", "delete-replaced", "create", "delete"]).filter(uniq)).toEqual(c.changed);
      // A graceful reload returns at once and replaces the workers in the background.
      expect(await eventually(() => c.measure(host), c.change.to, 60_000)).toBe(c.change.to);
      expect((await getUntil(`${url}/healthz`, (a) => a.status === 200)).status).toBe(200);
      const masterAfter = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
      expect(masterAfter === masterBefore).toBe(c.sameMaster);
    },
    STEP,
  );

  // Gunicorn on its unix socket, moved to a TCP port something else holds: the start fails and `up`
  // fails. Putting the old config back must bring the server back without a hand on the host (the
  // failed `up` left the engine's state on the old text, so only the files' write nonces tell it).
  if (c.server === "gunicorn" && !c.config?.gunicornBind)
    it(
      "converges after a failed up when the old config comes back",
      async () => {
        // A plain listening socket: Gunicorn's bind cannot share it.
        const holder = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 8000)); s.listen(); time.sleep(900)";
        await sshExec(host, `setsid python3 -c "${holder}" >/dev/null 2>&1 < /dev/null & echo $! > /tmp/port-holder.pid`);
        try {
          await stack.setConfig("gunicornBind", { value: "tcp" });
          // Gunicorn keeps retrying the bind, so supervisor may see it RUNNING: then the probe finds the site dead.
          await expect(stack.up()).rejects.toThrow(/Connection in use|FATAL|BACKOFF|the site did not answer/);
          await stack.removeConfig("gunicornBind");
          const up = await stack.up();
          printed.push(up.stdout + up.stderr);
          expect(up.summary.result).toBe("succeeded");
          expect((await sshExec(host, "sudo -n supervisorctl status sample")).stdout).toMatch(/RUNNING/);
          // `up` returned after the site answered: no retry needed here.
          expect((await get(`${url}/healthz`)).status).toBe(200);
        } finally {
          await sshExec(host, "kill $(cat /tmp/port-holder.pid) 2>/dev/null; true");
        }
      },
      STEP,
    );

  it(
    "ships new code as a new release, keeps the venv, and reloads",
    async () => {
      const replaced = (await sshExec(host, "readlink /srv/sample/current")).stdout.trim().replace("releases/", "");
      const initPy = path.join(appDir, "sample", "__init__.py");
      fs.writeFileSync(initPy, fs.readFileSync(initPy, "utf8").replace('jsonify(status="ok"', 'jsonify(release="two", status="ok"'));
      const events: Parameters<typeof resourcesWith>[0] = [];
      const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up({ onEvent: (e) => events.push(e) }));
      if (result.status === "rejected") throw result.reason;
      const up = result.value;
      printed.push(up.stdout + up.stderr);
      expectLoad("change", c.label, "app code", load, true);
      const touched = resourcesWith(events, ["update", "replace", "create-replacement", "delete-replaced"]);
      expect(touched).toContain("app-release");
      expect(touched).not.toContain("app-venv");
      const health = await getUntil(`${url}/healthz`, (a) => a.status === 200 && a.body.includes('"release":"two"'));
      expect(JSON.parse(health.body).release).toBe("two");
      // The new release and the one it replaced (old workers may still run from it while they finish).
      const current = (await sshExec(host, "readlink /srv/sample/current")).stdout.trim().replace("releases/", "");
      const releases = (await sshExec(host, "ls /srv/sample/releases")).stdout.trim().split("\n");
      expect(current).not.toBe(replaced);
      expect(releases).toEqual([current, replaced].sort());
    },
    STEP,
  );

  // A full disk is the same whatever serves behind it: once. releases/ goes onto a small filesystem
  // holding what it holds and 64 KiB more (a full disk, without filling this machine's), and the new
  // release carries a 1 MiB file.
  if (c.server === "uwsgi")
    it(
      "fails up with a clear error when the disk fills while a release is unpacked: nothing switched, no request failing; the next up completes",
      async () => {
        const releaseBefore = (await sshExec(host, "readlink /srv/sample/current")).stdout.trim();
        const listing = "sudo -n ls -A /srv/sample/releases";
        const releasesBefore = (await sshExec(host, listing)).stdout;
        await sshExec(
          host,
          "set -e; cd /srv/sample; used=$(sudo -n du -sk releases | cut -f1); sudo -n mkdir -p /mnt/flaskstack-small; " +
            "sudo -n mount -t tmpfs -o size=$((used + 64))k tmpfs /mnt/flaskstack-small; sudo -n cp -a releases/. /mnt/flaskstack-small/; " +
            "sudo -n mount --bind /mnt/flaskstack-small releases",
        );
        const big = path.join(appDir, "sample", "static", "big.bin");
        const bytes = crypto.randomBytes(1 << 20);
        fs.writeFileSync(big, bytes);
        try {
          const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
          expect(result.status).toBe("rejected");
          const message = result.status === "rejected" ? String(result.reason) : "";
          expect(message).toContain("No space left on device");
          expect(message).toMatch(/release \/srv\/sample\/releases\/\S+ was not unpacked, nothing was switched, the running release keeps serving/);
          expectLoad("fault", c.label, "disk full while a release is unpacked (up fails, nothing switched)", load, true);
          expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).toBe(releaseBefore);
          // Nothing half-written is left: not the new release, not its partial directory.
          expect((await sshExec(host, listing)).stdout).toBe(releasesBefore);
        } finally {
          await sshExec(host, "sudo -n umount -l /srv/sample/releases; sudo -n umount -l /mnt/flaskstack-small; true");
        }
        // Room again: the next up ships the same release and serves it.
        const fixed = await stack.up();
        printed.push(fixed.stdout + fixed.stderr);
        expect(fixed.summary.result).toBe("succeeded");
        expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).not.toBe(releaseBefore);
        const onHost = await sshExec(host, "sha256sum /srv/sample/current/sample/static/big.bin");
        expect(onHost.stdout.split(" ")[0]).toBe(crypto.createHash("sha256").update(bytes).digest("hex"));
        const served = await get(`${url}/static/big.bin`);
        expect([served.status, served.headers["content-length"]]).toEqual([200, String(bytes.length)]);
      },
      STEP,
    );

  // One server of each kind that reloads gracefully: a new venv is a code reload like new code.
  if (c.server !== "waitress" && !c.config?.gunicornBind)
    it(
      "builds a new venv for changed requirements and switches to it under load, no request failing",
      async () => {
        const venvBefore = (await sshExec(host, "readlink /srv/sample/venv")).stdout.trim();
        fs.appendFileSync(path.join(appDir, "requirements.txt"), "six==1.17.0\n");
        const events: Parameters<typeof resourcesWith>[0] = [];
        const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up({ onEvent: (e) => events.push(e) }));
        if (result.status === "rejected") throw result.reason;
        printed.push(result.value.stdout + result.value.stderr);
        expectLoad("change", c.label, "requirements", load, true);
        expect(resourcesWith(events, ["create-replacement"])).toContain("app-venv");
        const venvAfter = (await sshExec(host, "readlink /srv/sample/venv")).stdout.trim();
        expect(venvAfter).not.toBe(venvBefore);
        const imported = await sshExec(host, `/srv/sample/${venvAfter}/bin/python -c 'import six; print(six.__version__)'`);
        expect(imported.stdout.trim()).toBe("1.17.0");
      },
      STEP,
    );

  // A dropped connection (a Pi's Wi-Fi, a VPN) is the same whatever serves behind it: once.
  if (c.server === "uwsgi")
    it(
      "completes on the next up when the SSH connections drop in the middle of one (a venv being built), no request failing",
      async () => {
        const venvBefore = (await sshExec(host, "readlink /srv/sample/venv")).stdout.trim();
        fs.appendFileSync(path.join(appDir, "requirements.txt"), "idna==3.10\n");
        // Once pip runs on the host, every SSH session of the login user ends (sshd's per-connection
        // processes; the listener stays): the commands lose their connection, as on a dropped link.
        const cutWhenPipRuns = async () => {
          for (let i = 0; i < 600; i++) {
            const pip = await docker(["exec", host.name, "pgrep", "-f", "bin/pip .*install"]);
            if (pip.code === 0) {
              await docker(["exec", host.name, "pkill", "-f", `^sshd: ${host.user}`]);
              return true;
            }
            await new Promise((r) => setTimeout(r, 200));
          }
          return false;
        };
        const cut = cutWhenPipRuns();
        const first = await underLoad(url, SAMPLE_LOAD, () => stack.up());
        expect(await cut).toBe(true);
        expect(first.result.status).toBe("rejected");
        expectLoad("fault", c.label, "SSH connections dropped during an up (up fails)", first.load, true);

        const second = await underLoad(url, SAMPLE_LOAD, () => stack.up());
        if (second.result.status === "rejected") throw second.result.reason;
        printed.push(second.result.value.stdout + second.result.value.stderr);
        expectLoad("fault", c.label, "the next up after dropped SSH connections", second.load, true);
        const venvAfter = (await sshExec(host, "readlink /srv/sample/venv")).stdout.trim();
        expect(venvAfter).not.toBe(venvBefore);
        expect((await sshExec(host, `/srv/sample/${venvAfter}/bin/python -c 'import idna; print(idna.__version__)'`)).stdout.trim()).toBe("3.10");
        expect((await get(`${url}/healthz`)).status).toBe(200);
      },
      STEP,
    );

  // nginx's reload is the same whatever serves behind it: once.
  if (c.server === "uwsgi")
    it(
      "applies a changed site with nginx's graceful reload under load, no request failing",
      async () => {
        await stack.setConfig("domains", { value: JSON.stringify(["_", "shop.example.test"]) });
        const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
        if (result.status === "rejected") throw result.reason;
        printed.push(result.value.stdout + result.value.stderr);
        expectLoad("change", c.label, "nginx site (server_name)", load, true);
        expect((await sshExec(host, "sudo -n grep -c 'shop.example.test' /etc/nginx/sites-enabled/sample")).stdout.trim()).toBe("1");
      },
      STEP,
    );

  it(
    "applies a changed environment with the server's graceful reload (Waitress: a restart), under load, and serves the new value",
    async () => {
      const before = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
      await stack.setConfig("environment", { value: JSON.stringify({ GREETING: "Hello again", API_TOKEN: SECRET }), secret: true });
      const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
      if (result.status === "rejected") throw result.reason;
      const up = result.value;
      printed.push(up.stdout + up.stderr);
      expectLoad("change", c.label, "one environment variable", load, true);
      expect(up.stdout).toContain("sample: env-reload (environment changed)");
      const page = await getUntil(`${url}/`, (a) => a.status === 200 && a.body.includes("Hello again"));
      expect(page.body).toContain("<h1>Hello again</h1>");
      // The loader set the new value in the app's process; the master is the same one.
      expect((await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim() === before).toBe(c.server !== "waitress");
      expect(up.stdout + up.stderr).not.toContain(SECRET);
    },
    STEP,
  );

  it(
    "restarts the server when a variable read at process start changes (on a unix socket through a standby, no request failing)",
    async () => {
      const before = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
      await stack.setConfig("environment", {
        value: JSON.stringify({ GREETING: "Hello again", API_TOKEN: SECRET, PYTHONDONTWRITEBYTECODE: "1" }),
        secret: true,
      });
      const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
      if (result.status === "rejected") throw result.reason;
      const up = result.value;
      printed.push(up.stdout + up.stderr);
      // On a unix socket the restart goes through a standby instance on the handoff socket.
      expectLoad("change", c.label, "a variable read at process start (restart)", load, c.upstream.socket !== undefined);
      expect(up.stdout).toContain("sample: restart (a variable read at process start changed)");
      await getUntil(`${url}/`, (a) => a.status === 200 && a.body.includes("Hello again"));
      expect((await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim()).not.toBe(before);
    },
    STEP,
  );

  it(
    "refuses a release whose entry does not load: up fails with the app's own error, no request fails",
    async () => {
      const releaseBefore = (await sshExec(host, "readlink /srv/sample/current")).stdout.trim();
      await stack.setConfig("entry", { value: "sample:create_ap()" });
      const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
      expect(result.status).toBe("rejected");
      const message = result.status === "rejected" ? String(result.reason) : "";
      expect(message).toContain("AttributeError: module 'sample' has no attribute 'create_ap'");
      expect(message).toContain("nothing was switched, the running release keeps serving");
      expect(message).not.toContain(SECRET);
      expectLoad("change", c.label, "entry typo (up fails, nothing switched)", load, true);
      expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).toBe(releaseBefore);

      // The good entry again: nothing had changed on the host, and nothing runs.
      await stack.setConfig("entry", { value: "sample:create_app()" });
      const fixed = await stack.up();
      printed.push(fixed.stdout + fixed.stderr);
      expect(fixed.summary.result).toBe("succeeded");
      expect((await get(`${url}/healthz`)).status).toBe(200);
    },
    STEP,
  );

  // A release that loads but does not serve: refused before the switch when the failure shows
  // in-process, sent back after it when it shows only under the real server. One server of each kind
  // that reloads gracefully.
  if (c.server !== "waitress" && !c.config?.gunicornBind) {
    it(
      "refuses a release whose health path fails in-process: up fails with the app's own error, no request fails",
      async () => {
        const initPy = path.join(appDir, "sample", "__init__.py");
        const good = fs.readFileSync(initPy, "utf8");
        const releaseBefore = (await sshExec(host, "readlink /srv/sample/current")).stdout.trim();
        fs.writeFileSync(
          initPy,
          good.replace("    def index():\n", '    def index():\n        raise RuntimeError("templates missing for " + os.environ["API_TOKEN"])\n'),
        );
        try {
          const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
          expect(result.status).toBe("rejected");
          const message = result.status === "rejected" ? String(result.reason) : "";
          expect(message).toContain("RuntimeError: templates missing for [secret]");
          expect(message).toContain("the new release answered GET / (called in-process as the app user, before the switch) with 500 INTERNAL SERVER ERROR");
          expect(message).not.toContain(SECRET);
          expectLoad("change", c.label, "release failing its health path in-process (up fails, nothing switched)", load, true);
          expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).toBe(releaseBefore);
        } finally {
          fs.writeFileSync(initPy, good);
        }
      },
      STEP,
    );

    it(
      "goes back to the release it replaced when the site probe fails after the switch, and fails up; the next up tries again",
      async () => {
        const initPy = path.join(appDir, "sample", "__init__.py");
        const good = fs.readFileSync(initPy, "utf8");
        const releaseBefore = (await sshExec(host, "readlink /srv/sample/current")).stdout.trim();
        // Fine when called in-process, broken under the real server.
        const broken = good.replace(
          "    def index():\n",
          '    def index():\n        if request.environ.get("SERVER_SOFTWARE") != "flaskstack-check":\n            return "broken under the server", 500\n',
        );
        fs.writeFileSync(initPy, broken);
        await stack.setConfig("healthTimeoutSecs", { value: "10" });
        const wentBack = /it went back to the release it replaced, which answers/;
        try {
          const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
          expect(result.status).toBe("rejected");
          const message = result.status === "rejected" ? String(result.reason) : "";
          expect(message).toContain("last answer: 500 INTERNAL SERVER ERROR");
          expect(message).toMatch(wentBack);
          expect(message).not.toContain(SECRET);
          // Requests fail from the switch until the probe gives up (the app's 500s for APP_ERROR_SECS) and the revert: measured.
          expectLoad("change", c.label, "release failing the site probe (up fails, went back)", load, false);
          expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).toBe(releaseBefore);
          expect((await get(`${url}/`)).status).toBe(200);
          if (c.server === "uwsgi") {
            // Nothing reports success over the old release: the same program tries the new one again.
            await expect(stack.up()).rejects.toThrow(wentBack);
            expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).toBe(releaseBefore);
          }
        } finally {
          fs.writeFileSync(initPy, good);
          await stack.removeConfig("healthTimeoutSecs");
        }
        const fixed = await stack.up();
        printed.push(fixed.stdout + fixed.stderr);
        expect(fixed.summary.result).toBe("succeeded");
        expect((await sshExec(host, "readlink /srv/sample/current")).stdout.trim()).toBe(releaseBefore);
        expect((await sshExec(host, "ls /srv/sample/releases | wc -l")).stdout.trim()).toBe("1");
        expect((await get(`${url}/`)).status).toBe(200);
      },
      STEP,
    );
  }

  it(
    "fails up with nginx's own message on a broken site, and the old site keeps serving",
    async () => {
      await stack.setAllConfig({
        tlsCertificate: { value: "/etc/ssl/certs/flaskstack-missing.pem" },
        tlsKey: { value: "/etc/ssl/private/flaskstack-missing.key" },
      });
      await expect(stack.up()).rejects.toThrow(/cannot load certificate[^\n]*flaskstack-missing\.pem/);
      const site = await sshExec(host, "cat /etc/nginx/sites-enabled/sample");
      expect(site.stdout).not.toContain("ssl_certificate");
      expect((await get(`${url}/healthz`)).status).toBe(200);

      await stack.removeAllConfig(["tlsCertificate", "tlsKey"]);
      const fixed = await stack.up();
      printed.push(fixed.stdout + fixed.stderr);
      expect(fixed.summary.result).toBe("succeeded");
    },
    STEP,
  );

  // A changed listener: the new instance starts beside the old one on its new socket, nginx moves to
  // it, and only then does the old one go. Once per kind: another server, another bind.
  const switchTo: { what: string; config: Record<string, string>; upstream: string; serves: RegExp } | undefined =
    c.server === "uwsgi"
      ? { what: "server switched (uWSGI → Gunicorn)", config: { server: "gunicorn" }, upstream: "unix:/run/sample/gunicorn.sock", serves: /gunicorn/ }
      : c.config?.gunicornBind === "tcp"
        ? { what: "Gunicorn bind (TCP → unix socket)", config: { gunicornBind: "unix" }, upstream: "unix:/run/sample/gunicorn.sock", serves: /gunicorn/ }
        : undefined;
  if (switchTo)
    it(
      `applies a changed listener (${switchTo.what}) beside the old one: nginx moves, then the old one goes, no request failing`,
      async () => {
        const before = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
        await stack.setAllConfig(Object.fromEntries(Object.entries(switchTo.config).map(([k, v]) => [k, { value: v }])));
        const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
        if (result.status === "rejected") throw result.reason;
        const up = result.value;
        printed.push(up.stdout + up.stderr);
        expectLoad("change", c.label, switchTo.what, load, true);
        expect(up.stderr + up.stdout).toContain("the site has moved to /run/sample/gunicorn.sock");
        const site = await sshExec(host, "sudo -n sed -n '/^upstream /,/^}/p' /etc/nginx/sites-enabled/sample");
        expect(site.stdout).toContain(`server ${switchTo.upstream}`);
        const master = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
        expect(master).not.toBe(before);
        expect((await sshExec(host, `ps -o args= -p ${master}`)).stdout).toMatch(switchTo.serves);
        // The standby, its files and the switch's marker are gone; the old instance no longer runs.
        const left = await sshExec(host, `sudo -n supervisorctl status; ls /etc/supervisor/conf.d /run/sample; ps -o args= -p ${before} || true`);
        expect(left.stdout).not.toMatch(/handoff|switching/);
        expect(left.stdout).toMatch(/^sample\s+RUNNING/m);
        expect((await get(`${url}/healthz`)).status).toBe(200);
        // Nothing left to converge.
        const again = await stack.preview();
        expect(Object.keys(again.changeSummary).filter((k) => k !== "same")).toEqual([]);
      },
      STEP,
    );

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

/** The stack's checkpoint file in the local file backend. */
function readStateFile(stackName: string): string {
  const stacks = path.resolve(__dirname, "..", "..", ".pulumi-state", ".pulumi", "stacks");
  const found = fs.readdirSync(stacks, { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === `${stackName}.json`);
  expect(found).toHaveLength(1);
  return fs.readFileSync(path.join(stacks, found[0]), "utf8");
}

/** Polls `read` until it returns `want` or the time is up; returns the last value read. */
async function eventually<T>(read: () => Promise<T>, want: T, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    last = await read();
  }
  return last;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function uniq<T>(v: T, i: number, a: T[]): boolean {
  return a.indexOf(v) === i;
}
