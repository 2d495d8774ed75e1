/**
 * 2. No-op: a second `pulumi up` with nothing changed — wall time, and the SSH connections and
 * remote commands the host saw (its sshd journal, read with docker exec).
 */
import { Stack } from "@pulumi/pulumi/automation";
import { log, machine, mdTable, median, Result, round, secondsSince } from "../lib/common";
import { actedOn, dropStack, rootStack, timedUp } from "../lib/deploy";
import { activitySince, journalMark, removeBenchHosts, startBenchHosts } from "../lib/hosts";
import { pulumiCli } from "../lib/peers";

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
    let unchanged = 0;
    for (let i = 0; i < runs; i++) {
      const mark = await journalMark(h);
      const up = await timedUp(stack);
      const act = await activitySince(h, mark);
      log(`noop run ${i + 1}/${runs}: ${up.seconds}s, ${act.connections} connections, changes ${JSON.stringify(up.changes)}`);
      seconds.push(up.seconds);
      unchanged = up.changes.same ?? 0;
      programStart.push(up.programStart ?? NaN);
      connections.push(act.connections);
      commands.push(act.commands);
      const acted = actedOn(up);
      touchedPerRun.push(acted.length);
      touched.push(...acted.map((r) => `${r.name} (${r.op})`));
    }
    // As a user runs it: the CLI's `pulumi up` (a preview, then the update) and `pulumi preview` alone.
    const cliUp: number[] = [];
    const cliPreview: number[] = [];
    for (let i = 0; i < runs; i++) {
      cliUp.push((await pulumiCli(["up"], stack.name)).seconds);
      cliPreview.push((await pulumiCli(["preview"], stack.name)).seconds);
      log(`noop CLI run ${i + 1}/${runs}: up ${cliUp[i]}s, preview ${cliPreview[i]}s`);
    }
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
          metric: "no-op `pulumi up --yes` from the CLI, preview included (s)",
          unit: "s",
          samples: cliUp,
          reference: { label: "the update alone (Automation API `up`, above)", samples: seconds },
          ratio: round(median(cliUp) / median(seconds), 2),
          goal: "(informational)",
          met: null,
        },
        { metric: "no-op `pulumi preview` from the CLI (s)", unit: "s", samples: cliPreview, goal: "(informational)", met: null },
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
                ["`up` start → first resource (CLI, language host, node loading the compiled program)", round(median(programStart), 2)],
                [`first resource → exit (registering ${unchanged} unchanged resources, diffs, checkpoint)`, round(median(seconds) - median(programStart), 2)],
              ],
            ) + (touched.length ? `\n\nTouched: ${touched.join(", ")}` : ""),
        },
      ],
      notes: [
        "One fresh `vm` host; the first `up` deploys the stack (not measured); each measured `up` follows with nothing changed. The Automation API's `up` runs the update without a preview; the CLI rows run `pulumi up --yes` and `pulumi preview` in bench/stack, as a user would.",
        "The program runs compiled (program.js); nothing changed in it between runs, so none of them compiles.",
        'Connections are sshd\'s "Accepted publickey" lines and commands its "Starting session: command" lines (sshd at LogLevel VERBOSE), read from the host\'s journal over `docker exec`, so the counting adds nothing.',
      ],
    };
  } finally {
    await dropStack(stack);
    await removeBenchHosts(hosts);
  }
}
