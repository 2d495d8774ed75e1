import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, GunicornService, Host, packagesFor } from "flaskstack";

const config = new pulumi.Config();
const host = new Host("web-1", {
  address: "203.0.113.10",
  user: "deploy",
  privateKey: config.requireSecret("sshPrivateKey"),
  packages: packagesFor({}),
});
const app = new FlaskApp("sample", {
  host,
  name: "sample",
  source: "examples/app",
  entry: "sample:create_app()",
  wsgiServers: ["gunicorn"],
});

// Gunicorn on TCP, 5 workers of 4 threads (gthread is chosen because threads > 1). A changed setting
// or new code is a HUP; a changed bind restarts it.
const gunicorn = new GunicornService("sample-gunicorn", {
  app,
  bind: { kind: "tcp", host: "127.0.0.1", port: 8001 },
  workers: 5,
  threads: 4,
  timeout: 60,
  gracefulTimeout: 30,
  maxRequests: 2000,
  maxRequestsJitter: 200,
});

export const listener = gunicorn.listener; // { protocol: "http", address: { kind: "tcp", host: "127.0.0.1", port: 8001 } }
export const conf = gunicorn.config;
