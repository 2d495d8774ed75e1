/**
 * The benchmark driver (run it through bench/run.sh, which sets up the engine and host images):
 *
 *   npx ts-node bench/bench.ts [all|cold|noop|change|throughput|fleet|pi|bigapp|peers]… [--runs N] [--pi-runs M]
 *
 * Each measurement starts and removes its own hosts, writes bench/results/<name>.json, and
 * RESULTS.md is regenerated from every result file present after each one (so a single measurement
 * refreshes its own table and keeps the others).
 */
import { log, Result, writeResult } from "./lib/common";
import { removeAllBenchHosts } from "./lib/hosts";
import { writeReport } from "./report";
import { change } from "./measure/change";
import { cold } from "./measure/cold";
import { fleet } from "./measure/fleet";
import { noop } from "./measure/noop";
import { pi } from "./measure/pi";
import { throughput } from "./measure/throughput";
import { bigapp } from "./measure/bigapp";
import { peers } from "./measure/peers";

const MEASUREMENTS: Record<string, (runs: number) => Promise<Result>> = { cold, noop, change, throughput, fleet, pi, bigapp, peers };
/** Runs when no --runs is given (3 for the others): peers judges ratios with a bootstrap interval. */
const DEFAULT_RUNS: Record<string, number> = { peers: 7 };
const ORDER = Object.keys(MEASUREMENTS);

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    `usage: bench/run.sh [all|${ORDER.join("|")}]… [--runs N] [--pi-runs M]\n` +
      "  --runs N     measured runs per measurement (default 3; peers 7, after one warm-up round)\n" +
      "  --pi-runs M  runs for `pi` when it runs with others, as in `all` (default 1: emulation is slow);\n" +
      "               `bench/run.sh pi --runs N` alone uses N\n",
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { names: string[]; runs: number | undefined; piRuns: number } {
  const names: string[] = [];
  let runs: number | undefined;
  let piRuns: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
      return v;
    };
    if (a === "--runs") runs = num();
    else if (a === "--pi-runs") piRuns = num();
    else if (a === "-h" || a === "--help") usage();
    else if (a === "all") names.push(...ORDER);
    else if (ORDER.includes(a)) names.push(a);
    else usage(`unknown measurement or option: ${a}`);
  }
  const unique = [...new Set(names.length ? names : ORDER)];
  const onlyPi = unique.length === 1 && unique[0] === "pi";
  return { names: unique, runs, piRuns: piRuns ?? (onlyPi && runs ? runs : 1) };
}

async function main(): Promise<number> {
  const { names, runs, piRuns } = parseArgs(process.argv.slice(2));
  let failed = 0;
  const t0 = Date.now();
  for (const name of names) {
    const n = name === "pi" ? piRuns : (runs ?? DEFAULT_RUNS[name] ?? 3);
    log(`=== ${name} (${n} run${n > 1 ? "s" : ""})`);
    const started = Date.now();
    try {
      const result = await MEASUREMENTS[name](n);
      const file = writeResult(result);
      log(`=== ${name} done in ${Math.round((Date.now() - started) / 1000)} s → ${file}`);
    } catch (e) {
      failed++;
      log(`=== ${name} FAILED after ${Math.round((Date.now() - started) / 1000)} s: ${(e as Error).stack ?? e}`);
      await removeAllBenchHosts();
    }
    writeReport();
  }
  log(`all done in ${Math.round((Date.now() - t0) / 1000)} s; ${names.length - failed} measurement(s) ok, ${failed} failed; bench/RESULTS.md updated`);
  return failed ? 1 : 0;
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    log(`${sig}: removing this run's hosts`);
    void removeAllBenchHosts().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    log(`fatal: ${(e as Error).stack ?? e}`);
    await removeAllBenchHosts();
    process.exit(1);
  },
);
