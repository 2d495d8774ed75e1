/**
 * The review report's edge cases on hand-made previews in the shape `pulumi preview --json` prints
 * (steps with old and new inputs; secrets as "[secret]", unknowns as the engine's sentinel).
 */
import { SERVER_ACTIONS, serverActionFor, ServerProfile } from "../../../components/config/actions";
import { environmentFingerprints, parseTokens, reviewTagOf, reviewTagValue, ReviewTag } from "../../../components/config/tokens";
import { reviewModel, SECRET, UNKNOWN } from "../../../components/report/preview";
import { renderFailure, renderReport, REPORT_MARKER, unifiedDiff } from "../../../components/report/render";

const HOST = "vm (deploy@127.0.0.1:22)";

function commandText(tag: ReviewTag, tokens: Record<string, string> = {}): string {
  const all: Record<string, string> = { ...tokens, flaskstack: reviewTagValue(tag), host: HOST };
  return `${Object.keys(all)
    .sort()
    .map((k) => `# ${k}: ${all[k]}\n`)
    .join("")}sudo -n sh -c 'true'`;
}

function step(op: string, name: string, before?: { create: string; stdin?: string }, after?: { create: string; stdin?: string }) {
  const urn = `urn:pulumi:dev::p::flaskstack:index:FlaskApp$command:remote:Command::${name}`;
  const state = (s: { create: string; stdin?: string }) => ({
    urn,
    type: "command:remote:Command",
    parent: "urn:pulumi:dev::p::flaskstack:index:FlaskApp::app",
    inputs: { connection: SECRET, ...s },
  });
  return { op, urn, ...(before ? { oldState: state(before) } : {}), ...(after ? { newState: state(after) } : {}) };
}

function fileStep(
  path: string,
  before: string | undefined,
  after: string | undefined,
  tokens: { before?: Record<string, string>; after?: Record<string, string> } = {},
) {
  const op = before === undefined ? "create" : after === undefined ? "delete" : "update";
  const tag: ReviewTag = { kind: "file", path };
  return step(
    op,
    path,
    before === undefined ? undefined : { create: commandText(tag, tokens.before), stdin: before },
    after === undefined ? undefined : { create: commandText(tag, tokens.after), stdin: after },
  );
}

const UWSGI: ServerProfile = {
  program: "shop",
  server: "uwsgi",
  reload: "graceful reload",
  codeReload: "chain reload",
  envReload: "graceful reload",
  startSecs: 3,
};

function serverStep(before: Record<string, string>, after: Record<string, string>, profile: ServerProfile = UWSGI) {
  const tag: ReviewTag = { kind: "server", profile };
  return step("update", "shop-uwsgi-reload", { create: commandText(tag, before) }, { create: commandText(tag, after) });
}

const report = (steps: unknown[], budget?: number) =>
  renderReport(reviewModel({ steps, changeSummary: { update: steps.length } }), { format: "markdown", budget });

describe("the decision table", () => {
  test("GIVEN changes WHEN the action is chosen THEN the first row in table order wins", () => {
    expect(serverActionFor(new Set())).toBe("none");
    expect(serverActionFor(new Set(["code"]))).toBe("code-reload");
    expect(serverActionFor(new Set(["config", "code"]))).toBe("reload");
    expect(serverActionFor(new Set(["env", "config", "code"]))).toBe("env-reload");
    expect(serverActionFor(new Set(["envstart", "env", "config", "code"]))).toBe("restart");
    expect(SERVER_ACTIONS.map((r) => r.when)).toEqual(["pid", "envstart", "env", "config", "code"]);
  });

  test("GIVEN a server's tokens WHEN only the code token changes THEN the report says chain reload, no requests dropped", () => {
    const md = report([serverStep({ code: "a", config: "c", environment: "e" }, { code: "b", config: "c", environment: "e" })]);
    expect(md).toContain("| `shop` (uwsgi) | chain reload: workers replaced one at a time, no requests dropped | code changed |");
  });

  test("GIVEN an environment change WHEN reported THEN it is a graceful reload with the new environment", () => {
    const md = report([serverStep({ code: "a", config: "c", environment: "e1" }, { code: "a", config: "c", environment: "e2" })]);
    expect(md).toContain("| `shop` (uwsgi) | graceful reload: workers start again with the new environment, no requests dropped | environment changed |");
  });

  test("GIVEN a change to a variable read at process start WHEN reported THEN it is a restart with the dropped-requests estimate", () => {
    const md = report([
      serverStep(
        { code: "a", config: "c", environment: "e1", "start-environment": "s1" },
        { code: "a", config: "c2", environment: "e2", "start-environment": "s2" },
      ),
    ]);
    expect(md).toContain(
      "| `shop` (uwsgi) | restart: requests dropped for about 3 s | a variable read at process start changed, environment changed, config changed |",
    );
  });

  test.each<[string, ServerProfile["handoff"], string]>([
    ["a unix socket", true, "restart through a standby on the handoff socket, no requests dropped"],
    ["a TCP port", "port", "restart through a standby, nginx's backup while the port is closed (a POST the port holds as it closes can fail)"],
  ])("GIVEN a server on %s with a standby WHEN a restart is reported THEN it says what the standby saves", (_, handoff, says) => {
    const md = report([
      serverStep(
        { code: "a", config: "c", environment: "e", "start-environment": "s1" },
        { code: "a", config: "c", environment: "e", "start-environment": "s2" },
        {
          ...UWSGI,
          handoff,
        },
      ),
    ]);
    expect(md).toContain(`| \`shop\` (uwsgi) | ${says} | a variable read at process start changed |`);
  });

  test("GIVEN a token not known until apply WHEN reported THEN it says so", () => {
    const md = report([serverStep({ code: "a", config: "c", environment: "e" }, { code: "a", config: UNKNOWN, environment: "e" })]);
    expect(md).toContain("config (may change: known after apply)");
  });
});

