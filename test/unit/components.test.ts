/**
 * The components' resource graph and validation under `pulumi.runtime.setMocks` (no engine, no host):
 * every remote command is a child of a flaskstack component, names derive from the component name,
 * fact-based defaults reach the rendered files, and bad input throws a ResourceError naming the
 * argument before any child exists.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

const FACTS_STDOUT = "arch=aarch64\ncores=4\nmemoryKb=1048576\nosId=debian\nosVersionId=12\ninitSystem=systemd\npythonVersion=3.11.2\n";

pulumi.runtime.setMocks(
  {
    newResource: (args) => ({
      id: `${args.name}-id`,
      // The facts probe answers like a Pi 3 (4 cores, 1 GiB); other commands print nothing.
      state: { ...args.inputs, stdout: args.name.endsWith("-facts") ? FACTS_STDOUT : "", stderr: "" },
    }),
    call: (args) => args.inputs,
  },
  "flaskstack",
  "unit",
  false,
);

import { FlaskApp, GunicornService, Host, NginxSite, packagesFor, UwsgiService, WaitressService } from "../../components";

const SAMPLE_APP = path.resolve(__dirname, "..", "..", "examples", "app");

interface Registered {
  type: string;
  name: string;
  parent: string | undefined;
}

/** Records every resource registered below the components it is given to. */
function recorder(): { seen: Registered[]; opts: pulumi.ComponentResourceOptions } {
  const seen: Registered[] = [];
  const transformation: pulumi.ResourceTransformation = (a) => {
    seen.push({ type: a.type, name: a.name, parent: (a.opts.parent as { __name?: string } | undefined)?.__name });
    return undefined;
  };
  return { seen, opts: { transformations: [transformation] } };
}

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

function newHost(name = "pi", opts?: pulumi.ComponentResourceOptions): Host {
  return new Host(name, { address: "192.0.2.10", user: "pi", privateKey: "key", packages: packagesFor({ uwsgiFromApt: true }) }, opts);
}

function newApp(host: Host, extra: Partial<ConstructorParameters<typeof FlaskApp>[1]> = {}, opts?: pulumi.ComponentResourceOptions): FlaskApp {
  return new FlaskApp("app", { host, name: "sample", source: SAMPLE_APP, entry: "sample:create_app()", ...extra }, opts);
}

describe("the resource graph", () => {
  it("GIVEN a whole uWSGI stack WHEN built THEN every command is a child of a flaskstack component, named after it", async () => {
    const { seen, opts } = recorder();
    const host = newHost("pi", opts);
    const app = newApp(host, {}, opts);
    const uwsgi = new UwsgiService("uwsgi", { app, source: "apt" }, opts);
    new NginxSite("site", { host, name: "sample", upstreams: [uwsgi] }, opts);
    await value(uwsgi.config);

    const commands = seen.filter((r) => r.type === "command:remote:Command");
    expect(commands).toHaveLength(17);
    for (const c of commands) {
      expect(c.parent).toBeDefined();
      // Child names are derived from the component name: `<component>-<role>`.
      expect(c.name.startsWith(`${c.parent}-`)).toBe(true);
    }
    expect(commands.map((c) => c.name).sort()).toEqual(
      expect.arrayContaining([
        "app-activate",
        "app-check",
        "app-env",
        "app-release",
        "app-venv",
        "pi-facts",
        "pi-packages",
        "site-probe",
        "site-reload",
        "site-site",
        "uwsgi-config",
        "uwsgi-program-conf",
        "uwsgi-program-update",
        "uwsgi-reload",
      ]),
    );
    // The code travels as a file copy, not as a command's input.
    expect(seen.filter((r) => r.type === "command:remote:CopyToRemote").map((r) => `${r.parent}/${r.name}`)).toEqual(["app/app-upload"]);
  });

  it("GIVEN host facts of a Pi 3 WHEN uWSGI has no `processes` THEN the ini gets the fact-based default", async () => {
    const host = newHost();
    const app = newApp(host);
    const uwsgi = new UwsgiService("uwsgi", { app, source: "apt" });
    const ini = await value(uwsgi.config);
    // 4 cores, 1 GiB: min(4 cores, 1024×0.5/60 = 8) = 4, each with Debian's uWSGI's one thread.
    expect(ini).toMatch(/^processes = 4$/m);
    expect(ini).toMatch(/^threads = 1$/m);
    expect(ini).toMatch(/^plugins = python3$/m);
    // What the host runs is an output; the settings resolved without the host hold no invented count.
    expect((await value(uwsgi.hostSettings)).processes).toBe(4);
    expect(await value(uwsgi.processes)).toBe(4);
    expect(uwsgi.settings.processes).toBeUndefined();
  });

  it("GIVEN host facts of a Pi 3 WHEN Gunicorn has no `workers` THEN hostSettings has the fact-based count the config renders", async () => {
    const host = newHost();
    const gunicorn = new GunicornService("gunicorn", { app: newApp(host, { wsgiServers: ["gunicorn"] }) });
    // 4 cores × 2, capped by memory: 1024×0.5/60 = 8.
    expect((await value(gunicorn.hostSettings)).workers).toBe(8);
    expect(await value(gunicorn.workers)).toBe(8);
    expect(gunicorn.settings.workers).toBeUndefined();
    expect(await value(gunicorn.config)).toMatch(/^workers = 8$/m);
  });

  it("GIVEN an explicit `processes` WHEN rendered THEN it wins over the facts", async () => {
    const host = newHost();
    const uwsgi = new UwsgiService("uwsgi", { app: newApp(host), source: "apt", processes: 3 });
    expect(await value(uwsgi.config)).toMatch(/^processes = 3$/m);
    expect([uwsgi.settings.processes, await value(uwsgi.processes)]).toEqual([3, 3]);
  });
});

