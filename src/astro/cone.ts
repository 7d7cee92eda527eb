/**
 * Cone search on unit-vector columns (cx, cy, cz) = [cos δ cos α, cos δ sin α, sin δ].
 *
 * A cone (spherical cap) of angular radius r around the unit vector c is the set { p : p·c ≥ cos r }.
 * Working with unit vectors removes the RA 0/360 wrap and the pole singularity altogether.
 * The query has two stages, both index-friendly in SQL:
 *   1. a bounding box in unit-vector space, `cx BETWEEN xMin AND xMax AND cy ... AND cz ...`, which can
 *      use B-tree indexes and never loses a point of the cone;
 *   2. the exact test `cx*x + cy*y + cz*z >= minDot` (the same test as {@link inCone}).
 *
 * Bounding box (exact extremes of the cap, per axis). Let e be an axis unit vector and
 * θc = ∠(c, e) ∈ [0, π]. By the triangle inequality on the sphere every p in the cap has
 * ∠(p, e) ∈ [max(θc − r, 0), min(θc + r, π)], and both ends are reached on the great circle through
 * e and c. Because cos is decreasing on [0, π], the cap's range of the coordinate p·e is
 *   [cos(min(θc + r, π)), cos(max(θc − r, 0))].
 * When θc ≤ r the cap contains the axis itself (e.g. a pole for z) and the upper bound is 1. θc is computed
 * as atan2(√(1 − c_e²) via the other two components, c_e), accurate at 0 and π. Each bound is then widened
 * by {@link BOX_PAD} so that rounding in either the bound or a stored column cannot drop a point.
 *
 * Precision of the dot-product test: the computed p·c carries an absolute rounding error of ≲ 1e-15, which
 * is an angular uncertainty of ≈ 1e-15 / sin r rad at the edge: 1e-10° for r = 1′, 1.2e-8° (43 µas) for
 * r = 1″. This is far below catalogue errors; a caller needing µas edges at sub-arcsecond radii should
 * compare separations instead (chord |p − c|² ≤ 4 sin²(r/2) is the well-conditioned form for small r).
 */

import { unitVector } from "./coords.ts";
import type { Vec3 } from "./coords.ts";

const DEG = Math.PI / 180;

/** Outward padding of every bounding-box edge, in unit-vector components (≈ 1e4 × double rounding). */
export const BOX_PAD = 1e-12;

/** Axis-aligned box in unit-vector space, each range within [−1, 1]. */
export interface UnitVectorBox {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  zMin: number;
  zMax: number;
}

/** Everything a cone search needs: centre vector, exact threshold, and the prefilter box. */
export interface Cone {
  raDeg: number;
  decDeg: number;
  radiusDeg: number;
  /** Unit vector of the cone centre. */
  centre: Vec3;
  /** cos(radius) (−2 for a 180° cone): a point p is in the cone when p·centre ≥ minDot. */
  minDot: number;
  /** Box guaranteed to contain every point of the cone. */
  box: UnitVectorBox;
}

export type ConeResult = { ok: true; cone: Cone } | { ok: false; error: string };

/**
 * Range of the coordinate along one axis over the cap: [cos(min(θc + r, π)), cos(max(θc − r, 0))],
 * padded by BOX_PAD and clipped to [−1, 1]. `along` is c·e, `across` is the length of c's other part.
 */
function axisRange(along: number, across: number, radiusRad: number): [number, number] {
  const thetaC = Math.atan2(across, along);
  const lo = Math.cos(Math.min(thetaC + radiusRad, Math.PI));
  const hi = Math.cos(Math.max(thetaC - radiusRad, 0));
  return [Math.max(lo - BOX_PAD, -1), Math.min(hi + BOX_PAD, 1)];
}

/**
 * Build a cone search around (raDeg, decDeg) with radius radiusDeg ∈ (0, 180].
 * RA may be any finite number (it is wrapped); Dec must be in [−90, 90]. Invalid input gives
 * `{ ok: false, error }`.
 */
export function coneQuery(raDeg: number, decDeg: number, radiusDeg: number): ConeResult {
  if (!Number.isFinite(raDeg)) return { ok: false, error: `cone RA ${raDeg} is not a finite number` };
  if (!Number.isFinite(decDeg) || decDeg < -90 || decDeg > 90) {
    return { ok: false, error: `cone Dec ${decDeg} is outside -90..+90 degrees` };
  }
  if (!Number.isFinite(radiusDeg) || radiusDeg <= 0 || radiusDeg > 180) {
    return { ok: false, error: `cone radius ${radiusDeg} must be in (0, 180] degrees` };
  }
  const centre = unitVector(raDeg, decDeg);
  const [x, y, z] = centre;
  const r = radiusDeg * DEG;
  const [xMin, xMax] = axisRange(x, Math.hypot(y, z), r);
  const [yMin, yMax] = axisRange(y, Math.hypot(x, z), r);
  const [zMin, zMax] = axisRange(z, Math.hypot(x, y), r);
  // A 180° cone is the whole sky; −2 (not cos π = −1) so that a rounded dot of −1 − 2⁻⁵² still passes.
  const minDot = radiusDeg === 180 ? -2 : Math.cos(r);
  return {
    ok: true,
    cone: { raDeg, decDeg, radiusDeg, centre, minDot, box: { xMin, xMax, yMin, yMax, zMin, zMax } },
  };
}

/** True when the unit vector lies inside the box (inclusive edges). */
export function inBox(box: UnitVectorBox, v: Vec3): boolean {
  const [x, y, z] = v;
  return x >= box.xMin && x <= box.xMax && y >= box.yMin && y <= box.yMax && z >= box.zMin && z <= box.zMax;
}

/** Exact cone membership of a stored unit vector: p·centre ≥ cos(radius) (see precision note above). */
export function inConeVector(cone: Cone, v: Vec3): boolean {
  const [cx, cy, cz] = cone.centre;
  return v[0] * cx + v[1] * cy + v[2] * cz >= cone.minDot;
}

/** Exact cone membership of (raDeg, decDeg), via its unit vector and the dot-product test. */
export function inCone(cone: Cone, raDeg: number, decDeg: number): boolean {
  return inConeVector(cone, unitVector(raDeg, decDeg));
}
