/**
 * supervisor `[program:x]` renderer, with supervisor's quoting rules in one place:
 *
 * - The file is read by Python's configparser with inline comments on: `;` or `#` preceded by whitespace
 *   starts a comment, anywhere in a line.
 * - Every value goes through `%`-expansion (`%(program_name)s`, `%(ENV_HOME)s`): a literal `%` is `%%`.
 * - `command=` is split with `shlex.split` (POSIX rules: '…', "…", backslash), so it takes
 *   `shellQuote`d arguments, except that a `;`/`#` after whitespace is moved out of its quotes' reach
 *   by splitting the quoted string right before it (`'a '';b'` is the one word `a ;b` to shlex).
 * - `environment=` is parsed by a non-POSIX `shlex.shlex` (no escapes), then quotes are stripped from both
 *   ends of each value: values are written `KEY="value"` (or `'value'` when they hold a `"`), and the
 *   resolver refuses what cannot survive that (see `supervisorEnvValueProblem`).
 */
import { shellQuote } from "../quote";
import { supervisorArgProblem, supervisorEnvValueProblem, SupervisorProgramSettings } from "../config/supervisor";
import { MANAGED_HEADER } from "./header";

/** Escape `%` for supervisor's `%(name)s` expansion. */
function percentEscape(text: string): string {
  return text.replace(/%/g, "%%");
}

/** One argument of `command=`: shell-quoted for shlex, safe from inline comments, `%` escaped. */
export function supervisorCommandArg(arg: string): string {
  const problem = supervisorArgProblem(arg);
  if (problem !== undefined) {
    throw new Error(`cannot write command argument ${JSON.stringify(arg)} for supervisor: it ${problem}`);
  }
  // A quoted word is '…' segments joined by \' ; close and reopen the quotes before any ;/# that follows
  // whitespace, so the character before it is a quote, which configparser does not take for a comment start.
  const quoted = shellQuote(arg).replace(/(\s)([;#])/g, "$1''$2");
  return percentEscape(quoted);
}

/** Longest `command=` value kept on one line. */
const COMMAND_LINE_WIDTH = 100;

/**
 * `command=` value for an argv. A long command gets each `--flag` on a continuation line of its own
 * (indented: the ini parser joins the lines, and shlex takes the line breaks for spaces), so a changed
 * flag shows as one changed line in a diff.
 */
export function supervisorCommand(argv: readonly string[]): string {
  const words = argv.map(supervisorCommandArg);
  const oneLine = words.join(" ");
  if (oneLine.length <= COMMAND_LINE_WIDTH) {
    return oneLine;
  }
  return words.map((w, i) => (i > 0 && /^'?--/.test(w) ? `\n    ${w}` : i > 0 ? ` ${w}` : w)).join("");
}

/** One `KEY="value"` of `environment=`. */
export function supervisorEnvPair(key: string, value: string): string {
  const problem = supervisorEnvValueProblem(value);
  if (problem !== undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new Error(`cannot write environment ${key}=${JSON.stringify(value)} for supervisor: ${problem ?? "invalid key"}`);
  }
  const quote = value.includes('"') ? "'" : '"';
  return `${key}=${quote}${percentEscape(value)}${quote}`;
}

function bool(value: boolean): string {
  return value ? "true" : "false";
}

/** Render a `[program:<name>]` section (a file of its own under /etc/supervisor/conf.d). */
export function renderSupervisorProgram(s: SupervisorProgramSettings): string {
  const lines: [string, string][] = [
    ["command", supervisorCommand(s.command)],
    ...(s.directory === null ? [] : [["directory", s.directory] as [string, string]]),
    ["user", s.user],
    ...(s.environment.length === 0 ? [] : [["environment", s.environment.map(([k, v]) => supervisorEnvPair(k, v)).join(",")] as [string, string]]),
    ["autostart", bool(s.autostart)],
    ["autorestart", typeof s.autorestart === "boolean" ? bool(s.autorestart) : s.autorestart],
    ["startsecs", String(s.startsecs)],
    ["startretries", String(s.startretries)],
    ["stopsignal", s.stopsignal],
    ["stopwaitsecs", String(s.stopwaitsecs)],
    ["stopasgroup", bool(s.stopasgroup)],
    ["killasgroup", bool(s.killasgroup)],
    ["stdout_logfile", percentEscape(s.stdoutLogfile)],
    ["stdout_logfile_maxbytes", String(s.logfileMaxbytes)],
    ["stdout_logfile_backups", String(s.logfileBackups)],
    ["stderr_logfile", percentEscape(s.stderrLogfile)],
    ["stderr_logfile_maxbytes", String(s.logfileMaxbytes)],
    ["stderr_logfile_backups", String(s.logfileBackups)],
  ];
  return [MANAGED_HEADER, `[program:${s.name}]`, ...lines.map(([k, v]) => `${k}=${v}`), ""].join("\n");
}
