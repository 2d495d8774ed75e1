import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, Host, packagesFor, WaitressService } from "flaskstack";

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
  wsgiServers: ["waitress"],
});

// Waitress (pure Python, one process) on its unix socket, trusting nginx's X-Forwarded-* headers.
// Its settings are command-line flags, so a change restarts it: through a standby on the handoff
// socket, which serves meanwhile.
const waitress = new WaitressService("sample-waitress", {
  app,
  threads: 8,
  channelTimeout: 60,
  stopWaitSecs: 20,
});

export const listener = waitress.listener;
export const argv = waitress.argv; // [/srv/sample/venv/bin/waitress-serve, --unix-socket=/run/sample/waitress.sock, …]
