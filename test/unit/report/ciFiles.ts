/** Reading the CI examples in examples/ci: their scripts and the `flaskstack` calls in them. */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export const CI = path.resolve(__dirname, "..", "..", "..", "examples", "ci");

export interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
}

/** Every shell script of a workflow file, labelled. */
export function workflowScripts(file: string): { label: string; script: string }[] {
  const doc = yaml.load(fs.readFileSync(path.join(CI, file), "utf8")) as Record<string, unknown>;
  if (file.startsWith("github")) {
    const jobs = doc.jobs as Record<string, { steps: Step[] }>;
    return Object.entries(jobs).flatMap(([job, j]) => j.steps.filter((s) => s.run).map((s) => ({ label: `${job}: ${s.name ?? s.run}`, script: s.run! })));
  }
  return Object.entries(doc)
    .filter(([, v]) => typeof v === "object" && v !== null && ("script" in v || "before_script" in v))
    .flatMap(([job, v]) => {
      const j = v as { script?: string[]; before_script?: string[] };
      return [...(j.before_script ?? []), ...(j.script ?? [])].map((script) => ({ label: job, script }));
    });
}

/** The argument lists of `npx flaskstack …` calls in a script (variables left as words). */
export function flaskstackCalls(script: string): string[][] {
  return [...script.matchAll(/npx flaskstack ([^|;&\n]*)/g)].map((m) =>
    m[1]
      .replace(/\|\|.*$/, "")
      .trim()
      .split(/\s+/)
      .map((w) => w.replace(/^"(.*)"$/, "$1")),
  );
}
