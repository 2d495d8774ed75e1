/**
 * A supervisor `[program:x]`: arguments → fully resolved settings (pure). Rendered by
 * `renderSupervisorProgram`, which owns supervisor's quoting rules (see render/supervisor.ts).
 */
import { Rule, throwIfInvalid } from "./errors";
import { parentDir } from "./paths";
import { absolutePathRule, describeChar, intRangeRule, oneOfRule, ruleFrom, safeNameRule, rule } from "./validate";

export const SUPERVISOR_STOP_SIGNALS = ["TERM", "HUP", "INT", "QUIT", "KILL", "USR1", "USR2"] as const;
export type SupervisorStopSignal = (typeof SUPERVISOR_STOP_SIGNALS)[number];

export interface SupervisorProgramArgs {
  /** Program name (`[program:<name>]`, `supervisorctl restart <name>`): a safe name. */
  readonly name: string;
  /** argv; the first element is an absolute path. Rendered with quoting supervisor's shlex understands. */
  readonly command: readonly string[];
  /** User the program runs as (`root` for uWSGI, which drops privileges itself). */
  readonly user: string;
  /** Working directory. @default unset: supervisord's own (/) */
  readonly directory?: string;
  /**
   * Extra environment. Keys are `[A-Za-z_][A-Za-z0-9_]*`; values may not contain newlines, both kinds of
   * quote, a space before `;` or `#` (supervisor's ini parser cuts there), nor start or end with a quote.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default true */
  readonly autostart?: boolean;
  /** Restart when it exits: always (true), never, or on an exit code not in `exitcodes` ("unexpected"). @default true */
  readonly autorestart?: boolean | "unexpected";
  /** Seconds the program must stay up to count as started. @default 3 */
  readonly startsecs?: number;
  /** @default 3 */
  readonly startretries?: number;
  /** @default "TERM" (the WSGI resolvers give each server's own: see their `stopSignal`) */
  readonly stopsignal?: SupervisorStopSignal;
  /** Seconds between stopsignal and KILL. @default 10 (supervisor's); pass the server's `stopWaitSecs` */
  readonly stopwaitsecs?: number;
  /** Signal the whole process group, so workers never outlive their master. @default true */
  readonly stopasgroup?: boolean;
  /** @default true */
  readonly killasgroup?: boolean;
  /** Directory of the default log files. @default `/var/log/<name>` */
  readonly logDir?: string;
  /** @default `<logDir>/<name>.out.log` */
  readonly stdoutLogfile?: string;
  /** @default `<logDir>/<name>.err.log` */
  readonly stderrLogfile?: string;
  /** Rotate a log file at this many bytes. @default 52428800 (50 MiB, supervisor's default) */
  readonly logfileMaxbytes?: number;
  /** Rotated log files kept. @default 10 (supervisor's default) */
  readonly logfileBackups?: number;
}

