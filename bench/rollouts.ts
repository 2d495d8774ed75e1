/**
 * Writes bench/ROLLOUTS.md: what each change and fault under load cost, from the records the
 * integration tests append to `.cache/load-results.jsonl` while they run (test/integration/loadLog.ts).
 * For each server and change the latest record counts; a run of `scripts/test.sh` refreshes them all.
 *
 *   npx ts-node bench/rollouts.ts [records.jsonl]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LOAD_RESULTS, LoadRecord } from "../test/integration/loadLog";
import { BENCH } from "./lib/common";

/** The latest record per server and change, in the order of those latest records (as the tests ran). */
export function latest(records: readonly LoadRecord[]): LoadRecord[] {
  const byKey = new Map<string, LoadRecord>();
  for (const r of records) {
    const key = `${r.kind}\u0000${r.server}\u0000${r.what}`;
    const seen = byKey.get(key);
    if (!seen || seen.at <= r.at) {
      byKey.delete(key);
      byKey.set(key, r);
    }
  }
  return [...byKey.values()];
}

export function parseRecords(text: string): LoadRecord[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LoadRecord);
}

export function renderRollouts(records: readonly LoadRecord[], machineLine: string): string {
  const rows = latest(records);
  const dates = rows.map((r) => r.at.slice(0, 10)).sort();
  const line = (r: LoadRecord) =>
    `| ${r.kind} | ${r.server} | ${r.what} | ${r.ok} | ${r.failed} | ${r.failed === 0 ? "–" : `${r.failingMs} ms`} | ${r.held ? "0 asserted" : "reported"} |`;
  const held = rows.filter((r) => r.held);
  return [
    "# Rollouts and faults under load",
    "",
    "Written by `npx ts-node bench/rollouts.ts` from what the integration tests measured (4 loopback clients",
    "sending GET `/`, GET `/healthz` and a JSON POST `/api/echo` through nginx, one request at a time each,",
    "while `up` applied the change or the fault happened; a 5xx answer, a wrong echo, a refused or reset",
    "connection or a 15 s timeout counts as failed). `failing` is the time from the first failed request to",
    "the last: how long the site was down. Rows the tests hold to zero say so; the others are restarts or",
    "kills, where requests in flight fail and the test asserts the site comes back without a hand on the host.",
    "",
    `Measured ${dates.length > 0 ? (dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`) : "never"} on ${machineLine}.`,
    `${held.length} rows held to zero, ${held.filter((r) => r.failed === 0).length} of them with 0 failed requests.`,
    "",
    "| kind | server | change or fault | answered | failed | failing | test |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(line),
    "",
  ].join("\n");
}

function main(): void {
  const file = process.argv[2] ?? LOAD_RESULTS;
  if (!fs.existsSync(file)) {
    process.stderr.write(`no records at ${file}: run the integration tests first (scripts/test.sh)\n`);
    process.exit(1);
  }
  const machineLine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB (${os.cpus()[0]?.model ?? "unknown CPU"})`;
  const out = path.join(BENCH, "ROLLOUTS.md");
  fs.writeFileSync(out, renderRollouts(parseRecords(fs.readFileSync(file, "utf8")), machineLine));
  process.stdout.write(`${out} written\n`);
}

if (require.main === module) main();
