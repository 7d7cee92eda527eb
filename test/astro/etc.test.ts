/**
 * The exposure-time calculator (CCD equation) and the light-curve line fit: analytic limits, round trips
 * between S/N and exposure, and published numbers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exposureForSnr,
  limitingMag,
  saturationExposureS,
  snrForExposure,
  sourceRateAduPerS,
  type PhotometricModel,
} from "../../src/astro/etc.ts";
import { fitLine, lineAt } from "../../src/astro/trend.ts";

const MODEL: PhotometricModel = {
  zeroPointMag: 23,
  extinctionMagPerAirmass: 0.15,
  skyAduPerPxPerS: 2,
  fwhmPx: 3,
  apertureRadiusPx: 3,
  annulusAreaPx: 16 * Math.PI * 9,
  apertureCorrectionMag: -0.2,
  gainEPerAdu: 1.5,
  readNoiseE: 8,
  saturationAdu: 60000,
};
const RUNS = { seed: 7, numRuns: 500 };

describe("snrForExposure", () => {
  it("photon-noise limit: no sky, no read noise, all light in the aperture → S/N = √N", () => {
    const m: PhotometricModel = {
      ...MODEL,
      skyAduPerPxPerS: 0,
      readNoiseE: 0,
      apertureCorrectionMag: 0,
      extinctionMagPerAirmass: 0,
    };
    // a source of magnitude Z₀ − 10 gives 10⁴ ADU/s = 1.5·10⁴ e⁻/s
    const e = snrForExposure(m, m.zeroPointMag - 10, 1, 2);
    expect(e.sourceE).toBeCloseTo(30000, 6);
    expect(e.snr).toBeCloseTo(Math.sqrt(30000), 9);
    expect(e.magErr).toBeCloseTo(1.0857362 / Math.sqrt(30000), 9);
  });

  it("read-noise limit grows as t, sky limit as √t", () => {
    const readNoise: PhotometricModel = { ...MODEL, skyAduPerPxPerS: 0, readNoiseE: 1e4 };
    const faint = 30; // source electrons ≪ read noise
    const r1 = snrForExposure(readNoise, faint, 1, 10).snr;
    expect(snrForExposure(readNoise, faint, 1, 40).snr / r1).toBeCloseTo(4, 3);
    const sky: PhotometricModel = { ...MODEL, skyAduPerPxPerS: 1e6, readNoiseE: 0 };
    const s1 = snrForExposure(sky, faint, 1, 10).snr;
    expect(snrForExposure(sky, faint, 1, 40).snr / s1).toBeCloseTo(2, 3);
  });

  it("extinction: one more airmass costs k magnitudes of flux", () => {
    expect(sourceRateAduPerS(MODEL, 15, 2) / sourceRateAduPerS(MODEL, 15, 1)).toBeCloseTo(
      10 ** (-0.4 * 0.15),
      12,
    );
  });

  it("the median sky term adds (π/2)·A/n_sky to the background variance", () => {
    const known = { ...MODEL, annulusAreaPx: Infinity };
    const e1 = snrForExposure(known, 18, 1, 60);
    const e2 = snrForExposure(MODEL, 18, 1, 60);
    const A = Math.PI * 9;
    const bkgVar = A * (e1.skyEPerPx + 64);
    const var1 = (e1.sourceE / e1.snr) ** 2;
    const var2 = (e2.sourceE / e2.snr) ** 2;
    expect(var1 - e1.sourceE).toBeCloseTo(bkgVar, 6);
    expect(var2 - var1).toBeCloseTo((bkgVar * ((Math.PI / 2) * A)) / MODEL.annulusAreaPx, 6);
  });
});

describe("exposureForSnr", () => {
  it("is the inverse of snrForExposure over magnitudes, airmasses and S/N", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 8, max: 21, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.double({ min: 3, max: 300, noNaN: true }),
        (mag, x, snr) => {
          const t = exposureForSnr(MODEL, mag, x, snr);
          expect(t).toBeGreaterThan(0);
          expect(snrForExposure(MODEL, mag, x, t).snr / snr).toBeCloseTo(1, 9);
        },
      ),
      RUNS,
    );
  });

  it("fainter or higher airmass needs longer", () => {
    expect(exposureForSnr(MODEL, 16, 1, 50)).toBeLessThan(exposureForSnr(MODEL, 17, 1, 50));
    expect(exposureForSnr(MODEL, 16, 1, 50)).toBeLessThan(exposureForSnr(MODEL, 16, 2, 50));
  });

  it("limiting magnitude: S/N 5 exactly there", () => {
    const m5 = limitingMag(MODEL, 1.2, 120);
    expect(snrForExposure(MODEL, m5, 1.2, 120).snr).toBeCloseTo(5, 6);
  });

  it("saturation: the peak stays at the asked fraction of the full well", () => {
    const t = saturationExposureS(MODEL, 10, 1, 0.8);
    expect(snrForExposure(MODEL, 10, 1, t).peakAdu).toBeCloseTo(0.8 * MODEL.saturationAdu, 6);
    expect(snrForExposure(MODEL, 10, 1, (1.1 * t) / 0.8).saturated).toBe(true);
  });
});

describe("fitLine", () => {
  it("recovers an exact line and gives Bevington's errors for equal weights", () => {
    const t = [0, 1, 2, 3, 4];
    const y = t.map((x) => 15 + 0.1 * x);
    const fit = fitLine(t, y, [0.02, 0.02, 0.02, 0.02, 0.02]);
    expect(fit).not.toBeNull();
    expect(fit!.t0).toBeCloseTo(2, 12);
    expect(fit!.intercept).toBeCloseTo(15.2, 12);
    expect(fit!.slope).toBeCloseTo(0.1, 12);
    // σ_b = σ / √Σ(t − t̄)² = 0.02 / √10; σ_a = σ / √n
    expect(fit!.slopeErr).toBeCloseTo(0.02 / Math.sqrt(10), 12);
    expect(fit!.interceptErr).toBeCloseTo(0.02 / Math.sqrt(5), 12);
    expect(lineAt(fit!, 6).value).toBeCloseTo(15.6, 12);
  });

  it("scatter beyond the errors widens them by √χ²ν", () => {
    const t = [0, 1, 2, 3];
    const y = [15, 15.2, 14.8, 15.0];
    const fit = fitLine(t, y, [0.01, 0.01, 0.01, 0.01])!;
    expect(fit.reducedChi2).toBeGreaterThan(1);
    expect(fit.slopeErr).toBeCloseTo((0.01 / Math.sqrt(5)) * Math.sqrt(fit.reducedChi2), 12);
  });

  it("needs two distinct times", () => {
    expect(fitLine([1], [2], [0.1])).toBeNull();
    expect(fitLine([1, 1], [2, 3], [0.1, 0.1])).toBeNull();
  });
});
