/**
 * 7. An app with one 8 MB static file: how much the stack's state grows with it (the code travels as
 * a release archive copied by `remote.CopyToRemote`, so the state keeps the archive's path and hash
 * and a one-line-per-file manifest, never the bytes), and what `up` costs for it — cold, and for a
 * one-line code change that ships a new release — next to the sample app on a host of its own, in
 * the same runs, alternating which goes first.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { log, machine, median, Result, ROOT, round, secondsSince } from "../lib/common";
import { dropStack, rootStack, SAMPLE_APP, timedUp } from "../lib/deploy";
import { removeBenchHosts, startBenchHosts, TestHost } from "../lib/hosts";

const BIG_FILE_BYTES = 8 * 1024 * 1024;

/** The stack's checkpoint file in the local file backend, as it lies on disk. */
function stateFileBytes(stack: Stack): number {
  const stacks = path.join(ROOT, ".pulumi-state", ".pulumi", "stacks");
  const found = fs.readdirSync(stacks, { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === `${stack.name}.json`);
  if (found.length !== 1) throw new Error(`state file of ${stack.name}: found ${found.length}`);
  return fs.statSync(path.join(stacks, found[0])).size;
}

function touchCode(appDir: string, run: number): void {
  const initPy = path.join(appDir, "sample", "__init__.py");
  fs.writeFileSync(initPy, `${fs.readFileSync(initPy, "utf8").replace(/\n# bench run \d+\n$/, "\n")}\n# bench run ${run}\n`);
}

export async function bigapp(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  const dirs: string[] = [];
  const copyApp = (withBigFile: boolean): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-bench-app-"));
    dirs.push(d);
    fs.cpSync(SAMPLE_APP, d, { recursive: true });
    // Random bytes: nothing compresses them, as with a real image or font.
    if (withBigFile) fs.writeFileSync(path.join(d, "sample", "static", "big.bin"), crypto.randomBytes(BIG_FILE_BYTES));
    return d;
  };
  const sides = [
    { label: "sample app", dir: copyApp(false) },
    { label: "sample app + one 8 MB static file", dir: copyApp(true) },
  ];
  const cold: number[][] = [[], []];
  const change: number[][] = [[], []];
  const state: number[][] = [[], []];
  const stateAfterChange: number[][] = [[], []];
  try {
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        let hosts: TestHost[] = [];
        let stack: Stack | undefined;
        try {
          hosts = await startBenchHosts("vm", 1, `bigapp${i}`);
          stack = await rootStack(`bigapp${i}`, hosts[0], { appDir: { value: sides[i].dir } });
          const first = await timedUp(stack);
          cold[i].push(first.seconds);
          state[i].push(stateFileBytes(stack));
          touchCode(sides[i].dir, run);
          const next = await timedUp(stack);
          change[i].push(next.seconds);
          stateAfterChange[i].push(stateFileBytes(stack));
          log(
            `bigapp run ${run + 1}/${runs} ${sides[i].label}: cold ${first.seconds}s, code change ${next.seconds}s, state ${state[i].at(-1)} B → ${stateAfterChange[i].at(-1)} B`,
          );
        } finally {
          await dropStack(stack);
          await removeBenchHosts(hosts);
        }
      }
    }
  } finally {
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  }
  const kb = (xs: number[]) => xs.map((x) => round(x / 1024, 1));
  const growth = state[1].map((b, i) => round((b - state[0][i]) / 1024, 1));
  m.loadAtEnd = (await machine()).loadAtStart;
  return {
    name: "bigapp",
    title: "7. An app with one 8 MB static file (vm)",
    runs,
    machine: m,
    durationSec: secondsSince(t0),
    rows: [
      { metric: "state file after the first `up`, sample app (KB)", unit: "KB", samples: kb(state[0]), goal: "(reference)", met: null },
      { metric: "state file after the first `up`, + 8 MB file (KB)", unit: "KB", samples: kb(state[1]), goal: "(informational)", met: null },
      { metric: "state growth for the 8 MB file (KB)", unit: "KB", samples: growth, goal: "< 50 KB", met: growth.every((g) => g < 50) },
      { metric: "state file after a code change, + 8 MB file (KB)", unit: "KB", samples: kb(stateAfterChange[1]), goal: "(informational)", met: null },
      {
        metric: "cold `pulumi up`, + 8 MB file (s)",
        unit: "s",
        samples: cold[1],
        reference: { label: "cold `pulumi up`, sample app, same runs", samples: cold[0] },
        ratio: round(median(cold[1]) / median(cold[0]), 2),
        goal: "(informational)",
        met: null,
      },
      {
        metric: "code change `pulumi up`, + 8 MB file (s)",
        unit: "s",
        samples: change[1],
        reference: { label: "code change `pulumi up`, sample app, same runs", samples: change[0] },
        ratio: round(median(change[1]) / median(change[0]), 2),
        goal: "(informational)",
        met: null,
      },
    ],
    sections: [],
    notes: [
      "Each run deploys each app to a fresh `vm` host of its own (the order alternates between runs), then changes one line of `sample/__init__.py` and runs `up` again: a new release with the 8 MB file in it.",
      "The state file is the stack's checkpoint in the local file backend, read from disk after each `up`.",
      `The 8 MB file is ${BIG_FILE_BYTES} random bytes in \`sample/static/\` (served by nginx); random, so no compression along the way helps.`,
    ],
  };
}