describe("bad input", () => {
  type Build = (opts: pulumi.ComponentResourceOptions) => void;
  const cases: [string, Build, RegExp][] = [
    ["Host port out of range", (o) => new Host("h", { address: "x", port: 70000, privateKey: "k" }, o), /`port`/],
    ["Host user with a shell metacharacter", (o) => new Host("h", { address: "x", user: "pi;rm", privateKey: "k" }, o), /`user`/],
    ["Host package name with a space", (o) => new Host("h", { address: "x", privateKey: "k", packages: ["nginx extra"] }, o), /`packages\[0\]`/],
    ["FlaskApp entry without a callable", (o) => newApp(newHost(), { entry: "sample" }, o), /`entry`/],
    ["FlaskApp name with a quote", (o) => newApp(newHost(), { name: "it's" }, o), /`name`/],
    ["FlaskApp source that does not exist", (o) => newApp(newHost(), { source: "/nonexistent/app" }, o), /`source`/],
    ["FlaskApp running as root", (o) => newApp(newHost(), { user: "root" }, o), /`user` must not be root/],
    ["FlaskApp wsgiServers with an unknown server", (o) => newApp(newHost(), { wsgiServers: ["bjoern" as "gunicorn"] }, o), /`wsgiServers\[0\]`/],
    ["UwsgiService processes 0", (o) => new UwsgiService("u", { app: newApp(newHost()), source: "apt", processes: 0 }, o), /`processes`/],
    ["UwsgiService from pip without uWSGI in the venv", (o) => new UwsgiService("u", { app: newApp(newHost()), source: "pip" }, o), /wsgiServers/],
    ["GunicornService without Gunicorn in the venv", (o) => new GunicornService("g", { app: newApp(newHost()) }, o), /wsgiServers/],
    [
      "GunicornService unknown worker class",
      (o) => new GunicornService("g", { app: newApp(newHost(), { wsgiServers: ["gunicorn"] }), workerClass: "eventlet" as "sync" }, o),
      /`workerClass`/,
    ],
    [
      "WaitressService port 0",
      (o) => new WaitressService("w", { app: newApp(newHost(), { wsgiServers: ["waitress"] }), listen: { kind: "tcp", port: 0 } }, o),
      /`listen.port`/,
    ],
    [
      "NginxSite in front of uWSGI's own http router",
      (o) => {
        const uwsgi = new UwsgiService("u", { app: newApp(newHost()), source: "apt", socket: { kind: "http", port: 9090 } });
        new NginxSite("s", { host: uwsgi.flaskApp.host, name: "sample", upstreams: [uwsgi] }, o);
      },
      /http-socket/,
    ],
    [
      "NginxSite in front of a unix socket nginx may not open",
      (o) => {
        const uwsgi = new UwsgiService("u", { app: newApp(newHost()), source: "apt", socket: { kind: "uwsgi-unix", mode: 0o600 } });
        new NginxSite("s", { host: uwsgi.flaskApp.host, name: "sample", upstreams: [uwsgi] }, o);
      },
      /www-data/,
    ],
  ];

  it.each(cases)("GIVEN %s WHEN constructed THEN a ResourceError names it and no child exists", (_, build, message) => {
    const { seen, opts } = recorder();
    let error: unknown;
    try {
      build(opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(pulumi.ResourceError);
    expect((error as Error).message).toMatch(message);
    // Validation runs before any child resource: nothing is half-applied.
    expect(seen.filter((r) => r.type === "command:remote:Command")).toEqual([]);
  });
});
