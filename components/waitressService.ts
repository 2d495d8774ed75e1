/**
 * WaitressService: Waitress (`waitress-serve`) serving a FlaskApp, kept alive by supervisor. Its
 * settings are command-line flags in the supervisor program, so a changed setting restarts it;
 * Waitress has no graceful reload, so new code restarts it too (requests in flight finish first:
 * supervisor stops it with INT and waits `stopWaitSecs`).
 */
import * as pulumi from "@pulumi/pulumi";
import { resolveWaitress, WaitressArgs, WaitressSettings } from "./config";
import { FlaskApp } from "./flaskApp";
import { renderWaitressArgv } from "./render";
import { SupervisedWsgiService, WsgiService } from "./wsgiService";

export interface WaitressServiceArgs extends WaitressArgs {
  /** The app to serve (its `wsgiServers` must include "waitress"). */
  readonly app: FlaskApp;
}

export class WaitressService extends SupervisedWsgiService implements WsgiService {
  /** Settings resolved with every default filled in. */
  declare readonly settings: WaitressSettings;
  /** The `waitress-serve` argv supervisor runs. */
  readonly argv: readonly string[];

  constructor(name: string, args: WaitressServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { app, ...waitressArgs } = args;
    super("flaskstack:index:WaitressService", name, app, (ctx) => resolveWaitress(waitressArgs, ctx), opts);
    this.requireInVenv("WaitressService", "Waitress", "waitress");
    this.argv = renderWaitressArgv(this.settings);
    this.supervise(
      name,
      {
        server: "waitress",
        reloadKind: "restart",
        command: this.argv,
        instancePaths: [],
        // The apply script's restart: through a standby on a unix socket, else supervisor's.
        reloadScript: "restart_server",
      },
      { argv: this.argv },
    );
  }
}
