/**
 * 5. Fleet: ONE stack provisioning the default stack onto 1 host vs onto 4 hosts (the fleet program
 * in lib/deploy.ts: the root program's stack once per host), twice:
 *   - hosts of equal size: every host limited to the same CPU share (`docker update --cpus`), 4 of
 *     them fitting in 80% of the machine, so a host runs as fast beside three others as alone — as
 *     separate machines would — and what changes from 1 to 4 is the engine's work;
 *   - hosts sharing the machine: no limit, so 4 hosts take turns on the cores 1 host has to itself,
 *     with the floor script on 1 vs 4 hosts as the control for what the machine allows.
 * The order alternates between runs.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { cpuMeter, CpuUse, log, machine, mdTable, median, Result, round, runOk, secondsSince } from "../lib/common";
import { dropStack, fleetStack, remoteCommands, timedUp, UpResult } from "../lib/deploy";
import { captureDeployment, DeployedFiles, floorScript, runFloor } from "../lib/floor";
import { removeBenchHosts, startBenchHosts, TestHost } from "../lib/hosts";
import { waitHttp } from "../lib/load";

type Timed = UpResult & { cpu: CpuUse };

async function provision(tag: string, hosts: TestHost[]): Promise<Timed> {
  let stack: Stack | undefined;
  try {
    stack = await fleetStack(tag, hosts);
    const cpu = cpuMeter();
    const up = await timedUp(stack);
    const use = cpu();
    await Promise.all(hosts.map((h) => waitHttp(h, "http://127.0.0.1/healthz", 60)));
    return { ...up, events: [], cpu: use };
  } finally {
    await dropStack(stack);
  }
}

/** The control: the floor script on each host at once (one SSH connection per host). */
async function floors(hosts: TestHost[], files: DeployedFiles): Promise<{ seconds: number; cpu: CpuUse }> {
  const script = await floorScript(files);
  const cpu = cpuMeter();
  const t0 = Date.now();
  await Promise.all(hosts.map((h) => runFloor(h, script)));
  const seconds = round((Date.now() - t0) / 1000, 2);
  const use = cpu();
  await Promise.all(hosts.map((h) => waitHttp(h, "http://127.0.0.1/healthz", 60)));
  return { seconds, cpu: use };
}

/** Limits each host (container) to `cpus` cores: a host of that size, whatever else runs. */
async function sizeHosts(hosts: TestHost[], cpus: number): Promise<void> {
  await runOk("docker", ["update", "--cpus", String(cpus), ...hosts.map((h) => h.name)]);
}

