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
 */

import { nelderMead } from "./nelderMead.ts";

export interface ZeroPointFit {
  /** ZP = A, mag; m_cal = m_inst − ZP. NaN when the sample is empty. */
  zp: number;
  /** Standard error of ZP from the observed information, mag. NaN if the curvature is not positive. */
  zpErr: number;
  /** Intrinsic scatter σ (mag), ≥ 1e−4. */
  scatter: number;
  /** Outlier fraction f ∈ (0, 1). */
  outlierFraction: number;
  /** Number of stars in the sample (outliers included, as CPCS `npoints`). */
  n: number;
  /** Maximised log-likelihood. */
  logLikelihood: number;
  converged: boolean;
  iterations: number;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

function median(values: readonly number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Squared per-star error (e_inst² + e_cat²), the part of sᵢ² that does not depend on σ. */
function errorVariances(instErr: ArrayLike<number>, catErr: ArrayLike<number>): Float64Array {
  const v = new Float64Array(instErr.length);
  for (let i = 0; i < v.length; i++) v[i] = instErr[i] ** 2 + catErr[i] ** 2;
  return v;
}

/** ln L of the legacy mixture for natural parameters (A, σ, f). */
export function mixtureLogLikelihood(
  delta: ArrayLike<number>,
  errVar: ArrayLike<number>,
  a: number,
  sigma: number,
  f: number,
): number {
  let sum = 0;
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i] - a;
    const s2 = sigma * sigma + errVar[i];
    const s = Math.sqrt(s2);
    const inl = Math.exp((-0.5 * d * d) / s2) / (s * SQRT_2PI);
    const out = Math.exp(-Math.abs(d)) / 6;
    sum += Math.log(f * out + (1 - f) * inl + 1e-30);
  }
  return Number.isFinite(sum) ? sum : -1e100;
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
function observedInformation(
  delta: ArrayLike<number>,
  errVar: ArrayLike<number>,
  a: number,
  sg: number,
  f: number,
) {
  const h = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i] - a;
    const s2 = sg * sg + errVar[i];
    const N = Math.exp((-0.5 * d * d) / s2) / Math.sqrt(2 * Math.PI * s2);
    const O = Math.exp(-Math.abs(d)) / 6;
    const sgn = Math.sign(d);
    const p = f * O + (1 - f) * N + 1e-30;
    const u = d / s2;
    const v = ((d * d) / s2 - 1) * (sg / s2);
    const g = [f * O * sgn + (1 - f) * N * u, (1 - f) * N * v, O - N];
    const s4 = s2 * s2;
    const hh = [
      [f * O + (1 - f) * N * (u * u - 1 / s2), (1 - f) * N * (u * v - (2 * u * sg) / s2), O * sgn - N * u],
      [
        0,
        (1 - f) *
          N *
          (v * v + (d * d) / s4 - (4 * d * d * sg * sg) / (s4 * s2) - 1 / s2 + (2 * sg * sg) / s4),
        -N * v,
      ],
      [0, 0, 0],
    ];
    for (let r = 0; r < 3; r++) {
      for (let c = r; c < 3; c++) h[r][c] -= hh[r][c] / p - (g[r] * g[c]) / (p * p);
    }
  }
  for (let r = 0; r < 3; r++) for (let c = 0; c < r; c++) h[r][c] = h[c][r];
  return h;
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
 * Fits the CPCS zero point to matched stars. Inputs are aligned arrays (mag): instrumental magnitude
 * and error, catalogue magnitude and error. Returns the fit with quality indicators; never throws.
 */
export function fitZeroPoint(
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
  catMag: ArrayLike<number>,
  catErr: ArrayLike<number>,
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

  const a0 = median(Array.from(delta));
  const mad = 1.68 * median(Array.from(delta, (d) => Math.abs(d - a0)));
  const f0 = Math.min(0.5, Array.from(delta).filter((d) => Math.abs(d - a0) > 3 * mad).length / n);
  const start = [a0, Math.tan((f0 - 0.5) * Math.PI), Math.sqrt(Math.max(mad - 1e-4, 0))];
  const natural = (p: readonly number[]) => ({
    a: p[0],
    f: Math.atan(p[1]) / Math.PI + 0.5,
    sigma: p[2] * p[2] + 1e-4,
  });

  // Stopping rule: scipy's xatol = 1e-4 on every parameter, except p₁ when its start is huge (f₀ = 0 gives
  // p₁ ≈ −1.6e16, where f is flat at ~1e−17): there 1e−4·|p₁| — otherwise the simplex never reaches 1e−4
  // in p₁ before the evaluation limit, although A and σ have converged (the estimate is unchanged).
  const xTol = [1e-4, 1e-4 * Math.max(1, Math.abs(start[1])), 1e-4];
  const res = nelderMead(
    (p) => {
      const q = natural(p);
      return -mixtureLogLikelihood(delta, errVar, q.a, q.sigma, q.f);
    },
    start,
    { xTol },
  );
  const { a, f, sigma } = natural(res.x);
  // Converged: scipy's test met, or — when the outlier fraction runs to its boundary f → 0 and p₁ → −∞,
  // which never meets the test in p₁ — every vertex within 1e−4 of the best in (A, σ, f) and in −ln L.
  const naturalSpreadOk = res.simplex.every((v) => {
    const q = natural(v.x);
    return (
      Math.abs(q.a - a) <= 1e-4 &&
      Math.abs(q.sigma - sigma) <= 1e-4 &&
      Math.abs(q.f - f) <= 1e-4 &&
      Math.abs(v.f - res.f) <= 1e-4
    );
  });

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
    logLikelihood: -res.f,
    converged: res.converged || naturalSpreadOk,
    iterations: res.iterations,
  };
}
