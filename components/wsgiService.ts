/**
 * What the three WSGI service components share: a config file on the host, the server kept alive
 * by supervisor (running the app's environment wrapper), and the reload that follows a change.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostFacts, Listener } from "./config";
import { FlaskApp } from "./flaskApp";
import { shellCommand } from "./quote";
import { contentHash } from "./release/archive";
import { asRoot, managedFile } from "./remote";
import { SupervisorProgram } from "./supervisorProgram";

/** Facts used only to validate arguments while the real ones are unknown (first preview). */
export const VALIDATION_FACTS: HostFacts = {
  arch: "x86_64", cores: 1, memoryMb: 1024, osId: "debian", osVersionId: "12", initSystem: "systemd",
};

/** What every WSGI service exposes to NginxSite. */
export interface WsgiService extends pulumi.Resource {
  /** Protocol and address the server listens on. */
  readonly listener: Listener;
  /** The app it serves. */
  readonly flaskApp: FlaskApp;
  /** Done when the server runs the current config and code. */
  readonly ready: pulumi.Resource;
}

export interface SupervisedServerSpec {
  readonly app: FlaskApp;
  /** Program name in supervisor. */
  readonly program: string;
  /** Server config file (absent for servers configured on the command line). */
  readonly configFile?: { readonly path: string; readonly content: pulumi.Output<string> };
  readonly command: readonly string[];
  readonly processUser: string;
  readonly stopSignal: "TERM" | "INT" | "QUIT";
  readonly stopWaitSecs: number;
  /** Directories the server writes to, created owned by the app user. */
  readonly requiredDirs: readonly string[];
  /** Root script applied when the config file or the app version changed (e.g. a graceful reload). */
  readonly reloadScript: string;
  /** Root script applied when only the app version changed. @default `reloadScript` */
  readonly codeReloadScript?: string;
  /** Root script applied instead when one of these values changed (e.g. the bind address). */
  readonly restartOn?: readonly string[];
  /** Extra supervisor settings. */
  readonly autorestart?: boolean | "unexpected";
}

export interface SupervisedServer {
  readonly program: SupervisorProgram;
  readonly reload: command.remote.Command;
  readonly configFile?: command.remote.Command;
}

export function superviseServer(owner: pulumi.ComponentResource, name: string, spec: SupervisedServerSpec): SupervisedServer {
  const { app } = spec;
  const conn = app.host.connection;
  const ctx = app.app;
  const configFile = spec.configFile
    ? managedFile(
        `${name}-config`,
        conn,
        { path: spec.configFile.path, content: spec.configFile.content, owner: "root", group: ctx.group, mode: "0640" },
        { parent: owner, dependsOn: [app.ready] },
      )
    : undefined;

  const program = new SupervisorProgram(
    `${name}-program`,
    {
      host: app.host,
      name: spec.program,
      command: app.withEnvironment(spec.command),
      user: spec.processUser,
      directory: ctx.appDir,
      stopsignal: spec.stopSignal,
      stopwaitsecs: spec.stopWaitSecs,
      logDir: ctx.logDir,
      autorestart: spec.autorestart,
      // The run dir is FlaskApp's (tmpfiles.d recreates it at boot); the rest belongs to the server.
      directories: spec.requiredDirs.filter((p) => p !== ctx.runDir).map((p) => ({ path: p, owner: ctx.user, group: ctx.group, mode: "0750" })),
      dependsOn: [app.ready, ...(configFile ? [configFile] : [])],
    },
    { parent: owner },
  );

  // The action records what it applied in its stdout; on the next change the script compares that
  // with the previous run's stdout (PULUMI_COMMAND_STDOUT) to choose restart, reload or code reload.
  // The values travel as environment variables, so the scripts stay constant and the preview shows
  // just the value that changed.
  const configHash = spec.configFile ? spec.configFile.content.apply((c) => contentHash(c)) : pulumi.output("none");
  const ifRunning = (action: string) => `if supervisorctl status ${shellCommand([spec.program])} | grep -q RUNNING; then ${action}; fi`;
  const record = `printf '%s\\n' "restart-token $FLASKSTACK_RESTART_ON" "config-token $FLASKSTACK_CONFIG_SHA"`;
  const seen = (line: string) => `printf '%s\\n' "\${PULUMI_COMMAND_STDOUT:-}" | grep -Fxq "${line}"`;
  const update = [
    "{",
    `if ! ${seen("restart-token $FLASKSTACK_RESTART_ON")}; then`,
    `  ${asRoot(conn, ifRunning(shellCommand(["supervisorctl", "restart", spec.program])))}`,
    `elif ! ${seen("config-token $FLASKSTACK_CONFIG_SHA")}; then`,
    `  ${asRoot(conn, ifRunning(spec.reloadScript))}`,
    `else`,
    `  ${asRoot(conn, ifRunning(spec.codeReloadScript ?? spec.reloadScript))}`,
    `fi`,
    "} >&2",
    record,
  ].join("\n");
  const reload = new command.remote.Command(
    `${name}-reload`,
    {
      connection: conn.ssh,
      // On create the program was just started with the current files: only record them.
      create: record,
      update,
      environment: {
        FLASKSTACK_APP_VERSION: app.version,
        FLASKSTACK_CONFIG_SHA: configHash,
        // The environment is read once at start: a changed environment file needs a restart.
        FLASKSTACK_RESTART_ON: pulumi.interpolate`${(spec.restartOn ?? []).join(" ")} env=${app.environmentHash}`,
      },
      logging: "stderr",
    },
    { parent: owner, dependsOn: [program.ready] },
  );
  return { program, reload, configFile };
}

