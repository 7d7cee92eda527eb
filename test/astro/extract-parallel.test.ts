/**
 * The parallel extraction core (src/astro/image/extract-parallel.ts, src/extract-pool.ts) gives the serial
 * catalogue bit for bit: every value of every row and of the frame statistics compared through its
 * float64 bits (NaN and −0 included). Frames whose heights are not multiples of the bands, sources and a
 * saturated blob across the seams, several thread counts (an in-thread runner cuts and joins exactly as
 * the pool does), the pool's worker threads themselves, tiny images (serial path), shutdown and errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type {
  ExtractRunner,
  ExtractTaskKind,
  TaskInput,
  TaskOutput,
} from "../../src/astro/image/extract-parallel.ts";
import {
  extractSourcesParallel,
  runExtractTask,
  sharedImage,
  splitRange,
} from "../../src/astro/image/extract-parallel.ts";
import type { ExtractResult } from "../../src/astro/image/extract.ts";
import { extractSources } from "../../src/astro/image/extract.ts";
import { readFits } from "../../src/astro/fits/read.ts";
import { writeFits } from "../../src/astro/fits/write.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { ExtractPool, idleCores } from "../../src/extract-pool.ts";

const tmp = mkdtempSync(join(tmpdir(), "skytom-extract-parallel-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the pieces one after the other on this thread, counting them. */
class InThreadRunner implements ExtractRunner {
  calls = 0;
  constructor(readonly threads: number) {}
  run<K extends ExtractTaskKind>(kind: K, inputs: TaskInput<K>[]): Promise<TaskOutput<K>[]> {
    this.calls++;
    return Promise.resolve(inputs.map((i) => runExtractTask(kind, i)));
  }
}

const bits = (v: unknown): string => {
  if (typeof v !== "number") return JSON.stringify(v);
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return b.getBigUint64(0).toString(16);
};

/** A catalogue as exact strings: each row's and the statistics' values by their bits. */
function exact(r: ExtractResult): string[] {
  const out = r.rows.map((row) => Object.values(row).map(bits).join(" "));
  out.push(
    Object.entries(r.stats)
      .map(([k, v]) => `${k}=${bits(v)}`)
      .join(" "),
  );
  out.push(`target ${r.targetIndex}`);
  return out;
}

/** A synthetic frame with a saturated blob centred on row `blobY` (a seam) and stars everywhere. */
function frame(seed: number, width: number, height: number, blobY: number) {
  const f = makeSyntheticImage({
    seed,
    width,
    height,
    nStars: Math.round((width * height) / 250),
    cosmicRays: 5,
  });
  const cx = width >> 1;
  for (let y = Math.max(0, blobY - 6); y <= Math.min(height - 1, blobY + 6); y++)
    for (let x = cx - 6; x <= cx + 6; x++)
      if ((x - cx) ** 2 + (y - blobY) ** 2 <= 36) f.data[y * width + x] = 70000;
  return f;
}

const OPTS = { gainEPerAdu: 1.5, saturationAdu: 60000 };

describe("extractSourcesParallel = extractSources, bit for bit", () => {
  const cases = [
    { w: 301, h: 257, seed: 1 },
    { w: 256, h: 331, seed: 2 },
    { w: 517, h: 129, seed: 3 },
  ];
  for (const c of cases) {
    for (const threads of [2, 3, 5]) {
      it(`${c.w}×${c.h}, ${threads} bands, a saturated blob on the first seam`, async () => {
        const seam = splitRange(c.h, threads)[1][0];
        const f = frame(c.seed, c.w, c.h, seam);
        const opts = { ...OPTS, wcs: f.wcs, target: { x: 40.2, y: 33.9 } };
        const serial = extractSources(f, opts);
        const runner = new InThreadRunner(threads);
        const par = await extractSourcesParallel(f, opts, runner, {
          minParallelPixels: 0,
          piecesPerThread: 1,
        });
        expect(runner.calls).toBe(3);
        expect(serial.rows.length).toBeGreaterThan(50);
        // The blob is one saturated source across the seam, not two.
        const blob = serial.rows.filter(
          (r) => Math.abs(r.x - 1 - (c.w >> 1)) < 2 && Math.abs(r.y - 1 - seam) < 2,
        );
        expect(blob).toHaveLength(1);
        expect(exact(par)).toEqual(exact(serial));
        // A few pieces per thread (the default): more seams, the same catalogue.
        const par4 = await extractSourcesParallel(f, opts, new InThreadRunner(threads), {
          minParallelPixels: 0,
        });
        expect(exact(par4)).toEqual(exact(serial));
      });
    }
  }

  it("a frame with sources on every seam: 64 bands of 4 rows, other options", async () => {
    const f = frame(9, 200, 256, 128);
    const opts = { ...OPTS, detection: { thresholdSigma: 2, filter: "none" as const }, annulusFwhm: null };
    const serial = extractSources(f, opts);
    const par = await extractSourcesParallel(f, opts, new InThreadRunner(64), {
      minParallelPixels: 0,
      piecesPerThread: 1,
    });
    expect(exact(par)).toEqual(exact(serial));
    const gauss = { ...OPTS, detection: { filter: { gaussianFwhmPx: 3 } }, background: { meshSizePx: 32 } };
    const par2 = await extractSourcesParallel(f, gauss, new InThreadRunner(7), { minParallelPixels: 0 });
    expect(exact(par2)).toEqual(exact(extractSources(f, gauss)));
  });

  it("tiny images and one thread take the serial path (no pieces run)", async () => {
    const f = frame(4, 40, 30, 15);
    const runner = new InThreadRunner(4);
    expect(exact(await extractSourcesParallel(f, OPTS, runner))).toEqual(exact(extractSources(f, OPTS)));
    const one = new InThreadRunner(1);
    await extractSourcesParallel(f, OPTS, one, { minParallelPixels: 0 });
    expect(runner.calls + one.calls).toBe(0);
  });

  it("an image decoded into shared memory is used as it is; another is copied once", () => {
    const f = frame(5, 64, 48, 20);
    const bytes = writeFits({ data: f.data, width: 64, height: 48, bitpix: -32, header: f.header });
    const shared = readFits(bytes, { sharedMemory: true });
    expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(sharedImage(shared as { data: Float32Array; width: number; height: number }).copied).toBe(false);
    const copy = sharedImage(f);
    expect(copy.copied).toBe(true);
    expect(Buffer.from(copy.img.data.buffer).equals(Buffer.from(f.data.buffer))).toBe(true);
  });
});

