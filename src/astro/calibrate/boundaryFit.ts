/**
 * The CPCS zero-point fit in the limit of no outliers: the outlier fraction f at its boundary f → 0
 * (calibration.md §4.3 step 5; the mixture model is described in zeropoint.ts).
 *
 * Why. When a sample has no star the Laplace outlier term explains better than the Gaussian, the
 * likelihood rises monotonically as f → 0 and the legacy search drives p₁ = tan((f − ½)π) towards −∞.
 * Nelder–Mead then never meets its stopping test in p₁ and runs to scipy's cap of 600 evaluations, while
 * (A, σ) settle on the maximum of the f = 0 likelihood (measured after the 600 evaluations: within
 * 3e−7 mag of it for n ≳ 200 stars, within a few 1e−6 mag for smaller samples; f ≈ 1e−10…1e−15 — the
 * production example of calibration.md shows f = 2e−12). This module finds that maximum directly.
 *
 * Model at f = 0 (per star, all in mag): δᵢ = m_inst − m_cat, vᵢ = e_inst² + e_cat², τ = σ²,
 * wᵢ = 1/(τ + vᵢ):
 *   ln L(A, τ) = −½ Σ [wᵢ (δᵢ − A)² − ln wᵢ] − n ln √(2π)
 * For fixed τ the maximum in A is the weighted mean A(τ) = Σ wᵢδᵢ / Σ wᵢ. The profile score is
 *   g(τ) = ∂ln L/∂τ = ½ Σ (wᵢ² rᵢ² − wᵢ),           rᵢ = δᵢ − A(τ)
 *   g′(τ) = Σ (½ wᵢ² − wᵢ³ rᵢ²) + (Σ wᵢ² rᵢ)² / Σ wᵢ
 * (random-effects meta-analysis; e.g. Hardy & Thompson 1996, Stat. Med. 15, 619). τ is the root of g,
 * found by Newton's method safeguarded by bisection inside a sign-change bracket, on τ ≥ 1e−8
 * (σ = p₂² + 1e−4 ≥ 1e−4 in the legacy parametrisation).
 *
 * The boundary is the maximum in f as well when the score in f there is negative:
 *   ∂ln L/∂f |_{f=0} = Σ (Oᵢ − Nᵢ) / (Nᵢ + 1e−30) < 0,   Oᵢ = e^{−|rᵢ|}/6,  Nᵢ = e^{−½wᵢrᵢ²} √(wᵢ/2π)
 * That alone does not say the legacy search goes there: with a real outlier population the likelihood
 * can have a second, interior maximum (σ small, the outliers in f) next to the boundary one (σ inflated to
 * hold them), and the search, started at f₀, stops at the interior one. `runsToBoundary` predicts which:
 * EM iterations (Dempster, Laird & Rubin 1977) — a monotone local ascent like the search — from the
 * legacy start and from a small-σ start (σ_b/3, f = max(f₀, 0.1)); both must run to f → 0. Checked
 * against the search on 7,500 seeded samples (n = 5…1,500, 0–60 % outliers of 0.1–9 mag): for n < 50 EM
 * sometimes misjudged, so zeropoint.ts searches there; for n ≥ 50 it was wrong once, where the search
 * itself stopped early (its tolerance test met at f = 6e−4 on the way to 0, not at a maximum).
 */

/** Smallest τ = σ² of the legacy parametrisation σ = p₂² + 1e−4, mag². */
export const TAU_FLOOR = 1e-8;

export interface BoundaryFit {
  /** Zero point A, mag. */
  a: number;
  /** Intrinsic scatter σ = √τ, mag (≥ 1e−4). */
  sigma: number;
  /** Score ∂ln L/∂f at f = 0 and (A, σ); negative ⇒ f = 0 is the maximum in f. */
  dLogLdF: number;
  iterations: number;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Weighted mean A(τ), profile score g(τ) and its derivative g′(τ); `w` is scratch of length n. */
function profileScore(delta: Float64Array, errVar: Float64Array, tau: number, w: Float64Array) {
  const n = delta.length;
  let sw = 0;
  let swd = 0;
  for (let i = 0; i < n; i++) {
    const wi = 1 / (tau + errVar[i]);
    w[i] = wi;
    sw += wi;
    swd += wi * delta[i];
  }
  const a = swd / sw;
  let g = 0;
  let dg = 0;
  let sw2r = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const r = delta[i] - a;
    const w2 = wi * wi;
    const w2r = w2 * r;
    g += w2r * r - wi;
    dg += 0.5 * w2 - w2r * wi * r;
    sw2r += w2r;
  }
  return { a, g: 0.5 * g, dg: dg + (sw2r * sw2r) / sw };
}

/**
 * Maximum of the f = 0 likelihood over (A, σ). Inputs: residuals δ and error variances v (mag, mag²),
 * aligned, finite, n ≥ 1. Returns null if no finite maximum was found (never for finite input).
 */
