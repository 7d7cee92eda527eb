/**
 * Sky background and background-noise maps, as in Source Extractor (Bertin & Arnouts 1996, A&AS 117, 393,
 * §3.1; SExtractor manual "Background") and SEP (Barbary 2016, JOSS 1, 58; `src/background.c`).
 *
 * Method:
 *  1. The image is cut into a grid of meshes of about `meshSizePx` (default 64, BACK_SIZE) pixels on a
 *     side; boundaries are spread evenly (nx = round(width / meshSizePx)), so no partial mesh is left.
 *  2. Per mesh, NaN pixels ignored ({@link meshStatistics}): SExtractor's histogram κσ clipping; the
 *     background is the mode estimate 2.5·median − 1.5·mean (the median when the clipped distribution is
 *     skewed, |mean − median| > 0.3σ), the RMS the clipped σ. Meshes with fewer than `minGoodFraction`
 *     valid pixels take the mean of the nearest good meshes (SEP `filterback`).
 *  3. Median filter of the mesh grids, `filterSize` × `filterSize` (default 3, BACK_FILTERSIZE). Before
 *     filtering, a robust plane is taken out of each grid — gradients are the medians of the differences
 *     of neighbouring meshes — and the window is cut at the grid edges. SEP instead shrinks the window
 *     symmetrically (to 1 × 1 in the corners, i.e. no filtering there) so that gradients pass; removing
 *     the plane keeps gradients unbiased while edge meshes are still filtered. The plane is added back.
 *  4. Full resolution: a bicubic spline through the mesh centres of the residual grid — natural cubic
 *     splines along y per mesh column, then along x through the interpolated nodes of each row (SEP
 *     `bkg_line_flt_internal`) — plus the plane. Beyond the outermost mesh centres the residual is held
 *     constant and the plane continues, so edges follow the sky gradient without amplifying noise.
 *     Global background and RMS: medians of the filtered mesh values (SEP `globalback`, `globalrms`).
 *
 * Pixel coordinates are 0-based array indices (pixel (i, j) has its centre at (i, j)); values in ADU.
 */
import { createMeshScratch, meshStatistics } from "./meshstats.ts";
import type { MeshGuess } from "./meshstats.ts";
import type { ImagePlane } from "./plane.ts";
import { medianInPlace } from "./plane.ts";
import { SplineRow, columnValues, splineAt, splineD2, splineRowPlusLine } from "./spline.ts";

export type { ImagePlane } from "./plane.ts";
export { meshStatistics } from "./meshstats.ts";
export type { MeshStatistics } from "./meshstats.ts";

export interface BackgroundOptions {
  /** Mesh size in pixels (SExtractor BACK_SIZE); default 64. */
  meshSizePx?: number;
  /** Median filter size in meshes (BACK_FILTERSIZE), odd; 1 disables; default 3. */
  filterSize?: number;
  /** Minimum fraction of valid (non-NaN) pixels for a mesh to count; default 0.5 (SEP BACK_MINGOODFRAC). */
  minGoodFraction?: number;
}

/** One filtered mesh grid as plane + residual, with the residual's spline second derivatives along y. */
export interface MeshMap {
  /** Filtered mesh values (plane + residual), ADU, index j·nx + i. */
  values: Float64Array;
  /** Residual from the plane, ADU. */
  residual: Float64Array;
  /** Natural-spline second derivatives of `residual` along y. */
  d2y: Float64Array;
  /** Plane value = c + gx·x + gy·y (0-based pixels): [c (ADU), gx, gy (ADU/px)]. */
  plane: [number, number, number];
}

/** Mesh-level background model; evaluate with {@link backgroundRow}, {@link backgroundAt}, {@link backgroundMap}. */
export interface BackgroundModel {
  width: number;
  height: number;
  /** Number of meshes along x and y. */
  nx: number;
  ny: number;
  /** Mesh centres, 0-based pixel coordinates. */
  nodeXPx: Float64Array;
  nodeYPx: Float64Array;
  back: MeshMap;
  rms: MeshMap;
  /** Median of the filtered mesh background / RMS values (SEP globalback / globalrms), ADU. */
  globalBackAdu: number;
  globalRmsAdu: number;
  /** Meshes with too few valid pixels (filled from neighbours). */
  badMeshes: number;
}

