/**
 * Blind astrometric solving: a TAN (+ SIP order 2) WCS from detected sources and a reference catalogue,
 * given a rough pointing and the camera pixel scale.
 *
 * Method (hypothesise-and-verify, after Groth 1986, AJ 91, 1244 and Valdes et al. 1995, PASP 107, 1119 for
 * triangle matching; Lang et al. 2010, AJ 139, 1782 for the verification of each hypothesis):
 *  1. Reference plane. The catalogue is projected gnomonically about the prior centre (α0, δ0) and expressed
 *     in "prior pixels": (X, Y) = (ξ, η) / s0, s0 = prior scale. Only stars within R_s + half the frame
 *     diagonal of the prior centre are kept (R_s = `searchRadiusDeg`, default 0.6 × the larger frame side).
 *  2. Pattern sets. Image: the `N_s` (30) brightest sources. Reference: for each window centre on a grid
 *     (step 0.4 × the smaller frame side) within R_s of the prior centre, the `N_r` (40) brightest stars
 *     within half a frame diagonal of it — so the reference pattern set always looks like "a frame's worth"
 *     of bright stars wherever the frame actually is. All triangles (i < j < k) of each set are formed.
 *  3. Invariants. With sides a ≥ b ≥ c, (b/a, c/a) is invariant under translation, rotation, scale and
 *     reflection. Triangles with c < 10 px or with nearly equal sides (ambiguous vertex order,
 *     (a − b)/a or (b − c)/a < 0.02) are dropped. Reference triangles go into a 2-D grid over (b/a, c/a).
 *  4. Hypotheses. Each image triangle (brightest first) is looked up in the grid; a reference triangle
 *     within ±`ratioTol` (0.006) in both ratios, with a/a_ref within the scale tolerance, gives the vertex
 *     correspondence (vertices labelled by their opposite side). Parity follows from the signs of the two
 *     triangles' oriented areas, so flipped frames are allowed. The 3 pairs give a similarity transform
 *     W = A z + B (z = x + iy, or its conjugate when flipped) by complex least squares; |A| must lie within
 *     1 ± scaleTolerance.
 *  5. Verification. The `N_v` (60) brightest sources are mapped by the hypothesis and counted when they land
 *     within 3 px of one of the brightest reference stars of the search region (about twice as many per area
 *     as image sources). The best-scoring hypothesis is kept; the search stops early once a hypothesis
 *     explains ≥ 50 % of the verification sources (and ≥ 10).
 *  6. Refinement. All sources are mapped by the similarity and paired with the nearest reference star within
 *     3 px (one-to-one); `fitTanWcs` (TAN, 3σ clipping) gives a WCS. Then twice: reference stars are
 *     projected through the current WCS, paired with sources within 2 px, and re-fitted: pure TAN, and
 *     with ≥ 30 pairs also TAN + SIP order 2, which is kept only when it lowers the RMS by ≥ 15 % (i.e. the
 *     frame shows real distortion; otherwise the 3 extra terms per axis would only fit noise).
 *  7. Acceptance. Of the `N_u` (≤ 100) brightest usable sources, the fraction with a reference star within
 *     2 px under the final WCS must be ≥ `minMatchFraction` (0.3), with ≥ `minMatches` (8) pairs in the fit;
 *     the fitted scale must also be within the prior tolerance; otherwise the solve fails with a reason.
 * Pixel positions are FITS 1-based, as elsewhere in `wcs/`.
 */
import { fitTanWcs } from "./fit.ts";
import type { MatchedPair } from "./fit.ts";
import { pixelScaleArcsec, projectTan, skyToPixels, tanRotation } from "./tan.ts";
import type { TanWcs } from "./tan.ts";
import { buildTriangles, TriangleGrid } from "./triangles.ts";

export interface SolveSources {
  x: Float64Array;
  y: Float64Array;
  flux: Float64Array;
}

export interface SolveReference {
  raDeg: Float64Array;
  decDeg: Float64Array;
  mag: Float64Array;
}

