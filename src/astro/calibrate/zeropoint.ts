/**
 * Photometric zero point by maximum likelihood with an inlier/outlier mixture — the CPCS model
 * (legacy `doCalib.py` `func`/`do_survey`, reconstructed in calibration.md §4.3 step 5).
 *
 * Sign convention (calibration.md §4.3 step 4 and §5.1): residual δᵢ = m_inst,i − m_cat,i and
 * ZP = A = ⟨m_inst − m_cat⟩, so a calibrated magnitude is m_cal = m_inst − ZP.
 *
 * Model, per star i (all in mag):
 *   sᵢ² = σ² + e_cat,i² + e_inst,i²                                   total inlier width, σ = intrinsic scatter
 *   Nᵢ = exp(−½((δᵢ − A)/sᵢ)²) / (sᵢ √(2π))                          inlier Gaussian
 *   Oᵢ = exp(−|δᵢ − A|) / (2·3)                                        outlier term, reproduced as legacy:
 *                                                                       unit-scale Laplace, normalised by 6
 *   ln L = Σ ln(f·Oᵢ + (1 − f)·Nᵢ + 1e−30);  ln L := −1e100 if not finite
 * Parameters are searched as (A, p₁, p₂) with f = atan(p₁)/π + ½ ∈ (0, 1) and σ = p₂² + 1e−4.
 * Start (legacy): A₀ = median δ, MAD = 1.68·median|δ − A₀| (sic: 1.68, not 1.4826), f₀ = min(½, fraction
 * with |δ − A₀| > 3·MAD), σ₀ = MAD, i.e. p₁ = tan((f₀ − ½)π), p₂ = √max(MAD − 1e−4, 0). Maximised with
 * Nelder–Mead at scipy's defaults (nelderMead.ts). When f₀ = 0 the start p₁ = tan(−π/2) ≈ −1.6e16 pins
 * f near 0 (≈1e−12 in production, calibration.md example #291) — kept on purpose for fidelity.
 *
 * Zero-point standard error (not in the legacy code, which reported none): from the observed
 * information, i.e. the curvature of −ln L at the optimum. The 3×3 Hessian in the natural parameters
 * (A, σ, f) is computed analytically (derivatives below, the Laplace kink's δ-function dropped — it has
 * zero probability of sitting on a star) and inverted; zpErr = √(H⁻¹)_AA, so the uncertainty of σ and f
 * and their correlation with A are propagated. A parameter on its boundary (f < 1e−6 or > 1 − 1e−6,
 * σ within 1e−5 of its floor) is not a free maximum and is held fixed (its row and column dropped).
 *
 * `converged`: scipy's stopping test was met, or every simplex vertex lies within 1e−4 of the best in
 * (A, σ, f) and in −ln L (when f → 0 the legacy p₁ runs to −∞ and scipy's test in p₁ is never met).
 *
 * Speed (the search is ~95 % of a calibration's time). Two regimes, told apart before searching:
 *  - f₀ > 0 on a sample with no outlier population: f runs to 0, p₁ to −∞, and the search ends at
 *    scipy's cap of 600 evaluations with (A, σ) within ~3e−7 of the f = 0 maximum. That maximum is found
 *    directly (boundaryFit.ts: a weighted mean and a 1-D Newton root, no exponentials), when EM from the
 *    legacy start and from a small-σ start both run to f → 0 and the sample has ≥ 50 stars (below that
 *    EM sometimes misjudged the search's destination). f is then reported as 0, the boundary value.
 *  - otherwise the legacy search runs, on exactly its legacy path: −ln L is evaluated with the same
 *    arithmetic (likelihood.ts), and near f = 0 or 1 with a certified approximation that decides most of
 *    the search's comparisons without exp/log per star (nelderMead.ts `nelderMeadCertified`).
 * Measured against the previous implementation (search only) on 7,500 seeded samples (n = 5…1,500,
 * 0–60 % outliers) and 100 synthetic fields: bit-identical where the search runs; where the maximum is
 * taken directly |ΔZP|, |Δσ| < 1e−6 mag (fields: ≤ 8e−7, calibrated target mag ≤ 5e−8) except in 3
 * samples, where the capped search had not settled to 1e−6 (1.1e−6 and 3.8e−6 mag at n = 70 and 50) or
 * had stopped early at f = 6e−4 before reaching the maximum (3e−5 mag, n = 1,500).
 * `search: "legacy"` forces the search (tests compare both).
 */

