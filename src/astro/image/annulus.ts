/**
 * Local background of aperture photometry: the clipped median of an annulus about the source (see the
 * file comment of `photometry.ts` for the method and why the median). Coordinates are 0-based pixels.
 */
import type { ImagePlane } from "./plane.ts";
import { select } from "./plane.ts";
import { histogramMode } from "./meshstats.ts";
import type { MeshStatistics } from "./meshstats.ts";

export interface AnnulusBackground {
  /** Median of the clipped annulus pixels, ADU (NaN when fewer than 10 pixels). */
  levelAdu: number;
  /** Clipped standard deviation, ADU. */
  sigmaAdu: number;
  /** Pixels kept after clipping. */
  nPix: number;
  /** The annulus leaves the image or covers NaN pixels. */
  truncated: boolean;
}

let annulusScratch = new Float32Array(4096);

/**
 * Pixel offsets (dx, dy) with rIn² ≤ dx² + dy² < rOut², row by row, cached for the last radii asked
 * for; `segments` holds the same pixels as runs along x: (dy, first dx, last dx) triples.
 */
let template: { rIn: number; rOut: number; offsets: Int32Array; segments: Int32Array } = {
  rIn: -1,
  rOut: -1,
  offsets: new Int32Array(),
  segments: new Int32Array(),
};

function annulusTemplate(rIn: number, rOut: number): typeof template {
  if (template.rIn === rIn && template.rOut === rOut) return template;
  const R = Math.ceil(rOut);
  const list: number[] = [];
  const segs: number[] = [];
  for (let dy = -R; dy <= R; dy++) {
    for (let dx = -R; dx <= R; dx++) {
      const d2 = dx * dx + dy * dy;
      if (!(d2 >= rIn * rIn && d2 < rOut * rOut)) continue;
      list.push(dx, dy);
      const last = segs.length - 3;
      if (last >= 0 && segs[last] === dy && segs[last + 2] === dx - 1) segs[last + 2] = dx;
      else segs.push(dy, dx, dx);
    }
  }
  template = { rIn, rOut, offsets: Int32Array.from(list), segments: Int32Array.from(segs) };
  return template;
}

/**
 * The histogram path of {@link annulusBackground} for an annulus inside the image, binned straight
 * from the image (no gathered copy): the first pixel of every row segment first — independent loads
 * that the CPU overlaps, so the annulus's rows arrive from memory together instead of one after the
 * other — then the rest. Bin counts do not depend on the order, so the result is that of
 * histogramMedian on the gathered values. Null when the caller must take the general path.
 */
function annulusHistogramDirect(
  data: Float32Array,
  width: number,
  base: number,
  segs: Int32Array,
  centre: number,
  sigma: number,
): AnnulusBackground | null {
  const q = (10 * sigma) / ANNULUS_BINS;
  const qzero = centre - 5 * sigma;
  const inv = 1 / q;
  const cste = 0.5 - qzero * inv;
  const hist = annulusHistogram;
  hist.fill(0);
  let n = 0;
  let inside = 0;
  let nan = false;
  for (let s = 0; s < segs.length; s += 3) {
    const v = data[base + segs[s] * width + segs[s + 1]];
    if (v !== v) {
      nan = true;
      continue;
    }
    n++;
    const b = (v * inv + cste) | 0;
    if (b > 0 && b < ANNULUS_BINS) {
      hist[b]++;
      inside++;
    }
  }
  for (let s = 0; s < segs.length; s += 3) {
    const row = base + segs[s] * width;
    for (let i = row + segs[s + 1] + 1, e = row + segs[s + 2]; i <= e; i++) {
      const v = data[i];
      if (v !== v) {
        nan = true;
        continue;
      }
      n++;
      const b = (v * inv + cste) | 0;
      if (b > 0 && b < ANNULUS_BINS) {
        hist[b]++;
        inside++;
      }
    }
  }
  if (n < 10) return null;
  const st = histogramFinish(n, inside, centre, sigma, qzero, q);
  return st ? { levelAdu: st.medianAdu, sigmaAdu: st.sigmaAdu, nPix: n, truncated: nan } : null;
}

/**
 * Local background in the annulus rIn ≤ r < rOut about (x, y): median after up to three rounds of 3σ
 * clipping about the median. Membership is decided from the pixel nearest (x, y) (one precomputed list
 * of offsets serves every source; the ≤ ½-px shift of an annulus a few FWHM wide does not matter).
 */
