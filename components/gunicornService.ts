/**
 * GunicornService: Gunicorn serving a FlaskApp, configured by a rendered `gunicorn.conf.py`, kept
 * alive by supervisor. A changed config or new code is applied with HUP (new workers start with the
 * new settings and code while the old ones finish their requests); a changed bind restarts it (onto its
 * unix socket behind an NginxSite: beside the old instance, which goes once nginx has moved).
 */
import * as pulumi from "@pulumi/pulumi";
import { GunicornArgs, gunicornOnHost, GunicornPlan, GunicornSettings, listenerToString, planGunicorn } from "./config";
import { FlaskApp } from "./flaskApp";
import { shellCommand } from "./quote";
import { gunicornBindLiteral, renderGunicornConf } from "./render";
import { SupervisedWsgiService, WsgiService } from "./wsgiService";

export interface GunicornServiceArgs extends GunicornArgs {
  /** The app to serve (its `wsgiServers` must include "gunicorn"). */
  readonly app: FlaskApp;
}

export class GunicornService extends SupervisedWsgiService implements WsgiService {
  /** The rendered gunicorn.conf.py (known once the host's facts are). */
  readonly config: pulumi.Output<string>;
  /**
   * Settings resolved from the arguments alone: every value but `workers`, which is here only when
   * given (else the host's facts decide it: see `workers` and `hostSettings`).
   */
  declare readonly settings: GunicornPlan;
  /** `settings` on the host (known once its facts are): what the rendered config says. */
  readonly hostSettings: pulumi.Output<GunicornSettings>;
  /** Worker processes on the host: the argument, or the default from its facts. */
  readonly workers: pulumi.Output<number>;

  constructor(name: string, args: GunicornServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { app, ...gunicornArgs } = args;
    super("flaskstack:index:GunicornService", name, app, (ctx) => planGunicorn(gunicornArgs, ctx), opts);
    this.requireInVenv("GunicornService", "Gunicorn", "gunicorn");
    const s = this.settings;
    this.hostSettings = app.host.facts.apply((facts) => gunicornOnHost(s, facts));
    this.workers = this.hostSettings.apply((h) => h.workers);
    this.config = this.hostSettings.apply(renderGunicornConf);
    this.supervise(
      name,
      {
        server: "gunicorn",
        // Gunicorn takes its working directory at start as the default of `chdir` and checks it again at
        // every HUP: started in `current`, it would exit at the first HUP after that release is deleted.
        // The base dir stays; the app is imported from `chdir` (`current`).
        directory: app.app.baseDir,
        reloadKind: "HUP",
        configFile: { path: s.configPath, content: this.config },
        command: s.command,
        instancePaths: [s.pidfile],
        // On TCP its standby binds the handoff socket instead (a unix bind, Gunicorn's default umask 0).
        ...(s.bind.kind === "tcp" && s.listener.handoff
          ? { standbyListen: [gunicornBindLiteral(s.bind), gunicornBindLiteral({ kind: "unix", path: s.listener.handoff.path, umask: 0 })] as const }
          : {}),
        reloadScript: shellCommand(["supervisorctl", "signal", "HUP", app.app.name]),
        // With the app preloaded in the master, a HUP does not import it again: its environment needs a restart.
        ...(s.preload ? { envReloadScript: "restart_server", envReloadKind: "restart" as const } : {}),
        restartOn: [listenerToString(s.listener)],
      },
      { config: this.config, hostSettings: this.hostSettings, workers: this.workers },
    );
  }
}
