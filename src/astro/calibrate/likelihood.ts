/**
 * The CPCS mixture log-likelihood (calibration.md §4.3 step 5; model in zeropoint.ts) and two fast forms
 * of it for the Nelder–Mead search: the exact arithmetic specialised, and a certified approximation.
 *
 * Per star, δᵢ = m_inst − m_cat (mag), vᵢ = e_inst² + e_cat² (mag²), sᵢ² = σ² + vᵢ:
 *   ln L = Σ ln(f·Oᵢ + (1 − f)·Nᵢ + 1e−30),  Nᵢ = exp(−½dᵢ²/sᵢ²)/(sᵢ√(2π)),  Oᵢ = exp(−|dᵢ|)/6,  dᵢ = δᵢ − A.
 */

export const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LN_SQRT_2PI = Math.log(SQRT_2PI);
const U = 2 ** -53; // unit roundoff of binary64

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

/**
 * −ln L for the Nelder–Mead search: the arithmetic of mixtureLogLikelihood, operation for operation (so
 * the search takes exactly the legacy path), specialised without changing a bit of the result: σ² and,
 * when every error is zero (the RA/Dec offset fits), sᵢ and sᵢ√(2π) are computed once; with f = 0 exactly
 * (the legacy start when f₀ = 0) the outlier term f·Oᵢ is +0 and (1 − f)·Nᵢ is Nᵢ, so Oᵢ is not evaluated.
 */
export function negLogLikelihood(
  delta: Float64Array,
  errVar: Float64Array,
  noErrors: boolean,
  a: number,
  sigma: number,
  f: number,
): number {
  const n = delta.length;
  const sigma2 = sigma * sigma;
  let sum = 0;
  if (noErrors) {
    const s2 = sigma2 + 0;
    const norm = Math.sqrt(s2) * SQRT_2PI;
    if (f === 0) {
      for (let i = 0; i < n; i++) {
        const d = delta[i] - a;
        sum += Math.log(Math.exp((-0.5 * d * d) / s2) / norm + 1e-30);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const d = delta[i] - a;
        const inl = Math.exp((-0.5 * d * d) / s2) / norm;
        const out = Math.exp(-Math.abs(d)) / 6;
        sum += Math.log(f * out + (1 - f) * inl + 1e-30);
      }
    }
  } else if (f === 0) {
    for (let i = 0; i < n; i++) {
      const d = delta[i] - a;
      const s2 = sigma2 + errVar[i];
      sum += Math.log(Math.exp((-0.5 * d * d) / s2) / (Math.sqrt(s2) * SQRT_2PI) + 1e-30);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const d = delta[i] - a;
      const s2 = sigma2 + errVar[i];
      const inl = Math.exp((-0.5 * d * d) / s2) / (Math.sqrt(s2) * SQRT_2PI);
      const out = Math.exp(-Math.abs(d)) / 6;
      sum += Math.log(f * out + (1 - f) * inl + 1e-30);
    }
  }
  return Number.isFinite(sum) ? -sum : 1e100;
}

/** Smallest and largest per-star error variance (mag²); both 0 when there are no stars. */
export function errorRange(errVar: Float64Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < errVar.length; i++) {
    if (errVar[i] < min) min = errVar[i];
    if (errVar[i] > max) max = errVar[i];
  }
  return errVar.length ? { min, max } : { min: 0, max: 0 };
}

/** The approximation is used for f ≤ this or f ≥ 1 − this (the ends the search runs to when f₀ = 0). */
const APPROX_EDGE_F = 1e-10;
/** A star's term is approximated by its dominant part when the others are smaller by e^GAP or more. */
const GAP = 30;
const LN_6 = Math.log(6);
const LN_FLOOR = Math.log(1e-30);

/**
 * Certified approximation of negLogLikelihood near the ends of the f range — the legacy search when
 * f₀ = 0 evaluates f = 0, ~1e−16 and, for rejected trial points, f ≈ 1: value and a bound b with
 * |negLogLikelihood − value| ≤ b, or null (f in between, non-finite values), when the caller evaluates
 * exactly. No exp or log per star for most stars: ~10× cheaper.
 *
 * Each exact term is tᵢ = fl(ln(f·Oᵢ + c·Nᵢ + 1e−30)), c = fl(1 − f), Oᵢ = fl(fl(exp(−|dᵢ|))/6),
 * Nᵢ = fl(fl(exp qᵢ)/ηᵢ), qᵢ = fl(−½dᵢ²/sᵢ²), ηᵢ = fl(fl(√sᵢ²)·√(2π)) — qᵢ and ηᵢ computed here exactly
 * as there. In logarithms the three parts are αᵢ = ln f − |dᵢ| − ln 6, βᵢ = ln c + qᵢ − ln ηᵢ and
 * ln 1e−30. When one exceeds the other two by ≥ 30, tᵢ equals it within 2e−30 + 6.5u + 2u|tᵢ|
 * (ln(1 + x) ≤ x; u = 2⁻⁵³; exp and log of fdlibm are accurate to < 1 ulp, √, ÷, × and + to ½ ulp). The
 * test uses ln η_min ≤ ln ηᵢ ≤ ln η_max, so it needs no logarithm per star. Summing,
 *   Σ_β tᵢ ≈ Σqᵢ + m_β ln c − ½ ln Πsᵢ² − m_β ln √(2π)      (ln ηᵢ = ½ ln sᵢ² + ln √(2π) within 2.01u)
 *   Σ_α tᵢ ≈ m_α (ln f − ln 6) − Σ|dᵢ|
 * with the product kept in range by exact power-of-two scaling — one logarithm per evaluation. Stars with
 * no dominant part are summed with the exact term. The bound adds the per-term errors, the rounding of the
 * exact recursive sum (γₙΣ|tᵢ|, Higham 2002, §4.2) and of this computation with a factor 2 of margin:
 * about 1e−8 for 1,500 stars, while the method's decisions separate values by more than that almost
 * always (nelderMead.ts evaluates exactly when they do not).
 */
