/**
 * What the three WSGI service components share: a config file on the host, the server kept alive
 * by supervisor (running the app's environment wrapper), and the reload that follows a change.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import {
  AppResolveContext,
  handoffPath,
  Listener,
  ReloadKind,
  resolveSupervisorProgram,
  restartDescription,
  ServerProfile,
  SupervisedSettings,
  WsgiServerName,
} from "./config";
import { resolvedFor, resourceError } from "./errors";
import { FlaskApp } from "./flaskApp";
import { contentHash } from "./release/archive";
import {
  applyFilePath,
  frontedFilePath,
  handoffFunctions,
  switchPendingPath,
  replaceAll,
  sectionReplacements,
  applyScript,
  asRoot,
  LiveRelease,
  managedFile,
  remoteCommand,
  serverRecordPath,
  ServerStatePaths,
  startWrapperScript,
  storeAndRunScript,
  tagged,
  withTokens,
} from "./remote";
import { renderSupervisorProgram } from "./render";
import { SupervisorProgram, SupervisorProgramArgs } from "./supervisorProgram";

/** What every WSGI service exposes to NginxSite. */
export interface WsgiService extends pulumi.Resource {
  /** Protocol and address the server listens on. */
  readonly listener: Listener;
  /** The app it serves. */
  readonly flaskApp: FlaskApp;
  /** Done when the server runs the current config and code. */
  readonly ready: pulumi.Resource;
  /** Changes whenever what the server runs changes (config, code, environment; secret when the environment is). */
  readonly revision: pulumi.Output<string>;
  /** The release it should run and how to apply another: a site's probe converges to it, or goes back from it. */
  readonly liveRelease: LiveRelease;
}

export interface SupervisedServerSpec {
  readonly app: FlaskApp;
  /** Which server it is, and how its reload scripts apply a change (for the review report). */
  readonly server: ServerProfile["server"];
  readonly reloadKind: ReloadKind;
  /** @default `reloadKind` */
  readonly codeReloadKind?: ReloadKind;
  /** @default `reloadKind` */
  readonly envReloadKind?: ReloadKind;
  /** Program name in supervisor. */
  readonly program: string;
  /** Server config file (absent for servers configured on the command line). */
  readonly configFile?: { readonly path: string; readonly content: pulumi.Output<string> };
  readonly command: readonly string[];
  /** How supervisor runs it and where nginx reaches it (on a unix socket with a handoff socket, a restart goes through a standby). */
  readonly settings: SupervisedSettings;
  /**
   * The directory supervisor starts it in. @default the app dir (`current`), which then stays the
   * process's working directory: the release it pointed to at start, deleted after the next deploy.
   */
  readonly directory?: string;
  /** Root script applied when the config file or the app version changed (e.g. a graceful reload). */
  readonly reloadScript: string;
  /** Root script applied when only the app version changed. @default `reloadScript` */
  readonly codeReloadScript?: string;
  /** Root script applied when the environment changed. @default `reloadScript` */
  readonly envReloadScript?: string;
  /** Values whose change restarts the server (e.g. the bind address): they are part of its command. */
  readonly restartOn?: readonly string[];
  /** Paths besides its unix socket that only one running instance may use (pid file, FIFO): the standby gets its own. */
  readonly instancePaths: readonly string[];
  /**
   * How the config file names the listener, and what the standby's copy names instead (its handoff
   * socket). @default the unix socket's path and the handoff socket's; a TCP listener without it has no standby
   */
  readonly standbyListen?: readonly [string, string];
}

export interface SupervisedServer {
  readonly program: SupervisorProgram;
  readonly reload: command.remote.Command;
  readonly revision: pulumi.Output<string>;
  readonly configFile?: command.remote.Command;
  readonly liveRelease: LiveRelease;
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

