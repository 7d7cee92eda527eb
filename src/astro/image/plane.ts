/**
 * Image planes shared by the image-processing steps (order statistics re-exported from ../order.ts).
 * Pixel coordinates are 0-based array indices: pixel (i, j) has its centre at (i, j) and spans
 * [i − ½, i + ½] × [j − ½, j + ½]; FITS 1-based coordinates are these plus one.
 */

/** A 2-D image: row-major pixels, index y·width + x (0-based), NaN = no data. Values in ADU. */
export interface ImagePlane {
  data: Float32Array;
  width: number;
  height: number;
}

export { medianInPlace, select } from "../order.ts";
