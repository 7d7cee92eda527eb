import { describe, expect, it } from "vitest";
import { detectSources, filterTaps } from "../../src/astro/image/detect.ts";
import { deblendComponent, createDeblendScratch } from "../../src/astro/image/deblend.ts";
import { SOURCE_FLAGS, flagNames } from "../../src/astro/image/flags.ts";
import type { ImagePlane } from "../../src/astro/image/plane.ts";
import { createRng } from "../../src/astro/synth/random.ts";

/** Background-subtracted image with Gaussian noise σ and Gaussian stars (x, y 0-based, flux ADU, σ_psf px). */
function field(
  width: number,
  height: number,
  sd: number,
  stars: [number, number, number][],
  seed = 1,
  psf = 1.3,
): ImagePlane {
  const rng = createRng(seed);
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rng.gaussian(0, sd);
  for (const [sx, sy, f] of stars) {
    for (let y = Math.max(0, Math.floor(sy - 8 * psf)); y <= Math.min(height - 1, sy + 8 * psf); y++) {
      for (let x = Math.max(0, Math.floor(sx - 8 * psf)); x <= Math.min(width - 1, sx + 8 * psf); x++) {
        data[y * width + x] +=
          (f / (2 * Math.PI * psf * psf)) * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * psf * psf));
      }
    }
  }
  return { data, width, height };
}

describe("detectSources — threshold, 8-connected components, minimum area", () => {
  it("finds isolated stars once each, at their isophotal barycentres, and nothing else", () => {
    const stars: [number, number, number][] = [
      [30.3, 40.7, 3000],
      [100.5, 20.2, 800],
      [150.1, 130.9, 20000],
      [60, 150, 1500],
    ];
    const img = field(200, 180, 10, stars);
    const det = detectSources(img, 10);
    expect(det.count).toBe(4);
    for (const [x, y] of stars) {
      const i = Array.from(det.xPx).findIndex((v, k) => Math.hypot(v - x, det.yPx[k] - y) < 0.3);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(det.flags[i]).toBe(0);
    }
    // pixel lists partition: every pixel belongs to one object, areas add up
    expect(det.pixelStart[det.count]).toBe(det.areaPx.reduce((a, b) => a + b, 0));
  });

  it("unfiltered k = 3: a single hot pixel is below DETECT_MINAREA 5; a star is not", () => {
    const img = field(80, 80, 5, [[40, 40, 2000]], 2);
    img.data[10 * 80 + 10] = 5000;
    const det = detectSources(img, 5, { filter: "none", thresholdSigma: 3, minAreaPx: 5 });
    expect(det.count).toBe(1);
    expect(Math.hypot(det.xPx[0] - 40, det.yPx[0] - 40)).toBeLessThan(0.3);
    const all = detectSources(img, 5, { filter: "none", thresholdSigma: 3, minAreaPx: 1 });
    expect(Array.from(all.xPx).some((x, i) => x === 10 && all.yPx[i] === 10)).toBe(true);
  });

  it("takes the per-pixel RMS into account (map or row function) and never detects NaN pixels", () => {
    const img = field(120, 60, 1, [
      [30, 30, 400],
      [90, 30, 400],
    ]);
    const rms = new Float32Array(120 * 60);
    for (let y = 0; y < 60; y++) for (let x = 0; x < 120; x++) rms[y * 120 + x] = x < 60 ? 1 : 100;
    expect(detectSources(img, rms).count).toBe(1);
    expect(detectSources(img, (_y, out) => out.fill(1)).count).toBe(2);
    for (let y = 20; y < 40; y++) for (let x = 80; x < 100; x++) img.data[y * 120 + x] = NaN;
    const det = detectSources(img, 1);
    expect(det.count).toBe(1);
    expect(det.xPx[0]).toBeLessThan(60);
  });

  it("flags EDGE for a star cut by the border and SATURATED for pixels at the saturation level", () => {
    const img = field(100, 100, 3, [
      [1, 50, 3000],
      [50, 50, 90000],
    ]);
    const original = Float32Array.from(img.data, (v) => Math.min(v + 100, 2000));
    const det = detectSources({ data: original, width: 100, height: 100 }, 3, { saturationAdu: 2000 }, 100);
    expect(det.count).toBe(2);
    const edge = Array.from(det.xPx).findIndex((x) => x < 10);
    expect(flagNames(det.flags[edge])).toEqual(["EDGE"]);
    expect(flagNames(det.flags[1 - edge])).toEqual(["SATURATED"]);
    // isophotal sums use the background-subtracted values of the object's own pixels
    let sum = 0;
    for (let j = det.pixelStart[edge]; j < det.pixelStart[edge + 1]; j++)
      sum += original[det.pixels[j]] - 100;
    expect(det.isoFluxAdu[edge]).toBeCloseTo(sum, 2);
  });

  it("keeps the brightest objects when the cap is hit and says so", () => {
    const stars: [number, number, number][] = [];
    for (let k = 0; k < 10; k++) stars.push([20 + 18 * k, 30, 500 * (k + 1)]);
    const det = detectSources(field(220, 60, 5, stars), 5, { maxObjects: 3 });
    expect(det.overflow).toBe(true);
    expect(det.count).toBe(3);
    expect(Array.from(det.xPx, (x) => Math.round(x)).sort((a, b) => a - b)).toEqual([146, 164, 182]);
    expect(det.flags.every((f) => (f & SOURCE_FLAGS.OVERFLOW) !== 0)).toBe(true);
  });

  it("filter taps are normalised (SExtractor default.conv and Gaussians)", () => {
    expect(Array.from(filterTaps("default") ?? [])).toEqual([0.25, 0.5, 0.25]);
    expect(filterTaps("none")).toBeNull();
    const g = filterTaps({ gaussianFwhmPx: 3 }) ?? new Float32Array();
    expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(g.length).toBe(9); // radius ⌈2.5σ⌉ = 4 px
  });
});

