/**
 * Gnomonic (TAN) World Coordinate System with optional SIP distortion.
 *
 * Pixel convention: FITS, 1-based, pixel centres at integers — pixel (1, 1) is the centre of the first
 * pixel of the first row (Greisen & Calabretta 2002, Paper I §2.1). Sky coordinates are ICRS/FK5 J2000
 * right ascension and declination in degrees; RA is returned wrapped into [0, 360).
 *
 * Pixel → sky (Paper I eq. 3, Shupe et al. 2005 eq. 1, Calabretta & Greisen 2002 Paper II §5.1.3, §2.3):
 *   u = x − CRPIX1, v = y − CRPIX2                                  [px]
 *   SIP: u' = u + Σ A_p_q u^p v^q,  v' = v + Σ B_p_q u^p v^q          [px]
 *   (ξ, η) = CD · (u', v')                                           [deg, intermediate world coords]
 *   TAN: native φ = atan2(ξ, −η), θ = atan(1 / R), R = √(ξ² + η²)     [rad]
 *   native (φ, θ) → celestial (α, δ) by the rotation with pole (α0, δ0) and φ_p = LONPOLE (Paper II eq. 2).
 * LONPOLE defaults to 180° unless δ0 = +90° exactly, where it is 0° (Paper II §2.5; as in WCSLIB celset).
 * All spherical steps use atan2 forms (no asin/acos), so they stay accurate near the tangent point and poles.
 */

/** SIP polynomial coefficients (Shupe et al. 2005). `a[p][q]` multiplies u^p v^q (u, v in pixels). */
export interface SipDistortion {
  /** Forward A_p_q, size (order+1)×(order+1); missing terms are 0. */
  a: number[][];
  /** Forward B_p_q, same layout as `a`. */
  b: number[][];
  /** A_ORDER (= B_ORDER; the larger of the two when they differ). */
  order: number;
  /** Optional reverse AP_p_q (sky-plane offsets U, V in pixels → pixel offsets), may include p+q = 1. */
  ap?: number[][];
  bp?: number[][];
  apOrder?: number;
}

/** A TAN (gnomonic) WCS: CRPIX (1-based px), CRVAL (deg), CD (deg/px), optional SIP and LONPOLE (deg). */
export interface TanWcs {
  crpix: [number, number];
  crvalDeg: [number, number];
  cd: [[number, number], [number, number]];
  sip?: SipDistortion;
  /** Native longitude of the celestial pole φ_p (deg); undefined → Paper II default (180°, or 0° at δ0 = 90°). */
  lonpoleDeg?: number;
}

export interface SkyPosition {
  raDeg: number;
  decDeg: number;
}

export interface PixelPosition {
  x: number;
  y: number;
}

/** How to invert SIP: `newton` (default) iterates the forward A/B to machine precision, seeded by AP/BP
 *  when present; `apbp` uses the AP/BP reverse polynomials only (the approximate SIP reverse; falls back to
 *  Newton when they are absent). */
export interface SkyToPixelOptions {
  sipInverse?: "newton" | "apbp";
}

const DEG = Math.PI / 180;

/** sin and cos of an angle in degrees, exact at multiples of 90°. */
export function sinCosDeg(angleDeg: number): [number, number] {
  const r = ((angleDeg % 360) + 360) % 360;
  if (r === 0) return [0, 1];
  if (r === 90) return [1, 0];
  if (r === 180) return [0, -1];
  if (r === 270) return [-1, 0];
  return [Math.sin(angleDeg * DEG), Math.cos(angleDeg * DEG)];
}

/** Wrap a right ascension (deg) into [0, 360). */
export function wrapRaDeg(raDeg: number): number {
  const r = raDeg % 360;
  const w = r < 0 ? r + 360 : r;
  return w >= 360 ? 0 : w + 0; // `+ 0` turns −0 into 0
}

/** Default LONPOLE for a zenithal projection (Paper II §2.5): 180° if δ0 < 90°, else 0°. */
export function defaultLonpoleDeg(dec0Deg: number): number {
  return dec0Deg < 90 ? 180 : 0;
}

/** Pre-computed rotation between the native frame of a TAN projection and the celestial frame. */
export interface TanRotation {
  ra0Deg: number;
  dec0Deg: number;
  sinDec0: number;
  cosDec0: number;
  sinPhip: number;
  cosPhip: number;
}

export function tanRotation(crvalDeg: readonly [number, number], lonpoleDeg?: number): TanRotation {
  const [sinDec0, cosDec0] = sinCosDeg(crvalDeg[1]);
  const [sinPhip, cosPhip] = sinCosDeg(lonpoleDeg ?? defaultLonpoleDeg(crvalDeg[1]));
  return { ra0Deg: crvalDeg[0], dec0Deg: crvalDeg[1], sinDec0, cosDec0, sinPhip, cosPhip };
}