export function boundaryFit(delta: Float64Array, errVar: Float64Array): BoundaryFit | null {
  const n = delta.length;
  if (n === 0) return null;
  const w = new Float64Array(n);
  let lo = TAU_FLOOR;
  const atLo = profileScore(delta, errVar, lo, w);
  let tau = lo;
  let iterations = 0;
  if (atLo.g > 0) {
    // Bracket: g(lo) > 0 > g(hi). For large τ, g ≈ ½(Σr²/τ² − n/τ) < 0 once τ exceeds the mean r².
    let meanR2 = 0;
    let meanV = 0;
    for (let i = 0; i < n; i++) {
      meanR2 += (delta[i] - atLo.a) ** 2;
      meanV += errVar[i];
    }
    meanR2 /= n;
    meanV /= n;
    let hi = Math.max(2 * lo, 2 * meanR2);
    while (profileScore(delta, errVar, hi, w).g > 0) {
      lo = hi;
      hi *= 4;
      if (!Number.isFinite(hi)) return null;
    }
    // Start from the moment estimate τ = mean r² − mean v; Newton, bisecting when a step leaves the bracket.
    tau = meanR2 - meanV;
    if (!(tau > lo && tau < hi)) tau = Math.sqrt(lo * hi);
    for (; iterations < 100; iterations++) {
      const s = profileScore(delta, errVar, tau, w);
      if (s.g === 0) break;
      if (s.g > 0) lo = tau;
      else hi = tau;
      let next = s.dg < 0 ? tau - s.g / s.dg : NaN;
      if (!(next > lo && next < hi)) next = hi > 4 * lo ? Math.sqrt(lo * hi) : 0.5 * (lo + hi);
      const done = Math.abs(next - tau) <= 1e-13 * tau;
      tau = next;
      if (done) break;
    }
  }
  const { a } = profileScore(delta, errVar, tau, w);
  let dLogLdF = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const r = delta[i] - a;
    const nn = Math.exp(-0.5 * wi * r * r) * Math.sqrt(wi) * INV_SQRT_2PI;
    const o = Math.exp(-Math.abs(r)) / 6;
    dLogLdF += (o - nn) / (nn + 1e-30);
  }
  if (!Number.isFinite(a) || !Number.isFinite(tau)) return null;
  return { a, sigma: Math.sqrt(tau), dLogLdF, iterations };
}

/**
 * Predicts whether the legacy search from (A₀, σ₀, f₀) runs to f → 0: EM on the mixture, E-step
 * γᵢ = (1 − f)Nᵢ / (fOᵢ + (1 − f)Nᵢ); M-step f = 1 − mean γ, A = Σγwδ / Σγw, and the fixed-point
 * τ = Σγw²(r² − v) / Σγw² (the Laplace term's pull on A is left out: a generalised step, enough for a
 * prediction). True when f falls below 1e−2·f₀ (or 1e−7) within `maxIterations`; false when f settles
 * (relative change < 1e−4) or the budget runs out — "not sure" counts as no.
 */
export function runsToBoundary(
  delta: Float64Array,
  errVar: Float64Array,
  a0: number,
  sigma0: number,
  f0: number,
  maxIterations = 40,
): boolean {
  const n = delta.length;
  let a = a0;
  let tau = sigma0 * sigma0;
  let f = f0;
  for (let it = 1; it <= maxIterations; it++) {
    // One pass: with d = δ − A (old A) and w = 1/(τ + v), Σγw²(r² − v) for r = δ − A′ expands into sums
    // over d: Σγw²d² − 2ΔΣγw²d + Δ²Σγw² − Σγw²v, Δ = A′ − A.
    // γ = (1 − f)N / (fO + (1 − f)N) = 1 / (1 + k e^{½wd² − |d|} / √w), k = f√(2π) / (6(1 − f)).
    const k = (f * Math.sqrt(2 * Math.PI)) / (6 * (1 - f));
    let so = 0; // Σ(1 − γ)
    let sgw = 0;
    let sgwd = 0;
    let sw2 = 0;
    let sw2d = 0;
    let sw2d2 = 0;
    let sw2v = 0;
    for (let i = 0; i < n; i++) {
      const d = delta[i] - a;
      const w = 1 / (tau + errVar[i]);
      const r = (k * Math.exp(0.5 * w * d * d - Math.abs(d))) / Math.sqrt(w);
      const g = 1 / (1 + r);
      const gw = g * w;
      const gw2 = gw * w;
      so += r === Infinity ? 1 : r * g;
      sgw += gw;
      sgwd += gw * d;
      sw2 += gw2;
      sw2d += gw2 * d;
      sw2d2 += gw2 * d * d;
      sw2v += gw2 * errVar[i];
    }
    const nextF = so / n;
    const shift = sgwd / sgw;
    const num = sw2d2 - 2 * shift * sw2d + shift * shift * sw2 - sw2v;
    if (!Number.isFinite(nextF) || !Number.isFinite(shift) || !(sw2 > 0)) return false;
    const settled = it > 3 && Math.abs(nextF - f) < 1e-4 * f;
    a += shift;
    tau = Math.max(TAU_FLOOR, num / sw2);
    f = nextF;
    if (f < 1e-2 * f0 || f < 1e-7) return true;
    if (settled) return false;
  }
  return false;
}
