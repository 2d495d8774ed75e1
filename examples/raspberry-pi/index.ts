/**
 * A Flask app on a Raspberry Pi, reached over SSH as user `pi` with a key — the classic guide's
 * stack, declared: nginx in front, uWSGI from apt (`uwsgi-core` + `uwsgi-plugin-python3`, so
 * `plugins = python3`) or Gunicorn from pip, supervisor keeping it alive.
 *
 * Worker counts come from the Pi's own facts (cores and memory), and pip prefers prebuilt wheels,
 * optionally from an extra index of ARM wheels.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, GunicornService, Host, NginxSite, packagesFor, UwsgiService, WsgiService } from "flaskstack";

const config = new pulumi.Config();
const server = config.get("server", { allowedValues: ["uwsgi", "gunicorn"] }) ?? "uwsgi";
const extraIndexUrl = config.get("extraIndexUrl");

const pi = new Host("pi", {
  address: config.require("host"),
  port: config.getNumber("port") ?? 22,
  user: config.get("user") ?? "pi",
  privateKey: config.requireSecret("privateKey"),
  packages: packagesFor({ uwsgiFromApt: server === "uwsgi" }),
});

const app = new FlaskApp("app", {
  host: pi,
  name: "sample",
  source: path.resolve(config.get("appDir") ?? path.join(__dirname, "..", "app")),
  entry: "sample:create_app()",
  wsgiServers: server === "gunicorn" ? ["gunicorn"] : [],
  pip: { extraIndexUrls: extraIndexUrl ? [extraIndexUrl] : [] },
});

const service: WsgiService = server === "uwsgi" ? new UwsgiService("uwsgi", { app, source: "apt" }) : new GunicornService("gunicorn", { app });

new NginxSite("site", {
  host: pi,
  name: "sample",
  upstreams: [service],
  defaultServer: true,
  staticLocations: [{ urlPath: "/static/", dir: `${app.app.appDir}/sample/static/` }],
});

export const url = `http://${config.require("host")}${config.get("publicHttpPort") ? `:${config.get("publicHttpPort")}` : ""}/`;
export const facts = pi.facts;
