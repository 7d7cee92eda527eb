/**
 * Nelder–Mead downhill-simplex minimiser (Nelder & Mead 1965), in the form analysed by Lagarias, Reeds,
 * Wright & Wright (1998, SIAM J. Optim. 9, 112): reflection ρ = 1, expansion χ = 2, contraction γ = ½,
 * shrink σ = ½; expansion is accepted only if it beats the reflected point; outside contraction is
 * accepted if f_c ≤ f_r, inside contraction if f_cc < f_worst, otherwise the simplex shrinks towards the
 * best vertex. Vertices are kept ordered by f with a stable sort, so on ties an accepted new vertex goes
 * after the old vertices of equal value (Lagarias' ordering rule).
 *
 * Defaults reproduce scipy.optimize.minimize(method="Nelder-Mead"), which the legacy CPCS engine used
 * (calibration.md §4.3 step 5, "scipy defaults"): initial simplex x₀ plus, per coordinate, 5 % of that
 * coordinate (0.00025 if it is zero); stop when max_i‖x_i − x_0‖∞ ≤ xTol and max_i |f_i − f_0| ≤ fTol
 * (both 1e-4), or after 200·n iterations or 200·n function evaluations.
 *
 * Bounds (optional, per coordinate, ±Infinity for none) are handled by the MINUIT transformation
 * (James & Roos 1975): the simplex lives in an unbounded internal space u and the objective sees
 * x = lo + (hi − lo)(sin u + 1)/2 (two-sided), x = lo − 1 + √(u² + 1) (lower only), or
 * x = hi + 1 − √(u² + 1) (upper only). With bounds, xTol applies to u, not x.
 * Non-finite objective values are treated as +Infinity.
 *
 * Certified approximations (`nelderMeadCertified`): every decision of the method is a comparison of two
 * objective values (or of their spread with fTol). When a cheap approximation comes with a rigorous bound
 * |exact − approx| ≤ b, a comparison whose intervals do not overlap has the same outcome as with the exact
 * values, so only the undecided comparisons need the exact objective (computed lazily, once per vertex).
 * The path — every vertex, evaluation count and returned value — is then exactly that of `nelderMead`
 * with the exact objective.
 */

export interface NelderMeadOptions {
  /** Per-coordinate initial step; default scipy's 5 % of |x₀ᵢ| (0.00025 when x₀ᵢ = 0). */
  initialStep?: number | readonly number[];
  /** Absolute tolerance on the simplex size per coordinate (∞-norm if one number). Default 1e-4. */
  xTol?: number | readonly number[];
  /** Absolute tolerance on the spread of f over the simplex. Default 1e-4. */
  fTol?: number;
  /** Maximum iterations; default 200·n. */
  maxIterations?: number;
  /** Maximum objective evaluations; default 200·n. */
  maxEvaluations?: number;
  /** Lower/upper bounds per coordinate (use ±Infinity for a free side). */
  lower?: readonly number[];
  upper?: readonly number[];
}

export interface NelderMeadResult {
  /** Best point found (in the caller's coordinates). */
  x: number[];
  /** Objective at x. */
  f: number;
  iterations: number;
  evaluations: number;
  /** True when both tolerances were met; false when an iteration/evaluation limit stopped the search. */
  converged: boolean;
  reason: "tolerance" | "maxIterations" | "maxEvaluations";
  /** Final simplex (n + 1 vertices, best first, caller's coordinates) and objective values. */
  simplex: { x: number[]; f: number }[];
}

type Transform = { toX: (u: number[]) => number[]; toU: (x: readonly number[]) => number[] };

