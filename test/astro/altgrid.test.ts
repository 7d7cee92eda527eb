/**
 * Altitudes on a shared time grid (for whole target lists) against the per-target computation, and the
 * grid's windows against the exactly refined ones.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  airmassAt,
  altitudeAt,
  altitudeGrid,
  altitudesOnGrid,
  windowsAbove,
} from "../../src/astro/altgrid.ts";
import { computeNight } from "../../src/astro/night.ts";
import {
  airmassHardie,
  apparentAltitudeDeg,
  intervalsWhere,
  targetAltitudeDeg,
} from "../../src/astro/visibility.ts";

const SITE = { latDeg: 28.7606, lonDeg: -17.8792, heightM: 2326 };
const SOUTH = { latDeg: -65, lonDeg: -64, heightM: 10 };

describe("altitudes on a grid", () => {
  it("equal the per-target altitudes over the whole sky (to 1e-6°), both hemispheres", () => {
    for (const site of [SITE, SOUTH]) {
      const span = { start: new Date("2025-03-20T19:00:00Z"), end: new Date("2025-03-21T07:00:00Z") };
      const grid = altitudeGrid(site, span, 30);
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
          fc.double({ min: -90, max: 90, noNaN: true }),
          (ra, dec) => {
            const alts = altitudesOnGrid(grid, ra, dec);
            for (let k = 0; k < grid.timesMs.length; k += 5) {
              const exact = targetAltitudeDeg(ra, dec, new Date(grid.timesMs[k]), site);
              expect(Math.abs(alts[k] - exact)).toBeLessThan(1e-6);
            }
          },
        ),
        { seed: 11, numRuns: 200 },
      );
    }
  });

  it("windows above a limit agree with the bisection-refined ones within 30 s", () => {
    const night = computeNight(SITE, "2025-03-20");
    const dark = night.dark!;
    const grid = altitudeGrid(SITE, dark, 5);
    for (const [ra, dec] of [
      [160, 14],
      [100, -20],
      [250, 60],
      [30, 45],
    ]) {
      const got = windowsAbove(grid, altitudesOnGrid(grid, ra, dec), 30);
      const exact = intervalsWhere((t) => targetAltitudeDeg(ra, dec, t, SITE) - 30, dark.start, dark.end, 1);
      expect(got.length).toBe(exact.length);
      got.forEach((w, i) => {
        expect(Math.abs(w.start.getTime() - exact[i].start.getTime())).toBeLessThan(30_000);
        expect(Math.abs(w.end.getTime() - exact[i].end.getTime())).toBeLessThan(30_000);
      });
    }
  });

  it("interpolated altitude and airmass between grid times", () => {
    const span = { start: new Date("2025-03-20T22:00:00Z"), end: new Date("2025-03-21T02:00:00Z") };
    const grid = altitudeGrid(SITE, span, 5);
    const alts = altitudesOnGrid(grid, 160, 14);
    const t = new Date("2025-03-20T23:12:30Z");
    const exact = targetAltitudeDeg(160, 14, t, SITE);
    expect(Math.abs(altitudeAt(grid, alts, t) - exact)).toBeLessThan(0.01);
    expect(airmassAt(grid, alts, t)).toBeCloseTo(airmassHardie(apparentAltitudeDeg(exact)) as number, 3);
    expect(altitudeAt(grid, alts, new Date("2025-03-20T21:00:00Z"))).toBe(alts[0]);
  });
});
