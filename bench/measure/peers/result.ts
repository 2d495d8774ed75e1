/** The `peers` result: its rows (per variant and phase, flaskstack against the faster peer), sections and notes. */
import { Machine, Result, round, Row } from "../../lib/common";
import { PHASE_LABEL, peerSections, PeersData, phaseFigures } from "../../lib/peerFigures";

export function peersResult(data: PeersData, m: Machine, runs: number, durationSec: number, partial: boolean): Result {
  const rows: Row[] = [];
  for (const v of data.variants) {
    const rounds = v.rounds.filter((r) => !r.warmup);
    const suffix = v.delayMs ? ` (+${v.delayMs} ms SSH round trip)` : "";
    for (const f of phaseFigures(v)) {
      rows.push({
        metric: `${PHASE_LABEL[f.phase]}${suffix}: flaskstack (s)`,
        unit: "s",
        samples: rounds.map((r) => r.steps.flaskstack[f.phase]!.seconds),
        reference: { label: `faster peer: ${f.peer}`, samples: rounds.map((r) => r.steps[f.peer][f.phase]!.seconds) },
        ratio: round(f.interval.ratio, 2),
        goal: `≤ ${f.goal}× faster peer`,
        // Judged on the whole interval only for the main variant; the delay variants are informational.
        met: v.delayMs ? null : f.verdict === "met",
        note: `95 % interval ${f.interval.low.toFixed(2)}–${f.interval.high.toFixed(2)} (${f.verdict})`,
      });
    }
  }
  const main = data.variants[0];
  const previews = main.rounds.filter((r) => !r.warmup && r.preview).map((r) => r.preview!.seconds);
  if (previews.length) rows.push({ metric: "`pulumi preview`, nothing to change (s)", unit: "s", samples: previews, goal: "(informational)", met: null });
  return {
    name: "peers",
    title: "8. Peers: flaskstack, Ansible and pyinfra doing the same deploy (vm)",
    runs,
    machine: m,
    durationSec,
    rows,
    sections: peerSections(data),
    notes: [
      `Program: the root program as committed (${data.commit.slice(0, 12)}), run by the CLI in bench/stack: \`pulumi up --yes\` (its preview included) and \`pulumi preview\`. Peers: ${data.versions["ansible-core"]}, ${data.versions.pyinfra}, installed by bench/peers/install.sh; ${data.versions.pulumi ? `pulumi ${data.versions.pulumi}` : ""}.`,
      "Each round: three fresh `vm` hosts started together, one per side; phases cold → no-op → config (processes 4 → 8) → code (new release), each phase running the three sides back to back in the round's order (seeded shuffle, recorded below). Round 0 is a warm-up (stack first, its host gives the peers their files) and is not counted.",
      "Checked after every phase: GET / and /healthz through nginx give the same bodies on the three hosts (worker pid and hostname masked), and the config files (sha256, owner, mode), links, release files, venv packages and Debian packages are the same; the no-op changed no file and no process (uWSGI master and workers, nginx master) and each tool reported 0 changes; config and code changes kept the uWSGI master (graceful) and ended with 8 workers; the code change serves the new page.",
      "Ratio: flaskstack's median ÷ the faster peer's median in the same rounds; the interval is a paired bootstrap (rounds resampled, 10,000 resamples, seed 1) of the ratio of medians. A goal is met when the whole interval is under it, missed when the whole interval is over it, unclear otherwise (reported as not met).",
      "SSH logins and remote commands are counted on each host from sshd's journal (as in the other measurements). Ansible runs with pipelining and one ControlPersist master per run (a fresh control directory each run, closed afterwards); pyinfra keeps one paramiko connection per run.",
      "Delay variants: the kernel of this machine has no netem (CONFIG_NET_SCH_NETEM is not set, no modules), so `tc qdisc … netem` cannot delay the hosts' traffic; instead each side reaches its host through a loopback relay (bench/lib/delay.ts) that holds every chunk half the round trip in each direction. Only the SSH path is delayed (apt and pip from the host are not).",
      ...(partial ? ["**Partial: written after a round while the measurement was still running.**"] : []),
      ...data.notes,
    ],
    peers: data,
  };
}
