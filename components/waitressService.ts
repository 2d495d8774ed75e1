/**
 * WaitressService: Waitress (`waitress-serve`) serving a FlaskApp, kept alive by supervisor. Its
 * settings are command-line flags in the supervisor program, so a changed setting restarts it;
 * Waitress has no graceful reload, so new code restarts it too (requests in flight finish first:
 * supervisor stops it with INT and waits `stopWaitSecs`).
 */
import * as pulumi from "@pulumi/pulumi";
import { Listener, resolveWaitress, WaitressArgs, WaitressSettings } from "./config";
import { resourceError } from "./errors";
import { FlaskApp } from "./flaskApp";
import { renderWaitressArgv } from "./render";
import { LiveRelease } from "./remote";
import { superviseServer, WsgiService } from "./wsgiService";

export interface WaitressServiceArgs extends WaitressArgs {
  /** The app to serve (its `wsgiServers` must include "waitress"). */
  readonly app: FlaskApp;
}

export class WaitressService extends pulumi.ComponentResource implements WsgiService {
  readonly listener: Listener;
  readonly flaskApp: FlaskApp;
  readonly ready: pulumi.Resource;
  /** Changes whenever what the server runs changes (config, code, environment); the site probe follows it. */
  readonly revision: pulumi.Output<string>;
  readonly liveRelease: LiveRelease;
  /** Settings resolved with every default filled in. */
  readonly settings: WaitressSettings;
  /** The `waitress-serve` argv supervisor runs. */
  readonly argv: readonly string[];

  constructor(name: string, args: WaitressServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flaskstack:index:WaitressService", name, {}, opts);
    const { app, ...waitressArgs } = args;
    try {
      this.settings = resolveWaitress(waitressArgs, { app: app.app });
    } catch (e) {
      throw resourceError(e, this);
    }
    if (!app.wsgiServers.includes("waitress")) {
      throw new pulumi.ResourceError("WaitressService needs Waitress in the app's venv: add \"waitress\" to the FlaskApp's `wsgiServers`", this);
    }
    const s = this.settings;
    this.flaskApp = app;
    this.listener = s.listener;
    this.argv = renderWaitressArgv(s);
    const server = superviseServer(this, name, {
      app,
      server: "waitress",
      reloadKind: "restart",
      program: app.app.name,
      command: this.argv,
      settings: s,
      instancePaths: [],
      // The apply script's restart: through a standby on a unix socket, else supervisor's.
      reloadScript: "restart_server",
    });
    this.ready = server.reload;
    this.revision = server.revision;
    this.liveRelease = server.liveRelease;
    this.registerOutputs({ argv: this.argv });
  }
}