function boundsTransform(n: number, lower?: readonly number[], upper?: readonly number[]): Transform | null {
  if (!lower && !upper) return null;
  const lo = Array.from({ length: n }, (_, i) => lower?.[i] ?? -Infinity);
  const hi = Array.from({ length: n }, (_, i) => upper?.[i] ?? Infinity);
  const toX = (u: number[]): number[] =>
    u.map((ui, i) => {
      const a = lo[i];
      const b = hi[i];
      if (Number.isFinite(a) && Number.isFinite(b)) return a + ((b - a) * (Math.sin(ui) + 1)) / 2;
      if (Number.isFinite(a)) return a - 1 + Math.sqrt(ui * ui + 1);
      if (Number.isFinite(b)) return b + 1 - Math.sqrt(ui * ui + 1);
      return ui;
    });
  const toU = (x: readonly number[]): number[] =>
    x.map((xi, i) => {
      const a = lo[i];
      const b = hi[i];
      if (Number.isFinite(a) && Number.isFinite(b)) {
        const t = Math.min(1, Math.max(-1, (2 * (xi - a)) / (b - a) - 1));
        return Math.asin(t);
      }
      if (Number.isFinite(a)) return Math.sqrt(Math.max(0, (Math.max(xi, a) - a + 1) ** 2 - 1));
      if (Number.isFinite(b)) return Math.sqrt(Math.max(0, (b - Math.min(xi, b) + 1) ** 2 - 1));
      return xi;
    });
  return { toX, toU };
}

/** An objective value: exact, or an approximation `v` with |exact − v| ≤ `b` and the means to get it. */
interface Value {
  v: number;
  b: number;
  exact: boolean;
  x: number[];
}

/** Objective with a certified cheap approximation; `approx` returns null when it cannot bound its error. */
export interface CertifiedObjective {
  exact: (x: number[]) => number;
  approx: (x: number[]) => { value: number; bound: number } | null;
}