export type BackgroundKind = "back" | "rms";

/** Robust plane through a mesh grid: median neighbour-difference gradients, median offset. */
function robustPlane(v: Float64Array, tx: Float64Array, ty: Float64Array): [number, number, number] {
  const nx = tx.length;
  const ny = ty.length;
  const buf = new Float64Array(nx * ny);
  let n = 0;
  for (let j = 0; j < ny; j++)
    for (let i = 0; i + 1 < nx; i++) buf[n++] = (v[j * nx + i + 1] - v[j * nx + i]) / (tx[i + 1] - tx[i]);
  const gx = n > 0 ? medianInPlace(buf, n) : 0;
  n = 0;
  for (let j = 0; j + 1 < ny; j++)
    for (let i = 0; i < nx; i++) buf[n++] = (v[(j + 1) * nx + i] - v[j * nx + i]) / (ty[j + 1] - ty[j]);
  const gy = n > 0 ? medianInPlace(buf, n) : 0;
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) buf[j * nx + i] = v[j * nx + i] - gx * tx[i] - gy * ty[j];
  return [medianInPlace(buf, nx * ny), gx, gy];
}

/** Plane removal, edge-cut median filter, plane back; spline second derivatives of the residual. */
function filterGrid(raw: Float64Array, tx: Float64Array, ty: Float64Array, fsize: number): MeshMap {
  const nx = tx.length;
  const ny = ty.length;
  const plane = robustPlane(raw, tx, ty);
  const [c, gx, gy] = plane;
  const res = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) res[j * nx + i] = raw[j * nx + i] - (c + gx * tx[i] + gy * ty[j]);
  const half = fsize >> 1;
  const residual = new Float64Array(nx * ny);
  const win = new Float64Array(fsize * fsize);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let n = 0;
      for (let jj = Math.max(0, j - half); jj <= Math.min(ny - 1, j + half); jj++)
        for (let ii = Math.max(0, i - half); ii <= Math.min(nx - 1, i + half); ii++)
          win[n++] = res[jj * nx + ii];
      residual[j * nx + i] = medianInPlace(win, n);
    }
  }
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) values[j * nx + i] = residual[j * nx + i] + c + gx * tx[i] + gy * ty[j];
  const d2y = new Float64Array(nx * ny);
  const scratch = new Float64Array(ny);
  for (let i = 0; i < nx; i++) splineD2(ty, residual, i, nx, d2y, scratch);
  return { values, residual, d2y, plane };
}

/** The mesh grid of an image (file comment, step 1) and the options of the later steps. */
export interface MeshGrid {
  width: number;
  height: number;
  nx: number;
  ny: number;
  /** Mesh boundaries: mesh (i, j) covers x ∈ [bx[i], bx[i+1]), y ∈ [by[j], by[j+1]). */
  bx: Int32Array;
  by: Int32Array;
  nodeXPx: Float64Array;
  nodeYPx: Float64Array;
  filterSize: number;
  minGoodFraction: number;
}

/** Statistics of the meshes of mesh rows [j0, j1): arrays indexed (j − j0)·nx + i. */
export interface MeshRows {
  back: Float64Array;
  rms: Float64Array;
  good: Uint8Array;
  badMeshes: number;
}

/** The mesh grid of a width × height image (file comment, step 1). */
export function meshGrid(width: number, height: number, options: BackgroundOptions = {}): MeshGrid {
  const mesh = Math.max(1, Math.round(options.meshSizePx ?? 64));
  const nx = Math.max(1, Math.round(width / mesh));
  const ny = Math.max(1, Math.round(height / mesh));
  const bx = Int32Array.from({ length: nx + 1 }, (_, i) => Math.floor((i * width) / nx));
  const by = Int32Array.from({ length: ny + 1 }, (_, j) => Math.floor((j * height) / ny));
  return {
    width,
    height,
    nx,
    ny,
    bx,
    by,
    nodeXPx: Float64Array.from({ length: nx }, (_, i) => (bx[i] + bx[i + 1] - 1) / 2),
    nodeYPx: Float64Array.from({ length: ny }, (_, j) => (by[j] + by[j + 1] - 1) / 2),
    filterSize: Math.max(1, Math.floor(options.filterSize ?? 3)),
    minGoodFraction: options.minGoodFraction ?? 0.5,
  };
}

