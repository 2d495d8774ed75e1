import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, Host, packagesFor, UwsgiService } from "flaskstack";

const config = new pulumi.Config();
const host = new Host("web-1", {
  address: "203.0.113.10",
  user: "deploy",
  privateKey: config.requireSecret("sshPrivateKey"),
  packages: packagesFor({ uwsgiFromApt: true }),
});
const app = new FlaskApp("sample", { host, name: "sample", source: "examples/app", entry: "sample:create_app()" });

// uWSGI from Debian on its default unix socket (/run/sample/sample.sock, group www-data, mode 660),
// ready for NginxSite. Worker processes default from the host's cores and memory. With lazyApps,
// new code is rolled out by a chain reload: one worker at a time, no dropped request.
const uwsgi = new UwsgiService("sample-uwsgi", {
  app,
  source: "apt", // one thread per worker: Debian's uWSGI reloads threaded workers with an occasional stall
  lazyApps: true,
  harakiri: 60,
  maxRequests: 5000,
  stats: { kind: "unix" }, // /run/sample/stats.sock, for uwsgitop
});

export const listener = uwsgi.listener; // { protocol: "uwsgi", address: { kind: "unix", path: "/run/sample/sample.sock", … } }
export const ini = uwsgi.config;
