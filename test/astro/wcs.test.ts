import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  deprojectTan,
  isFlipped,
  pixelScaleArcsec,
  rotationDeg,
  pixelsToSky,
  pixelToSky,
  projectTan,
  skyToPixel,
  skyToPixels,
  tanRotation,
  wcsFromHeader,
} from "../../src/astro/wcs/index.ts";
import type { SipDistortion, TanWcs } from "../../src/astro/wcs/index.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIELD = FIELD_DIR;

/** Tiny FITS primary-header card reader for the tests (the real reader lives in src/astro/fits/). */
function readFitsCards(path: string): Map<string, number | string | boolean> {
  const buf = readFileSync(path);
  const cards = new Map<string, number | string | boolean>();
  for (let off = 0; off + 80 <= buf.length; off += 80) {
    const card = buf.toString("latin1", off, off + 80);
    const key = card.slice(0, 8).trim();
    if (key === "END") break;
    if (card.slice(8, 10) !== "= ") continue;
    const raw = card.slice(10);
    const s = /^\s*'((?:[^']|'')*)'/.exec(raw);
    if (s) cards.set(key, s[1].replace(/''/g, "'").trimEnd());
    else {
      const v = raw.split("/")[0].trim();
      cards.set(key, v === "T" ? true : v === "F" ? false : Number(v.replace(/D/i, "E")));
    }
  }
  return cards;
}

function readAstropyCsv(): { x: number; y: number; raDeg: number; decDeg: number }[] {
  const lines = readFileSync(`${FIELD}/wcs-astropy.csv`, "utf8").trim().split("\n").slice(1);
  return lines.map((l) => {
    const [x, y, raDeg, decDeg] = l.split(",").map(Number);
    return { x, y, raDeg, decDeg };
  });
}

describe("TAN WCS against astropy all_pix2world (field-150p02)", () => {
  const cards = readFitsCards(`${FIELD}/frame-f32.fits`);
  const parsed = wcsFromHeader((k) => cards.get(k));
  if (!parsed.ok) throw new Error(parsed.reason);
  const wcs = parsed.wcs;
  const points = readAstropyCsv();

  it("pixel → sky agrees with astropy to 1e-8 deg (measured 2.1e-11, below the CSV's 10-decimal rounding)", () => {
    expect(points).toHaveLength(5);
    let maxDiff = 0;
    for (const p of points) {
      const s = pixelToSky(wcs, p.x, p.y);
      maxDiff = Math.max(maxDiff, Math.abs(s.raDeg - p.raDeg), Math.abs(s.decDeg - p.decDeg));
    }
    expect(maxDiff).toBeLessThan(1e-10);
  });

  it("sky → pixel of astropy's RA/Dec gives back the pixels within 1e-6 px", () => {
    for (const p of points) {
      const q = skyToPixel(wcs, p.raDeg, p.decDeg);
      expect(q).not.toBeNull();
      // 5e-11 deg of CSV rounding at 0.8″/px is 2.3e-7 px.
      expect(Math.abs(q!.x - p.x)).toBeLessThan(1e-6);
      expect(Math.abs(q!.y - p.y)).toBeLessThan(1e-6);
    }
  });

  it("header scale and orientation: 0.8″/px, north up, east left", () => {
    expect(parsed.ok && parsed.frame).toBe("ICRS");
    expect(pixelScaleArcsec(wcs)).toBeCloseTo(0.8, 12);
    expect(rotationDeg(wcs)).toBe(0);
    expect(isFlipped(wcs)).toBe(false);
  });

  it("batch versions match the scalar ones exactly", () => {
    const xs = Float64Array.from(points, (p) => p.x);
    const ys = Float64Array.from(points, (p) => p.y);
    const ra = new Float64Array(5);
    const dec = new Float64Array(5);
    pixelsToSky(wcs, xs, ys, ra, dec);
    const bx = new Float64Array(5);
    const by = new Float64Array(5);
    expect(skyToPixels(wcs, ra, dec, bx, by)).toBe(0);
    points.forEach((p, i) => {
      expect(ra[i]).toBe(pixelToSky(wcs, p.x, p.y).raDeg);
      expect(bx[i]).toBe(skyToPixel(wcs, ra[i], dec[i])!.x);
    });
  });
});

