/**
 * Least-squares fit of a TAN (+ optional SIP) WCS to matched pairs (pixel x, y ↔ catalogue RA, Dec).
 *
 * Model (Calabretta & Greisen 2002 Paper II §5.1.3; Shupe et al. 2005): the catalogue positions are
 * gnomonically projected about the current tangent point to (ξ, η) (deg), and fitted as polynomials of total
 * degree N (1 for TAN, the SIP order otherwise) in the pixel offsets u = x − x0, v = y − y0:
 *   ξ = Σ cξ_pq u^p v^q,   η = Σ cη_pq u^p v^q,   0 ≤ p + q ≤ N.
 * The linear terms are the CD matrix; the degree ≥ 2 terms map to SIP as (A_pq, B_pq) = CD⁻¹ (cξ_pq, cη_pq).
 *
 * Two parametrisations:
 *  - fixed CRPIX (default: the centre of the matched pixels' bounding box, or `crpix`): the constant terms are
 *    the offset of the tangent point; CRVAL is moved there and the fit repeated until the offset vanishes
 *    (re-centring iteration, converges in a few steps).
 *  - fixed CRVAL (`crvalDeg` without `crpix`): the projection is fixed, CRPIX is the pixel where (ξ, η) = 0 and
 *    the polynomial is re-expanded about it.
 * Optional sigma clipping: σ from the median squared separation (2-D Gaussian: median r² = 2 ln 2 σ²), points
 * with r > clipSigma·σ are excluded and the fit repeated; excluded points may come back.
 * The linear systems are solved by Householder QR on scaled offsets (u/s, v/s) for conditioning.
 */
import { deprojectTan, pixelsToSky, polyGrad, projectTan, tanRotation } from "./tan.ts";
import type { SipDistortion, TanWcs } from "./tan.ts";

export interface MatchedPair {
  /** Pixel position, 1-based FITS (px). */
  x: number;
  y: number;
  /** Catalogue position (deg). */
  raDeg: number;
  decDeg: number;
}

export interface FitTanOptions {
  /** 0 or 1 = pure TAN (default); 2–5 = SIP of that order. */
  sipOrder?: number;
  /** Fixed reference pixel (1-based px); CRVAL is fitted. */
  crpix?: [number, number];
  /** With `crpix`: start value for CRVAL. Without: fixed tangent point (deg), CRPIX is fitted. */
  crvalDeg?: [number, number];
  /** Clip points whose separation exceeds clipSigma·σ; 0 or undefined = no clipping. */
  clipSigma?: number;
  /** Maximum clipping passes (default 10). */
  maxClipIterations?: number;
  /** Maximum CRVAL re-centring iterations per pass (default 20). */
  maxIterations?: number;
}

export type FitTanResult =
  | {
      ok: true;
      wcs: TanWcs;
      /** RMS separation over the inliers (arcsec). */
      rmsArcsec: number;
      /** Per-pair separation between catalogue and fitted-WCS position (arcsec), inliers and outliers. */
      residualsArcsec: Float64Array;
      /** 1 = used in the final fit, 0 = clipped. */
      inliers: Uint8Array;
      nInliers: number;
      /** Clipping passes performed (1 without clipping). */
      clipPasses: number;
    }
  | { ok: false; reason: string };

type Poly = number[][]; // c[p][q], p + q ≤ N

function monomials(n: number): [number, number][] {
  const t: [number, number][] = [];
  for (let d = 0; d <= n; d++) for (let p = d; p >= 0; p--) t.push([p, d - p]);
  return t;
}

/** Householder QR least squares for two right-hand sides; null when rank-deficient. */
function lstsq2(a: Float64Array[], b1: Float64Array, b2: Float64Array): [Float64Array, Float64Array] | null {
  const m = b1.length;
  const n = a.length; // columns stored separately
  const rhs = [Float64Array.from(b1), Float64Array.from(b2)];
  const cols = a.map((c) => Float64Array.from(c));
  const diag = new Float64Array(n);
  let maxNorm = 0;
  for (let k = 0; k < n; k++) {
    const ck = cols[k];
    let norm = 0;
    for (let i = k; i < m; i++) norm += ck[i] * ck[i];
    norm = Math.sqrt(norm);
    maxNorm = Math.max(maxNorm, norm);
    if (!(norm > 1e-10 * maxNorm) || norm === 0) return null;
    const alpha = ck[k] > 0 ? -norm : norm;
    ck[k] -= alpha; // v = x − αe₁ stored in ck[k..]
    let vv = 0;
    for (let i = k; i < m; i++) vv += ck[i] * ck[i];
    const reflect = (y: Float64Array): void => {
      let dot = 0;
      for (let i = k; i < m; i++) dot += ck[i] * y[i];
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) y[i] -= f * ck[i];
    };
    for (let j = k + 1; j < n; j++) reflect(cols[j]);
    reflect(rhs[0]);
    reflect(rhs[1]);
    diag[k] = alpha;
  }
  const solve = (y: Float64Array): Float64Array => {
    const x = new Float64Array(n);
    for (let k = n - 1; k >= 0; k--) {
      let s = y[k];
      for (let j = k + 1; j < n; j++) s -= cols[j][k] * x[j];
      x[k] = s / diag[k];
    }
    return x;
  };
  return [solve(rhs[0]), solve(rhs[1])];
}

