/**
 * Under load after the first up: the server killed with -9, a second up with nothing to do, one setting
 * changed, a failed up that converges once the old config is back, and new code as a new release.
 */
import * as fs from "fs";
import * as path from "path";
import { sshExec } from "../../../hosts/harness";
import { get, getUntil, SAMPLE_LOAD, underLoad } from "../../http";
import { expectLoad } from "../../loadLog";
import { CaseContext, STEP, workerCount } from "../cases";
import { acceptedLogins, escape, eventually, resourcesWith, uniq } from "../helpers";

export function changeSteps(ctx: CaseContext): void {
  const { c, printed } = ctx;
  it(
    "survives being killed (the master, then all workers, with -9) under load: back without a hand on the host",
    async () => {
      const { host, url } = ctx;
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
      const { host, stack } = ctx;
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
      const { host, stack, url } = ctx;
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
        const { host, stack, url } = ctx;
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
      const { host, stack, url, appDir } = ctx;
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
}
