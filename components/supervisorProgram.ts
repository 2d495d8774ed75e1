/**
 * SupervisorProgram: `/etc/supervisor/conf.d/<name>.conf`, applied with `supervisorctl reread` +
 * `update <name>` — only that program is (re)started, and only when its section changed.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolveSupervisorProgram, SupervisorProgramArgs as ProgramSpec, SupervisorProgramSettings } from "./config";
import { ConfigFileComponent } from "./configFile";
import { Host } from "./host";
import { shellCommand, shellQuote as q } from "./quote";
import { serviceAction } from "./remote";
import { renderSupervisorProgram } from "./render";

export interface SupervisorProgramArgs extends ProgramSpec {
  /** The host (it must install the `supervisor` package). */
  readonly host: Host;
  /**
   * Directories created (owner/group/mode) before the program starts, e.g. a server's log directory.
   * @default the log files' directories, owned by root
   */
  readonly directories?: readonly { readonly path: string; readonly owner: string; readonly group: string; readonly mode: string }[];
  /**
   * Resources the program needs before it may start (the app's release, its config file…).
   * @default []
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Shell functions of a handoff (`handoffFunctions`, set by the WSGI services for a server with a
   * handoff socket): a changed section of a running program is applied through a standby.
   * @default none: `supervisorctl update` restarts it in place
   */
  readonly handoff?: string;
  /**
   * How that standby keeps serving, for the review report: `"socket"`, it takes over the server's unix
   * socket (nothing is dropped); `"port"`, it is nginx's backup while the server's TCP port is closed.
   * @default "socket"
   */
  readonly handoffKind?: "socket" | "port";
}

export class SupervisorProgram extends ConfigFileComponent {
  /** Settings resolved with every default filled in. */
  declare readonly settings: SupervisorProgramSettings;
  /** The rendered `[program:…]` section. */
  declare readonly config: string;
  /** `/etc/supervisor/conf.d/<name>.conf`. */
  declare readonly configPath: string;
  /** Done when supervisor runs the current version of the program. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: SupervisorProgramArgs, opts?: pulumi.ComponentResourceOptions) {
    const { host, directories, dependsOn, handoff, handoffKind, ...spec } = args;
    const resolve = () => {
      const settings = resolveSupervisorProgram(spec);
      return { settings, text: renderSupervisorProgram(settings), path: `/etc/supervisor/conf.d/${settings.name}.conf` };
    };
    super("flaskstack:index:SupervisorProgram", name, { host, package: "supervisor", resolve }, opts);
    const s = this.settings;
    const conn = host.connection;
    const ctl = (...a: string[]) => shellCommand(["supervisorctl", ...a]);

    const file = this.writeConfig(
      `${name}-conf`,
      // Without its section, `update <name>` stops the program and removes it.
      { afterDelete: `${ctl("reread")} >/dev/null && ${ctl("update", s.name)} || true` },
      [host.packagesReady, ...(dependsOn ?? [])],
    );

    const dirs = directories ?? s.requiredDirs.map((p) => ({ path: p, owner: "root", group: "root", mode: "0755" }));
    this.ready = serviceAction(
      `${name}-update`,
      conn,
      {
        script: [
          "set -eu",
          ...dirs.map((d) => shellCommand(["install", "-d", "-m", d.mode, "-o", d.owner, "-g", d.group, d.path])),
          // supervisord may not run yet right after the package was installed.
          "if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl enable --now --quiet supervisor; fi",
          ...(handoff
            ? [
                handoff,
                // A running program whose section changed restarts through its standby; on a changed
                // listener that a site moves to by itself, the old instance serves until it has.
                `if ${ctl("status", s.name)} >/dev/null 2>&1 && ${ctl("reread")} | grep -qxF ${q(`${s.name}: changed`)}; then`,
                `  if handoff_switch_wanted; then mode=switch; else mode=update; fi`,
                `  rc=0; handoff "$mode" || rc=$?`,
                `  case "$rc" in 0) ;; 2) exit 1;; *) echo "flaskstack: updating ${s.name} in place" >&2; ${ctl("update", s.name)};; esac`,
                `else`,
                `  ${ctl("reread")}`,
                `  ${ctl("update", s.name)}`,
                `fi`,
              ]
            : [ctl("reread"), ctl("update", s.name)]),
          // `update` starts it; wait for RUNNING (or fail with supervisor's own status and log tail).
          `for i in $(seq 1 ${Math.max(10, s.startsecs * 4 + 10)}); do`,
          `  st=$(${ctl("status", s.name)} || true)`,
          `  case "$st" in *RUNNING*) exit 0;; *FATAL*|*BACKOFF*|*EXITED*) break;; esac`,
          `  sleep 1`,
          `done`,
          `echo "$st" >&2; tail -n 20 ${q(s.stderrLogfile)} >&2 || true; exit 1`,
        ].join("\n"),
        // The file's write nonce: `update` runs after every write of the file, also after a failed
        // `up` that left supervisor on other text.
        triggers: [this.config, ...dirs.map((d) => `${d.path}:${d.owner}:${d.group}:${d.mode}`), file.stdout],
        tag: {
          kind: "supervisor",
          program: s.name,
          startSecs: s.startsecs,
          file: this.configPath,
          ...(handoff ? { handoff: handoffKind === "port" ? ("port" as const) : true } : {}),
        },
      },
      { parent: this, dependsOn: [file] },
    );
    this.registerOutputs({ configPath: this.configPath, config: this.config });
  }
}
