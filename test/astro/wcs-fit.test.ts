import { describe, expect, it } from "vitest";
import { fitTanWcs, pixelToSky } from "../../src/astro/wcs/index.ts";
import type { MatchedPair, TanWcs } from "../../src/astro/wcs/index.ts";

/** mulberry32: small seeded PRNG, uniform in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function sepArcsec(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d = Math.PI / 180;
  const x = Math.sin(((dec2 - dec1) * d) / 2) ** 2;
  const y = Math.cos(dec1 * d) * Math.cos(dec2 * d) * Math.sin(((ra2 - ra1) * d) / 2) ** 2;
  return ((2 * Math.asin(Math.sqrt(x + y))) / d) * 3600;
}

const scaleDeg = 0.6 / 3600;
const rot = (25 * Math.PI) / 180;
/** Truth: 4k × 4k, 0.6″/px, rotated 25°, tangent point near 0h at +60°, SIP order 3 (~3 px at the corners). */
const truth: TanWcs = {
  crpix: [2048.5, 2048.5],
  crvalDeg: [359.95, 60.2],
  cd: [
    [-scaleDeg * Math.cos(rot), -scaleDeg * Math.sin(rot)],
    [-scaleDeg * Math.sin(rot), scaleDeg * Math.cos(rot)],
  ],
  sip: {
    order: 3,
    a: [
      [0, 0, 1.2e-7, -2e-11],
      [0, -3e-7, 1.5e-11, 0],
      [2e-7, -1e-11, 0, 0],
      [3e-11, 0, 0, 0],
    ],
    b: [
      [0, 0, -2e-7, 2.5e-11],
      [0, 1e-7, -2e-11, 0],
      [1.5e-7, 1e-11, 0, 0],
      [-1e-11, 0, 0, 0],
    ],
  },
};
const tanOnly: TanWcs = { crpix: truth.crpix, crvalDeg: truth.crvalDeg, cd: truth.cd };

/** Stars uniform on the image; sky from the truth WCS; measured pixels get `noisePx` Gaussian noise. */
function makePairs(wcs: TanWcs, n: number, noisePx: number, seed: number, outlierFrac = 0): MatchedPair[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = 1 + 4095 * r();
    const y = 1 + 4095 * r();
    const s = pixelToSky(wcs, x, y);
    const outlier = i < n * outlierFrac;
    // Outliers: wrong matches 5–200 px away in a random direction.
    const d = 5 + 195 * r();
    const phi = 2 * Math.PI * r();
    const [ox, oy] = outlier ? [d * Math.cos(phi), d * Math.sin(phi)] : [0, 0];
    return {
      x: x + ox + noisePx * gauss(r),
      y: y + oy + noisePx * gauss(r),
      raDeg: s.raDeg,
      decDeg: s.decDeg,
    };
  });
}

function cdRelErr(a: TanWcs, b: TanWcs): number {
  let m = 0;
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) m = Math.max(m, Math.abs(a.cd[i][j] - b.cd[i][j]));
  return m / scaleDeg;
}

