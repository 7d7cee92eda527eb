import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  arcsecFromChord2,
  buildSkyIndex,
  chord2ForRadiusArcsec,
  crossMatch,
  nearestWithin,
  separationArcsec,
} from "../../src/astro/crossmatch.ts";
import { createRng } from "../../src/astro/synth/random.ts";
import type { Rng } from "../../src/astro/synth/random.ts";

const DEG = Math.PI / 180;

/** Reference: scan all of B in index order, same chord formula, strict < keeps the lowest index on ties. */
function bruteForce(
  aRa: Float64Array,
  aDec: Float64Array,
  bRa: Float64Array,
  bDec: Float64Array,
  radiusArcsec: number,
): { index: Int32Array; sepArcsec: Float64Array } {
  const unit = (ra: number, dec: number): [number, number, number] => {
    const cd = Math.cos(dec * DEG);
    return [cd * Math.cos(ra * DEG), cd * Math.sin(ra * DEG), Math.sin(dec * DEG)];
  };
  const c2max = chord2ForRadiusArcsec(radiusArcsec);
  const bu = Array.from(bRa, (ra, j) => unit(ra, bDec[j]));
  const index = new Int32Array(aRa.length).fill(-1);
  const sep = new Float64Array(aRa.length).fill(NaN);
  for (let i = 0; i < aRa.length; i++) {
    const [qx, qy, qz] = unit(aRa[i], aDec[i]);
    let best = -1;
    let bestD2 = Infinity;
    for (let j = 0; j < bu.length; j++) {
      const [x, y, z] = bu[j];
      const d2 = (x - qx) ** 2 + (y - qy) ** 2 + (z - qz) ** 2;
      if (d2 <= c2max && d2 < bestD2) {
        bestD2 = d2;
        best = j;
      }
    }
    if (best >= 0) {
      index[i] = best;
      sep[i] = arcsecFromChord2(bestD2);
    }
  }
  return { index, sepArcsec: sep };
}

/** Random cap of sources around (ra0, dec0) of angular radius capDeg (uniform on the sphere cap). */
function capSources(rng: Rng, n: number, ra0: number, dec0: number, capDeg: number) {
  const ra = new Float64Array(n);
  const dec = new Float64Array(n);
  const cosCap = Math.cos(capDeg * DEG);
  // Rotate points drawn around the north pole to (ra0, dec0).
  const a0 = ra0 * DEG;
  const d0 = dec0 * DEG;
  for (let i = 0; i < n; i++) {
    const cz = 1 - rng.next() * (1 - cosCap);
    const sz = Math.sqrt(1 - cz * cz);
    const phi = rng.uniform(0, 2 * Math.PI);
    // point near the pole: (sz cos phi, sz sin phi, cz); rotate pole → (a0, d0)
    const px = sz * Math.cos(phi);
    const py = sz * Math.sin(phi);
    const pz = cz;
    const t = Math.PI / 2 - d0; // tilt about y
    const x1 = px * Math.cos(t) + pz * Math.sin(t);
    const z1 = -px * Math.sin(t) + pz * Math.cos(t);
    const x2 = x1 * Math.cos(a0) - py * Math.sin(a0);
    const y2 = x1 * Math.sin(a0) + py * Math.cos(a0);
    let r = Math.atan2(y2, x2) / DEG;
    if (r < 0) r += 360;
    ra[i] = r;
    dec[i] = Math.asin(Math.max(-1, Math.min(1, z1))) / DEG;
  }
  return { ra, dec };
}

/** A = some B sources jittered by ~radius plus unrelated sources; exercises matches, misses and ties. */
function scene(
  seed: number,
  nA: number,
  nB: number,
  ra0: number,
  dec0: number,
  capDeg: number,
  rArcsec: number,
) {
  const rng = createRng(seed);
  const b = capSources(rng, nB, ra0, dec0, capDeg);
  const extra = capSources(rng, nA, ra0, dec0, capDeg);
  const aRa = new Float64Array(nA);
  const aDec = new Float64Array(nA);
  for (let i = 0; i < nA; i++) {
    if (i % 2 === 0 && nB > 0) {
      const j = rng.int(nB);
      const jitterDeg = (rng.gaussian(0, 0.7) * rArcsec) / 3600;
      aDec[i] = Math.max(-90, Math.min(90, b.dec[j] + jitterDeg));
      aRa[i] = b.ra[j] + (rng.gaussian(0, 0.7) * rArcsec) / 3600 / Math.max(1e-3, Math.cos(b.dec[j] * DEG));
      if (i % 10 === 0) aRa[i] += rng.next() < 0.5 ? 360 : -360; // RA outside [0, 360) must work too
    } else {
      aRa[i] = extra.ra[i];
      aDec[i] = extra.dec[i];
    }
  }
  if (nB > 1) {
    b.ra[nB - 1] = b.ra[0]; // an exact duplicate: tie-break by lowest index
    b.dec[nB - 1] = b.dec[0];
  }
  return { aRa, aDec, bRa: b.ra, bDec: b.dec };
}