export function approxNegLogLikelihood(
  delta: Float64Array,
  errVar: Float64Array,
  noErrors: boolean,
  errRange: { min: number; max: number },
  a: number,
  sigma: number,
  f: number,
): { value: number; bound: number } | null {
  if (!(f >= 0 && f <= 1) || (f > APPROX_EDGE_F && f < 1 - APPROX_EDGE_F)) return null;
  const n = delta.length;
  const sigma2 = sigma * sigma;
  const c = 1 - f;
  const lnF = Math.log(f); // −Infinity for f = 0
  const lnC = Math.log(c); // −Infinity for f = 1
  const normMax = Math.sqrt(sigma2 + errRange.max) * SQRT_2PI * (1 + 4 * U);
  const normMin = Math.sqrt(sigma2 + errRange.min) * SQRT_2PI * (1 - 4 * U);
  const lnNormMax = Math.log(normMax);
  const lnNormMin = Math.log(normMin);
  const alpha0 = lnF - LN_6;
  let sumQ = 0; // β-dominated stars
  let mB = 0;
  let sumAbsD = 0; // α-dominated stars
  let mA = 0;
  let tail = 0; // the rest, exact
  let tailAbs = 0;
  let prod = 1;
  let e2 = 0;
  const s2c = sigma2 + 0;
  const normC = Math.sqrt(s2c) * SQRT_2PI;
  // The dominance tests of the file comment, solved for qᵢ and |dᵢ| once per evaluation:
  //   β leads by GAP:  qᵢ + |dᵢ| > α₀ + GAP + ln η_max − ln c   and   qᵢ > ln 1e−30 + GAP + ln η_max − ln c
  //   α leads by GAP:  qᵢ + |dᵢ| < α₀ − GAP + ln η_min − ln c   and   |dᵢ| < α₀ − GAP − ln 1e−30
  const betaVsAlpha = alpha0 + GAP + lnNormMax - lnC; // −∞ for f = 0
  const betaVsFloor = LN_FLOOR + GAP + lnNormMax - lnC;
  const alphaVsBeta = alpha0 - GAP + lnNormMin - lnC; // +∞ for f = 1
  const alphaVsFloor = alpha0 - GAP - LN_FLOOR;
  for (let i = 0; i < n; i++) {
    const d = delta[i] - a;
    const s2 = noErrors ? s2c : sigma2 + errVar[i];
    const q = (-0.5 * d * d) / s2;
    const ad = Math.abs(d);
    if (q > betaVsFloor && q + ad > betaVsAlpha) {
      sumQ += q;
      mB++;
      if (!noErrors) {
        prod *= s2;
        if (prod > 1e150) {
          prod *= 2 ** -500;
          e2 += 500;
        } else if (prod < 1e-150) {
          prod *= 2 ** 500;
          e2 -= 500;
        }
      }
    } else if (q + ad < alphaVsBeta && ad < alphaVsFloor) {
      sumAbsD += ad;
      mA++;
    } else {
      const inl = Math.exp(q) / (noErrors ? normC : Math.sqrt(s2) * SQRT_2PI);
      const t = Math.log(f * (Math.exp(-ad) / 6) + c * inl + 1e-30);
      tail += t;
      tailAbs += Math.abs(t);
    }
  }
  const lnProdAbs = noErrors ? 0 : Math.abs(Math.log(prod)) + Math.abs(e2 * Math.LN2);
  const lnNormSum = noErrors
    ? mB * Math.log(normC)
    : 0.5 * (Math.log(prod) + e2 * Math.LN2) + mB * LN_SQRT_2PI;
  const partB = mB > 0 ? sumQ + mB * lnC - lnNormSum : 0;
  const partA = mA > 0 ? mA * alpha0 - sumAbsD : 0;
  const sum = partB + partA + tail;
  if (!Number.isFinite(sum) || !Number.isFinite(lnProdAbs)) return null;
  const lnNormAbsMax = Math.max(Math.abs(lnNormMax), Math.abs(lnNormMin));
  const termsAbs = mB > 0 ? -sumQ + mB * (Math.abs(lnC) + lnNormAbsMax) : 0; // ≥ Σ|tᵢ|
  const termsAbsA = mA > 0 ? sumAbsD + mA * Math.abs(alpha0) : 0;
  const magnitude = 2 * (termsAbs + termsAbsA + tailAbs) + Math.abs(lnNormSum) + lnProdAbs + 2 * n;
  const bound = (mA + mB) * 2.1 * Math.exp(-GAP) + 2 * (n + 4) * U * magnitude + 1e-300;
  return { value: -sum, bound };
}