describe("ExtractPool (worker threads)", () => {
  const pool = new ExtractPool(3);
  afterAll(() => pool.close());

  it("measures in its threads the catalogue of the serial path, twice with the same threads", async () => {
    const f = frame(6, 600, 421, 210);
    const opts = { ...OPTS, wcs: f.wcs };
    const serial = exact(extractSources(f, opts));
    expect(exact(await extractSourcesParallel(f, opts, pool, { minParallelPixels: 0 }))).toEqual(serial);
    expect(exact(await extractSourcesParallel(f, opts, pool, { minParallelPixels: 0 }))).toEqual(serial);
  });

  it("an error in a thread rejects the pass with its message; the pool goes on", async () => {
    const { img } = sharedImage(frame(7, 32, 32, 10));
    const plan = {
      width: 32,
      pixelStart: new Int32Array(1),
      pixels: new Int32Array(0),
      xPx: new Float64Array(0),
      yPx: new Float64Array(0),
      detFlags: new Int32Array(0),
      areaPx: new Int32Array(0),
      back: new Float64Array(0),
      rms: new Float64Array(0),
      fwhm: 3,
      momentScale: 1,
      sigmaW: 1.3,
      phot: { radiusPx: 3, annulusPx: null, gainEPerAdu: 1 },
    };
    const good = { img, plan, i0: 0, i1: 0 };
    // The first piece goes to a worker (this thread takes the next), so the bad one fails there.
    await expect(pool.run("measure", [{ ...good, plan: null as never, i1: 1 }, good])).rejects.toThrow(
      /^extraction thread: .*null/,
    );
    await expect(pool.run("nope" as never, [good as never, good as never])).rejects.toThrow(
      /unknown extraction task/,
    );
    expect(await pool.run("measure", [good, good, good])).toHaveLength(3);
  });

  it("close() ends the threads; a closed pool refuses work", async () => {
    const p = new ExtractPool(2);
    const { img } = sharedImage(frame(8, 32, 32, 10));
    const grid = {
      width: 32,
      height: 32,
      nx: 1,
      ny: 2,
      bx: Int32Array.of(0, 32),
      by: Int32Array.of(0, 16, 32),
    };
    const g = {
      ...grid,
      nodeXPx: Float64Array.of(15.5),
      nodeYPx: Float64Array.of(7.5, 23.5),
      filterSize: 3,
      minGoodFraction: 0.5,
    };
    const rows = await p.run("meshRows", [
      { img, grid: g, j0: 0, j1: 1 },
      { img, grid: g, j0: 1, j1: 2 },
    ]);
    expect(rows.map((r) => r.back.length)).toEqual([1, 1]);
    await p.close();
    await expect(p.run("meshRows", [{ img, grid: g, j0: 0, j1: 1 }])).rejects.toThrow(/closed/);
  });
});

describe("the FITS job's measurement with shared extraction", () => {
  it("gives the catalogue, statistics and preview of the serial measurement (a 1024² frame, header WCS)", async () => {
    const { measureImage } = await import("../../src/domain/dataproducts/measure.ts");
    const f = makeSyntheticImage({ seed: 11, width: 1024, height: 1024, nStars: 2500 });
    const path = join(tmp, "frame.fits");
    writeFileSync(
      path,
      writeFits({ data: f.data, width: 1024, height: 1024, bitpix: -32, header: f.header }),
    );
    const input = {
      path,
      camera: {
        dateTimeKeyword: "DATE-OBS",
        timeKeyword: "",
        exposureTimeKeyword: "EXPTIME",
        gainEPerAdu: 1.5,
        readNoiseE: 8,
        saturationAdu: 60000,
        pixelScaleArcsec: 0.6,
      },
      target: { raDeg: 150, decDeg: 2 },
    };
    const noCone = () => Promise.reject(new Error("no cone expected"));
    const serial = await measureImage(input, noCone);
    const runner = new InThreadRunner(2);
    const par = await measureImage(input, noCone, runner);
    expect(runner.calls).toBe(3);
    if (!serial.ok || !par.ok) throw new Error("measurement failed");
    expect(par.catalogue).toBe(serial.catalogue);
    expect(Object.values(par.result.stats).map(bits)).toEqual(Object.values(serial.result.stats).map(bits));
    expect(Buffer.from(par.previewPng).equals(Buffer.from(serial.previewPng))).toBe(true);
  });

  it("idle cores: the cores minus the other runnable threads, at least one", () => {
    expect(idleCores(2, "0.50 0.40 0.30 1/300 12345\n")).toBe(2);
    expect(idleCores(2, "2.00 2.00 2.00 2/300 12345\n")).toBe(1);
    expect(idleCores(8, "3.00 2.00 2.00 4/300 12345\n")).toBe(5);
    expect(idleCores(2, "9.00 9.00 9.00 12/300 12345\n")).toBe(1);
    expect(idleCores(2, "garbage")).toBe(1);
  });
});
