import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, Host, NginxSite, packagesFor, UwsgiService } from "flaskstack";

const config = new pulumi.Config();
const host = new Host("web-1", {
  address: "203.0.113.10",
  user: "deploy",
  privateKey: config.requireSecret("sshPrivateKey"),
  packages: packagesFor({ uwsgiFromApt: true }),
});
const app = new FlaskApp("sample", { host, name: "sample", source: "examples/app", entry: "sample:create_app()" });
const uwsgi = new UwsgiService("sample-uwsgi", { app, source: "apt" });

// nginx in front of uWSGI's unix socket (uwsgi_pass, chosen from the service's listener), with TLS
// from certificates already on the host, plain HTTP redirected, and the static files served by
// nginx straight from the live release.
const site = new NginxSite("sample-site", {
  host,
  name: "sample",
  upstreams: [uwsgi],
  serverNames: ["example.com", "www.example.com"],
  defaultServer: true,
  tls: {
    certificatePath: "/etc/letsencrypt/live/example.com/fullchain.pem",
    keyPath: "/etc/letsencrypt/live/example.com/privkey.pem",
    hsts: { maxAgeSeconds: 31536000 },
  },
  staticLocations: [{ urlPath: "/static/", dir: `${app.app.appDir}/sample/static/`, expires: "7d" }],
  clientMaxBodySize: "20m",
  rateLimit: { ratePerSecond: 10 },
});

export const siteConfig = site.configPath; // /etc/nginx/sites-available/sample
export const url = "https://example.com/";
