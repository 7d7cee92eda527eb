import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ICRS_TO_GALACTIC,
  angularSeparationDeg,
  equatorialFromGalactic,
  formatDecDms,
  formatRaHms,
  galacticFromEquatorial,
  normaliseRaDeg,
  parseDec,
  parseRa,
  raDecFromUnitVector,
  unitVector,
} from "../../src/astro/coords.ts";
import type { AngleResult, Vec3 } from "../../src/astro/coords.ts";

const RUNS = { seed: 42, numRuns: 2000 };
const raArb = fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true });
const decArb = fc.double({ min: -90, max: 90, noNaN: true });
const DEG = Math.PI / 180;

/** |a − b| for RA, taking the 0/360 wrap into account. */
const raDiff = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

function deg(r: AngleResult): number {
  if (!r.ok) throw new Error(r.error);
  return r.deg;
}

describe("normaliseRaDeg", () => {
  it.each([
    [-10, 350],
    [360, 0],
    [720.5, 0.5],
    [-360, 0],
    [-1e-15, 0], // 360 − 1e-15 rounds to 360 and must wrap to 0
    [359.999, 359.999],
  ])("%d → %d", (input, expected) => {
    expect(normaliseRaDeg(input)).toBeCloseTo(expected, 10);
  });

  it("maps −0 to +0 and keeps NaN", () => {
    expect(Object.is(normaliseRaDeg(-0), 0)).toBe(true);
    expect(normaliseRaDeg(Number.NaN)).toBeNaN();
  });

  it("always lands in [0, 360) and differs from the input by a multiple of 360", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        const r = normaliseRaDeg(x);
        expect(r >= 0 && r < 360).toBe(true);
        const k = (x - r) / 360;
        expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-9);
      }),
      RUNS,
    );
  });
});

