/**
 * Shipping under load, and what goes wrong on the way: a disk that fills while a release is unpacked,
 * a new venv for changed requirements, SSH connections dropped while one is built, a changed nginx site.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { sshExec } from "../../../hosts/harness";
import { get, SAMPLE_LOAD, underLoad } from "../../http";
import { expectLoad } from "../../loadLog";
import { CaseContext, STEP } from "../cases";
import { docker, resourcesWith } from "../helpers";

export function shippingSteps(ctx: CaseContext): void {
  const { c, printed } = ctx;
  // A full disk is the same whatever serves behind it: once. releases/ goes onto a small filesystem
  // holding what it holds and 64 KiB more (a full disk, without filling this machine's), and the new
  // release carries a 1 MiB file.
  if (c.server === "uwsgi")
    it(
      "fails up with a clear error when the disk fills while a release is unpacked: nothing switched, no request failing; the next up completes",
      async () => {
        const { host, stack, url, appDir } = ctx;
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
        const { host, stack, url, appDir } = ctx;
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
        const { host, stack, url, appDir } = ctx;
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
        const { host, stack, url } = ctx;
        await stack.setConfig("domains", { value: JSON.stringify(["_", "shop.example.test"]) });
        const { result, load } = await underLoad(url, SAMPLE_LOAD, () => stack.up());
        if (result.status === "rejected") throw result.reason;
        printed.push(result.value.stdout + result.value.stderr);
        expectLoad("change", c.label, "nginx site (server_name)", load, true);
        expect((await sshExec(host, "sudo -n grep -c 'shop.example.test' /etc/nginx/sites-enabled/sample")).stdout.trim()).toBe("1");
      },
      STEP,
    );
}
