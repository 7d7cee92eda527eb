/**
 * Natural cubic splines on (possibly non-uniform) nodes, for the bicubic interpolation of background
 * meshes (Press et al., Numerical Recipes, 3rd ed., §3.3; as SEP `makebackspline` / `bkg_line_flt_internal`).
 * Values are held constant beyond the end nodes (the background model adds its plane separately).
 */

/**
 * Second derivatives M of the natural spline through nodes t[0..n) and values y[off + k·stride] into
 * out[off + k·stride] (M₀ = M_{n−1} = 0). `scratch` holds ≥ n values.
 */
export function splineD2(
  t: Float64Array,
  y: Float64Array,
  off: number,
  stride: number,
  out: Float64Array,
  scratch: Float64Array,
): void {
  const n = t.length;
  out[off] = 0;
  if (n < 3) {
    if (n === 2) out[off + stride] = 0;
    return;
  }
  scratch[0] = 0;
  for (let i = 1; i < n - 1; i++) {
    const sig = (t[i] - t[i - 1]) / (t[i + 1] - t[i - 1]);
    const p = sig * out[off + (i - 1) * stride] + 2;
    out[off + i * stride] = (sig - 1) / p;
    const yi = y[off + i * stride];
    const d =
      (y[off + (i + 1) * stride] - yi) / (t[i + 1] - t[i]) -
      (yi - y[off + (i - 1) * stride]) / (t[i] - t[i - 1]);
    scratch[i] = ((6 * d) / (t[i + 1] - t[i - 1]) - sig * scratch[i - 1]) / p;
  }
  out[off + (n - 1) * stride] = 0;
  for (let k = n - 2; k >= 0; k--) {
    out[off + k * stride] = out[off + k * stride] * out[off + (k + 1) * stride] + scratch[k];
  }
}

/** Spline value at s (nodes t, values y, second derivatives m, strided); constant beyond the end nodes. */
export function splineAt(
  t: Float64Array,
  y: Float64Array,
  m: Float64Array,
  off: number,
  stride: number,
  s: number,
): number {
  const n = t.length;
  if (n === 1 || s <= t[0]) return y[off];
  if (s >= t[n - 1]) return y[off + (n - 1) * stride];
  let k = 0;
  while (k < n - 2 && s > t[k + 1]) k++;
  const h = t[k + 1] - t[k];
  const a = (t[k + 1] - s) / h;
  const b = 1 - a;
  const i0 = off + k * stride;
  const i1 = i0 + stride;
  return a * y[i0] + b * y[i1] + (((a * a * a - a) * m[i0] + (b * b * b - b) * m[i1]) * h * h) / 6;
}

/**
 * All nx column splines (values y[j·nx + i], second derivatives m, nodes t along the column) at
 * ordinate s, into out[0..nx): one segment search, the same weights for every column.
 */
export function columnValues(
  t: Float64Array,
  y: Float64Array,
  m: Float64Array,
  nx: number,
  s: number,
  out: Float64Array,
): void {
  const n = t.length;
  if (n === 1 || s <= t[0] || s >= t[n - 1]) {
    const o = n === 1 || s <= t[0] ? 0 : (n - 1) * nx;
    for (let i = 0; i < nx; i++) out[i] = y[o + i];
    return;
  }
  let k = 0;
  while (k < n - 2 && s > t[k + 1]) k++;
  const h = t[k + 1] - t[k];
  const a = (t[k + 1] - s) / h;
  const b = 1 - a;
  const ca = ((a * a * a - a) * h * h) / 6;
  const cb = ((b * b * b - b) * h * h) / 6;
  const o0 = k * nx;
  const o1 = o0 + nx;
  for (let i = 0; i < nx; i++) out[i] = a * y[o0 + i] + b * y[o1 + i] + ca * m[o0 + i] + cb * m[o1 + i];
}

/**
 * The spline through nodes t[0..n) with values v (second derivatives m, unit stride) at x = 0 … width−1,
 * plus the line c + g·x, into out. Per segment the cubic is expanded about its left node and stepped
 * by forward differences (3 additions per pixel; over ≤ a few hundred steps in float64 the rounding
 * stays below 1e-9 ADU).
 */
