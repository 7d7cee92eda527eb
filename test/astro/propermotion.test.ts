import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { angularSeparationDeg } from "../../src/astro/coords.ts";
import { julianYearFromMjd, mjdFromJulianYear, propagatePosition } from "../../src/astro/propermotion.ts";

/** 1 mas in degrees. */
const MAS = 1 / 3.6e6;

/**
 * Reference values from astropy 5.2.1 (Debian python3-astropy):
 *   SkyCoord(ra, dec, pm_ra_cosdec, pm_dec, obstime=Time(2016.0, format="jyear", scale="tcb"))
 *     .apply_space_motion(new_obstime=Time(mjd, format="mjd", scale="tcb"))
 * ERFA pmsafe (zero parallax and radial velocity) agrees with these to < 0.4 mas.
 */
const ASTROPY = [
  { name: "1″/yr at Dec 60°", ra: 150, dec: 60, pmra: 600, pmdec: 800, mjd: 61000, out: [150.00329596916754, 60.002197125785166] },
  { name: "Barnard's star (Gaia DR3 4472832130942575872) to J2000.0", ra: 269.44850252543836, dec: 4.739420051112412, pmra: -801.551, pmdec: 10362.394, mjd: 51544.5, out: [269.45207695865986, 4.693364968208639] },
  { name: "1″/yr 0.1° from the pole", ra: 10, dec: 89.9, pmra: 1000, pmdec: 0, mjd: 62000, out: [12.008604217257167, 89.8999385198325] },
  { name: "1″/yr across RA 0/360", ra: 359.9999, dec: -30, pmra: 1000, pmdec: -200, mjd: 60500, out: [0.0026322893272251423, -30.000473215926977] },
] as const; // prettier-ignore

describe("propagatePosition (proper motion from J2016.0)", () => {
  it.each(ASTROPY)("$name: astropy's position within 1 mas", (c) => {
    const p = propagatePosition(c.ra, c.dec, c.pmra, c.pmdec, 2016, julianYearFromMjd(c.mjd));
    expect(angularSeparationDeg(p.raDeg, p.decDeg, c.out[0], c.out[1])).toBeLessThan(MAS);
  });

  it("a star of 1″/yr due north has moved 10.5″ north after 10.5 years, RA unchanged", () => {
    const p = propagatePosition(83.2, -5.4, 0, 1000, 2016, 2026.5);
    expect((p.decDeg - -5.4) * 3600).toBeCloseTo(10.5, 6);
    expect(p.raDeg).toBeCloseTo(83.2, 12);
  });

  it("1″/yr due east at Dec 60° moves 2″ of RA per year (μα* = μα cos δ) and 1″ on the sky", () => {
    const p = propagatePosition(150, 60, 1000, 0, 2016, 2017);
    expect((p.raDeg - 150) * 3600).toBeCloseTo(2, 5);
    expect(angularSeparationDeg(150, 60, p.raDeg, p.decDeg) * 3600).toBeCloseTo(1, 8);
  });

  it("no proper motion (NaN, e.g. a 2-parameter Gaia source) or no time leaves the position alone", () => {
    expect(propagatePosition(10, 20, NaN, NaN, 2016, 2026)).toEqual({ raDeg: 10, decDeg: 20 });
    expect(propagatePosition(10, 20, 500, 500, 2016, 2016)).toEqual({ raDeg: 10, decDeg: 20 });
  });

  it("anywhere on the sky the star travels atan(|μ|·t): straight-line motion in space, seen from afar", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
        fc.double({ min: -89.99, max: 89.99, noNaN: true }),
        fc.double({ min: -5000, max: 5000, noNaN: true }),
        fc.double({ min: -5000, max: 5000, noNaN: true }),
        fc.double({ min: -30, max: 30, noNaN: true }),
        (ra, dec, pmra, pmdec, years) => {
          const there = propagatePosition(ra, dec, pmra, pmdec, 2016, 2016 + years);
          const arcMas = angularSeparationDeg(ra, dec, there.raDeg, there.decDeg) * 3.6e6;
          const expected =
            (Math.atan(Math.hypot(pmra, pmdec) * (Math.PI / 180 / 3.6e6) * Math.abs(years)) * 3.6e6) /
            (Math.PI / 180);
          return Math.abs(arcMas - expected) < 1e-3;
        },
      ),
      { seed: 7, numRuns: 2000 },
    );
  });

  it("Julian epochs: J2000.0 is MJD 51544.5, J2016.0 is MJD 57388.5 (JD 2457389.0)", () => {
    expect(julianYearFromMjd(51544.5)).toBe(2000);
    expect(julianYearFromMjd(57388.5)).toBe(2016);
    expect(mjdFromJulianYear(2016)).toBe(57388.5);
  });
});
