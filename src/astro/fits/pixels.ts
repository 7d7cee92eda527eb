/**
 * Pixel arrays: BITPIX vocabulary, big-endian decoding with BZERO/BSCALE/BLANK, encoding, and a capped
 * gunzip. FITS Standard 4.0 §4.4.1.1 (BITPIX, Table 8), §4.4.2.5 (BSCALE, BZERO, BLANK), §5.2–5.3
 * (big-endian two's-complement integers and IEEE-754 floats), §5.3.2 (unsigned integers via BZERO).
 */
import { Buffer, constants as bufferConstants } from "node:buffer";
import { gunzipSync } from "node:zlib";
import { FitsError } from "./errors.ts";

/** Allowed BITPIX values (§4.4.1.1, Table 8). */
export const BITPIX_VALUES = [8, 16, 32, 64, -32, -64] as const;
export type Bitpix = (typeof BITPIX_VALUES)[number];

export type PixelArray = Float32Array | Float64Array;

/** Validate a BITPIX (or ZBITPIX) header value. */
export function checkBitpix(value: unknown, key = "BITPIX"): Bitpix {
  if ((BITPIX_VALUES as readonly unknown[]).includes(value)) return value as Bitpix;
  throw new FitsError(
    "BAD_BITPIX",
    `${key} = ${String(value)} is not one of 8, 16, 32, 64, -32, -64 (FITS 4.0 Table 8)`,
  );
}

/**
 * The output array for a BITPIX: Float32Array for 8, 16 and −32 (exact for every stored value, also with
 * the unsigned BZERO convention); Float64Array for 32, 64 and −64 so that 32-bit integers stay exact.
 * `shared`: backed by a SharedArrayBuffer (worker threads then read the pixels without a copy).
 */
export function allocPixels(bitpix: Bitpix, count: number, shared = false): PixelArray {
  try {
    const wide = widePixels(bitpix);
    if (shared) {
      const buf = new SharedArrayBuffer(count * (wide ? 8 : 4));
      return wide ? new Float64Array(buf) : new Float32Array(buf);
    }
    return wide ? new Float64Array(count) : new Float32Array(count);
  } catch (err) {
    throw new FitsError("TOO_LARGE", `cannot allocate ${count} pixels`, { cause: err });
  }
}

/** Whether the physical values of a BITPIX need float64 (else float32). */
const widePixels = (bitpix: Bitpix) => bitpix === 32 || bitpix === 64 || bitpix === -64;

/**
 * `recycle` when it is what allocPixels would give (type, length, shared or not), else undefined: the
 * pixels of an image nobody uses any more, to decode the next one into (ReadFitsOptions.recycle).
 */
export function recycledPixels(
  recycle: PixelArray | undefined,
  bitpix: Bitpix,
  count: number,
  shared: boolean,
): PixelArray | undefined {
  if (recycle === undefined || recycle.length !== count) return undefined;
  if (recycle instanceof Float64Array !== widePixels(bitpix)) return undefined;
  return recycle.buffer instanceof SharedArrayBuffer === shared ? recycle : undefined;
}

/** Linear scaling and null value of stored integers (§4.4.2.5): physical = BZERO + BSCALE × stored. */
export interface PixelScaling {
  bzero: number;
  bscale: number;
  /** Stored value marking undefined pixels (integer BITPIX only); such pixels become NaN. */
  blank?: bigint;
}

/** True on little-endian hosts (every platform Node supports today): typed arrays then read in host order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swap(view: Buffer, size: 2 | 4 | 8): void {
  if (size === 2) view.swap16();
  else if (size === 4) view.swap32();
  else view.swap64();
}

/**
 * `count` big-endian values of `size` bytes at `bytes[offset…]` in host order, as [buffer, byteOffset]:
 * with `inPlace` and an aligned offset the input itself is byte-swapped (no copy); otherwise one memcpy
 * into a fresh aligned buffer, then the native byte swap (`Buffer.swap16/32/64`).
 */
function hostOrder(
  bytes: Uint8Array,
  offset: number,
  count: number,
  size: 2 | 4 | 8,
  inPlace: boolean,
): [ArrayBuffer, number] {
  const n = count * size;
  const at = bytes.byteOffset + offset;
  if (inPlace && at % size === 0) {
    swap(Buffer.from(bytes.buffer, at, n), size);
    return [bytes.buffer as ArrayBuffer, at];
  }
  const buffer = new ArrayBuffer(n);
  const view = Buffer.from(buffer, 0, n);
  view.set(bytes.subarray(offset, offset + n));
  swap(view, size);
  return [buffer, 0];
}