/**
 * Gnomonic deprojection: intermediate world coordinates (ξ, η) in degrees → sky (deg).
 * Works with the unnormalised native direction ρ·(cosθ cosφ, cosθ sinφ, sinθ) = (−η, ξ, 1), ρ = √(1+ξ²+η²),
 * ξ, η in radians; returns CRVAL exactly at ξ = η = 0.
 */
export function deprojectTan(rot: TanRotation, xiDeg: number, etaDeg: number): SkyPosition {
  if (xiDeg === 0 && etaDeg === 0) {
    return { raDeg: wrapRaDeg(rot.ra0Deg), decDeg: rot.dec0Deg };
  }
  const xi = xiDeg * DEG;
  const eta = etaDeg * DEG;
  // cosθ·cos(φ − φp) and cosθ·sin(φ − φp), times ρ = √(1 + ξ² + η²); sinθ·ρ = 1.
  const cc = -eta * rot.cosPhip + xi * rot.sinPhip;
  const cs = xi * rot.cosPhip + eta * rot.sinPhip;
  const ya = -cs;
  const xa = rot.cosDec0 - rot.sinDec0 * cc;
  const z = rot.sinDec0 + rot.cosDec0 * cc;
  const raDeg = wrapRaDeg(rot.ra0Deg + Math.atan2(ya, xa) / DEG);
  return { raDeg, decDeg: Math.atan2(z, Math.hypot(xa, ya)) / DEG };
}

/**
 * Gnomonic projection: sky (deg) → intermediate world coordinates (ξ, η) in degrees, with
 * R = cot θ = tan(angular distance from the tangent point). Returns null when the point is on the far
 * hemisphere or on the horizon (θ ≤ 0), where TAN is undefined.
 */
export function projectTan(
  rot: TanRotation,
  raDeg: number,
  decDeg: number,
): { xiDeg: number; etaDeg: number } | null {
  const [sinDa, cosDa] = sinCosDeg(raDeg - rot.ra0Deg);
  const [sinDec, cosDec] = sinCosDeg(decDeg);
  const s = -cosDec * sinDa; // cosθ sin(φ − φp)
  const c = sinDec * rot.cosDec0 - cosDec * rot.sinDec0 * cosDa; // cosθ cos(φ − φp)
  const sinTheta = sinDec * rot.sinDec0 + cosDec * rot.cosDec0 * cosDa;
  if (!(sinTheta > 0)) return null;
  const cthSinPhi = s * rot.cosPhip + c * rot.sinPhip;
  const cthCosPhi = c * rot.cosPhip - s * rot.sinPhip;
  return { xiDeg: cthSinPhi / sinTheta / DEG, etaDeg: -cthCosPhi / sinTheta / DEG };
}

/** Value and partial derivatives ∂/∂u, ∂/∂v of Σ c[p][q] u^p v^q. */
export function polyGrad(c: number[][], u: number, v: number): [number, number, number] {
  let f = 0;
  let fu = 0;
  let fv = 0;
  let up = 1; // u^p
  let dup = 0; // p·u^(p−1)
  for (let p = 0; p < c.length; p++) {
    const row = c[p];
    let vq = 1;
    let dvq = 0;
    let rf = 0;
    let rv = 0;
    for (let q = 0; q < row.length; q++) {
      rf += row[q] * vq;
      rv += row[q] * dvq;
      dvq = (q + 1) * vq;
      vq *= v;
    }
    f += rf * up;
    fu += rf * dup;
    fv += rv * up;
    dup = (p + 1) * up;
    up *= u;
  }
  return [f, fu, fv];
}

const poly = (c: number[][], u: number, v: number): number => polyGrad(c, u, v)[0];

/** Undistorted pixel offsets (U, V) → SIP pixel offsets (u, v) solving u + f(u,v) = U, v + g(u,v) = V. */
export function sipInverse(
  sip: SipDistortion,
  bigU: number,
  bigV: number,
  mode: "newton" | "apbp" = "newton",
): [number, number] | null {
  let u = bigU;
  let v = bigV;
  if (sip.ap && sip.bp) {
    u = bigU + poly(sip.ap, bigU, bigV);
    v = bigV + poly(sip.bp, bigU, bigV);
    if (mode === "apbp") return [u, v];
  }
  for (let it = 0; it < 50; it++) {
    const [f, fu, fv] = polyGrad(sip.a, u, v);
    const [g, gu, gv] = polyGrad(sip.b, u, v);
    const r1 = u + f - bigU;
    const r2 = v + g - bigV;
    const j11 = 1 + fu;
    const j22 = 1 + gv;
    const det = j11 * j22 - fv * gu;
    if (!(Math.abs(det) > 1e-12)) return null;
    const du = (j22 * r1 - fv * r2) / det;
    const dv = (j11 * r2 - gu * r1) / det;
    u -= du;
    v -= dv;
    if (!Number.isFinite(u) || !Number.isFinite(v)) return null;
    if (Math.abs(du) < 1e-12 * (1 + Math.abs(u)) && Math.abs(dv) < 1e-12 * (1 + Math.abs(v))) return [u, v];
  }
  const rf = u + poly(sip.a, u, v) - bigU;
  const rg = v + poly(sip.b, u, v) - bigV;
  return Math.hypot(rf, rg) < 1e-9 ? [u, v] : null;
}

