/**
 * Seeded pseudo-random numbers for synthetic data and tests.
 *
 * Generator: mulberry32 (Tommy Ettinger, 2017), a 32-bit state generator with period 2³² that passes
 * PractRand to 2³² outputs — ample for test catalogues of ≤ 10⁶ stars. Never use `Math.random` in
 * skytom's science code or tests: every synthetic catalogue must be reproducible from its seed.
 *
 * Normal deviates: Marsaglia polar method (Marsaglia & Bray 1964); the second deviate of each pair is
 * cached, so `gaussian()` costs on average 1.27 uniform pairs per two deviates.
 */

export interface Rng {
  /** Uniform deviate in [0, 1), 2⁻³² resolution. */
  next(): number;
  /** Uniform deviate in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  /** Normal deviate with the given mean and standard deviation (defaults 0, 1). */
  gaussian(mean?: number, sd?: number): number;
}

/** Creates a mulberry32 generator from a 32-bit integer seed (other numbers are truncated with `>>> 0`). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spare = 0;
  let hasSpare = false;

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const standardNormal = (): number => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * next() - 1;
      v = 2 * next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const k = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * k;
    hasSpare = true;
    return u * k;
  };

  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    gaussian: (mean = 0, sd = 1) => mean + sd * standardNormal(),
  };
}