/** BZERO + BSCALE × stored, BLANK → NaN; small monomorphic loops (V8 optimises each for its array types). */
function scaleF32(
  v: Float32Array | Float64Array,
  out: PixelArray,
  o: number,
  n: number,
  z: number,
  s: number,
): void {
  for (let i = 0; i < n; i++) out[o + i] = z + s * v[i];
}
function scaleInt(
  v: Uint8Array | Int16Array | Int32Array,
  out: PixelArray,
  o: number,
  n: number,
  z: number,
  s: number,
  blank: number,
): void {
  if (Number.isNaN(blank)) for (let i = 0; i < n; i++) out[o + i] = z + s * v[i];
  else {
    for (let i = 0; i < n; i++) {
      const x = v[i];
      out[o + i] = x === blank ? NaN : z + s * x;
    }
  }
}

/**
 * Decode `count` big-endian pixels of `bitpix` from `bytes[offset…]` into `out[outOffset…]`. The caller
 * has checked that the bytes are present. Floats are copied straight into `out` and byte-swapped there
 * (then scaled in the same array when BZERO/BSCALE are not 0/1); integers go through one host-order
 * view and one scaling pass (unsigned 16-bit with BZERO 32768 by flipping the sign bit and a native
 * conversion). With `inPlace` the input bytes may be byte-swapped where they are (the caller's scratch
 * buffer; saves a copy). Results are identical to per-value DataView reads ({@link decodePixelsDataView}).
 */
export function decodePixels(
  bytes: Uint8Array,
  offset: number,
  count: number,
  bitpix: Bitpix,
  out: PixelArray,
  scaling: PixelScaling = { bzero: 0, bscale: 1 },
  outOffset = 0,
  inPlace = false,
): void {
  if (count === 0) return;
  if (!LITTLE_ENDIAN) {
    decodePixelsDataView(bytes, offset, count, bitpix, out, scaling, outOffset);
    return;
  }
  const { bzero, bscale } = scaling;
  const identity = bzero === 0 && bscale === 1;
  const hasBlank = scaling.blank !== undefined && bitpix > 0;
  const blank = hasBlank ? Number(BigInt.asIntN(bitpix === 64 ? 64 : 32, scaling.blank as bigint)) : NaN;
  const o = outOffset;
  if ((bitpix === -32 && out instanceof Float32Array) || (bitpix === -64 && out instanceof Float64Array)) {
    const size = bitpix === -32 ? 4 : 8;
    const view = Buffer.from(out.buffer, out.byteOffset + o * size, count * size);
    const same = bytes.buffer === out.buffer && bytes.byteOffset + offset === view.byteOffset;
    if (!same) view.set(bytes.subarray(offset, offset + count * size)); // else read there already
    swap(view, size);
    if (!identity) scaleF32(out.subarray(o, o + count), out, o, count, bzero, bscale);
    return;
  }
  switch (bitpix) {
    case -32:
    case -64: {
      const [buf, at] = hostOrder(bytes, offset, count, bitpix === -32 ? 4 : 8, inPlace);
      const v = bitpix === -32 ? new Float32Array(buf, at, count) : new Float64Array(buf, at, count);
      if (identity) out.set(v, o);
      else scaleF32(v, out, o, count, bzero, bscale);
      return;
    }
    case 8:
      scaleInt(bytes.subarray(offset, offset + count), out, o, count, bzero, bscale, blank);
      return;
    case 16: {
      const [buf, at] = hostOrder(bytes, offset, count, 2, inPlace);
      if (!hasBlank && bscale === 1 && (bzero === 0 || bzero === 32768)) {
        if (bzero === 32768) {
          // Unsigned convention (§5.3.2): stored + 32768 = stored with the sign bit flipped, as uint16.
          const words = new Uint32Array(buf, at, count >> 1);
          for (let i = 0; i < words.length; i++) words[i] ^= 0x80008000;
          const u = new Uint16Array(buf, at, count);
          if (count & 1) u[count - 1] ^= 0x8000;
          out.set(u, o);
        } else out.set(new Int16Array(buf, at, count), o);
      } else scaleInt(new Int16Array(buf, at, count), out, o, count, bzero, bscale, blank);
      return;
    }
    case 32: {
      const [buf, at] = hostOrder(bytes, offset, count, 4, inPlace);
      const v = new Int32Array(buf, at, count);
      if (!hasBlank && identity) out.set(v, o);
      else scaleInt(v, out, o, count, bzero, bscale, blank);
      return;
    }
    case 64: {
      // swap64 puts each value little-endian: low word at 2i, high word at 2i + 1.
      const [buf, at] = hostOrder(bytes, offset, count, 8, inPlace);
      const lo32 = new Uint32Array(buf, at, 2 * count);
      const hi32 = new Int32Array(buf, at, 2 * count);
      const b = hasBlank ? BigInt.asUintN(64, scaling.blank as bigint) : -1n;
      const bHi = b < 0n ? NaN : Number(BigInt.asIntN(32, b >> 32n));
      const bLo = b < 0n ? NaN : Number(b & 0xffffffffn);
      for (let i = 0; i < count; i++) {
        const hi = hi32[2 * i + 1];
        const lo = lo32[2 * i];
        out[o + i] = hi === bHi && lo === bLo ? NaN : bzero + bscale * (hi * 4294967296 + lo);
      }
      return;
    }
  }
}

