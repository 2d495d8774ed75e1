/**
 * What a change does to a supervised WSGI server: the one decision table that the apply script on
 * the host (`remote/serverState.ts`), the preview's tokens and the review report all read.
 *
 * The apply script checks the rows in order against what the server was started with (recorded on
 * the host) and takes the first that matches; the report takes the same first match from what a
 * preview changes. Pure: no `@pulumi` import.
 */

/** What the apply does to the running server. */
export type ServerAction = "start" | "restart" | "reload" | "env-reload" | "code-reload" | "none";

/**
 * What a preview can see change for a server: the inputs the apply script fingerprints. `envstart`
 * is the part of the environment read when a process starts (`START_ENV_KEY`), `env` the rest.
 */
export type ServerChange = "envstart" | "env" | "config" | "code";

export interface ServerActionRow {
  /**
   * What differs from the record: `pid` (the server was started by something else, only the host
   * can tell) or one of the fingerprinted inputs.
   */
  readonly when: "pid" | ServerChange;
  readonly action: ServerAction;
  /** Why, as the apply prints it. */
  readonly why: string;
}

/**
 * In check order. Variables the interpreter or the server reads at start need a restart; the rest of
 * the environment is loaded again by the servers before they import the app (the environment loader),
 * so a graceful reload applies it, as it applies a config file; code is re-imported by a (chain) reload.
 */
export const SERVER_ACTIONS: readonly ServerActionRow[] = [
  { when: "pid", action: "restart", why: "no record of what pid $pid started with" },
  { when: "envstart", action: "restart", why: "a variable read at process start changed" },
  { when: "env", action: "env-reload", why: "environment changed" },
  { when: "config", action: "reload", why: "config changed" },
  { when: "code", action: "code-reload", why: "code changed" },
];

/** The row a set of changes takes: the first that matches, if any. */
export function serverRowFor(changed: ReadonlySet<ServerChange>): ServerActionRow | undefined {
  return SERVER_ACTIONS.find((row) => row.when !== "pid" && changed.has(row.when));
}

/** The action a set of changes takes: the first row that matches, else nothing. */
export function serverActionFor(changed: ReadonlySet<ServerChange>): ServerAction {
  return serverRowFor(changed)?.action ?? "none";
}

/** How a server carries out a reload: each server's component says which of these its scripts do. */
export type ReloadKind = "graceful reload" | "chain reload" | "HUP" | "restart";

/** What the report needs to know of a server to describe its action (travels as a preview token). */
export interface ServerProfile {
  /** Supervisor program name. */
  readonly program: string;
  readonly server: "uwsgi" | "gunicorn" | "waitress";
  /** How it applies a changed config file. */
  readonly reload: ReloadKind;
  /** How it applies changed code only. */
  readonly codeReload: ReloadKind;
  /** How it applies a changed environment (the loader runs again as the app is imported again). */
  readonly envReload: ReloadKind;
  /** Seconds supervisor waits before it counts a (re)start as up: about how long a restart drops requests. */
  readonly startSecs: number;
  /**
   * A restart goes through a standby on the handoff socket: `true` for a server on a unix socket
   * (nothing is dropped), `"port"` for one on TCP (nginx's backup while the port is closed).
   */
  readonly handoff?: StandbyKind;
}

/** One line saying what an action does to the server and whether requests are dropped. */
export function describeServerAction(action: ServerAction, profile: ServerProfile, because?: ServerChange): string {
  const how = (kind: ReloadKind, code: boolean): string => {
    switch (kind) {
      case "restart":
        return restartText(profile);
      case "chain reload":
        return "chain reload: workers replaced one at a time, no requests dropped";
      case "HUP":
        return "graceful reload (HUP): new workers start, old ones finish their requests";
      default:
        if (code) return "graceful reload: workers start again on the new code, no requests dropped";
        return because === "env"
          ? "graceful reload: workers start again with the new environment, no requests dropped"
          : "graceful reload: the master re-reads its config, no requests dropped";
    }
  };
  switch (action) {
    case "none":
      return "nothing";
    case "start":
      return "start";
    case "restart":
      return restartText(profile);
    case "reload":
      return how(profile.reload, false);
    case "env-reload":
      return how(profile.envReload, false);
    case "code-reload":
      return how(profile.codeReload, true);
  }
}

function restartText(profile: ServerProfile): string {
  return restartDescription(profile.startSecs, profile.handoff ?? false);
}

/**
 * How a restart keeps serving: `true`, a standby takes over the server's unix socket; `"port"`, a
 * standby on a unix socket is nginx's backup while the server's TCP port is closed; `false`, none.
 */
export type StandbyKind = boolean | "port";

/** What a restart does to requests: through a standby nothing is dropped, else about `startSecs`. */
export function restartDescription(startSecs: number, handoff: StandbyKind): string {
  if (handoff === "port") return "restart through a standby, nginx's backup while the port is closed (a POST the port holds as it closes can fail)";
  return handoff ? "restart through a standby on the handoff socket, no requests dropped" : `restart: requests dropped for about ${Math.max(1, startSecs)} s`;
}