export interface SupervisorProgramSettings {
  readonly name: string;
  readonly command: readonly string[];
  readonly user: string;
  readonly directory: string | null;
  /** Sorted by key, for a stable file. */
  readonly environment: readonly (readonly [string, string])[];
  readonly autostart: boolean;
  readonly autorestart: boolean | "unexpected";
  readonly startsecs: number;
  readonly startretries: number;
  readonly stopsignal: SupervisorStopSignal;
  readonly stopwaitsecs: number;
  readonly stopasgroup: boolean;
  readonly killasgroup: boolean;
  readonly stdoutLogfile: string;
  readonly stderrLogfile: string;
  readonly logfileMaxbytes: number;
  readonly logfileBackups: number;
  /** Directories of the log files: they must exist before supervisor starts the program. */
  readonly requiredDirs: readonly string[];
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a command argument cannot go into a supervisor `command=` line, or undefined. */
export function supervisorArgProblem(arg: string): string | undefined {
  const bad = /[\x00-\x1f\x7f-\x9f]/.exec(arg);
  return bad === null ? undefined : `must not contain ${describeChar(bad[0])} (supervisor's ini lines cannot carry it)`;
}

/** Why an environment value cannot be written in supervisor's `environment=KEY="value"` syntax, or undefined. */
export function supervisorEnvValueProblem(value: string): string | undefined {
  const control = /[\x00-\x1f\x7f-\x9f]/.exec(value);
  if (control !== null) {
    return `must not contain ${describeChar(control[0])}`;
  }
  if (value.includes("'") && value.includes('"')) {
    return "must not contain both kinds of quote (supervisor cannot escape a quote inside a quoted value)";
  }
  if (/^['"]|['"]$/.test(value)) {
    return "must not start or end with a quote (supervisor strips quotes from both ends of a value)";
  }
  if (/\s[;#]/.test(value)) {
    return "must not contain a space before `;` or `#` (supervisor's ini parser takes the rest as a comment)";
  }
  return undefined;
}

function commandRules(command: readonly string[] | undefined): Rule[] {
  if (command === undefined) {
    return [];
  }
  return [
    rule(command.length === 0, "command", "`command` must have at least one element (the program to run)"),
    ...(command.length > 0 ? [absolutePathRule("command[0]", command[0])] : []),
    ...command.map((arg, i) => ruleFrom(`command[${i}]`, arg, supervisorArgProblem(arg))),
  ];
}

/**
 * Resolve a supervisor program.
 * @throws ArgumentError naming every invalid argument.
 */
export function resolveSupervisorProgram(args: SupervisorProgramArgs): SupervisorProgramSettings {
  const environment = Object.entries(args.environment ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  throwIfInvalid(
    [
      safeNameRule("name", args.name),
      commandRules(args.command),
      safeNameRule("user", args.user),
      absolutePathRule("directory", args.directory),
      environment.flatMap(([key, value]) => [
        ruleFrom(`environment`, key, ENV_KEY.test(key) ? undefined : "keys must be [A-Za-z_][A-Za-z0-9_]*"),
        ruleFrom(`environment.${key}`, value, supervisorEnvValueProblem(value)),
      ]),
      oneOfRule("autorestart", args.autorestart, [true, false, "unexpected"]),
      intRangeRule("startsecs", args.startsecs, 0, 3600),
      intRangeRule("startretries", args.startretries, 0, 1000),
      oneOfRule("stopsignal", args.stopsignal, SUPERVISOR_STOP_SIGNALS),
      intRangeRule("stopwaitsecs", args.stopwaitsecs, 1, 86400),
      absolutePathRule("logDir", args.logDir),
      absolutePathRule("stdoutLogfile", args.stdoutLogfile),
      absolutePathRule("stderrLogfile", args.stderrLogfile),
      intRangeRule("logfileMaxbytes", args.logfileMaxbytes, 0, Number.MAX_SAFE_INTEGER),
      intRangeRule("logfileBackups", args.logfileBackups, 0, 1000),
    ],
    "supervisor program",
  );
  const logDir = args.logDir ?? `/var/log/${args.name}`;
  const stdoutLogfile = args.stdoutLogfile ?? `${logDir}/${args.name}.out.log`;
  const stderrLogfile = args.stderrLogfile ?? `${logDir}/${args.name}.err.log`;
  return {
    name: args.name,
    command: [...args.command],
    user: args.user,
    directory: args.directory ?? null,
    environment,
    autostart: args.autostart ?? true,
    autorestart: args.autorestart ?? true,
    startsecs: args.startsecs ?? 3,
    startretries: args.startretries ?? 3,
    stopsignal: args.stopsignal ?? "TERM",
    stopwaitsecs: args.stopwaitsecs ?? 10,
    stopasgroup: args.stopasgroup ?? true,
    killasgroup: args.killasgroup ?? true,
    stdoutLogfile,
    stderrLogfile,
    logfileMaxbytes: args.logfileMaxbytes ?? 52428800,
    logfileBackups: args.logfileBackups ?? 10,
    requiredDirs: [...new Set([parentDir(stdoutLogfile), parentDir(stderrLogfile)])],
  };
}