describe("angularSeparationDeg (Vincenty)", () => {
  it.each([
    [0, 0, 90, 0, 90],
    [0, 0, 0, 90, 90],
    [0, 0, 180, 0, 180],
    [0, 89, 180, 89, 2],
    [359.5, 0, 0.5, 0, 1],
    [123.4, -56.7, 123.4, -56.7, 0],
  ])("(%d, %d)–(%d, %d) = %d°", (ra1, dec1, ra2, dec2, expected) => {
    expect(angularSeparationDeg(ra1, dec1, ra2, dec2)).toBeCloseTo(expected, 12);
  });

  it("matches astropy SkyCoord.separation to 1e-9°", () => {
    // astropy outputs printed as d:m:s: 3d48m10.29850788s, 58d32m02.29341082s, 94d50m09.37441133s
    const dms = (d: number, m: number, s: number) => d + m / 60 + s / 3600;
    expect(angularSeparationDeg(17.76, 13.45, 16.08, 16.89)).toBeCloseTo(dms(3, 48, 10.29850788), 9);
    expect(angularSeparationDeg(89.56, 5.43, 70.91, -50.86)).toBeCloseTo(dms(58, 32, 2.29341082), 9);
    expect(angularSeparationDeg(65.94, 5.84, 35.86, -88.84)).toBeCloseTo(dms(94, 50, 9.37441133), 9);
  });

  it("resolves a 1e-9° separation where acos is off by orders of magnitude", () => {
    const [a, b] = [unitVector(10, 0), unitVector(10, 1e-9)];
    const naive = Math.acos(a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / DEG;
    expect(Math.abs(naive - 1e-9)).toBeGreaterThan(1e-7); // acos is off by ~1000× here: the failure avoided
    expect(angularSeparationDeg(10, 0, 10, 1e-9)).toBeCloseTo(1e-9, 17);
    expect(angularSeparationDeg(0, 0, 1e-9, 0)).toBeCloseTo(1e-9, 17);
    expect(angularSeparationDeg(0, 60, 2e-9, 60) / 1e-9).toBeCloseTo(1, 5); // cos 60° = ½
  });

  it("is exact near 180° (antipodes and 180° − 1e-9°)", () => {
    expect(angularSeparationDeg(0, 1e-9, 180, 0)).toBeCloseTo(180 - 1e-9, 12);
    expect(angularSeparationDeg(45, 30, 225, -30)).toBeCloseTo(180, 12);
    fc.assert(
      fc.property(raArb, decArb, (ra, dec) => {
        expect(angularSeparationDeg(ra, dec, ra + 180, -dec)).toBeCloseTo(180, 9);
      }),
      RUNS,
    );
  });

  it("is 0 for identical points, symmetric, in [0, 180], and obeys the triangle inequality", () => {
    fc.assert(
      fc.property(raArb, decArb, raArb, decArb, raArb, decArb, (r1, d1, r2, d2, r3, d3) => {
        expect(angularSeparationDeg(r1, d1, r1, d1)).toBe(0);
        const s12 = angularSeparationDeg(r1, d1, r2, d2);
        expect(s12).toBe(angularSeparationDeg(r2, d2, r1, d1));
        expect(s12 >= 0 && s12 <= 180).toBe(true);
        const s13 = angularSeparationDeg(r1, d1, r3, d3);
        expect(s13).toBeLessThanOrEqual(s12 + angularSeparationDeg(r2, d2, r3, d3) + 1e-9);
      }),
      RUNS,
    );
  });

  it("agrees with the chord formula 2·asin(|u1 − u2| / 2) to 1e-10°", () => {
    fc.assert(
      fc.property(raArb, decArb, raArb, decArb, (r1, d1, r2, d2) => {
        const [a, b] = [unitVector(r1, d1), unitVector(r2, d2)];
        const chord = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        fc.pre(chord < 1.9); // asin is ill-conditioned near 180°
        const ref = (2 * Math.asin(chord / 2)) / DEG;
        expect(Math.abs(angularSeparationDeg(r1, d1, r2, d2) - ref)).toBeLessThan(1e-10);
      }),
      RUNS,
    );
  });
});

describe("unit vectors", () => {
  it("points the axes at (0,0), (90,0) and the north pole", () => {
    const close = (v: Vec3, e: Vec3) => v.forEach((c, i) => expect(c).toBeCloseTo(e[i], 15));
    close(unitVector(0, 0), [1, 0, 0]);
    close(unitVector(90, 0), [0, 1, 0]);
    close(unitVector(0, 90), [0, 0, 1]);
  });

  it("ra/dec → vector → ra/dec over the whole sky, including RA 0/360 and the poles", () => {
    fc.assert(
      fc.property(raArb, decArb, (ra, dec) => {
        const v = unitVector(ra, dec);
        expect(Math.hypot(...v)).toBeCloseTo(1, 15);
        const back = raDecFromUnitVector(v);
        expect(back.raDeg >= 0 && back.raDeg < 360).toBe(true);
        expect(Math.abs(back.decDeg - dec)).toBeLessThan(1e-12);
        expect(angularSeparationDeg(ra, dec, back.raDeg, back.decDeg)).toBeLessThan(1e-12);
        if (Math.abs(dec) < 89.9) expect(raDiff(back.raDeg, ra)).toBeLessThan(1e-10);
      }),
      RUNS,
    );
  });

  it("vector → ra/dec → vector, also for unnormalised vectors", () => {
    const comp = fc.double({ min: -1, max: 1, noNaN: true });
    fc.assert(
      fc.property(comp, comp, comp, (x, y, z) => {
        const n = Math.hypot(x, y, z);
        fc.pre(n > 1e-3);
        const { raDeg, decDeg } = raDecFromUnitVector([3 * x, 3 * y, 3 * z]);
        const v = unitVector(raDeg, decDeg);
        [x / n, y / n, z / n].forEach((c, i) => expect(Math.abs(v[i] - c)).toBeLessThan(1e-14));
      }),
      RUNS,
    );
  });
});

describe("galacticFromEquatorial (ICRS → Galactic, astropy construction)", () => {
  it("puts the Galactic centre at l ≈ 0, b ≈ 0 and the NGP/SGP at b = ±90 (1e-4°)", () => {
    const gc = galacticFromEquatorial(266.40499, -28.93617);
    expect(raDiff(gc.lDeg, 0)).toBeLessThan(1e-4);
    expect(Math.abs(gc.bDeg)).toBeLessThan(1e-4);
    expect(galacticFromEquatorial(192.85948, 27.12825).bDeg).toBeCloseTo(90, 4);
    expect(galacticFromEquatorial(12.85948, -27.12825).bDeg).toBeCloseTo(-90, 4);
  });

  it.each([
    // [ra, dec, l, b] from astropy SkyCoord(ra, dec, frame="icrs").galactic
    [10.68458, 41.26917, 121.17424181, -21.57288557], // M31, astropy documentation example
    [36.29, -89.65, 302.7750972419589, -27.449305272874522],
    [26.08, -85.56, 301.74280368040877, -31.44553874369167],
    [87.49, -55.21, 263.20082712187565, -30.601565158262577],
    [43.36, -42.13, 252.0084160039332, -60.99589684555455],
    [46.13, 38.07, 149.89629760344312, -17.736265747179765],
    [63.73, -17.87, 212.8716404141876, -42.41339322822954],
    [96.12, -68.81, 279.04297711968866, -27.574789971958776],
    [69.22, 52.71, 153.29198647738735, 3.6736736457467507],
  ])("(%d, %d) → l = %d, b = %d within 1e-6° (3.6 mas) of astropy", (ra, dec, l, b) => {
    const g = galacticFromEquatorial(ra, dec);
    expect(raDiff(g.lDeg, l)).toBeLessThan(1e-6);
    expect(Math.abs(g.bDeg - b)).toBeLessThan(1e-6);
  });

  it("matches the astropy 5.2.1 cross-checks in astro-notes §(f) to 1e-5°", () => {
    const a = galacticFromEquatorial(150, 2);
    expect(a.lDeg).toBeCloseTo(236.95458, 5);
    expect(a.bDeg).toBeCloseTo(41.90511, 5);
    const crab = galacticFromEquatorial(83.633, 22.0145);
    expect(Math.abs(crab.lDeg - 184.55742)).toBeLessThan(1e-5);
    expect(Math.abs(crab.bDeg - -5.78442)).toBeLessThan(1e-5);
  });

  it("uses a proper rotation within 1e-7 of the Hipparcos A_G matrix (ESA SP-1200 §1.5.3)", () => {
    const hip = [
      [-0.0548755604162154, -0.873437090234885, -0.4838350155487132],
      [0.4941094278755837, -0.4448296299600112, 0.746982244497219],
      [-0.8676661490190047, -0.1980763734312015, 0.4559837761750669],
    ];
    const a = ICRS_TO_GALACTIC;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        expect(Math.abs(a[i][j] - hip[i][j])).toBeLessThan(1e-7);
        const aaT = a[i][0] * a[j][0] + a[i][1] * a[j][1] + a[i][2] * a[j][2];
        expect(aaT).toBeCloseTo(i === j ? 1 : 0, 15);
      }
    }
    const det =
      a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
      a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
      a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    expect(det).toBeCloseTo(1, 15);
  });

  it("round-trips equatorial → galactic → equatorial and preserves separations", () => {
    fc.assert(
      fc.property(raArb, decArb, raArb, decArb, (r1, d1, r2, d2) => {
        const g1 = galacticFromEquatorial(r1, d1);
        const back = equatorialFromGalactic(g1.lDeg, g1.bDeg);
        expect(angularSeparationDeg(r1, d1, back.raDeg, back.decDeg)).toBeLessThan(1e-10);
        const g2 = galacticFromEquatorial(r2, d2);
        const sepEq = angularSeparationDeg(r1, d1, r2, d2);
        expect(angularSeparationDeg(g1.lDeg, g1.bDeg, g2.lDeg, g2.bDeg)).toBeCloseTo(sepEq, 9);
        expect(g1.lDeg >= 0 && g1.lDeg < 360 && Math.abs(g1.bDeg) <= 90).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("parseRa", () => {
  it.each(["17:45:40.04", "17 45 40.04", "17h45m40.04s", "17h 45m 40.04s", " 17:45:40.04 ", "17H45M40.04S"])(
    "%j = 266.41683°",
    (text) => {
      expect(deg(parseRa(text))).toBeCloseTo(266.416833333, 9);
    },
  );

  it("reads decimal-degree strings and numbers as degrees, and hh:mm.m as hours", () => {
    expect(deg(parseRa("266.41"))).toBe(266.41);
    expect(deg(parseRa(266.41))).toBe(266.41);
    expect(deg(parseRa("0"))).toBe(0);
    expect(deg(parseRa("17:45.5"))).toBeCloseTo(266.375, 12);
    expect(deg(parseRa("23:59:59.9999"))).toBeLessThan(360);
  });

  it.each([
    ["25:00:00", "hours must be 0-23"],
    ["24:00:00", "hours must be 0-23"],
    ["12:61:00", "minutes must be below 60"],
    ["12:00:60", "seconds must be below 60"],
    ["abc", "neither decimal degrees nor sexagesimal"],
    ["-01:00:00", "neither decimal degrees nor sexagesimal"],
    ["12:30:00:00", "neither decimal degrees nor sexagesimal"],
    ["", "empty"],
    ["   ", "empty"],
    ["360", "outside 0 <= RA < 360"],
    ["-0.5", "outside 0 <= RA < 360"],
  ])("rejects %j (%s)", (text, fragment) => {
    const r = parseRa(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 360, -1])("rejects the number %d", (x) => {
    expect(parseRa(x).ok).toBe(false);
  });
});

describe("parseDec", () => {
  it.each([
    "-29:00:28.2",
    "-29 00 28.2",
    "-29d00m28.2s",
    "-29°00′28.2″",
    "-29d00'28.2\"",
    "\u221229:00:28.2",
  ])("%j = −29.00783°", (text) => {
    expect(deg(parseDec(text))).toBeCloseTo(-29.007833333, 9);
  });

  it("keeps the sign of a negative zero-degree declination", () => {
    expect(deg(parseDec("-00:30:00"))).toBe(-0.5);
    expect(deg(parseDec("-0 30 00"))).toBe(-0.5);
    expect(deg(parseDec("-00:00:01"))).toBeCloseTo(-1 / 3600, 15);
  });

  it("reads +dd:mm:ss, decimal strings, numbers and the poles", () => {
    expect(deg(parseDec("+05:00:00"))).toBe(5);
    expect(deg(parseDec("05:30"))).toBe(5.5);
    expect(deg(parseDec("-29.0078"))).toBe(-29.0078);
    expect(deg(parseDec(-90))).toBe(-90);
    expect(deg(parseDec("+90:00:00"))).toBe(90);
  });

  it.each([
    ["-91", "outside -90..+90"],
    ["90:00:01", "outside -90..+90"],
    ["-12:60:00", "minutes must be below 60"],
    ["+12:00:61", "seconds must be below 60"],
    ["abc", "neither decimal degrees nor sexagesimal"],
    ["--12:00:00", "neither decimal degrees nor sexagesimal"],
    ["", "empty"],
  ])("rejects %j (%s)", (text, fragment) => {
    const r = parseDec(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });

  it("rejects NaN and infinite numbers", () => {
    expect(parseDec(Number.NaN)).toEqual({ ok: false, error: "Dec NaN is not a finite number" });
    expect(parseDec(Number.NEGATIVE_INFINITY).ok).toBe(false);
  });
});

describe("formatRaHms / formatDecDms", () => {
  it("prints Sgr A* as 17:45:40.04 −29:00:28.2", () => {
    expect(formatRaHms(266.416833333, 2)).toBe("17:45:40.04");
    expect(formatDecDms(-29.007833333, 1)).toBe("-29:00:28.2");
  });

  it("carries rounded seconds into minutes, hours, degrees and the 24 h wrap (never prints 60)", () => {
    expect(formatRaHms(15 * (17 + 45 / 60 + 59.9999 / 3600), 2)).toBe("17:46:00.00");
    expect(formatRaHms(15 * (23 + 59 / 60 + 59.999 / 3600), 2)).toBe("00:00:00.00");
    expect(formatRaHms(359.9999999999, 3)).toBe("00:00:00.000");
    expect(formatDecDms(-(29 + 59 / 60 + 59.99 / 3600), 1)).toBe("-30:00:00.0");
    expect(formatDecDms(89.99999999, 0)).toBe("+90:00:00");
  });

  it("prints a negative value that rounds to zero with a plus sign, and small negatives with a minus", () => {
    expect(formatDecDms(-1e-9, 1)).toBe("+00:00:00.0");
    expect(formatDecDms(-0.5, 1)).toBe("-00:30:00.0");
    expect(formatDecDms(-0.5, 0)).toBe("-00:30:00");
  });

  it("prints NaN for non-finite input and rejects impossible decimals", () => {
    expect(formatRaHms(Number.NaN)).toBe("NaN");
    expect(formatDecDms(Number.POSITIVE_INFINITY)).toBe("NaN");
    expect(() => formatRaHms(10, 12)).toThrow(RangeError);
  });

  const decimalsArb = fc.integer({ min: 0, max: 6 });
  const fieldsOk = (text: string) => {
    const [, mm, ss] = text.replace(/^[+-]/, "").split(":");
    return Number(mm) < 60 && Number(ss) < 60;
  };

  it("RA format → parse returns the value within the printed precision", () => {
    fc.assert(
      fc.property(raArb, decimalsArb, (ra, decimals) => {
        const text = formatRaHms(ra, decimals);
        expect(text).toMatch(decimals > 0 ? /^\d\d:\d\d:\d\d\.\d+$/ : /^\d\d:\d\d:\d\d$/);
        expect(fieldsOk(text)).toBe(true);
        const halfUnitDeg = (0.5 * 10 ** -decimals * 15) / 3600;
        expect(raDiff(deg(parseRa(text)), ra)).toBeLessThanOrEqual(halfUnitDeg * (1 + 1e-9) + 1e-12);
      }),
      RUNS,
    );
  });

  it("Dec format → parse returns the value within the printed precision", () => {
    fc.assert(
      fc.property(decArb, decimalsArb, (dec, decimals) => {
        const text = formatDecDms(dec, decimals);
        expect(text).toMatch(/^[+-]\d\d:\d\d:\d\d(\.\d+)?$/);
        expect(fieldsOk(text)).toBe(true);
        const halfUnitDeg = (0.5 * 10 ** -decimals) / 3600;
        expect(Math.abs(deg(parseDec(text)) - dec)).toBeLessThanOrEqual(halfUnitDeg * (1 + 1e-9) + 1e-12);
      }),
      RUNS,
    );
  });

  it("parse → format reproduces canonical text", () => {
    for (const t of ["00:00:00.00", "06:30:15.25", "23:59:59.99"])
      expect(formatRaHms(deg(parseRa(t)), 2)).toBe(t);
    for (const t of ["-00:30:00.0", "+89:59:59.9", "-90:00:00.0", "+00:00:00.0"]) {
      expect(formatDecDms(deg(parseDec(t)), 1)).toBe(t);
    }
  });
});