/** Fit ξ, η (deg) as polynomials of degree n in (u, v) over the selected points. */
function fitPoly(
  u: Float64Array,
  v: Float64Array,
  xi: Float64Array,
  eta: Float64Array,
  n: number,
): [Poly, Poly] | null {
  const terms = monomials(n);
  let s = 0;
  for (let i = 0; i < u.length; i++) s = Math.max(s, Math.abs(u[i]), Math.abs(v[i]));
  if (s === 0) s = 1;
  const cols = terms.map(([p, q]) => u.map((_, i) => (u[i] / s) ** p * (v[i] / s) ** q));
  const sol = lstsq2(cols, xi, eta);
  if (!sol) return null;
  const px: Poly = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(0));
  const py: Poly = px.map((r) => r.slice());
  terms.forEach(([p, q], k) => {
    px[p][q] = sol[0][k] / s ** (p + q);
    py[p][q] = sol[1][k] / s ** (p + q);
  });
  return [px, py];
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Coefficients of c(u0 + s, v0 + t) as a polynomial in (s, t). */
function shiftPoly(c: Poly, u0: number, v0: number): Poly {
  const n = c.length - 1;
  const d: Poly = c.map((r) => r.map(() => 0));
  for (let p = 0; p <= n; p++) {
    for (let q = 0; p + q <= n; q++) {
      for (let i = 0; i <= p; i++) {
        for (let j = 0; j <= q; j++)
          d[i][j] += c[p][q] * binom(p, i) * u0 ** (p - i) * binom(q, j) * v0 ** (q - j);
      }
    }
  }
  return d;
}

/** Split fitted polynomials (no constant term) into CD and SIP. */
function toWcs(px: Poly, py: Poly, crpix: [number, number], crvalDeg: [number, number], n: number): TanWcs {
  const cd: [[number, number], [number, number]] = [
    [px[1][0], px[0][1]],
    [py[1][0], py[0][1]],
  ];
  const wcs: TanWcs = { crpix, crvalDeg, cd };
  if (n >= 2) {
    const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
    const sip: SipDistortion = {
      a: px.map((r) => r.map(() => 0)),
      b: px.map((r) => r.map(() => 0)),
      order: n,
    };
    for (let p = 0; p <= n; p++) {
      for (let q = 0; p + q <= n; q++) {
        if (p + q < 2) continue;
        sip.a[p][q] = (cd[1][1] * px[p][q] - cd[0][1] * py[p][q]) / det;
        sip.b[p][q] = (-cd[1][0] * px[p][q] + cd[0][0] * py[p][q]) / det;
      }
    }
    wcs.sip = sip;
  }
  return wcs;
}

