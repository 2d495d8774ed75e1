/**
 * 1. Cold provision: `pulumi up` of the full stack (sample app, uWSGI from apt, nginx, supervisor)
 * onto a fresh host, against the floor — the same work as one plain shell script over one SSH
 * connection on an identical fresh host (lib/floor.ts). Each run starts two fresh hosts together;
 * the order alternates between runs so neither side always meets a colder mirror or page cache.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { HostKind } from "../../test/hosts/harness";
import { log, machine, mdTable, median, Result, round, Row, secondsSince } from "../lib/common";
import { dropStack, remoteCommands, rootStack, timedUp, UpResult } from "../lib/deploy";
import { captureDeployment, DeployedFiles, floorScript, FloorResult, runFloor } from "../lib/floor";
import { activitySince, journalMark, removeBenchHosts, startBenchHosts, TestHost } from "../lib/hosts";
import { waitHttp } from "../lib/load";

export interface ColdRun {
  stack: UpResult & { connections: number; commands: number };
  floor: FloorResult & { connections: number; commands: number };
  order: "stack-first" | "floor-first";
}

export interface ColdData {
  runs: ColdRun[];
  files: DeployedFiles;
}

/** Provisions the stack and the floor `runs` times; returns the raw runs (shared with `pi`). */
export async function coldRuns(
  kind: HostKind,
  runs: number,
  tag: string,
  /** Runs on the last run's stack host, deployed and serving, before it is removed (pi: load). */
  afterLast?: (stackHost: TestHost) => Promise<void>,
): Promise<ColdData> {
  let files: DeployedFiles | undefined;
  const out: ColdRun[] = [];
  for (let i = 0; i < runs; i++) {
    const hosts = await startBenchHosts(kind, 2, tag);
    const [stackHost, floorHost] = hosts;
    let stack: Stack | undefined;
    try {
      const stackSide = async () => {
        stack = await rootStack(tag, stackHost);
        const mark = await journalMark(stackHost);
        log(`${tag} run ${i + 1}/${runs}: pulumi up onto ${stackHost.name}`);
        const up = await timedUp(stack);
        const act = await activitySince(stackHost, mark);
        await waitHttp(stackHost, "http://127.0.0.1/healthz", 60);
        log(`${tag} run ${i + 1}/${runs}: stack ${up.seconds}s, ${act.connections} SSH connections, ${act.commands} commands`);
        if (!files) files = await captureDeployment(stackHost);
        return { ...up, events: [], connections: act.connections, commands: act.commands };
      };
      const floorSide = async () => {
        if (!files) throw new Error("the floor needs the files of a stack deploy first");
        const script = await floorScript(files);
        const mark = await journalMark(floorHost);
        log(`${tag} run ${i + 1}/${runs}: floor script onto ${floorHost.name}`);
        const f = await runFloor(floorHost, script);
        const act = await activitySince(floorHost, mark);
        await waitHttp(floorHost, "http://127.0.0.1/healthz", 60);
        log(`${tag} run ${i + 1}/${runs}: floor ${f.seconds}s, ${act.connections} SSH connection(s)`);
        return { ...f, connections: act.connections, commands: act.commands };
      };
      // The floor needs the rendered files of one stack deploy: run 1 is always stack first.
      const stackFirst = i % 2 === 0 || !files;
      if (stackFirst) {
        const s = await stackSide();
        out.push({ stack: s, floor: await floorSide(), order: "stack-first" });
      } else {
        const f = await floorSide();
        out.push({ stack: await stackSide(), floor: f, order: "floor-first" });
      }
      if (i === runs - 1 && afterLast) await afterLast(stackHost);
    } finally {
      await dropStack(stack);
      await removeBenchHosts(hosts);
    }
  }
  return { runs: out, files: files! };
}

