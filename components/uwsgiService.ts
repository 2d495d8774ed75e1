/**
 * UwsgiService: uWSGI serving a FlaskApp, configured by a rendered `uwsgi.ini`, kept alive by
 * supervisor. A changed ini or new code is applied with a graceful reload (chain reload with
 * `lazyApps`), so no request is dropped.
 */
import * as pulumi from "@pulumi/pulumi";
import { planUwsgi, reloadCanStall, UwsgiArgs, uwsgiOnHost, UwsgiPlan, UwsgiSettings } from "./config";
import { FlaskApp } from "./flaskApp";
import { shellCommand } from "./quote";
import { renderUwsgiIni } from "./render";
import { SupervisedWsgiService, WsgiService } from "./wsgiService";

export interface UwsgiServiceArgs extends UwsgiArgs {
  /** The app to serve. */
  readonly app: FlaskApp;
}

export class UwsgiService extends SupervisedWsgiService implements WsgiService {
  /** The rendered ini (known once the host's facts are). */
  readonly config: pulumi.Output<string>;
  /**
   * Settings resolved from the arguments alone: every value but `processes`, which is here only when
   * given (else the host's facts decide it: see `processes` and `hostSettings`).
   */
  declare readonly settings: UwsgiPlan;
  /** `settings` on the host (known once its facts are): what the rendered config says. */
  readonly hostSettings: pulumi.Output<UwsgiSettings>;
  /** Worker processes on the host: the argument, or the default from its facts. */
  readonly processes: pulumi.Output<number>;

  constructor(name: string, args: UwsgiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { app, ...uwsgiArgs } = args;
    super("flaskstack:index:UwsgiService", name, app, (ctx) => planUwsgi(uwsgiArgs, ctx), opts);
    const s = this.settings;
    if (reloadCanStall(s)) {
      pulumi.log.warn(
        `threads = ${s.threads} with Debian's uWSGI (source "apt"): its graceful reload can stall every request for up to workerReloadMercy (${s.workerReloadMercy} s) now and then; use 1 thread (the default with apt) or source "pip"`,
        this,
      );
    }
    if (s.source === "apt") app.host.requirePackages(this, ["uwsgi-core", "uwsgi-plugin-python3"], 'UwsgiService with `source: "apt"`');
    else this.requireInVenv('UwsgiService with `source: "pip"`', "uWSGI", "uwsgi", ' (or use `source: "apt"`)');
    this.hostSettings = app.host.facts.apply((facts) => uwsgiOnHost(s, facts));
    this.processes = this.hostSettings.apply((h) => h.processes);
    this.config = this.hostSettings.apply(renderUwsgiIni);
    const fifo = shellCommand([s.masterFifo]);
    this.supervise(
      name,
      {
        server: "uwsgi",
        reloadKind: "graceful reload",
        codeReloadKind: s.lazyApps ? "chain reload" : "graceful reload",
        configFile: { path: s.configPath, content: this.config },
        command: s.command,
        instancePaths: [s.pidfile, s.masterFifo],
        // Through the master FIFO: `r` re-reads the ini and reloads gracefully; `c` replaces the
        // workers one at a time (lazy-apps), so some worker always serves.
        reloadScript: `echo r > ${fifo}`,
        codeReloadScript: `echo ${s.lazyApps ? "c" : "r"} > ${fifo}`,
        restartOn: [s.command.join(" ")],
      },
      { config: this.config, hostSettings: this.hostSettings, processes: this.processes },
    );
  }
}
