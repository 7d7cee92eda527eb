/**
 * The runs of above-threshold pixels of detection (`detect.ts`, step 3): per row, the runs where the
 * filtered image exceeds the threshold, with their filtered and background-subtracted values, joined to
 * the overlapping runs of the row above by a union–find (8-connectivity; the root of a component is
 * always its lowest run index, whatever the order of the unions).
 */
import type { LazyRow } from "./objects.ts";
import { GrowF32, GrowI32 } from "./objects.ts";

/** Run-length and union–find state of the one-pass labelling. */
export class Runs {
  x0 = new GrowI32();
  x1 = new GrowI32();
  y = new GrowI32();
  parent = new GrowI32();
  vals = new Float32Array(1 << 16);
  subVals = new Float32Array(1 << 16);
  /** Detection threshold (ADU) at the first pixel of each run. */
  thr = new GrowF32();
  nVals = 0;

  find(p: number): number {
    const a = this.parent.a;
    while (a[p] !== p) {
      a[p] = a[a[p]];
      p = a[p];
    }
    return p;
  }

  /** Appends the runs of row y where det > thr and the background-subtracted row `sub` is not NaN. */
  scanRow(
    det: Float32Array,
    thr: Float32Array,
    sub: Float32Array,
    o: number,
    y: number,
    width: number,
  ): void {
    let x = 0;
    while (x < width) {
      while (x < width && !(det[x] > thr[x])) x++;
      if (x === width) break;
      const x0 = x;
      while (x < width && det[x] > thr[x] && sub[o + x] === sub[o + x]) x++;
      if (x === x0) x++;
      else this.push(x0, x, y, det, sub, o, thr[x0]);
    }
  }

  /**
   * As scanRow with the threshold k·noise(x) of a lazy row: pixels are first compared with k times the
   * row's lower bound; the exact threshold is evaluated only for those above it.
   */
  scanRowLazy(
    det: Float32Array,
    noise: LazyRow,
    k: number,
    sub: Float32Array,
    o: number,
    y: number,
    width: number,
  ): void {
    const bound = k * noise.setRow(y);
    let x = 0;
    while (x < width) {
      while (x < width && !(det[x] > bound)) x++;
      if (x === width) break;
      if (!(det[x] > k * noise.at(x)) || sub[o + x] !== sub[o + x]) {
        x++;
        continue;
      }
      const x0 = x++;
      while (x < width && det[x] > bound && det[x] > k * noise.at(x) && sub[o + x] === sub[o + x]) x++;
      this.push(x0, x, y, det, sub, o, k * noise.at(x0));
    }
  }

  /**
   * scanRowLazy fused with the vertical 3-tap filter: det(x) = t₀ h₀(x) + t₁ h₁(x) + t₂ h₂(x) of the
   * horizontally filtered rows h (ring offsets s0, s1, s2), rounded to float32 as a stored row would be,
   * computed in the comparison loop; only the values of pixels above the bound are written into `det`
   * (the run's values come from there). The background-subtracted values are computed here too, from
   * `raw` and the ring of background rows `back`, for those pixels only (into `sub`, which nothing else
   * writes on this path). Same results as vfilter + scanRowLazy on a stored subtracted row.
   */
  scanRowLazy3(
    ring: Float32Array,
    s0: number,
    s1: number,
    s2: number,
    t: Float32Array,
    det: Float32Array,
    noise: LazyRow,
    k: number,
    raw: Float32Array,
    back: Float32Array,
    sub: Float32Array,
    o: number,
    y: number,
    width: number,
  ): void {
    const ro = y * width;
    const bound = k * noise.setRow(y);
    const t0 = t[0];
    const t1 = t[1];
    const t2 = t[2];
    let x = 0;
    while (x < width) {
      let d = 0;
      for (; x < width; x++) {
        d = Math.fround(t0 * ring[s0 + x] + t1 * ring[s1 + x] + t2 * ring[s2 + x]);
        if (d > bound) break;
      }
      if (x === width) break;
      if (!(d > k * noise.at(x))) {
        x++;
        continue;
      }
      sub[o + x] = raw[ro + x] - back[o + x];
      if (sub[o + x] !== sub[o + x]) {
        x++;
        continue;
      }
      det[x] = d;
      const x0 = x++;
      for (; x < width; x++) {
        d = Math.fround(t0 * ring[s0 + x] + t1 * ring[s1 + x] + t2 * ring[s2 + x]);
        if (!(d > bound && d > k * noise.at(x))) break;
        sub[o + x] = raw[ro + x] - back[o + x];
        if (sub[o + x] !== sub[o + x]) break;
        det[x] = d;
      }
      this.push(x0, x, y, det, sub, o, k * noise.at(x0));
    }
  }

  /**
   * The runs of row y from its candidates (ascending x with det[x] above the row's lower bound, see
   * detect.ts `filterScanRow3`): the candidates above the exact threshold k·noise(x) with a valid
   * subtracted value (computed here into `sub` from `raw` and the background ring `back`), grouped into
   * runs of consecutive x — the runs scanRowLazy3 finds.
   */
  scanCandidates(
    cand: Int32Array,
    nc: number,
    det: Float32Array,
    noise: LazyRow,
    k: number,
    raw: Float32Array,
    back: Float32Array,
    sub: Float32Array,
    o: number,
    y: number,
    width: number,
  ): void {
    const ro = y * width;
    let i = 0;
    while (i < nc) {
      const x0 = cand[i++];
      if (!(det[x0] > k * noise.at(x0))) continue;
      sub[o + x0] = raw[ro + x0] - back[o + x0];
      if (sub[o + x0] !== sub[o + x0]) continue;
      let x = x0 + 1;
      while (i < nc && cand[i] === x && det[x] > k * noise.at(x)) {
        sub[o + x] = raw[ro + x] - back[o + x];
        if (sub[o + x] !== sub[o + x]) break;
        x++;
        i++;
      }
      this.push(x0, x, y, det, sub, o, k * noise.at(x0));
    }
  }