export async function fleet(runs: number): Promise<Result> {
  const t0 = Date.now();
  const m = await machine();
  // Four hosts fit in 80% of the machine; the rest is left to the engine, Node.js and sshd's peers.
  const hostCpus = round((m.nproc * 0.8) / 4, 2);
  const sizedOne: Timed[] = [];
  const sizedFour: Timed[] = [];
  const one: Timed[] = [];
  const four: Timed[] = [];
  const floorOne: { seconds: number; cpu: CpuUse }[] = [];
  const floorFour: { seconds: number; cpu: CpuUse }[] = [];
  let files: DeployedFiles | undefined;
  for (let i = 0; i < runs; i++) {
    const hosts = await startBenchHosts("vm", 15, "fleet");
    try {
      const sized = hosts.slice(10, 15);
      await sizeHosts(sized, hostCpus);
      const equalSize = async () => {
        log(`fleet run ${i + 1}/${runs}: hosts of ${hostCpus} cores each, 1 host`);
        const a = await provision("fleetsized1", sized.slice(0, 1));
        log(`fleet run ${i + 1}/${runs}: hosts of ${hostCpus} cores each, 1 host ${a.seconds}s; 4 hosts`);
        const b = await provision("fleetsized4", sized.slice(1, 5));
        log(`fleet run ${i + 1}/${runs}: hosts of ${hostCpus} cores each, 4 hosts ${b.seconds}s (ratio ${round(b.seconds / a.seconds, 2)})`);
        sizedOne.push(a);
        sizedFour.push(b);
      };
      const single = async () => {
        log(`fleet run ${i + 1}/${runs}: 1 host`);
        const r = await provision("fleet1", hosts.slice(0, 1));
        log(`fleet run ${i + 1}/${runs}: 1 host ${r.seconds}s (machine CPU busy ${Math.round(r.cpu.busy * 100)}%)`);
        if (!files) files = await captureDeployment(hosts[0]);
        one.push(r);
      };
      const many = async () => {
        log(`fleet run ${i + 1}/${runs}: 4 hosts`);
        const r = await provision("fleet4", hosts.slice(1, 5));
        log(`fleet run ${i + 1}/${runs}: 4 hosts ${r.seconds}s (machine CPU busy ${Math.round(r.cpu.busy * 100)}%)`);
        four.push(r);
      };
      const control = async () => {
        const a = await floors(hosts.slice(5, 6), files!);
        const b = await floors(hosts.slice(6, 10), files!);
        log(`fleet run ${i + 1}/${runs}: control, floor script on 1 host ${a.seconds}s, on 4 hosts at once ${b.seconds}s`);
        floorOne.push(a);
        floorFour.push(b);
      };
      if (i % 2 === 0) {
        await equalSize();
        await single();
        await many();
        await control();
      } else {
        await control();
        await many();
        await single();
        await equalSize();
      }
    } finally {
      await removeBenchHosts(hosts);
    }
  }
  m.loadAtEnd = (await machine()).loadAtStart;
  const z1 = sizedOne.map((r) => r.seconds);
  const z4 = sizedFour.map((r) => r.seconds);
  const sizedRatio = round(median(z4) / median(z1), 2);
  const s1 = one.map((r) => r.seconds);
  const s4 = four.map((r) => r.seconds);
  const ratio = round(median(s4) / median(s1), 2);

  // Profile: the slowest commands per host count (median duration over runs and hosts).
  const f1 = floorOne.map((r) => r.seconds);
  const f4 = floorFour.map((r) => r.seconds);
  const controlRatio = round(median(f4) / median(f1), 2);
  const pct = (xs: number[]) => `${Math.round(median(xs) * 100)}%`;
  const byName = (ups: UpResult[]) => {
    const acc = new Map<string, number[]>();
    for (const u of ups)
      for (const c of remoteCommands(u)) {
        const key = c.name.replace(/^h\d+-/, "");
        acc.set(key, [...(acc.get(key) ?? []), c.seconds]);
      }
    return acc;
  };
  const d1 = byName(one);
  const d4 = byName(four);
  const keys = [...d1.keys()].sort((a, b) => median(d4.get(b) ?? []) - median(d4.get(a) ?? []));
  return {
    name: "fleet",
    title: "5. Fleet: one stack, 1 host vs 4 hosts (vm)",
    runs,
    machine: m,
    durationSec: secondsSince(t0),
    rows: [
      {
        metric: `\`pulumi up\`, 4 hosts of equal size (${hostCpus} cores each) (s)`,
        unit: "s",
        samples: z4,
        reference: { label: `the same program, 1 host of ${hostCpus} cores`, samples: z1 },
        ratio: sizedRatio,
        goal: "≤ 1.5× 1 host",
        met: sizedRatio <= 1.5,
        note: `per-run ratios ${z4.map((s, i) => round(s / z1[i], 2)).join(", ")}`,
      },
      {
        metric: "`pulumi up`, 4 hosts sharing the machine (s)",
        unit: "s",
        samples: s4,
        reference: { label: "the same program, 1 host", samples: s1 },
        ratio,
        goal: "≤ 1.5× 1 host",
        met: ratio <= 1.5,
        note: `per-run ratios ${s4.map((s, i) => round(s / s1[i], 2)).join(", ")}`,
      },
      {
        metric: "control: the floor script on 4 hosts at once (s)",
        unit: "s",
        samples: f4,
        reference: { label: "the floor script on 1 host", samples: f1 },
        ratio: controlRatio,
        goal: "(informational: what this machine allows)",
        met: null,
        note: `per-run ratios ${f4.map((s, i) => round(s / f1[i], 2)).join(", ")}`,
      },
      {
        metric: "the stack's 4-host ratio over the control's (flaskstack's own cost of scaling out)",
        unit: "×",
        samples: s4.map((s, i) => round(s / s1[i] / (f4[i] / f1[i]), 2)),
        goal: "(informational: ≤ 1 means no overhead beyond the machine's)",
        met: null,
      },
    ],
    sections: [
      {
        heading: "Profile: the machine's CPU while provisioning (median over runs)",
        body: mdTable(
          ["what", "wall time (s)", "machine CPU busy", "I/O wait"],
          [
            [`stack, 1 host of ${hostCpus} cores`, median(z1), pct(sizedOne.map((r) => r.cpu.busy)), pct(sizedOne.map((r) => r.cpu.iowait))],
            [`stack, 4 hosts of ${hostCpus} cores`, median(z4), pct(sizedFour.map((r) => r.cpu.busy)), pct(sizedFour.map((r) => r.cpu.iowait))],
            ["stack, 1 host", median(s1), pct(one.map((r) => r.cpu.busy)), pct(one.map((r) => r.cpu.iowait))],
            ["stack, 4 hosts", median(s4), pct(four.map((r) => r.cpu.busy)), pct(four.map((r) => r.cpu.iowait))],
            ["floor script, 1 host", median(f1), pct(floorOne.map((r) => r.cpu.busy)), pct(floorOne.map((r) => r.cpu.iowait))],
            ["floor script, 4 hosts at once", median(f4), pct(floorFour.map((r) => r.cpu.busy)), pct(floorFour.map((r) => r.cpu.iowait))],
          ],
        ),
      },
      {
        heading: "Profile: each remote command's duration, 1 host vs 4 hosts at once (median over runs and hosts)",
        body: mdTable(
          ["resource (per host)", "1 host (s)", "4 hosts (s)", "slow-down"],
          keys.map((k) => {
            const a = round(median(d1.get(k) ?? []), 2);
            const b = round(median(d4.get(k) ?? []), 2);
            return [k, a, b, a > 0 ? `${round(b / a, 1)}×` : "-"];
          }),
        ),
      },
    ],
    notes: [
      "One inline Pulumi program (bench/lib/deploy.ts `fleetProgram`) builds the root program's default stack (sample app, uWSGI from apt on a unix socket, nginx, supervisor) once per host; the engine runs the hosts' resources in parallel.",
      `Each run starts fifteen fresh \`vm\` hosts. Five are limited to ${hostCpus} cores each (\`docker update --cpus\`; four of them take 80% of the machine's ${m.nproc} cores): one for the 1-host stack, four for the 4-host stack — hosts of equal size, so each provisions as fast beside three others as alone, like separate machines, and the ratio shows the engine's own cost of a fleet. The other ten have no limit: one for the 1-host stack, four for the 4-host stack, and five for the control — the floor script of table 1 on one host, then on four hosts at once (one SSH connection each). The order alternates between runs.`,
      "CPU busy is the whole machine's (all cores, every process: engine, Node.js, the containers and anything else running), from /proc/stat over the `up`.",
      "The engine runs at most `--parallel` = 4 × GOMAXPROCS resource operations at once (8 on 2 cores).",
      `All hosts are containers on this one machine (${m.nproc} cores): four hosts share the cores, the disk and the mirror connection that one host has to itself — unlike four real machines.`,
    ],
  };
}
