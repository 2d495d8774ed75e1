/**
 * 3. One change: stack config `processes` 4 → 8 — wall time, SSH connections, remote commands (host
 * journal), the resources the engine acted on, and whether uWSGI reloaded gracefully (same master,
 * 8 workers, serving). Each run sets 8 from a host at 4; a reset to 4 between runs is not measured.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { log, machine, mdTable, median, Result, round, secondsSince } from "../lib/common";
import { actedOn, dropStack, rootStack, timedUp } from "../lib/deploy";
import { activitySince, hostExec, journalMark, removeBenchHosts, RemoteSession, startBenchHosts, TestHost } from "../lib/hosts";
import { waitHttp } from "../lib/load";

// The ini, its reload, and the probe that waits until the site answers again.
const EXPECTED = ["site-probe", "uwsgi-config", "uwsgi-reload"];

async function uwsgiState(h: TestHost): Promise<{ master: string; workers: number }> {
  const out = await hostExec(h, "m=$(supervisorctl pid sample); echo $m; ps -o pid= --ppid $m | wc -l");
  const [master, workers] = out.trim().split("\n");
  return { master, workers: Number(workers) };
}

/** Waits until uWSGI runs `n` workers (a graceful reload replaces them shortly after `up` returns). */
async function waitWorkers(h: TestHost, n: number, withinSec = 60): Promise<{ master: string; workers: number }> {
  const deadline = Date.now() + withinSec * 1000;
  for (;;) {
    const s = await uwsgiState(h);
    if (s.workers === n || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function change(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  const hosts = await startBenchHosts("vm", 1, "change");
  const [h] = hosts;
  let stack: Stack | undefined;
  try {
    stack = await rootStack("change", h, { processes: { value: "4" } });
    log("change: first up with processes = 4 (not measured)");
    await timedUp(stack);
    const seconds: number[] = [];
    const noopSeconds: number[] = [];
    const connections: number[] = [];
    const commands: number[] = [];
    const actedPerRun: string[][] = [];
    const graceful: boolean[] = [];
    let sessions: RemoteSession[] = [];
    let timeline: { name: string; op: string; seconds: number }[] = [];
    for (let i = 0; i < runs; i++) {
      // Reference: an `up` with nothing to do, right before the change.
      noopSeconds.push((await timedUp(stack)).seconds);
      const before = await waitWorkers(h, 4);
      await stack.setConfig("processes", { value: "8" });
      const mark = await journalMark(h);
      const up = await timedUp(stack);
      const act = await activitySince(h, mark);
      const after = await waitWorkers(h, 8);
      await waitHttp(h, "http://127.0.0.1/healthz", 30);
      const acted = actedOn(up);
      log(
        `change run ${i + 1}/${runs}: ${up.seconds}s, ${act.connections} connections, ${act.commands} commands, acted on ${acted.map((a) => a.name).join(", ")}; master ${before.master} → ${after.master}, workers ${before.workers} → ${after.workers}`,
      );
      seconds.push(up.seconds);
      connections.push(act.connections);
      commands.push(act.commands);
      actedPerRun.push(acted.map((a) => `${a.name} (${a.op})`));
      graceful.push(before.master === after.master && after.workers === 8);
      if (i === 0) {
        sessions = act.sessions;
        timeline = acted.map((a) => ({ name: a.name, op: a.op, seconds: a.end !== undefined ? round(a.end - a.start, 2) : NaN }));
      }
      // Back to 4 for the next run (not measured).
      await stack.setConfig("processes", { value: "4" });
      await timedUp(stack);
    }
    m.loadAtEnd = (await machine()).loadAtStart;
    const onlyExpected = actedPerRun.every(
      (a) =>
        a
          .map((x) => x.replace(/ \(.*$/, ""))
          .sort()
          .join(",") === EXPECTED.join(","),
    );
    return {
      name: "change",
      title: "3. One change: `processes` 4 → 8 (vm, uWSGI)",
      runs,
      machine: m,
      durationSec: secondsSince(t0),
      rows: [
        {
          metric: "`pulumi up` applying the change (s)",
          unit: "s",
          samples: seconds,
          reference: { label: "no-op `up` just before, same run", samples: noopSeconds },
          ratio: round(median(seconds) / median(noopSeconds), 2),
          goal: "(informational)",
          met: null,
        },
        { metric: "SSH connections accepted by the host", unit: "count", samples: connections, goal: "(informational; one per remote command)", met: null },
        { metric: "remote commands (exec sessions)", unit: "count", samples: commands, goal: "≤ 3", met: commands.every((c) => c <= 3) },
        {
          metric: "resources acted on = only the ini file, its reload and the site probe",
          unit: "count",
          samples: actedPerRun.map((a) => a.length),
          goal: `only ${EXPECTED.join(" + ")}`,
          met: onlyExpected,
          note: [...new Set(actedPerRun.map((a) => a.join(", ")))].join(" / "),
        },
        {
          metric: "graceful reload: same uWSGI master, 8 workers, serving",
          unit: "runs ok",
          samples: graceful.map((g) => (g ? 1 : 0)),
          goal: "every run",
          met: graceful.every(Boolean),
        },
      ],
      sections: [
        {
          heading: "What ran on the host (run 1)",
          body:
            mdTable(
              ["resource", "op", "engine duration (s)"],
              timeline.map((t) => [t.name, t.op, t.seconds]),
            ) +
            "\n\n" +
            mdTable(
              ["remote command (sshd session)", "host duration (s)", "ran as root (sudo)"],
              sessions.map((s, i) => [`#${i + 1}`, s.end !== undefined ? round((s.end - s.start) / 1000, 2) : "?", s.sudo.join("; ") || "(no sudo)"]),
            ),
        },
      ],
      notes: [
        "One fresh `vm` host deployed with `processes = 4` (not measured). Each run: a no-op `up` (the reference), then `processes = 8` and the measured `up`, then back to 4 (not measured).",
        "Graceful: the supervisor-managed uWSGI master keeps its pid (the ini is re-read through the master FIFO, `r`), the worker count becomes 8, and /healthz answers.",
      ],
    };
  } finally {
    await dropStack(stack);
    await removeBenchHosts(hosts);
  }
}
