/**
 * Real-tool checks of the supervisor renderer: supervisord's own option parser (ServerOptions.realize)
 * reads rendered programs, and the argv (after its shlex.split) and environment come back exactly,
 * including for arbitrary strings that the resolver accepts (property test).
 */
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import {
  resolveGunicorn,
  resolveSupervisorProgram,
  resolveUwsgi,
  resolveWaitress,
  supervisorArgProblem,
  supervisorEnvValueProblem,
  SupervisorProgramArgs,
} from "../../../components/config";
import { renderSupervisorProgram, renderWaitressArgv } from "../../../components/render";
import { CTX } from "../fixtures";
import { ensurePythonTools, PythonTools } from "../tools/tools";
import { runTool, tempDir, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let tools: PythonTools;

beforeAll(() => {
  tools = ensurePythonTools();
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

const DUMP = `
import json, shlex, signal, sys
from supervisor.options import ServerOptions
o = ServerOptions()
o.realize(args=["-c", sys.argv[1]])
out = {}
for g in o.process_group_configs:
    for p in g.process_configs:
        ar = p.autorestart
        out[p.name] = {
            "argv": shlex.split(p.command),
            "environment": p.environment or {},
            "directory": p.directory,
            "uid": p.uid,
            "autostart": p.autostart,
            "autorestart": "false" if ar is False else ("true" if "Unconditionally" in repr(ar) else "unexpected"),
            "startsecs": p.startsecs,
            "startretries": p.startretries,
            "stopsignal": signal.Signals(p.stopsignal).name,
            "stopwaitsecs": p.stopwaitsecs,
            "stopasgroup": p.stopasgroup,
            "killasgroup": p.killasgroup,
            "stdout_logfile": p.stdout_logfile,
            "stderr_logfile": p.stderr_logfile,
            "stdout_logfile_maxbytes": p.stdout_logfile_maxbytes,
            "stdout_logfile_backups": p.stdout_logfile_backups,
        }
print(json.dumps(out))
`;

type Parsed = Record<string, Record<string, unknown>>;

/** supervisord's reading of a config made of the given program sections (under the C locale). */
function supervisorRead(programs: readonly string[]): Parsed {
  const dir = tempDir("supervisor");
  const conf = path.join(dir, "supervisord.conf");
  fs.writeFileSync(
    conf,
    [`[supervisord]`, `logfile=${dir}/supervisord.log`, `pidfile=${dir}/supervisord.pid`, `childlogdir=${dir}`, "", ...programs].join("\n"),
  );
  const result = runTool(tools.python, ["-c", DUMP, conf], { env: { ...process.env, LC_ALL: "C", LANG: "C" } });
  if (result.status !== 0) {
    throw new Error(`supervisor refused the config:\n${result.output}\n${fs.readFileSync(conf, "utf8")}`);
  }
  return JSON.parse(result.stdout) as Parsed;
}

function program(args: Partial<SupervisorProgramArgs> & { name: string; command: readonly string[] }, logs: string): string {
  return renderSupervisorProgram(resolveSupervisorProgram({ user: "root", directory: logs, logDir: logs, ...args }));
}

describe("supervisord reads rendered programs", () => {
  it("GIVEN uWSGI, Gunicorn and Waitress programs WHEN supervisord parses them THEN every setting comes back", () => {
    const logs = tempDir("supervisor-logs");
    const uwsgi = resolveUwsgi({}, CTX);
    const gunicorn = resolveGunicorn({}, CTX);
    const waitress = resolveWaitress({}, CTX);
    const parsed = supervisorRead([
      program({ name: "uwsgi", command: uwsgi.command, stopsignal: uwsgi.stopSignal, stopwaitsecs: uwsgi.stopWaitSecs }, logs),
      program({ name: "gunicorn", command: gunicorn.command, user: "nobody", stopwaitsecs: gunicorn.stopWaitSecs, autorestart: "unexpected" }, logs),
      program(
        {
          name: "waitress",
          command: renderWaitressArgv(waitress),
          stopsignal: waitress.stopSignal,
          autorestart: false,
          autostart: false,
          environment: { FLASK_ENV: "production", DATABASE_URL: "postgresql://u:p%40ss@db/app?a=1,b=2", GREETING: 'say "hi"!', MOTTO: "it's 100%;#1, done" },
          logfileMaxbytes: 1024,
          logfileBackups: 2,
        },
        logs,
      ),
    ]);
    expect(parsed.uwsgi).toEqual({
      argv: ["/srv/app/venv/bin/uwsgi", "--ini", "/etc/app/uwsgi.ini"],
      environment: {},
      directory: logs,
      uid: 0,
      autostart: true,
      autorestart: "true",
      startsecs: 3,
      startretries: 3,
      stopsignal: "SIGTERM",
      stopwaitsecs: 35,
      stopasgroup: true,
      killasgroup: true,
      stdout_logfile: `${logs}/uwsgi.out.log`,
      stderr_logfile: `${logs}/uwsgi.err.log`,
      stdout_logfile_maxbytes: 52428800,
      stdout_logfile_backups: 10,
    });
    expect(parsed.gunicorn).toMatchObject({ argv: gunicorn.command, uid: 65534, autorestart: "unexpected", stopwaitsecs: 35 });
    expect(parsed.waitress).toMatchObject({
      argv: renderWaitressArgv(waitress),
      environment: { FLASK_ENV: "production", DATABASE_URL: "postgresql://u:p%40ss@db/app?a=1,b=2", GREETING: 'say "hi"!', MOTTO: "it's 100%;#1, done" },
      autostart: false,
      autorestart: "false",
      stopsignal: "SIGINT",
      stdout_logfile_maxbytes: 1024,
      stdout_logfile_backups: 2,
    });
  });

  it("GIVEN arbitrary arguments and environment values the resolver accepts WHEN supervisord parses them THEN they come back exactly (property)", () => {
    const logs = tempDir("supervisor-logs");
    const unit = fc.oneof(fc.constantFrom(..."'\"\\$`;#%, =:()[]{}-_x"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
    const arg = fc.string({ unit, maxLength: 12 }).filter((s) => supervisorArgProblem(s) === undefined);
    const value = fc.string({ unit, maxLength: 12 }).filter((s) => supervisorEnvValueProblem(s) === undefined);
    const cases = fc.sample(fc.record({ args: fc.array(arg, { maxLength: 4 }), env: fc.array(value, { minLength: 1, maxLength: 3 }) }), {
      numRuns: 120,
      seed: 7,
    });
    const sections = cases.map((c, i) =>
      program({ name: `p${i}`, command: ["/bin/echo", ...c.args], environment: Object.fromEntries(c.env.map((v, j) => [`V${j}`, v])) }, logs),
    );
    const parsed = supervisorRead(sections);
    cases.forEach((c, i) => {
      expect({ i, argv: parsed[`p${i}`].argv, environment: parsed[`p${i}`].environment }).toEqual({
        i,
        argv: ["/bin/echo", ...c.args],
        environment: Object.fromEntries(c.env.map((v, j) => [`V${j}`, v])),
      });
    });
  });
});
