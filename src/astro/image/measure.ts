/**
 * Per-source measurements: windowed centroids and FWHM here; circular aperture photometry, local
 * background, errors and magnitudes in `photometry.ts` (re-exported). The functions read the image
 * minus a constant `backAdu` — the background map at the source, which varies on mesh scales (≥ 32 px)
 * much larger than the few-σ_w windows (a residual gradient g shifts a centroid by 2gΣwr²/ΣwI, ≈ 10⁻³ px
 * for g = 0.02 ADU/px and a 500-ADU star) — so no background-subtracted copy of the image is needed.
 * Coordinates are 0-based pixel indices (pixel (i, j) spans [i − ½, i + ½] × [j − ½, j + ½]); add 1 for
 * FITS coordinates.
 *
 * Windowed centroid (SExtractor XWIN_IMAGE; SExtractor manual "Windowed positional parameters"):
 *   x ← x + 2 Σ wᵢ Iᵢ (xᵢ − x) / Σ wᵢ Iᵢ,   wᵢ = exp(−rᵢ² / 2σ_w²),
 * iterated until the shift is below 2·10⁻⁴ px (at most 16 times). The factor 2 makes the iteration
 * converge in one step for a Gaussian source with σ = σ_w. skytom uses σ_w = FWHM_frame / 2.3548
 * (the frame's median FWHM); SExtractor uses σ_w = d50 / 2.3548 from each object's half-light diameter.
 * The window is the square |dx|, |dy| ≤ 4σ_w, so the weights separate: w = w_x(dx) · w_y(dy).
 *
 * FWHM: windowed second moments M = Σ w I d² / Σ w I about the centroid; for a Gaussian source of
 * variance s², M = s² σ_w² / (s² + σ_w²), so s² = M σ_w² / (σ_w² − M) and FWHM = 2.3548 s (mean of the
 * two axes). "Adaptive" moments (Bernstein & Jarvis 2002) iterate σ_w ← s. {@link profileFwhm} fits the
 * profile itself for the true half-maximum width.
 */
import type { ImagePlane } from "./plane.ts";

export {
  MAG_ERR_PER_REL_FLUX,
  MEDIAN_VARIANCE_FACTOR,
  annulusBackground,
  aperturePhotometry,
  apertureSum,
  circleRectOverlap,
  fluxToMagnitude,
  forcedPhotometry,
} from "./photometry.ts";
export type { AnnulusBackground, ApertureResult, ApertureSum, PhotometryOptions } from "./photometry.ts";

/** FWHM / σ of a Gaussian, 2√(2 ln 2). */
export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

/** Separable window weights for [c − R, c + R] about centre `c`; returns the first index. */
function windowWeights(c: number, R: number, n: number, sigma: number, w: Float64Array): [number, number] {
  const i0 = Math.max(0, Math.ceil(c - R));
  const i1 = Math.min(n - 1, Math.floor(c + R));
  const k = -1 / (2 * sigma * sigma);
  for (let i = i0; i <= i1; i++) w[i - i0] = Math.exp(k * (i - c) * (i - c));
  return [i0, i1];
}

export interface WindowedMoments {
  /** Σ w I, ADU. */
  sumW: number;
  /** Σ w I dx / Σ w I etc. (px, px²) about the given centre. */
  mx: number;
  my: number;
  mxx: number;
  myy: number;
  mxy: number;
}

const WX = new Float64Array(512);
const WY = new Float64Array(512);

/**
 * Gaussian-windowed first and second moments about (x, y), window σ_w = `sigmaPx`, of the pixel values
 * minus `backAdu`; NaN pixels skipped.
 */
