/**
 * A Flask app on a cloud VM reached over SSH as its default sudo user: Gunicorn (workers from the
 * VM's cores and memory) behind nginx, with TLS from a certificate already on the VM when given.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, GunicornService, Host, NginxSite, packagesFor } from "flaskstack";

const config = new pulumi.Config();
const certificate = config.get("tlsCertificate");
const key = config.get("tlsKey");

const vm = new Host("vm", {
  address: config.require("host"),
  port: config.getNumber("port") ?? 22,
  user: config.get("user") ?? "deploy",
  privateKey: config.requireSecret("privateKey"),
  packages: packagesFor({}),
});

const app = new FlaskApp("app", {
  host: vm,
  name: "sample",
  source: path.resolve(config.get("appDir") ?? path.join(__dirname, "..", "app")),
  entry: "sample:create_app()",
  wsgiServers: ["gunicorn"],
  environment: config.getSecretObject<Record<string, string>>("environment") ?? {},
});

const gunicorn = new GunicornService("gunicorn", { app, workers: config.getNumber("workers") });

new NginxSite("site", {
  host: vm,
  name: "sample",
  upstreams: [gunicorn],
  serverNames: config.getObject<string[]>("domains") ?? ["_"],
  defaultServer: true,
  staticLocations: [{ urlPath: "/static/", dir: `${app.app.appDir}/sample/static/`, expires: "7d" }],
  ...(certificate && key ? { tls: { certificatePath: certificate, keyPath: key } } : {}),
});

export const url = `http${certificate ? "s" : ""}://${config.require("host")}/`;
