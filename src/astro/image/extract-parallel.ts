/**
 * The extraction step (extract.ts) with its heavy passes shared among threads, same catalogue bit for
 * bit: the image lives in shared memory (a SharedArrayBuffer-backed Float32Array, read by every thread
 * without a copy) and each pass is cut into independent pieces, a few per thread (`piecesPerThread`),
 * handed out by the runner to whichever thread is free:
 *
 *  1. Background: the mesh statistics by mesh rows (a row's meshes depend only on that row); the grid's
 *     filter and splines, which are small, on the calling thread.
 *  2. Detection: the runs of horizontal bands of rows, each band's filter ring first filled with the rows
 *     above it; the bands' runs are concatenated and joined at the seams ({@link mergeBandRuns}). A
 *     component's root is always its lowest run index, so components, deblending and the objects' order
 *     are those of one scan. Labelling and deblending stay on the calling thread.
 *  3. Measurement: the frame FWHM on the calling thread, then the per-source centroids, FWHM and aperture
 *     photometry by ranges of sources; crowding, aperture correction and the rest on the calling thread.
 *
 * The threads are a {@link ExtractRunner} given by the caller (a pool of worker threads, src/extract-pool.ts);
 * this module only cuts and joins, and {@link runExtractTask} is what a thread runs. Pure.
 */
import type { BackgroundModel, ImagePlane, MeshGrid, MeshRows } from "./background.ts";
import {
  LazyBackgroundRow,
  backgroundFromMeshes,
  backgroundRow,
  createRowScratch,
  meshGrid,
  meshRowStatistics,
} from "./background.ts";
import type { BandRuns, DetectionOptions } from "./detect.ts";
import { mergeBandRuns, objectsFromRuns, scanRuns } from "./detect.ts";
import { bandRuns } from "./runs.ts";
import { asFloat32, detectionOptions, extractSources } from "./extract.ts";
import type { ExtractOptions, ExtractResult, MeasurePlan, MeasuredRange } from "./extract-steps.ts";
import { finishExtraction, joinRanges, measureRange, planMeasurement } from "./extract-steps.ts";

/** The pieces a thread runs: input and output of each kind (plain data, sent between threads). */
export interface ExtractTasks {
  meshRows: { input: { img: ImagePlane; grid: MeshGrid; j0: number; j1: number }; output: MeshRows };
  detectBand: {
    input: { img: ImagePlane; bkg: BackgroundModel; options: DetectionOptions; y0: number; y1: number };
    output: BandRuns;
  };
  measure: { input: { img: ImagePlane; plan: MeasurePlan; i0: number; i1: number }; output: MeasuredRange };
}
export type ExtractTaskKind = keyof ExtractTasks;
export type TaskInput<K extends ExtractTaskKind> = ExtractTasks[K]["input"];
export type TaskOutput<K extends ExtractTaskKind> = ExtractTasks[K]["output"];

/** Runs one piece (on whichever thread): the body of a worker thread's loop. */
export function runExtractTask<K extends ExtractTaskKind>(kind: K, input: TaskInput<K>): TaskOutput<K> {
  if (kind === "meshRows") {
    const t = input as TaskInput<"meshRows">;
    return meshRowStatistics(t.img, t.grid, t.j0, t.j1) as TaskOutput<K>;
  }
  if (kind === "detectBand") {
    const t = input as TaskInput<"detectBand">;
    const scratch = createRowScratch(t.bkg);
    const runs = scanRuns(
      t.img,
      new LazyBackgroundRow(t.bkg, "rms"),
      t.options,
      (y, out) => backgroundRow(t.bkg, "back", y, out, scratch),
      t.y0,
      t.y1,
    );
    return bandRuns(runs, t.y0, t.y1) as TaskOutput<K>;
  }
  if (kind === "measure") {
    const t = input as TaskInput<"measure">;
    return measureRange(t.img, t.plan, t.i0, t.i1) as TaskOutput<K>;
  }
  throw new Error(`unknown extraction task "${String(kind)}"`);
}

/**
 * Threads that run pieces: `run` returns the outputs in the order of the inputs (or rejects with the
 * first piece's error).
 */
export interface ExtractRunner {
  /** Threads the work is cut for (the calling one included); 1 = the serial path. */
  readonly threads: number;
  run<K extends ExtractTaskKind>(kind: K, inputs: TaskInput<K>[]): Promise<TaskOutput<K>[]>;
}

