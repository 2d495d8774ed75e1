/**
 * 2. No-op: a second `pulumi up` with nothing changed — wall time, and the SSH connections and
 * remote commands the host saw (its sshd journal, read with docker exec).
 */
import { Stack } from "@pulumi/pulumi/automation";
import { log, machine, mdTable, median, Result, round, secondsSince } from "../lib/common";
import { actedOn, dropStack, rootStack, timedUp } from "../lib/deploy";
import { activitySince, journalMark, removeBenchHosts, startBenchHosts } from "../lib/hosts";

export async function noop(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  const hosts = await startBenchHosts("vm", 1, "noop");
  const [h] = hosts;
  let stack: Stack | undefined;
  try {
    stack = await rootStack("noop", h);
    log("noop: first up (not measured)");
    const first = await timedUp(stack);
    const seconds: number[] = [];
    const programStart: number[] = [];
    const connections: number[] = [];
    const commands: number[] = [];
    const touched: string[] = [];
    const touchedPerRun: number[] = [];
    for (let i = 0; i < runs; i++) {
      const mark = await journalMark(h);
      const up = await timedUp(stack);
      const act = await activitySince(h, mark);
      log(`noop run ${i + 1}/${runs}: ${up.seconds}s, ${act.connections} connections, changes ${JSON.stringify(up.changes)}`);
      seconds.push(up.seconds);
      programStart.push(up.programStart ?? NaN);
      connections.push(act.connections);
      commands.push(act.commands);
      const acted = actedOn(up);
      touchedPerRun.push(acted.length);
      touched.push(...acted.map((r) => `${r.name} (${r.op})`));
    }
    // What-if: ts-node without type checking (the program is type-checked by `tsc` in the tests anyway).
    stack.workspace.envVars.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
    const fast: number[] = [];
    const fastStart: number[] = [];
    for (let i = 0; i < runs; i++) {
      const up = await timedUp(stack);
      log(`noop what-if run ${i + 1}/${runs} (transpile-only): ${up.seconds}s`);
      fast.push(up.seconds);
      fastStart.push(up.programStart ?? NaN);
    }
    delete stack.workspace.envVars.PULUMI_NODEJS_TRANSPILE_ONLY;
    m.loadAtEnd = (await machine()).loadAtStart;
    return {
      name: "noop",
      title: "2. No-op `pulumi up` (vm)",
      runs,
      machine: m,
      durationSec: secondsSince(t0),
      rows: [
        {
          metric: "no-op `pulumi up` (s)",
          unit: "s",
          samples: seconds,
          reference: { label: "cold `pulumi up` of the same stack, same run (1 sample)", samples: [first.seconds] },
          ratio: round(median(seconds) / first.seconds, 2),
          goal: "(informational)",
          met: null,
        },
        {
          metric: "what-if: no-op `up` with ts-node transpile-only (s)",
          unit: "s",
          samples: fast,
          reference: { label: "no-op `up` as shipped (type-checking ts-node)", samples: seconds },
          ratio: round(median(fast) / median(seconds), 2),
          goal: "(informational)",
          met: null,
        },
        { metric: "SSH connections accepted by the host", unit: "count", samples: connections, goal: "0", met: connections.every((c) => c === 0) },
        { metric: "remote commands (exec sessions)", unit: "count", samples: commands, goal: "0", met: commands.every((c) => c === 0) },
        { metric: "resources created/updated/replaced", unit: "count", samples: touchedPerRun, goal: "0", met: touched.length === 0 },
      ],
      sections: [
        {
          heading: "Where a no-op `up` spends its time",
          body:
            mdTable(
              ["part", "median (s)"],
              [
                ["`up` start → first resource (CLI, language host, ts-node compiling the program)", round(median(programStart), 2)],
                ["first resource → exit (registering 20 unchanged resources, diffs, checkpoint)", round(median(seconds) - median(programStart), 2)],
                ["`up` start → first resource, with PULUMI_NODEJS_TRANSPILE_ONLY=true (what-if)", round(median(fastStart), 2)],
              ],
            ) + (touched.length ? `\n\nTouched: ${touched.join(", ")}` : ""),
        },
      ],
      notes: [
        "One fresh `vm` host; the first `up` deploys the stack (not measured); each measured `up` follows with nothing changed.",
        'The what-if runs set PULUMI_NODEJS_TRANSPILE_ONLY=true for the same stack (ts-node then compiles without type checking; equivalent to `"noCheck": true` in the project\'s tsconfig.json). It changes nothing on the host.',
        'Connections are sshd\'s "Accepted publickey" lines and commands its "Starting session: command" lines (sshd at LogLevel VERBOSE), read from the host\'s journal over `docker exec`, so the counting adds nothing.',
      ],
    };
  } finally {
    await dropStack(stack);
    await removeBenchHosts(hosts);
  }
}