export interface SolveOptions {
  sources: SolveSources;
  reference: SolveReference;
  /** Prior pointing (target or header RA/DEC), deg. */
  centreRaDeg: number;
  centreDecDeg: number;
  /** Prior pixel scale, arcsec/px. */
  pixelScaleArcsec: number;
  /** Allowed relative error of the prior scale; default 0.1. */
  scaleTolerance?: number;
  width: number;
  height: number;
  /** How far the true frame centre may be from the prior centre, deg; default 0.6 × larger side × scale. */
  searchRadiusDeg?: number;
  /** Minimum number of matched pairs; default 8. */
  minMatches?: number;
  /** Minimum fraction of the bright usable sources matched; default 0.3. */
  minMatchFraction?: number;
}

export type SolveResult =
  | { ok: true; wcs: TanWcs; matched: number; matchFraction: number; rmsArcsec: number }
  | { ok: false; reason: string };

const N_PATTERN_SOURCES = 30;
const N_PATTERN_REFS = 40;
const N_VERIFY = 60;
const N_USABLE = 100;
const RATIO_TOL = 0.006;
const VERIFY_RADIUS_PX = 3;
const REFINE_RADIUS_PX = 2;
/** SIP order 2 is tried with at least this many pairs, and kept only if it lowers the RMS by this factor. */
const MIN_PAIRS_SIP = 30;
const SIP_GAIN = 0.85;

/** Uniform grid of points for radius queries. */
class PointGrid {
  private readonly cells = new Map<number, number[]>();
  constructor(
    readonly xs: Float64Array,
    readonly ys: Float64Array,
    readonly cell: number,
    indices?: ArrayLike<number>,
  ) {
    const n = indices ? indices.length : xs.length;
    for (let t = 0; t < n; t++) {
      const i = indices ? indices[t] : t;
      const k = this.key(Math.floor(xs[i] / cell), Math.floor(ys[i] / cell));
      const b = this.cells.get(k);
      if (b) b.push(i);
      else this.cells.set(k, [i]);
    }
  }
  private key(cx: number, cy: number): number {
    return (cx + 100_000) * 200_003 + (cy + 100_000);
  }
  /** Index of the nearest point within r (r ≤ cell), −1 if none. */
  nearest(x: number, y: number, r: number): number {
    const cx = Math.floor(x / this.cell);
    const cy = Math.floor(y / this.cell);
    let best = -1;
    let bestD = r * r;
    for (let a = -1; a <= 1; a++) {
      for (let b = -1; b <= 1; b++) {
        const list = this.cells.get(this.key(cx + a, cy + b));
        if (!list) continue;
        for (const j of list) {
          const d = (this.xs[j] - x) ** 2 + (this.ys[j] - y) ** 2;
          if (d <= bestD) {
            bestD = d;
            best = j;
          }
        }
      }
    }
    return best;
  }
}

/** Similarity transform W = A·z + B with z = x + iy, or x − iy when `flip`. */
interface Similarity {
  ar: number;
  ai: number;
  br: number;
  bi: number;
  flip: boolean;
}

function applySim(t: Similarity, x: number, y: number): [number, number] {
  const yy = t.flip ? -y : y;
  return [t.ar * x - t.ai * yy + t.br, t.ai * x + t.ar * yy + t.bi];
}

/** Least-squares similarity from point pairs (complex regression of W on z). */
function fitSimilarity(
  zx: readonly number[],
  zy: readonly number[],
  wx: readonly number[],
  wy: readonly number[],
  flip: boolean,
): Similarity | null {
  const n = zx.length;
  let mzx = 0;
  let mzy = 0;
  let mwx = 0;
  let mwy = 0;
  for (let i = 0; i < n; i++) {
    mzx += zx[i];
    mzy += flip ? -zy[i] : zy[i];
    mwx += wx[i];
    mwy += wy[i];
  }
  mzx /= n;
  mzy /= n;
  mwx /= n;
  mwy /= n;
  let sr = 0;
  let si = 0;
  let zz = 0;
  for (let i = 0; i < n; i++) {
    const dx = zx[i] - mzx;
    const dy = (flip ? -zy[i] : zy[i]) - mzy;
    const ex = wx[i] - mwx;
    const ey = wy[i] - mwy;
    // Σ conj(dz)·dw
    sr += dx * ex + dy * ey;
    si += dx * ey - dy * ex;
    zz += dx * dx + dy * dy;
  }
  if (!(zz > 0)) return null;
  const ar = sr / zz;
  const ai = si / zz;
  return { ar, ai, br: mwx - (ar * mzx - ai * mzy), bi: mwy - (ai * mzx + ar * mzy), flip };
}

