import { describe, expect, it } from "vitest";
import { nelderMead } from "../../src/astro/calibrate/nelderMead.ts";

const rosen = (x: number[]) =>
  x.slice(0, -1).reduce((s, xi, i) => s + 100 * (x[i + 1] - xi * xi) ** 2 + (1 - xi) ** 2, 0);

describe("nelderMead — against scipy.optimize.minimize(method='Nelder-Mead')", () => {
  // Reference numbers from scipy 1.17.1 / numpy 2.4 (run when this test was written):
  //   minimize(rosen, [-1.2, 1], method="Nelder-Mead") → nfev 159, nit 85,
  //     x = [1.0000220217835696, 1.0000422197517715], fun = 8.177661197416674e-10
  //   minimize(rosen, [1.3, 0.7, 0.8, 1.9, 1.2], method="Nelder-Mead", tol=1e-6) → nfev 494, nit 295,
  //     x = [1.0000000163145237, 1.000000017346742, 1.0000000669109803, 1.00000014831607, 1.000000282846266]
  // scipy's `nit` starts counting at 1, so it is our `iterations` + 1.
  it("Rosenbrock 2-D from (−1.2, 1) with default options: same path as scipy, bit for bit", () => {
    const r = nelderMead(rosen, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.evaluations).toBe(159);
    expect(r.iterations + 1).toBe(85);
    expect(r.x).toEqual([1.0000220217835696, 1.0000422197517715]);
    expect(r.f).toBe(8.177661197416674e-10);
  });

  it("Rosenbrock 5-D (scipy tutorial, tol = 1e-6): same evaluations, x within 1e-12", () => {
    const r = nelderMead(rosen, [1.3, 0.7, 0.8, 1.9, 1.2], { xTol: 1e-6, fTol: 1e-6 });
    expect(r.evaluations).toBe(494);
    expect(r.iterations + 1).toBe(295);
    const want = [
      1.0000000163145237, 1.000000017346742, 1.0000000669109803, 1.00000014831607, 1.000000282846266,
    ];
    r.x.forEach((xi, i) => expect(Math.abs(xi - want[i])).toBeLessThan(1e-12));
  });
});

describe("nelderMead — analytic minima", () => {
  it("Rosenbrock with tight tolerances reaches (1, 1) to 1e-6", () => {
    const r = nelderMead(rosen, [-1.2, 1], {
      xTol: 1e-10,
      fTol: 1e-14,
      maxIterations: 5000,
      maxEvaluations: 10000,
    });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
    expect(r.f).toBeLessThan(1e-12);
  });

  it("anisotropic quadratic bowl in 4-D: minimum at c, f(c) = 7", () => {
    const c = [1.5, -2, 0.25, 10];
    const w = [1, 10, 100, 0.1];
    const f = (x: number[]) => 7 + x.reduce((s, xi, i) => s + w[i] * (xi - c[i]) ** 2, 0);
    const r = nelderMead(f, [0, 0, 0, 0], {
      initialStep: 1,
      xTol: 1e-9,
      fTol: 1e-14,
      maxIterations: 20000,
      maxEvaluations: 40000,
    });
    expect(r.converged).toBe(true);
    r.x.forEach((xi, i) => expect(xi).toBeCloseTo(c[i], 5));
    expect(r.f).toBeCloseTo(7, 10);
  });

  it("1-D: (x − 3)² + 1 from 0.5 → x = 3 (scipy: 40 evaluations, x = 3.0000000000000053)", () => {
    const r = nelderMead((x) => (x[0] - 3) ** 2 + 1, [0.5]);
    expect(r.converged).toBe(true);
    expect(r.evaluations).toBe(40);
    expect(r.x[0]).toBe(3.0000000000000053);
    expect(r.f).toBe(1);
  });

  it("1-D from x₀ = 0 uses scipy's zero step 0.00025 and still finds the minimum", () => {
    const r = nelderMead((x) => (x[0] + 0.7) ** 2, [0], { xTol: 1e-9, fTol: 1e-15 });
    expect(r.x[0]).toBeCloseTo(-0.7, 7);
  });
});

describe("nelderMead — stopping rules, bounds, bad values", () => {
  it("stops at maxIterations and says so", () => {
    const r = nelderMead(rosen, [-1.2, 1], { maxIterations: 10 });
    expect(r.iterations).toBe(10);
    expect(r.converged).toBe(false);
    expect(r.reason).toBe("maxIterations");
    expect(r.f).toBeLessThan(rosen([-1.2, 1])); // it still improved
  });

  it("stops at maxEvaluations and says so", () => {
    const r = nelderMead(rosen, [-1.2, 1], { maxEvaluations: 25 });
    expect(r.reason).toBe("maxEvaluations");
    expect(r.converged).toBe(false);
    expect(r.evaluations).toBeGreaterThanOrEqual(25);
    expect(r.evaluations).toBeLessThan(25 + 4); // at most one iteration (n + 2 calls) past the limit
  });

  it("per-coordinate xTol: a flat coordinate with a loose tolerance does not block convergence", () => {
    const r = nelderMead((x) => (x[0] - 1) ** 2, [0, 1e12], { xTol: [1e-6, 1e9], fTol: 1e-12 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 5);
  });

  it("bounds by transformation: minimum outside the box lands on the active bound; inside, found freely", () => {
    const f = (x: number[]) => (x[0] - 3) ** 2 + (x[1] + 1) ** 2;
    const opts = { xTol: 1e-10, fTol: 1e-14, maxIterations: 5000, maxEvaluations: 10000 };
    const upper = nelderMead(f, [0, 0], { ...opts, upper: [2, Infinity] });
    expect(upper.x[0]).toBeCloseTo(2, 5);
    expect(upper.x[1]).toBeCloseTo(-1, 5);
    const lower = nelderMead(f, [5, 5], { ...opts, lower: [4, -Infinity] });
    expect(lower.x[0]).toBeCloseTo(4, 5);
    const box = nelderMead(f, [0.5, 0.5], { ...opts, lower: [0, -2], upper: [5, 2] });
    expect(box.x[0]).toBeCloseTo(3, 5);
    expect(box.x[1]).toBeCloseTo(-1, 5);
    // Every evaluated point respects the bounds.
    const seen: number[][] = [];
    nelderMead((x) => (seen.push(x), f(x)), [0.5, 0.5], { ...opts, lower: [0, -2], upper: [5, 2] });
    expect(seen.every(([a, b]) => a >= 0 && a <= 5 && b >= -2 && b <= 2)).toBe(true);
  });

  it("treats NaN/Infinity as +Infinity (stays in the valid region)", () => {
    const r = nelderMead((x) => (x[0] < 0 ? NaN : (x[0] - 1) ** 2), [0.5], { xTol: 1e-9, fTol: 1e-15 });
    expect(r.x[0]).toBeCloseTo(1, 6);
  });
});