import { boundaryFit, runsToBoundary } from "./boundaryFit.ts";
import { approxNegLogLikelihood, errorRange, mixtureLogLikelihood, negLogLikelihood } from "./likelihood.ts";
import { medianInPlace } from "../order.ts";
import { nelderMeadCertified } from "./nelderMead.ts";

export { mixtureLogLikelihood } from "./likelihood.ts";

export interface ZeroPointFit {
  /** ZP = A, mag; m_cal = m_inst − ZP. NaN when the sample is empty. */
  zp: number;
  /** Standard error of ZP from the observed information, mag. NaN if the curvature is not positive. */
  zpErr: number;
  /** Intrinsic scatter σ (mag), ≥ 1e−4. */
  scatter: number;
  /** Outlier fraction f ∈ [0, 1) (0 when the maximum is at the boundary f → 0). */
  outlierFraction: number;
  /** Number of stars in the sample (outliers included, as CPCS `npoints`). */
  n: number;
  /** Maximised log-likelihood. */
  logLikelihood: number;
  converged: boolean;
  iterations: number;
}

/** Smallest sample for which the f → 0 limit is taken directly (boundaryFit.ts); smaller ones search. */
const BOUNDARY_MIN_STARS = 50;

/** Squared per-star error (e_inst² + e_cat²), the part of sᵢ² that does not depend on σ. */
function errorVariances(instErr: ArrayLike<number>, catErr: ArrayLike<number>): Float64Array {
  const v = new Float64Array(instErr.length);
  for (let i = 0; i < v.length; i++) v[i] = instErr[i] ** 2 + catErr[i] ** 2;
  return v;
}

/** Posterior probability that each star belongs to the inlier Gaussian (for plots and inlier masks). */
export function inlierProbabilities(
  fit: Pick<ZeroPointFit, "zp" | "scatter" | "outlierFraction">,
  delta: ArrayLike<number>,
  instErr: ArrayLike<number>,
  catErr: ArrayLike<number>,
): Float64Array {
  const w = new Float64Array(delta.length);
  const f = fit.outlierFraction;
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i] - fit.zp;
    const s2 = fit.scatter ** 2 + instErr[i] ** 2 + catErr[i] ** 2;
    const inl = ((1 - f) * Math.exp((-0.5 * d * d) / s2)) / Math.sqrt(2 * Math.PI * s2);
    const out = (f * Math.exp(-Math.abs(d))) / 6;
    w[i] = inl / (inl + out + 1e-30);
  }
  return w;
}

/**
 * Observed information matrix −∂²lnL over (A, σ, f), analytic. With p = fO + (1−f)N, d = δ − A,
 * u = d/s², v = (d²/s² − 1)σ/s²:  p_A = fO·sgn d + (1−f)N u,  p_σ = (1−f)N v,  p_f = O − N,
 * p_AA = fO + (1−f)N(u² − 1/s²),  p_Aσ = (1−f)N(uv − 2uσ/s²),  p_Af = O sgn d − N u,
 * p_σσ = (1−f)N(v² + d²/s⁴ − 4d²σ²/s⁶ − 1/s² + 2σ²/s⁴),  p_σf = −N v,  p_ff = 0;
 * ∂²ln p/∂θ∂φ = p_θφ/p − p_θ p_φ / p².
 */