/** The portable decoder (per-value DataView reads): big-endian hosts, and the reference in tests. */
export function decodePixelsDataView(
  bytes: Uint8Array,
  offset: number,
  count: number,
  bitpix: Bitpix,
  out: PixelArray,
  scaling: PixelScaling = { bzero: 0, bscale: 1 },
  outOffset = 0,
): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, (count * Math.abs(bitpix)) / 8);
  const { bzero, bscale } = scaling;
  const identity = bzero === 0 && bscale === 1;
  const hasBlank = scaling.blank !== undefined && bitpix > 0;
  const blank = hasBlank ? Number(BigInt.asIntN(bitpix === 64 ? 64 : 32, scaling.blank as bigint)) : NaN;
  const o = outOffset;
  switch (bitpix) {
    case -32:
      if (identity) for (let i = 0; i < count; i++) out[o + i] = dv.getFloat32(i * 4);
      else for (let i = 0; i < count; i++) out[o + i] = bzero + bscale * dv.getFloat32(i * 4);
      return;
    case -64:
      if (identity) for (let i = 0; i < count; i++) out[o + i] = dv.getFloat64(i * 8);
      else for (let i = 0; i < count; i++) out[o + i] = bzero + bscale * dv.getFloat64(i * 8);
      return;
    case 8:
      for (let i = 0; i < count; i++) {
        const v = dv.getUint8(i);
        out[o + i] = v === blank ? NaN : bzero + bscale * v;
      }
      return;
    case 16:
      for (let i = 0; i < count; i++) {
        const v = dv.getInt16(i * 2);
        out[o + i] = v === blank ? NaN : bzero + bscale * v;
      }
      return;
    case 32:
      for (let i = 0; i < count; i++) {
        const v = dv.getInt32(i * 4);
        out[o + i] = v === blank ? NaN : bzero + bscale * v;
      }
      return;
    case 64: {
      const b = hasBlank ? BigInt.asUintN(64, scaling.blank as bigint) : -1n;
      const bHi = b < 0n ? NaN : Number(BigInt.asIntN(32, b >> 32n));
      const bLo = b < 0n ? NaN : Number(b & 0xffffffffn);
      for (let i = 0; i < count; i++) {
        const hi = dv.getInt32(i * 8);
        const lo = dv.getUint32(i * 8 + 4);
        out[o + i] = hi === bHi && lo === bLo ? NaN : bzero + bscale * (hi * 4294967296 + lo);
      }
      return;
    }
  }
}

const INT_RANGE: Record<8 | 16 | 32 | 64, [number, number]> = {
  8: [0, 255],
  16: [-32768, 32767],
  32: [-2147483648, 2147483647],
  64: [-(2 ** 63), 2 ** 63],
};

/**
 * Encode physical values as big-endian BITPIX pixels: stored = round((value − BZERO) / BSCALE), clipped
 * to the type's range; NaN → BLANK for integer types (required when NaNs are present).
 */