describe("fitTanWcs", () => {
  // Expected RMS separation for σ = 0.05 px per axis: √2 · 0.05 px · 0.6″/px = 0.042″.
  const expectedRms = Math.SQRT2 * 0.05 * 0.6;

  it("noise-free TAN pairs are recovered to numerical precision", () => {
    const fit = fitTanWcs(makePairs(tanOnly, 50, 0, 1), { crpix: [2048.5, 2048.5] });
    if (!fit.ok) throw new Error(fit.reason);
    expect(fit.rmsArcsec).toBeLessThan(1e-7);
    expect(sepArcsec(359.95, 60.2, ...fit.wcs.crvalDeg)).toBeLessThan(1e-7);
    expect(cdRelErr(fit.wcs, tanOnly)).toBeLessThan(1e-10);
  });

  it("TAN + 0.05 px noise: RMS ≈ noise, CRVAL within 0.01″, CD within 1e-4", () => {
    const fit = fitTanWcs(makePairs(tanOnly, 300, 0.05, 2), { crpix: [2048.5, 2048.5] });
    if (!fit.ok) throw new Error(fit.reason);
    expect(fit.rmsArcsec / expectedRms).toBeGreaterThan(0.85);
    expect(fit.rmsArcsec / expectedRms).toBeLessThan(1.15);
    expect(sepArcsec(359.95, 60.2, ...fit.wcs.crvalDeg)).toBeLessThan(0.01);
    expect(cdRelErr(fit.wcs, tanOnly)).toBeLessThan(1e-4);
    expect(fit.wcs.sip).toBeUndefined();
  });

  it("TAN + SIP order 3 + 0.05 px noise: recovers CRVAL, CD and the distortion", () => {
    const pairs = makePairs(truth, 400, 0.05, 3);
    const fit = fitTanWcs(pairs, { crpix: [2048.5, 2048.5], sipOrder: 3 });
    if (!fit.ok) throw new Error(fit.reason);
    expect(fit.rmsArcsec / expectedRms).toBeGreaterThan(0.85);
    expect(fit.rmsArcsec / expectedRms).toBeLessThan(1.15);
    expect(sepArcsec(359.95, 60.2, ...fit.wcs.crvalDeg)).toBeLessThan(0.01);
    expect(cdRelErr(fit.wcs, truth)).toBeLessThan(1e-4);
    // The fitted model reproduces the truth over the image to well below the noise (corner included).
    for (const [x, y] of [
      [1, 1],
      [4096, 4096],
      [1, 4096],
      [2048.5, 2048.5],
    ]) {
      const a = pixelToSky(truth, x, y);
      const b = pixelToSky(fit.wcs, x, y);
      expect(sepArcsec(a.raDeg, a.decDeg, b.raDeg, b.decDeg)).toBeLessThan(0.03);
    }
    // A pure TAN fit cannot absorb the distortion.
    const tan = fitTanWcs(pairs, { crpix: [2048.5, 2048.5] });
    expect(tan.ok && tan.rmsArcsec).toBeGreaterThan(0.3);
  });

  it("20 % outliers: sigma clipping removes them and still recovers the WCS", () => {
    const pairs = makePairs(truth, 400, 0.05, 4, 0.2);
    const fit = fitTanWcs(pairs, { crpix: [2048.5, 2048.5], sipOrder: 3, clipSigma: 3 });
    if (!fit.ok) throw new Error(fit.reason);
    for (let i = 0; i < 80; i++) expect(fit.inliers[i]).toBe(0);
    expect(fit.nInliers).toBeGreaterThan(0.97 * 320);
    expect(fit.rmsArcsec / expectedRms).toBeLessThan(1.15);
    expect(sepArcsec(359.95, 60.2, ...fit.wcs.crvalDeg)).toBeLessThan(0.01);
    expect(cdRelErr(fit.wcs, truth)).toBeLessThan(1e-4);
    // Without clipping the same data give a poor fit.
    const raw = fitTanWcs(pairs, { crpix: [2048.5, 2048.5], sipOrder: 3 });
    expect(raw.ok && raw.rmsArcsec).toBeGreaterThan(10);
  });

  it("fixed CRVAL: CRPIX is fitted instead", () => {
    const fit = fitTanWcs(makePairs(truth, 400, 0.05, 5), { crvalDeg: [359.95, 60.2], sipOrder: 3 });
    if (!fit.ok) throw new Error(fit.reason);
    expect(fit.wcs.crvalDeg).toEqual([359.95, 60.2]);
    expect(Math.hypot(fit.wcs.crpix[0] - 2048.5, fit.wcs.crpix[1] - 2048.5)).toBeLessThan(0.02);
    expect(cdRelErr(fit.wcs, truth)).toBeLessThan(1e-4);
    const exact = fitTanWcs(makePairs(tanOnly, 30, 0, 6), { crvalDeg: [359.95, 60.2] });
    expect(exact.ok && Math.hypot(exact.wcs.crpix[0] - 2048.5, exact.wcs.crpix[1] - 2048.5)).toBeLessThan(
      1e-6,
    );
  });

  it("too few or degenerate pairs fail with a reason", () => {
    const few = fitTanWcs(makePairs(truth, 8, 0, 7), { sipOrder: 3 });
    expect(few).toEqual({ ok: false, reason: "8 pairs, at least 10 needed for order 3" });
    const line = Array.from({ length: 10 }, (_, i) => ({ x: i, y: 2 * i, raDeg: 10 + i * 1e-4, decDeg: 5 }));
    const col = fitTanWcs(line);
    expect(col.ok).toBe(false);
    expect(!col.ok && col.reason).toMatch(/degenerate/);
  });
});
