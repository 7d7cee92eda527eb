import { describe, expect, it } from "vitest";
import { calibrateCatalogue } from "../../src/astro/calibrate/index.ts";
import {
  BAYER_PATTERNS,
  bayerColour,
  bayerLayout,
  channelWcs,
  splitBayer,
  splitColourCube,
  superpixelWcs,
  type BayerLayout,
} from "../../src/astro/image/bayer.ts";
import { extractSources } from "../../src/astro/image/extract.ts";
import type { InstrumentalCatalogue } from "../../src/astro/sextractor.ts";
import { makeField } from "../../src/astro/synth/catalog.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { pixelToSky } from "../../src/astro/wcs/tan.ts";

const layout = (pattern: BayerLayout["pattern"], more: Partial<BayerLayout> = {}): BayerLayout => ({
  pattern,
  xOffset: 0,
  yOffset: 0,
  topDown: false,
  ...more,
});

describe("Bayer layouts (BAYERPAT/COLORTYP, XBAYROFF/YBAYROFF, ROWORDER)", () => {
  it("reads the header; a non-colour frame is null; a bad pattern or offset throws", () => {
    const h = (o: Record<string, unknown>) => (k: string) => o[k];
    expect(bayerLayout(h({}))).toBeNull();
    expect(bayerLayout(h({ BAYERPAT: "rggb", XBAYROFF: 1, ROWORDER: "TOP-DOWN" }))).toEqual({
      pattern: "RGGB",
      xOffset: 1,
      yOffset: 0,
      topDown: true,
    });
    expect(bayerLayout(h({ COLORTYP: "GBRG" }))?.pattern).toBe("GBRG");
    expect(() => bayerLayout(h({ BAYERPAT: "RGBW" }))).toThrow(/not one of RGGB/);
    expect(() => bayerLayout(h({ BAYERPAT: "RGGB", YBAYROFF: -1 }))).toThrow(/YBAYROFF/);
  });

  it("colours: the first two letters are the first row; offsets shift; TOP-DOWN counts rows from the top", () => {
    const grid = (l: BayerLayout, height = 4) =>
      [0, 1].map((y) => [0, 1].map((x) => bayerColour(l, x, y, height)).join("")).join("");
    expect(grid(layout("RGGB"))).toBe("RGGB");
    expect(grid(layout("BGGR"))).toBe("BGGR");
    expect(grid(layout("GRBG"))).toBe("GRBG");
    expect(grid(layout("GBRG"))).toBe("GBRG");
    expect(grid(layout("RGGB", { xOffset: 1 }))).toBe("GRBG");
    expect(grid(layout("RGGB", { yOffset: 1 }))).toBe("GBRG");
    // TOP-DOWN, even height: FITS row 0 is the pattern's last row
    expect(grid(layout("RGGB", { topDown: true }))).toBe("GBRG");
    expect(grid(layout("RGGB", { topDown: true }), 5)).toBe("RGGB");
  });

  it("splits 2×2 superpixels, greens averaged, for every pattern", () => {
    for (const p of BAYER_PATTERNS) {
      // a 4×2 frame: value = 10·colour code + block
      const code = { R: 1, G: 2, B: 3 } as const;
      const l = layout(p);
      const data = Float32Array.from({ length: 8 }, (_, k) => {
        const x = k % 4;
        const y = k >> 2;
        const c = bayerColour(l, x, y, 2);
        return 10 * code[c] + (x >> 1) + (c === "G" ? y : 0); // the two greens differ by 1
      });
      const s = splitBayer(data, 4, 2, l);
      expect([s.width, s.height]).toEqual([2, 1]);
      expect(Array.from(s.R)).toEqual([10, 11]);
      expect(Array.from(s.B)).toEqual([30, 31]);
      expect(Array.from(s.G)).toEqual([20.5, 21.5]);
    }
    const cube = splitColourCube([1, 2, 3, 4, 5, 6], 2, 1);
    expect([Array.from(cube.R), Array.from(cube.G), Array.from(cube.B)]).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it("the superpixel WCS puts every superpixel centre where its 2×2 block's centre was", () => {
    const wcs = {
      crpix: [1024.5, 1000.25] as [number, number],
      crvalDeg: [150, 2] as [number, number],
      cd: [
        [-1.6e-4, 2e-6],
        [3e-6, 1.6e-4],
      ] as [[number, number], [number, number]],
      sip: { a: [[0, 0, 1e-6], [0, 2e-6], [3e-7]], b: [[0, 0, -1e-6], [0, 1e-6], [2e-7]], order: 2 },
    };
    const w2 = superpixelWcs(wcs);
    for (const [x2, y2] of [
      [1, 1],
      [300.5, 777],
      [1024, 1024],
    ]) {
      const a = pixelToSky(w2, x2, y2);
      const b = pixelToSky(wcs, 2 * x2 - 0.5, 2 * y2 - 0.5);
      expect(Math.abs(a.raDeg - b.raDeg) * 3600).toBeLessThan(1e-6);
      expect(Math.abs(a.decDeg - b.decDeg) * 3600).toBeLessThan(1e-6);
    }
  });
});

describe("channel WCS: each channel's superpixel sits where its own pixels are", () => {
  it("R, G, B of every pattern and a TOP-DOWN frame: superpixel (i, j) → the mean of its channel's pixels", () => {
    const wcs = {
      crpix: [512.5, 500.25] as [number, number],
      crvalDeg: [150, 2] as [number, number],
      cd: [
        [-2.2e-4, 1e-6],
        [2e-6, 2.2e-4],
      ] as [[number, number], [number, number]],
    };
    const height = 1000;
    for (const l of [layout("RGGB"), layout("GBRG", { topDown: true }), layout("BGGR", { xOffset: 1 })]) {
      for (const c of ["R", "G", "B"] as const) {
        const cw = channelWcs(wcs, l, height, c);
        for (const [i, j] of [
          [0, 0],
          [123, 321],
        ]) {
          // 0-based data positions of the channel in block (i, j), as FITS pixels (+1)
          const pos: [number, number][] = [];
          for (let k = 0; k < 4; k++) {
            const x = 2 * i + (k % 2);
            const y = 2 * j + (k >> 1);
            if (bayerColour(l, x, y, height) === c) pos.push([x + 1, y + 1]);
          }
          const x = pos.reduce((s, p) => s + p[0], 0) / pos.length;
          const y = pos.reduce((s, p) => s + p[1], 0) / pos.length;
          const a = pixelToSky(cw, i + 1, j + 1);
          const b = pixelToSky(wcs, x, y);
          expect(Math.abs(a.raDeg - b.raDeg) * 3600, `${l.pattern} ${c}`).toBeLessThan(1e-6);
          expect(Math.abs(a.decDeg - b.decDeg) * 3600, `${l.pattern} ${c}`).toBeLessThan(1e-6);
        }
      }
    }
  });
});

describe("a one-shot-colour RGGB frame → three calibrated points", () => {
  it("R → GaiaSP R, G → GaiaSP V, B → GaiaSP B, each within 3σ of the injected magnitude", () => {
    const size = 1024; // Bayer frame; channels 512²
    const scale = 0.8;
    const half = (size * scale) / 3600 / 2;
    const field = makeField({ seed: 31, nStars: 700, halfWidthDeg: half * 1.02, magRange: [11, 19] });
    const target = { raDeg: 150.004, decDeg: 2.003 };
    const injected = { R: 14.6, G: 15.1, B: 15.9 }; // R, V, B of the target
    const bands = { R: "R", G: "V", B: "B" } as const;
    const images = (["R", "G", "B"] as const).map((c, k) =>
      makeSyntheticImage({
        seed: 40 + k,
        width: size,
        height: size,
        field,
        band: bands[c],
        pixelScaleArcsec: scale,
        fwhmPx: 5,
        zeroPointMag: 26,
        target: { ...target, mag: injected[c] },
      }),
    );
    const l = layout("RGGB");
    const mosaic = new Float32Array(size * size);
    const index = { R: 0, G: 1, B: 2 };
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        mosaic[y * size + x] = images[index[bayerColour(l, x, y, size)]].data[y * size + x];
    const channels = splitBayer(mosaic, size, size, l);
    const wcs = superpixelWcs(images[0].wcs);
    const lines: string[] = [];
    for (const c of ["R", "G", "B"] as const) {
      const ex = extractSources(
        { data: channels[c], width: channels.width, height: channels.height },
        { wcs, gainEPerAdu: c === "G" ? 3 : 1.5, saturationAdu: 60000, target },
      );
      expect(ex.targetIndex).toBeGreaterThanOrEqual(0);
      const catalogue: InstrumentalCatalogue = {
        number: Int32Array.from(ex.rows, (r) => r.number),
        raDeg: Float64Array.from(ex.rows, (r) => r.raDeg),
        decDeg: Float64Array.from(ex.rows, (r) => r.decDeg),
        mag: Float64Array.from(ex.rows, (r) => r.mag),
        magErr: Float64Array.from(ex.rows, (r) => r.magErr),
      };
      const r = calibrateCatalogue({
        catalogue,
        reference: field.reference,
        target,
        request: `GaiaSP/${bands[c]}`,
        targetIndex: ex.targetIndex,
        colour: {},
      });
      expect(r.ok, r.calibrationData.status_message).toBe(true);
      const { mag, mag_error } = r.calibrationData;
      lines.push(`${c}: ${mag!.toFixed(3)} ± ${mag_error!.toFixed(3)} (injected ${injected[c]})`);
      expect(Math.abs(mag! - injected[c]), lines.join("; ")).toBeLessThan(3 * mag_error!);
    }
    console.log(`RGGB channels: ${lines.join("; ")}`);
  });
});