  const paths: ServerStatePaths = {
    program: spec.program,
    record: serverRecordPath(ctx.runDir, spec.program),
    envFile: app.envFile,
    configFile: spec.configFile?.path,
    baseDir: ctx.baseDir,
  };
  // The restart token is an argument of the program's command: when it changes, supervisor sees a
  // changed program and restarts it.
  const restartToken = (spec.restartOn ?? []).join(" ") || "-";
  const programArgs: SupervisorProgramArgs = {
    host: app.host,
    name: spec.program,
    command: ["/bin/sh", "-c", startWrapperScript(paths), "flaskstack-env", restartToken, ...spec.command],
    user: spec.settings.processUser,
    directory: spec.directory ?? ctx.appDir,
    stopsignal: spec.settings.stopSignal,
    stopwaitsecs: spec.settings.stopWaitSecs,
    logDir: ctx.logDir,
  };
  let handoff: string | undefined;
  let startWaitSecs: number;
  const onPort = spec.settings.listener.address.kind === "tcp";
  try {
    const settings = resolveSupervisorProgram(programArgs);
    startWaitSecs = Math.max(10, settings.startsecs * 4 + 10);
    handoff = standbyFunctions(spec, programArgs, settings.stderrLogfile, startWaitSecs, owner);
  } catch (e) {
    throw resourceError(e, owner);
  }
  const program = new SupervisorProgram(
    `${name}-program`,
    {
      ...programArgs,
      // The run dir is FlaskApp's (tmpfiles.d recreates it at boot); the rest belongs to the server.
      directories: spec.settings.requiredDirs.filter((p) => p !== ctx.runDir).map((p) => ({ path: p, owner: ctx.user, group: ctx.group, mode: "0750" })),
      dependsOn: [app.ready, ...(configFile ? [configFile] : [])],
      handoff,
      ...(handoff && onPort ? { handoffKind: "port" as const } : {}),
    },
    { parent: owner },
  );

  // Runs when the config, the code or the environment changed: the script compares what the server
  // started with (recorded on the host) with the files now on disk and restarts, reloads or does
  // nothing. The tokens make the preview show which one changed; the environment's (secret when any
  // value is) goes on stdin.
  const configHash = spec.configFile ? spec.configFile.content.apply((c) => contentHash(c)) : pulumi.output("none");
  const profile: ServerProfile = {
    program: spec.program,
    server: spec.server,
    reload: spec.reloadKind,
    codeReload: spec.codeReloadKind ?? spec.reloadKind,
    envReload: spec.envReloadKind ?? spec.reloadKind,
    startSecs: program.settings.startsecs,
    ...(handoff ? { handoff: onPort ? ("port" as const) : true } : {}),
  };
  const applyFile = applyFilePath(ctx.configDir, spec.program);
  // The tokens are the apply's decision inputs (config/actions.ts): the report reads them.
  const script = withTokens(
    tagged(
      conn,
      { kind: "server", profile },
      {
        config: configHash,
        code: app.version,
        environment: app.environmentFingerprint,
        "start-environment": app.startEnvironmentFingerprint,
      },
    ),
    asRoot(
      conn,
      storeAndRunScript(
        applyFile,
        applyScript({
          paths,
          reloadScript: spec.reloadScript,
          codeReloadScript: spec.codeReloadScript,
          envReloadScript: spec.envReloadScript,
          startWaitSecs,
          stderrLog: program.settings.stderrLogfile,
          handoff,
        }),
      ),
    ),
  );
  const reload = remoteCommand(
    `${name}-reload`,
    conn,
    {
      create: script,
      update: script,
      // The files' write nonces (unknown in a preview that rewrites them) stay off the command text, so
      // the preview still shows the tokens above as a line diff: the server is brought up to date after
      // every write of its config or environment file.
      stdin: pulumi.interpolate`environment ${app.environmentHash}\n${app.environmentWritten}\nconfig ${configFile ? configFile.stdout : "none"}\n`,
      logging: "stdoutAndStderr",
    },
    { parent: owner, dependsOn: [program.ready] },
  );
  // Its reload's output ends with a fresh nonce: whatever the reload did, the site probe runs after it.
  const revision = pulumi.all([configHash, app.version, app.environmentHash, reload.stdout]).apply((parts) => contentHash(...parts, program.config));
  const liveRelease: LiveRelease = {
    baseDir: ctx.baseDir,
    releaseId: app.releaseId,
    venvId: app.venvId,
    applyFile,
    frontedFile: frontedFilePath(ctx.configDir, spec.program),
    logFile: program.settings.stderrLogfile,
    envFile: app.envFile,
  };
  return { program, reload, configFile, revision, liveRelease };
}

/**
 * A WSGI service component: settings resolved from its arguments (each server declares their type),
 * the outputs NginxSite reads, and its server run by supervisor (`supervise`, once the component has
 * derived what the server needs from its settings).
 */
export abstract class SupervisedWsgiService extends pulumi.ComponentResource implements WsgiService {
  readonly listener: Listener;
  readonly flaskApp: FlaskApp;
  readonly ready!: pulumi.Resource;
  /** Changes whenever what the server runs changes (config, code, environment); the site probe follows it. */
  readonly revision!: pulumi.Output<string>;
  readonly liveRelease!: LiveRelease;
  /** Settings resolved from the arguments. */
  readonly settings: SupervisedSettings;