export function windowedMoments(
  img: ImagePlane,
  x: number,
  y: number,
  sigmaPx: number,
  backAdu = 0,
): WindowedMoments {
  const { data, width, height } = img;
  const R = Math.min(4 * sigmaPx, 255);
  const [x0, x1] = windowWeights(x, R, width, sigmaPx, WX);
  const [y0, y1] = windowWeights(y, R, height, sigmaPx, WY);
  let s = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let j = y0; j <= y1; j++) {
    const wy = WY[j - y0];
    const dy = j - y;
    const o = j * width;
    let rs = 0;
    let rsx = 0;
    let rsxx = 0;
    for (let i = x0; i <= x1; i++) {
      const v = data[o + i] - backAdu;
      if (v !== v) continue;
      const wv = WX[i - x0] * v;
      const dx = i - x;
      rs += wv;
      rsx += wv * dx;
      rsxx += wv * dx * dx;
    }
    s += wy * rs;
    sx += wy * rsx;
    sy += wy * rs * dy;
    sxx += wy * rsxx;
    syy += wy * rs * dy * dy;
    sxy += wy * rsx * dy;
  }
  if (!(s > 0)) return { sumW: s, mx: 0, my: 0, mxx: 0, myy: 0, mxy: 0 };
  return { sumW: s, mx: sx / s, my: sy / s, mxx: sxx / s, myy: syy / s, mxy: sxy / s };
}

export interface CentroidResult {
  xPx: number;
  yPx: number;
  iterations: number;
  /** False when the weights summed to ≤ 0 or the centroid ran further than 4σ_w: (xPx, yPx) = start. */
  ok: boolean;
}

/** Windowed centroid (file comment) starting from (x, y), window σ_w = `sigmaPx`, of img − backAdu. */
export function windowedCentroid(
  img: ImagePlane,
  x: number,
  y: number,
  sigmaPx: number,
  backAdu = 0,
  maxIter = 16,
  tolPx = 2e-4,
): CentroidResult {
  let cx = x;
  let cy = y;
  for (let it = 1; it <= maxIter; it++) {
    const m = windowedMoments(img, cx, cy, sigmaPx, backAdu);
    if (!(m.sumW > 0)) return { xPx: x, yPx: y, iterations: it, ok: false };
    const dx = 2 * m.mx;
    const dy = 2 * m.my;
    cx += dx;
    cy += dy;
    if ((cx - x) ** 2 + (cy - y) ** 2 > 16 * sigmaPx * sigmaPx)
      return { xPx: x, yPx: y, iterations: it, ok: false };
    if (dx * dx + dy * dy < tolPx * tolPx) return { xPx: cx, yPx: cy, iterations: it, ok: true };
  }
  return { xPx: cx, yPx: cy, iterations: maxIter, ok: true };
}

/** Gaussian-equivalent FWHM (px) from windowed second moments taken with window σ_w; NaN if M ≥ σ_w². */
export function fwhmFromWindowedMoments(m: WindowedMoments, sigmaWPx: number): number {
  const M = 0.5 * (m.mxx - m.mx * m.mx + (m.myy - m.my * m.my));
  const w2 = sigmaWPx * sigmaWPx;
  if (!(M > 0) || M >= 0.98 * w2) return NaN;
  return FWHM_PER_SIGMA * Math.sqrt((M * w2) / (w2 - M));
}

export interface AdaptiveResult {
  fwhmPx: number;
  xPx: number;
  yPx: number;
  ok: boolean;
}

/** Adaptive moments: windowed centroid and FWHM of img − backAdu, σ_w iterated to the source's own σ. */
export function adaptiveFwhm(
  img: ImagePlane,
  x: number,
  y: number,
  sigmaStartPx: number,
  backAdu = 0,
  maxIter = 20,
): AdaptiveResult {
  let sw = sigmaStartPx;
  let cx = x;
  let cy = y;
  for (let it = 0; it < maxIter; it++) {
    const c = windowedCentroid(img, cx, cy, sw, backAdu);
    if (!c.ok) return { fwhmPx: NaN, xPx: x, yPx: y, ok: false };
    cx = c.xPx;
    cy = c.yPx;
    const f = fwhmFromWindowedMoments(windowedMoments(img, cx, cy, sw, backAdu), sw);
    if (!Number.isFinite(f)) return { fwhmPx: NaN, xPx: cx, yPx: cy, ok: false };
    const s = f / FWHM_PER_SIGMA;
    const done = Math.abs(s - sw) < 1e-3 * sw;
    sw = Math.min(Math.max(s, 0.3), 50);
    if (done) return { fwhmPx: f, xPx: cx, yPx: cy, ok: true };
  }
  return { fwhmPx: FWHM_PER_SIGMA * sw, xPx: cx, yPx: cy, ok: true };
}

