/**
 * A stack for the review-report tests: one host with a uWSGI app and a Gunicorn app behind nginx,
 * and one more site. Config `change` picks one change against the deployed base (see review.test.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, GunicornService, Host, NginxSite, packagesFor, UwsgiService } from "../../../components";

const config = new pulumi.Config();
const change = config.get("change") ?? "none";
const host = new Host("vm", {
  address: config.require("host"),
  port: config.requireNumber("port"),
  user: config.require("user"),
  privateKey: config.requireSecret("privateKey"),
  packages: packagesFor({ uwsgiFromApt: true }),
});

const environment: Record<string, pulumi.Input<string>> = { GREETING: "hello", API_TOKEN: config.requireSecret("apiToken") };
if (change === "environment") {
  environment.API_TOKEN = pulumi.secret("rotated-token");
  environment.FEATURE_FLAG = "on";
  delete environment.GREETING;
}
const shop = new FlaskApp("shop", {
  host,
  name: "shop",
  source: change === "code" || change === "requirements" ? config.require("changedAppDir") : config.require("appDir"),
  entry: "sample:create_app()",
  environment: pulumi.secret(environment),
});
const uwsgi = new UwsgiService("shop-uwsgi", { app: shop, source: "apt", processes: change === "uwsgi" ? 3 : 2 });
const blog = new FlaskApp("blog", { host, name: "blog", source: config.require("appDir"), entry: "sample:create_app()", wsgiServers: ["gunicorn"] });
const gunicorn = new GunicornService("blog-gunicorn", { app: blog, workers: 2, threads: 2, timeout: change === "gunicorn" ? 60 : 30 });

new NginxSite("shop-site", {
  host,
  name: "shop",
  upstreams: [uwsgi],
  serverNames: ["_"],
  defaultServer: true,
  staticLocations: [{ urlPath: "/static/", dir: `${shop.app.appDir}/sample/static/` }],
  clientMaxBodySize: change === "nginx" ? "20m" : undefined,
});
new NginxSite("blog-site", { host, name: "blog", upstreams: [gunicorn], serverNames: ["blog.test"] });
if (change !== "deleted-site") new NginxSite("extra-site", { host, name: "extra", upstreams: [gunicorn], serverNames: ["extra.test"] });
if (change === "new-site") new NginxSite("news-site", { host, name: "news", upstreams: [gunicorn], serverNames: ["news.test"] });
