import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  FitsError,
  ditherRandoms,
  readFits,
  readFitsHeaderOnly,
  riceDecompress,
} from "../../src/astro/fits/index.ts";
import { FZ_SAMPLES, FZ_SAMPLES_GZ_BASE64 } from "./fits-fz-samples.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIELD = `${FIELD_DIR}/`;
const fixture = (name: string) => new Uint8Array(readFileSync(FIELD + name));

/** SHA-256 of physical pixel values serialised as big-endian float32 (NaN written as the canonical quiet NaN: payloads differ between decoders). */
function sha256f32(data: ArrayLike<number>): string {
  const dv = new DataView(new ArrayBuffer(data.length * 4));
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) dv.setUint32(i * 4, 0x7fc00000);
    else dv.setFloat32(i * 4, data[i]);
  }
  return createHash("sha256").update(new Uint8Array(dv.buffer)).digest("hex");
}

/** SHA-256 of physical pixel values serialised as big-endian float64 (NaN written as the canonical quiet NaN: payloads differ between decoders). */
function sha256f64(data: ArrayLike<number>): string {
  const dv = new DataView(new ArrayBuffer(data.length * 8));
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) dv.setUint32(i * 8, 0x7ff80000);
    else dv.setFloat64(i * 8, data[i]);
  }
  return createHash("sha256").update(new Uint8Array(dv.buffer)).digest("hex");
}

const samples = (() => {
  const all = gunzipSync(Buffer.from(FZ_SAMPLES_GZ_BASE64, "base64"));
  const out = new Map<string, Uint8Array>();
  let offset = 0;
  for (const s of FZ_SAMPLES) {
    out.set(s.name, new Uint8Array(all.subarray(offset, offset + s.bytes)));
    offset += s.bytes;
  }
  return out;
})();
const sample = (name: string) => samples.get(name) ?? new Uint8Array(0);

describe("frame-f32.fits.fz (fpack RICE_1, q = 4, SUBTRACTIVE_DITHER_1)", () => {
  const fz = readFits(fixture("frame-f32.fits.fz"));
  const f32 = readFits(fixture("frame-f32.fits"));

  it("is found in HDU 1 with the compression parameters", () => {
    expect([fz.width, fz.height, fz.depth, fz.bitpix, fz.hduIndex]).toEqual([512, 512, 1, -32, 1]);
    expect(fz.data).toBeInstanceOf(Float32Array);
    expect(fz.compression).toMatchObject({
      type: "RICE_1",
      quantize: "SUBTRACTIVE_DITHER_1",
      ditherSeed: 2712,
      tileShape: [512, 1],
      tiles: 512,
    });
    expect(fz.notes.join()).toContain("lossy");
  });

  it("restores the image header from the Z keywords (TIC §6)", () => {
    const h = fz.header;
    expect(h.cards.slice(0, 5).map((c) => [c.key, c.value])).toEqual([
      ["SIMPLE", true],
      ["BITPIX", -32],
      ["NAXIS", 2],
      ["NAXIS1", 512],
      ["NAXIS2", 512],
    ]);
    for (const k of [
      "EXPTIME",
      "DATE-OBS",
      "FILTER",
      "GAIN",
      "CRVAL1",
      "CRPIX2",
      "CD1_1",
      "CD2_2",
      "RADESYS",
    ]) {
      expect(h.get(k)).toEqual(f32.header.get(k));
    }
    for (const k of [
      "XTENSION",
      "ZIMAGE",
      "ZCMPTYPE",
      "TFORM1",
      "TTYPE1",
      "ZQUANTIZ",
      "ZDITHER0",
      "ZTILE1",
      "PCOUNT",
      "EXTNAME",
      "CHECKSUM",
    ]) {
      expect(h.has(k)).toBe(false);
    }
    expect(h.history()).toHaveLength(3);
    const s = readFitsHeaderOnly(fixture("frame-f32.fits.fz"));
    expect([s.width, s.height, s.bitpix, s.hduIndex, s.compressed]).toEqual([512, 512, -32, 1, true]);
  });

  it("is bit-exact with cfitsio funpack 4.2.0", () => {
    // `funpack -O ref.fits frame-f32.fits.fz`, then sha256 of its big-endian float32 data unit.
    expect(sha256f32(fz.data)).toBe("804403e499394a18e757d922a101b7ba24468dfeb6585cb75fefe571eff0ae4c");
  });

  it("differs from the original by at most ZSCALE/2 per tile (dithered quantisation bound)", () => {
    const zscale = fz.compression?.zscale;
    expect(zscale).toHaveLength(512);
    let maxDiff = 0;
    let violations = 0;
    let sumSq = 0;
    for (let y = 0; y < 512; y++) {
      // float32 rounding of a 500–11200 ADU value adds at most 2^-10 ADU to the ZSCALE/2 bound
      const bound = (zscale as Float64Array)[y] / 2 + 2 ** -10;
      for (let x = 0; x < 512; x++) {
        const d = Math.abs(fz.data[y * 512 + x] - f32.data[y * 512 + x]);
        if (d > bound) violations++;
        maxDiff = Math.max(maxDiff, d);
        sumSq += d * d;
      }
    }
    expect(violations).toBe(0);
    expect(maxDiff).toBe(2.74658203125); // numpy, on funpack's output
    expect(Math.sqrt(sumSq / (512 * 512))).toBeCloseTo(1.33708, 4); // ≈ ZSCALE/√12 for q = 4
  });
});