/** Moffat β values tried by {@link profileFwhm} (∞ = Gaussian). */
const PROFILE_BETAS = [2, 2.5, 3, 4.5, Infinity];

/**
 * FWHM (px) of a star by a least-squares fit of a circular profile I(r) = A·(1 + r²/α²)^(−β) (Moffat
 * 1969; β = ∞: a Gaussian) about the fixed centre (x, y), over the pixels with r ≤ 1.5·`fwhmGuessPx`.
 * A is solved linearly, FWHM = 2α√(2^{1/β} − 1) by golden-section search, β from a short grid (2 … ∞).
 * Unlike the Gaussian-equivalent moment FWHM, this is the profile's own half-maximum width (the moment
 * FWHM of a β = 3 Moffat is ≈ 13 % larger). Pixel values minus `backAdu`. NaN when the fit fails.
 */
export function profileFwhm(img: ImagePlane, x: number, y: number, fwhmGuessPx: number, backAdu = 0): number {
  const { data, width, height } = img;
  const R = Math.max(1.5 * fwhmGuessPx, 2.5);
  const r2s: number[] = [];
  const vs: number[] = [];
  for (let j = Math.max(0, Math.ceil(y - R)); j <= Math.min(height - 1, Math.floor(y + R)); j++) {
    for (let i = Math.max(0, Math.ceil(x - R)); i <= Math.min(width - 1, Math.floor(x + R)); i++) {
      const r2 = (i - x) ** 2 + (j - y) ** 2;
      const v = data[j * width + i] - backAdu;
      if (r2 <= R * R && v === v) {
        r2s.push(r2);
        vs.push(v);
      }
    }
  }
  if (vs.length < 6) return NaN;
  let sv2 = 0;
  for (const v of vs) sv2 += v * v;
  const cost = (f: number, beta: number): number => {
    let svm = 0;
    let smm = 0;
    const isG = beta === Infinity;
    const k = isG ? (-4 * Math.LN2) / (f * f) : (4 * (2 ** (1 / beta) - 1)) / (f * f);
    for (let i = 0; i < vs.length; i++) {
      const m = isG ? Math.exp(k * r2s[i]) : (1 + k * r2s[i]) ** -beta;
      svm += vs[i] * m;
      smm += m * m;
    }
    return svm > 0 ? sv2 - (svm * svm) / smm : sv2;
  };
  let best = Infinity;
  let bestF = NaN;
  const gr = (Math.sqrt(5) - 1) / 2;
  for (const beta of PROFILE_BETAS) {
    let a = 0.3 * fwhmGuessPx;
    let b = 2.5 * fwhmGuessPx;
    let c = b - gr * (b - a);
    let d = a + gr * (b - a);
    let fc = cost(c, beta);
    let fd = cost(d, beta);
    while (b - a > 1e-3 * fwhmGuessPx) {
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - gr * (b - a);
        fc = cost(c, beta);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + gr * (b - a);
        fd = cost(d, beta);
      }
    }
    const f = 0.5 * (a + b);
    const e = cost(f, beta);
    if (e < best) {
      best = e;
      bestF = f;
    }
  }
  return bestF > 0.31 * fwhmGuessPx && bestF < 2.49 * fwhmGuessPx ? bestF : NaN;
}
