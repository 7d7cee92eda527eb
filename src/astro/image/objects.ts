/**
 * Detection types, and the second half of detection: from the runs of above-threshold pixels to
 * deblended objects with their pixel lists, isophotal barycentres, peaks and flags (see `detect.ts`).
 */
import { createDeblendScratch, deblendComponent } from "./deblend.ts";
import { SOURCE_FLAGS } from "./flags.ts";

export type DetectionFilter = "default" | "none" | { gaussianFwhmPx: number };

export interface DetectionOptions {
  /** Detection threshold in units of the background RMS (DETECT_THRESH); default 1.5. */
  thresholdSigma?: number;
  filter?: DetectionFilter; // "default"
  minAreaPx?: number; // 5
  deblendLevels?: number; // 32
  deblendMinContrast?: number; // 0.005
  /** Hard cap on the number of objects; default 200 000. */
  maxObjects?: number;
  /** Pixels of the original image at or above this level (ADU) are saturated; default none. */
  saturationAdu?: number;
}

/** Row-wise lazy map: `setRow(y)` returns a lower bound of row y, `at(x)` a pixel of it (ADU). */
export interface LazyRow {
  setRow(y: number): number;
  at(x: number): number;
}

/** Background RMS (ADU): a constant, a full map, a function writing row y into `out`, or a lazy row. */
export type NoiseSource = number | Float32Array | ((y: number, out: Float32Array) => void) | LazyRow;

/** Detected objects, aligned typed arrays; object k's pixels are pixels[pixelStart[k] … pixelStart[k+1]). */
export interface Detections {
  count: number;
  pixelStart: Int32Array;
  /** Image indices y·width + x. */
  pixels: Int32Array;
  areaPx: Int32Array;
  /** Isophotal barycentre, 0-based pixels. */
  xPx: Float64Array;
  yPx: Float64Array;
  /** Sum of background-subtracted values over the object's pixels, ADU. */
  isoFluxAdu: Float64Array;
  /** Largest background-subtracted pixel value (ADU) and its image index. */
  peakAdu: Float64Array;
  peakIndex: Int32Array;
  flags: Int32Array;
  /** Connected components before deblending (after the area cut). */
  components: number;
  overflow: boolean;
}

