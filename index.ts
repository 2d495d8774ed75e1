/**
 * The stack program: from stack config, the whole stack on one host over SSH — the app, its WSGI
 * server under supervisor, and nginx in front. See README.md ("The stack") for every config key.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, LocalSandbox, GunicornService, Host, NginxSite, packagesFor, UwsgiService, WaitressService, WsgiService } from "./components";

const config = new pulumi.Config();
const server = config.get("server", { allowedValues: ["uwsgi", "gunicorn", "waitress"] }) ?? "uwsgi";
const uwsgiSource = config.get("uwsgiSource", { allowedValues: ["apt", "pip"] }) ?? "apt";
const gunicornBind = config.get("gunicornBind", { allowedValues: ["unix", "tcp"] }) ?? "unix";
const appName = config.get("appName") ?? "sample";
// This file runs compiled, from bin/index.js (program.js): the project is the directory above it.
const projectDir = path.basename(__dirname) === "bin" ? path.dirname(__dirname) : __dirname;
const source = path.resolve(config.get("appDir") ?? path.join(projectDir, "examples", "app"));
const processes = config.getNumber("processes", { min: 1, max: 1024 });
const threads = config.getNumber("threads", { min: 1, max: 256 });
const healthPath = config.get("healthPath") ?? "/";
const healthTimeoutSecs = config.getNumber("healthTimeoutSecs", { min: 1, max: 3600 }) ?? 60;
const tlsCertificate = config.get("tlsCertificate");
const tlsKey = config.get("tlsKey");
if ((tlsCertificate === undefined) !== (tlsKey === undefined)) {
  throw new Error("config `tlsCertificate` and `tlsKey` go together: set both (paths on the host) or neither");
}

const packages = packagesFor({
  uwsgiFromApt: server === "uwsgi" && uwsgiSource === "apt",
  uwsgiFromPip: server === "uwsgi" && uwsgiSource === "pip",
});
// Without a `host`, the stack makes its own: a local sandbox container (needs Docker and the
// project's host image, see README "What the demo does").
const sandbox =
  config.get("host") === undefined
    ? new LocalSandbox("sandbox", { image: config.get("sandboxImage"), containerName: `flaskstack-${pulumi.getStack()}` })
    : undefined;
const host = new Host(
  "host",
  sandbox
    ? { address: sandbox.address, port: sandbox.sshPort, user: sandbox.user, privateKey: sandbox.privateKey, packages }
    : {
        address: config.require("host"),
        port: config.getNumber("port") ?? 22,
        user: config.get("user") ?? "root",
        privateKey: config.requireSecret("privateKey"),
        packages,
      },
);

const app = new FlaskApp("app", {
  host,
  name: appName,
  source,
  entry: config.get("entry") ?? "sample:create_app()",
  healthPath,
  wsgiServers: server === "uwsgi" ? (uwsgiSource === "pip" ? ["uwsgi"] : []) : [server as "gunicorn" | "waitress"],
  // The whole environment is read as a secret: it usually holds keys and passwords.
  environment: config.getSecretObject<Record<string, string>>("environment") ?? {},
});

let service: WsgiService;
switch (server) {
  case "uwsgi":
    service = new UwsgiService("uwsgi", { app, source: uwsgiSource as "apt" | "pip", processes, threads });
    break;
  case "gunicorn":
    service = new GunicornService("gunicorn", { app, bind: { kind: gunicornBind as "unix" | "tcp" }, workers: processes, threads });
    break;
  default:
    service = new WaitressService("waitress", { app, threads });
}

const staticDir = config.get("staticDir") ?? "sample/static";
const site = new NginxSite("site", {
  host,
  name: appName,
  upstreams: [service],
  serverNames: config.getObject<string[]>("domains") ?? ["_"],
  healthPath,
  healthTimeoutSecs,
  defaultServer: true,
  staticLocations: [{ urlPath: "/static/", dir: `${app.app.appDir}/${staticDir}/` }],
  ...(tlsCertificate && tlsKey ? { tls: { certificatePath: tlsCertificate, keyPath: tlsKey } } : {}),
});

const publicPort = config.getNumber("publicHttpPort") ?? 80;
export const url = sandbox
  ? pulumi.interpolate`http://127.0.0.1:${sandbox.httpPort}/`
  : pulumi.interpolate`http://${config.require("host")}${publicPort === 80 ? "" : `:${publicPort}`}/`;
/** The sandbox's published ports and login, when the stack made its own host. */
export const sandboxHost = sandbox
  ? {
      container: sandbox.containerName,
      address: sandbox.address,
      sshPort: sandbox.sshPort,
      httpPort: sandbox.httpPort,
      httpsPort: sandbox.httpsPort,
      user: sandbox.user,
    }
  : null;
export const sandboxPrivateKey = sandbox ? sandbox.privateKey : null;
export const serverKind = server;
export const release = app.releaseId;
export const nginxConfig = site.configPath;
