/**
 * FlaskApp: the application on a host — its own unprivileged system user, a release directory per
 * version of the code with a `current` symlink switched on deploy, a virtualenv per requirements
 * hash (rebuilt only when the requirements change), and an environment file only the app user reads.
 * The live release and venv and the ones they replaced are kept; older ones are removed on deploy.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  WSGI_SERVER_PINS,
  WsgiServerName,
  AppContext,
  envLoaderPath,
  environmentFingerprints,
  parseFingerprints,
  START_ENV_KEY,
  absolutePathRule,
  appRuntimeDir,
  resolveRuntimeDirs,
  withoutAptProjects,
  eachRule,
  resolveAppContext,
  rule,
  throwIfInvalid,
  urlPathRule,
} from "./config";
import { resourceError } from "./errors";
import { Host } from "./host";
import { shellQuote as q } from "./quote";
import { collectAppFiles, contentHash, renderManifest, writeReleaseArchive } from "./release/archive";
import {
  activateScript,
  AppBaseSpec,
  appBaseRemoveScript,
  appBaseScript,
  asRoot,
  entryCheckScript,
  entryCheckStdin,
  managedFile,
  ownerId,
  releaseScript,
  remoteCommand,
  tagged,
  uploadFile,
  venvScript,
  withTokens,
} from "./remote";
import { renderEnvFile, renderEnvLoader } from "./render";

export interface PipOptions {
  /** `--index-url`. @default PyPI */
  readonly indexUrl?: string;
  /** `--extra-index-url`, e.g. a piwheels-style index of prebuilt ARM wheels. @default [] */
  readonly extraIndexUrls?: readonly string[];
  /** `--find-links`: a directory on the host or a URL holding wheels (a local wheelhouse). @default [] */
  readonly findLinks?: readonly string[];
  /** `--only-binary :all:`: never compile an sdist on the host. @default false */
  readonly onlyBinary?: boolean;
  /** Create the venv with `--system-site-packages` (use apt's python3-* packages). @default false, true with `fromApt` */
  readonly systemSitePackages?: boolean;
  /**
   * Projects taken from Debian's packages instead of pip, e.g. `{ numpy: "python3-numpy" }`: on a
   * Raspberry Pi these would otherwise compile for many minutes. They are dropped from the pip
   * install, the venv sees the system site-packages, and the Debian packages must be in the Host's
   * `packages`.
   * @default {}
   */
  readonly fromApt?: Readonly<Record<string, string>>;
}

