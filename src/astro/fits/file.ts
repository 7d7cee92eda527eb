/**
 * File-system convenience for the FITS reader: the only module of `astro/fits` that performs I/O.
 *
 * An uncompressed image is read straight into its pixel array: the headers from the file's first bytes,
 * then the data unit with one read into the output (floats; byte-swapped there) or into one scratch buffer
 * swapped in place (integers) — no copy of the whole file in memory. Gzip and tile-compressed files, and
 * anything the reader refuses, are read whole and given to {@link readFits} (same results, same errors).
 */
import { open, readFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { allocPixels, decodePixels, recycledPixels, type PixelArray } from "./pixels.ts";
import { planPlainRead, plainImage, readFits, readFitsHeaderOnly } from "./read.ts";
import type { FitsHeaderSummary, FitsImage, PlainImagePlan, ReadFitsOptions } from "./read.ts";
import { FitsError } from "./errors.ts";

/** First read of a file: enough for the headers of almost every camera's frame. */
const PREFIX_BYTES = 1 << 16;
/** Largest single read (the kernel's per-call limit is just under 2 GiB). */
const CHUNK = 1 << 30;

async function readAt(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length;) {
    const n = Math.min(CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, n, position + done);
    if (bytesRead === 0) {
      throw new FitsError("TRUNCATED", `the file ended while reading byte ${position + done} (it shrank?)`);
    }
    done += bytesRead;
  }
}

/** Read the first image of a FITS file (`.fits`, `.fits.gz`, `.fz`, detected from the content). */
export async function readFitsFile(path: string, options?: ReadFitsOptions): Promise<FitsImage> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    for (let n = Math.min(size, PREFIX_BYTES); ; n = Math.min(size, n * 4)) {
      const prefix = new Uint8Array(n);
      await readAt(fh, prefix, 0);
      const plan = planPlainRead(prefix, size, options);
      if (plan === "more") continue;
      if (plan === "whole") {
        const whole = n === size ? prefix : await readFile(path);
        const bytes = new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength); // a view, no copy
        return readFits(bytes, options);
      }
      return await plainImageFromFile(fh, plan, options?.sharedMemory ?? false, options?.recycle);
    }
  } finally {
    await fh.close();
  }
}

/** Pixels per read of the data unit: 4–8 MiB, big enough for the disk, small enough to stay in cache. */
const CHUNK_PIXELS = 1 << 20;

/**
 * Read the data unit of a planned uncompressed image straight into its pixels, in chunks: while the
 * thread pool reads chunk k + 1, this thread byte-swaps (and scales) chunk k, still in the CPU's cache.
 * Floats are read into the output array itself; integers into two reused scratch chunks.
 */
async function plainImageFromFile(
  fh: FileHandle,
  plan: PlainImagePlan,
  shared: boolean,
  recycle?: PixelArray,
): Promise<FitsImage> {
  const { bitpix, dataOffset } = plan.loc;
  const size = Math.abs(bitpix) / 8;
  const count = plan.width * plan.height * plan.planes;
  // Every pixel of the array is written below, so an earlier image's values never show through.
  const data = recycledPixels(recycle, bitpix, count, shared) ?? allocPixels(bitpix, count, shared);
  const direct =
    (bitpix === -32 && data instanceof Float32Array) || (bitpix === -64 && data instanceof Float64Array);
  const scratch = direct ? [] : [0, 1].map(() => new Uint8Array(Math.min(count, CHUNK_PIXELS) * size));
  const chunks = Math.ceil(count / CHUNK_PIXELS);
  const target = (k: number): Uint8Array => {
    const n = Math.min(CHUNK_PIXELS, count - k * CHUNK_PIXELS) * size;
    return direct
      ? new Uint8Array(data.buffer, data.byteOffset + k * CHUNK_PIXELS * size, n)
      : scratch[k % 2].subarray(0, n);
  };
  const readChunk = (k: number) => readAt(fh, target(k), dataOffset + k * CHUNK_PIXELS * size);
  let next = readChunk(0);
  for (let k = 0; k < chunks; k++) {
    await next;
    if (k + 1 < chunks) next = readChunk(k + 1);
    const n = Math.min(CHUNK_PIXELS, count - k * CHUNK_PIXELS);
    try {
      decodePixels(target(k), 0, n, bitpix, data, plan.scaling, k * CHUNK_PIXELS, true);
    } catch (err) {
      await next.catch(() => undefined);
      throw err;
    }
  }
  return plainImage(plan, data);
}

/** Read the header of the image HDU of a FITS file without decoding pixels. */
export async function readFitsHeaderFile(
  path: string,
  options?: ReadFitsOptions,
): Promise<FitsHeaderSummary> {
  return readFitsHeaderOnly(new Uint8Array(await readFile(path)), options);
}
