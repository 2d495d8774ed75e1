import * as pulumi from "@pulumi/pulumi";
import { FlaskApp, Host, packagesFor, SupervisorProgram } from "flaskstack";

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
  environment: { CELERY_BROKER_URL: config.requireSecret("brokerUrl") },
});

// A Celery worker for the same app (celery in its requirements.txt, tasks in sample/tasks.py): same
// user, code and environment file as the web server. TERM is Celery's warm shutdown, so running tasks
// get up to ten minutes to finish before supervisor kills it.
const worker = new SupervisorProgram("sample-worker", {
  host,
  name: "sample-worker",
  command: app.withEnvironment([`${app.app.venvDir}/bin/celery`, "--app", "sample.tasks", "worker", "--loglevel", "INFO", "--concurrency", "2"]),
  user: app.app.user,
  directory: app.app.appDir,
  logDir: app.app.logDir, // /var/log/sample/sample-worker.{out,err}.log
  stopsignal: "TERM",
  stopwaitsecs: 600,
  startsecs: 10,
  dependsOn: [app.ready],
});

export const programConfig = worker.configPath; // /etc/supervisor/conf.d/sample-worker.conf
