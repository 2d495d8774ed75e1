/**
 * A systemd service for the app server when supervisor is not used: arguments → resolved settings
 * (pure). Rendered by `renderSystemdUnit`, which owns systemd's quoting rules.
 */
import { throwIfInvalid } from "./errors";
import { describeChar, intRangeRule, oneOfRule, ruleFrom, rule, safeNameRule, absolutePathRule } from "./validate";

export const SYSTEMD_KILL_SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"] as const;
export type SystemdKillSignal = (typeof SYSTEMD_KILL_SIGNALS)[number];

export interface SystemdServiceArgs {
  /** Unit name without `.service`: a safe name. */
  readonly name: string;
  /** argv; the first element is an absolute path. */
  readonly command: readonly string[];
  /** User the service runs as (`root` for uWSGI, which drops privileges itself). */
  readonly user: string;
  /** @default the user's primary group (systemd's behaviour when Group= is unset): not written */
  readonly group?: string;
  /** @default `flaskstack <name>` */
  readonly description?: string;
  /** @default unset (systemd's: /) */
  readonly workingDirectory?: string;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default "always": like supervisor's autorestart=true */
  readonly restart?: "always" | "on-failure" | "no";
  /** Seconds before a restart. @default 2 */
  readonly restartSec?: number;
  /** @default "SIGTERM" (pass the server's stopSignal, prefixed SIG) */
  readonly killSignal?: SystemdKillSignal;
  /** Seconds between the kill signal and SIGKILL. @default 10 (pass the server's stopWaitSecs) */
  readonly timeoutStopSec?: number;
  /** Signal sent by `systemctl reload` to the main process. @default unset: no ExecReload */
  readonly reloadSignal?: "SIGHUP" | "SIGUSR1" | "SIGUSR2";
  /**
   * Name under /run that systemd creates (owned by the service user) before start and removes after stop,
   * e.g. the app name for /run/<app>.
   * @default unset: no RuntimeDirectory=
   */
  readonly runtimeDirectory?: string;
}

export interface SystemdServiceSettings {
  readonly name: string;
  readonly description: string;
  readonly command: readonly string[];
  readonly user: string;
  readonly group: string | null;
  readonly workingDirectory: string | null;
  /** Sorted by key. */
  readonly environment: readonly (readonly [string, string])[];
  readonly restart: "always" | "on-failure" | "no";
  readonly restartSec: number;
  readonly killSignal: SystemdKillSignal;
  readonly timeoutStopSec: number;
  readonly reloadSignal: "SIGHUP" | "SIGUSR1" | "SIGUSR2" | null;
  readonly runtimeDirectory: string | null;
}

function controlProblem(value: string): string | undefined {
  const bad = /[\x00-\x1f\x7f-\x9f]/.exec(value);
  return bad === null ? undefined : `must not contain ${describeChar(bad[0])}`;
}

/**
 * Resolve a systemd service.
 * @throws ArgumentError naming every invalid argument.
 */
export function resolveSystemdService(args: SystemdServiceArgs): SystemdServiceSettings {
  const environment = Object.entries(args.environment ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  throwIfInvalid(
    [
      safeNameRule("name", args.name),
      rule(args.command.length === 0, "command", "`command` must have at least one element (the program to run)"),
      args.command.length > 0 ? absolutePathRule("command[0]", args.command[0]) : [],
      args.command.map((arg, i) => ruleFrom(`command[${i}]`, arg, controlProblem(arg))),
      safeNameRule("user", args.user),
      safeNameRule("group", args.group),
      ruleFrom("description", args.description, args.description === undefined ? undefined : controlProblem(args.description)),
      absolutePathRule("workingDirectory", args.workingDirectory),
      environment.flatMap(([key, value]) => [
        ruleFrom("environment", key, /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? undefined : "keys must be [A-Za-z_][A-Za-z0-9_]*"),
        ruleFrom(`environment.${key}`, value, controlProblem(value)),
      ]),
      oneOfRule("restart", args.restart, ["always", "on-failure", "no"]),
      intRangeRule("restartSec", args.restartSec, 0, 3600),
      oneOfRule("killSignal", args.killSignal, SYSTEMD_KILL_SIGNALS),
      intRangeRule("timeoutStopSec", args.timeoutStopSec, 1, 86400),
      oneOfRule("reloadSignal", args.reloadSignal, ["SIGHUP", "SIGUSR1", "SIGUSR2"]),
      safeNameRule("runtimeDirectory", args.runtimeDirectory),
    ],
    "systemd service",
  );
  return {
    name: args.name,
    description: args.description ?? `flaskstack ${args.name}`,
    command: [...args.command],
    user: args.user,
    group: args.group ?? null,
    workingDirectory: args.workingDirectory ?? null,
    environment,
    restart: args.restart ?? "always",
    restartSec: args.restartSec ?? 2,
    killSignal: args.killSignal ?? "SIGTERM",
    timeoutStopSec: args.timeoutStopSec ?? 10,
    reloadSignal: args.reloadSignal ?? null,
    runtimeDirectory: args.runtimeDirectory ?? null,
  };
}