describe("TAN analytic cases (Calabretta & Greisen 2002 §5.1.3)", () => {
  const s = 1 / 3600; // 1″/px in deg
  const mk = (ra: number, dec: number): TanWcs => ({
    crpix: [1024.5, 1024.5],
    crvalDeg: [ra, dec],
    cd: [
      [-s, 0],
      [0, s],
    ],
  });

  it("the reference pixel maps to CRVAL exactly", () => {
    for (const [ra, dec] of [
      [150, 2],
      [0, -30],
      [359.999999, 89.9],
      [12.3, 90],
      [200, -90],
    ]) {
      const p = pixelToSky(mk(ra, dec), 1024.5, 1024.5);
      expect(p.raDeg).toBe(ra);
      expect(p.decDeg).toBe(dec);
    }
  });

  it("one pixel along x moves RA by −s/cos δ0 to first order", () => {
    for (const dec of [0, 30, 60, 80, -75]) {
      const p = pixelToSky(mk(150, dec), 1025.5, 1024.5);
      const expected = -s / Math.cos((dec * Math.PI) / 180);
      expect(Math.abs((p.raDeg - 150 - expected) / expected)).toBeLessThan(1e-9);
      // Second order: along the parallel's tangent the declination drops by (ξ²/2)·tan δ0 (ξ in rad).
      const xiRad = (s * Math.PI) / 180;
      const dDecDeg = ((-xiRad * xiRad) / 2) * Math.tan((dec * Math.PI) / 180) * (180 / Math.PI);
      expect(Math.abs(p.decDeg - dec - dDecDeg)).toBeLessThan(1e-12);
    }
  });

  it("a point 45° from the tangent point has tangent-plane radius tan 45° = 1 rad", () => {
    const rot = tanRotation([150, 2]);
    const t = projectTan(rot, 150, 47)!;
    expect(Math.hypot(t.xiDeg, t.etaDeg)).toBeCloseTo(180 / Math.PI, 12);
    const back = deprojectTan(rot, (180 / Math.PI) * Math.SQRT1_2, (180 / Math.PI) * Math.SQRT1_2);
    const d = (x: number) => (x * Math.PI) / 180;
    const cosSep =
      Math.sin(d(2)) * Math.sin(d(back.decDeg)) +
      Math.cos(d(2)) * Math.cos(d(back.decDeg)) * Math.cos(d(back.raDeg - 150));
    expect(cosSep).toBeCloseTo(Math.SQRT1_2, 14);
  });

  it("points 90° or more from the tangent point are not projectable", () => {
    expect(skyToPixel(mk(150, 2), 330, -2)).toBeNull(); // antipode
    expect(skyToPixel(mk(150, 2), 240, 0)).toBeNull(); // 90° away: on the horizon
    expect(skyToPixel(mk(150, 90), 10, -0.001)).toBeNull();
    expect(skyToPixel(mk(150, 2), 239, 0)).not.toBeNull();
  });

  it("RA wraps into [0, 360) across 0h", () => {
    const p = pixelToSky(mk(0.0001, 10), 1024.5 + 1000, 1024.5);
    expect(p.raDeg).toBeGreaterThan(359.7);
    expect(p.raDeg).toBeLessThan(360);
    const q = skyToPixel(mk(359.9999, 10), 0.1, 10)!;
    expect(q.x).toBeLessThan(1024.5);
  });

  it("at CRVAL2 = +90 exactly LONPOLE defaults to 0 (Paper II §2.5, WCSLIB celset): +y runs down the CRVAL1 meridian", () => {
    const p = pixelToSky(mk(30, 90), 1024.5, 1024.5 + 3600);
    expect(p.raDeg).toBeCloseTo(30, 12);
    expect(p.decDeg).toBeCloseTo(90 - (Math.atan(Math.PI / 180) * 180) / Math.PI, 12);
  });
});

/** Random TAN WCS over the whole sky: pole and 0/360 included, rotations, flips, 0.1–10″/px. */
const wcsArb = fc
  .record({
    ra: fc.oneof(
      fc.double({ min: 0, max: 360, maxExcluded: true, noNaN: true }),
      fc.constantFrom(0, 1e-9, 359.9999999),
    ),
    dec: fc.oneof(fc.double({ min: -89.9, max: 89.9, noNaN: true }), fc.constantFrom(90, -90, 89.9, -89.9)),
    rotDeg: fc.double({ min: -180, max: 180, noNaN: true }),
    flip: fc.boolean(),
    log10Scale: fc.double({ min: -1, max: 1, noNaN: true }),
    crpixX: fc.double({ min: 1, max: 4096, noNaN: true }),
    crpixY: fc.double({ min: 1, max: 4096, noNaN: true }),
  })
  .map(({ ra, dec, rotDeg, flip, log10Scale, crpixX, crpixY }): TanWcs => {
    const sDeg = 10 ** log10Scale / 3600;
    const r = (rotDeg * Math.PI) / 180;
    const c1 = flip ? sDeg : -sDeg;
    return {
      crpix: [crpixX, crpixY],
      crvalDeg: [ra, dec],
      cd: [
        [c1 * Math.cos(r), -sDeg * Math.sin(r)],
        [c1 * Math.sin(r), sDeg * Math.cos(r)],
      ],
    };
  });