function fail(reason: string): SolveResult {
  return { ok: false, reason };
}

/** Blind solve (file comment). Pure and deterministic. */
export function solveWcs(options: SolveOptions): SolveResult {
  const { sources, reference, width, height } = options;
  const scaleDeg = options.pixelScaleArcsec / 3600;
  const tol = options.scaleTolerance ?? 0.1;
  const minMatches = options.minMatches ?? 8;
  const minFraction = options.minMatchFraction ?? 0.3;
  if (!(scaleDeg > 0) || !(width > 0) || !(height > 0)) return fail("invalid pixel scale or frame size");
  const searchPx = (options.searchRadiusDeg ?? 0.6 * Math.max(width, height) * scaleDeg) / scaleDeg;
  const halfDiag = 0.5 * Math.hypot(width, height);

  // Usable sources, brightest first.
  const srcOrder: number[] = [];
  for (let i = 0; i < sources.x.length; i++) {
    if (Number.isFinite(sources.x[i]) && Number.isFinite(sources.y[i]) && sources.flux[i] > 0)
      srcOrder.push(i);
  }
  srcOrder.sort((a, b) => sources.flux[b] - sources.flux[a]);
  if (srcOrder.length < minMatches) {
    return fail(`too few usable sources (${srcOrder.length} < ${minMatches})`);
  }
  const sx = Float64Array.from(srcOrder, (i) => sources.x[i]);
  const sy = Float64Array.from(srcOrder, (i) => sources.y[i]);
  const nSrc = sx.length;

  // Reference stars on the prior tangent plane, in prior pixels, within the search region; brightest first.
  const rot = tanRotation([options.centreRaDeg, options.centreDecDeg]);
  const regionR = searchPx + halfDiag;
  const refIdx: number[] = [];
  const refXAll: number[] = [];
  const refYAll: number[] = [];
  for (let i = 0; i < reference.raDeg.length; i++) {
    const p = projectTan(rot, reference.raDeg[i], reference.decDeg[i]);
    if (!p) continue;
    const X = p.xiDeg / scaleDeg;
    const Y = p.etaDeg / scaleDeg;
    if (X * X + Y * Y > regionR * regionR) continue;
    refIdx.push(i);
    refXAll.push(X);
    refYAll.push(Y);
  }
  const perm = refIdx.map((_, k) => k);
  const magOf = (k: number): number => {
    const m = reference.mag[refIdx[k]];
    return Number.isFinite(m) ? m : 99;
  };
  perm.sort((a, b) => magOf(a) - magOf(b));
  const refSel = perm.map((k) => refIdx[k]);
  const rx = Float64Array.from(perm, (k) => refXAll[k]);
  const ry = Float64Array.from(perm, (k) => refYAll[k]);
  const nRef = rx.length;
  if (nRef < minMatches) {
    return fail(
      `too few reference stars within ${(regionR * scaleDeg).toFixed(3)}° of the prior centre (${nRef} < ${minMatches})`,
    );
  }

  // Pattern triangles: image.
  const nPat = Math.min(N_PATTERN_SOURCES, nSrc);
  const srcTri = buildTriangles(
    sx,
    sy,
    Array.from({ length: nPat }, (_, i) => i),
    10,
  );
  // Pattern triangles: reference windows.
  const grid = new TriangleGrid(RATIO_TOL);
  const seen = new Set<number>();
  const step = 0.4 * Math.min(width, height);
  const nStep = Math.ceil(searchPx / step);
  for (let gy = -nStep; gy <= nStep; gy++) {
    for (let gx = -nStep; gx <= nStep; gx++) {
      const cx = gx * step;
      const cy = gy * step;
      if (Math.hypot(cx, cy) > searchPx + 1e-9) continue;
      const win: number[] = [];
      for (let k = 0; k < nRef && win.length < N_PATTERN_REFS; k++) {
        if ((rx[k] - cx) ** 2 + (ry[k] - cy) ** 2 <= halfDiag * halfDiag) win.push(k);
      }
      const tris = buildTriangles(rx, ry, win, 10 * (1 - tol));
      grid.addSet(tris, seen, nRef);
    }
  }
  if (grid.size === 0 || srcTri.count === 0) return fail("no usable triangles in the image or the reference");

  // Verification reference set: brightest stars of the region, ≈ 2× the image-source density.
  const nVerify = Math.min(N_VERIFY, nSrc);
  const regionArea = Math.PI * regionR * regionR;
  const nVerRef = Math.min(nRef, Math.ceil((2 * nVerify * regionArea) / (width * height)));
  const verGrid = new PointGrid(
    rx,
    ry,
    Math.max(VERIFY_RADIUS_PX, 4),
    Array.from({ length: nVerRef }, (_, k) => k),
  );
  const score = (t: Similarity): number => {
    let c = 0;
    for (let i = 0; i < nVerify; i++) {
      const [X, Y] = applySim(t, sx[i], sy[i]);
      if (verGrid.nearest(X, Y, VERIFY_RADIUS_PX) >= 0) c++;
    }
    return c;
  };

  let best: Similarity | null = null;
  let bestScore = 0;
  const goodEnough = Math.max(10, Math.ceil(0.5 * nVerify));
  const zx = [0, 0, 0];
  const zy = [0, 0, 0];
  const wx = [0, 0, 0];
  const wy = [0, 0, 0];
  search: for (let t = 0; t < srcTri.count; t++) {
    const r1 = srcTri.r1[t];
    const r2 = srcTri.r2[t];
    const a = srcTri.a[t];
    for (const u of grid.query(r1, r2)) {
      const ref = grid;
      const q = u;
      if (Math.abs(ref.r1[q] - r1) > RATIO_TOL || Math.abs(ref.r2[q] - r2) > RATIO_TOL) continue;
      const s = ref.a[q] / a;
      if (Math.abs(s - 1) > tol) continue;
      const flip = ref.orient[q] !== srcTri.orient[t];
      for (let v = 0; v < 3; v++) {
        const i = srcTri.v[3 * t + v];
        const k = ref.v[3 * q + v];
        zx[v] = sx[i];
        zy[v] = sy[i];
        wx[v] = rx[k];
        wy[v] = ry[k];
      }
      const sim = fitSimilarity(zx, zy, wx, wy, flip);
      if (!sim || Math.abs(Math.hypot(sim.ar, sim.ai) - 1) > tol) continue;
      const c = score(sim);
      if (c > bestScore) {
        bestScore = c;
        best = sim;
        if (c >= goodEnough) break search;
      }
    }
  }
  if (!best || bestScore < Math.min(minMatches, nVerify)) {
    return fail(
      `no pattern match verified: best hypothesis explains ${bestScore} of ${nVerify} bright sources (need ≥ ${Math.min(minMatches, nVerify)})`,
    );
  }

  // Refinement.
  const allRefGrid = new PointGrid(rx, ry, 4);
  const pairsFrom = (
    project: (k: number) => [number, number] | null,
    radius: number,
    useSim: Similarity | null,
  ): MatchedPair[] => {
    // One-to-one pairs: sources mapped by `useSim` onto the reference plane, or (without it) reference stars
    // mapped by `project` into pixels; each reference star keeps its nearest source.
    const pairs: MatchedPair[] = [];
    const claimed = new Map<number, number>(); // ref k → best distance² (one-to-one, nearest wins)
    const owner = new Map<number, number>();
    if (useSim) {
      for (let i = 0; i < nSrc; i++) {
        const [X, Y] = applySim(useSim, sx[i], sy[i]);
        const k = allRefGrid.nearest(X, Y, radius);
        if (k < 0) continue;
        const d = (rx[k] - X) ** 2 + (ry[k] - Y) ** 2;
        if (!claimed.has(k) || d < (claimed.get(k) as number)) {
          claimed.set(k, d);
          owner.set(k, i);
        }
      }
    } else {
      // Reference stars projected into pixels; match sources to them.
      const px = new Float64Array(nRef);
      const py = new Float64Array(nRef);
      for (let k = 0; k < nRef; k++) {
        const p = project(k);
        px[k] = p ? p[0] : NaN;
        py[k] = p ? p[1] : NaN;
      }
      const ids: number[] = [];
      for (let k = 0; k < nRef; k++) if (Number.isFinite(px[k])) ids.push(k);
      const g = new PointGrid(px, py, 4, ids);
      for (let i = 0; i < nSrc; i++) {
        const k = g.nearest(sx[i], sy[i], radius);
        if (k < 0) continue;
        const d = (px[k] - sx[i]) ** 2 + (py[k] - sy[i]) ** 2;
        if (!claimed.has(k) || d < (claimed.get(k) as number)) {
          claimed.set(k, d);
          owner.set(k, i);
        }
      }
    }
    for (const [k, i] of owner) {
      const j = refSel[k];
      pairs.push({ x: sx[i], y: sy[i], raDeg: reference.raDeg[j], decDeg: reference.decDeg[j] });
    }
    return pairs;
  };

  let pairs = pairsFrom(() => null, VERIFY_RADIUS_PX, best);
  if (pairs.length < minMatches) return fail(`too few pairs after pattern match (${pairs.length})`);
  let fit = fitTanWcs(pairs, { clipSigma: 3 });
  if (!fit.ok) return fail(`initial TAN fit failed: ${fit.reason}`);
  const refRa = Float64Array.from(refSel, (j) => reference.raDeg[j]);
  const refDec = Float64Array.from(refSel, (j) => reference.decDeg[j]);
  const px = new Float64Array(nRef);
  const py = new Float64Array(nRef);
  for (let iter = 0; iter < 2; iter++) {
    skyToPixels(fit.wcs, refRa, refDec, px, py);
    pairs = pairsFrom((k) => [px[k], py[k]], REFINE_RADIUS_PX, null);
    if (pairs.length < minMatches)
      return fail(`too few pairs in refinement (${pairs.length} < ${minMatches})`);
    const next = fitTanWcs(pairs, { clipSigma: 3 });
    if (!next.ok) return fail(`refinement fit failed: ${next.reason}`);
    fit = next;
    if (pairs.length >= MIN_PAIRS_SIP) {
      const sip = fitTanWcs(pairs, { clipSigma: 3, sipOrder: 2 });
      if (sip.ok && sip.nInliers >= MIN_PAIRS_SIP && sip.rmsArcsec < SIP_GAIN * next.rmsArcsec) fit = sip;
    }
  }

  // Acceptance.
  const scale = pixelScaleArcsec(fit.wcs) / 3600;
  if (Math.abs(scale / scaleDeg - 1) > tol) {
    return fail(`fitted scale ${(scale * 3600).toFixed(3)}″/px is outside the prior tolerance`);
  }
  skyToPixels(fit.wcs, refRa, refDec, px, py);
  const ids: number[] = [];
  for (let k = 0; k < nRef; k++) if (Number.isFinite(px[k])) ids.push(k);
  const g = new PointGrid(px, py, 4, ids);
  const nUsable = Math.min(N_USABLE, nSrc);
  let hit = 0;
  for (let i = 0; i < nUsable; i++) if (g.nearest(sx[i], sy[i], REFINE_RADIUS_PX) >= 0) hit++;
  const matchFraction = hit / nUsable;
  const matched = fit.nInliers;
  if (matched < minMatches || matchFraction < minFraction) {
    return fail(
      `solution not verified: ${matched} matched pairs, ${(100 * matchFraction).toFixed(0)} % of the ${nUsable} brightest sources matched (need ≥ ${minMatches} and ≥ ${(100 * minFraction).toFixed(0)} %)`,
    );
  }
  return { ok: true, wcs: fit.wcs, matched, matchFraction, rmsArcsec: fit.rmsArcsec };
}
