import { describe, expect, it } from "vitest";
import { boundaryFit, runsToBoundary } from "../../src/astro/calibrate/boundaryFit.ts";
import {
  approxNegLogLikelihood,
  errorRange,
  mixtureLogLikelihood,
  negLogLikelihood,
} from "../../src/astro/calibrate/likelihood.ts";
import { nelderMead, nelderMeadCertified } from "../../src/astro/calibrate/nelderMead.ts";
import { fitZeroPoint } from "../../src/astro/calibrate/zeropoint.ts";
import { createRng } from "../../src/astro/synth/random.ts";

/**
 * n stars, m_cat uniform 11–19, heteroscedastic errors growing towards faint magnitudes (as a CCD frame),
 * optional colour-like spread and a fraction of outliers shifted by ±U(0.3, 1.5) mag.
 */
function sample(
  seed: number,
  n: number,
  opts: { outliers?: number; spread?: number; noErrors?: boolean } = {},
) {
  const rng = createRng(seed);
  const cat = new Float64Array(n);
  const inst = new Float64Array(n);
  const instErr = new Float64Array(n);
  const catErr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cat[i] = rng.uniform(11, 19);
    instErr[i] = opts.noErrors ? 0 : Math.sqrt(0.003 ** 2 + (0.02 * 10 ** (0.4 * (cat[i] - 17))) ** 2);
    catErr[i] = opts.noErrors ? 0 : 0.005;
    inst[i] = cat[i] + 24.2 + rng.gaussian(0, Math.hypot(instErr[i], catErr[i], opts.spread ?? 0));
    if (rng.next() < (opts.outliers ?? 0)) inst[i] += (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.3, 1.5);
  }
  const delta = Float64Array.from(inst, (m, i) => m - cat[i]);
  const errVar = Float64Array.from(instErr, (e, i) => e * e + catErr[i] ** 2);
  return { cat, inst, instErr, catErr, delta, errVar };
}

describe("likelihood.ts — certified approximation", () => {
  it("|exact − approx| ≤ bound for f = 0, 1e−16, 1e−12, 1 − 1e−16, 1, with and without errors", () => {
    const rng = createRng(11);
    let worst = 0;
    let checked = 0;
    for (let t = 0; t < 600; t++) {
      const noErrors = t % 3 === 0;
      const s = sample(100 + t, [1, 7, 60, 400][t % 4], { outliers: 0.05, spread: 0.1, noErrors });
      const a = 24.2 + rng.gaussian(0, 0.3);
      const sigma = [1e-4, 0.01, 0.3, 2][t % 4] * rng.uniform(0.5, 2);
      const f = [0, 1e-16, 1e-12, 1 - 2 ** -53, 1][t % 5];
      const r = approxNegLogLikelihood(s.delta, s.errVar, noErrors, errorRange(s.errVar), a, sigma, f);
      expect(r).not.toBeNull();
      const exact = negLogLikelihood(s.delta, s.errVar, noErrors, a, sigma, f);
      worst = Math.max(worst, Math.abs(exact - r!.value) / r!.bound);
      checked++;
    }
    expect(checked).toBe(600);
    expect(worst).toBeLessThan(1);
  });

  it("declines inside the f range, where it would not save work", () => {
    const s = sample(1, 50);
    expect(
      approxNegLogLikelihood(s.delta, s.errVar, false, errorRange(s.errVar), 24.2, 0.05, 0.2),
    ).toBeNull();
  });

  it("negLogLikelihood is −mixtureLogLikelihood bit for bit (the search's path depends on it)", () => {
    const s = sample(2, 300, { outliers: 0.1 });
    const z = sample(3, 300, { noErrors: true });
    for (const [a, sg, f] of [
      [24.2, 0.05, 0.1],
      [24.1, 0.2, 0],
      [24.3, 1e-4, 1e-17],
    ]) {
      expect(negLogLikelihood(s.delta, s.errVar, false, a, sg, f)).toBe(
        -mixtureLogLikelihood(s.delta, s.errVar, a, sg, f),
      );
      expect(negLogLikelihood(z.delta, z.errVar, true, a, sg, f)).toBe(
        -mixtureLogLikelihood(z.delta, z.errVar, a, sg, f),
      );
    }
  });
});