  /** Records the run [x0, x) of row y with its filtered and background-subtracted values. */
  private push(
    x0: number,
    x: number,
    y: number,
    det: Float32Array,
    sub: Float32Array,
    o: number,
    threshold: number,
  ): void {
    this.thr.push(threshold);
    const id = this.x0.n;
    this.x0.push(x0);
    this.x1.push(x - 1);
    this.y.push(y);
    this.parent.push(id);
    if (this.nVals + (x - x0) > this.vals.length) {
      const size = Math.max(this.vals.length * 2, this.nVals + x - x0);
      const b = new Float32Array(size);
      b.set(this.vals);
      this.vals = b;
      const c = new Float32Array(size);
      c.set(this.subVals);
      this.subVals = c;
    }
    const v = this.vals;
    const sv = this.subVals;
    let n = this.nVals;
    for (let i = x0; i < x; i++) {
      sv[n] = sub[o + i];
      v[n++] = det[i];
    }
    this.nVals = n;
  }

  /** 8-connectivity: runs [a0, a1], [b0, b1] of adjacent rows touch when a0 ≤ b1 + 1 and b0 ≤ a1 + 1. */
  link(prevStart: number, prevEnd: number, curStart: number, curEnd = this.x0.n): void {
    const X0 = this.x0.a;
    const X1 = this.x1.a;
    let p = prevStart;
    for (let c = curStart; c < curEnd; c++) {
      const c0 = X0[c];
      const c1 = X1[c];
      while (p < prevEnd && X1[p] < c0 - 1) p++;
      for (let q = p; q < prevEnd && X0[q] <= c1 + 1; q++) {
        const ra = this.find(c);
        const rb = this.find(q);
        if (ra !== rb) this.parent.a[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
}

/** The runs of a band of rows [y0, y1) as plain arrays (what a worker thread sends back), exact lengths. */
export interface BandRuns {
  y0: number;
  y1: number;
  x0: Int32Array;
  x1: Int32Array;
  y: Int32Array;
  /** Union–find parents, band-local run indices. */
  parent: Int32Array;
  thr: Float32Array;
  vals: Float32Array;
  subVals: Float32Array;
}

/** A band's runs as plain arrays (copies of exact length, transferable). */
export function bandRuns(runs: Runs, y0: number, y1: number): BandRuns {
  const n = runs.x0.n;
  return {
    y0,
    y1,
    x0: runs.x0.a.slice(0, n),
    x1: runs.x1.a.slice(0, n),
    y: runs.y.a.slice(0, n),
    parent: runs.parent.a.slice(0, n),
    thr: runs.thr.a.slice(0, n),
    vals: runs.vals.slice(0, runs.nVals),
    subVals: runs.subVals.slice(0, runs.nVals),
  };
}

function concatI32(parts: Int32Array[], offsets?: number[]): Int32Array<ArrayBuffer> {
  const out = new Int32Array(
    Math.max(
      1,
      parts.reduce((s, p) => s + p.length, 0),
    ),
  );
  let at = 0;
  parts.forEach((p, i) => {
    out.set(p, at);
    const d = offsets?.[i] ?? 0;
    if (d !== 0) for (let k = at; k < at + p.length; k++) out[k] += d;
    at += p.length;
  });
  return out;
}

function concatF32(parts: Float32Array[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(
    Math.max(
      1,
      parts.reduce((s, p) => s + p.length, 0),
    ),
  );
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The runs of consecutive bands (ascending, adjoining rows) as one scan of all their rows: arrays
 * concatenated (run indices offset), then the last row of each band joined to the first row of the next
 * (the only links a band cannot make). Since a component's root is always its lowest run index, the
 * components and their roots are those of a single scan.
 */
export function mergeBandRuns(bands: readonly BandRuns[]): Runs {
  const runs = new Runs();
  const offsets: number[] = [];
  let n = 0;
  for (const b of bands) {
    offsets.push(n);
    n += b.x0.length;
  }
  const fill = (g: GrowI32, a: Int32Array<ArrayBuffer>): void => {
    g.a = a;
    g.n = n;
  };
  fill(runs.x0, concatI32(bands.map((b) => b.x0)));
  fill(runs.x1, concatI32(bands.map((b) => b.x1)));
  fill(runs.y, concatI32(bands.map((b) => b.y)));
  fill(
    runs.parent,
    concatI32(
      bands.map((b) => b.parent),
      offsets,
    ),
  );
  runs.thr.a = concatF32(bands.map((b) => b.thr));
  runs.thr.n = n;
  runs.vals = concatF32(bands.map((b) => b.vals));
  runs.subVals = concatF32(bands.map((b) => b.subVals));
  runs.nVals = bands.reduce((s, b) => s + b.vals.length, 0);
  const Y = runs.y.a;
  for (let k = 1; k < bands.length; k++) {
    const seam = bands[k].y0;
    const curStart = offsets[k];
    const curEnd = k + 1 < bands.length ? offsets[k + 1] : n;
    let c1 = curStart;
    while (c1 < curEnd && Y[c1] === seam) c1++;
    let p0 = curStart;
    while (p0 > offsets[k - 1] && Y[p0 - 1] === seam - 1) p0--;
    if (c1 > curStart && p0 < curStart) runs.link(p0, curStart, curStart, c1);
  }
  return runs;
}
