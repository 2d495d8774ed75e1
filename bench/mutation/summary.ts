/**
 * `summary.ts <stryker json report> <markdown out>`: the mutation score per directory and per file, and
 * the surviving mutants of each file (mutator, line, replacement), from StrykerJS's JSON report.
 */
import * as fs from "fs";
import * as path from "path";

interface Mutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number } };
}
interface Report {
  readonly files: Record<string, { readonly mutants: readonly Mutant[] }>;
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/** Detected ÷ (detected + undetected), in percent; compile errors and ignored mutants do not count. */
function score(mutants: readonly Mutant[]): { detected: number; undetected: number; pct: number } {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  return { detected, undetected, pct: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected) };
}

function main(input: string, output: string): void {
  const report = JSON.parse(fs.readFileSync(input, "utf8")) as Report;
  const files = Object.entries(report.files)
    .map(([file, f]) => [path.relative(process.cwd(), path.resolve(file)), f.mutants] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  const dirs = [...new Set(files.map(([f]) => path.dirname(f)))];
  const row = (name: string, ms: readonly Mutant[]) => {
    const s = score(ms);
    return `| ${name} | ${s.pct.toFixed(1)} % | ${s.detected} | ${s.undetected} |`;
  };
  const all = files.flatMap(([, ms]) => ms);
  const lines = [
    "# Mutation testing",
    "",
    `Written by \`bench/mutation/run.sh\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: StrykerJS (jest runner, per-test`,
    "coverage) mutating the files below, each mutant run against the unit tests that cover it.",
    "A mutant is detected when a test fails (or times out) with it; the score is detected ÷ (detected + undetected),",
    "where undetected counts survivors and mutants no test covers.",
    "",
    "| where | score | detected | undetected |",
    "|---|---|---|---|",
    row("**all**", all),
    ...dirs.map((d) =>
      row(
        `\`${d}/\``,
        files.filter(([f]) => path.dirname(f) === d).flatMap(([, ms]) => ms),
      ),
    ),
    "",
    "| file | score | detected | undetected |",
    "|---|---|---|---|",
    ...files.map(([f, ms]) => row(`\`${f}\``, ms)),
    "",
    "## Undetected mutants",
    "",
    ...files.flatMap(([f, ms]) => {
      const left = ms.filter((m) => UNDETECTED.has(m.status)).sort((a, b) => a.location.start.line - b.location.start.line);
      if (left.length === 0) return [];
      return [
        `### \`${f}\``,
        "",
        ...left.map(
          (m) =>
            `- line ${m.location.start.line}: ${m.mutatorName}${m.status === "NoCoverage" ? " (no test covers it)" : ""}${m.replacement ? ` → \`${m.replacement.replace(/\s+/g, " ").slice(0, 80)}\`` : ""}`,
        ),
        "",
      ];
    }),
  ];
  fs.writeFileSync(output, `${lines.join("\n")}\n`);
}

main(process.argv[2], process.argv[3]);
