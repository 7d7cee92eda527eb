import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { angularSeparationDeg } from "../../src/astro/coords.ts";
import {
  airmass,
  altAzDeg,
  moonIllumination,
  moonPositionDeg,
  sunPositionDeg,
  sunSeparationDeg,
} from "../../src/astro/sun.ts";
import type { Site } from "../../src/astro/sun.ts";

const DEG = Math.PI / 180;
const MARCH_EQUINOX_2025 = new Date("2025-03-20T09:01:00Z"); // USNO: 2025 Mar 20 09:01 UT
const JUNE_SOLSTICE_2025 = new Date("2025-06-21T02:42:00Z"); // USNO: 2025 Jun 21 02:42 UT
const WARSAW: Site = { latDeg: 52.2, lonDeg: 21.0, heightM: 100 };
const LA_SILLA: Site = { latDeg: -29.257, lonDeg: -70.738, heightM: 2400 };

const raDiff = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

/**
 * Independent reference: the Astronomical Almanac low-precision Sun (equator and equinox of date),
 * max error 0.016° over 1990–2040 (astro-notes §(f)).
 */
function almanacSun(date: Date): { raDeg: number; decDeg: number } {
  const n = date.getTime() / 86_400_000 + 40587 - 51544.5;
  const L = 280.46 + 0.9856474 * n;
  const g = (357.528 + 0.9856003 * n) * DEG;
  const lambda = (L + 1.915 * Math.sin(g) + 0.02 * Math.sin(2 * g)) * DEG;
  const eps = (23.439 - 0.0000004 * n) * DEG;
  const ra = Math.atan2(Math.cos(eps) * Math.sin(lambda), Math.cos(lambda)) / DEG;
  return { raDeg: (ra + 360) % 360, decDeg: Math.asin(Math.sin(eps) * Math.sin(lambda)) / DEG };
}