export function splineRowPlusLine(
  t: Float64Array,
  v: Float64Array,
  m: Float64Array,
  c: number,
  g: number,
  out: Float32Array,
  width: number,
): void {
  const n = t.length;
  let x = 0;
  for (; x < width && (n === 1 || x <= t[0]); x++) out[x] = v[0] + c + g * x;
  for (let k = 0; k < n - 1; k++) {
    const h = t[k + 1] - t[k];
    // S(t_k + u) + c + g·(t_k + u) = c0 + u(c1 + u(c2 + u c3)).
    const c0 = v[k] + c + g * t[k];
    const c1 = (v[k + 1] - v[k]) / h - (h * (2 * m[k] + m[k + 1])) / 6 + g;
    const c2 = m[k] / 2;
    const c3 = (m[k + 1] - m[k]) / (6 * h);
    const end = k === n - 2 ? t[k + 1] : t[k + 1] - 1e-9;
    // Last pixel of the segment as an integer bound: x ≤ end ⟺ x ≤ ⌊end⌋ for integer x.
    const xe = Math.min(width - 1, Math.floor(end));
    // Forward differences at unit steps from u₀ = x − t_k: 3 additions per pixel.
    const u = x - t[k];
    let p = c0 + u * (c1 + u * (c2 + u * c3));
    let d1 = c1 + c2 * (2 * u + 1) + c3 * (3 * u * u + 3 * u + 1);
    let d2 = 2 * c2 + c3 * (6 * u + 6);
    const d3 = 6 * c3;
    for (; x <= xe; x++) {
      out[x] = p;
      p += d1;
      d1 += d2;
      d2 += d3;
    }
  }
  for (; x < width; x++) out[x] = v[n - 1] + c + g * x;
}

/**
 * One row of the interpolated map — spline through (t, v) with second derivatives m, plus the line
 * c + g·x — as per-segment cubics, for evaluating a few pixels of a row (`at`) and bounding it from
 * below (`lowerBound`) without evaluating every pixel. Segment 0 is left of t₀, segment n right of
 * t_{n−1} (constant spline there), segment k in between joins t_{k−1} and t_k.
 */
export class SplineRow {
  private readonly segOf: Int32Array;
  private readonly origin: Float64Array;
  private readonly c0: Float64Array;
  private readonly c1: Float64Array;
  private readonly c2: Float64Array;
  private readonly c3: Float64Array;
  lowerBound = 0;

  constructor(
    private readonly t: Float64Array,
    width: number,
  ) {
    const n = t.length;
    this.segOf = new Int32Array(width);
    for (let x = 0, s = 0; x < width; x++) {
      while (s < n && x > t[s]) s++;
      this.segOf[x] = s;
    }
    this.origin = new Float64Array(n + 1);
    this.c0 = new Float64Array(n + 1);
    this.c1 = new Float64Array(n + 1);
    this.c2 = new Float64Array(n + 1);
    this.c3 = new Float64Array(n + 1);
  }

  /** Sets the row's coefficients; `lowerBound` ≤ every value of the row on [0, width). */
  set(v: Float64Array, m: Float64Array, c: number, g: number, width: number): void {
    const { t, origin, c0, c1, c2, c3 } = this;
    const n = t.length;
    let lb = Infinity;
    const line = (x: number): number => c + g * x;
    origin[0] = 0;
    c0[0] = v[0] + c;
    c1[0] = g;
    c2[0] = c3[0] = 0;
    lb = Math.min(lb, v[0] + line(0), v[0] + line(Math.max(0, Math.min(width - 1, t[0]))));
    for (let k = 1; k < n; k++) {
      const h = t[k] - t[k - 1];
      origin[k] = t[k - 1];
      c0[k] = v[k - 1] + line(t[k - 1]);
      c1[k] = (v[k] - v[k - 1]) / h - (h * (2 * m[k - 1] + m[k])) / 6 + g;
      c2[k] = m[k - 1] / 2;
      c3[k] = (m[k] - m[k - 1]) / (6 * h);
      // S − linear interpolation = −(h²/6)[(a − a³)M₀ + (b − b³)M₁], and (a − a³) + (b − b³) = 3ab ≤ ¾.
      const dev = (Math.max(Math.abs(m[k - 1]), Math.abs(m[k])) * h * h) / 8;
      lb = Math.min(lb, Math.min(v[k - 1] + line(t[k - 1]), v[k] + line(t[k])) - dev);
    }
    origin[n] = 0;
    c0[n] = v[n - 1] + c;
    c1[n] = g;
    c2[n] = c3[n] = 0;
    lb = Math.min(lb, v[n - 1] + line(width - 1), v[n - 1] + line(Math.min(width - 1, t[n - 1])));
    this.lowerBound = lb;
  }

  /** The row's value at pixel x (integer, 0 ≤ x < width). */
  at(x: number): number {
    const s = this.segOf[x];
    const u = x - this.origin[s];
    return this.c0[s] + u * (this.c1[s] + u * (this.c2[s] + u * this.c3[s]));
  }
}
