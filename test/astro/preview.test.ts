/**
 * zscale limits (against a verbatim NumPy port of astropy's ZScaleInterval.get_limits run on the same
 * deterministic array) and the PNG quick look (decoded back with zlib: signature, IHDR, CRC, pixels).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readFitsFile } from "../../src/astro/fits/file.ts";
import { crc32, previewGeometry, previewPng, zscaleLimits } from "../../src/astro/image/preview.ts";
import { skyToPixel, wcsFromHeader } from "../../src/astro/wcs/index.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIXTURE = `${FIELD_DIR}/frame-f32.fits`;
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

/** Sky 1000 ± 20 (Irwin–Hall normal, Park–Miller uniforms), a "star" every 97th pixel, a NaN every 1009th. */
function noisyFrame(w: number, h: number, starAmp: number): Float64Array {
  let x = 12345;
  const u = () => {
    x = (16807 * x) % 2147483647;
    return x / 2147483647;
  };
  const d = new Float64Array(w * h);
  for (let i = 0; i < d.length; i++) {
    let g = 0;
    for (let k = 0; k < 12; k++) g += u();
    g -= 6;
    let v = 1000 + 20 * g;
    if (i % 97 === 5) v = starAmp * (1 + u());
    if (i % 1009 === 3) v = NaN;
    d[i] = v;
  }
  return d;
}

interface DecodedPng {
  width: number;
  height: number;
  rgb: (col: number, row: number) => [number, number, number];
}

/** Minimal PNG reader for what previewPng writes (8-bit RGB, filter 0), checking every chunk's CRC. */
function decodePng(png: Uint8Array): DecodedPng {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  const idat: Uint8Array[] = [];
  let width = 0;
  let height = 0;
  for (let o = 8; o < png.length;) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const body = png.subarray(o + 8, o + 8 + len);
    expect(dv.getUint32(o + 8 + len), `CRC of ${type}`).toBe(crc32(png.subarray(o + 4, o + 8 + len)));
    types.push(type);
    if (type === "IHDR") {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      expect(Array.from(body.subarray(8))).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === "IDAT") idat.push(body);
    o += 12 + len;
  }
  expect(types[0]).toBe("IHDR");
  expect(types.at(-1)).toBe("IEND");
  const raw = inflateSync(Buffer.concat(idat));
  const rowBytes = 1 + 3 * width;
  expect(raw.length).toBe(rowBytes * height);
  for (let r = 0; r < height; r++) expect(raw[r * rowBytes]).toBe(0);
  return {
    width,
    height,
    rgb: (c, r) => {
      const o = r * rowBytes + 1 + 3 * c;
      return [raw[o], raw[o + 1], raw[o + 2]];
    },
  };
}

describe("zscaleLimits", () => {
  it("matches astropy ZScaleInterval on a noisy frame with stars and NaNs", () => {
    // Reference: astropy.visualization.ZScaleInterval().get_limits (NumPy port of astropy's code) on the
    // same 200×150 array → (946.141943124189, 1124.539216893445): μ − 2.7σ … μ + 6.2σ for sky 1000 ± 20.
    const { z1, z2 } = zscaleLimits(noisyFrame(200, 150, 5000));
    expect(z1).toBeCloseTo(946.141943124189, 6);
    expect(z2).toBeCloseTo(1124.539216893445, 6);
  });

  it("ignores how bright the outliers are", () => {
    const a = zscaleLimits(noisyFrame(200, 150, 5000));
    const b = zscaleLimits(noisyFrame(200, 150, 1e7));
    expect(b.z1).toBeCloseTo(a.z1, 9);
    expect(b.z2).toBeCloseTo(a.z2, 9);
    expect(a.z1).toBeLessThan(1000);
    expect(a.z2).toBeGreaterThan(1000);
  });

  it("spans a uniform ramp (astropy: 0, 99900) and handles Float32, NaN-only and tiny inputs", () => {
    const ramp = Float32Array.from({ length: 100000 }, (_, i) => i);
    expect(zscaleLimits(ramp)).toEqual({ z1: 0, z2: 99900 });
    const nan = zscaleLimits(new Float64Array(10).fill(NaN));
    expect(Number.isNaN(nan.z1) && Number.isNaN(nan.z2)).toBe(true);
    expect(zscaleLimits(Float64Array.from([3, NaN, 1, Infinity]))).toEqual({ z1: 1, z2: 3 });
  });
});