const pixArb = fc.double({ min: 0.5, max: 4096.5, noNaN: true });

/** SIP of order 2–3 with up to ~3 px distortion at the corners of a 4k × 4k image. */
const sipArb = fc
  .record({
    order: fc.constantFrom(2, 3),
    c: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
  })
  .map(({ order, c }): SipDistortion => {
    const a = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    const b = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    let k = 0;
    for (let p = 0; p <= 3; p++) {
      for (let q = 0; p + q <= 3; q++) {
        if (p + q < 2 || p + q > order) continue;
        const size = 1.5 / 2048 ** (p + q); // ≤ 1.5 px per term at |u|, |v| = 2048
        a[p][q] = c[k++] * size;
        b[p][q] = c[k++] * size;
      }
    }
    return { a, b, order };
  });

describe("round trips (fast-check, seeded)", () => {
  it("pixel → sky → pixel within 1e-7 px for random TAN WCS over the sky", () => {
    let maxErr = 0;
    fc.assert(
      fc.property(wcsArb, pixArb, pixArb, (wcs, x, y) => {
        const s = pixelToSky(wcs, x, y);
        expect(s.raDeg).toBeGreaterThanOrEqual(0);
        expect(s.raDeg).toBeLessThan(360);
        const p = skyToPixel(wcs, s.raDeg, s.decDeg);
        expect(p).not.toBeNull();
        const err = Math.hypot(p!.x - x, p!.y - y);
        maxErr = Math.max(maxErr, err);
        return err < 1e-7;
      }),
      { seed: 20250314, numRuns: 3000 },
    );
    expect(maxErr).toBeLessThan(1e-7);
  });

  it("SIP without AP/BP: the Newton inverse round-trips within 1e-6 px", () => {
    let maxErr = 0;
    let maxDistortion = 0;
    fc.assert(
      fc.property(wcsArb, sipArb, pixArb, pixArb, (base, sip, x, y) => {
        const wcs: TanWcs = { ...base, crpix: [2048.5, 2048.5], sip };
        const lin = pixelToSky({ ...wcs, sip: undefined }, x, y);
        const q0 = skyToPixel({ ...wcs, sip: undefined }, lin.raDeg, lin.decDeg)!;
        const dist = pixelToSky(wcs, x, y);
        const q1 = skyToPixel({ ...wcs, sip: undefined }, dist.raDeg, dist.decDeg)!;
        maxDistortion = Math.max(maxDistortion, Math.hypot(q1.x - q0.x, q1.y - q0.y));
        const p = skyToPixel(wcs, dist.raDeg, dist.decDeg);
        expect(p).not.toBeNull();
        const err = Math.hypot(p!.x - x, p!.y - y);
        maxErr = Math.max(maxErr, err);
        return err < 1e-6;
      }),
      { seed: 7, numRuns: 2000 },
    );
    expect(maxErr).toBeLessThan(1e-6);
    expect(maxDistortion).toBeGreaterThan(1); // the distortion is not negligible
  });

  it("SIP with AP/BP: `apbp` uses the reverse polynomial only, `newton` refines it", () => {
    const sip: SipDistortion = {
      order: 2,
      a: [
        [0, 0, 2e-7],
        [0, 3e-7, 0],
        [4e-7, 0, 0],
      ],
      b: [
        [0, 0, -1e-7],
        [0, 2e-7, 0],
        [1e-7, 0, 0],
      ],
      apOrder: 2,
      ap: [
        [0, 0, -2e-7],
        [0, -3e-7, 0],
        [-4e-7, 0, 0],
      ],
      bp: [
        [0, 0, 1e-7],
        [0, -2e-7, 0],
        [-1e-7, 0, 0],
      ],
    };
    const wcs: TanWcs = {
      crpix: [1000, 1000],
      crvalDeg: [10, 20],
      cd: [
        [-1e-4, 0],
        [0, 1e-4],
      ],
      sip,
    };
    const s = pixelToSky(wcs, 2900, 150);
    const newton = skyToPixel(wcs, s.raDeg, s.decDeg)!;
    const approx = skyToPixel(wcs, s.raDeg, s.decDeg, { sipInverse: "apbp" })!;
    expect(Math.hypot(newton.x - 2900, newton.y - 150)).toBeLessThan(1e-8);
    const errApprox = Math.hypot(approx.x - 2900, approx.y - 150);
    expect(errApprox).toBeGreaterThan(1e-3); // first-order reverse is only approximate
    expect(errApprox).toBeLessThan(0.5);
  });
});