  /** `type` is the component's type token; `resolve` resolves (and validates) its arguments for the app. */
  protected constructor(
    type: string,
    name: string,
    app: FlaskApp,
    resolve: (ctx: AppResolveContext) => SupervisedSettings,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    this.settings = resolvedFor(this, () => resolve({ app: app.app }));
    this.flaskApp = app;
    this.listener = this.settings.listener;
  }

  /** Fails unless the app's venv installs the server: `who` needs `label`, listed as `server` in the FlaskApp's `wsgiServers`. */
  protected requireInVenv(who: string, label: string, server: WsgiServerName, otherwise = ""): void {
    if (!this.flaskApp.wsgiServers.includes(server)) {
      throw new pulumi.ResourceError(`${who} needs ${label} in the app's venv: add "${server}" to the FlaskApp's \`wsgiServers\`${otherwise}`, this);
    }
  }

  /** Runs the server under supervisor as `spec` says (program: the app's name) and registers `outputs`. */
  protected supervise(name: string, spec: Omit<SupervisedServerSpec, "app" | "program" | "settings">, outputs: pulumi.Inputs): void {
    const app = this.flaskApp;
    const server = superviseServer(this, name, { ...spec, app, program: app.app.name, settings: this.settings });
    // Set here, not in the constructor: the server needs what each component derives from its settings.
    Object.assign<this, Pick<WsgiService, "ready" | "revision" | "liveRelease">>(this, {
      ready: server.reload,
      revision: server.revision,
      liveRelease: server.liveRelease,
    });
    this.registerOutputs(outputs);
  }
}

/**
 * The handoff functions of a server with a handoff socket (else undefined): its standby is the same
 * program under `<program>-handoff`, started from a copy of the config file in which the instance
 * paths are the standby's own and the listener is the handoff socket (`standbyListen`).
 */
function standbyFunctions(
  spec: SupervisedServerSpec,
  programArgs: SupervisorProgramArgs,
  serverLog: string,
  startWaitSecs: number,
  owner: pulumi.Resource,
): string | undefined {
  const { listener } = spec.settings;
  const { address, handoff } = listener;
  const listenPair = spec.standbyListen ?? (address.kind === "unix" && handoff ? ([address.path, handoff.path] as const) : undefined);
  if (!handoff || !listenPair) return undefined;
  const replacements = [listenPair, ...spec.instancePaths.map((p) => [p, handoffPath(p)] as const)];
  const copy = spec.configFile ? handoffPath(spec.configFile.path) : undefined;
  const pathPairs = [...(spec.configFile && copy ? [[spec.configFile.path, copy] as const] : []), ...replacements];
  const standby = resolveSupervisorProgram({
    ...programArgs,
    name: `${spec.program}-handoff`,
    command: programArgs.command.map((arg) => replaceAll(arg, pathPairs)),
    autostart: false,
    autorestart: false,
  });
  // The standby's section is made on the host from the program's file, by exact replacements that
  // no setting changes: a changed setting then changes the program's file, not this script.
  const programSettings = resolveSupervisorProgram(programArgs);
  const pairs = sectionReplacements(
    { name: spec.program, text: renderSupervisorProgram(programSettings) },
    { name: standby.name, text: renderSupervisorProgram(standby) },
    pathPairs,
  );
  if (!pairs) {
    // Only a renderer change can get here: say so in the preview rather than drop requests unannounced.
    pulumi.log.warn(
      `no standby for ${spec.program}: its supervisor section and the standby's differ by more than names and paths, so a restart is supervisor's (${restartDescription(programSettings.startsecs, false)})`,
      owner,
    );
    return undefined;
  }
  return handoffFunctions({
    program: spec.program,
    standby: standby.name,
    programFile: `/etc/supervisor/conf.d/${spec.program}.conf`,
    sectionReplacements: pairs,
    sectionFile: `/etc/supervisor/conf.d/${standby.name}.conf`,
    listen: address,
    handoffSocket: handoff.path,
    configFile: spec.configFile && copy ? { path: spec.configFile.path, copy } : undefined,
    replacements,
    startWaitSecs,
    drainSecs: HANDOFF_DRAIN_SECS,
    standbyLog: standby.stderrLogfile,
    serverLog,
    pendingFile: switchPendingPath(spec.app.app.runDir, spec.program),
    frontedFile: frontedFilePath(spec.app.app.configDir, spec.program),
  });
}

/** Seconds an instance that new connections no longer reach keeps running to finish its requests. */
export const HANDOFF_DRAIN_SECS = 2;