export interface FlaskAppArgs {
  /** The host to deploy to. */
  readonly host: Host;
  /**
   * App name, used for its user, paths (`/srv/<name>`) and supervisor program: up to 32 characters of
   * lower-case letters, digits, `-` and `_`, starting with a letter or `_`.
   */
  readonly name: string;
  /** Local directory holding the app code (shipped whole, minus caches and VCS data). */
  readonly source: string;
  /** WSGI entry: `module:callable`, or an app factory `module:create_app()`. */
  readonly entry: string;
  /** Requirements file, relative to `source`. @default "requirements.txt" */
  readonly requirementsFile?: string;
  /** WSGI servers to install into the venv (pinned, see WSGI_SERVER_PINS). @default [] */
  readonly wsgiServers?: readonly WsgiServerName[];
  /** How pip installs requirements. @default PyPI, wheels or sdists, no system site-packages */
  readonly pip?: PipOptions;
  /**
   * Environment variables for the app, written to `/etc/<name>/env` (owner the app user, mode 0400).
   * Secret values stay secret in state and previews.
   * @default {}
   */
  readonly environment?: pulumi.Input<Readonly<Record<string, pulumi.Input<string>>>>;
  /** Unprivileged user the app runs as. @default the app name */
  readonly user?: string;
  /**
   * Primary group of the app user.
   * @default the user
   */
  readonly group?: string;
  /**
   * Base directory holding `releases/`, `venvs/`, and the `current` and `venv` symlinks.
   * @default `/srv/<name>`
   */
  readonly baseDir?: string;
  /**
   * Before anything switches, the new release is asked for this path in-process (the new code and
   * venv, as the app user, with its environment): an exception or a 5xx answer fails `up` with the
   * app's own traceback and log lines, and the running release keeps serving. Any other answer passes
   * (a 404 or 401 too: the app loads and answers). `false`: only import the entry.
   * @default "/"
   */
  readonly healthPath?: string | false;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An environment key: a shell variable name, outside the `FLASKSTACK_` names flaskstack sets itself. */
function envKeyRule(argument: string, key: string) {
  if (!ENV_KEY.test(key)) return rule(true, argument, `\`environment\` keys must match ${ENV_KEY.source} (got ${JSON.stringify(key)})`);
  return rule(key.startsWith("FLASKSTACK_"), argument, `\`environment\` keys starting with FLASKSTACK_ are flaskstack's own (got ${JSON.stringify(key)})`);
}

export class FlaskApp extends pulumi.ComponentResource {
  /** Names and paths on the host (user, `/srv/<name>/current`, venv, run, log and config dirs). */
  readonly app: AppContext;
  /** The host it runs on. */
  readonly host: Host;
  /** Content hash of the shipped code. */
  readonly releaseId: string;
  /** Hash of the requirements, pip options and server pins: names the venv. */
  readonly venvId: string;
  /** Changes whenever the running code or its venv changes: services reload on it. */
  readonly version: string;
  /** `/etc/<name>/env`, sourced by the service wrapper. */
  readonly envFile: string;
  /** WSGI servers installed into the venv. */
  readonly wsgiServers: readonly WsgiServerName[];
  /** Hash of the environment file (secret when any value is): a change restarts the services. */
  readonly environmentHash: pulumi.Output<string>;
  /**
   * Fingerprint of the environment that shows when it changed without revealing it (an HMAC keyed
   * with the host's private key, see `environmentFingerprints`); not secret.
   */
  readonly environmentFingerprint: pulumi.Output<string>;
  /** Fingerprint of the variables read at process start (`START_ENV_KEY`): a change restarts the servers. */
  readonly startEnvironmentFingerprint: pulumi.Output<string>;
  /** `<configDir>/load_env.py`: loads the environment file before a server imports the app. */
  readonly envLoader: string;
  /** Changes at every write of the environment file (its write nonce): the servers apply it after each. */
  readonly environmentWritten: pulumi.Output<string>;
  /** Done when the release and venv are live: services depend on it. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: FlaskAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flaskstack:index:FlaskApp", name, {}, opts);
    const pip = args.pip ?? {};
    const requirementsFile = args.requirementsFile ?? "requirements.txt";
    const source = path.resolve(args.source);
    let requirements: string;
    try {
      this.app = resolveAppContext({ name: args.name, entry: args.entry, user: args.user, group: args.group, baseDir: args.baseDir });
      // Keys of a plain object are checked here; keys of an Output once it is known (still in preview
      // for stack config, which is always known).
      const envKeys = pulumi.Output.isInstance(args.environment) ? [] : Object.keys(args.environment ?? {});
      const sourceOk = isDir(source);
      const reqPath = path.join(source, requirementsFile);
      throwIfInvalid(
        [
          ...(typeof args.healthPath === "string" ? [urlPathRule("healthPath", args.healthPath)] : []),
          rule(!sourceOk, "source", `\`source\` must be a local directory holding the app (got ${JSON.stringify(args.source)})`),
          rule(sourceOk && !isFile(reqPath), "requirementsFile", `\`requirementsFile\` must name a file in \`source\` (${reqPath} does not exist)`),
          eachRule("environment", envKeys, (arg, k) => envKeyRule(arg, k)),
          eachRule("wsgiServers", args.wsgiServers, (arg, s) =>
            rule(!(s in WSGI_SERVER_PINS), arg, `\`${arg}\` must be one of ${Object.keys(WSGI_SERVER_PINS).join(", ")} (got ${JSON.stringify(s)})`),
          ),
          eachRule("pip.findLinks", pip.findLinks, (arg, l) => urlOrPathRule(arg, l)),
          eachRule("pip.extraIndexUrls", pip.extraIndexUrls, (arg, u) => urlOrPathRule(arg, u, true)),
          ...(pip.indexUrl === undefined ? [] : [urlOrPathRule("pip.indexUrl", pip.indexUrl, true)]),
        ],
        "FlaskApp",
      );
      requirements = fs.readFileSync(reqPath, "utf8");
    } catch (e) {
      throw resourceError(e, this);
    }
    const { host } = args;
    const conn = host.connection;
    const app = this.app;
    this.host = host;
    host.requirePackages(this, ["python3", "python3-venv"], "FlaskApp");
    this.wsgiServers = [...new Set(args.wsgiServers ?? [])].sort();
    this.envFile = `${app.configDir}/env`;

    // 1. User, directories, and the run directory recreated at every boot (/run is a tmpfs).
    const tmpfiles = `/etc/tmpfiles.d/flaskstack-${app.name}.conf`;
    const [runDir] = resolveRuntimeDirs([appRuntimeDir(app)]);
    const incoming = `${app.baseDir}/incoming`;
    // Claimed by this FlaskApp: a renamed or moved FlaskApp's old delete leaves them to the new one.
    const baseOwner = ownerId(this, `${name}-base`);
    const baseSpec = (owner: string): AppBaseSpec => ({ app, loginUser: host.user, incoming, runDir, tmpfilesFile: tmpfiles, owner });
    const base = remoteCommand(
      `${name}-base`,
      conn,
      {
        create: baseOwner.apply((owner) => asRoot(conn, appBaseScript(baseSpec(owner)))),
        delete: baseOwner.apply((owner) => asRoot(conn, appBaseRemoveScript(baseSpec(owner)))),
        logging: "stderr",
      },
      { parent: this, dependsOn: [host.packagesReady] },
    );

    // 2. The code: a tar archive copied to the host (its bytes stay out of the state), unpacked into
    // a release directory named by the manifest's hash. The manifest goes on stdin: a preview lists
    // the files that changed, and the unpacker checks every file against it.
    const files = collectAppFiles(source);
    const manifest = renderManifest(files);
    this.releaseId = contentHash(manifest);
    const archive = writeReleaseArchive(source, files, `${app.name}-${this.releaseId}`);
    const releaseDir = `${app.baseDir}/releases/${this.releaseId}`;
    const uploaded = `${incoming}/${this.releaseId}.tar`;
    const upload = uploadFile(`${name}-upload`, conn, archive.path, uploaded, { parent: this, dependsOn: [base] });
    const release = remoteCommand(
      `${name}-release`,
      conn,
      {
        create: withTokens(
          tagged(conn, { kind: "release", app: app.name, baseDir: app.baseDir, id: this.releaseId }),
          releaseScript({ archive: uploaded, sha256: archive.sha256, releaseDir, uploadUrn: upload.urn }).apply((script) => asRoot(conn, script)),
        ),
        // No delete: activation removes releases no longer used (see activateScript).
        stdin: manifest,
        triggers: [this.releaseId],
        logging: "stderr",
      },
      { parent: this, dependsOn: [upload] },
    );

    // 3. The venv, named by the hash of everything that decides its content.
    const fromApt = pip.fromApt ?? {};
    host.requirePackages(this, Object.values(fromApt), "FlaskApp `pip.fromApt`");
    const systemSitePackages = pip.systemSitePackages ?? Object.keys(fromApt).length > 0;
    requirements = withoutAptProjects(requirements, Object.keys(fromApt)).text;
    const pins = this.wsgiServers.map((s) => WSGI_SERVER_PINS[s]);
    const pipArgs = [
      // Wheels first, even a slightly older version: compiling on a Pi takes minutes to hours.
      "--prefer-binary",
      ...(pip.indexUrl ? ["--index-url", pip.indexUrl] : []),
      ...(pip.extraIndexUrls ?? []).flatMap((u) => ["--extra-index-url", u]),
      ...(pip.findLinks ?? []).flatMap((l) => ["--find-links", l]),
      ...(pip.onlyBinary ? ["--only-binary", ":all:"] : []),
    ];
    const venvInput = `${requirements.trimEnd()}\n${pins.map((p) => `${p}\n`).join("")}`;
    this.venvId = contentHash(venvInput, JSON.stringify(pipArgs), String(systemSitePackages));
    const venvDir = `${app.baseDir}/venvs/${this.venvId}`;
    const venv = remoteCommand(
      `${name}-venv`,
      conn,
      {
        create: withTokens(
          tagged(conn, { kind: "venv", app: app.name, baseDir: app.baseDir, id: this.venvId }),
          asRoot(conn, venvScript({ venvDir, systemSitePackages, pipArgs })),
        ),
        // No delete: activation removes venvs no longer used, on the host the app runs on now.
        stdin: venvInput,
        triggers: [this.venvId],
        logging: "stdoutAndStderr",
      },
      { parent: this, dependsOn: [base] },
    );

    // 4. The environment file: shell assignments, sourced by the service wrapper as the app starts.
    const envContent = pulumi.output(args.environment ?? {}).apply((env) => {
      const bad = Object.keys(env)
        .map((k) => envKeyRule("environment", k))
        .find((r) => r.condition);
      if (bad) throw new pulumi.ResourceError(bad.message, this);
      return renderEnvFile(env as Record<string, string>);
    });
    this.environmentHash = envContent.apply((c) => contentHash(c));
    // Per key, so the review report can say which keys were added, changed or removed.
    const keyFingerprints = pulumi.unsecret(
      pulumi
        .all([conn.ssh.privateKey, args.environment ?? {}])
        .apply(([secret, env]) => environmentFingerprints(String(secret ?? ""), env as Record<string, string>)),
    );
    this.environmentFingerprint = keyFingerprints.apply((fp) => contentHash(fp));
    this.startEnvironmentFingerprint = keyFingerprints.apply((fp) =>
      contentHash(
        [...parseFingerprints(fp)]
          .filter(([k]) => START_ENV_KEY.test(k))
          .map(([k, v]) => `${k}=${v}`)
          .join(" "),
      ),
    );
    const envFile = managedFile(
      `${name}-env`,
      conn,
      { path: this.envFile, content: envContent, owner: app.user, group: app.group, mode: "0400", tokens: { keys: keyFingerprints } },
      { parent: this, dependsOn: [base] },
    );
    this.environmentWritten = envFile.stdout;
    // The servers run it before they import the app: a changed environment applies with a reload.
    this.envLoader = envLoaderPath(app);
    const loader = managedFile(
      `${name}-env-loader`,
      conn,
      { path: this.envLoader, content: renderEnvLoader(this.envFile), owner: "root", group: app.group, mode: "0640" },
      { parent: this, dependsOn: [base] },
    );

    // 5. Before anything switches: the new code and venv import the entry as the app user, with the
    // app's environment, and answer the health path in-process. A release that cannot load or answers
    // 5xx fails `up` here with its own traceback, and the running release keeps serving.
    const healthPath = args.healthPath === false ? undefined : (args.healthPath ?? "/");
    const check = entryCheckScript({ user: app.user, releaseDir, venvDir, envFile: this.envFile, entry: app.entry, healthPath });
    const checkCommand = withTokens(
      tagged(
        conn,
        {
          kind: "step",
          what: `entry check: the new code and venv of ${app.name} import ${args.entry} as ${app.user}${healthPath ? ` and answer GET ${healthPath} in-process` : ""}, before anything switches`,
        },
        { release: this.releaseId, venv: this.venvId, entry: args.entry, ...(healthPath ? { health: healthPath } : {}) },
      ),
      asRoot(conn, check),
    );
    const checked = remoteCommand(
      `${name}-check`,
      conn,
      { create: checkCommand, update: checkCommand, stdin: this.environmentHash.apply(entryCheckStdin), logging: "stderr" },
      { parent: this, dependsOn: [release, venv, envFile, loader] },
    );

    // 6. Go live: switch `current` and `venv` atomically (rename over the old symlink), prune the rest.
    const activate = remoteCommand(
      `${name}-activate`,
      conn,
      {
        create: withTokens(
          tagged(conn, { kind: "activate", app: app.name, baseDir: app.baseDir, release: this.releaseId, venv: this.venvId }),
          asRoot(conn, activateScript({ baseDir: app.baseDir, releaseId: this.releaseId, venvId: this.venvId })),
        ),
        triggers: [this.releaseId, this.venvId],
        logging: "stderr",
      },
      { parent: this, dependsOn: [checked] },
    );
    this.version = `${this.releaseId}-${this.venvId}`;
    this.ready = activate;
    this.registerOutputs({ releaseId: this.releaseId, venvId: this.venvId, version: this.version });
  }

  /**
   * The argv that runs `argv` with the app's environment file loaded: supervisor starts this, and
   * `exec` hands the process (and its signals) to the server itself.
   */
  withEnvironment(argv: readonly string[]): string[] {
    return ["/bin/sh", "-c", `set -a; . ${q(this.envFile)}; set +a; exec "$@"`, "flaskstack-env", ...argv];
  }
}

function isDir(p: string): boolean {
  return fs.existsSync(p) && fs.statSync(p).isDirectory();
}

function isFile(p: string): boolean {
  return fs.existsSync(p) && fs.statSync(p).isFile();
}

function urlOrPathRule(argument: string, value: string, urlOnly = false) {
  const url = /^https?:\/\/[^\s'"`$;&|<>\\]+$/.test(value);
  if (url) return rule(false, argument, "");
  if (urlOnly) return rule(true, argument, `\`${argument}\` must be an http(s) URL without spaces or quotes (got ${JSON.stringify(value)})`);
  return absolutePathRule(argument, value);
}
