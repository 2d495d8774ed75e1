/**
 * What each change or fault under load cost, printed in the test's output and appended to
 * `.cache/load-results.jsonl`, from which `bench/rollouts.ts` writes the table in bench/ROLLOUTS.md.
 */
import * as fs from "fs";
import * as path from "path";
import { LoadReport } from "./http";

export const LOAD_RESULTS = path.resolve(__dirname, "..", "..", ".cache", "load-results.jsonl");

export interface LoadRecord {
  /** A change applied by `up`, or a fault done to the host. */
  readonly kind: "change" | "fault";
  /** The server and how nginx reaches it, e.g. "uwsgi (unix socket, uwsgi_pass)". */
  readonly server: string;
  /** What changed or what was done. */
  readonly what: string;
  readonly ok: number;
  readonly failed: number;
  /** From the first failed request to the last, in ms. */
  readonly failingMs: number;
  /** Whether the test holds it to zero failed requests. */
  readonly held: boolean;
  readonly at: string;
}

/**
 * Prints and records what a change or fault under load cost; `held` asserts that no request failed
 * (a failure names the change and shows the first failed requests).
 */
export function expectLoad(kind: LoadRecord["kind"], server: string, what: string, load: LoadReport, held: boolean): void {
  process.stdout.write(
    `under load: ${server}: ${what}: ${load.ok} answered, ${load.failed} failed over ${load.failingMs} ms ${JSON.stringify(load.samples)}\n`,
  );
  const record: LoadRecord = { kind, server, what, ok: load.ok, failed: load.failed, failingMs: load.failingMs, held, at: new Date().toISOString() };
  fs.mkdirSync(path.dirname(LOAD_RESULTS), { recursive: true });
  fs.appendFileSync(LOAD_RESULTS, `${JSON.stringify(record)}\n`);
  expect(load.ok).toBeGreaterThan(0);
  if (held) expect({ what, failed: load.failed, samples: load.samples }).toEqual({ what, failed: 0, samples: [] });
}
