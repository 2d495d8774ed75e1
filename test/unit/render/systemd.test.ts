import { ArgumentError, resolveSystemdService, resolveGunicorn, SystemdServiceArgs } from "../../../components/config";
import { renderSystemdUnit, systemdEnvironment, systemdExecArg } from "../../../components/render";
import { CTX, errorOf } from "../fixtures";

describe("renderSystemdUnit", () => {
  it("GIVEN a Gunicorn service with defaults WHEN rendered THEN the unit is exactly this", () => {
    const gunicorn = resolveGunicorn({}, CTX);
    expect(renderSystemdUnit(resolveSystemdService({ name: "app", command: gunicorn.command, user: gunicorn.processUser }))).toBe(
      [
        "# Managed by flaskstack — changes here are overwritten",
        "[Unit]",
        "Description=flaskstack app",
        "After=network.target",
        "",
        "[Service]",
        "Type=simple",
        "User=app",
        "ExecStart=/srv/app/venv/bin/gunicorn --config /etc/app/gunicorn.conf.py",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=10",
        "Restart=always",
        "RestartSec=2",
        "NoNewPrivileges=true",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
      ].join("\n"),
    );
  });

  it("GIVEN every option WHEN rendered THEN the service section is exactly this", () => {
    const text = renderSystemdUnit(
      resolveSystemdService({
        name: "app",
        description: "Shop at 100%",
        command: ["/srv/app/venv/bin/uwsgi", "--ini", "/etc/app/uwsgi.ini"],
        user: "root",
        group: "root",
        workingDirectory: "/srv/app/current",
        environment: { Z: "last", A: "two words" },
        restart: "on-failure",
        restartSec: 5,
        killSignal: "SIGTERM",
        timeoutStopSec: 35,
        reloadSignal: "SIGHUP",
        runtimeDirectory: "app",
      }),
    );
    expect(text.split("\n").slice(2, 24)).toEqual([
      "Description=Shop at 100%%",
      "After=network.target",
      "",
      "[Service]",
      "Type=simple",
      "User=root",
      "Group=root",
      "WorkingDirectory=/srv/app/current",
      'Environment="A=two words"',
      'Environment="Z=last"',
      "RuntimeDirectory=app",
      "RuntimeDirectoryMode=0755",
      "ExecStart=/srv/app/venv/bin/uwsgi --ini /etc/app/uwsgi.ini",
      "ExecReload=/bin/kill -s HUP $MAINPID",
      "KillSignal=SIGTERM",
      "TimeoutStopSec=35",
      "Restart=on-failure",
      "RestartSec=5",
      "NoNewPrivileges=true",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
    ]);
  });

  it.each([
    ["plain", "plain"],
    ["a b", '"a b"'],
    ["100%", '"100%%"'],
    ["$HOME", '"$$HOME"'],
    ['q"x', '"q\\"x"'],
    ["back\\slash", '"back\\\\slash"'],
    [";", '";"'],
    ["", '""'],
  ])("GIVEN ExecStart argument %j WHEN rendered THEN it is written %s", (arg, written) => {
    expect(systemdExecArg(arg)).toBe(written);
  });

  it("GIVEN an environment value with % and $ WHEN rendered THEN only % is escaped (Environment= expands no $)", () => {
    expect(systemdEnvironment("A", "x %d $Z")).toBe('"A=x %%d $Z"');
  });

  it.each<[Partial<SystemdServiceArgs>, string]>([
    [{ name: "my app" }, expect.stringContaining("`name` must be 1 to 32 characters") as unknown as string],
    [{ command: ["uwsgi"] }, '`command[0]` must be an absolute path (starting with /) (got "uwsgi")'],
    [{ command: ["/bin/echo", "a\nb"] }, '`command[1]` must not contain a newline (got "a\\nb")'],
    [{ killSignal: "SIGKILL" as "SIGTERM" }, '`killSignal` must be one of SIGTERM, SIGINT, SIGQUIT, SIGHUP (got "SIGKILL")'],
    [{ restart: "sometimes" as "no" }, '`restart` must be one of always, on-failure, no (got "sometimes")'],
    [{ environment: { "A-B": "x" } }, '`environment` keys must be [A-Za-z_][A-Za-z0-9_]* (got "A-B")'],
  ])("GIVEN %j WHEN resolved THEN it throws %j", (override, message) => {
    const error = errorOf(() => resolveSystemdService({ name: "app", command: ["/bin/true"], user: "app", ...override }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toEqual(message);
  });
});
