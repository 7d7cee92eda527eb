/**
 * Float quantisation of tile-compressed images (Pence, Seaman & White 2010, tiled image convention §4):
 * the subtractive-dithering random sequence and its removal. cfitsio keeps the sequence in single
 * precision and derives each tile's start index in single precision too; both are reproduced so that
 * results agree bit for bit with funpack.
 */
/** Length of the dithering sequence (TIC §4.1). */
export const N_RANDOM = 10000;
/**
 * Quantised value standing for an exact 0.0 under SUBTRACTIVE_DITHER_2 (TIC §4.1). Null pixels are the
 * ones equal to ZBLANK (fpack writes its NULL_VALUE −2147483647 there).
 */
const ZERO_VALUE = -2147483646;
let randoms: Float32Array | undefined;

/**
 * The dithering sequence of TIC §4.1: a Park–Miller "minimal standard" generator (a = 16807,
 * m = 2^31 − 1, seed 1), evaluated in double precision, r_i = seed_i / m for i = 0…9999, stored as
 * single-precision floats as cfitsio does (needed for bit-exact agreement with funpack). Its 10000th
 * seed is 1043618065, which is checked.
 */
export function ditherRandoms(): Float32Array {
  if (randoms) return randoms;
  const a = 16807;
  const m = 2147483647;
  const r = new Float32Array(N_RANDOM);
  let seed = 1;
  for (let i = 0; i < N_RANDOM; i++) {
    const t = a * seed;
    seed = t - m * Math.trunc(t / m);
    r[i] = seed / m;
  }
  if (seed !== 1043618065) throw new Error("dither random sequence self-check failed");
  randoms = r;
  return r;
}

/** Index of the first random value used by a tile: (int)(r[iseed] × 500) in single precision, as cfitsio. */
function firstRandom(r: Float32Array, iseed: number): number {
  return Math.trunc(Math.fround(r[iseed] * 500));
}

/**
 * Subtractive dithering undone (TIC §4.1): value = (q − r + 0.5) × ZSCALE + ZZERO, r running through the
 * random sequence from index (int)(r[iseed] × 500), restarting from the next seed after 10000 values;
 * q = ZBLANK → NaN, and under SUBTRACTIVE_DITHER_2 q = −2147483646 → exactly 0. Nulls and zeros still
 * consume a random value, as in cfitsio.
 */
export function dequantizeDithered(
  q: ArrayLike<number>,
  n: number,
  scale: number,
  zero: number,
  blank: number | undefined,
  dither2: boolean,
  r: Float32Array,
  seed: number,
  out: Float64Array,
): void {
  let iseed = seed;
  let next = firstRandom(r, iseed);
  for (let k = 0; k < n; k++) {
    const v = q[k];
    if (v === blank) out[k] = NaN;
    else if (dither2 && v === ZERO_VALUE) out[k] = 0;
    else out[k] = (v - r[next] + 0.5) * scale + zero;
    if (++next === N_RANDOM) {
      iseed = (iseed + 1) % N_RANDOM;
      next = firstRandom(r, iseed);
    }
  }
}
