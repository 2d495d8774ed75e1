#!/usr/bin/env node
/**
 * `flaskstack`: the review report, the drift check and the pull-request comment.
 *
 *   flaskstack report [--preview FILE|-] [--stack S] [--cwd DIR] [--format markdown|text]
 *                     [--budget N] [--title T] [--output FILE]
 *   flaskstack drift  [--state FILE|-] [--stack S] [--cwd DIR] [--format markdown|text]
 *                     [--known-hosts FILE] [--output FILE]
 *   flaskstack comment --file FILE [--pr N] [--repo OWNER/NAME]
 *
 * Exit codes: 0 nothing would change / no drift, 2 changes / drift, 1 an error.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { checkDrift, driftReport, DriftTarget, driftTargets } from "./drift";
import { upsertComment } from "./github";
import { reviewModel } from "./preview";
import { DEFAULT_BUDGET, renderFailure, renderReport } from "./render";

export interface Flags {
  readonly [name: string]: string | boolean | undefined;
}

/** The options each command takes: value options and switches. Unknown options are an error. */
export const COMMANDS: Record<string, { readonly values: readonly string[]; readonly switches: readonly string[] }> = {
  report: { values: ["preview", "stack", "cwd", "format", "budget", "title", "output"], switches: ["help"] },
  drift: { values: ["state", "stack", "cwd", "format", "known-hosts", "output"], switches: ["help"] },
  comment: { values: ["file", "pr", "repo"], switches: ["help"] },
};

export class UsageError extends Error {}

/** Parses `--name value` / `--name=value` / `--switch` against the command's options. */
export function parseArgs(argv: readonly string[]): { command: string; flags: Flags } {
  const [command, ...rest] = argv;
  const spec = COMMANDS[command ?? ""];
  if (!spec) throw new UsageError(`unknown command ${JSON.stringify(command ?? "")}: use one of ${Object.keys(COMMANDS).join(", ")}`);
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(arg)}`);
    const [, name, inline] = m;
    if (spec.switches.includes(name)) {
      flags[name] = true;
    } else if (spec.values.includes(name)) {
      const value = inline ?? rest[++i];
      if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
      flags[name] = value;
    } else {
      throw new UsageError(`${command}: unknown option --${name} (options: ${[...spec.values, ...spec.switches].map((o) => `--${o}`).join(" ")})`);
    }
  }
  return { command, flags };
}

const USAGE = `usage:
  flaskstack report  [--preview FILE|-] [--stack S] [--cwd DIR] [--format markdown|text] [--budget N] [--title T] [--output FILE]
      What \`pulumi up\` will change, per host: file diffs and what each service goes through.
      Reads \`pulumi preview --json\` output from FILE (or - for stdin); without --preview it runs that preview itself.
  flaskstack drift   [--state FILE|-] [--stack S] [--cwd DIR] [--format markdown|text] [--known-hosts FILE] [--output FILE]
      Compares each host with what the stack last applied (files, releases, programs).
      Reads \`pulumi stack export --show-secrets\` output from FILE; without --state it runs that export itself.
  flaskstack comment --file FILE [--pr N] [--repo OWNER/NAME]
      Creates or updates the pull request's one flaskstack comment (GITHUB_TOKEN; GitHub Actions sets the rest).
exit codes: 0 nothing to change / no drift, 2 changes / drift, 1 error
`;

function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

function format(flags: Flags): "markdown" | "text" {
  const f = str(flags, "format") ?? "markdown";
  if (f !== "markdown" && f !== "text") throw new UsageError(`--format must be markdown or text (got ${JSON.stringify(f)})`);
  return f;
}

/** Runs the Pulumi CLI and returns its stdout; fails with its stderr. */
function pulumi(args: string[], cwd: string | undefined): string {
  const r = spawnSync("pulumi", args, { cwd, encoding: "utf8", maxBuffer: 512 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new Error(`could not run \`pulumi ${args.join(" ")}\`: ${r.error.message}`);
  // `preview --json` exits non-zero when the preview itself fails; its JSON then holds the diagnostics.
  if (r.status !== 0 && !(args[0] === "preview" && r.stdout.trim().startsWith("{"))) {
    throw new Error(`\`pulumi ${args.join(" ")}\` failed (exit ${r.status}):\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

function readInput(file: string): string {
  return file === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(file, "utf8");
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}

function write(flags: Flags, text: string): void {
  const out = str(flags, "output");
  if (out) fs.writeFileSync(out, text);
  else process.stdout.write(text);
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const { command, flags } = parseArgs(argv);
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const stackArgs = str(flags, "stack") ? ["--stack", str(flags, "stack")!] : [];
  const cwd = str(flags, "cwd");
  switch (command) {
    case "report": {
      const budgetText = str(flags, "budget");
      const budget = budgetText === undefined ? DEFAULT_BUDGET : Number(budgetText);
      if (!Number.isInteger(budget) || budget < 1000)
        throw new UsageError(`--budget must be a whole number of characters, at least 1000 (got ${JSON.stringify(budgetText)})`);
      const fmt = format(flags);
      const source = str(flags, "preview");
      const json = source ? readInput(source) : pulumi(["preview", "--json", "--non-interactive", ...stackArgs], cwd);
      const preview = parseJson(json, source ? `--preview ${source}` : "the preview's output") as { diagnostics?: { severity?: string; message?: string }[] };
      const failed = (preview.diagnostics ?? []).filter((d) => d.severity === "error");
      if (failed.length > 0) {
        // The reviewer sees why, in place of a report that would be out of date.
        write(
          flags,
          renderFailure(
            failed.map((d) => (d.message ?? "").trim()),
            { format: fmt, budget, title: str(flags, "title") ?? str(flags, "stack") },
          ),
        );
        process.stderr.write(`flaskstack: the preview failed:\n${failed.map((d) => (d.message ?? "").trim()).join("\n")}\n`);
        return 1;
      }
      const model = reviewModel(preview);
      write(flags, renderReport(model, { format: fmt, budget, title: str(flags, "title") ?? str(flags, "stack") }));
      return model.changes ? 2 : 0;
    }
    case "drift": {
      const fmt = format(flags);
      const source = str(flags, "state");
      const json = source ? readInput(source) : pulumi(["stack", "export", "--show-secrets", ...stackArgs], cwd);
      const targets: DriftTarget[] = driftTargets(parseJson(json, source ? `--state ${source}` : "the stack export"));
      const results = await checkDrift(targets, { knownHosts: str(flags, "known-hosts") });
      const report = driftReport(results, fmt);
      write(flags, report.text);
      return report.drifted ? 2 : 0;
    }
    case "comment": {
      const file = str(flags, "file");
      if (!file) throw new UsageError("comment: --file is required (the report to post)");
      const result = await upsertComment({ body: fs.readFileSync(file, "utf8"), pr: str(flags, "pr"), repo: str(flags, "repo") });
      process.stdout.write(`${result.action} comment ${result.url}\n`);
      return 0;
    }
  }
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`flaskstack: ${e.message}\n${e instanceof UsageError ? USAGE : ""}`);
      process.exit(1);
    },
  );
}