/**
 * Step 2 for mesh rows [j0, j1) (each row's meshes depend only on that row: a mesh starts its
 * clipping from its left neighbour's result), so that rows can be computed apart and concatenated.
 */
export function meshRowStatistics(img: ImagePlane, grid: MeshGrid, j0: number, j1: number): MeshRows {
  const { nx, bx, by } = grid;
  const nb = nx * (j1 - j0);
  const back = new Float64Array(nb);
  const rms = new Float64Array(nb);
  const good = new Uint8Array(nb);
  const scratch = createMeshScratch();
  let badMeshes = 0;
  for (let j = j0; j < j1; j++) {
    let guess: MeshGuess | undefined;
    for (let i = 0; i < nx; i++) {
      const st = meshStatistics(
        img,
        bx[i],
        bx[i + 1],
        by[j],
        by[j + 1],
        grid.minGoodFraction,
        scratch,
        guess,
      );
      const k = (j - j0) * nx + i;
      guess = st.ok && st.sigmaAdu > 0 ? { centreAdu: st.medianAdu, sigmaAdu: st.sigmaAdu } : undefined;
      if (st.ok) {
        back[k] = st.modeAdu;
        rms[k] = st.sigmaAdu;
        good[k] = 1;
      } else badMeshes++;
    }
  }
  return { back, rms, good, badMeshes };
}

/** Steps 2 (bad meshes) and 3 from the statistics of all mesh rows. The arrays of `rows` are reused. */
export function backgroundFromMeshes(grid: MeshGrid, rows: MeshRows): BackgroundModel {
  const { width, height, nx, ny, nodeXPx, nodeYPx } = grid;
  const nb = nx * ny;
  const { back, rms, good } = rows;
  fillBadMeshes(back, rms, good, nx, ny);
  const backMap = filterGrid(back, nodeXPx, nodeYPx, grid.filterSize);
  const rmsMap = filterGrid(rms, nodeXPx, nodeYPx, grid.filterSize);
  return {
    width,
    height,
    nx,
    ny,
    nodeXPx,
    nodeYPx,
    back: backMap,
    rms: rmsMap,
    globalBackAdu: medianInPlace(Float64Array.from(backMap.values), nb),
    globalRmsAdu: medianInPlace(Float64Array.from(rmsMap.values), nb),
    badMeshes: rows.badMeshes,
  };
}

/** Estimates the background model of an image (file comment, steps 1–3). */
export function estimateBackground(img: ImagePlane, options: BackgroundOptions = {}): BackgroundModel {
  const grid = meshGrid(img.width, img.height, options);
  return backgroundFromMeshes(grid, meshRowStatistics(img, grid, 0, grid.ny));
}

/** Bad meshes take the mean of the nearest good meshes (SEP filterback); all bad → back 0, RMS 1. */
function fillBadMeshes(
  back: Float64Array,
  rms: Float64Array,
  good: Uint8Array,
  nx: number,
  ny: number,
): void {
  const src = Float64Array.from(back);
  const srcRms = Float64Array.from(rms);
  for (let k = 0; k < nx * ny; k++) {
    if (good[k]) continue;
    const px = k % nx;
    const py = (k - px) / nx;
    let best = Infinity;
    let sb = 0;
    let sr = 0;
    let cnt = 0;
    for (let j = 0; j < nx * ny; j++) {
      if (!good[j]) continue;
      const d2 = ((j % nx) - px) ** 2 + (Math.floor(j / nx) - py) ** 2;
      if (d2 < best) {
        best = d2;
        sb = src[j];
        sr = srcRms[j];
        cnt = 1;
      } else if (d2 === best) {
        sb += src[j];
        sr += srcRms[j];
        cnt++;
      }
    }
    back[k] = cnt ? sb / cnt : 0;
    rms[k] = cnt ? sr / cnt : 1;
  }
}

