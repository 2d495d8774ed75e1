/**
 * The stack program: reads stack config and deploys the app onto one host over SSH.
 *
 * Stand-in until the components land: it ships the app, builds a venv with pip and runs the app
 * under a hardened systemd unit, each step a real `@pulumi/command` remote command.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { shellQuote } from "./components/quote";

const config = new pulumi.Config();
const connection: command.types.input.remote.ConnectionArgs = {
  host: config.require("host"),
  port: config.getNumber("port") ?? 22,
  user: config.get("user") ?? "deploy",
  privateKey: config.requireSecret("privateKey"),
};
const appDir = path.resolve(config.get("appDir") ?? path.join(__dirname, "examples", "app"));
const entry = config.get("entry") ?? "sample:create_app()";

/** Every file of the app directory, path → base64 content, in a stable order. */
function readTree(dir: string, prefix = ""): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith(".") || name === "__pycache__" || name === "venv") continue;
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (fs.statSync(full).isDirectory()) Object.assign(files, readTree(full, rel));
    else files[rel] = fs.readFileSync(full).toString("base64");
  }
  return files;
}

// Files travel on stdin; the unpacker writes them below /srv/flaskapp/app.
const unpack = [
  "import json, os, sys, base64",
  "files = json.load(sys.stdin)",
  "for rel, data in files.items():",
  "    dst = os.path.join('/srv/flaskapp/app', rel)",
  "    os.makedirs(os.path.dirname(dst), exist_ok=True)",
  "    open(dst, 'wb').write(base64.b64decode(data))",
].join("\n");
const app = new command.remote.Command("app-files", {
  connection,
  create: `sudo rm -rf /srv/flaskapp/app && sudo mkdir -p /srv/flaskapp/app && sudo python3 -c ${shellQuote(unpack)}`,
  stdin: JSON.stringify(readTree(appDir)),
  delete: "sudo rm -rf /srv/flaskapp",
});

const venv = new command.remote.Command("venv", {
  connection,
  create:
    "sudo python3 -m venv /srv/flaskapp/venv && " +
    "sudo /srv/flaskapp/venv/bin/pip install --quiet -r /srv/flaskapp/app/requirements.txt gunicorn",
  triggers: [app.stdin],
}, { dependsOn: [app] });

const unit = `[Unit]
Description=flaskstack sample app
After=network.target

[Service]
DynamicUser=yes
WorkingDirectory=/srv/flaskapp/app
ExecStart=/srv/flaskapp/venv/bin/gunicorn --bind 0.0.0.0:80 --workers 2 ${shellQuote(entry)}
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=always

[Install]
WantedBy=multi-user.target
`;
const service = new command.remote.Command("service", {
  connection,
  create: "sudo tee /etc/systemd/system/flaskapp.service >/dev/null && sudo systemctl daemon-reload && sudo systemctl enable --quiet flaskapp && sudo systemctl restart flaskapp",
  stdin: unit,
  triggers: [venv.id],
  delete: "sudo systemctl disable --now --quiet flaskapp; sudo rm -f /etc/systemd/system/flaskapp.service; sudo systemctl daemon-reload",
}, { dependsOn: [venv] });

export const url = pulumi.interpolate`http://${connection.host}:${config.getNumber("httpPort") ?? 80}/`;
export const deployed = service.id;