function observedInformation(delta: Float64Array, errVar: Float64Array, a: number, sg: number, f: number) {
  let h00 = 0;
  let h01 = 0;
  let h02 = 0;
  let h11 = 0;
  let h12 = 0;
  let h22 = 0;
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i] - a;
    const s2 = sg * sg + errVar[i];
    const N = Math.exp((-0.5 * d * d) / s2) / Math.sqrt(2 * Math.PI * s2);
    // At f = 0 the terms in O vanish from the (A, σ) block and f is held fixed (its row is not used).
    const O = f === 0 ? NaN : Math.exp(-Math.abs(d)) / 6;
    const sgn = Math.sign(d);
    const p = (f === 0 ? 0 : f * O) + (1 - f) * N + 1e-30;
    const u = d / s2;
    const v = ((d * d) / s2 - 1) * (sg / s2);
    const g0 = (f === 0 ? 0 : f * O * sgn) + (1 - f) * N * u;
    const g1 = (1 - f) * N * v;
    const g2 = O - N;
    const s4 = s2 * s2;
    const p2 = p * p;
    h00 -= ((f === 0 ? 0 : f * O) + (1 - f) * N * (u * u - 1 / s2)) / p - (g0 * g0) / p2;
    h01 -= ((1 - f) * N * (u * v - (2 * u * sg) / s2)) / p - (g0 * g1) / p2;
    h02 -= (O * sgn - N * u) / p - (g0 * g2) / p2;
    h11 -=
      ((1 - f) *
        N *
        (v * v + (d * d) / s4 - (4 * d * d * sg * sg) / (s4 * s2) - 1 / s2 + (2 * sg * sg) / s4)) /
        p -
      (g1 * g1) / p2;
    h12 -= (-N * v) / p - (g1 * g2) / p2;
    h22 += (g2 * g2) / p2;
  }
  return [
    [h00, h01, h02],
    [h01, h11, h12],
    [h02, h12, h22],
  ];
}

/** (H⁻¹)₀₀ of a small symmetric positive-definite matrix via Cholesky; NaN if not positive definite. */
function inverseFirstDiagonal(h: number[][]): number {
  const n = h.length;
  const L = h.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = h[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) return NaN;
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  }
  // (H⁻¹)₀₀ = ‖L⁻¹ e₀‖²: forward-solve L y = e₀.
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = i === 0 ? 1 : 0;
    for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
    y[i] = s / L[i][i];
  }
  return y.reduce((acc, yi) => acc + yi * yi, 0);
}

/**
 * The legacy Nelder–Mead search from the legacy start (see the file comment), on (A, p₁, p₂).
 * Stopping rule: scipy's xatol = 1e-4 on every parameter, except p₁ when its start is huge (f₀ = 0 gives
 * p₁ ≈ −1.6e16, where f is flat at ~1e−17): there 1e−4·|p₁| — otherwise the simplex never reaches 1e−4
 * in p₁ before the evaluation limit, although A and σ have converged (the estimate is unchanged).
 */
function legacySearch(delta: Float64Array, errVar: Float64Array, a0: number, f0: number, mad: number) {
  const start = [a0, Math.tan((f0 - 0.5) * Math.PI), Math.sqrt(Math.max(mad - 1e-4, 0))];
  const natural = (p: readonly number[]) => ({
    a: p[0],
    f: Math.atan(p[1]) / Math.PI + 0.5,
    sigma: p[2] * p[2] + 1e-4,
  });
  const noErrors = errVar.every((v) => v === 0);
  const range = errorRange(errVar);
  const xTol = [1e-4, 1e-4 * Math.max(1, Math.abs(start[1])), 1e-4];
  // The same path as nelderMead on −ln L (nelderMead.ts); the certified approximation only saves work.
  const res = nelderMeadCertified(
    {
      exact: (p) =>
        negLogLikelihood(delta, errVar, noErrors, p[0], p[2] * p[2] + 1e-4, Math.atan(p[1]) / Math.PI + 0.5),
      approx: (p) =>
        approxNegLogLikelihood(
          delta,
          errVar,
          noErrors,
          range,
          p[0],
          p[2] * p[2] + 1e-4,
          Math.atan(p[1]) / Math.PI + 0.5,
        ),
    },
    start,
    { xTol },
  );
  const { a, f, sigma } = natural(res.x);
  // Converged: scipy's test met, or — when the outlier fraction runs to its boundary f → 0 and p₁ → −∞,
  // which never meets the test in p₁ — every vertex within 1e−4 of the best in (A, σ, f) and in −ln L.
  const naturalSpreadOk = () =>
    res.simplex.every((v) => {
      const q = natural(v.x);
      return (
        Math.abs(q.a - a) <= 1e-4 &&
        Math.abs(q.sigma - sigma) <= 1e-4 &&
        Math.abs(q.f - f) <= 1e-4 &&
        Math.abs(v.f - res.f) <= 1e-4
      );
    });
  return {
    a,
    f,
    sigma,
    logLikelihood: -res.f,
    converged: res.converged || naturalSpreadOk(),
    iterations: res.iterations,
  };
}