/** A WCS with derived quantities cached, for repeated transforms. */
interface Prepared {
  wcs: TanWcs;
  rot: TanRotation;
  /** CD⁻¹ (px/deg). */
  inv: [number, number, number, number];
}

function prepare(wcs: TanWcs): Prepared {
  const [[a, b], [c, d]] = wcs.cd;
  const det = a * d - b * c;
  return { wcs, rot: tanRotation(wcs.crvalDeg, wcs.lonpoleDeg), inv: [d / det, -b / det, -c / det, a / det] };
}

function pixelToSkyPrepared(p: Prepared, x: number, y: number): SkyPosition {
  const w = p.wcs;
  let u = x - w.crpix[0];
  let v = y - w.crpix[1];
  if (w.sip) {
    const du = poly(w.sip.a, u, v);
    const dv = poly(w.sip.b, u, v);
    u += du;
    v += dv;
  }
  const xi = w.cd[0][0] * u + w.cd[0][1] * v;
  const eta = w.cd[1][0] * u + w.cd[1][1] * v;
  return deprojectTan(p.rot, xi, eta);
}

function skyToPixelPrepared(
  p: Prepared,
  raDeg: number,
  decDeg: number,
  opts?: SkyToPixelOptions,
): PixelPosition | null {
  const t = projectTan(p.rot, raDeg, decDeg);
  if (!t) return null;
  const [i11, i12, i21, i22] = p.inv;
  let u = i11 * t.xiDeg + i12 * t.etaDeg;
  let v = i21 * t.xiDeg + i22 * t.etaDeg;
  if (p.wcs.sip) {
    const s = sipInverse(p.wcs.sip, u, v, opts?.sipInverse ?? "newton");
    if (!s) return null;
    [u, v] = s;
  }
  return { x: u + p.wcs.crpix[0], y: v + p.wcs.crpix[1] };
}

/** Pixel (1-based FITS, px) → sky (deg, RA in [0, 360)). */
export function pixelToSky(wcs: TanWcs, x: number, y: number): SkyPosition {
  return pixelToSkyPrepared(prepare(wcs), x, y);
}

/**
 * Sky (deg) → pixel (1-based FITS, px). Null when the point is 90° or more from the tangent point (behind
 * the tangent plane) or when the SIP inverse does not converge.
 */
export function skyToPixel(
  wcs: TanWcs,
  raDeg: number,
  decDeg: number,
  opts?: SkyToPixelOptions,
): PixelPosition | null {
  return skyToPixelPrepared(prepare(wcs), raDeg, decDeg, opts);
}

type NumArray = ArrayLike<number>;

/** Batch pixel → sky over arrays (1-based px in, deg out). */
export function pixelsToSky(
  wcs: TanWcs,
  xs: NumArray,
  ys: NumArray,
  outRa: Float64Array,
  outDec: Float64Array,
): void {
  const p = prepare(wcs);
  for (let i = 0; i < xs.length; i++) {
    const s = pixelToSkyPrepared(p, xs[i], ys[i]);
    outRa[i] = s.raDeg;
    outDec[i] = s.decDeg;
  }
}

/** Batch sky → pixel; unprojectable points get NaN. Returns the number of NaN outputs. */
export function skyToPixels(
  wcs: TanWcs,
  raDeg: NumArray,
  decDeg: NumArray,
  outX: Float64Array,
  outY: Float64Array,
  opts?: SkyToPixelOptions,
): number {
  const p = prepare(wcs);
  let bad = 0;
  for (let i = 0; i < raDeg.length; i++) {
    const q = skyToPixelPrepared(p, raDeg[i], decDeg[i], opts);
    outX[i] = q ? q.x : NaN;
    outY[i] = q ? q.y : NaN;
    if (!q) bad++;
  }
  return bad;
}

/** Mean pixel scale √|det CD| in arcsec/px (at the reference pixel, ignoring SIP). */
export function pixelScaleArcsec(wcs: TanWcs): number {
  const [[a, b], [c, d]] = wcs.cd;
  return Math.sqrt(Math.abs(a * d - b * c)) * 3600;
}

/**
 * Rotation (deg, (−180, 180]): the legacy CROTA2 that reproduces the CD matrix's y column with CDELT2 > 0
 * (Paper II eq. 189): ρ = atan2(−CD1_2, CD2_2); 0 when north is up. Parity is given by `isFlipped`.
 */
export function rotationDeg(wcs: TanWcs): number {
  const r = Math.atan2(-wcs.cd[0][1], wcs.cd[1][1]) / DEG;
  return r === -180 ? 180 : r + 0;
}

/** True when det CD > 0, i.e. RA increases with x when north is up (mirror image of the sky as seen). */
export function isFlipped(wcs: TanWcs): boolean {
  const [[a, b], [c, d]] = wcs.cd;
  return a * d - b * c > 0;
}
