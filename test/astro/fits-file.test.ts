/**
 * readFitsFile reads uncompressed images straight from the file (headers from a prefix, data into the
 * pixel array): the same image and the same errors as readFits on the file's bytes, also for headers
 * longer than the first read, every BITPIX, and files that end early or are not FITS.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readFitsFile } from "../../src/astro/fits/file.ts";
import type { FitsHeader } from "../../src/astro/fits/header.ts";
import { readFits } from "../../src/astro/fits/read.ts";
import { writeFits } from "../../src/astro/fits/write.ts";

const dir = mkdtempSync(join(tmpdir(), "skytom-fits-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 251) * 1.5 - 20);
}

async function both(name: string, bytes: Uint8Array) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const fromFile = await readFitsFile(path).catch((e: Error) => e);
  let fromBytes: unknown;
  try {
    fromBytes = readFits(bytes);
  } catch (e) {
    fromBytes = e;
  }
  return { fromFile, fromBytes };
}

describe("readFitsFile straight from the file", () => {
  it("a header longer than the first 64 KiB read (2,000 cards) still gives the image", async () => {
    const cards: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) cards[`K${i}`] = i;
    const bytes = writeFits({ data: ramp(300 * 200), width: 300, height: 200, bitpix: -32, header: cards });
    expect(bytes.length).toBeGreaterThan(1 << 16);
    const { fromFile, fromBytes } = await both("long-header.fits", bytes);
    expect(fromFile).toEqual(fromBytes);
    expect((fromFile as { header: FitsHeader }).header.get("K1999")).toBe(1999);
  });

  it("int16 with BZERO/BSCALE, int32 and float64: the same as readFits", async () => {
    const data = ramp(64 * 48);
    for (const [bitpix, extra] of [
      [16, { bzero: 32768, bscale: 1 }],
      [16, { bzero: 10, bscale: 0.5 }],
      [32, {}],
      [-64, {}],
      [8, {}],
    ] as const) {
      const src = bitpix === 8 ? data.map((v) => Math.abs(v)) : data;
      const bytes = writeFits({ data: src, width: 64, height: 48, bitpix, ...extra });
      const { fromFile, fromBytes } = await both(`b${bitpix}.fits`, bytes);
      expect(fromFile).toEqual(fromBytes);
    }
  });

  it("a file that ends inside the data unit fails with readFits's TRUNCATED error", async () => {
    const bytes = writeFits({ data: ramp(100 * 100), width: 100, height: 100, bitpix: -32 });
    const { fromFile, fromBytes } = await both("short.fits", bytes.subarray(0, bytes.length - 5000));
    expect(fromFile).toBeInstanceOf(Error);
    expect((fromFile as Error).message).toBe((fromBytes as Error).message);
    expect((fromFile as Error).message).toMatch(/truncated data/);
  });

  it("an empty file and a file that is not FITS fail as readFits does", async () => {
    for (const [name, bytes] of [
      ["empty.fits", new Uint8Array(0)],
      ["text.fits", new TextEncoder().encode("hello, this is not a FITS file\n".repeat(200))],
    ] as const) {
      const { fromFile, fromBytes } = await both(name, bytes);
      expect((fromFile as Error).message).toBe((fromBytes as Error).message);
    }
  });
});

describe("readFitsFile into the pixels of an earlier image (recycle)", () => {
  const file = (name: string, data: Float32Array, w: number, h: number, bitpix: -32 | 16 | -64 = -32) => {
    const path = join(dir, name);
    writeFileSync(path, writeFits({ data, width: w, height: h, bitpix, bzero: bitpix === 16 ? 32768 : 0 }));
    return path;
  };

  it("decodes into them when type and length fit; the image is the one a fresh read gives", async () => {
    const a = await readFitsFile(file("r1.fits", ramp(120 * 80), 120, 80));
    const other = Float32Array.from({ length: 120 * 80 }, (_, i) => Math.sin(i) * 1e4);
    const path = file("r2.fits", other, 120, 80);
    const fresh = await readFitsFile(path);
    const reused = await readFitsFile(path, { recycle: a.data });
    expect(reused.data).toBe(a.data);
    expect(Buffer.from(reused.data.buffer).equals(Buffer.from(fresh.data.buffer))).toBe(true);
    expect(reused.width).toBe(120);
    // uint16 + BZERO is float32 too: recycled as well, every pixel written.
    const intPath = file(
      "r3.fits",
      ramp(120 * 80).map((v) => v + 100),
      120,
      80,
      16,
    );
    const intsFresh = await readFitsFile(intPath);
    const ints = await readFitsFile(intPath, { recycle: a.data });
    expect(ints.data).toBe(a.data);
    expect(Buffer.from(ints.data.buffer).equals(Buffer.from(intsFresh.data.buffer))).toBe(true);
  });

  it("allocates anew when the length, the type or the memory differ", async () => {
    const a = await readFitsFile(file("s1.fits", ramp(100 * 80), 100, 80));
    const bigger = await readFitsFile(file("s2.fits", ramp(120 * 80), 120, 80), { recycle: a.data });
    expect(bigger.data).not.toBe(a.data);
    const wide = await readFitsFile(file("s3.fits", ramp(100 * 80), 100, 80, -64), { recycle: a.data });
    expect(wide.data).not.toBe(a.data);
    expect(wide.data).toBeInstanceOf(Float64Array);
    const shared = await readFitsFile(file("s4.fits", ramp(100 * 80), 100, 80), {
      recycle: a.data,
      sharedMemory: true,
    });
    expect(shared.data).not.toBe(a.data);
    expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
