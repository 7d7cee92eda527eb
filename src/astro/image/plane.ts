/**
 * Image planes and small order statistics shared by the image-processing steps.
 * Pixel coordinates are 0-based array indices: pixel (i, j) has its centre at (i, j) and spans
 * [i − ½, i + ½] × [j − ½, j + ½]; FITS 1-based coordinates are these plus one.
 */

/** A 2-D image: row-major pixels, index y·width + x (0-based), NaN = no data. Values in ADU. */
export interface ImagePlane {
  data: Float32Array;
  width: number;
  height: number;
}

/** k-th smallest (0-based) of a[0..n), Hoare's quickselect (Hoare 1961); reorders a[0..n). */
export function select(a: Float32Array | Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of a[0..n) (mean of the two middle values for even n); reorders a[0..n). NaN for n = 0. */
export function medianInPlace(a: Float32Array | Float64Array, n: number): number {
  if (n === 0) return NaN;
  const hi = select(a, n, n >> 1);
  if (n % 2) return hi;
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lo) lo = a[i];
  return 0.5 * (lo + hi);
}