describe("previewPng", () => {
  it("writes a valid PNG: sizes, linear stretch, FITS row 1 at the bottom, red marker", () => {
    // 40 × 20 image: sky rises with FITS row y (row 1 darkest); a bright pixel at FITS (5, 3).
    const w = 40;
    const h = 20;
    const data = new Float32Array(w * h);
    for (let y = 1; y <= h; y++) for (let x = 1; x <= w; x++) data[(y - 1) * w + x - 1] = 100 + 10 * y;
    data[(3 - 1) * w + 5 - 1] = 1e6;
    const png = decodePng(
      previewPng(
        { data, width: w, height: h },
        { limits: { z1: 100, z2: 300 }, marker: { x: 30, y: 10 }, markerRadius: 6 },
      ),
    );
    expect([png.width, png.height]).toEqual([40, 20]);
    // Picture row 0 (top) is FITS row 20; the bottom row is FITS row 1: (v − z1) · 255 / (z2 − z1).
    expect(png.rgb(0, 0)).toEqual([255, 255, 255]); // 300
    expect(png.rgb(0, 19)).toEqual([13, 13, 13]); // 110 → 12.75
    expect(png.rgb(0, 17)).toEqual([38, 38, 38]); // 130 → 38.25
    expect(png.rgb(4, 17)).toEqual([255, 255, 255]); // the bright pixel at FITS (5, 3)
    // Brighter sky → brighter picture pixel, all the way up.
    for (let r = 1; r < 20; r++) expect(png.rgb(10, r - 1)[0]).toBeGreaterThan(png.rgb(10, r)[0]);
    // Marker at FITS (30, 10) = picture column 29, row 10: ring of radius 6 red, centre left alone.
    expect(png.rgb(29 + 6, 10)).toEqual([255, 0, 0]);
    expect(png.rgb(29, 10 - 6)).toEqual([255, 0, 0]);
    const centre = png.rgb(29, 10); // FITS row 10: 200 → 127.5 (either side after rounding), still grey
    expect(Math.abs(centre[0] - 127.5)).toBeLessThanOrEqual(0.5);
    expect(centre[1]).toBe(centre[0]);
  });

  it("block-averages wide images to at most maxWidth and keeps partial edge blocks", () => {
    const w = 3000;
    const h = 10;
    expect(previewGeometry(w, h, 1024)).toEqual({ factor: 3, width: 1000, height: 4 });
    const data = new Float64Array(w * h);
    // Columns alternate 0 / 300 → a 3-px block of columns (0, 300, 0) or (300, 0, 300) averages 100 or 200.
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x % 2 === 0 ? 0 : 300;
    data[9 * w] = 255; // FITS row 10 alone in the top block; its first block averages (255 + 300 + 0) / 3
    const png = decodePng(previewPng({ data, width: w, height: h }, { limits: { z1: 0, z2: 255 } }));
    expect([png.width, png.height]).toEqual([1000, 4]);
    expect(png.rgb(0, 3)[0]).toBe(100);
    expect(png.rgb(1, 3)[0]).toBe(200);
    expect(png.rgb(0, 0)[0]).toBe(185);
  });

  it("blocks of 4 px or more average a decimated grid (every ⌊f/2⌋-th pixel both ways)", () => {
    const w = 400;
    const h = 8;
    expect(previewGeometry(w, h, 100)).toEqual({ factor: 4, width: 100, height: 2 });
    // Value = 10·(x mod 4) + 40·(y mod 4): the grid x, y ∈ {0, 2} of a block averages 10 + 40 = 50 (the
    // full block would average 15 + 60 = 75).
    const data = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = 10 * (x % 4) + 40 * (y % 4);
    const png = decodePng(
      previewPng({ data, width: w, height: h }, { maxWidth: 100, limits: { z1: 0, z2: 255 } }),
    );
    expect([png.width, png.height]).toEqual([100, 2]);
    expect(png.rgb(0, 0)[0]).toBe(50);
    expect(png.rgb(99, 1)[0]).toBe(50);
  });

  it("survives NaN pixels (blocks without finite pixels are black) and all-NaN images", () => {
    const data = noisyFrame(200, 150, 5000);
    for (let i = 0; i < 200 * 20; i++) data[i] = NaN; // FITS rows 1–20
    const png = decodePng(previewPng({ data, width: 200, height: 150 }, { maxWidth: 100 }));
    expect([png.width, png.height]).toEqual([100, 75]);
    expect(png.rgb(50, 74)).toEqual([0, 0, 0]);
    expect(png.rgb(50, 10)[0]).toBeGreaterThan(0);
    const empty = decodePng(previewPng({ data: new Float32Array(16).fill(NaN), width: 4, height: 4 }));
    expect(empty.rgb(1, 1)).toEqual([0, 0, 0]);
    expect(() => previewPng({ data: new Float32Array(3), width: 2, height: 2 })).toThrow(/4 are needed|2×2/);
  });

  it("renders the field-150p02 fixture with the target circled (test-artifacts/fixture-preview.png)", async () => {
    const img = await readFitsFile(FIXTURE);
    const wcs = wcsFromHeader((k) => img.header.get(k) ?? undefined);
    if (!wcs.ok) throw new Error(wcs.reason);
    const p = skyToPixel(wcs.wcs, 150.012, 1.991);
    if (!p) throw new Error("target off the tangent plane");
    // CD = diag(−0.8″, 0.8″) at CRPIX 256.5: ΔRA = +43.2″·cos δ → x ≈ 256.5 − 53.97, ΔDec = −32.4″ → y ≈ 216.
    expect(p.x).toBeCloseTo(256.5 - (0.012 * 3600 * Math.cos((1.991 * Math.PI) / 180)) / 0.8, 0);
    expect(p.y).toBeCloseTo(256.5 - (0.009 * 3600) / 0.8, 0);
    const bytes = previewPng(img, { marker: p });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}fixture-preview.png`, bytes);
    const png = decodePng(bytes);
    expect([png.width, png.height]).toEqual([img.width, img.height]);
    const radius = Math.max(6, Math.min(img.width, img.height) / 40);
    const col = Math.floor(p.x - 0.5 + radius);
    const row = Math.floor(img.height - (p.y - 0.5));
    expect(png.rgb(col, row)).toEqual([255, 0, 0]);
    const { z1, z2 } = zscaleLimits(img.data as Float32Array);
    expect(z1).toBeLessThan(z2);
  });
});
