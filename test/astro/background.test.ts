import { describe, expect, it } from "vitest";
import {
  backgroundAt,
  backgroundMap,
  estimateBackground,
  meshStatistics,
  subtractBackground,
} from "../../src/astro/image/background.ts";
import type { ImagePlane } from "../../src/astro/image/background.ts";
import { createRng } from "../../src/astro/synth/random.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";

function gaussianPlane(
  width: number,
  height: number,
  seed: number,
  f: (x: number, y: number) => number,
  sd: number,
): ImagePlane {
  const rng = createRng(seed);
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = f(x, y) + rng.gaussian(0, sd);
  return { data, width, height };
}

describe("meshStatistics — SExtractor's clipped mode of one mesh", () => {
  it("a constant mesh: mode = value, σ = 0", () => {
    const img = { data: new Float32Array(64 * 64).fill(123.5), width: 64, height: 64 };
    const s = meshStatistics(img, 0, 64, 0, 64);
    expect(s).toMatchObject({ ok: true, modeAdu: 123.5, sigmaAdu: 0 });
  });

  it("pure Gaussian noise: mode and σ within their sampling errors (2.1σ/√n, σ/√2n)", () => {
    const img = gaussianPlane(64, 64, 1, () => 1000, 20);
    const s = meshStatistics(img, 0, 64, 0, 64);
    expect(Math.abs(s.modeAdu - 1000)).toBeLessThan(4 * 2.14 * (20 / 64));
    // 3σ clipping keeps 98.6 % of the σ of a Gaussian.
    expect(s.sigmaAdu / 20).toBeGreaterThan(0.95);
    expect(s.sigmaAdu / 20).toBeLessThan(1.02);
  });

  it("a crowded mesh: the mode stays near the sky while the mean is pulled up by sources", () => {
    const rng = createRng(2);
    const img = gaussianPlane(64, 64, 3, () => 500, 15);
    // 10 % of the pixels carry faint source light of 0–60 ADU.
    for (let i = 0; i < img.data.length; i++) if (rng.next() < 0.1) img.data[i] += rng.uniform(0, 60);
    const s = meshStatistics(img, 0, 64, 0, 64);
    let mean = 0;
    for (const v of img.data) mean += v / img.data.length;
    expect(mean - 500).toBeGreaterThan(2.5);
    expect(Math.abs(s.modeAdu - 500)).toBeLessThan(0.5 * (mean - 500));
  });

  it("ignores NaN pixels and refuses a mesh with fewer than half valid", () => {
    const img = gaussianPlane(64, 64, 4, () => 200, 5);
    for (let i = 0; i < 64 * 20; i++) img.data[i] = NaN;
    expect(Math.abs(meshStatistics(img, 0, 64, 0, 64).modeAdu - 200)).toBeLessThan(1);
    for (let i = 0; i < 64 * 40; i++) img.data[i] = NaN;
    expect(meshStatistics(img, 0, 64, 0, 64).ok).toBe(false);
  });
});

describe("estimateBackground — mesh grid, median filter, bicubic spline", () => {
  it("a noiseless plane is reproduced everywhere, also beyond the outermost mesh centres", () => {
    const plane = (x: number, y: number): number => 300 + 0.05 * x - 0.03 * y;
    const data = new Float32Array(500 * 300);
    for (let y = 0; y < 300; y++) for (let x = 0; x < 500; x++) data[y * 500 + x] = plane(x, y);
    const model = estimateBackground({ data, width: 500, height: 300 }, { meshSizePx: 50 });
    const map = backgroundMap(model, "back");
    let worst = 0;
    for (let y = 0; y < 300; y++)
      for (let x = 0; x < 500; x++) worst = Math.max(worst, Math.abs(map[y * 500 + x] - plane(x, y)));
    // Limited by the histogram quantisation of each mesh's median (bins of σ_mesh / 51 ≈ 0.02 ADU here).
    expect(worst).toBeLessThan(0.02);
    expect(model.back.plane[1]).toBeCloseTo(0.05, 4);
    expect(model.back.plane[2]).toBeCloseTo(-0.03, 4);
  });

  it("sky gradient, no stars (2048², σ ≈ 19 ADU): recovered within 0.5 % and 0.1σ at every pixel", () => {
    const sky = 500;
    const [gx, gy] = [0.02, -0.015];
    const im = makeSyntheticImage({
      seed: 6,
      width: 2048,
      height: 2048,
      nStars: 0,
      skyAdu: sky,
      skyGradientAduPerPx: [gx, gy],
    });
    const model = estimateBackground(im);
    const map = backgroundMap(model, "back");
    const c = (2048 + 1) / 2;
    let worst = 0;
    for (let y = 0; y < 2048; y++) {
      for (let x = 0; x < 2048; x++) {
        const truth = sky + gx * (x + 1 - c) + gy * (y + 1 - c);
        worst = Math.max(worst, Math.abs(map[y * 2048 + x] - truth));
      }
    }
    const sigma = Math.sqrt(sky * 1.5 + 64) / 1.5;
    expect(worst / sky).toBeLessThan(0.005); // measured 0.20 %
    expect(worst / sigma).toBeLessThan(0.1); // measured 0.05σ
    expect(model.globalRmsAdu / sigma).toBeGreaterThan(0.97);
    expect(model.globalRmsAdu / sigma).toBeLessThan(1.01);
    const rms = backgroundMap(model, "rms");
    for (let i = 0; i < rms.length; i += 997) expect(Math.abs(rms[i] / sigma - 1)).toBeLessThan(0.06);
  });

  it("stars barely bias the background (mode estimate): within 0.1σ of the sky in a 3000-star field", () => {
    const im = makeSyntheticImage({ seed: 7, width: 1024, height: 1024, nStars: 750 });
    const model = estimateBackground(im);
    expect(Math.abs(model.globalBackAdu - 500)).toBeLessThan(0.1 * 19);
  });

  it("backgroundAt agrees with the map; subtractBackground leaves a zero-mean image", () => {
    const img = gaussianPlane(700, 400, 8, (x, y) => 100 + 0.01 * x + 0.02 * y + 5 * Math.sin(x / 150), 3);
    const model = estimateBackground(img, { meshSizePx: 32 });
    const map = backgroundMap(model, "back");
    for (const [x, y] of [
      [0, 0],
      [13, 399],
      [350, 200],
      [699, 17],
    ]) {
      expect(backgroundAt(model, "back", x, y)).toBeCloseTo(map[y * 700 + x], 3);
    }
    const sub = subtractBackground(img, model);
    let s = 0;
    for (const v of sub) s += v;
    expect(Math.abs(s / sub.length)).toBeLessThan(0.05);
  });

  it("fills a mesh of NaN pixels from its neighbours and counts it as bad", () => {
    const img = gaussianPlane(256, 256, 9, () => 50, 2);
    for (let y = 64; y < 128; y++) for (let x = 64; x < 128; x++) img.data[y * 256 + x] = NaN;
    const model = estimateBackground(img);
    expect(model.badMeshes).toBe(1);
    expect(Math.abs(backgroundAt(model, "back", 96, 96) - 50)).toBeLessThan(0.3);
  });
});