describe("nelderMeadCertified — the same path with less work", () => {
  it("on the f₀ = 0 likelihood it visits the same points and returns the same bits as nelderMead", () => {
    for (const [seed, noErrors] of [
      [21, false],
      [22, true],
      [23, false],
    ] as const) {
      const s = sample(seed, 800, { spread: 0.3, noErrors });
      const range = errorRange(s.errVar);
      const natural = (p: number[]) => [p[0], p[2] * p[2] + 1e-4, Math.atan(p[1]) / Math.PI + 0.5] as const;
      let exactCalls = 0;
      const exact = (p: number[]) => {
        const [a, sg, f] = natural(p);
        return negLogLikelihood(s.delta, s.errVar, noErrors, a, sg, f);
      };
      const start = [24.2, Math.tan(-0.5 * Math.PI), 0.3];
      const xTol = [1e-4, 1e-4 * Math.abs(start[1]), 1e-4];
      const plain = nelderMead(exact, start, { xTol });
      const fast = nelderMeadCertified(
        {
          exact: (p) => {
            exactCalls++;
            return exact(p);
          },
          approx: (p) => {
            const [a, sg, f] = natural(p);
            return approxNegLogLikelihood(s.delta, s.errVar, noErrors, range, a, sg, f);
          },
        },
        start,
        { xTol },
      );
      expect(fast.x).toEqual(plain.x);
      expect(fast.f).toBe(plain.f);
      expect([fast.evaluations, fast.iterations, fast.reason]).toEqual([
        plain.evaluations,
        plain.iterations,
        plain.reason,
      ]);
      expect(fast.simplex.map((v) => v.f)).toEqual(plain.simplex.map((v) => v.f));
      expect(exactCalls).toBeLessThan(plain.evaluations / 4);
    }
  });
});

describe("boundaryFit — maximum of the f = 0 likelihood", () => {
  it("agrees with a tightly converged Nelder–Mead on (A, σ) to 1e−9 mag", () => {
    for (const seed of [31, 32]) {
      const s = sample(seed, 500, { spread: 0.04 });
      const b = boundaryFit(s.delta, s.errVar)!;
      const tight = nelderMead(
        (p) => -mixtureLogLikelihood(s.delta, s.errVar, p[0], Math.abs(p[1]), 0),
        [b.a + 0.01, b.sigma * 1.2],
        { xTol: 1e-12, fTol: 1e-13, maxIterations: 20000, maxEvaluations: 40000 },
      );
      expect(Math.abs(tight.x[0] - b.a)).toBeLessThan(1e-9);
      expect(Math.abs(Math.abs(tight.x[1]) - b.sigma)).toBeLessThan(1e-9);
      expect(b.dLogLdF).toBeLessThan(0); // no outliers: the boundary is the maximum in f too
    }
  });

  it("σ stays at its floor 1e−4 when the errors explain all the scatter", () => {
    const s = sample(33, 300);
    const inflated = Float64Array.from(s.errVar, (v) => 4 * v);
    expect(boundaryFit(s.delta, inflated)!.sigma).toBe(1e-4);
  });

  it("runsToBoundary: yes for a clean sample, no with 20 % outliers", () => {
    const clean = sample(34, 400, { spread: 0.05 });
    const dirty = sample(35, 400, { spread: 0.05, outliers: 0.2 });
    expect(runsToBoundary(clean.delta, clean.errVar, 24.2, 0.05, 0.01)).toBe(true);
    expect(runsToBoundary(dirty.delta, dirty.errVar, 24.2, 0.05, 0.2)).toBe(false);
  });
});

describe("fitZeroPoint — direct f → 0 maximum vs the legacy search", () => {
  it("clean samples (the search runs to its cap): ZP and σ within 1e−6 mag, f = 0 vs ~1e−12", () => {
    let direct = 0;
    for (let seed = 40; seed < 52; seed++) {
      const s = sample(seed, [60, 200, 1500][seed % 3], { spread: [0, 0.02, 0.3][seed % 3] });
      const fast = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
      const legacy = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr, { search: "legacy" });
      if (fast.outlierFraction === 0 && legacy.outlierFraction !== 0) direct++;
      expect(Math.abs(fast.zp - legacy.zp)).toBeLessThan(1e-6);
      expect(Math.abs(fast.scatter - legacy.scatter)).toBeLessThan(1e-6);
      expect(Math.abs(fast.zpErr - legacy.zpErr)).toBeLessThan(1e-6);
      expect(legacy.outlierFraction).toBeLessThan(1e-6);
      expect(fast.converged).toBe(legacy.converged);
    }
    expect(direct).toBeGreaterThan(6); // most of them took the direct route
  });

  it("samples with outliers keep the legacy search: identical results", () => {
    for (let seed = 60; seed < 66; seed++) {
      const s = sample(seed, 300, { outliers: 0.15, spread: 0.02 });
      const fast = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
      const legacy = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr, { search: "legacy" });
      expect(fast).toEqual(legacy);
      expect(fast.outlierFraction).toBeGreaterThan(0.05);
    }
  });
});
