import { describe, expect, it } from "vitest";
import { BOX_PAD, coneQuery, inBox, inCone, inConeVector } from "../../src/astro/cone.ts";
import type { Cone } from "../../src/astro/cone.ts";
import { angularSeparationDeg, raDecFromUnitVector, unitVector } from "../../src/astro/coords.ts";
import type { Vec3 } from "../../src/astro/coords.ts";

const DEG = Math.PI / 180;

/** Mulberry32: small seeded PRNG so every run draws the same cones. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cone(raDeg: number, decDeg: number, radiusDeg: number): Cone {
  const r = coneQuery(raDeg, decDeg, radiusDeg);
  if (!r.ok) throw new Error(r.error);
  return r.cone;
}

/** Point at angular distance dRad from unit vector c, in direction paRad (exact construction on the sphere). */
function offsetPoint(c: Vec3, dRad: number, paRad: number): Vec3 {
  // Orthonormal basis (u, w) perpendicular to c.
  const helper: Vec3 = Math.abs(c[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const u0: Vec3 = [
    helper[1] * c[2] - helper[2] * c[1],
    helper[2] * c[0] - helper[0] * c[2],
    helper[0] * c[1] - helper[1] * c[0],
  ];
  const n = Math.hypot(...u0);
  const u: Vec3 = [u0[0] / n, u0[1] / n, u0[2] / n];
  const w: Vec3 = [c[1] * u[2] - c[2] * u[1], c[2] * u[0] - c[0] * u[2], c[0] * u[1] - c[1] * u[0]];
  const [cd, sd, cp, sp] = [Math.cos(dRad), Math.sin(dRad), Math.cos(paRad), Math.sin(paRad)];
  return [0, 1, 2].map((i) => c[i] * cd + (u[i] * cp + w[i] * sp) * sd) as Vec3;
}

describe("coneQuery: input checks", () => {
  it.each([
    [10, 20, 0, "radius"],
    [10, 20, -1, "radius"],
    [10, 20, 180.0001, "radius"],
    [10, 20, Number.NaN, "radius"],
    [10, 91, 1, "Dec"],
    [Number.POSITIVE_INFINITY, 0, 1, "RA"],
  ])("rejects (%d, %d, r = %d) naming the %s", (ra, dec, r, field) => {
    const res = coneQuery(ra, dec, r);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toContain(field);
  });

  it("accepts r = 180 as the whole sky, antipode included", () => {
    const c = cone(0, 0, 180);
    expect(inCone(c, 180, 0)).toBe(true);
    expect(inBox(c.box, unitVector(180, 0))).toBe(true);
    expect(c.box).toEqual({ xMin: -1, xMax: 1, yMin: -1, yMax: 1, zMin: -1, zMax: 1 });
  });
});

describe("coneQuery: analytic boxes", () => {
  it("cone on the north pole, r = 10°: z ∈ [cos 10°, 1], x, y ∈ ±sin 10°", () => {
    const { box, minDot } = cone(123, 90, 10);
    expect(minDot).toBeCloseTo(Math.cos(10 * DEG), 15);
    expect(box.zMin).toBeCloseTo(Math.cos(10 * DEG) - BOX_PAD, 15);
    expect(box.zMax).toBe(1);
    for (const [lo, hi] of [
      [box.xMin, box.xMax],
      [box.yMin, box.yMax],
    ]) {
      expect(lo).toBeCloseTo(-Math.sin(10 * DEG) - BOX_PAD, 14);
      expect(hi).toBeCloseTo(Math.sin(10 * DEG) + BOX_PAD, 14);
    }
  });

  it("cone at (0, 0), r = 1°: x ∈ [cos 1°, 1], y and z ∈ ±sin 1°", () => {
    const { box } = cone(0, 0, 1);
    expect(box.xMin).toBeCloseTo(Math.cos(DEG) - BOX_PAD, 15);
    expect(box.xMax).toBe(1);
    expect(box.yMax).toBeCloseTo(Math.sin(DEG) + BOX_PAD, 15);
    expect(box.zMin).toBeCloseTo(-Math.sin(DEG) - BOX_PAD, 15);
  });

  it("crosses RA 0/360: cone at RA 359.9 holds RA 0.3 but not RA 0.5", () => {
    const c = cone(359.9, 0, 0.5);
    expect(inCone(c, 0.3, 0)).toBe(true);
    expect(inBox(c.box, unitVector(0.3, 0))).toBe(true);
    expect(inCone(c, 0.5, 0)).toBe(false);
    expect(inCone(c, 359.41, 0)).toBe(true);
  });

  it("a cone containing the south pole holds points on the far side of the pole", () => {
    const c = cone(10, -88, 5);
    expect(c.box.zMin).toBe(-1);
    expect(inCone(c, 190, -87.5)).toBe(true); // 4.5° away across the pole
    expect(inCone(c, 190, -86.5)).toBe(false); // 5.5° away
  });

  it("each box edge is reached by a point on the cap's edge (the box is exact, not just safe)", () => {
    const rand = mulberry32(7);
    for (let k = 0; k < 300; k++) {
      const c = cone(360 * rand(), -90 + 180 * rand(), 0.01 + 60 * rand());
      const r = c.radiusDeg * DEG;
      const axes: Vec3[] = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ];
      axes.forEach((e, i) => {
        const thetaC = Math.acos(Math.max(-1, Math.min(1, c.centre[i])));
        const [lo, hi] = [
          [c.box.xMin, c.box.xMax],
          [c.box.yMin, c.box.yMax],
          [c.box.zMin, c.box.zMax],
        ][i];
        if (thetaC > r) {
          // Point of the cap nearest the axis: rotate the centre towards e by r.
          const perp = c.centre.map((x, j) => e[j] - c.centre[i] * x);
          const n = Math.hypot(...perp);
          const p = c.centre.map((x, j) => x * Math.cos(r) + (perp[j] / n) * Math.sin(r)) as Vec3;
          expect(Math.abs(p[i] - (hi - BOX_PAD))).toBeLessThan(1e-9);
        } else {
          expect(hi).toBe(1);
        }
        if (thetaC + r < Math.PI) expect(lo).toBeCloseTo(Math.cos(thetaC + r) - BOX_PAD, 9);
        else expect(lo).toBe(-1);
      });
    }
  });
});

describe("coneQuery: 10 000 random cones against exact separations", () => {
  it("box contains every point with separation ≤ r; inCone agrees with the separation outside a tolerance band", () => {
    const rand = mulberry32(42);
    let inside = 0;
    let outside = 0;
    let nearEdge = 0;
    for (let k = 0; k < 10_000; k++) {
      // Centres: a quarter near RA 0/360, a quarter at |Dec| > 85, the rest anywhere.
      const kind = k % 4;
      const ra = kind === 0 ? (rand() - 0.5) * 2 : 360 * rand();
      const dec =
        kind === 1
          ? (rand() < 0.5 ? -1 : 1) * (85 + 5 * rand())
          : (Math.asin(2 * rand() - 1) * 180) / Math.PI;
      // Radii log-uniform from 1″ to 180°, plus some exact 90° and 180° cones.
      const radiusDeg =
        k % 97 === 0 ? 180 : k % 89 === 0 ? 90 : Math.exp(Math.log(1 / 3600) + rand() * Math.log(648000));
      const c = cone(ra, dec, radiusDeg);
      // Tolerance band for the dot-product edge: 1e-9° or the documented 1e-15 / sin r rad, whichever is
      // larger; none for the 180° cone, which must accept everything.
      const tolDeg = radiusDeg === 180 ? 0 : Math.max(1e-9, 1e-15 / Math.sin(radiusDeg * DEG) / DEG);
      for (let j = 0; j < 12; j++) {
        let v: Vec3;
        if (j < 4) {
          // Uniform on the sphere.
          const z = 2 * rand() - 1;
          const phi = 2 * Math.PI * rand();
          v = [Math.sqrt(1 - z * z) * Math.cos(phi), Math.sqrt(1 - z * z) * Math.sin(phi), z];
        } else {
          // Near the cone: distance from 0 to 1.5 r, half of them within ±10 % of the edge.
          const f = j < 8 ? 1.5 * rand() : 0.9 + 0.2 * rand();
          v = offsetPoint(c.centre, Math.min(f * radiusDeg, 180) * DEG, 2 * Math.PI * rand());
        }
        const p = raDecFromUnitVector(v);
        const sep = angularSeparationDeg(ra, dec, p.raDeg, p.decDeg);
        const stored = unitVector(p.raDeg, p.decDeg); // what the cx, cy, cz columns would hold
        if (sep <= radiusDeg) {
          expect(inBox(c.box, stored), `box misses point at ${sep}° of cone r=${radiusDeg}`).toBe(true);
          inside++;
        } else {
          outside++;
        }
        if (sep <= radiusDeg - tolDeg) expect(inConeVector(c, stored)).toBe(true);
        else if (sep > radiusDeg + tolDeg) expect(inCone(c, p.raDeg, p.decDeg)).toBe(false);
        else nearEdge++;
      }
    }
    // The sample really exercises both sides of the edge.
    expect(inside).toBeGreaterThan(30_000);
    expect(outside).toBeGreaterThan(30_000);
    expect(nearEdge).toBeLessThan(100);
  });
});
