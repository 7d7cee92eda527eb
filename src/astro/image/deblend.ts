/**
 * Multi-threshold deblending of one connected component (Bertin & Arnouts 1996, §3.2; SExtractor manual
 * "Deblending"; SEP `deblend.c`).
 *
 * The component's pixels are re-thresholded at N levels spaced exponentially between the detection
 * level t₀ and the peak P:  t_k = t₀ (P / t₀)^{k/N}, k = 1 … N−1 (DEBLEND_NTHRESH = N, default 32).
 * Branches of this tree are found from the top down with a union–find over pixels sorted by value: after
 * all pixels above t_k are in, every connected piece is a node of level k. When pieces of level k+1 join
 * at level k, each piece with at least a_b = min(DETECT_MINAREA, 3) pixels and an integrated (filtered)
 * flux above its level, Σ (vᵢ − t_{k+1}), exceeding δ_c × the component's total Σ vᵢ (DEBLEND_MINCONT δ_c,
 * default 0.005; SEP `deblend.c`: fdflux − dthresh·fdnpix > value0) is "significant"; if two or more
 * significant pieces join, each becomes a separate object (a seed) — or, if it already holds seeds from
 * higher up, those stay. This is SExtractor's rule that a branch is an object when at least one other
 * branch at the same level also passes the contrast test.
 *
 * The branch area a_b is SExtractor's (`prefs.c`: deb_maxarea = min(ext_minarea, MAXDEBAREA = 3); SEP
 * the same), not DETECT_MINAREA itself: with a_b = 5 a star 1.5 FWHM from another of similar flux, or
 * 4 px from a cosmic ray, rises above the saddle with only 3–4 pixels and was never split, so skytom
 * missed stars that SExtractor finds (issue 21: 2 of 1,655 S/N > 10 stars on the 4096² bench frame).
 * The contrast test, not the area, is what keeps noise peaks in the wings of bright stars whole.
 *
 * Pixels outside the seeds (below the split levels) are given to the seed of largest Gaussian density
 *   F_s / (2π √|C_s|) · exp(−½ dᵀ C_s⁻¹ d),
 * with F_s, centroid and covariance C_s the seed's flux-weighted moments — SExtractor's bivariate-Gaussian
 * assignment of the pixels below the separation thresholds. δ_c = 1 disables deblending.
 */

/** Reusable scratch arrays (grown on demand), so that deblending thousands of components allocates little. */
export interface DeblendScratch {
  grid: Int32Array;
  capacity: number;
  i32: Int32Array[];
  f64: Float64Array[];
  u8: Uint8Array[];
}

const N_I32 = 10;
const N_F64 = 2;
const N_U8 = 2;

export function createDeblendScratch(): DeblendScratch {
  return { grid: new Int32Array(1024), capacity: 0, i32: [], f64: [], u8: [] };
}

function ensureCapacity(s: DeblendScratch, n: number): void {
  if (s.capacity >= n) return;
  const c = Math.max(n, 2 * s.capacity, 256);
  s.i32 = Array.from({ length: N_I32 }, () => new Int32Array(c));
  s.f64 = Array.from({ length: N_F64 }, () => new Float64Array(c));
  s.u8 = Array.from({ length: N_U8 }, () => new Uint8Array(c));
  s.capacity = c;
}

/** Cap (px) on the area a branch of the tree needs to count: a_b = min(minAreaPx, 3) (file comment). */
export const MAX_BRANCH_AREA_PX = 3;

export interface DeblendOptions {
  levels: number;
  minContrast: number;
  /** DETECT_MINAREA (px); branches need min(minAreaPx, {@link MAX_BRANCH_AREA_PX}) pixels. */
  minAreaPx: number;
}

/**
 * Splits one component. `pixels` are image indices (y·width + x), `values` the filtered values at them
 * (ADU), `t0` the detection level (ADU). Returns the number of objects m and, when m ≥ 2, the object
 * (0 … m−1) of every pixel in `label`.
 */
