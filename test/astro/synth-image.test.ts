import { describe, expect, it } from "vitest";
import type { FitsHeader } from "../../src/astro/fits/index.ts";
import { readFits, writeFits } from "../../src/astro/fits/index.ts";
import { makeField } from "../../src/astro/synth/catalog.ts";
import { makeSyntheticImage, moffatAlpha, moffatEnclosed } from "../../src/astro/synth/image.ts";
import { pixelToSky, skyToPixel, wcsFromHeader } from "../../src/astro/wcs/index.ts";

function sumBox(data: Float32Array, width: number, x: number, y: number, r: number, sky: number): number {
  let s = 0;
  for (let j = Math.round(y) - r; j <= Math.round(y) + r; j++)
    for (let i = Math.round(x) - r; i <= Math.round(x) + r; i++) s += data[(j - 1) * width + (i - 1)] - sky;
  return s;
}

describe("makeSyntheticImage — a star field with known truth (astro-notes §3.1)", () => {
  it("is reproducible from its seed and differs between seeds", () => {
    const a = makeSyntheticImage({ seed: 5, width: 256, height: 256, nStars: 40 });
    const b = makeSyntheticImage({ seed: 5, width: 256, height: 256, nStars: 40 });
    const c = makeSyntheticImage({ seed: 6, width: 256, height: 256, nStars: 40 });
    expect(b.data).toEqual(a.data);
    expect(Array.from(b.truth.x)).toEqual(Array.from(a.truth.x));
    expect(c.data).not.toEqual(a.data);
  });

  it("noiseless stars hold their catalogue flux: F = 10^(−0.4 (m − ZP)) within 0.2 %", () => {
    const field = makeField({ seed: 3, nStars: 1, halfWidthDeg: 0.001, magRange: [14, 14.0001] });
    const im = makeSyntheticImage({ seed: 1, width: 128, height: 128, field, noise: false, skyAdu: 100 });
    expect(im.truth.x.length).toBe(1);
    const f = sumBox(im.data, 128, im.truth.x[0], im.truth.y[0], 40, 100);
    expect(im.truth.fluxAdu[0] / 10 ** (-0.4 * (im.truth.mag[0] - 25))).toBeCloseTo(1, 12);
    // The stamp ends where the profile drops below 0.05 ADU: the flux beyond is < 0.2 %.
    expect(Math.abs(f / im.truth.fluxAdu[0] - 1)).toBeLessThan(0.002);
  });

  it("places stars at their WCS positions: the flux-weighted centre of a noiseless star is the truth", () => {
    const field = makeField({ seed: 9, nStars: 1, halfWidthDeg: 0.002, magRange: [13, 13.0001] });
    const im = makeSyntheticImage({
      seed: 2,
      width: 100,
      height: 100,
      field,
      noise: false,
      skyAdu: 0,
      rotationDeg: 30,
    });
    const { x, y } = im.truth;
    let s = 0;
    let sx = 0;
    let sy = 0;
    for (let j = Math.round(y[0]) - 25; j <= Math.round(y[0]) + 25; j++) {
      for (let i = Math.round(x[0]) - 25; i <= Math.round(x[0]) + 25; i++) {
        const v = im.data[(j - 1) * 100 + i - 1];
        s += v;
        sx += v * i;
        sy += v * j;
      }
    }
    expect(Math.abs(sx / s - x[0])).toBeLessThan(0.01);
    expect(Math.abs(sy / s - y[0])).toBeLessThan(0.01);
    const p = skyToPixel(im.wcs, im.truth.raDeg[0], im.truth.decDeg[0]);
    expect(p?.x).toBeCloseTo(x[0], 9);
  });

  it("writes realistic headers that round-trip through FITS and the WCS reader", () => {
    const im = makeSyntheticImage({
      seed: 4,
      width: 200,
      height: 150,
      nStars: 30,
      rotationDeg: 12,
      target: { raDeg: 150.001, decDeg: 2.001, mag: 15.5 },
      exptimeS: 90,
      object: "T1",
    });
    const back = readFits(
      writeFits({ data: im.data, width: 200, height: 150, bitpix: -32, header: im.header }),
    );
    const h: FitsHeader = back.header;
    expect(h.getString("DATE-OBS")).toBe("2024-03-15T21:30:00.000");
    expect(h.getNumber("MJD-OBS")).toBeCloseTo(60384.895833333, 8);
    expect([
      h.getNumber("EXPTIME"),
      h.getString("FILTER"),
      h.getNumber("GAIN"),
      h.getNumber("RDNOISE"),
    ]).toEqual([90, "V", 1.5, 8]);
    expect(h.getNumber("SATURATE")).toBe(60000);
    expect(h.getString("OBJECT")).toBe("T1");
    expect(h.getString("RA")).toBe("10:00:00.00");
    expect(h.getString("DEC")).toBe("+02:00:00.0");
    const w = wcsFromHeader((k) => h.get(k) ?? undefined);
    if (!w.ok) throw new Error(w.reason);
    const s = pixelToSky(w.wcs, 17.25, 99.5);
    const t = pixelToSky(im.wcs, 17.25, 99.5);
    expect(s.raDeg).toBeCloseTo(t.raDeg, 10);
    expect(s.decDeg).toBeCloseTo(t.decDeg, 10);
    // Rotation ρ = 12°: CD1_2 = −s sin ρ.
    expect(im.wcs.cd[0][1]).toBeCloseTo((-0.6 / 3600) * Math.sin((12 * Math.PI) / 180), 12);
    const ti = im.truth.isTarget.indexOf(1);
    expect(im.truth.mag[ti]).toBe(15.5);
    expect(im.truth.fieldIndex[ti]).toBe(-1);
  });

  it("honours SIP distortion: truth pixels are the SIP inverse of the truth sky positions", () => {
    const sip = {
      order: 2,
      a: [
        [0, 0, 2e-6],
        [0, 1e-6, 0],
        [-3e-6, 0, 0],
      ],
      b: [
        [0, 0, 1e-6],
        [0, -2e-6, 0],
        [1e-6, 0, 0],
      ],
    };
    const im = makeSyntheticImage({ seed: 8, width: 512, height: 512, nStars: 50, sip, noise: false });
    expect(im.header.CTYPE1).toBe("RA---TAN-SIP");
    for (let i = 0; i < im.truth.x.length; i++) {
      const s = pixelToSky(im.wcs, im.truth.x[i], im.truth.y[i]);
      expect(Math.abs(s.raDeg - im.truth.raDeg[i]) * 3600).toBeLessThan(1e-6);
      expect(Math.abs(s.decDeg - im.truth.decDeg[i]) * 3600).toBeLessThan(1e-6);
    }
  });

  it("sky noise follows the CCD equation √(S·g + RN²)/g and saturation clips pixels", () => {
    const im = makeSyntheticImage({
      seed: 11,
      width: 300,
      height: 300,
      nStars: 0,
      skyAdu: 400,
      gainEPerAdu: 2,
      readNoiseE: 10,
    });
    let s = 0;
    let s2 = 0;
    for (const v of im.data) {
      s += v;
      s2 += v * v;
    }
    const n = im.data.length;
    const sd = Math.sqrt(s2 / n - (s / n) ** 2);
    expect(s / n).toBeCloseTo(400, 0);
    expect(sd / (Math.sqrt(400 * 2 + 100) / 2)).toBeCloseTo(1, 1.5);
    const sat = makeSyntheticImage({
      seed: 12,
      width: 400,
      height: 400,
      nStars: 200,
      magRange: [7, 12],
      saturationAdu: 20000,
    });
    expect(sat.data.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(20000);
    expect(sat.truth.saturated.reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  });

  it("truth S/N uses the Moffat enclosed energy in a 1-FWHM aperture", () => {
    const alpha = moffatAlpha(3, 3);
    expect(alpha).toBeCloseTo(3 / (2 * Math.sqrt(2 ** (1 / 3) - 1)), 12);
    expect(moffatEnclosed(5, alpha, 3)).toBeCloseTo(0.934, 3); // astro-notes §2.1: r = 5 px encloses 93.3 %
    const im = makeSyntheticImage({ seed: 13, width: 256, height: 256, nStars: 20 });
    const i = 0;
    const F = im.truth.fluxAdu[i] * moffatEnclosed(3, alpha, 3);
    const varPix = (500 * 1.5 + 64) / 1.5 ** 2;
    expect(im.truth.snr[i]).toBeCloseTo(F / Math.sqrt(F / 1.5 + Math.PI * 9 * varPix), 6);
  });

  it("renders a 4096² frame with 12 000 stars in a few seconds (bounded stamps)", () => {
    const t0 = performance.now();
    const im = makeSyntheticImage({
      seed: 42,
      width: 4096,
      height: 4096,
      nStars: 12000,
      cosmicRays: 100,
      hotPixels: 50,
    });
    const ms = performance.now() - t0;
    expect(im.truth.x.length).toBeGreaterThan(11000);
    expect(ms).toBeLessThan(15000); // ≈ 1–2 s here; generous for a loaded 2-core machine
  }, 30_000);
});