describe("fpack samples (cfitsio 4.2.0): every supported algorithm vs funpack", () => {
  const original = readFits(sample("f32.fits"));

  for (const s of FZ_SAMPLES) {
    if (!s.funpackSha256) continue;
    it(`${s.name} decodes to funpack's pixels exactly`, () => {
      const img = readFits(sample(s.name));
      expect(img.hduIndex).toBe(1);
      expect(sha256f64(img.data)).toBe(s.funpackSha256);
    });
  }

  it("covers RICE_1 BYTEPIX 1/2/4, GZIP_1, GZIP_2, NOCOMPRESS, 2-D and 3-D tiles", () => {
    const info = (n: string) => readFits(sample(n));
    expect(info("u16-rice.fz").bitpix).toBe(16);
    expect(info("u16-rice.fz").header.getNumber("BZERO")).toBe(32768);
    expect(info("u8-rice.fz").bitpix).toBe(8);
    expect(info("i32-rice.fz").data).toBeInstanceOf(Float64Array);
    expect(Array.from(info("i32-rice.fz").data.slice(0, 1))).toEqual([-2147483648]);
    expect(info("u16-nocompress.fz").compression?.type).toBe("NOCOMPRESS");
    expect(info("f32-gzip2-dither2.fz").compression).toMatchObject({
      type: "GZIP_2",
      quantize: "SUBTRACTIVE_DITHER_2",
    });
    expect(info("f32nonan-rice-t8.fz").compression).toMatchObject({ tileShape: [8, 8], tiles: 6 });
    const cube = info("cube-rice-t3.fz");
    expect([cube.width, cube.height, cube.depth, cube.compression?.tileShape]).toEqual([
      10,
      6,
      3,
      [10, 6, 3],
    ]);
    expect(cube.notes.join()).toContain("first plane");
    // a 3-plane cube in 10×6×3 tiles is a colour cube: colourCube decodes all three planes
    const rgb = readFits(sample("cube-rice-t3.fz"), { colourCube: true });
    expect([rgb.planes, rgb.data.length]).toEqual([3, 180]);
    expect(Array.from(rgb.data.subarray(0, 60))).toEqual(Array.from(cube.data));
    expect(Array.from(rgb.data.subarray(60, 120))).not.toEqual(Array.from(cube.data));
  });

  it("lossless GZIP of floats equals the original; integers equal each other across algorithms", () => {
    const lossless = readFits(sample("f32-gzip-lossless.fz"));
    expect(lossless.compression?.quantize).toBe("NONE");
    expect(sha256f64(lossless.data)).toBe(sha256f64(original.data));
    expect(sha256f64(readFits(sample("u16-rice.fz")).data)).toBe(
      sha256f64(readFits(sample("u16-nocompress.fz")).data),
    );
  });

  it("SUBTRACTIVE_DITHER_2 keeps zeros exact and NaNs as NaN; all lossy tiles stay within ZSCALE/2", () => {
    for (const name of ["f32-gzip2-dither2.fz", "f32-gzip1-nodither.fz", "f32-rice-t8.fz"]) {
      const img = readFits(sample(name));
      const z = img.compression?.zscale as Float64Array;
      const tileW = img.compression?.tileShape[0] ?? 1;
      const tileH = img.compression?.tileShape[1] ?? 1;
      const tilesX = Math.ceil(img.width / tileW);
      let worst = 0;
      for (let i = 0; i < img.data.length; i++) {
        const o = original.data[i];
        if (Number.isNaN(o)) {
          expect(Number.isNaN(img.data[i])).toBe(true);
          continue;
        }
        if (o === 0 && name.includes("dither2")) expect(img.data[i]).toBe(0);
        const x = i % img.width;
        const y = Math.floor(i / img.width);
        const tile = Math.floor(y / tileH) * tilesX + Math.floor(x / tileW);
        worst = Math.max(worst, Math.abs(img.data[i] - o) / (z[tile] / 2));
      }
      expect(worst).toBeLessThanOrEqual(1.0001);
    }
  });

  it("rejects other algorithms with a clear message", () => {
    const bytes = sample("u16-rice.fz").slice();
    const text = Buffer.from(bytes).toString("latin1");
    const at = text.indexOf("ZCMPTYPE= 'RICE_1  '");
    bytes.set(Buffer.from("ZCMPTYPE= 'PLIO_1  '", "latin1"), at);
    expect(() => readFits(bytes)).toThrow(FitsError);
    expect(() => readFits(bytes)).toThrow(/ZCMPTYPE = 'PLIO_1' is not supported/);
  });
});

