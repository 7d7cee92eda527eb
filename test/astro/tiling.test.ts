import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { angularSeparationDeg, raDecFromUnitVector, unitVector } from "../../src/astro/coords.ts";
import { capInsideCap, tilesCoveringCap } from "../../src/astro/tiling.ts";
import { createRng } from "../../src/astro/synth/random.ts";

/** A point drawn uniformly in the cap (seeded): rotate a uniform point around the pole to the centre. */
function pointInCap(rng: ReturnType<typeof createRng>, ra: number, dec: number, radiusDeg: number) {
  const cosR = Math.cos((radiusDeg * Math.PI) / 180);
  const z = 1 - rng.next() * (1 - cosR);
  const phi = rng.next() * 2 * Math.PI;
  const s = Math.sqrt(1 - z * z);
  // point around +z, then rotate +z to the centre: tilt by (90° − dec) about y, turn by ra about z.
  const [x0, y0, z0] = [s * Math.cos(phi), s * Math.sin(phi), z];
  const t = ((90 - dec) * Math.PI) / 180;
  const [x1, z1] = [Math.cos(t) * x0 + Math.sin(t) * z0, -Math.sin(t) * x0 + Math.cos(t) * z0];
  const a = (ra * Math.PI) / 180;
  return raDecFromUnitVector([Math.cos(a) * x1 - Math.sin(a) * y0, Math.sin(a) * x1 + Math.cos(a) * y0, z1]);
}

describe("tilesCoveringCap", () => {
  it.each([
    [150, 2, 1, 0.25],
    [359.9, -30, 1, 0.25],
    [0.05, 10, 0.6, 0.1],
    [42, 89.5, 1, 0.2], // the pole inside the cap
    [300, -88, 3, 0.5],
    [10, 0, 5, 1],
  ])("cap (%f, %f, r %f°) in tiles of %f°: every point of the cap lies in a tile", (ra, dec, r, t) => {
    const tiles = tilesCoveringCap(ra, dec, r, t);
    const rng = createRng(Math.round(ra * 100 + dec));
    for (let k = 0; k < 4000; k++) {
      const p = pointInCap(rng, ra, dec, r);
      expect(angularSeparationDeg(ra, dec, p.raDeg, p.decDeg)).toBeLessThanOrEqual(r + 1e-9);
      const inside = tiles.some(
        (tile) => angularSeparationDeg(tile.raDeg, tile.decDeg, p.raDeg, p.decDeg) <= t,
      );
      if (!inside) throw new Error(`point ${p.raDeg}, ${p.decDeg} of the cap is in no tile`);
    }
    // every tile touches the cap, and the count is close to the area ratio
    for (const tile of tiles) {
      expect(angularSeparationDeg(ra, dec, tile.raDeg, tile.decDeg)).toBeLessThan(r + t);
    }
    const ideal = (Math.PI * (r / t) ** 2) / 2; // cap area π r² / square cell area 2 t²
    expect(tiles.length).toBeGreaterThanOrEqual(Math.floor(ideal));
    expect(tiles.length).toBeLessThan(ideal * 2.2 + 10);
  });

  it("the cap edge is covered too (points on the rim)", () => {
    const [ra, dec, r, t] = [120, 45, 1, 0.25];
    const tiles = tilesCoveringCap(ra, dec, r, t);
    const c = unitVector(ra, dec);
    expect(c[2]).toBeGreaterThan(0);
    for (let k = 0; k < 3600; k++) {
      const pa = (k / 10) * (Math.PI / 180);
      // destination point at distance r, position angle pa
      const [d1, a1, dd] = [(dec * Math.PI) / 180, (ra * Math.PI) / 180, (r * Math.PI) / 180];
      const d2 = Math.asin(Math.sin(d1) * Math.cos(dd) + Math.cos(d1) * Math.sin(dd) * Math.cos(pa));
      const a2 =
        a1 +
        Math.atan2(Math.sin(pa) * Math.sin(dd) * Math.cos(d1), Math.cos(dd) - Math.sin(d1) * Math.sin(d2));
      const [pRa, pDec] = [(a2 * 180) / Math.PI, (d2 * 180) / Math.PI];
      expect(
        tiles.some((tile) => angularSeparationDeg(tile.raDeg, tile.decDeg, pRa, pDec) <= t + 1e-12),
      ).toBe(true);
    }
  });

  it("a cap no larger than a tile is one tile, itself", () => {
    expect(tilesCoveringCap(10, 20, 0.2, 0.25)).toEqual([{ raDeg: 10, decDeg: 20, radiusDeg: 0.2 }]);
  });

  it("refuses a hemisphere or more, and a zero tile", () => {
    expect(() => tilesCoveringCap(0, 0, 90, 1)).toThrow(RangeError);
    expect(() => tilesCoveringCap(0, 0, 1, 0)).toThrow(RangeError);
  });
});

describe("capInsideCap", () => {
  it("inside, touching from inside, and poking out", () => {
    const outer = { raDeg: 150, decDeg: 2, radiusDeg: 1 };
    expect(capInsideCap(150, 2, 1, outer)).toBe(true);
    expect(capInsideCap(150.5, 2, 0.49, outer)).toBe(true);
    expect(capInsideCap(150.5, 2, 0.51, outer)).toBe(false);
    expect(capInsideCap(359.99, 0, 0.01, { raDeg: 0.01, decDeg: 0, radiusDeg: 0.05 })).toBe(true);
  });

  it("agrees with sampling: a cap is inside when all its sampled points are", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (offset, r) => {
          const outer = { raDeg: 200, decDeg: -40, radiusDeg: 0.6 };
          const inside = capInsideCap(200, -40 + offset, r, outer);
          return inside === offset + r <= 0.6 + 1e-9;
        },
      ),
      { seed: 3, numRuns: 500 },
    );
  });
});
