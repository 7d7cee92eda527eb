/**
 * Covering a spherical cap with smaller caps (tiles): how a large cone is fetched from an archive piece by
 * piece (each piece a query of bounded size, each one a resumable step).
 *
 * Method: a square grid in the gnomonic (tangent-plane) projection centred on the cap. The cap of radius R
 * maps to the disc ρ ≤ tan R (ρ = tan θ for a point at angle θ from the centre). A grid of spacing s has
 * squares whose circumscribed circles have radius s/√2; choosing s = √2·t, every point of the plane is
 * within t of some grid node. The gnomonic map from the plane back to the sphere shrinks every length
 * (scale factors 1/(1 + ρ²) radially and 1/√(1 + ρ²) across, both ≤ 1), so every point of the cap is
 * within the angle t of the tile centred on its node's image. Only squares meeting the disc are kept.
 * Tile centres come from the plane point ξ·e + η·n + c (e, n: local east and north unit vectors at the
 * centre c), normalised, so RA 0/360 and the poles need no special case. R must be below 90°.
 */
import type { Vec3 } from "./coords.ts";
import { angularSeparationDeg, raDecFromUnitVector, unitVector } from "./coords.ts";

const DEG = Math.PI / 180;

export interface Tile {
  raDeg: number;
  decDeg: number;
  radiusDeg: number;
}

/**
 * Tiles of radius `tileRadiusDeg` covering the cap of radius `radiusDeg` around (raDeg, decDeg); the cap
 * itself (one tile) when it is no larger than a tile. Ordered row by row from south to north, west to east
 * within a row, so a prefetch progresses visibly across the field.
 */
export function tilesCoveringCap(
  raDeg: number,
  decDeg: number,
  radiusDeg: number,
  tileRadiusDeg: number,
): Tile[] {
  if (!(radiusDeg > 0 && radiusDeg < 90)) throw new RangeError("cap radius must be in (0, 90) deg");
  if (!(tileRadiusDeg > 0)) throw new RangeError("tile radius must be > 0 deg");
  if (radiusDeg <= tileRadiusDeg) return [{ raDeg, decDeg, radiusDeg }];
  const c = unitVector(raDeg, decDeg);
  const [a, d] = [raDeg * DEG, decDeg * DEG];
  const east: Vec3 = [-Math.sin(a), Math.cos(a), 0];
  const north: Vec3 = [-Math.sin(d) * Math.cos(a), -Math.sin(d) * Math.sin(a), Math.cos(d)];
  const rho = Math.tan(radiusDeg * DEG);
  const s = Math.SQRT2 * tileRadiusDeg * DEG;
  const n = Math.ceil(rho / s);
  const tiles: Tile[] = [];
  for (let j = -n; j <= n; j++) {
    for (let i = -n; i <= n; i++) {
      const [xi, eta] = [i * s, j * s];
      // Distance from the origin to the nearest point of the square [xi ± s/2] × [eta ± s/2].
      const dx = Math.max(0, Math.abs(xi) - s / 2);
      const dy = Math.max(0, Math.abs(eta) - s / 2);
      if (Math.hypot(dx, dy) > rho) continue;
      const v: Vec3 = [
        c[0] + xi * east[0] + eta * north[0],
        c[1] + xi * east[1] + eta * north[1],
        c[2] + xi * east[2] + eta * north[2],
      ];
      tiles.push({ ...raDecFromUnitVector(v), radiusDeg: tileRadiusDeg });
    }
  }
  return tiles;
}

/**
 * True when the cap (raDeg, decDeg, radiusDeg) lies inside the cap (outer…): the centres' separation plus
 * the inner radius does not exceed the outer radius (within `slackDeg`, default 1e-9° for rounding).
 */
export function capInsideCap(
  raDeg: number,
  decDeg: number,
  radiusDeg: number,
  outer: { raDeg: number; decDeg: number; radiusDeg: number },
  slackDeg = 1e-9,
): boolean {
  return (
    angularSeparationDeg(raDeg, decDeg, outer.raDeg, outer.decDeg) + radiusDeg <= outer.radiusDeg + slackDeg
  );
}