export function deblendComponent(
  pixels: Int32Array,
  values: Float32Array,
  width: number,
  t0: number,
  opts: DeblendOptions,
  scratch: DeblendScratch,
  label: Int32Array,
): number {
  const n = pixels.length;
  const { levels: nLev, minContrast } = opts;
  const minAreaPx = Math.min(opts.minAreaPx, MAX_BRANCH_AREA_PX);
  if (minContrast >= 1 || n < 2 * minAreaPx || nLev < 2) return 1;
  let vmax = -Infinity;
  let total = 0;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v > vmax) vmax = v;
    total += v;
    const p = pixels[i];
    const x = p % width;
    const y = (p - x) / width;
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
    if (y < ymin) ymin = y;
    if (y > ymax) ymax = y;
  }
  const base = Math.max(t0, 1e-30);
  if (!(vmax > base) || !(total > 0)) return 1;

  // Local grid: bbox cell → local pixel number.
  const bw = xmax - xmin + 3;
  const bh = ymax - ymin + 3;
  if (scratch.grid.length < bw * bh) scratch.grid = new Int32Array(bw * bh * 2);
  const grid = scratch.grid;
  grid.fill(-1, 0, bw * bh);
  ensureCapacity(scratch, 2 * n);
  const [cell, order, parent, area, prevLabel, snapArea, gSig, stamp, gStamp, rootsA] = scratch.i32;
  const [flux, snapFlux] = scratch.f64;
  const [hasSeeds, gHas] = scratch.u8;
  for (let i = 0; i < n; i++) {
    const p = pixels[i];
    const x = p % width;
    const y = (p - x) / width;
    const c = (y - ymin + 1) * bw + (x - xmin + 1);
    grid[c] = i;
    cell[i] = c;
  }
  // Two branches need two local maxima: most components (single stars) stop here.
  const neigh = [-bw - 1, -bw, -bw + 1, -1, 1, bw - 1, bw, bw + 1];
  let nMax = 0;
  for (let i = 0; i < n && nMax < 2; i++) {
    const v = values[i];
    let isMax = true;
    for (let j = 0; j < 8 && isMax; j++) {
      const q = grid[cell[i] + neigh[j]];
      if (q >= 0 && (values[q] > v || (values[q] === v && q < i))) isMax = false;
    }
    if (isMax) nMax++;
  }
  if (nMax < 2) return 1;

  for (let i = 0; i < n; i++) order[i] = i;
  order.subarray(0, n).sort((a, b) => values[b] - values[a]);
  parent.fill(-1, 0, n);
  prevLabel.fill(-1, 0, n);
  stamp.fill(-1, 0, n);
  gStamp.fill(-1, 0, n);
  hasSeeds.fill(0, 0, n);
  const seedOf = label;
  seedOf.fill(-1, 0, n);
  // Pieces of the previous level: rootsA[0 … nOld); of this level: rootsA[n … n + nNew) (then swapped).
  let oldBase = 0;
  let newBase = n;
  let nOld = 0;
  let nSeeds = 0;
  const fluxMin = minContrast * total;

  const find = (p: number): number => {
    while (parent[p] !== p) {
      parent[p] = parent[parent[p]];
      p = parent[p];
    }
    return p;
  };

  let ptr = 0;
  let prevThr = Infinity; // level of the pieces in rootsA[oldBase …]
  for (let k = nLev - 1; k >= 0; k--) {
    const thr = k > 0 ? base * (vmax / base) ** (k / nLev) : -Infinity;
    while (ptr < n && values[order[ptr]] > thr) {
      const p = order[ptr++];
      parent[p] = p;
      area[p] = 1;
      flux[p] = values[p];
      for (let j = 0; j < 8; j++) {
        const q = grid[cell[p] + neigh[j]];
        if (q < 0 || parent[q] < 0) continue;
        const rp = find(p);
        const rq = find(q);
        if (rp === rq) continue;
        const a = rp < rq ? rp : rq;
        const b = rp < rq ? rq : rp;
        parent[b] = a;
        area[a] += area[b];
        flux[a] += flux[b];
      }
    }
    // Group the pieces of the level above by the piece they belong to now.
    for (let i = 0; i < nOld; i++) {
      const nr = find(rootsA[oldBase + i]);
      gSig[nr] = 0;
      gHas[nr] = 0;
      gStamp[nr] = k;
    }
    for (let i = 0; i < nOld; i++) {
      const r = rootsA[oldBase + i];
      const nr = find(r);
      if (snapArea[r] >= minAreaPx && snapFlux[r] - prevThr * snapArea[r] > fluxMin) gSig[nr]++;
      if (hasSeeds[r]) gHas[nr] = 1;
    }
    for (let i = 0; i < nOld; i++) {
      const r = rootsA[oldBase + i];
      const nr = find(r);
      if (gSig[nr] < 2 || snapArea[r] < minAreaPx || snapFlux[r] - prevThr * snapArea[r] <= fluxMin) continue;
      gHas[nr] = 1;
      if (hasSeeds[r]) continue;
      const id = nSeeds++;
      for (let j = 0; j < ptr; j++) {
        const p = order[j];
        if (prevLabel[p] === r) seedOf[p] = id;
      }
    }
    // Snapshot this level's pieces; a piece holds seeds if any piece it absorbed did.
    let nNew = 0;
    for (let j = 0; j < ptr; j++) {
      const p = order[j];
      const r = find(p);
      prevLabel[p] = r;
      if (stamp[r] !== k) {
        stamp[r] = k;
        rootsA[newBase + nNew++] = r;
      }
    }
    for (let i = 0; i < nNew; i++) {
      const r = rootsA[newBase + i];
      hasSeeds[r] = gStamp[r] === k ? gHas[r] : 0;
      snapArea[r] = area[r];
      snapFlux[r] = flux[r];
    }
    const t = oldBase;
    oldBase = newBase;
    newBase = t;
    nOld = nNew;
    prevThr = thr;
  }
  if (nSeeds < 2) return 1;
  assignToSeeds(pixels, values, width, seedOf, nSeeds);
  return nSeeds;
}

