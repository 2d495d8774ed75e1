/** The first up, and what it leaves on the host: the site, its wiring and logs, the secrets kept out of sight, the app's own user. */
import * as fs from "fs";
import * as path from "path";
import { sshExec } from "../../../hosts/harness";
import { get, postJson } from "../../http";
import { CaseContext, SAMPLE_APP, SECRET, STEP } from "../cases";
import { readStateFile } from "../helpers";

export function deploySteps(ctx: CaseContext): void {
  const { c, printed, stackName } = ctx;
  let firstUpOutput = "";

  it(
    "deploys: nginx answers with the app's page and serves the static file itself",
    async () => {
      const { stack, url } = ctx;
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
      const { host } = ctx;
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
      const { host, url } = ctx;
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
      const { host } = ctx;
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
      const { host, url } = ctx;
      const health = JSON.parse((await get(`${url}/healthz`)).body) as { pid: number };
      const worker = await sshExec(host, `ps -o user= -p ${health.pid}`);
      expect(worker.stdout.trim()).toBe("sample");
      const all = await sshExec(host, 'ps -o user= -p "$(sudo -n supervisorctl pid sample)" --ppid "$(sudo -n supervisorctl pid sample)" | sort -u');
      expect(all.stdout.trim()).toBe("sample");
    },
    STEP,
  );
}