describe("deblending — multi-threshold tree (DEBLEND_NTHRESH 32, DEBLEND_MINCONT 0.005)", () => {
  it("splits two touching stars 2.5 FWHM apart into two BLENDED objects near their true centres", () => {
    // σ_psf 1.3 px → FWHM 3.06 px; separation 7.6 px; flux ratio 4.
    const img = field(100, 80, 5, [
      [40, 40, 20000],
      [47.6, 40.5, 5000],
    ]);
    const det = detectSources(img, 5);
    expect(det.count).toBe(2);
    expect(det.flags.every((f) => f === SOURCE_FLAGS.BLENDED)).toBe(true);
    const xs = Array.from(det.xPx).sort((a, b) => a - b);
    expect(Math.abs(xs[0] - 40)).toBeLessThan(0.3);
    expect(Math.abs(xs[1] - 47.6)).toBeLessThan(0.6);
    // DEBLEND_MINCONT = 1 disables deblending
    expect(detectSources(img, 5, { deblendMinContrast: 1 }).count).toBe(1);
  });

  it("splits two equal stars 1.4 FWHM apart, whose branches rise above the saddle with 3–4 pixels each", () => {
    // Branches count from min(DETECT_MINAREA, 3) pixels, as in SExtractor (deb_maxarea); with 5 this pair
    // (4.2 px apart, FWHM 3.06 px) stayed one object in all 20 noise realisations.
    const offsets: number[] = [];
    const areas: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const img = field(
        60,
        60,
        18,
        [
          [30.2, 30.4, 7800],
          [33.85, 32.46, 7800],
        ],
        seed,
      );
      const det = detectSources(img, 18);
      expect(det.count).toBe(2);
      expect(Array.from(det.flags)).toEqual([SOURCE_FLAGS.BLENDED, SOURCE_FLAGS.BLENDED]);
      const xs = Array.from(det.xPx).sort((a, b) => a - b);
      offsets.push(Math.abs(xs[0] - 30.2), Math.abs(xs[1] - 33.85));
      areas.push(...det.areaPx);
    }
    expect(Math.max(...offsets)).toBeLessThan(0.6); // isophotal barycentres of the two halves
    expect(Math.min(...areas)).toBeGreaterThan(20); // each gets its share of the pixels below the saddle
  });

  it("keeps one object when the fainter peak holds less than DEBLEND_MINCONT of the flux", () => {
    const img = field(100, 80, 2, [
      [40, 40, 100000],
      [48, 40, 600],
    ]);
    // The test is on the branch's flux above its own level, Σ(v − t), against δ_c Σ v of the component.
    expect(detectSources(img, 2, { deblendMinContrast: 0.005 }).count).toBe(1);
    expect(detectSources(img, 2, { deblendMinContrast: 0.001 }).count).toBe(2);
  });

  it("does not split a bright, noisy single star (noise peaks in its wings fail the contrast test)", () => {
    const img = field(120, 120, 20, [[60, 60, 2e6]], 5, 2);
    const det = detectSources(img, 20);
    expect(det.count).toBe(1);
    expect(det.flags[0]).toBe(0);
  });

  it("deblendComponent on an exact three-peak profile gives three objects and labels every pixel", () => {
    const width = 40;
    const pixels: number[] = [];
    const values: number[] = [];
    const peaks = [
      [10, 10],
      [22, 10],
      [16, 20],
    ];
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        let v = 0;
        for (const [px, py] of peaks) v += 100 * Math.exp(-((x - px) ** 2 + (y - py) ** 2) / 8);
        if (v > 1) {
          pixels.push(y * width + x);
          values.push(v);
        }
      }
    }
    const label = new Int32Array(pixels.length);
    const m = deblendComponent(
      Int32Array.from(pixels),
      Float32Array.from(values),
      width,
      1,
      { levels: 32, minContrast: 0.005, minAreaPx: 5 },
      createDeblendScratch(),
      label,
    );
    expect(m).toBe(3);
    expect(label.every((l) => l >= 0 && l < 3)).toBe(true);
    const counts = [0, 0, 0];
    for (const l of label) counts[l]++;
    for (const c of counts) expect(c).toBeGreaterThan(pixels.length / 5);
  });
});