describe("RICE_1 and the dither sequence", () => {
  it("generates the convention's random sequence (seed 10000 = 1043618065)", () => {
    const r = ditherRandoms();
    expect(r).toHaveLength(10000);
    expect(r[0]).toBe(Math.fround(16807 / 2147483647));
    expect(r[1]).toBe(Math.fround(282475249 / 2147483647));
    expect(r.every((v) => v > 0 && v < 1)).toBe(true);
  });

  it("decodes hand-made streams: low-entropy block, Rice block, raw block, wrap-around", () => {
    // first pixel 5 (4 bytes), FS code 0 → all differences zero for 3 pixels
    expect(Array.from(riceDecompress(new Uint8Array([0, 0, 0, 5, 0]), 3, 32, 4))).toEqual([5, 5, 5]);
    // BYTEPIX 1: first 10; FS+1 = 1 (fs = 0): each difference is unary only. 0b001 | 1 | 01 | 001 → d = 0, 1, 2
    // bits: 001 (fs+1=1) then "1" (zeros=0 → d=0 → +0), "01" (d=1 → −1), "001" (d=2 → +1)
    expect(Array.from(riceDecompress(new Uint8Array([10, 0b00110100, 0b10000000]), 3, 32, 1))).toEqual([
      10, 9, 10,
    ]);
    // BYTEPIX 2, raw block (FS+1 = 15 = 0b1111): raw 16-bit differences 0xFFFF (zig-zag → −32768);
    // the second one wraps modulo 2^16: −32768 − 32768 → 0
    const raw = riceDecompress(new Uint8Array([0, 0, 0b11111111, 0b11111111, 0b11110000]), 1, 32, 2);
    expect(Array.from(raw)).toEqual([-32768]);
    const two = riceDecompress(new Uint8Array([0, 0, 0xff, 0xff, 0xff, 0xff, 0xf0]), 2, 32, 2);
    expect(Array.from(two)).toEqual([-32768, 0]);
    expect(() => riceDecompress(new Uint8Array([0, 0, 0, 5, 0x40]), 64, 32, 4)).toThrow(/ends after/);
  });
});
