/**
 * Robust sky statistics of one background mesh: Source Extractor's histogram κσ clipping and mode
 * estimate (Bertin & Arnouts 1996 §3.1; SExtractor `back.c` / SEP `background.c`, `backguess`):
 * clip at median ± 3σ on a histogram until σ changes by < 10⁻⁴, then
 *   mode = 2.5·median − 1.5·mean   if |mean − median| / σ < 0.3 (not too skewed), else mode = median.
 */
import type { ImagePlane } from "./plane.ts";
import { select } from "./plane.ts";

const QUANTIF_NSIGMA = 5;
/** Histogram bins over ±5σ (bin width σ/51): enough for a median interpolated inside its bin to ≪ σ/√n. */
export const QUANTIF_NMAXLEVELS = 512;
/** Pixels sampled per mesh for the first guess of the histogram range. */
export const GUESS_SAMPLES = 512;

/** Mode and σ (ADU) of one mesh; `ok = false` when it has too few valid pixels. */
export interface MeshStatistics {
  ok: boolean;
  modeAdu: number;
  sigmaAdu: number;
  meanAdu: number;
  medianAdu: number;
}

export interface MeshScratch {
  samples: Float32Array;
  histogram: Int32Array;
}

export function createMeshScratch(): MeshScratch {
  return { samples: new Float32Array(GUESS_SAMPLES + 64), histogram: new Int32Array(QUANTIF_NMAXLEVELS) };
}

/** A first guess of a mesh's sky level and σ (ADU) that sets the histogram range. */
export interface MeshGuess {
  centreAdu: number;
  sigmaAdu: number;
}

/**
 * Robust statistics of the pixels of a rectangle [x0, x1) × [y0, y1): SExtractor's histogram-based
 * κσ clipping and mode estimate (file comment). The histogram (512 bins) spans centre ± 5σ of a first
 * guess: `guess` when given (estimateBackground passes the previous mesh's result), else the median and
 * 1.4826·MAD of a regular subsample of ≈ 512 pixels — where SExtractor/SEP take mean ± 5σ after a 2σ
 * clip of all pixels: the same range for sky-dominated meshes, found in one pass instead of three.
 * A guess is dropped for the subsample guess (and the mesh measured again) when half the valid pixels
 * fall outside its range, when the final clipping window median ± 3.5σ is not inside the range, or when
 * its σ is over 5× the result's (bins too coarse).
 */
export function meshStatistics(
  img: ImagePlane,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  minGoodFraction = 0.5,
  scratch: MeshScratch = createMeshScratch(),
  guess?: MeshGuess,
): MeshStatistics {
  const bad: MeshStatistics = { ok: false, modeAdu: NaN, sigmaAdu: NaN, meanAdu: NaN, medianAdu: NaN };
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) return bad;
  if (guess && guess.sigmaAdu > 0) {
    const r = histogramStatistics(img, x0, x1, y0, y1, guess.centreAdu, guess.sigmaAdu, scratch.histogram);
    if (r.valid > 0 && r.valid < w * h * minGoodFraction) return bad;
    const st = r.stats;
    const inRange =
      Math.abs(st.medianAdu - guess.centreAdu) + 3.5 * st.sigmaAdu <= QUANTIF_NSIGMA * guess.sigmaAdu;
    if (r.inside >= 0.5 * r.valid && st.sigmaAdu > 0.2 * guess.sigmaAdu && inRange) return st;
  }
  const first = subsampleGuess(img, x0, x1, y0, y1, scratch.samples, minGoodFraction);
  if (!first) return bad;
  if (first.sigmaAdu === 0)
    return {
      ok: true,
      modeAdu: first.centreAdu,
      sigmaAdu: 0,
      meanAdu: first.centreAdu,
      medianAdu: first.centreAdu,
    };
  const r = histogramStatistics(img, x0, x1, y0, y1, first.centreAdu, first.sigmaAdu, scratch.histogram);
  if (r.valid === 0 || r.valid < w * h * minGoodFraction) return bad;
  return r.stats;
}

/** Median and 1.4826·MAD of a regular subsample (σ = 0 → the full mesh's σ; null: too few pixels). */
function subsampleGuess(
  img: ImagePlane,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  smp: Float32Array,
  minGoodFraction: number,
): MeshGuess | null {
  const { data, width } = img;
  const step = Math.max(1, Math.floor(Math.sqrt(((x1 - x0) * (y1 - y0)) / GUESS_SAMPLES)));
  let ns = 0;
  for (let y = y0 + (step >> 1); y < y1 && ns < smp.length; y += step) {
    const row = y * width;
    for (let x = x0 + (step >> 1); x < x1 && ns < smp.length; x += step) {
      const v = data[row + x];
      if (v === v) smp[ns++] = v;
    }
  }
  if (ns < 3) return null;
  const med0 = select(smp, ns, ns >> 1);
  for (let i = 0; i < ns; i++) smp[i] = Math.abs(smp[i] - med0);
  const sig0 = 1.4826 * select(smp, ns, ns >> 1);
  if (sig0 > 0) return { centreAdu: med0, sigmaAdu: sig0 };
  // Quantised or constant data: a plain mean and standard deviation of the full mesh.
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let i = y * width + x0, e = y * width + x1; i < e; i++) {
      const v = data[i];
      if (v === v) {
        s += v;
        s2 += v * v;
        n++;
      }
    }
  }
  if (n === 0 || n < (x1 - x0) * (y1 - y0) * minGoodFraction) return null;
  return { centreAdu: s / n, sigmaAdu: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) };
}

