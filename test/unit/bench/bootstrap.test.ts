import { bootstrapRatioOfMedians, judgeRatio, seededRandom } from "../../../bench/lib/bootstrap";

describe("bench/lib/bootstrap", () => {
  it("GIVEN one seed WHEN drawn twice THEN the same numbers, all in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toEqual(xs[0]);
  });

  it("GIVEN samples WHEN bootstrapped twice with the same seed THEN the same interval", () => {
    const a = [10.2, 9.8, 11.5, 10.1, 10.7, 9.9, 12.0];
    const b = [20.1, 19.5, 22.3, 20.0, 21.1, 19.8, 20.6];
    expect(bootstrapRatioOfMedians(a, b, { seed: 7 })).toEqual(bootstrapRatioOfMedians(a, b, { seed: 7 }));
  });

  it("GIVEN samples WHEN bootstrapped THEN the ratio is median(a) / median(b) and lies inside the interval", () => {
    const a = [10.2, 9.8, 11.5, 10.1, 10.7, 9.9, 12.0];
    const b = [20.1, 19.5, 22.3, 20.0, 21.1, 19.8, 20.6];
    const r = bootstrapRatioOfMedians(a, b);
    expect(r.ratio).toBeCloseTo(10.2 / 20.1, 10);
    expect(r.low).toBeLessThanOrEqual(r.ratio);
    expect(r.high).toBeGreaterThanOrEqual(r.ratio);
    expect(r.low).toBeGreaterThan(0.4);
    expect(r.high).toBeLessThan(0.65);
    expect(r).toMatchObject({ confidence: 0.95, iterations: 10_000 });
  });

  it("GIVEN rounds where one side is always half the other WHEN paired THEN the interval is that ratio exactly", () => {
    const b = [8, 12, 30, 9, 15];
    const a = b.map((x) => x / 2);
    const r = bootstrapRatioOfMedians(a, b, { paired: true });
    expect(r.ratio).toBe(0.5);
    expect(r.low).toBe(0.5);
    expect(r.high).toBe(0.5);
  });

  it("GIVEN the same rounds WHEN unpaired THEN the shared swings of load widen the interval", () => {
    const b = [8, 12, 30, 9, 15];
    const a = b.map((x) => x / 2);
    const r = bootstrapRatioOfMedians(a, b, { paired: false });
    expect(r.high - r.low).toBeGreaterThan(0.2);
  });

  it("GIVEN a wider confidence WHEN bootstrapped THEN the interval is at least as wide", () => {
    const a = [3.1, 2.9, 3.5, 3.0, 4.2, 2.8, 3.3];
    const b = [5.0, 6.1, 5.4, 7.2, 5.1, 5.9, 5.5];
    const r90 = bootstrapRatioOfMedians(a, b, { confidence: 0.9, paired: false });
    const r99 = bootstrapRatioOfMedians(a, b, { confidence: 0.99, paired: false });
    expect(r99.low).toBeLessThanOrEqual(r90.low);
    expect(r99.high).toBeGreaterThanOrEqual(r90.high);
  });

  it("GIVEN bad input WHEN bootstrapped THEN it throws", () => {
    expect(() => bootstrapRatioOfMedians([], [1])).toThrow(/at least one sample/);
    expect(() => bootstrapRatioOfMedians([1, 2], [1], { paired: true })).toThrow(/as many samples/);
    expect(() => bootstrapRatioOfMedians([1, NaN], [1, 2])).toThrow(/finite/);
    expect(() => bootstrapRatioOfMedians([1], [1], { confidence: 1 })).toThrow(/confidence/);
    expect(bootstrapRatioOfMedians([1, 2], [1], { paired: false }).ratio).toBe(1.5);
  });

  it("GIVEN an interval WHEN judged against a goal THEN met only when all of it is under, missed only when all of it is over", () => {
    expect(judgeRatio({ low: 0.3, high: 0.5 }, 0.5)).toBe("met");
    expect(judgeRatio({ low: 0.51, high: 0.9 }, 0.5)).toBe("missed");
    expect(judgeRatio({ low: 0.4, high: 0.6 }, 0.5)).toBe("unclear");
  });
});
