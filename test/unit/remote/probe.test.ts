/** The health probe, run for real with python3 against a local HTTP server that answers as told. */
import { spawn } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import { probeScript, probeStdin } from "../../../components/remote/probe";

let server: http.Server;
let port: number;
let answers: number[] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    res.statusCode = answers.length > 1 ? (answers.shift() as number) : answers[0];
    res.end("x");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function probe(timeout: number): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const script = probeScript({
      scheme: "http",
      port,
      hostHeader: "shop.example",
      path: "/healthz",
      timeoutSecs: timeout,
      errorLog: "/nonexistent/error.log",
    });
    const p = spawn("sh", ["-c", script]);
    p.stdin.end(probeStdin(["nginx written 0123", "service abc"]));
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

describe("health probe", () => {
  it("waits through 404s and 502s (a reload not yet in effect) until the site answers 2xx", async () => {
    answers = [404, 502, 200];
    const r = await probe(10);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe("GET /healthz (Host: shop.example): 200 OK");
    expect(seen.slice(-3)).toEqual(["shop.example /healthz", "shop.example /healthz", "shop.example /healthz"]);
  });

  it("fails after its timeout with the last answer", async () => {
    answers = [502];
    const r = await probe(1);
    expect(r.code).toBe(1);
    expect(r.err).toContain("did not answer GET /healthz (Host: shop.example)");
    expect(r.err).toContain("last answer: 502 Bad Gateway");
  });
});
