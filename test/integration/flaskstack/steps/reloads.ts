/**
 * Reloads and restarts of the running server, and releases it refuses or sends back: a changed
 * environment, a variable read at process start, an entry that does not load, a health path that fails,
 * a broken nginx site, a changed listener.
 */
import * as fs from "fs";
import * as path from "path";
import { sshExec } from "../../../hosts/harness";
import { get, getUntil, SAMPLE_LOAD, underLoad } from "../../http";
import { expectLoad } from "../../loadLog";
import { CaseContext, SECRET, STEP } from "../cases";

export function reloadSteps(ctx: CaseContext): void {
  const { c, printed } = ctx;
  it(
    "applies a changed environment with the server's graceful reload (Waitress: a restart), under load, and serves the new value",
    async () => {
      const { host, stack, url } = ctx;
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
    "restarts the server when a variable read at process start changes, through a standby (on a unix socket no request failing; on TCP nginx's backup while the port is closed)",
    async () => {
      const { host, stack, url } = ctx;
      const before = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
      await stack.setConfig("environment", {
        value: JSON.stringify({ GREETING: "Hello again", API_TOKEN: SECRET, PYTHONDONTWRITEBYTECODE: "1" }),
        secret: true,
      });
      const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
      if (result.status === "rejected") throw result.reason;
      const up = result.value;
      printed.push(up.stdout + up.stderr);
      // The restart goes through a standby instance on the handoff socket. On TCP a POST the port holds
      // at the instant it closes can fail (README): measured and reported there, held to zero on a socket.
      expectLoad("change", c.label, "a variable read at process start (restart)", load, c.upstream.socket !== undefined);
      expect(up.stdout).toContain("sample: restart (a variable read at process start changed)");
      expect(up.stdout + up.stderr).toMatch(/starting the standby sample-handoff on \/run\/sample\/\S+-handoff\.sock/);
      await getUntil(`${url}/`, (a) => a.status === 200 && a.body.includes("Hello again"));
      expect((await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim()).not.toBe(before);
    },
    STEP,
  );

  it(
    "refuses a release whose entry does not load: up fails with the app's own error, no request fails",
    async () => {
      const { host, stack, url } = ctx;
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
        const { host, stack, url, appDir } = ctx;
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
        const { host, stack, url, appDir } = ctx;
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
      const { host, stack, url } = ctx;
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
  const toSocket = { upstream: "unix:/run/sample/gunicorn.sock", movedTo: "/run/sample/gunicorn.sock", serves: /gunicorn/ };
  const switchTo: { what: string; config: Record<string, string>; upstream: string; movedTo: string; serves: RegExp } | undefined =
    c.server === "uwsgi"
      ? { what: "server switched (uWSGI → Gunicorn)", config: { server: "gunicorn" }, ...toSocket }
      : c.server !== "gunicorn"
        ? undefined
        : c.config?.gunicornBind === "tcp"
          ? { what: "Gunicorn bind (TCP → unix socket)", config: { gunicornBind: "unix" }, ...toSocket }
          : // Onto a port: the standby serves as the port's backup in nginx until the program binds it.
            {
              what: "Gunicorn bind (unix socket → TCP)",
              config: { gunicornBind: "tcp" },
              upstream: "127.0.0.1:8000",
              movedTo: "127.0.0.1:8000",
              serves: /gunicorn/,
            };
  if (switchTo)
    it(
      `applies a changed listener (${switchTo.what}) beside the old one: nginx moves, then the old one goes, no request failing`,
      async () => {
        const { host, stack, url } = ctx;
        const before = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();
        await stack.setAllConfig(Object.fromEntries(Object.entries(switchTo.config).map(([k, v]) => [k, { value: v }])));
        const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
        if (result.status === "rejected") throw result.reason;
        const up = result.value;
        printed.push(up.stdout + up.stderr);
        expectLoad("change", c.label, switchTo.what, load, true);
        expect(up.stderr + up.stdout).toContain(`the site has moved to ${switchTo.movedTo}`);
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
}
