import { ArgumentError, resolveSupervisorProgram, SupervisorProgramArgs } from "../../../components/config";
import { errorOf, frozen } from "../fixtures";

const BASE: SupervisorProgramArgs = { name: "app", command: ["/srv/app/venv/bin/gunicorn", "--config", "/etc/app/gunicorn.conf.py"], user: "app" };

describe("resolveSupervisorProgram", () => {
  const defaults = resolveSupervisorProgram(BASE);

  it.each<[string, unknown]>([
    ["directory", null],
    ["environment", []],
    ["autostart", true],
    ["autorestart", true],
    ["startsecs", 3],
    ["startretries", 3],
    ["stopsignal", "TERM"],
    ["stopwaitsecs", 10],
    ["stopasgroup", true],
    ["killasgroup", true],
    ["stdoutLogfile", "/var/log/app/app.out.log"],
    ["stderrLogfile", "/var/log/app/app.err.log"],
    ["logfileMaxbytes", 52428800],
    ["logfileBackups", 10],
    ["requiredDirs", ["/var/log/app"]],
  ])("GIVEN no optional args WHEN resolved THEN %s defaults to %j", (key, expected) => {
    expect(defaults[key as keyof typeof defaults]).toEqual(expected);
  });

  it("GIVEN an environment WHEN resolved THEN it is sorted by key and the args are not mutated", () => {
    const args = frozen<SupervisorProgramArgs>({ ...BASE, environment: { Z: "1", A: "2", M: "3" } });
    expect(resolveSupervisorProgram(args).environment).toEqual([
      ["A", "2"],
      ["M", "3"],
      ["Z", "1"],
    ]);
    expect(Object.keys(args.environment ?? {})).toEqual(["Z", "A", "M"]);
  });

  it.each<[Partial<SupervisorProgramArgs>, string]>([
    [{ name: "my;app" }, expect.stringContaining("`name` must be 1 to 32 characters") as unknown as string],
    [{ command: [] }, "`command` must have at least one element (the program to run)"],
    [{ command: ["gunicorn"] }, '`command[0]` must be an absolute path (starting with /) (got "gunicorn")'],
    [{ command: ["/bin/echo", "a\nb"] }, '`command[1]` must not contain a newline (supervisor\'s ini lines cannot carry it) (got "a\\nb")'],
    [{ environment: { "BAD-KEY": "x" } }, '`environment` keys must be [A-Za-z_][A-Za-z0-9_]* (got "BAD-KEY")'],
    [
      { environment: { K: "a'b\"c" } },
      '`environment.K` must not contain both kinds of quote (supervisor cannot escape a quote inside a quoted value) (got "a\'b\\"c")',
    ],
    [
      { environment: { K: '"quoted"' } },
      '`environment.K` must not start or end with a quote (supervisor strips quotes from both ends of a value) (got "\\"quoted\\"")',
    ],
    [
      { environment: { K: "a ;b" } },
      '`environment.K` must not contain a space before `;` or `#` (supervisor\'s ini parser takes the rest as a comment) (got "a ;b")',
    ],
    [{ environment: { K: "line1\nline2" } }, '`environment.K` must not contain a newline (got "line1\\nline2")'],
    [{ stopsignal: "STOP" as "TERM" }, '`stopsignal` must be one of TERM, HUP, INT, QUIT, KILL, USR1, USR2 (got "STOP")'],
    [{ autorestart: "always" as "unexpected" }, '`autorestart` must be one of true, false, unexpected (got "always")'],
  ])("GIVEN %j WHEN resolved THEN it throws %j", (override, message) => {
    const error = errorOf(() => resolveSupervisorProgram({ ...BASE, ...override }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toEqual(message);
  });
});
