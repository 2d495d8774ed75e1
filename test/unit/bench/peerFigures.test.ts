import { parsePulumiChanges, parsePyinfraChanges, phaseFigures, PeersVariant, PeersRound, renderPeersTables, Side, Step } from "../../../bench/lib/peerFigures";

const step = (seconds: number, connections = 1, changed = 0): Step => ({ seconds, connections, commands: connections, changed });

function round(index: number, f: number[], a: number[], p: number[], warmup = false): PeersRound {
  const phases = ["cold", "noop", "config", "code"] as const;
  const of = (xs: number[]) => Object.fromEntries(phases.map((ph, i) => [ph, step(xs[i])]));
  return {
    index,
    warmup,
    delayMs: 0,
    order: ["ansible", "flaskstack", "pyinfra"] as Side[],
    steps: { flaskstack: of(f), ansible: of(a), pyinfra: of(p) },
    preview: step(5, 0),
    checks: [],
    loadAtStart: [1, 1, 1],
  };
}

describe("bench/lib/peerFigures", () => {
  const variant: PeersVariant = {
    delayMs: 0,
    rounds: [
      round(0, [99, 99, 99, 99], [1, 1, 1, 1], [1, 1, 1, 1], true),
      round(1, [30, 8, 9, 10], [40, 4, 6, 7], [32, 3, 5, 6]),
      round(2, [31, 8, 9, 10], [41, 4, 6, 7], [33, 3, 5, 6]),
      round(3, [29, 8, 9, 10], [39, 4, 6, 7], [31, 3, 5, 6]),
    ],
  };

  it("GIVEN rounds WHEN figured THEN the warm-up is left out and each phase is judged against its faster peer", () => {
    const figs = phaseFigures(variant);
    expect(figs.map((f) => [f.phase, f.peer, f.medians.flaskstack])).toEqual([
      ["cold", "pyinfra", 30],
      ["noop", "pyinfra", 8],
      ["config", "pyinfra", 9],
      ["code", "pyinfra", 10],
    ]);
    const cold = figs[0];
    expect(cold.interval.ratio).toBeCloseTo(30 / 32, 10);
    expect(cold.verdict).toBe("missed"); // 0.94 > 0.8 in every resample
    expect(figs[1].interval.ratio).toBeCloseTo(8 / 3, 10);
    expect(figs[1].verdict).toBe("missed");
  });

  it("GIVEN a fast flaskstack WHEN figured THEN the goal is met", () => {
    const fast: PeersVariant = {
      delayMs: 0,
      rounds: [round(1, [10, 1, 1, 1], [40, 4, 6, 7], [32, 3, 5, 6]), round(2, [11, 1, 1, 1], [41, 4, 6, 7], [33, 3, 5, 6])],
    };
    expect(phaseFigures(fast).map((f) => f.verdict)).toEqual(["met", "met", "met", "met"]);
  });

  it("GIVEN the figures WHEN rendered THEN one row per phase with the three medians, the ratio and its interval", () => {
    const md = renderPeersTables({ commit: "abc", seed: 1, variants: [variant], whatIfs: [], versions: {}, notes: [] });
    expect(md).toContain("| cold deploy | 30.0 (29.0–31.0) | 40.0 (39.0–41.0) | 32.0 (31.0–33.0) | 0.94× vs pyinfra");
    expect(md).toContain("**missed**");
    expect(md).toContain("3 rounds after one warm-up");
    expect(md).toContain("`pulumi preview` alone (nothing to change): median 5.0 s");
  });

  it("GIVEN pulumi's output WHEN parsed THEN the update's changes count, not the preview's, and unchanged ones do not", () => {
    const out = [
      "Previewing update (s):",
      "Resources:",
      "    ~ 2 to update",
      "    18 unchanged",
      "",
      "Updating (s):",
      "Resources:",
      "    ~ 2 updated",
      "    + 1 created",
      "    18 unchanged",
      "",
      "Duration: 5s",
    ].join("\n");
    expect(parsePulumiChanges(out)).toBe(3);
    expect(parsePulumiChanges("Resources:\n    20 unchanged\n\nDuration: 3s")).toBe(0);
    expect(parsePulumiChanges("no summary")).toBeNaN();
  });

  it("GIVEN pyinfra's output WHEN parsed THEN each operation that changed something counts once", () => {
    const out =
      "--> Starting operation: a\n    [host] Success\n--> Starting operation: b\n    [host] No changes\n--> Starting operation: c\n    \x1b[32m[host] Success\x1b[0m\n";
    expect(parsePyinfraChanges(out)).toBe(2);
  });
});
