import { resolveGunicorn, resolveSupervisorProgram, resolveUwsgi, resolveWaitress } from "../../../components/config";
import { renderSupervisorProgram, renderWaitressArgv, supervisorCommandArg, supervisorEnvPair } from "../../../components/render";
import { CTX } from "../fixtures";

describe("renderSupervisorProgram", () => {
  it("GIVEN a uWSGI program with defaults WHEN rendered THEN the section is exactly this", () => {
    const uwsgi = resolveUwsgi({}, CTX);
    const program = resolveSupervisorProgram({
      name: "app",
      command: uwsgi.command,
      user: uwsgi.processUser,
      stopsignal: uwsgi.stopSignal,
      stopwaitsecs: uwsgi.stopWaitSecs,
    });
    expect(renderSupervisorProgram(program)).toBe(
      [
        "# Managed by flaskstack — changes here are overwritten",
        "[program:app]",
        "command=/srv/app/venv/bin/uwsgi --ini /etc/app/uwsgi.ini",
        "user=root",
        "autostart=true",
        "autorestart=true",
        "startsecs=3",
        "startretries=3",
        "stopsignal=TERM",
        "stopwaitsecs=35",
        "stopasgroup=true",
        "killasgroup=true",
        "stdout_logfile=/var/log/app/app.out.log",
        "stdout_logfile_maxbytes=52428800",
        "stdout_logfile_backups=10",
        "stderr_logfile=/var/log/app/app.err.log",
        "stderr_logfile_maxbytes=52428800",
        "stderr_logfile_backups=10",
        "",
      ].join("\n"),
    );
  });

  it("GIVEN a Waitress program with directory and environment WHEN rendered THEN those lines are exactly these", () => {
    const waitress = resolveWaitress({ listen: { kind: "tcp" } }, CTX);
    const text = renderSupervisorProgram(
      resolveSupervisorProgram({
        name: "web",
        command: renderWaitressArgv(waitress),
        user: waitress.processUser,
        directory: waitress.workingDirectory,
        environment: { FLASK_ENV: "production", DATABASE_URL: "postgresql://u:p%40ss@db/app?a=1,b=2", GREETING: 'say "hi" now' },
        stopsignal: waitress.stopSignal,
        autorestart: "unexpected",
      }),
    );
    expect(text.split("\n").slice(2, 17)).toEqual([
      "command=/srv/app/venv/bin/waitress-serve",
      "    '--listen=127.0.0.1:8080'",
      "    '--threads=4'",
      "    '--connection-limit=100'",
      "    '--channel-timeout=120'",
      "    '--max-request-header-size=262144'",
      "    '--max-request-body-size=1073741824'",
      "    '--url-scheme=http'",
      "    '--trusted-proxy=127.0.0.1'",
      "    '--trusted-proxy-headers=x-forwarded-for x-forwarded-host x-forwarded-port x-forwarded-proto'",
      "    --clear-untrusted-proxy-headers pkg.wsgi:app",
      "directory=/srv/app/current",
      "user=app",
      'environment=DATABASE_URL="postgresql://u:p%%40ss@db/app?a=1,b=2",FLASK_ENV="production",GREETING=\'say "hi" now\'',
      "autostart=true",
    ]);
    expect(text).toContain("\nautorestart=unexpected\n");
    expect(text).toContain("\nstopsignal=INT\n");
  });

  it("GIVEN a Gunicorn program WHEN rendered THEN the command is the venv's gunicorn with its config", () => {
    const gunicorn = resolveGunicorn({}, CTX);
    const text = renderSupervisorProgram(resolveSupervisorProgram({ name: "app", command: gunicorn.command, user: gunicorn.processUser }));
    expect(text).toContain("\ncommand=/srv/app/venv/bin/gunicorn --config /etc/app/gunicorn.conf.py\nuser=app\n");
  });

  it.each([
    ["plain", "plain"],
    ["with space", "'with space'"],
    ["100%", "100%%"],
    ["it's", "'it'\\''s'"],
    ["a ;b", "'a '';b'"],
    ["x #y", "'x ''#y'"],
    ["a;b", "'a;b'"],
    ["#x", "'#x'"],
    ["", "''"],
  ])("GIVEN command argument %j WHEN rendered THEN it is written %s", (arg, written) => {
    expect(supervisorCommandArg(arg)).toBe(written);
  });

  it.each([
    ["K", "v", 'K="v"'],
    ["K", "a,b=c", 'K="a,b=c"'],
    ["K", "50%", 'K="50%%"'],
    ["K", "it's", `K="it's"`],
    ["K", 'say "x" ok', `K='say "x" ok'`],
    ["K", "", 'K=""'],
    ["K", "a#b;c", 'K="a#b;c"'],
  ])("GIVEN environment %s=%j WHEN rendered THEN it is written %s", (key, value, written) => {
    expect(supervisorEnvPair(key, value)).toBe(written);
  });
});
