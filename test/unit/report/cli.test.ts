/**
 * The `flaskstack` command's arguments, and the pull-request comment against a loopback stand-in of
 * GitHub's REST API (list, create, update: the three calls the command makes).
 */
import * as http from "http";
import { AddressInfo } from "net";
import { parseArgs, UsageError } from "../../../components/report/cli";
import { upsertComment } from "../../../components/report/github";
import { REPORT_MARKER } from "../../../components/report/render";

describe("arguments", () => {
  test("GIVEN options in both spellings WHEN parsed THEN values and switches are read", () => {
    expect(parseArgs(["report", "--preview", "p.json", "--format=text", "--budget", "5000"])).toEqual({
      command: "report",
      flags: { preview: "p.json", format: "text", budget: "5000" },
    });
    expect(parseArgs(["drift", "--help"]).flags).toEqual({ help: true });
  });

  test.each([
    [["nope"], /unknown command "nope"/],
    [["report", "--state", "x"], /report: unknown option --state/],
    [["report", "--preview"], /--preview needs a value/],
    [["drift", "extra"], /unexpected argument "extra"/],
  ])("GIVEN %j WHEN parsed THEN a usage error names it", (argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseArgs(argv as string[])).toThrow(message as RegExp);
  });
});

describe("the pull-request comment", () => {
  let server: http.Server;
  let api = "";
  const comments: { id: number; body: string }[] = [];
  const calls: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        calls.push(`${req.method} ${req.url} ${req.headers.authorization}`);
        res.setHeader("content-type", "application/json");
        if (req.method === "GET" && req.url?.startsWith("/repos/o/r/issues/7/comments")) {
          res.end(JSON.stringify(comments));
        } else if (req.method === "POST" && req.url === "/repos/o/r/issues/7/comments") {
          const c = { id: comments.length + 1, body: JSON.parse(body).body };
          comments.push(c);
          res.statusCode = 201;
          res.end(JSON.stringify({ ...c, html_url: `https://github.test/o/r/pull/7#issuecomment-${c.id}` }));
        } else if (req.method === "PATCH" && req.url?.startsWith("/repos/o/r/issues/comments/")) {
          const c = comments.find((x) => x.id === Number(req.url!.split("/").pop()))!;
          c.body = JSON.parse(body).body;
          res.end(JSON.stringify({ ...c, html_url: `https://github.test/o/r/pull/7#issuecomment-${c.id}` }));
        } else {
          res.statusCode = 404;
          res.end(JSON.stringify({ message: "Not Found" }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const env = () => ({ GITHUB_TOKEN: "t0k", GITHUB_REPOSITORY: "o/r", GITHUB_API_URL: api });

  test("GIVEN no report comment yet WHEN posted twice THEN it is created once and then updated in place", async () => {
    comments.push({ id: 99, body: "an unrelated review comment" });
    const first = await upsertComment({ body: `${REPORT_MARKER}\nfirst`, pr: "7", env: env() });
    const second = await upsertComment({ body: `${REPORT_MARKER}\nsecond`, pr: "7", env: env() });
    expect([first.action, second.action]).toEqual(["created", "updated"]);
    expect(comments).toEqual([
      { id: 99, body: "an unrelated review comment" },
      { id: 2, body: `${REPORT_MARKER}\nsecond` },
    ]);
    expect(calls.every((c) => c.endsWith("Bearer t0k"))).toBe(true);
  });

  test("GIVEN bad input WHEN posting THEN it fails before any call, naming what is wrong", async () => {
    const before = calls.length;
    await expect(upsertComment({ body: `${REPORT_MARKER}\nx`, pr: "7", env: { ...env(), GITHUB_TOKEN: "" } })).rejects.toThrow(/GITHUB_TOKEN is not set/);
    await expect(upsertComment({ body: "plain text", pr: "7", env: env() })).rejects.toThrow(/not a Markdown flaskstack report/);
    await expect(upsertComment({ body: `${REPORT_MARKER}\n${"x".repeat(70_000)}`, pr: "7", env: env() })).rejects.toThrow(/over GitHub's 65536/);
    await expect(upsertComment({ body: `${REPORT_MARKER}\nx`, pr: "seven", env: env() })).rejects.toThrow(/--pr must be a pull request number/);
    expect(calls.length).toBe(before);
  });

  test("GIVEN the API refuses WHEN posting THEN the error carries its status", async () => {
    await expect(upsertComment({ body: `${REPORT_MARKER}\nx`, pr: "8", env: env() })).rejects.toThrow(/answered 404/);
  });
});