export function encodePixels(
  data: ArrayLike<number>,
  count: number,
  bitpix: Bitpix,
  scaling: PixelScaling,
  out: Uint8Array,
  outOffset: number,
): void {
  const dv = new DataView(out.buffer, out.byteOffset + outOffset, (count * Math.abs(bitpix)) / 8);
  const { bzero, bscale } = scaling;
  if (bitpix === -32 || bitpix === -64) {
    const identity = bzero === 0 && bscale === 1;
    for (let i = 0; i < count; i++) {
      const v = identity ? data[i] : (data[i] - bzero) / bscale;
      if (bitpix === -32) dv.setFloat32(i * 4, v);
      else dv.setFloat64(i * 8, v);
    }
    return;
  }
  const [lo, hi] = INT_RANGE[bitpix];
  const blank = scaling.blank;
  for (let i = 0; i < count; i++) {
    const v = data[i];
    let s: number;
    if (Number.isNaN(v)) {
      if (blank === undefined) {
        throw new FitsError(
          "UNSUPPORTED",
          `pixel ${i} is NaN: integer BITPIX ${bitpix} needs a BLANK value (§4.4.2.5)`,
        );
      }
      if (bitpix === 64) {
        dv.setBigInt64(i * 8, BigInt.asIntN(64, blank));
        continue;
      }
      s = Number(blank);
    } else {
      s = Math.min(hi, Math.max(lo, Math.round((v - bzero) / bscale)));
    }
    if (bitpix === 8) dv.setUint8(i, s);
    else if (bitpix === 16) dv.setInt16(i * 2, s);
    else if (bitpix === 32) dv.setInt32(i * 4, s);
    else dv.setBigInt64(i * 8, s >= hi ? 2n ** 63n - 1n : BigInt(s));
  }
}

/** `count` big-endian integers (size 1, 2, 4, 8) or floats (4, 8) → numbers; TRUNCATED if the bytes are short. */
export function decodeValues(
  bytes: Uint8Array,
  size: number,
  float: boolean,
  count: number,
  what: string,
): ArrayLike<number> {
  if (bytes.length < count * size) {
    throw new FitsError(
      "TRUNCATED",
      `${what}: ${bytes.length} bytes hold fewer than ${count} values of ${size} bytes`,
    );
  }
  const bitpix = checkBitpix(float ? -size * 8 : size * 8);
  const out = new Float64Array(count);
  decodePixels(bytes, 0, count, bitpix, out);
  return out;
}

/** Undo GZIP_2 byte shuffling (tiled image convention §5.3): all first bytes, then all second bytes, … */
export function unshuffle(bytes: Uint8Array, size: number): Uint8Array {
  const n = Math.floor(bytes.length / size);
  const out = new Uint8Array(n * size);
  for (let b = 0; b < size; b++) for (let i = 0; i < n; i++) out[i * size + b] = bytes[b * n + i];
  return out;
}

/**
 * A colour cube's axes: NAXIS ≥ 3 with NAXIS3 = 3 and any further axes 1 — a debayered image whose planes
 * are R, G and B (the order Siril, PixInsight, DS9's RGB cubes, netpbm's fitstopnm and astrometry.net use).
 */
export function isColourCubeShape(dims: readonly number[]): boolean {
  return dims.length >= 3 && dims[2] === 3 && dims.slice(3).every((n) => n === 1);
}

/** True when the bytes start with the gzip magic number 0x1f 0x8b (RFC 1952 §2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Largest output a single gunzip may produce (bounded by Node's Buffer limit). */
export function gunzipLimit(requested: number): number {
  return Math.max(0, Math.min(requested, bufferConstants.MAX_LENGTH));
}

/**
 * Gunzip with a cap on the output size; zlib failures become FitsErrors (TOO_LARGE beyond the cap,
 * TRUNCATED for an incomplete stream, NOT_FITS for corrupt data). `what` names the stream in messages.
 */
export function gunzipCapped(bytes: Uint8Array, maxBytes: number, what: string): Uint8Array {
  const limit = gunzipLimit(maxBytes);
  try {
    const out = gunzipSync(bytes, { maxOutputLength: Math.max(1, limit) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
      throw new FitsError("TOO_LARGE", `${what}: decompressed size exceeds the limit of ${limit} bytes`, {
        cause: err,
      });
    }
    if (code === "Z_BUF_ERROR") {
      throw new FitsError("TRUNCATED", `${what}: the gzip stream ends early (truncated)`, { cause: err });
    }
    const msg = err instanceof Error ? err.message : String(err);
    throw new FitsError("NOT_FITS", `${what}: corrupt gzip stream (${msg})`, { cause: err });
  }
}
