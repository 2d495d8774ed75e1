/**
 * Real-tool checks of the Waitress argv: waitress-serve accepts every flag, serves the app (module and
 * factory), trusts nginx's forwarded headers (TCP and unix socket), and stops on the stop signal.
 */
import { ChildProcess, spawn } from "child_process";
import * as http from "http";
import { resolveWaitress, WaitressArgs } from "../../../components/config";
import { renderWaitressArgv } from "../../../components/render";
import { ensurePythonTools, PythonTools } from "../tools/tools";
import { eventually, freePort, sampleApp, TOOL_TIMEOUT_MS, removeTempDirs } from "./harness";

let tools: PythonTools;
let child: ChildProcess | undefined;

beforeAll(() => {
  tools = ensurePythonTools();
}, TOOL_TIMEOUT_MS);

afterAll(removeTempDirs);

afterEach(() => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
  }
});

function get(target: { port: number } | { socketPath: string }, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", path: "/", agent: false, headers, ...target }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("waitress-serve runs the rendered argv", () => {
  it.each<[string, string, (port: number) => WaitressArgs, "tcp" | "unix"]>([
    ["module entry on TCP", "pkg.wsgi:app", (port) => ({ listen: { kind: "tcp", port } }), "tcp"],
    ["factory entry on TCP", "pkg.wsgi:create_app()", (port) => ({ listen: { kind: "tcp", port }, threads: 2, connectionLimit: 10 }), "tcp"],
    ["module entry on a unix socket", "pkg.wsgi:app", () => ({ listen: { kind: "unix" } }), "unix"],
  ])(
    "GIVEN a %s WHEN Waitress runs THEN it serves, trusts nginx's X-Forwarded-* and stops on its stop signal",
    async (_what, entry, args, kind) => {
      const { ctx } = sampleApp(tools.venv, entry);
      const port = await freePort();
      const settings = resolveWaitress(args(port), ctx);
      const [binary, ...rest] = renderWaitressArgv(settings);
      let log = "";
      const proc = spawn(binary, rest, { cwd: settings.workingDirectory, stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      proc.stdout?.on("data", (c: Buffer) => (log += c.toString()));
      proc.stderr?.on("data", (c: Buffer) => (log += c.toString()));

      const target = kind === "tcp" ? { port } : { socketPath: settings.listen.kind === "unix" ? settings.listen.path : "" };
      const response = await eventually(() =>
        get(target, {
          Host: "example.com",
          "X-Forwarded-For": "203.0.113.9",
          "X-Forwarded-Proto": "https",
          "X-Forwarded-Host": "example.com",
          "X-Forwarded-Port": "443",
        }),
      ).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${log}`)));
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ scheme: "https", remote: "203.0.113.9", host: "example.com" });

      const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
      proc.kill(`SIG${settings.stopSignal}`);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r("still running"), 10_000)))]);
      clearTimeout(timer); // or jest waits for it after the run
      expect(code).not.toBe("still running");
    },
    30_000,
  );
});