export function coldRows(data: ColdData, goal = 1.3): Row[] {
  const stack = data.runs.map((r) => r.stack.seconds);
  const floor = data.runs.map((r) => r.floor.seconds);
  const ratio = round(median(stack) / median(floor), 2);
  return [
    {
      metric: "cold `pulumi up`, full stack (s)",
      unit: "s",
      samples: stack,
      reference: { label: "floor: one script, one SSH connection", samples: floor },
      ratio,
      goal: `≤ ${goal}× floor`,
      met: ratio <= goal,
      note: `per-run ratios ${data.runs.map((r) => round(r.stack.seconds / r.floor.seconds, 2)).join(", ")}`,
    },
    {
      metric: "SSH connections accepted by the host",
      unit: "count",
      samples: data.runs.map((r) => r.stack.connections),
      reference: { label: "floor", samples: data.runs.map((r) => r.floor.connections) },
      goal: "(informational)",
      met: null,
    },
    {
      metric: "remote commands (exec sessions)",
      unit: "count",
      samples: data.runs.map((r) => r.stack.commands),
      reference: { label: "floor", samples: data.runs.map((r) => r.floor.commands) },
      goal: "(informational)",
      met: null,
    },
  ];
}

/** Where the time goes: the stack's resources (median over runs) beside the floor's phases. */
export function coldProfile(data: ColdData): { heading: string; body: string }[] {
  const names = new Map<string, { start: number[]; seconds: number[] }>();
  for (const r of data.runs) {
    for (const c of remoteCommands(r.stack)) {
      const e = names.get(c.name) ?? { start: [], seconds: [] };
      e.start.push(c.start);
      e.seconds.push(c.seconds);
      names.set(c.name, e);
    }
  }
  const rows = [...names.entries()].map(([name, e]) => ({ name, start: median(e.start), seconds: median(e.seconds) })).sort((a, b) => a.start - b.start);
  const programStart = median(data.runs.map((r) => r.stack.programStart ?? NaN));
  const phases = new Map<string, number[]>();
  for (const r of data.runs) for (const p of r.floor.phases) phases.set(p.name, [...(phases.get(p.name) ?? []), p.seconds]);
  const sumCmd = rows.reduce((a, r) => a + r.seconds, 0);
  return [
    {
      heading: "Profile: the stack's remote commands (median over runs)",
      body:
        `Each resource is one remote command over its own SSH connection; start and duration are taken from the engine's events ` +
        `(arrival time in the Automation API). The program's first resource started ${programStart} s after \`up\` began ` +
        `(CLI, language host, ts-node compiling the program and the components).\n\n` +
        mdTable(
          ["resource", "starts at (s)", "duration (s)"],
          rows.map((r) => [r.name, r.start, r.seconds]),
        ) +
        `\n\nSum of the command durations: ${round(sumCmd, 1)} s (some run in parallel).`,
    },
    {
      heading: "Profile: the floor script's phases (median over runs)",
      body: mdTable(
        ["phase", "duration (s)"],
        [...phases.entries()].map(([name, s]) => [name, round(median(s), 2)]),
      ),
    },
  ];
}

export async function cold(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  const data = await coldRuns("vm", runs, "cold");
  m.loadAtEnd = (await machine()).loadAtStart;
  return {
    name: "cold",
    title: "1. Cold provision (vm)",
    runs,
    machine: m,
    durationSec: secondsSince(t0),
    rows: coldRows(data),
    sections: coldProfile(data),
    notes: [
      "Each run: two fresh `vm` hosts started together; one gets `pulumi up` of the root program (bench/stack re-exports index.ts: uWSGI from apt, unix socket, nginx, supervisor), the other the floor script (bench/lib/floor.ts) over one `ssh … sudo -n bash -s`. Order alternates between runs.",
      "The floor installs the same package list (`packagesFor({ uwsgiFromApt: true })`), makes the same user and directories, copies the app as a tarball inside the same connection, builds the venv with the same pip options, writes the rendered files the stack wrote (read from the first stack host), starts supervisor's program and waits for RUNNING, activates the nginx site, reloads nginx and fetches `/` once.",
      "Timings are wall clock from `up` (or `ssh`) start to exit; both sides are checked afterwards by fetching /healthz inside the host.",
    ],
  };
}
