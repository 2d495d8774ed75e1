import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, Host, packagesFor } from "flaskstack";

const config = new pulumi.Config();
const host = new Host("web-1", {
  address: "203.0.113.10",
  user: "deploy",
  privateKey: config.requireSecret("sshPrivateKey"),
  packages: packagesFor({}),
});

// The code of examples/app ships as a release directory named by its content hash; the venv is
// rebuilt only when requirements.txt (or a server pin) changes.
const app = new FlaskApp("sample", {
  host,
  name: "sample", // user "sample", /srv/sample, /etc/sample/env, /run/sample, /var/log/sample
  source: "examples/app", // relative to the Pulumi project
  entry: "sample:create_app()",
  wsgiServers: ["gunicorn"],
  pip: { onlyBinary: true },
  environment: {
    GREETING: "Hello from web-1",
    SECRET_KEY: config.requireSecret("flaskSecretKey"), // stays secret in state and previews
  },
});

export const release = app.releaseId;
export const appDir = app.app.appDir; // /srv/sample/current