describe("sunPositionDeg", () => {
  it("puts the Sun at RA 0, Dec 0 (of date) at the 2025 March equinox", () => {
    const sun = sunPositionDeg(MARCH_EQUINOX_2025, "ofDate");
    expect(Math.abs(sun.decDeg)).toBeLessThan(0.02);
    expect(raDiff(sun.raDeg, 0)).toBeLessThan(0.02);
  });

  it("in J2000 the equinox Sun sits 25.2 yr of precession (1268″ along the ecliptic) west of RA 0", () => {
    // λ_J2000 = −5028.8″/cy × 0.2522 cy = −0.3522°; α = atan(cos ε tan λ), δ = asin(sin ε sin λ).
    const sun = sunPositionDeg(MARCH_EQUINOX_2025);
    expect(Math.abs(sun.raDeg - (360 - 0.3232))).toBeLessThan(0.003);
    expect(Math.abs(sun.decDeg - -0.1401)).toBeLessThan(0.003);
  });

  it("reaches Dec = obliquity of date (23.436°) at the 2025 June solstice", () => {
    const sun = sunPositionDeg(JUNE_SOLSTICE_2025, "ofDate");
    expect(Math.abs(sun.decDeg - 23.436)).toBeLessThan(0.01);
    expect(raDiff(sun.raDeg, 90)).toBeLessThan(0.02);
  });

  it("agrees with the Astronomical Almanac low-precision formula within 0.02° over 1990–2040", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), (ms) => {
        const date = new Date(ms);
        const ours = sunPositionDeg(date, "ofDate");
        const ref = almanacSun(date);
        expect(angularSeparationDeg(ours.raDeg, ours.decDeg, ref.raDeg, ref.decDeg)).toBeLessThan(0.02);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("returns NaN for an invalid Date instead of throwing", () => {
    expect(sunPositionDeg(new Date("nonsense")).raDeg).toBeNaN();
    expect(moonPositionDeg(new Date(Number.NaN)).decDeg).toBeNaN();
  });
});

describe("sunSeparationDeg", () => {
  it("is 0 at the Sun's own J2000 position and 180 at the antisolar point", () => {
    const date = new Date("2024-03-15T21:30:00Z");
    const sun = sunPositionDeg(date);
    expect(sunSeparationDeg(sun.raDeg, sun.decDeg, date)).toBeLessThan(1e-9);
    expect(sunSeparationDeg(sun.raDeg + 180, -sun.decDeg, date)).toBeGreaterThan(180 - 1e-9);
  });

  it("uses J2000: at the 2025 June solstice the J2000 (90, +23.44) is 0.35° (precession) from the Sun", () => {
    // The of-date Sun is at (90, 23.436); J2000 coordinates trail it by 1268″ along the ecliptic (± nutation).
    expect(Math.abs(sunSeparationDeg(90, 23.436, JUNE_SOLSTICE_2025) - 0.352)).toBeLessThan(0.01);
    expect(Math.abs(sunSeparationDeg(270, -23.436, JUNE_SOLSTICE_2025) - (180 - 0.352))).toBeLessThan(0.01);
    const [j2000, ofDate] = [
      sunPositionDeg(JUNE_SOLSTICE_2025),
      sunPositionDeg(JUNE_SOLSTICE_2025, "ofDate"),
    ];
    expect(
      Math.abs(angularSeparationDeg(j2000.raDeg, j2000.decDeg, ofDate.raDeg, ofDate.decDeg) - 0.352),
    ).toBeLessThan(0.01);
  });
});

describe("Moon", () => {
  it("is full (> 0.999) at 2025-03-14T06:55Z and new (< 0.001) at 2025-03-29T10:58Z (USNO phases)", () => {
    expect(moonIllumination(new Date("2025-03-14T06:55:00Z"))).toBeGreaterThan(0.999);
    expect(moonIllumination(new Date("2025-03-29T10:58:00Z"))).toBeLessThan(0.001);
  });

  it("is half lit at first quarter 2025-03-06T16:32Z", () => {
    expect(moonIllumination(new Date("2025-03-06T16:32:00Z"))).toBeCloseTo(0.5, 1);
  });

  it("is within 0.5° of the antisolar point at the total lunar eclipse of 2025-03-14 (gamma 0.35)", () => {
    const date = new Date("2025-03-14T06:59:00Z");
    const moon = moonPositionDeg(date);
    expect(sunSeparationDeg(moon.raDeg, moon.decDeg, date)).toBeGreaterThan(179.5);
  });

  it("is 0.9–1.5° from the Sun (geocentric) at the partial solar eclipse of 2025-03-29 (gamma 1.04)", () => {
    const date = new Date("2025-03-29T10:47:00Z");
    const moon = moonPositionDeg(date);
    const sep = sunSeparationDeg(moon.raDeg, moon.decDeg, date);
    expect(sep).toBeGreaterThan(0.9);
    expect(sep).toBeLessThan(1.5);
  });
});

describe("altAzDeg", () => {
  /** Textbook alt/az from the hour angle, with GMST = 18.697374558 h + 24.06570982441908 h × (JD − 2451545). */
  function textbookAltAz(raDeg: number, decDeg: number, date: Date, site: Site) {
    const d = date.getTime() / 86_400_000 + 2440587.5 - 2451545;
    const lstDeg = (18.697374558 + 24.06570982441908 * d) * 15 + site.lonDeg;
    const h = (lstDeg - raDeg) * DEG;
    const [phi, dec] = [site.latDeg * DEG, decDeg * DEG];
    const alt = Math.asin(Math.sin(phi) * Math.sin(dec) + Math.cos(phi) * Math.cos(dec) * Math.cos(h));
    const az = Math.atan2(
      -Math.cos(dec) * Math.sin(h),
      Math.sin(dec) * Math.cos(phi) - Math.cos(dec) * Math.sin(phi) * Math.cos(h),
    );
    return { altDeg: alt / DEG, azDeg: (((az / DEG) % 360) + 360) % 360 };
  }

  it("matches the hour-angle formulae within 0.02° near J2000.0 (precession negligible), both hemispheres", () => {
    const j2000 = Date.UTC(2000, 0, 1, 12);
    fc.assert(
      fc.property(
        fc.integer({ min: j2000 - 5 * 86_400_000, max: j2000 + 5 * 86_400_000 }),
        fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.boolean(),
        (ms, ra, dec, north) => {
          const site = north ? WARSAW : LA_SILLA;
          const date = new Date(ms);
          const ours = altAzDeg(ra, dec, date, site);
          const ref = textbookAltAz(ra, dec, date, site);
          expect(Math.abs(ours.altDeg - ref.altDeg)).toBeLessThan(0.02);
          if (ref.altDeg < 70) expect(raDiff(ours.azDeg, ref.azDeg)).toBeLessThan(0.05);
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });

  it("puts a target on the meridian at alt = 90 − |φ − δ|, azimuth 180 (south)", () => {
    const date = new Date("2000-01-01T12:00:00Z");
    const lstDeg = 18.697374558 * 15 + WARSAW.lonDeg;
    const { altDeg, azDeg } = altAzDeg(lstDeg, 20, date, WARSAW);
    expect(Math.abs(altDeg - (90 - (52.2 - 20)))).toBeLessThan(0.01);
    expect(Math.abs(azDeg - 180)).toBeLessThan(0.05);
  });

  it("sees the J2000 pole at altitude ≈ latitude in 2025 (pole moved 0.14° by precession), to the north", () => {
    const { altDeg, azDeg } = altAzDeg(0, 90, new Date("2025-06-01T00:00:00Z"), WARSAW);
    expect(Math.abs(altDeg - WARSAW.latDeg)).toBeLessThan(0.15);
    expect(raDiff(azDeg, 0)).toBeLessThan(0.3);
  });

  it("adds about 1′ of refraction at 45° altitude and ≈ 29′ at the horizon (Saemundsson)", () => {
    const date = new Date("2000-01-01T12:00:00Z");
    const lstDeg = 18.697374558 * 15 + WARSAW.lonDeg;
    const at45 = altAzDeg(lstDeg, 52.2 - 45, date, WARSAW);
    expect(Math.abs(at45.altDeg - 45)).toBeLessThan(0.02);
    expect((at45.apparentAltDeg - at45.altDeg) * 60).toBeGreaterThan(0.95);
    expect((at45.apparentAltDeg - at45.altDeg) * 60).toBeLessThan(1.05);
    const atHorizon = altAzDeg(lstDeg + 180, 90 - 52.2, date, WARSAW); // lower culmination, alt ≈ 0
    expect(Math.abs(atHorizon.altDeg)).toBeLessThan(0.02);
    expect((atHorizon.apparentAltDeg - atHorizon.altDeg) * 60).toBeCloseTo(29, 0);
  });

  it("returns NaN for non-finite input or an impossible latitude", () => {
    expect(altAzDeg(Number.NaN, 0, new Date(), WARSAW).altDeg).toBeNaN();
    expect(altAzDeg(0, 0, new Date(), { latDeg: 91, lonDeg: 0, heightM: 0 }).azDeg).toBeNaN();
  });
});

describe("airmass (Pickering 2002)", () => {
  it("is 1 at the zenith, 2 at 30° (≈ sec z), ≈ 38.7 at the horizon", () => {
    expect(airmass(90)).toBeCloseTo(1, 6);
    expect(airmass(30)).toBeCloseTo(1.9932, 4);
    expect(airmass(0)).toBeCloseTo(38.749, 2);
  });

  it("is within 0.3 % of Kasten & Young (1989) above 5° and of sec z within 0.2 % above 45°", () => {
    const kastenYoung = (h: number) => 1 / (Math.cos((90 - h) * DEG) + 0.50572 * (6.07995 + h) ** -1.6364);
    for (let h = 5; h <= 90; h += 0.5) {
      const x = airmass(h) as number;
      expect(Math.abs(x / kastenYoung(h) - 1)).toBeLessThan(0.003);
      if (h >= 45) expect(Math.abs(x * Math.sin(h * DEG) - 1)).toBeLessThan(0.002);
    }
  });

  it("decreases monotonically with altitude", () => {
    for (let h = 0; h < 90; h += 0.25)
      expect(airmass(h) as number).toBeGreaterThan(airmass(h + 0.25) as number);
  });

  it.each([-0.1, -30, 90.5, Number.NaN])("is null for altitude %d", (h) => {
    expect(airmass(h)).toBeNull();
  });
});
