import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SOURCE_FLAGS } from "../../src/astro/image/flags.ts";
import {
  FWHM_PER_SIGMA,
  adaptiveFwhm,
  annulusBackground,
  aperturePhotometry,
  apertureSum,
  circleRectOverlap,
  fluxToMagnitude,
  forcedPhotometry,
  fwhmFromWindowedMoments,
  profileFwhm,
  windowedCentroid,
  windowedMoments,
} from "../../src/astro/image/measure.ts";
import type { ImagePlane } from "../../src/astro/image/plane.ts";
import { createRng } from "../../src/astro/synth/random.ts";
import { moffatAlpha } from "../../src/astro/synth/image.ts";

function star(
  width: number,
  cx: number,
  cy: number,
  flux: number,
  profile: (r2: number) => number,
): ImagePlane {
  const data = new Float32Array(width * width);
  for (let y = 0; y < width; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = flux * profile((x - cx) ** 2 + (y - cy) ** 2);
  return { data, width, height: width };
}
const gaussian = (s: number) => (r2: number) => Math.exp(-r2 / (2 * s * s)) / (2 * Math.PI * s * s);
const moffat = (fwhm: number, beta: number) => {
  const a = moffatAlpha(fwhm, beta);
  return (r2: number) => ((beta - 1) / (Math.PI * a * a)) * (1 + r2 / (a * a)) ** -beta;
};

describe("circle–pixel overlap (exact), aperture sums", () => {
  it("overlaps lie in [0, 1] and the pixels of a grid add up to π r² (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: 0.05, max: 7, noNaN: true }),
        (cx, cy, r) => {
          let total = 0;
          const n = Math.ceil(r) + 2;
          for (let j = -n; j <= n; j++) {
            for (let i = -n; i <= n; i++) {
              const a = circleRectOverlap(i - 0.5 - cx, i + 0.5 - cx, j - 0.5 - cy, j + 0.5 - cy, r);
              if (a < -1e-12 || a > 1 + 1e-12) return false;
              total += a;
            }
          }
          return Math.abs(total - Math.PI * r * r) < 1e-9 * Math.max(1, r * r);
        },
      ),
      { numRuns: 300, seed: 20250314 },
    );
  });

  it("known cases: a pixel fully inside, a quarter circle, a half-covered pixel", () => {
    expect(circleRectOverlap(-0.5, 0.5, -0.5, 0.5, 10)).toBeCloseTo(1, 12);
    expect(circleRectOverlap(0, 5, 0, 5, 2)).toBeCloseTo(Math.PI, 12);
    expect(circleRectOverlap(0, 5, -5, 5, 1)).toBeCloseTo(Math.PI / 2, 12);
  });

  it("apertureSum of a constant image is value × π r² (exact weights), truncated at the border", () => {
    const img = { data: new Float32Array(50 * 50).fill(2), width: 50, height: 50 };
    const a = apertureSum(img, 24.3, 25.1, 6.7);
    expect(a.sumAdu).toBeCloseTo(2 * Math.PI * 6.7 ** 2, 4);
    expect(a.truncated).toBe(false);
    const b = apertureSum(img, 2, 25, 4);
    expect(b.truncated).toBe(true);
    expect(b.areaPx).toBeLessThan(Math.PI * 16);
  });
});

describe("windowed centroid, FWHM", () => {
  it("recovers a noiseless Gaussian star's position to 1e-3 px at any sub-pixel phase", () => {
    const rng = createRng(1);
    for (let k = 0; k < 20; k++) {
      const cx = 20 + rng.uniform(-0.5, 0.5);
      const cy = 20 + rng.uniform(-0.5, 0.5);
      const img = star(41, cx, cy, 1e4, gaussian(1.3));
      const c = windowedCentroid(img, Math.round(cx), Math.round(cy), 1.3);
      expect(c.ok).toBe(true);
      expect(Math.abs(c.xPx - cx)).toBeLessThan(1e-3);
      expect(Math.abs(c.yPx - cy)).toBeLessThan(1e-3);
    }
  });

  it("centroid scatter on a noisy star matches the expectation σ_x ≈ √2 σ_psf / (S/N)", () => {
    const rng = createRng(2);
    const dx: number[] = [];
    const s = 1.3;
    const flux = 4000;
    const sd = 10;
    const snr = flux / (Math.sqrt(4 * Math.PI) * s * sd); // optimal (PSF-weighted) S/N ≈ 67
    for (let k = 0; k < 200; k++) {
      const img = star(31, 15.2, 14.7, flux, gaussian(s));
      for (let i = 0; i < img.data.length; i++) img.data[i] += rng.gaussian(0, sd);
      dx.push(windowedCentroid(img, 15, 15, s).xPx - 15.2);
    }
    const rms = Math.sqrt(dx.reduce((a, v) => a + v * v, 0) / dx.length);
    expect(rms / ((Math.SQRT2 * s) / snr)).toBeGreaterThan(0.8);
    expect(rms / ((Math.SQRT2 * s) / snr)).toBeLessThan(1.25);
  });

  it("returns the start and ok = false when there is no positive signal", () => {
    const img = { data: new Float32Array(30 * 30).fill(-1), width: 30, height: 30 };
    expect(windowedCentroid(img, 10.2, 11, 1.3)).toMatchObject({ xPx: 10.2, yPx: 11, ok: false });
  });

  it("moment FWHM is exact for a Gaussian at any window; the profile fit gives a Moffat's true FWHM", () => {
    const g = star(41, 20.3, 19.8, 1e4, gaussian(1.5));
    for (const w of [1, 1.5, 3]) {
      expect(fwhmFromWindowedMoments(windowedMoments(g, 20.3, 19.8, w), w)).toBeCloseTo(
        1.5 * FWHM_PER_SIGMA,
        2,
      );
    }
    const m = star(41, 20.3, 19.8, 1e4, moffat(3, 3));
    const a = adaptiveFwhm(m, 20, 20, 1.3);
    expect(a.ok).toBe(true);
    expect(a.fwhmPx / 3).toBeGreaterThan(1.08); // Gaussian-equivalent width of a β = 3 Moffat is larger
    expect(profileFwhm(m, a.xPx, a.yPx, a.fwhmPx)).toBeCloseTo(3, 2);
    expect(profileFwhm(g, 20.3, 19.8, 3.5)).toBeCloseTo(1.5 * FWHM_PER_SIGMA, 2);
  });
});