/**
 * Fits the CPCS zero point to matched stars. Inputs are aligned arrays (mag): instrumental magnitude
 * and error, catalogue magnitude and error. Returns the fit with quality indicators; never throws.
 */
export function fitZeroPoint(
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
  catMag: ArrayLike<number>,
  catErr: ArrayLike<number>,
  options: { search?: "auto" | "legacy" } = {},
): ZeroPointFit {
  const n = instMag.length;
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) delta[i] = instMag[i] - catMag[i];
  const errVar = errorVariances(instErr, catErr);
  if (n === 0) {
    return {
      zp: NaN,
      zpErr: NaN,
      scatter: NaN,
      outlierFraction: NaN,
      n,
      logLikelihood: NaN,
      converged: false,
      iterations: 0,
    };
  }

  const scratch = Float64Array.from(delta);
  const a0 = medianInPlace(scratch);
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(delta[i] - a0);
  const mad = 1.68 * medianInPlace(scratch);
  let beyond = 0;
  for (let i = 0; i < n; i++) if (Math.abs(delta[i] - a0) > 3 * mad) beyond++;
  const f0 = Math.min(0.5, beyond / n);

  let a: number;
  let f: number;
  let sigma: number;
  let logLikelihood: number;
  let converged: boolean;
  let iterations: number;
  // f₀ > 0 and the likelihood maximal at f → 0: the legacy search would run p₁ → −∞ to its evaluation cap
  // with (A, σ) at the f = 0 maximum (boundaryFit.ts) — take that maximum directly.
  const direct = options.search !== "legacy" && f0 > 0 && n >= BOUNDARY_MIN_STARS;
  const boundary = direct ? boundaryFit(delta, errVar) : null;
  if (
    boundary &&
    boundary.dLogLdF < 0 &&
    runsToBoundary(delta, errVar, a0, Math.max(mad, 1e-4), f0) &&
    runsToBoundary(delta, errVar, boundary.a, Math.max(boundary.sigma / 3, 1e-4), Math.max(f0, 0.1))
  ) {
    a = boundary.a;
    sigma = Math.max(boundary.sigma, 1e-4);
    f = 0;
    logLikelihood = mixtureLogLikelihood(delta, errVar, a, sigma, f);
    converged = true;
    iterations = boundary.iterations;
  } else {
    ({ a, f, sigma, logLikelihood, converged, iterations } = legacySearch(delta, errVar, a0, f0, mad));
  }

  // Observed information; drop parameters sitting on a boundary of their range.
  const h = observedInformation(delta, errVar, a, sigma, f);
  const free = [0];
  if (sigma - 1e-4 > 1e-5) free.push(1);
  if (f > 1e-6 && f < 1 - 1e-6) free.push(2);
  let varA = inverseFirstDiagonal(free.map((r) => free.map((c) => h[r][c])));
  if (!Number.isFinite(varA)) varA = h[0][0] > 0 ? 1 / h[0][0] : NaN; // fall back to A alone

  return {
    zp: a,
    zpErr: Math.sqrt(varA),
    scatter: sigma,
    outlierFraction: f,
    n,
    logLikelihood,
    converged,
    iterations,
  };
}
