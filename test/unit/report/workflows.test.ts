/**
 * The CI examples in examples/ci: each parses as YAML, each script is valid shell, and every
 * `flaskstack` call in them is one the command accepts. (review.test.ts runs the GitHub workflow's
 * steps for real against a preview and a loopback API.)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseArgs } from "../../../components/report/cli";
import { CI, flaskstackCalls, Step, workflowScripts } from "./ciFiles";

describe.each(["github-actions.yml", "gitlab-ci.yml"])("%s", (file) => {
  const scripts = workflowScripts(file);

  test("GIVEN the file WHEN parsed THEN it is YAML with scripts in it", () => {
    expect(scripts.length).toBeGreaterThan(3);
  });

  test("GIVEN each script WHEN checked by the shell THEN its syntax is valid", () => {
    for (const { label, script } of scripts) {
      const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
      expect({ label, status: r.status, stderr: r.stderr }).toEqual({ label, status: 0, stderr: "" });
    }
  });

  test("GIVEN each flaskstack call WHEN parsed THEN the command accepts it", () => {
    const calls = scripts.flatMap((s) => flaskstackCalls(s.script));
    expect(calls.map((c) => c[0]).sort()).toEqual(expect.arrayContaining(["drift", "report"]));
    for (const call of calls) expect(() => parseArgs(call)).not.toThrow();
  });
});

test("GIVEN the GitHub workflow WHEN read THEN it comments on pull requests with write permission only there, and deploys on push", () => {
  const doc = yaml.load(fs.readFileSync(path.join(CI, "github-actions.yml"), "utf8")) as {
    permissions: Record<string, string>;
    jobs: Record<string, { if: string; steps: Step[] }>;
  };
  expect(doc.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  expect(doc.jobs.review.if).toBe("github.event_name == 'pull_request'");
  expect(doc.jobs.deploy.if).toBe("github.event_name == 'push'");
  expect(doc.jobs.review.steps.map((s) => s.name ?? s.uses)).toEqual([
    "actions/checkout@v4",
    "actions/setup-node@v4",
    "pulumi/actions@v6",
    "Install",
    "Preview",
    "Report",
    "Comment",
  ]);
  expect(doc.jobs.deploy.steps.some((s) => /pulumi up --yes/.test(s.run ?? ""))).toBe(true);
});

test("GIVEN the README's example report WHEN compared THEN it is the reviewed golden report of the uWSGI change, as printed", () => {
  const readme = fs.readFileSync(path.join(CI, "..", "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Reviewing changes in pull requests"));
  const example = /````markdown\n([^]*?)\n````/.exec(section)?.[1];
  const golden = fs
    .readFileSync(path.join(CI, "..", "..", "test", "integration", "review", "golden", "uwsgi.md"), "utf8")
    .split("\n<!-- plain-text form -->\n")[0];
  expect(example).toBe(golden.replace("<!-- flaskstack-report -->\n", "").trimEnd());
});