/** Scratch buffers for row evaluation (reuse across rows to avoid allocation). */
export interface RowScratch {
  nodes: Float64Array;
  d2: Float64Array;
  tmp: Float64Array;
}

export function createRowScratch(model: BackgroundModel): RowScratch {
  const n = model.nx;
  return { nodes: new Float64Array(n), d2: new Float64Array(n), tmp: new Float64Array(n) };
}

/** Writes the background (`back`) or RMS (`rms`) of image row y (0-based) into out[0..width), ADU. O(nx + width). */
export function backgroundRow(
  model: BackgroundModel,
  kind: BackgroundKind,
  y: number,
  out: Float32Array,
  scratch: RowScratch = createRowScratch(model),
): void {
  const map = kind === "back" ? model.back : model.rms;
  const { nodes, d2, tmp } = scratch;
  columnValues(model.nodeYPx, map.residual, map.d2y, model.nx, y, nodes);
  splineD2(model.nodeXPx, nodes, 0, 1, d2, tmp);
  const [c, gx, gy] = map.plane;
  splineRowPlusLine(model.nodeXPx, nodes, d2, c + gy * y, gx, out, model.width);
}

/**
 * Lazy row access to the background or RMS map: `setRow(y)` prepares row y and returns a lower bound of
 * it (ADU); `at(x)` evaluates single pixels. Detection uses it to compare most pixels with the bound and
 * evaluate the exact threshold only where a pixel comes close.
 */
export class LazyBackgroundRow {
  private readonly row: SplineRow;
  private readonly scratch: RowScratch;
  private readonly map: MeshMap;

  constructor(
    private readonly model: BackgroundModel,
    kind: BackgroundKind,
  ) {
    this.row = new SplineRow(model.nodeXPx, model.width);
    this.scratch = createRowScratch(model);
    this.map = kind === "back" ? model.back : model.rms;
  }

  setRow(y: number): number {
    const { model, map, scratch } = this;
    columnValues(model.nodeYPx, map.residual, map.d2y, model.nx, y, scratch.nodes);
    splineD2(model.nodeXPx, scratch.nodes, 0, 1, scratch.d2, scratch.tmp);
    const [c, gx, gy] = map.plane;
    this.row.set(scratch.nodes, scratch.d2, c + gy * y, gx, model.width);
    return this.row.lowerBound;
  }

  at(x: number): number {
    return this.row.at(x);
  }
}

/** Background or RMS at one point (0-based pixel coordinates), ADU; pass `scratch` to avoid allocating. */
export function backgroundAt(
  model: BackgroundModel,
  kind: BackgroundKind,
  x: number,
  y: number,
  scratch: RowScratch = createRowScratch(model),
): number {
  const map = kind === "back" ? model.back : model.rms;
  columnValues(model.nodeYPx, map.residual, map.d2y, model.nx, y, scratch.nodes);
  splineD2(model.nodeXPx, scratch.nodes, 0, 1, scratch.d2, scratch.tmp);
  const [c, gx, gy] = map.plane;
  return splineAt(model.nodeXPx, scratch.nodes, scratch.d2, 0, 1, x) + c + gx * x + gy * y;
}

/** Full-resolution background or RMS map (Float32Array, width × height), ADU. */
export function backgroundMap(model: BackgroundModel, kind: BackgroundKind): Float32Array {
  const { width, height } = model;
  const out = new Float32Array(width * height);
  const scratch = createRowScratch(model);
  for (let y = 0; y < height; y++)
    backgroundRow(model, kind, y, out.subarray(y * width, (y + 1) * width), scratch);
  return out;
}

/** image − background, as a new Float32Array (NaN pixels stay NaN). */
export function subtractBackground(img: ImagePlane, model: BackgroundModel): Float32Array {
  const { width, height, data } = img;
  const out = new Float32Array(width * height);
  const row = new Float32Array(width);
  const scratch = createRowScratch(model);
  for (let y = 0; y < height; y++) {
    backgroundRow(model, "back", y, row, scratch);
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = data[o + x] - row[x];
  }
  return out;
}
