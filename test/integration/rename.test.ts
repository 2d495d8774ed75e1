/**
 * An ordinary refactor: every component of a deployed stack renamed (new resources, then the old
 * ones' deletes). The new resources write the same paths first; the old deletes must leave them,
 * and the site must keep serving throughout, under load.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import { FlaskApp, Host, NginxSite, packagesFor, UwsgiService } from "../../components";
import { sshExec, startHosts, TestHost } from "../hosts/harness";
import { get, getUntil, underLoad } from "./http";
import { inlineStack, tearDown, uniqueStackName } from "./stack";

const STEP = 10 * 60_000;
const SAMPLE_APP = path.resolve(__dirname, "..", "..", "examples", "app");

function program(h: TestHost, prefix: () => string): () => Promise<Record<string, unknown>> {
  return async () => {
    const p = prefix();
    const host = new Host(`${p}host`, {
      address: h.host,
      port: h.sshPort,
      user: h.user,
      privateKey: pulumi.secret(h.privateKey),
      packages: packagesFor({ uwsgiFromApt: true }),
    });
    const app = new FlaskApp(`${p}app`, { host, name: "sample", source: SAMPLE_APP, entry: "sample:create_app()", environment: { GREETING: "Renamed safely" } });
    const uwsgi = new UwsgiService(`${p}uwsgi`, { app, source: "apt", processes: 2 });
    new NginxSite(`${p}site`, { host, name: "sample", upstreams: [uwsgi], serverNames: ["_"], defaultServer: true, staticLocations: [{ urlPath: "/static/", dir: `${app.app.appDir}/sample/static/` }] });
    return {};
  };
}

describe("renaming every component of a deployed stack", () => {
  let host: TestHost;
  let stack: Stack;
  let prefix = "";
  const stackName = uniqueStackName("rename");

  beforeAll(async () => {
    [host] = await startHosts("vm", 1, { prefix: "rename" });
    stack = await inlineStack({ projectName: "flaskstack-rename", stackName, program: program(host, () => prefix) });
  }, 20 * 60_000);

  afterAll(() => tearDown({ stack, stackName, hosts: [host] }), STEP);

  it("keeps serving while the new resources take over and the old ones' deletes leave their paths alone", async () => {
    const url = `http://127.0.0.1:${host.httpPort}`;
    expect((await stack.up()).summary.result).toBe("succeeded");
    await getUntil(`${url}/`, (a) => a.status === 200 && a.body.includes("Renamed safely"));
    const masterBefore = (await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim();

    prefix = "web-";
    // Seen here about once in five runs, with 20-odd commands in flight: the official plugin's SSH
    // session ends with "EOF" after the command ran, before its exit status arrives. That is the
    // transport, not this behaviour: one more `up` finishes the job, and the load keeps counting.
    const { result, load } = await underLoad(url, ["/", "/healthz", "/static/style.css"], async () => {
      try {
        return await stack.up();
      } catch (e) {
        if (!/error: EOF: running /.test(String(e))) throw e;
        return stack.up();
      }
    });
    // On failure, the engine's own message (its last lines) is what the assertion shows.
    expect(result.status === "fulfilled" ? "fulfilled" : String(result.reason).slice(-4000)).toBe("fulfilled");
    // Every old resource is gone and every new one exists (however many `up`s that took).
    const names = ((await stack.exportStack()).deployment.resources as { urn: string }[]).map((r) => r.urn.split("::").pop() as string);
    expect(names.filter((n) => n.startsWith("web-")).length).toBeGreaterThan(15);
    expect(names.filter((n) => /^(host|app|uwsgi|site)(-|$)/.test(n))).toEqual([]);
    expect(load.samples).toEqual([]);
    expect(load.failed).toBe(0);

    // Everything the app needs is still there, and the same server runs it.
    const left = await sshExec(
      host,
      "sudo -n ls /srv/sample/current/sample/__init__.py /srv/sample/venv/bin/python /etc/sample/env /etc/sample/uwsgi.ini " +
        "/etc/supervisor/conf.d/sample.conf /etc/nginx/sites-enabled/sample && id -u sample >/dev/null && echo complete",
    );
    expect(left.stdout.trim().split("\n").pop()).toBe("complete");
    expect((await sshExec(host, "sudo -n supervisorctl pid sample")).stdout.trim()).toBe(masterBefore);
    const page = await get(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Renamed safely");

    // And a second up under the new names changes nothing.
    expect(Object.keys((await stack.up()).summary.resourceChanges ?? {})).toEqual(["same"]);
  }, 20 * 60_000);
});