/** Histogram of the mesh over centre ± 5σ, then its clipped statistics; counts of valid / in-range pixels. */
function histogramStatistics(
  img: ImagePlane,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  centre: number,
  sigma: number,
  hist: Int32Array,
): { stats: MeshStatistics; valid: number; inside: number } {
  const { data, width } = img;
  const nlevels = QUANTIF_NMAXLEVELS;
  const qscale = (2 * QUANTIF_NSIGMA * sigma) / nlevels;
  const qzero = centre - QUANTIF_NSIGMA * sigma;
  hist.fill(0, 0, nlevels);
  const inv = 1 / qscale;
  const cste = 0.5 - qzero * inv;
  // f = (v − qzero)/qscale + ½, bin ⌊f⌋ (f | 0: NaN and ±∞ give 0). Bin 0, at −5σ, is left out of the
  // histogram, which the ±3σ clipping never reaches; NaN pixels (f ≠ f) are not counted at all.
  let outside = 0;
  for (let y = y0; y < y1; y++) {
    for (let i = y * width + x0, e = y * width + x1; i < e; i++) {
      const f = data[i] * inv + cste;
      const b = f | 0;
      if (b > 0 && b < nlevels) hist[b]++;
      else if (f === f) outside++;
    }
  }
  let inside = 0;
  for (let i = 1; i < nlevels; i++) inside += hist[i];
  const valid = inside + outside;
  const stats =
    inside > 0
      ? histogramMode(hist, nlevels, qzero, qscale)
      : { ok: false, modeAdu: NaN, sigmaAdu: NaN, meanAdu: NaN, medianAdu: NaN };
  return { stats, valid, inside };
}

/** Prefix sums of a histogram (counts, Σ h·i, Σ h·i²), grown on demand; see {@link histogramMode}. */
let prefix0 = new Float64Array(QUANTIF_NMAXLEVELS + 1);
let prefix1 = new Float64Array(QUANTIF_NMAXLEVELS + 1);
let prefix2 = new Float64Array(QUANTIF_NMAXLEVELS + 1);

/**
 * κσ clipping on a histogram (bin i centred at qzero + i·qscale) and SExtractor's mode estimate. The
 * sums over the clipping window [lcut, hcut] come from prefix sums (one pass over the bins, then O(1)
 * per iteration and a binary search for the median bin): every sum is an integer below 2⁵³, so the
 * differences are exact and the result is the same as summing the window at each iteration.
 */
export function histogramMode(
  hist: Int32Array,
  nlevels: number,
  qzero: number,
  qscale: number,
): MeshStatistics {
  if (prefix0.length < nlevels + 1) {
    prefix0 = new Float64Array(nlevels + 1);
    prefix1 = new Float64Array(nlevels + 1);
    prefix2 = new Float64Array(nlevels + 1);
  }
  const P0 = prefix0;
  const P1 = prefix1;
  const P2 = prefix2;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  P0[0] = P1[0] = P2[0] = 0;
  for (let i = 0; i < nlevels; i++) {
    const h = hist[i];
    s0 += h;
    s1 += h * i;
    s2 += h * i * i;
    P0[i + 1] = s0;
    P1[i + 1] = s1;
    P2[i + 1] = s2;
  }
  let lcut = 0;
  let hcut = nlevels - 1;
  let sig = 10 * (nlevels - 1);
  let sig1 = 1;
  let mea = 0;
  let med = 0;
  for (let iter = 0; iter < 100 && sig >= 0.1 && Math.abs(sig / sig1 - 1) > 1e-4; iter++) {
    sig1 = sig;
    if (hcut < lcut) break;
    const base = P0[lcut];
    const sum = P0[hcut + 1] - base;
    if (sum === 0) break;
    const m1 = P1[hcut + 1] - P1[lcut];
    const m2 = P2[hcut + 1] - P2[lcut];
    mea = m1 / sum;
    sig = Math.sqrt(Math.max(0, m2 / sum - mea * mea));
    // Median: bin i spans [i − ½, i + ½); interpolate linearly inside the first bin whose cumulative
    // count reaches sum/2 (that bin is never empty: an empty one would repeat its predecessor's count).
    const half = sum / 2;
    const target = half + base;
    let lo = lcut;
    let hi = hcut;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (P0[mid + 1] >= target) hi = mid;
      else lo = mid + 1;
    }
    med = lo - 0.5 + (half - (P0[lo] - base)) / hist[lo];
    const lo3 = med - 3 * sig;
    const hi3 = med + 3 * sig;
    lcut = lo3 > 0 ? Math.round(lo3) : 0;
    hcut = hi3 < nlevels - 1 ? Math.round(hi3) : nlevels - 1;
  }
  const modeBins = sig > 0 && Math.abs((mea - med) / sig) < 0.3 ? 2.5 * med - 1.5 * mea : med;
  return {
    ok: true,
    modeAdu: qzero + modeBins * qscale,
    sigmaAdu: sig * qscale,
    meanAdu: qzero + mea * qscale,
    medianAdu: qzero + med * qscale,
  };
}

/** Median of `values[0..n)` (sorts the array prefix in place). */