describe("aperture photometry, annulus background, errors, magnitudes", () => {
  it("the clipped annulus median resists a bright neighbour and measures the local offset", () => {
    const rng = createRng(3);
    const img = star(81, 40, 40, 0, gaussian(1));
    for (let i = 0; i < img.data.length; i++) img.data[i] = 7 + rng.gaussian(0, 3);
    const nb = star(81, 52, 40, 50000, gaussian(1.3));
    for (let i = 0; i < img.data.length; i++) img.data[i] += nb.data[i];
    const an = annulusBackground(img, 40, 40, 9, 15);
    let sum = 0;
    let n = 0;
    for (let y = 0; y < 81; y++) {
      for (let x = 0; x < 81; x++) {
        const r2 = (x - 40) ** 2 + (y - 40) ** 2;
        if (r2 >= 81 && r2 < 225) {
          sum += img.data[y * 81 + x];
          n++;
        }
      }
    }
    expect(sum / n - 7).toBeGreaterThan(10); // the plain mean is ruined
    expect(Math.abs(an.levelAdu - 7)).toBeLessThan(1); // ≈ 0.2σ
  });

  it("flux of a noiseless star on a pedestal: exact with the annulus; σ_F² = F/g + A σ² (1 + (π/2) A/n_sky)", () => {
    const img = star(81, 40.4, 39.7, 10000, gaussian(1.2));
    for (let i = 0; i < img.data.length; i++) img.data[i] += 25;
    const p = aperturePhotometry(img, 40.4, 39.7, 4, { radiusPx: 8, annulusPx: [12, 20], gainEPerAdu: 2 });
    expect(p.fluxAdu).toBeCloseTo(10000, 0);
    expect(p.localBackAdu).toBeCloseTo(25, 3);
    const A = Math.PI * 64;
    expect(p.areaPx).toBeCloseTo(A, 6);
    expect(p.fluxErrAdu ** 2).toBeCloseTo(
      p.fluxAdu / 2 + A * 16 * (1 + ((Math.PI / 2) * A) / p.skyPixels),
      3,
    );
    expect(p.flags).toBe(0);
    const noSky = aperturePhotometry(img, 40.4, 39.7, 4, { radiusPx: 8, annulusPx: null });
    expect(noSky.fluxErrAdu ** 2).toBeCloseTo(A * 16, 3); // no gain → no Poisson term; no annulus → no sky-estimate term
  });

  it("error model: the scatter of repeated measurements matches σ_F within 10 %", () => {
    const rng = createRng(4);
    const fs: number[] = [];
    const es: number[] = [];
    const gain = 1.5;
    for (let k = 0; k < 300; k++) {
      const img = star(61, 30, 30, 20000, gaussian(1.3));
      for (let i = 0; i < img.data.length; i++) {
        const e = (img.data[i] + 300) * gain;
        img.data[i] = (e + Math.sqrt(e + 49) * rng.gaussian()) / gain;
      }
      const sigma = Math.sqrt(300 * gain + 49) / gain;
      const p = aperturePhotometry(img, 30, 30, sigma, {
        radiusPx: 4,
        annulusPx: [9, 15],
        gainEPerAdu: gain,
      });
      fs.push(p.fluxAdu);
      es.push(p.fluxErrAdu);
    }
    const mean = fs.reduce((a, b) => a + b, 0) / fs.length;
    const sd = Math.sqrt(fs.reduce((a, b) => a + (b - mean) ** 2, 0) / (fs.length - 1));
    const meanErr = es.reduce((a, b) => a + b, 0) / es.length;
    expect(sd / meanErr).toBeGreaterThan(0.9);
    expect(sd / meanErr).toBeLessThan(1.1);
  });

  it("forced photometry at an empty position: FORCED, flux ≈ 0 within errors, magnitude 99 if ≤ 0", () => {
    const rng = createRng(5);
    const img = {
      data: Float32Array.from({ length: 60 * 60 }, () => rng.gaussian(0, 5)),
      width: 60,
      height: 60,
    };
    const p = forcedPhotometry(img, 30, 30, 5, { radiusPx: 3, annulusPx: [9, 15], gainEPerAdu: 1 });
    expect(p.flags & SOURCE_FLAGS.FORCED).toBeTruthy();
    expect(Math.abs(p.fluxAdu)).toBeLessThan(4 * p.fluxErrAdu);
    expect(fluxToMagnitude(-3, 10, 25)).toEqual({ mag: 99, magErr: 99 });
    expect(fluxToMagnitude(NaN, 10, 25)).toEqual({ mag: 99, magErr: 99 });
  });

  it("m = ZP − 2.5 log₁₀ F, σ_m = 1.0857 σ_F / F", () => {
    const m = fluxToMagnitude(10000, 100, 25);
    expect(m.mag).toBeCloseTo(15, 12);
    expect(m.magErr).toBeCloseTo(1.0857362 * 0.01, 8);
  });
});