export interface ParallelOptions {
  /** Images with fewer pixels take the serial path (threads cost more than they save); default 2²⁰. */
  minParallelPixels?: number;
  /**
   * Pieces per thread in each pass (default 4): a runner that hands pieces to whichever thread is free
   * then loses at most one piece's time to a thread that waits for a core.
   */
  piecesPerThread?: number;
}

/** [0, n) cut into at most `parts` non-empty ranges of nearly equal length. */
export function splitRange(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, n));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) {
    const a = Math.floor((i * n) / k);
    const b = Math.floor(((i + 1) * n) / k);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** The image in shared memory: itself when it already is, else one copy (`copied` says which). */
export function sharedImage(image: { data: ArrayLike<number>; width: number; height: number }): {
  img: ImagePlane;
  copied: boolean;
} {
  const d = image.data;
  if (d instanceof Float32Array && d.buffer instanceof SharedArrayBuffer)
    return { img: { data: d, width: image.width, height: image.height }, copied: false };
  const n = image.width * image.height;
  const data = new Float32Array(new SharedArrayBuffer(n * 4));
  data.set(d instanceof Float32Array ? d.subarray(0, n) : asFloat32(image).data.subarray(0, n));
  return { img: { data, width: image.width, height: image.height }, copied: true };
}

/** An Int32Array's copy in shared memory. */
function toShared(a: Int32Array): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(Math.max(1, a.length) * 4), 0, a.length);
  out.set(a);
  return out;
}

/** Mesh rows computed apart, concatenated in order. */
function joinMeshRows(parts: readonly MeshRows[]): MeshRows {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((s, p) => s + p.back.length, 0);
  const out: MeshRows = {
    back: new Float64Array(n),
    rms: new Float64Array(n),
    good: new Uint8Array(n),
    badMeshes: 0,
  };
  let at = 0;
  for (const p of parts) {
    out.back.set(p.back, at);
    out.rms.set(p.rms, at);
    out.good.set(p.good, at);
    out.badMeshes += p.badMeshes;
    at += p.back.length;
  }
  return out;
}

/**
 * {@link extractSources} with the passes shared among `runner`'s threads (file comment): the same result,
 * bit for bit. One thread, or an image under `minParallelPixels`, takes the serial path itself. An image
 * not in shared memory is copied there once (`timingsMs.sharedCopy`).
 */
export async function extractSourcesParallel(
  image: { data: ArrayLike<number>; width: number; height: number },
  options: ExtractOptions,
  runner: ExtractRunner,
  parallel: ParallelOptions = {},
): Promise<ExtractResult & { timingsMs: { sharedCopy?: number } }> {
  const threads = runner.threads;
  const { width, height } = image;
  if (threads <= 1 || width * height < (parallel.minParallelPixels ?? 1 << 20) || height < 2)
    return extractSources(image, options);
  const pieces = threads * Math.max(1, Math.floor(parallel.piecesPerThread ?? 4));
  const tc = performance.now();
  const { img, copied } = sharedImage(image);
  const t0 = performance.now();
  const grid = meshGrid(width, height, options.background);
  const rows = await runner.run(
    "meshRows",
    splitRange(grid.ny, pieces).map(([j0, j1]) => ({ img, grid, j0, j1 })),
  );
  const bkg = backgroundFromMeshes(grid, joinMeshRows(rows));
  const t1 = performance.now();
  const detOptions = detectionOptions(options);
  const bands = await runner.run(
    "detectBand",
    splitRange(height, pieces).map(([y0, y1]) => ({ img, bkg, options: detOptions, y0, y1 })),
  );
  const det = objectsFromRuns(img, detOptions, mergeBandRuns(bands));
  const t2 = performance.now();
  const frame = planMeasurement(img, bkg, det, options);
  const { byFlux: _byFlux, fwhmStars: _fwhmStars, ...own } = frame;
  // The objects' pixel lists go to every piece: in shared memory, copied once instead of once a piece.
  const plan = { ...own, pixelStart: toShared(own.pixelStart), pixels: toShared(own.pixels) };
  const parts = await runner.run(
    "measure",
    splitRange(det.count, pieces).map(([i0, i1]) => ({ img, plan, i0, i1 })),
  );
  const result = finishExtraction(img, bkg, det, frame, joinRanges(parts, det.count), options);
  const t3 = performance.now();
  return {
    ...result,
    timingsMs: {
      background: t1 - t0,
      detection: t2 - t1,
      measurement: t3 - t2,
      ...(copied ? { sharedCopy: t0 - tc } : {}),
    },
  };
}