describe("crossMatch — agreement with brute force", () => {
  it("equals brute force exactly on random fields: RA wrap, poles (|dec| > 85°), large and small radii", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(0, 0.0001, 359.9999, 180, 45),
        fc.constantFrom(-90, -89.9, -87, -85.5, 0, 30, 85.5, 88, 90),
        fc.constantFrom(0.01, 0.2, 2, 15),
        fc.constantFrom(0.5, 3, 30, 600, 7200),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (seed, ra0, dec0, capDeg, rArcsec, nA, nB) => {
          const s = scene(seed, nA, nB, ra0, dec0, capDeg, rArcsec);
          const got = crossMatch(s.aRa, s.aDec, s.bRa, s.bDec, rArcsec);
          const want = bruteForce(s.aRa, s.aDec, s.bRa, s.bDec, rArcsec);
          expect(Array.from(got.index)).toEqual(Array.from(want.index));
          expect(Array.from(got.sepArcsec)).toEqual(Array.from(want.sepArcsec));
        },
      ),
      { numRuns: 250, seed: 20250314 },
    );
  });

  it("matches across RA 0/360 and over the pole", () => {
    const bRa = Float64Array.of(359.9999, 10, 190);
    const bDec = Float64Array.of(0, 89.9999, 89.9999);
    const aRa = Float64Array.of(0.0001, 190, 370.0);
    const aDec = Float64Array.of(0, 89.99995, -0.0002);
    const m = crossMatch(aRa, aDec, bRa, bDec, 1);
    expect(Array.from(m.index)).toEqual([0, 2, -1]);
    expect(m.sepArcsec[0]).toBeCloseTo(0.72, 6); // 0.0002° = 0.72″ across the wrap
    expect(m.sepArcsec[1]).toBeCloseTo(0.18, 6);
    // The two sources 180° apart in RA at dec 89.9999° are 0.72″ apart through the pole.
    expect(separationArcsec(10, 89.9999, 190, 89.9999)).toBeCloseTo(0.72, 6);
    expect(Number.isNaN(m.sepArcsec[2])).toBe(true);
  });

  it("never matches non-finite positions and handles an empty catalogue", () => {
    const m = crossMatch(
      Float64Array.of(NaN, 10),
      Float64Array.of(0, 0),
      Float64Array.of(10, NaN),
      Float64Array.of(0, 0),
      5,
    );
    expect(Array.from(m.index)).toEqual([-1, 0]);
    const empty = buildSkyIndex(new Float64Array(0), new Float64Array(0), 2);
    expect(nearestWithin(empty, 10, 10, 5).index).toBe(-1);
  });

  it("separation uses the chord form: agrees with the haversine formula at 1 mas and 90°", () => {
    const hav = (a1: number, d1: number, a2: number, d2: number) =>
      (2 *
        Math.asin(
          Math.sqrt(
            Math.sin(((d2 - d1) * DEG) / 2) ** 2 +
              Math.cos(d1 * DEG) * Math.cos(d2 * DEG) * Math.sin(((a2 - a1) * DEG) / 2) ** 2,
          ),
        )) /
      DEG;
    expect(separationArcsec(150, 2, 150, 2 + 1e-3 / 3600)).toBeCloseTo(1e-3, 9);
    expect(separationArcsec(10, 0, 100, 0)).toBeCloseTo(90 * 3600, 6);
    expect(separationArcsec(12.3, -45.6, 12.31, -45.59)).toBeCloseTo(
      hav(12.3, -45.6, 12.31, -45.59) * 3600,
      8,
    );
  });
});

describe("crossMatch — speed", () => {
  it("10⁵ × 10⁵ sources, r = 2″, 2°×2° field (time reported, not asserted)", () => {
    const rng = createRng(7);
    const n = 100_000;
    const bRa = new Float64Array(n);
    const bDec = new Float64Array(n);
    const aRa = new Float64Array(n);
    const aDec = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      bRa[i] = rng.uniform(149, 151);
      bDec[i] = rng.uniform(1, 3);
      aRa[i] = bRa[i] + rng.gaussian(0, 0.3) / 3600;
      aDec[i] = bDec[i] + rng.gaussian(0, 0.3) / 3600;
    }
    crossMatch(aRa.subarray(0, 1000), aDec.subarray(0, 1000), bRa, bDec, 2); // warm-up (JIT)
    const times: number[] = [];
    let matched = 0;
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      const m = crossMatch(aRa, aDec, bRa, bDec, 2);
      times.push(performance.now() - t0);
      matched = m.index.reduce((acc, j, i) => acc + (j === i ? 1 : 0), 0);
    }
    console.log(
      `crossMatch 1e5 x 1e5 (r = 2", 4 deg²): ${times.map((t) => t.toFixed(1)).join(", ")} ms; ` +
        `${matched} of ${n} matched to their own counterpart`,
    );
    expect(matched / n).toBeGreaterThan(0.99);
  });
});