function unitMean(pairs: readonly MatchedPair[], use: Uint8Array): [number, number] {
  let x = 0;
  let y = 0;
  let z = 0;
  pairs.forEach((m, i) => {
    if (!use[i]) return;
    const a = (m.raDeg * Math.PI) / 180;
    const d = (m.decDeg * Math.PI) / 180;
    x += Math.cos(d) * Math.cos(a);
    y += Math.cos(d) * Math.sin(a);
    z += Math.sin(d);
  });
  const ra = (Math.atan2(y, x) * 180) / Math.PI;
  return [ra < 0 ? ra + 360 : ra, (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI];
}

/** Angular separation (arcsec) by the atan2 form of the Vincenty formula. */
function separationArcsec(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const r = Math.PI / 180;
  const da = (ra2 - ra1) * r;
  const [s1, c1, s2, c2] = [Math.sin(dec1 * r), Math.cos(dec1 * r), Math.sin(dec2 * r), Math.cos(dec2 * r)];
  const num = Math.hypot(c2 * Math.sin(da), c1 * s2 - s1 * c2 * Math.cos(da));
  return (Math.atan2(num, s1 * s2 + c1 * c2 * Math.cos(da)) * 180 * 3600) / Math.PI;
}

/** One fit (with CRVAL re-centring) on the selected points; a string is the reason of a failure. */
function fitOnce(
  pairs: readonly MatchedPair[],
  use: Uint8Array,
  n: number,
  o: FitTanOptions,
): TanWcs | string {
  const idx: number[] = [];
  use.forEach((f, i) => f && idx.push(i));
  const fixedCrval = o.crpix === undefined && o.crvalDeg !== undefined;
  let x0: number;
  let y0: number;
  if (o.crpix) [x0, y0] = o.crpix;
  else {
    const xs = idx.map((i) => pairs[i].x);
    const ys = idx.map((i) => pairs[i].y);
    x0 = fixedCrval ? xs.reduce((a, b) => a + b, 0) / xs.length : (Math.min(...xs) + Math.max(...xs)) / 2;
    y0 = fixedCrval ? ys.reduce((a, b) => a + b, 0) / ys.length : (Math.min(...ys) + Math.max(...ys)) / 2;
  }
  const u = Float64Array.from(idx, (i) => pairs[i].x - x0);
  const v = Float64Array.from(idx, (i) => pairs[i].y - y0);
  let crval: [number, number] = o.crvalDeg ? [o.crvalDeg[0], o.crvalDeg[1]] : unitMean(pairs, use);
  const maxIt = fixedCrval ? 1 : (o.maxIterations ?? 20);
  for (let it = 0; it < maxIt; it++) {
    const rot = tanRotation(crval);
    const xi = new Float64Array(idx.length);
    const eta = new Float64Array(idx.length);
    for (let k = 0; k < idx.length; k++) {
      const t = projectTan(rot, pairs[idx[k]].raDeg, pairs[idx[k]].decDeg);
      if (!t) return "a matched star is 90° or more from the tangent point";
      xi[k] = t.xiDeg;
      eta[k] = t.etaDeg;
    }
    const fit = fitPoly(u, v, xi, eta, n);
    if (!fit) return "degenerate geometry: the matched pixels do not constrain the model";
    let [px, py] = fit;
    if (fixedCrval) {
      // CRPIX = root of (ξ, η)(u, v) = 0 by Newton from the linear solution.
      let us = 0;
      let vs = 0;
      for (let k = 0; k < 30; k++) {
        const [f, fu, fv] = polyGrad(px, us, vs);
        const [g, gu, gv] = polyGrad(py, us, vs);
        const det = fu * gv - fv * gu;
        us -= (gv * f - fv * g) / det;
        vs -= (fu * g - gu * f) / det;
      }
      if (!Number.isFinite(us + vs)) return "CRPIX could not be located";
      px = shiftPoly(px, us, vs);
      py = shiftPoly(py, us, vs);
      return toWcs(px, py, [x0 + us, y0 + vs], crval, n);
    }
    const off = Math.hypot(px[0][0], py[0][0]);
    crval = (() => {
      const s = deprojectTan(rot, px[0][0], py[0][0]);
      return [s.raDeg, s.decDeg] as [number, number];
    })();
    if (off < 1e-13 || it === maxIt - 1) return toWcs(px, py, [x0, y0], crval, n);
  }
  return "no iterations";
}

/**
 * Fit a TAN (+SIP) WCS to matched pairs. Needs at least (N+1)(N+2)/2 pairs (3 for TAN, 6 for SIP order 2,
 * 10 for order 3) among the inliers; returns `{ ok: false, reason }` otherwise or for degenerate geometry.
 */
export function fitTanWcs(pairs: readonly MatchedPair[], options: FitTanOptions = {}): FitTanResult {
  const n = Math.max(1, Math.round(options.sipOrder ?? 0));
  if (n > 5) return { ok: false, reason: `SIP order ${n} > 5 is not supported` };
  const need = ((n + 1) * (n + 2)) / 2;
  const N = pairs.length;
  let use = new Uint8Array(N).fill(1);
  const xs = Float64Array.from(pairs, (m) => m.x);
  const ys = Float64Array.from(pairs, (m) => m.y);
  const ra = new Float64Array(N);
  const dec = new Float64Array(N);
  const res = new Float64Array(N);
  const clip = options.clipSigma ?? 0;
  const maxPasses = clip > 0 ? (options.maxClipIterations ?? 10) : 1;
  let wcs: TanWcs | undefined;
  let passes = 0;
  for (; passes < maxPasses;) {
    const nUse = use.reduce((a, b) => a + b, 0);
    if (nUse < need) return { ok: false, reason: `${nUse} pairs, at least ${need} needed for order ${n}` };
    const r = fitOnce(pairs, use, n, options);
    if (typeof r === "string") return { ok: false, reason: r };
    wcs = r;
    passes++;
    pixelsToSky(wcs, xs, ys, ra, dec);
    for (let i = 0; i < N; i++) res[i] = separationArcsec(pairs[i].raDeg, pairs[i].decDeg, ra[i], dec[i]);
    if (clip <= 0) break;
    const sq = Array.from(
      res.filter((_, i) => use[i] === 1),
      (r2) => r2 * r2,
    ).sort((a, b) => a - b);
    // Floor σ at 1 µas so that noise-free data are not clipped at rounding level.
    const sigma = Math.max(Math.sqrt(sq[Math.floor(sq.length / 2)] / (2 * Math.LN2)), 1e-6);
    const next = Uint8Array.from(res, (r2) => (r2 <= clip * sigma ? 1 : 0));
    if (passes === maxPasses || next.every((f, i) => f === use[i])) break;
    use = next;
  }
  if (!wcs) return { ok: false, reason: "no fit" };
  let ss = 0;
  let nIn = 0;
  for (let i = 0; i < N; i++) {
    if (use[i]) {
      ss += res[i] * res[i];
      nIn++;
    }
  }
  return {
    ok: true,
    wcs,
    rmsArcsec: Math.sqrt(ss / nIn),
    residualsArcsec: res,
    inliers: use,
    nInliers: nIn,
    clipPasses: passes,
  };
}