describe("files in the report", () => {
  test("GIVEN a blank line removed WHEN reported THEN the diff shows it, with hunk headers", () => {
    const md = report([fileStep("/etc/shop/uwsgi.ini", "[uwsgi]\n\nprocesses = 2\n", "[uwsgi]\nprocesses = 2\n")]);
    expect(md).toContain("```diff\n--- a/etc/shop/uwsgi.ini\n+++ b/etc/shop/uwsgi.ini\n@@ -1,3 +1,2 @@\n [uwsgi]\n-\n processes = 2\n```");
    expect(md.startsWith(REPORT_MARKER)).toBe(true);
  });

  test("GIVEN a whitespace-only change WHEN reported THEN the trailing whitespace is visible and explained", () => {
    const md = report([fileStep("/etc/nginx/sites-available/shop", "listen 80;\n", "listen 80;  \t\n")]);
    expect(md).toContain("-listen 80;\n+listen 80;··→\n");
    expect(md).toContain("shown as `·` (space) and `→` (tab)");
  });

  test("GIVEN a created and a deleted file WHEN reported THEN they diff against /dev/null", () => {
    const md = report([
      fileStep("/etc/nginx/sites-available/news", undefined, "server {}\n"),
      fileStep("/etc/nginx/sites-available/old", "server {}\n", undefined),
    ]);
    expect(md).toContain("**`/etc/nginx/sites-available/news`** created (+1 −0)");
    expect(md).toContain("--- /dev/null\n+++ b/etc/nginx/sites-available/news\n@@ -0,0 +1,1 @@\n+server {}");
    expect(md).toContain("**`/etc/nginx/sites-available/old`** deleted (+0 −1)");
    expect(md).toContain("--- a/etc/nginx/sites-available/old\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-server {}");
  });

  test("GIVEN a secret environment file WHEN reported THEN only key names appear, never values or fingerprints", () => {
    const before = environmentFingerprints("host key", { API_TOKEN: "one", GREETING: "hi", OLD: "x" });
    const after = environmentFingerprints("host key", { API_TOKEN: "two", GREETING: "hi", NEW: "y" });
    const md = report([fileStep("/etc/shop/env", SECRET, SECRET, { before: { keys: before }, after: { keys: after } })]);
    expect(md).toContain("**`/etc/shop/env`** changed: environment keys: added `NEW`; changed `API_TOKEN`; removed `OLD` (values are never shown)");
    for (const leak of ["one", "two", "hi", ...after.split(" ").map((p) => p.split("=")[1])]) expect(md).not.toContain(` ${leak}`);
  });

  test("GIVEN content not known until apply WHEN reported THEN it says so instead of a diff", () => {
    const md = report([fileStep("/etc/shop/uwsgi.ini", "a\n", UNKNOWN)]);
    expect(md).toContain("content known after apply");
    expect(md).not.toContain("```diff");
  });

  test("GIVEN file text holding a code fence WHEN reported THEN the block's fence is longer than it", () => {
    const md = report([fileStep("/srv/x/README.md", "a\n", "```sh\nb\n```\n")]);
    expect(md).toContain("````diff\n");
  });

  test("GIVEN a 200 KB diff and a small one WHEN the budget is one comment THEN the big one is folded, the small one kept, and the cut named", () => {
    const big = Array.from({ length: 4000 }, (_, i) => `line ${i} ${"x".repeat(40)}`).join("\n");
    const md = report([fileStep("/etc/big.conf", "", `${big}\n`), fileStep("/etc/shop/uwsgi.ini", "processes = 2\n", "processes = 3\n")]);
    expect(big.length).toBeGreaterThan(200_000);
    expect(md.length).toBeLessThanOrEqual(65_000);
    expect(md).toContain("**`/etc/big.conf`** changed (+4000 −0): diff of 4000 lines folded");
    expect(md).toContain("-processes = 2\n+processes = 3");
    expect(md).toContain("Folded to stay within 65,000 characters, longest first: `/etc/big.conf`");
  });

  test("GIVEN a budget smaller than even the folded report WHEN rendered THEN it is cut, fences closed, and says so", () => {
    const steps = Array.from({ length: 200 }, (_, i) => fileStep(`/etc/conf.d/file-${i}.conf`, "a\n", "b\n"));
    const md = report(steps, 2000);
    expect(md.length).toBeLessThanOrEqual(2000);
    expect(md).toContain("Cut here: the rest of the report is over the 2,000-character budget");
    expect((md.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  test("GIVEN nothing changes WHEN reported THEN one line says so and the model says no changes", () => {
    const model = reviewModel({ steps: [{ op: "same", urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev" }], changeSummary: { same: 20 } });
    expect(model.changes).toBe(false);
    expect(renderReport(model, { format: "text" })).toBe(
      "flaskstack: what `pulumi up` will change\n\nNo changes: `pulumi up` would run no command on any host.\n",
    );
  });
});

describe("code and requirements", () => {
  test("GIVEN a new release WHEN reported THEN the files added, changed and removed come from the manifest", () => {
    const tag = (id: string): ReviewTag => ({ kind: "release", app: "shop", baseDir: "/srv/shop", id });
    const md = report([
      step(
        "replace",
        "shop-release",
        { create: commandText(tag("r1")), stdin: "aaaa 644 10 app.py\nbbbb 644 5 old.py\ncccc 644 3 same.py\n" },
        { create: commandText(tag("r2")), stdin: "dddd 644 11 app.py\ncccc 644 3 same.py\neeee 644 1 new dir/x.py\n" },
      ),
    ]);
    expect(md).toContain("- code of `shop`: new release `r2` (was `r1`), imported before the switch: changed `app.py`; added `new dir/x.py`; removed `old.py`");
  });
});

describe("tokens", () => {
  test("GIVEN a command with tokens WHEN parsed THEN the leading comment lines are read and the script is not", () => {
    const text = '# a: 1\n# flaskstack: {"kind":"nginx","site":"shop"}\nsudo -n sh -c \'# b: 2\'';
    expect([...parseTokens(text).keys()]).toEqual(["a", "flaskstack"]);
    expect(reviewTagOf(text)).toEqual({ kind: "nginx", site: "shop" });
    expect(reviewTagOf("# flaskstack: {not json\ntrue")).toBeUndefined();
  });

  test("GIVEN environments WHEN fingerprinted THEN equal values match, other values or keys do not, and the secret matters", () => {
    const a = environmentFingerprints("k1", { A: "x", B: "y" });
    expect(a).toMatch(/^A=[0-9a-f]{12} B=[0-9a-f]{12}$/);
    expect(environmentFingerprints("k1", { B: "y", A: "x" })).toBe(a);
    expect(environmentFingerprints("k1", { A: "x", B: "z" }).split(" ")[0]).toBe(a.split(" ")[0]);
    expect(environmentFingerprints("k1", { A: "x", B: "z" }).split(" ")[1]).not.toBe(a.split(" ")[1]);
    expect(environmentFingerprints("k2", { A: "x", B: "y" })).not.toBe(a);
    expect(environmentFingerprints("k1", {})).toBe("-");
  });

  test("GIVEN a diff WHEN counted THEN added and removed lines are counted, context is not", () => {
    const d = unifiedDiff("/f", "update", "a\nb\nc\n", "a\nB\nc\nd\n");
    expect({ added: d.added, removed: d.removed }).toEqual({ added: 2, removed: 1 });
  });
});

test("GIVEN a failed preview WHEN reported THEN the document says so with the engine's messages, fenced", () => {
  expect(renderFailure(["error: Configuration 'p:port' value `x` is not a number"], { format: "markdown", title: "prod" })).toBe(
    `${REPORT_MARKER}\n## flaskstack: the preview failed · prod\n\n\`pulumi up\` would not run: fix this first.\n\n\`\`\`\nerror: Configuration 'p:port' value \`x\` is not a number\n\`\`\`\n`,
  );
  expect(renderFailure(["boom"], { format: "text" })).toBe("flaskstack: the preview failed\n\nboom\n");
});