/** Gives every unlabelled pixel to the seed of largest bivariate-Gaussian density (file comment). */
function assignToSeeds(
  pixels: Int32Array,
  values: Float32Array,
  width: number,
  label: Int32Array,
  m: number,
): void {
  const n = pixels.length;
  const sw = new Float64Array(m);
  const sx = new Float64Array(m);
  const sy = new Float64Array(m);
  const sxx = new Float64Array(m);
  const syy = new Float64Array(m);
  const sxy = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const s = label[i];
    if (s < 0) continue;
    const w = Math.max(values[i], 0);
    const x = pixels[i] % width;
    const y = (pixels[i] - x) / width;
    sw[s] += w;
    sx[s] += w * x;
    sy[s] += w * y;
    sxx[s] += w * x * x;
    syy[s] += w * y * y;
    sxy[s] += w * x * y;
  }
  const mx = new Float64Array(m);
  const my = new Float64Array(m);
  const ixx = new Float64Array(m);
  const iyy = new Float64Array(m);
  const ixy = new Float64Array(m);
  const logAmp = new Float64Array(m);
  for (let s = 0; s < m; s++) {
    const w = sw[s] > 0 ? sw[s] : 1;
    mx[s] = sx[s] / w;
    my[s] = sy[s] / w;
    // 1/12 px²: the variance of a uniform pixel, keeps single-row seeds non-singular.
    let cxx = sxx[s] / w - mx[s] * mx[s] + 1 / 12;
    let cyy = syy[s] / w - my[s] * my[s] + 1 / 12;
    let cxy = sxy[s] / w - mx[s] * my[s];
    let det = cxx * cyy - cxy * cxy;
    if (!(det > 1e-6)) {
      cxx = cyy = Math.max(cxx, cyy, 0.25);
      cxy = 0;
      det = cxx * cyy;
    }
    ixx[s] = cyy / det;
    iyy[s] = cxx / det;
    ixy[s] = -cxy / det;
    logAmp[s] = Math.log(Math.max(sw[s], 1e-30) / (2 * Math.PI * Math.sqrt(det)));
  }
  for (let i = 0; i < n; i++) {
    if (label[i] >= 0) continue;
    const x = pixels[i] % width;
    const y = (pixels[i] - x) / width;
    let best = 0;
    let bestV = -Infinity;
    for (let s = 0; s < m; s++) {
      const dx = x - mx[s];
      const dy = y - my[s];
      const v = logAmp[s] - 0.5 * (ixx[s] * dx * dx + 2 * ixy[s] * dx * dy + iyy[s] * dy * dy);
      if (v > bestV) {
        bestV = v;
        best = s;
      }
    }
    label[i] = best;
  }
}
