/**
 * A seeded bootstrap of the ratio of two medians, so a goal like "≤ 0.5× the faster peer" is judged
 * with its uncertainty, and the same samples always give the same interval.
 *
 * Pure: no clock, no Math.random. `paired` resamples whole rounds (sample i of `a` goes with sample i
 * of `b`): both sides of a round ran back to back on the same machine, so they share its load at that
 * moment, and resampling rounds keeps that. Unpaired resamples each side on its own.
 */

export interface RatioInterval {
  /** median(a) / median(b) of the samples themselves. */
  ratio: number;
  /** Lower and upper bound of the percentile interval. */
  low: number;
  high: number;
  confidence: number;
  iterations: number;
}

export interface BootstrapOptions {
  /** Resamples (default 10,000). */
  iterations?: number;
  /** Seed of the pseudo-random generator (default 1). */
  seed?: number;
  /** Two-sided confidence (default 0.95). */
  confidence?: number;
  /** Resample rounds together (default true; needs samples of equal length). */
  paired?: boolean;
}

/** mulberry32: a small 32-bit generator, good enough for resampling indexes. Returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The `q` quantile (0–1) of sorted values, linear between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Bootstrap percentile interval of median(a) / median(b). */
export function bootstrapRatioOfMedians(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): RatioInterval {
  const iterations = opts.iterations ?? 10_000;
  const confidence = opts.confidence ?? 0.95;
  const paired = opts.paired ?? true;
  if (a.length === 0 || b.length === 0) throw new Error("bootstrapRatioOfMedians needs at least one sample on each side");
  if (paired && a.length !== b.length) throw new Error(`paired bootstrap needs as many samples on each side (got ${a.length} and ${b.length})`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be between 0 and 1 (got ${confidence})`);
  if ([...a, ...b].some((x) => !Number.isFinite(x))) throw new Error("samples must be finite numbers");
  const rand = seededRandom(opts.seed ?? 1);
  const pick = (n: number) => Math.floor(rand() * n);
  const ratios: number[] = [];
  const ra = new Array<number>(a.length);
  const rb = new Array<number>(b.length);
  for (let it = 0; it < iterations; it++) {
    if (paired) {
      for (let i = 0; i < a.length; i++) {
        const j = pick(a.length);
        ra[i] = a[j];
        rb[i] = b[j];
      }
    } else {
      for (let i = 0; i < a.length; i++) ra[i] = a[pick(a.length)];
      for (let i = 0; i < b.length; i++) rb[i] = b[pick(b.length)];
    }
    ratios.push(medianOf(ra) / medianOf(rb));
  }
  ratios.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  return { ratio: medianOf(a) / medianOf(b), low: quantile(ratios, tail), high: quantile(ratios, 1 - tail), confidence, iterations };
}

/**
 * How a ratio compares with a goal "ratio ≤ goal": met when the whole interval is at or under it,
 * missed when the whole interval is over it, and unclear when the interval straddles it.
 */
export function judgeRatio(r: Pick<RatioInterval, "low" | "high">, goal: number): "met" | "missed" | "unclear" {
  if (r.high <= goal) return "met";
  if (r.low > goal) return "missed";
  return "unclear";
}