/** A growable Float32Array. */
export class GrowF32 {
  a = new Float32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** A growable Int32Array. */
export class GrowI32 {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/**
 * Connected components of the runs (union–find roots), area cut, deblending, object properties, cap.
 * `image` = pixels compared with the saturation level; `vals` / `subVals` = filtered / background-subtracted
 * values of the runs' pixels, in run order; `runThr` = detection threshold at each run (the lowest of a
 * component's is its deblending base level t₀, as SExtractor's dthresh).
 */
export function collectObjects(
  size: { width: number; height: number },
  image: Float32Array,
  options: DetectionOptions,
  minArea: number,
  runX0: GrowI32,
  runX1: GrowI32,
  runY: GrowI32,
  find: (p: number) => number,
  vals: Float32Array,
  subVals: Float32Array,
  runThr: Float32Array,
): Detections {
  const { width, height } = size;
  const nRuns = runX0.n;
  const root = new Int32Array(nRuns);
  const area = new Int32Array(nRuns);
  const rootThr = new Float32Array(nRuns).fill(Infinity);
  for (let i = 0; i < nRuns; i++) {
    const r = (root[i] = find(i));
    area[r] += runX1.a[i] - runX0.a[i] + 1;
    if (runThr[i] < rootThr[r]) rootThr[r] = runThr[i];
  }
  const compOf = new Int32Array(nRuns).fill(-1);
  let nComp = 0;
  for (let i = 0; i < nRuns; i++) if (root[i] === i && area[i] >= minArea) compOf[i] = nComp++;
  const compStart = new Int32Array(nComp + 1);
  const compThr = new Float32Array(nComp);
  for (let i = 0; i < nRuns; i++) if (compOf[i] >= 0) compThr[compOf[i]] = rootThr[i];
  for (let i = 0; i < nRuns; i++) {
    const c = compOf[root[i]];
    if (c >= 0) compStart[c + 1] += runX1.a[i] - runX0.a[i] + 1;
  }
  for (let c = 0; c < nComp; c++) compStart[c + 1] += compStart[c];
  const compPix = new Int32Array(compStart[nComp]);
  const compVal = new Float32Array(compStart[nComp]);
  const compSub = new Float32Array(compStart[nComp]);
  const fill = compStart.slice(0, nComp);
  let vOff = 0;
  for (let i = 0; i < nRuns; i++) {
    const len = runX1.a[i] - runX0.a[i] + 1;
    const c = compOf[root[i]];
    if (c >= 0) {
      let f = fill[c];
      const base = runY.a[i] * width + runX0.a[i];
      for (let j = 0; j < len; j++) {
        compPix[f] = base + j;
        compSub[f] = subVals[vOff + j];
        compVal[f++] = vals[vOff + j];
      }
      fill[c] = f;
    }
    vOff += len;
  }

  // Deblend every component into objects.
  const deblendOpts = {
    levels: options.deblendLevels ?? 32,
    minContrast: options.deblendMinContrast ?? 0.005,
    minAreaPx: minArea,
  };
  const scratch = createDeblendScratch();
  let label = new Int32Array(1024);
  const objPix = new GrowI32();
  const objRef = new GrowI32();
  const objStart = new GrowI32();
  const objBlended = new GrowI32();
  for (let c = 0; c < nComp; c++) {
    const s = compStart[c];
    const e = compStart[c + 1];
    const pix = compPix.subarray(s, e);
    const val = compVal.subarray(s, e);
    if (label.length < e - s) label = new Int32Array(2 * (e - s));
    const t0 = compThr[c];
    const m = deblendComponent(pix, val, width, t0, deblendOpts, scratch, label);
    if (m < 2) {
      objStart.push(objPix.n);
      objBlended.push(0);
      for (let i = 0; i < pix.length; i++) {
        objPix.push(pix[i]);
        objRef.push(s + i);
      }
      continue;
    }
    for (let o = 0; o < m; o++) {
      objStart.push(objPix.n);
      objBlended.push(1);
      for (let i = 0; i < pix.length; i++) {
        if (label[i] !== o) continue;
        objPix.push(pix[i]);
        objRef.push(s + i);
      }
    }
  }
  objStart.push(objPix.n);
  let count = objStart.n - 1;

  // Object properties.
  const satur = options.saturationAdu ?? Infinity;
  const peakAdu = new Float64Array(count);
  const peakIndex = new Int32Array(count);
  const flags = new Int32Array(count);
  const xPx = new Float64Array(count);
  const yPx = new Float64Array(count);
  const isoFlux = new Float64Array(count);
  const areaPx = new Int32Array(count);
  const pixA = objPix.a;
  const refA = objRef.a;
  const startA = objStart.a;
  for (let o = 0; o < count; o++) {
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sum = 0;
    let best = -Infinity;
    let bestIdx = pixA[startA[o]];
    let f = objBlended.a[o] ? SOURCE_FLAGS.BLENDED : 0;
    for (let i = startA[o]; i < startA[o + 1]; i++) {
      const p = pixA[i];
      const x = p % width;
      const y = (p - x) / width;
      const v = compSub[refA[i]];
      sum += v;
      if (v > 0) {
        sw += v;
        sx += v * x;
        sy += v * y;
      }
      if (v > best) {
        best = v;
        bestIdx = p;
      }
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) f |= SOURCE_FLAGS.EDGE;
      if (image[p] >= satur) f |= SOURCE_FLAGS.SATURATED;
    }
    const bx = bestIdx % width;
    xPx[o] = sw > 0 ? sx / sw : bx;
    yPx[o] = sw > 0 ? sy / sw : (bestIdx - bx) / width;
    isoFlux[o] = sum;
    peakAdu[o] = best;
    peakIndex[o] = bestIdx;
    flags[o] = f;
    areaPx[o] = startA[o + 1] - startA[o];
  }

  const maxObjects = options.maxObjects ?? 200_000;
  let overflow = false;
  let keep: Int32Array | null = null;
  if (count > maxObjects) {
    overflow = true;
    const idx = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => peakAdu[b] - peakAdu[a]);
    keep = idx.subarray(0, maxObjects).sort();
  }
  if (!keep) {
    return {
      count,
      pixelStart: startA.slice(0, count + 1),
      pixels: pixA.slice(0, objPix.n),
      areaPx,
      xPx,
      yPx,
      isoFluxAdu: isoFlux,
      peakAdu,
      peakIndex,
      flags,
      components: nComp,
      overflow,
    };
  }
  count = keep.length;
  const pixelStart = new Int32Array(count + 1);
  for (let j = 0; j < count; j++) pixelStart[j + 1] = pixelStart[j] + areaPx[keep[j]];
  const pixels = new Int32Array(pixelStart[count]);
  for (let j = 0; j < count; j++)
    pixels.set(pixA.subarray(startA[keep[j]], startA[keep[j] + 1]), pixelStart[j]);
  const kept = keep;
  const pick = <T extends Float64Array | Int32Array>(a: T): T =>
    (a instanceof Float64Array
      ? Float64Array.from(kept, (i) => a[i])
      : Int32Array.from(kept, (i) => a[i])) as T;
  const fl = pick(flags);
  for (let j = 0; j < count; j++) fl[j] |= SOURCE_FLAGS.OVERFLOW;
  return {
    count,
    pixelStart,
    pixels,
    areaPx: pick(areaPx),
    xPx: pick(xPx),
    yPx: pick(yPx),
    isoFluxAdu: pick(isoFlux),
    peakAdu: pick(peakAdu),
    peakIndex: pick(peakIndex),
    flags: fl,
    components: nComp,
    overflow,
  };
}