/** Minimises `fn` from `x0`. Pure: `fn` is called with fresh arrays it may keep. */
export function nelderMead(
  fn: (x: number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  return search({ exact: fn, approx: () => null }, x0, options);
}

/**
 * `nelderMead` on an objective with a certified approximation (see the file comment): the same path and
 * result as `nelderMead(objective.exact, …)`, with the exact objective evaluated only where a decision
 * needs it. `evaluations` counts new points, as in `nelderMead`.
 */
export function nelderMeadCertified(
  objective: CertifiedObjective,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  return search(objective, x0, options);
}

function search(
  objective: CertifiedObjective,
  x0: readonly number[],
  options: NelderMeadOptions,
): NelderMeadResult {
  const n = x0.length;
  const xTolOpt = options.xTol ?? 1e-4;
  const xTol = Array.from({ length: n }, (_, i) => (typeof xTolOpt === "number" ? xTolOpt : xTolOpt[i]));
  const fTol = options.fTol ?? 1e-4;
  const maxIterations = options.maxIterations ?? 200 * n;
  const maxEvaluations = options.maxEvaluations ?? 200 * n;
  const tr = boundsTransform(n, options.lower, options.upper);
  let evaluations = 0;
  const toCaller = (u: number[]): number[] => (tr ? tr.toX(u) : u.slice());
  const exactAt = (u: number[]): number => {
    const v = objective.exact(toCaller(u));
    return Number.isFinite(v) ? v : Infinity;
  };
  const f = (u: number[]): Value => {
    evaluations++;
    const a = objective.approx(toCaller(u));
    if (a && Number.isFinite(a.value) && a.bound >= 0 && Number.isFinite(a.bound)) {
      return { v: a.value, b: a.bound, exact: false, x: u };
    }
    return { v: exactAt(u), b: 0, exact: true, x: u };
  };
  const settle = (p: Value): number => {
    if (!p.exact) {
      p.v = exactAt(p.x);
      p.b = 0;
      p.exact = true;
    }
    return p.v;
  };
  /** exact(p) < exact(q) */
  const lt = (p: Value, q: Value): boolean => {
    if (p.v + p.b < q.v - q.b) return true;
    if (p.v - p.b >= q.v + q.b) return false;
    return settle(p) < settle(q);
  };
  /** exact(p) ≤ exact(q) */
  const le = (p: Value, q: Value): boolean => {
    if (p.v + p.b <= q.v - q.b) return true;
    if (p.v - p.b > q.v + q.b) return false;
    return settle(p) <= settle(q);
  };
  /** Sign of exact(p) − exact(q), as the comparator `(a, b) => a.f − b.f` of the plain method. */
  const cmp = (p: Value, q: Value): number => {
    if (p.v + p.b < q.v - q.b) return -1;
    if (p.v - p.b > q.v + q.b) return 1;
    return settle(p) - settle(q);
  };
  /** max_i |f_i − f_best| ≤ fTol, decided on bounds when they suffice (margin for the rounding of |a − b|). */
  const spreadWithin = (verts: { f: Value }[]): boolean => {
    const best = verts[0].f;
    let certain = true;
    for (const { f: p } of verts) {
      const d = Math.abs(p.v - best.v);
      const slack = p.b + best.b;
      if (slack === 0) {
        if (!(d <= fTol)) return false;
      } else if (d - slack > fTol * (1 + 1e-12)) return false;
      else if (d + slack >= fTol * (1 - 1e-12)) certain = false;
    }
    if (certain) return true;
    const fb = settle(best);
    return Math.max(0, ...verts.map((p) => Math.abs(settle(p.f) - fb))) <= fTol;
  };

  // Initial simplex in internal coordinates.
  const u0 = tr ? tr.toU(x0) : x0.slice();
  const simplex: number[][] = [u0];
  for (let i = 0; i < n; i++) {
    const v = u0.slice();
    const step = options.initialStep;
    const s =
      step === undefined ? (v[i] !== 0 ? 0.05 * v[i] : 0.00025) : typeof step === "number" ? step : step[i];
    v[i] += s;
    simplex.push(v);
  }
  let verts = simplex.map((x) => ({ x, f: f(x) }));
  const sortVerts = (): void => {
    verts = verts.slice().sort((a, b) => cmp(a.f, b.f)); // Array.prototype.sort is stable
  };
  sortVerts();

  let iterations = 0;
  let reason: NelderMeadResult["reason"] = "maxIterations";
  // (1 + t)·centroid − t·worst, written as scipy does so that results agree to the last bit.
  const comb = (a: number[], b: number[], t: number): number[] => a.map((ai, i) => (1 + t) * ai - t * b[i]);

  while (true) {
    const best = verts[0];
    const smallX = verts.every((v) => v.x.every((xi, i) => Math.abs(xi - best.x[i]) <= xTol[i]));
    if (smallX && spreadWithin(verts)) {
      reason = "tolerance";
      break;
    }
    if (iterations >= maxIterations) {
      reason = "maxIterations";
      break;
    }
    if (evaluations >= maxEvaluations) {
      reason = "maxEvaluations";
      break;
    }
    iterations++;

    const worst = verts[n];
    const centroid = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) centroid[i] += verts[j].x[i];
    for (let i = 0; i < n; i++) centroid[i] /= n; // sum then divide, as scipy

    const xr = comb(centroid, worst.x, 1);
    const fr = f(xr);
    if (lt(fr, best.f)) {
      const xe = comb(centroid, worst.x, 2);
      const fe = f(xe);
      verts[n] = lt(fe, fr) ? { x: xe, f: fe } : { x: xr, f: fr };
    } else if (lt(fr, verts[n - 1].f)) {
      verts[n] = { x: xr, f: fr };
    } else {
      let accepted = false;
      if (lt(fr, worst.f)) {
        const xc = comb(centroid, worst.x, 0.5); // outside contraction
        const fc = f(xc);
        if (le(fc, fr)) {
          verts[n] = { x: xc, f: fc };
          accepted = true;
        }
      } else {
        const xcc = comb(centroid, worst.x, -0.5); // inside contraction
        const fcc = f(xcc);
        if (lt(fcc, worst.f)) {
          verts[n] = { x: xcc, f: fcc };
          accepted = true;
        }
      }
      if (!accepted) {
        for (let j = 1; j <= n; j++) {
          const x = verts[j].x.map((xi, i) => best.x[i] + 0.5 * (xi - best.x[i]));
          verts[j] = { x, f: f(x) };
        }
      }
    }
    sortVerts();
  }

  const b = verts[0];
  return {
    x: tr ? tr.toX(b.x) : b.x.slice(),
    f: settle(b.f),
    iterations,
    evaluations,
    converged: reason === "tolerance",
    reason,
    // Values of the other vertices are settled on first read (a certified search may not have them yet).
    simplex: verts.map((v) => ({
      x: tr ? tr.toX(v.x) : v.x.slice(),
      get f() {
        return settle(v.f);
      },
    })),
  };
}