export function annulusBackground(
  img: ImagePlane,
  x: number,
  y: number,
  rIn: number,
  rOut: number,
  guess?: { centreAdu: number; sigmaAdu: number },
): AnnulusBackground {
  const { data, width, height } = img;
  const tpl = annulusTemplate(rIn, rOut);
  const offsets = tpl.offsets;
  if (annulusScratch.length < offsets.length) annulusScratch = new Float32Array(offsets.length);
  const a = annulusScratch;
  const cx = Math.round(x);
  const cy = Math.round(y);
  const R = Math.ceil(rOut);
  const truncated = cx - R < 0 || cy - R < 0 || cx + R > width - 1 || cy + R > height - 1;
  const base = cy * width + cx;
  if (guess && guess.sigmaAdu > 0 && !truncated) {
    const direct = annulusHistogramDirect(data, width, base, tpl.segments, guess.centreAdu, guess.sigmaAdu);
    if (direct) return direct;
  }
  let n = 0;
  let nan = false;
  for (let k = 0; k < offsets.length; k += 2) {
    const dx = offsets[k];
    const dy = offsets[k + 1];
    if (truncated && (cx + dx < 0 || cx + dx >= width || cy + dy < 0 || cy + dy >= height)) continue;
    const v = data[base + dy * width + dx];
    if (v !== v) nan = true;
    else a[n++] = v;
  }
  if (n < 10) return { levelAdu: NaN, sigmaAdu: NaN, nPix: n, truncated: truncated || nan };
  if (guess && guess.sigmaAdu > 0) {
    const st = histogramMedian(a, n, guess.centreAdu, guess.sigmaAdu);
    if (st) return { levelAdu: st.medianAdu, sigmaAdu: st.sigmaAdu, nPix: n, truncated: truncated || nan };
  }
  let med = 0;
  let mean = 0;
  let sigma = 0;
  for (let it = 0; it < 3; it++) {
    med = select(a, n, n >> 1); // upper median for even n (n ≥ 10: the difference is ≪ σ/√n)
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      s += a[i];
      s2 += a[i] * a[i];
    }
    mean = s / n;
    sigma = Math.sqrt(Math.max(0, s2 / n - mean * mean));
    const lo = med - 3 * sigma;
    const hi = med + 3 * sigma;
    let m = 0;
    for (let i = 0; i < n; i++) if (a[i] >= lo && a[i] <= hi) a[m++] = a[i];
    if (m === n || m < 10) break;
    n = m;
  }
  return { levelAdu: med, sigmaAdu: sigma, nPix: n, truncated: truncated || nan };
}

const ANNULUS_BINS = 128;
const annulusHistogram = new Int32Array(ANNULUS_BINS);

/**
 * Clipped median of a[0..n) from a 128-bin histogram over centre ± 5σ (bins of σ/12.8, the median
 * interpolated inside its bin), κσ-clipped as SExtractor's `backguess` — O(n) and branch-light where a
 * quickselect costs several µs per annulus. Null when the guess does not fit (half the values outside,
 * or the final median ± 3.5σ window not inside the range).
 */
function histogramMedian(a: Float32Array, n: number, centre: number, sigma: number): MeshStatistics | null {
  const q = (10 * sigma) / ANNULUS_BINS;
  const qzero = centre - 5 * sigma;
  const inv = 1 / q;
  const cste = 0.5 - qzero * inv;
  const hist = annulusHistogram;
  hist.fill(0);
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const b = (a[i] * inv + cste) | 0;
    if (b > 0 && b < ANNULUS_BINS) {
      hist[b]++;
      inside++;
    }
  }
  return histogramFinish(n, inside, centre, sigma, qzero, q);
}

/** The clipped statistics of the annulus histogram, or null when the guess does not fit (see above). */
function histogramFinish(
  n: number,
  inside: number,
  centre: number,
  sigma: number,
  qzero: number,
  q: number,
): MeshStatistics | null {
  const hist = annulusHistogram;
  if (inside < 0.5 * n) return null;
  const st = histogramMode(hist, ANNULUS_BINS, qzero, q);
  if (!(st.sigmaAdu > 0.2 * sigma) || Math.abs(st.medianAdu - centre) + 3.5 * st.sigmaAdu > 5 * sigma)
    return null;
  return st;
}
