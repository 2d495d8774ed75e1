/**
 * The `peers` measurement's data and figures, apart from the code that measures (bench/measure/peers.ts),
 * so bench/report.ts renders its table from results/peers.json without loading the engine.
 */
import { bootstrapRatioOfMedians, judgeRatio, RatioInterval } from "./bootstrap";
import { mdTable, median, round } from "./common";

export type Side = "flaskstack" | "ansible" | "pyinfra";
export const SIDES: Side[] = ["flaskstack", "ansible", "pyinfra"];

export type Phase = "cold" | "noop" | "config" | "code";
export const PHASES: Phase[] = ["cold", "noop", "config", "code"];

/** The team's goals: flaskstack ÷ the faster peer, per phase. */
export const GOALS: Record<Phase, number> = { cold: 0.8, noop: 0.5, config: 0.7, code: 0.7 };

export const PHASE_LABEL: Record<Phase, string> = {
  cold: "cold deploy",
  noop: "no-op (second run, nothing changed)",
  config: "config change: uWSGI processes 4 → 8",
  code: "code change: a new release",
};

export interface Step {
  seconds: number;
  /** SSH logins the host accepted, and remote commands (exec sessions). */
  connections: number;
  commands: number;
  /** Resources (flaskstack), tasks (Ansible) or operations (pyinfra) that reported a change. */
  changed: number;
}

export interface PeersRound {
  index: number;
  warmup: boolean;
  delayMs: number;
  order: Side[];
  steps: Record<Side, Partial<Record<Phase, Step>>>;
  /** `pulumi preview` with nothing to change (flaskstack's no-op phase, just before its `up`). */
  preview?: Step;
  /** What was checked after each phase, in words. */
  checks: string[];
  loadAtStart: number[];
}

export interface PeersVariant {
  delayMs: number;
  rounds: PeersRound[];
}

export interface WhatIf {
  label: string;
  samples: number[];
}

export interface PeersData {
  commit: string;
  seed: number;
  variants: PeersVariant[];
  whatIfs: WhatIf[];
  versions: Record<string, string>;
  notes: string[];
}

export interface PhaseFigure {
  phase: Phase;
  medians: Record<Side, number>;
  /** The faster peer by median. */
  peer: "ansible" | "pyinfra";
  interval: RatioInterval;
  goal: number;
  verdict: "met" | "missed" | "unclear";
  connections: Record<Side, number>;
  commands: Record<Side, number>;
}

export function phaseFigures(v: PeersVariant): PhaseFigure[] {
  const rounds = v.rounds.filter((r) => !r.warmup);
  const figs: PhaseFigure[] = [];
  for (const phase of PHASES) {
    const col = (s: Side, k: keyof Step = "seconds") => rounds.map((r) => r.steps[s][phase]?.[k]).filter((x): x is number => typeof x === "number");
    if (!rounds.length || SIDES.some((s) => col(s).length !== rounds.length)) continue;
    const medians = { flaskstack: median(col("flaskstack")), ansible: median(col("ansible")), pyinfra: median(col("pyinfra")) };
    const peer = medians.ansible <= medians.pyinfra ? "ansible" : "pyinfra";
    const interval = bootstrapRatioOfMedians(col("flaskstack"), col(peer), { seed: 1, paired: true });
    figs.push({
      phase,
      medians,
      peer,
      interval,
      goal: GOALS[phase],
      verdict: judgeRatio(interval, GOALS[phase]),
      connections: {
        flaskstack: median(col("flaskstack", "connections")),
        ansible: median(col("ansible", "connections")),
        pyinfra: median(col("pyinfra", "connections")),
      },
      commands: { flaskstack: median(col("flaskstack", "commands")), ansible: median(col("ansible", "commands")), pyinfra: median(col("pyinfra", "commands")) },
    });
  }
  return figs;
}

