/**
 * Order statistics on typed arrays, shared by the image and calibration steps: the k-th smallest value
 * and the median, by quickselect (Hoare 1961) with a median-of-three pivot — O(n), the same value a full
 * sort gives. Both reorder the first n elements of the array (pass a scratch copy).
 */

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** k-th smallest (0-based) of a[0..n); afterwards a[i] ≤ a[k] ≤ a[j] for i < k < j < n. */
export function select(a: Float32Array | Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    if (a[mid] < a[left]) swap(a, mid, left);
    if (a[right] < a[left]) swap(a, right, left);
    if (a[right] < a[mid]) swap(a, right, mid);
    const pivot = a[mid];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

/** Median of a[0..n) (mean of the two middle values for even n); NaN for n = 0. */
export function medianInPlace(a: Float32Array | Float64Array, n = a.length): number {
  if (n === 0) return NaN;
  const m = n >> 1;
  const hi = select(a, n, m);
  if (n % 2) return hi;
  // The lower middle is the largest value left of position m after the partial ordering.
  let lo = -Infinity;
  for (let i = 0; i < m; i++) if (a[i] > lo) lo = a[i];
  return 0.5 * (lo + hi);
}
