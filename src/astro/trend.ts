/**
 * A straight line through a light curve by weighted least squares: m(t) = a + b (t − t̄), weights
 * wᵢ = 1/σᵢ², t̄ the weighted mean time (so a and b are uncorrelated). Parameter errors from the
 * weights alone (Bevington & Robinson 2003, Data Reduction and Error Analysis, §6.3):
 *   σ_a² = 1 / Σw,   σ_b² = 1 / Σ w (t − t̄)²,
 * scaled by √(χ²/(n − 2)) when that exceeds 1 (scatter beyond the stated errors: variability, underrated
 * errors), never shrunk below the stated errors.
 */

export interface LineFit {
  /** Weighted mean time t̄ (same unit as the input, e.g. MJD). */
  t0: number;
  /** Value at t̄. */
  intercept: number;
  interceptErr: number;
  /** Change per unit time (mag/day for MJD). */
  slope: number;
  slopeErr: number;
  /** χ² / (n − 2); NaN for two points. */
  reducedChi2: number;
  n: number;
}

/**
 * Fit a line to (t, y ± σ); null with fewer than 2 points or no spread in t. σ below `floor` is raised to
 * it (default 0.005: no point may claim a millimagnitude it does not have).
 */
export function fitLine(t: ArrayLike<number>, y: ArrayLike<number>, sigma: ArrayLike<number>, floor = 0.005) {
  const n = t.length;
  if (n < 2) return null;
  const w = Array.from({ length: n }, (_, i) => 1 / Math.max(sigma[i], floor) ** 2);
  const sw = w.reduce((s, v) => s + v, 0);
  let t0 = 0;
  for (let i = 0; i < n; i++) t0 += w[i] * t[i];
  t0 /= sw;
  let stt = 0;
  let sty = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const dt = t[i] - t0;
    stt += w[i] * dt * dt;
    sty += w[i] * dt * y[i];
    sy += w[i] * y[i];
  }
  if (!(stt > 0)) return null;
  const slope = sty / stt;
  const intercept = sy / sw;
  let chi2 = 0;
  for (let i = 0; i < n; i++) chi2 += w[i] * (y[i] - intercept - slope * (t[i] - t0)) ** 2;
  const reducedChi2 = n > 2 ? chi2 / (n - 2) : Number.NaN;
  const scale = Number.isFinite(reducedChi2) ? Math.sqrt(Math.max(1, reducedChi2)) : 1;
  const fit: LineFit = {
    t0,
    intercept,
    interceptErr: scale / Math.sqrt(sw),
    slope,
    slopeErr: scale / Math.sqrt(stt),
    reducedChi2,
    n,
  };
  return fit;
}

/** The fitted line at time t, with its error (σ_a² + (t − t̄)² σ_b²)^½. */
export function lineAt(fit: LineFit, t: number): { value: number; err: number } {
  const dt = t - fit.t0;
  return { value: fit.intercept + fit.slope * dt, err: Math.hypot(fit.interceptErr, dt * fit.slopeErr) };
}