export function peerSections(data: PeersData): { heading: string; body: string }[] {
  const sections: { heading: string; body: string }[] = [];
  for (const v of data.variants) {
    const rounds = v.rounds.filter((r) => !r.warmup);
    if (!rounds.length) continue;
    sections.push({
      heading: `Rounds${v.delayMs ? ` (+${v.delayMs} ms SSH round trip)` : ""}: order and seconds per phase (flaskstack / Ansible / pyinfra)`,
      body: mdTable(
        ["round", "order", "load (1 min)", ...PHASES, "preview"],
        rounds.map((r) => [
          r.index,
          r.order.join(" → "),
          r.loadAtStart[0],
          ...PHASES.map((p) => SIDES.map((s) => r.steps[s][p]?.seconds.toFixed(1) ?? "–").join(" / ")),
          r.preview ? r.preview.seconds.toFixed(1) : "–",
        ]),
      ),
    });
  }
  if (data.whatIfs.length) {
    sections.push({
      heading: "What-ifs: where flaskstack's no-op and change time goes (one host, interleaved)",
      body: mdTable(
        ["variant", "median", "min", "max", "runs"],
        data.whatIfs.map((w) => [w.label, round(median(w.samples), 2), round(Math.min(...w.samples), 2), round(Math.max(...w.samples), 2), w.samples.length]),
      ),
    });
  }
  return sections;
}

const SIDE_LABEL: Record<Side, string> = { flaskstack: "flaskstack", ansible: "Ansible", pyinfra: "pyinfra" };

/** The peers table of RESULTS.md: per variant, per phase, the three medians, the ratio with its interval, the goal. */
export function renderPeersTables(data: PeersData): string {
  const out: string[] = [];
  for (const v of data.variants) {
    const rounds = v.rounds.filter((r) => !r.warmup);
    const figs = phaseFigures(v);
    if (!figs.length) continue;
    const range = (s: Side, p: Phase) => {
      const xs = rounds.map((r) => r.steps[s][p]!.seconds);
      return `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
    };
    out.push(
      `**${v.delayMs ? `SSH round trip +${v.delayMs} ms` : "No added delay"}** — ${rounds.length} round${rounds.length > 1 ? "s" : ""}${v.delayMs ? "" : " after one warm-up"}; seconds, median (min–max):`,
      "",
      mdTable(
        ["phase", ...SIDES.map((s) => SIDE_LABEL[s]), "ratio flaskstack ÷ faster peer (95 % interval)", "goal", "goal met?"],
        figs.map((f) => [
          PHASE_LABEL[f.phase],
          ...SIDES.map((s) => range(s, f.phase)),
          `${f.interval.ratio.toFixed(2)}× vs ${SIDE_LABEL[f.peer]} (${f.interval.low.toFixed(2)}–${f.interval.high.toFixed(2)})`,
          `≤ ${f.goal}×`,
          v.delayMs
            ? `(${f.verdict}; informational)`
            : f.verdict === "met"
              ? "**met**"
              : f.verdict === "missed"
                ? "**missed**"
                : "**unclear** (interval straddles the goal)",
        ]),
      ),
      "",
      mdTable(
        ["phase", ...SIDES.map((s) => `${SIDE_LABEL[s]}: SSH logins / commands`), ...SIDES.map((s) => `${SIDE_LABEL[s]}: changes reported`)],
        figs.map((f) => [
          PHASE_LABEL[f.phase],
          ...SIDES.map((s) => `${f.connections[s]} / ${f.commands[s]}`),
          ...SIDES.map((s) => String(median(rounds.map((r) => r.steps[s][f.phase]!.changed)))),
        ]),
      ),
      "",
    );
    const previews = rounds.filter((r) => r.preview).map((r) => r.preview!.seconds);
    if (previews.length) {
      out.push(
        `\`pulumi preview\` alone (nothing to change): median ${median(previews).toFixed(1)} s (${Math.min(...previews).toFixed(1)}–${Math.max(...previews).toFixed(1)}), ` +
          `${median(rounds.filter((r) => r.preview).map((r) => r.preview!.connections))} SSH logins.`,
        "",
      );
    }
  }
  return out.join("\n");
}

// ---- what the tools say they changed ------------------------------------------------------------

/** Sum of the non-"unchanged" counts in the CLI's `Resources:` summary. */
export function parsePulumiChanges(out: string): number {
  const i = out.lastIndexOf("Resources:");
  if (i < 0) return NaN;
  let n = 0;
  for (const line of out.slice(i).split("\n").slice(1, 12)) {
    const m = /^\s*(?:[+~\-±]+\s+)?(\d+) (to create|to update|to delete|to replace|created|updated|deleted|replaced)\b/.exec(line);
    if (m) n += Number(m[1]);
    if (/^\s*$/.test(line) && n > 0) break;
  }
  return n;
}

/**
 * Operations that changed something, from pyinfra's per-operation lines (`[host] Success` for a change,
 * `[host] No changes` for none).
 */
export function parsePyinfraChanges(out: string): number {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  return (plain.match(/^\s*\[host\] Success\b/gm) ?? []).length;
}
